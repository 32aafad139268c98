"""hilayers: a Keras-style deep-learning library on its own dataflow engine.

Example:
    >>> import hilayers
    >>> from hilayers import layers, Sequential
    >>> model = Sequential([layers.Dense(10, activation="softmax", input_shape=(784,))])
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
"""
__version__ = "0.1.0"

from . import backend  # noqa: F401
from . import activations, constraints, initializers, regularizers  # noqa: F401
from . import layers, losses, metrics, optimizers, callbacks  # noqa: F401
from . import data, datasets  # noqa: F401
from .models import Model, Sequential  # noqa: F401
from .layers import Input  # noqa: F401
from .utils.random_seed import set_random_seed  # noqa: F401
