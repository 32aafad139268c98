"""Images of handwritten digits made into MNIST digits: 28x28, grey, white on black.

MNIST's digits were made this way (LeCun, Cortes, Burges, the MNIST page): the digit's
bounding box was fitted into 20x20 pixels keeping its aspect ratio, with anti-aliasing, then
placed in a 28x28 field so that its centre of mass is at the centre. :func:`mnist_digit` does
the same to any grey image, after making it white on black; :func:`load_image` reads a PNG or
JPEG file of any size and colour into such a grey image (Pillow, imported only there).

Steps of :func:`mnist_digit`:

1. background: the median of the border pixels. When it is light (above 127.5) the image is
   inverted, so that ink is light on dark as in MNIST.
2. contrast: the background level is subtracted and the result divided by its maximum, so ink
   goes from 0 to 1 whatever the exposure; below 0.15 counts as background (paper grain,
   JPEG noise) and is set to 0. An image with less than 16/255 of contrast has no digit.
3. bounding box of the pixels above 0.25, resized (Lanczos, which anti-aliases) so that its
   longer side is 20 pixels, and scaled again to a maximum of 255.
4. placed in 28x28 with its intensity-weighted centre of mass at pixel (14, 14), counting
   rows and columns from 0, as MNIST's are (over its 10,000 test digits the centre of mass
   averages row 13.99, column 14.01), rounded to whole pixels and kept inside the field.

Example:
    >>> import numpy as np
    >>> page = np.full((90, 60), 240.0)      # a dark bar on light paper, off-centre
    >>> page[10:70, 5:15] = 20.0
    >>> digit = mnist_digit(page)
    >>> digit.shape, digit.dtype, int(digit.max())
    ((28, 28), dtype('uint8'), 255)
    >>> rows, cols = np.nonzero(digit > 127)
    >>> int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())
    (4, 23, 13, 15)
"""
import numpy as np

SIDE = 28          # the MNIST field
BOX = 20           # the box the digit is fitted into
MIN_CONTRAST = 16  # of 255: less than this between background and ink is a blank image
NOISE_FLOOR = 0.15
BOX_THRESHOLD = 0.25


class ImageReadError(ValueError):
    """An image file that cannot be read, or holds no digit; the message names the file."""


def _pillow():
    try:
        from PIL import Image, ImageOps
    except ImportError as exc:
        raise ImportError("Reading images needs Pillow, which is not installed: run "
                          "pip install 'hilayers[cli]' (or pip install Pillow).") from exc
    return Image, ImageOps


def load_image(path):
    """Read a PNG or JPEG file as a grey image (float64, 0 black to 255 white).

    Colour is turned into luminance (ITU-R 601: 0.299 R + 0.587 G + 0.114 B); a transparent
    background is replaced by the colour that contrasts with the opaque pixels (white behind
    dark ink, black behind light ink); a JPEG's EXIF orientation is applied; 16-bit
    greyscale is scaled to 0-255.

    Args:
        path: the file.

    Returns:
        A 2-D float64 array, height x width.

    Raises:
        ImageReadError: when the file is missing, unreadable, truncated, not PNG or JPEG, or
            fully transparent; the message names the file.
        ImportError: when Pillow is not installed.
    """
    Image, ImageOps = _pillow()
    try:
        with Image.open(path, formats=["PNG", "JPEG"]) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            return _to_grey(image, path)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        if isinstance(exc, ImageReadError):
            raise
        reason = str(exc) or type(exc).__name__
        raise ImageReadError(f"cannot read {str(path)!r}: {reason}. Expected a PNG or JPEG "
                             f"image.") from exc


def _to_grey(image, path):
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        grey = np.asarray(image, dtype=np.float64)
        return grey / 257.0 if grey.max(initial=0) > 255 else grey
    if "A" not in image.getbands() and "transparency" not in image.info:
        return np.asarray(image.convert("L"), dtype=np.float64)
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float64)
    alpha = rgba[..., 3] / 255.0
    luminance = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
    if alpha.sum() == 0:
        raise ImageReadError(f"{str(path)!r} is fully transparent: no digit to read.")
    ink = float((alpha * luminance).sum() / alpha.sum())
    background = 255.0 if ink < 127.5 else 0.0
    return alpha * luminance + (1.0 - alpha) * background


def mnist_digit(grey, name="image"):
    """Make a grey image of one digit into an MNIST digit (see the module docstring).

    Args:
        grey: a 2-D array, 0 black to 255 white, of any size (at least 1x1); the digit
            dark on light or light on dark.
        name: what to call the image in error messages (a file name).

    Returns:
        A uint8 array of shape (28, 28), white digit on black, as MNIST's.

    Raises:
        ImageReadError: when the image is not 2-D or is blank (no digit to find).
        ImportError: when Pillow (used to resize) is not installed.
    """
    grey = np.asarray(grey, dtype=np.float64)
    if grey.ndim != 2 or grey.size == 0:
        raise ImageReadError(f"{name}: expected a 2-D grey image; received shape "
                             f"{grey.shape}.")
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    if background > 127.5:
        grey, background = 255.0 - grey, 255.0 - background
    ink = np.clip(grey - background, 0.0, None)
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        raise ImageReadError(f"{name}: no digit found: the image is blank (contrast "
                             f"{peak:.0f} of 255 between background and darkest ink; at "
                             f"least {MIN_CONTRAST} expected).")
    ink /= peak
    ink[ink < NOISE_FLOOR] = 0.0
    rows = np.flatnonzero((ink > BOX_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink > BOX_THRESHOLD).any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    patch = _fit_in_box(crop)
    return _centre_by_mass(patch)


def _fit_in_box(crop):
    """``crop`` (values 0-1) resized so that its longer side is ``BOX``; 0-255 floats."""
    Image, _ = _pillow()
    height, width = crop.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = Image.fromarray(np.round(crop * 255.0).astype(np.uint8), mode="L")
    patch = np.asarray(image.resize(size, Image.Resampling.LANCZOS), dtype=np.float64)
    return patch * (255.0 / patch.max()) if patch.max() > 0 else patch


def _centre_by_mass(patch):
    height, width = patch.shape
    total = patch.sum()
    centre_row = (patch.sum(axis=1) @ np.arange(height)) / total
    centre_col = (patch.sum(axis=0) @ np.arange(width)) / total
    top = int(np.clip(round(SIDE // 2 - centre_row), 0, SIDE - height))
    left = int(np.clip(round(SIDE // 2 - centre_col), 0, SIDE - width))
    field = np.zeros((SIDE, SIDE))
    field[top:top + height, left:left + width] = patch
    return np.clip(np.round(field), 0, 255).astype(np.uint8)
