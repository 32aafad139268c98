"""hilayers: a Keras-style deep-learning library on its own dataflow engine."""
__version__ = "0.1.0"

from . import backend  # noqa: F401
