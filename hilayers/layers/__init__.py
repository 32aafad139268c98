"""Keras-style layers. Every module here lists its public classes in ``__all__``; importing
this package gathers them (``hilayers.layers.Dense``) and registers them by name so that
configs and saved models can refer to them."""
import importlib
import pkgutil

from .base import LAYERS, InputSpec, Layer

__all__ = ["Layer", "InputSpec"]
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("_") or _info.name == "base":
        continue
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _name in _module.__all__:
        _obj = getattr(_module, _name)
        globals()[_name] = _obj
        if isinstance(_obj, type) and issubclass(_obj, Layer):
            LAYERS.register()(_obj)
    __all__.extend(_module.__all__)
LAYERS.register()(Layer)
