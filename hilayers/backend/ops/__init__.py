"""The op families. Each module here declares its ops and lists its public functions in
``__all__``; importing this package gathers them (so adding a family is adding a file)."""
import importlib
import pkgutil

__all__ = []
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("_"):
        continue
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _name in _module.__all__:
        globals()[_name] = getattr(_module, _name)
    __all__.extend(_module.__all__)
