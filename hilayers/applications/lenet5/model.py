"""The LeNet-5 network and its pretrained MNIST weights.

The variant (LeCun, Bottou, Bengio, Haffner, "Gradient-based learning applied to document
recognition", Proc. IEEE 1998, section II.B), adapted to 28x28 MNIST as is usual:

=========  =================================  =================  ==============
layer      hilayers                           output             paper
=========  =================================  =================  ==============
conv1      Conv2D(6, 5, padding='same'), ReLU  28x28x6            C1 on 32x32
pool1      MaxPooling2D(2)                     14x14x6            S2 (subsampling)
conv2      Conv2D(16, 5), ReLU                 10x10x16           C3
pool2      MaxPooling2D(2)                     5x5x16             S4
flatten    Flatten                             400
fc1        Dense(120), ReLU                    120                C5
fc2        Dense(84), ReLU                     84                 F6
predictions Dense(10), softmax                 10                 RBF output
=========  =================================  =================  ==============

61,706 parameters. What differs from the paper, and why:

* 'same' padding on conv1 stands for the paper's 32x32 input (MNIST's 28x28 digits padded by
  2 pixels): the feature maps keep the paper's sizes from conv2 on.
* ReLU instead of the scaled tanh ``1.7159 tanh(2x/3)``: with Adam it trains faster and ends
  more accurate, and it is what the usual modern LeNet-5 (Keras and PyTorch tutorials) uses.
* Max pooling instead of the paper's trainable subsampling (a 2x2 average times a learned
  coefficient plus a bias, then a sigmoid): the same downsampling without extra parameters,
  and the form most reimplementations use.
* conv2 sees all 6 maps of pool1, not the paper's partial connection table (60 of the 96
  map pairs), which existed to save computation and to break symmetry.
* A softmax layer trained with cross-entropy instead of the paper's Euclidean RBF units with
  fixed targets: it gives class probabilities, which ``decode_predictions`` reports.

Example:
    >>> from hilayers.applications import LeNet5
    >>> model = LeNet5(weights=None)
    >>> model.output_shape
    (None, 10)
    >>> model.count_params()
    61706
"""
import hashlib
import os

from ... import layers
from ...models import Model
from ...saving import SavingError

#: The weights shipped with the package (written by ``python -m hilayers.applications.lenet5
#: train``; see :mod:`hilayers.applications.lenet5.training` for the recipe).
WEIGHTS_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "weights", "lenet5_mnist.h5")
#: sha256 of that file: loading ``weights="mnist"`` checks it.
WEIGHTS_SHA256 = "6284af937d66b233996adf00a4d6e0dd4d0587565a978b49bf4facc8d2ca2546"

INPUT_SHAPE = (28, 28, 1)
CLASSES = 10
_POOLINGS = (None, "avg", "max")


def LeNet5(weights="mnist", input_shape=(28, 28, 1), classes=10, include_top=True,
           pooling=None, classifier_activation="softmax", name="lenet5"):
    """The LeNet-5 network, optionally with weights trained on MNIST.

    Args:
        weights: ``"mnist"`` for the weights shipped with the package (checked against
            ``WEIGHTS_SHA256``), ``None`` for a freshly initialised model, or the path of a
            weights file (``model.save_weights``) or whole-model file (``model.save``) of
            this architecture.
        input_shape: ``(height, width, channels)``; both sides at least 12. With
            ``weights="mnist"`` it must be ``(28, 28, 1)`` when ``include_top`` (the dense
            layers are sized for it); without the top any size works.
        classes: the number of classes of the top layer; 10 with ``weights="mnist"``.
        include_top: keep the dense layers (fc1, fc2, predictions). Without them the output
            is the 5x5x16 feature map of pool2 (for a 28x28 input), or a vector of 16 with
            ``pooling``.
        pooling: with ``include_top=False``: ``None`` (the 4-D feature map), ``"avg"`` or
            ``"max"`` (global pooling to a vector of 16). Ignored with the top.
        classifier_activation: the activation of the top layer (a name, a function or
            ``None`` for the logits). With ``weights="mnist"``: ``"softmax"`` or ``None``.
        name: the model's name.

    Returns:
        An uncompiled :class:`hilayers.Model`. Its inputs are float32 images scaled to
        [0, 1], as :func:`preprocess_input` makes them.

    Raises:
        ValueError: for an unknown ``weights`` value, ``pooling`` or an input shape or
            ``classes`` that do not fit the weights.
        FileNotFoundError: when ``weights`` is a path that does not exist.
        hilayers.saving.SavingError: when the shipped weights file fails its sha256 check
            (the package is damaged: reinstall it) or a weights file does not fit.

    Example:
        >>> features = LeNet5(weights=None, include_top=False, pooling="avg")
        >>> features.output_shape
        (None, 16)
    """
    input_shape = _check_arguments(weights, input_shape, classes, include_top, pooling,
                                   classifier_activation)
    if weights is None:
        return _build(input_shape, classes, include_top, pooling, classifier_activation, name)
    path = _weights_file(weights)
    # The weights describe the whole network at 28x28 (the file's order of layers): load
    # them into it, then reuse its convolutions for a model without the top.
    full = _build(INPUT_SHAPE if not include_top else input_shape, classes, True, None,
                  classifier_activation, name)
    full.load_weights(path)
    if include_top:
        return full
    return _build(input_shape, classes, False, pooling, None, name,
                  reuse=[full.get_layer("conv1"), full.get_layer("conv2")])


def _check_arguments(weights, input_shape, classes, include_top, pooling,
                     classifier_activation):
    if not (weights is None or weights == "mnist" or isinstance(weights, (str, os.PathLike))):
        raise ValueError(f"LeNet5: weights must be 'mnist', None or the path of a weights "
                         f"file; received {weights!r}.")
    shape = tuple(input_shape) if input_shape is not None else INPUT_SHAPE
    if (len(shape) != 3 or not all(isinstance(d, int) and d > 0 for d in shape)
            or min(shape[:2]) < 12):
        raise ValueError(f"LeNet5: input_shape must be (height, width, channels) with height "
                         f"and width at least 12 (two 2x2 poolings around a 5x5 valid "
                         f"convolution); received {input_shape!r}.")
    if pooling not in _POOLINGS:
        raise ValueError(f"LeNet5: pooling must be None, 'avg' or 'max'; received "
                         f"{pooling!r}.")
    if not isinstance(classes, int) or classes < 1:
        raise ValueError(f"LeNet5: classes must be a positive int; received {classes!r}.")
    if weights is not None:
        if include_top and shape != INPUT_SHAPE:
            raise ValueError(f"LeNet5: with weights={weights!r} and include_top=True the "
                             f"input_shape must be {INPUT_SHAPE}, the shape the weights were "
                             f"trained on; received {shape}. Use include_top=False for "
                             f"other sizes, or weights=None.")
        if shape[2] != 1:
            raise ValueError(f"LeNet5: the weights {weights!r} are for 1-channel (grey) "
                             f"images; received input_shape {shape}.")
        if include_top and classes != CLASSES:
            raise ValueError(f"LeNet5: the weights {weights!r} have {CLASSES} classes; "
                             f"received classes={classes}. Use weights=None to train "
                             f"another number of classes.")
        if include_top and classifier_activation not in ("softmax", None):
            raise ValueError(f"LeNet5: with pretrained weights classifier_activation must "
                             f"be 'softmax' or None (logits); received "
                             f"{classifier_activation!r}.")
    return shape


def _weights_file(weights):
    if weights != "mnist":
        path = os.fspath(weights)
        if not os.path.isfile(path):
            # A bare name such as 'imagenet' is a choice of weights, not a file meant.
            if isinstance(weights, str) and not path.endswith((".h5", ".hdf5")) \
                    and os.sep not in path:
                raise ValueError(f"LeNet5: weights must be 'mnist', None or the path of a "
                                 f"weights file; received {weights!r}, which is neither "
                                 f"'mnist' nor an existing file.")
            raise FileNotFoundError(f"LeNet5: the weights file {path!r} does not exist; pass "
                                    f"weights='mnist' for the shipped weights or None.")
        return path
    if not os.path.isfile(WEIGHTS_PATH):
        raise FileNotFoundError(f"LeNet5: the shipped weights {WEIGHTS_PATH!r} are missing "
                                f"from the installed package; reinstall hilayers.")
    digest = file_sha256(WEIGHTS_PATH)
    if digest != WEIGHTS_SHA256:
        raise SavingError(WEIGHTS_PATH, f"its sha256 is {digest}, expected {WEIGHTS_SHA256} "
                                        f"for LeNet-5's MNIST weights: the file was damaged "
                                        f"or changed. Reinstall hilayers, or rebuild it with "
                                        f"'python -m hilayers.applications.lenet5 train'.")
    return WEIGHTS_PATH


def file_sha256(path, chunk_size=1 << 20):
    """The sha256 of a file, as 64 hex digits.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile(delete=False) as f:
        ...     _ = f.write(b"abc")
        >>> file_sha256(f.name)[:16]
        'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _build(input_shape, classes, include_top, pooling, classifier_activation, name,
           reuse=None):
    conv1, conv2 = reuse or (
        layers.Conv2D(6, 5, padding="same", activation="relu", name="conv1"),
        layers.Conv2D(16, 5, activation="relu", name="conv2"))
    inputs = layers.Input(input_shape, name="image")
    x = conv1(inputs)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = conv2(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(120, activation="relu", name="fc1")(x)
        x = layers.Dense(84, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    return Model(inputs, x, name=name)
