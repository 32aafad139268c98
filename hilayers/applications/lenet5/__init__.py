"""LeNet-5 pretrained on MNIST: :func:`LeNet5`, :func:`preprocess_input`,
:func:`decode_predictions`; ``python -m hilayers.applications.lenet5 train`` makes the
weights again (:mod:`hilayers.applications.lenet5.training`).

Example:
    >>> from hilayers.applications import lenet5
    >>> from hilayers.datasets import mnist
    >>> (_, _), (x_test, y_test) = mnist.load_data("../shared/datasets/mnist")  # doctest: +SKIP
    >>> model = lenet5.LeNet5(weights="mnist")                                # doctest: +SKIP
    >>> probs = model.predict(lenet5.preprocess_input(x_test[:1]))             # doctest: +SKIP
    >>> lenet5.decode_predictions(probs, top=1)                                # doctest: +SKIP
    [[(7, 0.99...)]]
"""
from .model import CLASSES, INPUT_SHAPE, WEIGHTS_PATH, WEIGHTS_SHA256, LeNet5, file_sha256
from .preprocessing import decode_predictions, preprocess_input

__all__ = ["LeNet5", "preprocess_input", "decode_predictions", "file_sha256", "WEIGHTS_PATH",
           "WEIGHTS_SHA256", "INPUT_SHAPE", "CLASSES"]
