"""Models: functional ``Model``, ``Sequential``, and (later) saving and loading."""
from .model import Model
from .sequential import Sequential
from ..saving.model_io import load_model, model_from_config, model_from_json, save_model

__all__ = ["Model", "Sequential", "load_model", "save_model", "model_from_json",
           "model_from_config"]
