"""Models: functional ``Model``, ``Sequential``, and (later) saving and loading."""
from .model import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential"]
