"""The op-specification table: every ``spec_*.py`` module here contributes its ``SPECS``."""
import importlib
import pkgutil

ALL_SPECS = []
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("spec_"):
        ALL_SPECS.extend(importlib.import_module(f"{__name__}.{_info.name}").SPECS)

_names = [s.name for s in ALL_SPECS]
_dupes = {n for n in _names if _names.count(n) > 1}
if _dupes:
    raise RuntimeError(f"Op spec names must be unique; repeated: {sorted(_dupes)}")
