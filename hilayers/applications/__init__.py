"""Ready-made models, as ``keras.applications``: for now :func:`LeNet5`, pretrained on MNIST
(its ``preprocess_input`` and ``decode_predictions`` are in :mod:`.lenet5`).

Example:
    >>> from hilayers.applications import LeNet5, lenet5
    >>> LeNet5(weights=None).input_shape
    (None, 28, 28, 1)
"""
from . import lenet5
from .lenet5 import LeNet5

__all__ = ["LeNet5", "lenet5"]
