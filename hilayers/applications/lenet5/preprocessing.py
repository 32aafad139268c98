"""Inputs and outputs of the pretrained LeNet-5: ``preprocess_input`` and
``decode_predictions``.

Example:
    >>> import numpy as np
    >>> preprocess_input(np.full((2, 28, 28), 255, np.uint8)).shape
    (2, 28, 28, 1)
    >>> probs = np.eye(10, dtype=np.float32)[[7]] * 0.9 + 0.01
    >>> [(d, round(p, 2)) for d, p in decode_predictions(probs, top=2)[0]]
    [(7, 0.91), (0, 0.01)]
"""
import numpy as np

_SIDE = 28


def preprocess_input(x):
    """MNIST images to LeNet-5's input: float32 of shape (N, 28, 28, 1) scaled to [0, 1].

    Args:
        x: pixel values 0 to 255 (white digit on black, as MNIST), shaped (N, 28, 28),
            (N, 28, 28, 1) or (28, 28) for one image; uint8, or any integer or float array
            on the same 0-255 scale.

    Returns:
        A new float32 array of shape (N, 28, 28, 1) (N = 1 for a single image): ``x / 255``.

    Raises:
        ValueError: for another shape, a non-numeric array, or values outside 0-255.

    Example:
        >>> import numpy as np
        >>> preprocess_input(np.zeros((28, 28), np.uint8)).shape
        (1, 28, 28, 1)
    """
    array = np.asarray(x)
    if array.dtype.kind not in "uif":
        raise ValueError(f"preprocess_input expects numeric pixel values 0-255; received an "
                         f"array of dtype {array.dtype}.")
    shape = array.shape
    if shape == (_SIDE, _SIDE):
        array = array[None]
    elif array.ndim == 4 and shape[1:] == (_SIDE, _SIDE, 1):
        array = array[..., 0]
    elif not (array.ndim == 3 and shape[1:] == (_SIDE, _SIDE)):
        raise ValueError(f"preprocess_input expects images shaped (N, 28, 28), "
                         f"(N, 28, 28, 1) or (28, 28); received shape {shape}. Resize other "
                         f"images first (hilayers.image_preprocessing.mnist_digit does it "
                         f"for photos of digits).")
    if array.size and array.dtype.kind != "u" and (array.min() < 0 or array.max() > 255):
        raise ValueError(f"preprocess_input expects pixel values 0-255; received values from "
                         f"{array.min()} to {array.max()}. Pass the raw pixels, not images "
                         f"already scaled.")
    return (array.astype(np.float32) / np.float32(255.0))[..., None]


def decode_predictions(probs, top=3):
    """The ``top`` most probable digits of each prediction.

    Args:
        probs: the model's output, shape (N, 10) (a single prediction of shape (10,) is
            read as N = 1).
        top: how many digits per prediction, 1 to 10.

    Returns:
        A list of N lists of ``(digit, probability)`` pairs (int, float), most probable
        first; ties keep the smaller digit first.

    Raises:
        ValueError: when ``probs`` does not have 10 columns or ``top`` is not 1 to 10.

    Example:
        >>> decode_predictions([0.1, 0.0, 0.0, 0.7, 0.0, 0.0, 0.0, 0.0, 0.2, 0.0], top=2)
        [[(3, 0.7), (8, 0.2)]]
    """
    array = np.asarray(probs, dtype=np.float64)
    if array.ndim == 1:
        array = array[None]
    if array.ndim != 2 or array.shape[1] != 10:
        raise ValueError(f"decode_predictions expects predictions of shape (N, 10), one "
                         f"column per digit; received shape {np.shape(probs)}.")
    if not isinstance(top, (int, np.integer)) or not 1 <= top <= 10:
        raise ValueError(f"decode_predictions: top must be an int from 1 to 10; received "
                         f"{top!r}.")
    order = np.argsort(-array, axis=1, kind="stable")[:, :top]
    return [[(int(d), float(row[d])) for d in best] for row, best in zip(array, order)]
