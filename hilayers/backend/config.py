"""Engine settings: float type, epsilon, and which kernel implementation runs the graph.

Settings are read once, lazily, in this order (later wins): built-in defaults, the JSON file
``$HILAYERS_HOME/hilayers.json`` (``~/.hilayers/hilayers.json`` when ``HILAYERS_HOME`` is not
set), then the environment variables ``HILAYERS_BACKEND`` and ``HILAYERS_FLOATX``. The
``set_*`` functions change them at run time.

Example:
    >>> from hilayers import backend as K
    >>> K.floatx()
    'float32'
"""
import json
import os

import numpy as np

from .errors import InvalidArgumentError

_FLOAT_TYPES = ("float16", "float32", "float64")
_DEFAULTS = {"floatx": "float32", "epsilon": 1e-7, "backend": "numpy"}
_settings = None


def config_path():
    """Return the path of the JSON settings file (it need not exist)."""
    home = os.environ.get("HILAYERS_HOME") or os.path.join(os.path.expanduser("~"), ".hilayers")
    return os.path.join(home, "hilayers.json")


def _load():
    global _settings
    if _settings is not None:
        return _settings
    settings = dict(_DEFAULTS)
    path = config_path()
    if os.path.exists(path):
        try:
            with open(path, "r", encoding="utf-8") as handle:
                from_file = json.load(handle)
        except (OSError, ValueError) as exc:
            raise InvalidArgumentError(
                f"Could not read the hilayers settings file {path!r}: {exc}. "
                "Fix or delete the file; it must hold a JSON object such as "
                '{"backend": "numpy", "floatx": "float32"}.') from exc
        if not isinstance(from_file, dict):
            raise InvalidArgumentError(
                f"The hilayers settings file {path!r} holds {type(from_file).__name__}, "
                "expected a JSON object such as {\"backend\": \"numpy\"}.")
        settings.update({k: v for k, v in from_file.items() if k in _DEFAULTS})
    if os.environ.get("HILAYERS_BACKEND"):
        settings["backend"] = os.environ["HILAYERS_BACKEND"]
    if os.environ.get("HILAYERS_FLOATX"):
        settings["floatx"] = os.environ["HILAYERS_FLOATX"]
    _check_floatx(settings["floatx"])
    _settings = settings
    return settings


def _check_floatx(value):
    if str(value) not in _FLOAT_TYPES:
        raise InvalidArgumentError(
            f"floatx must be one of {', '.join(_FLOAT_TYPES)}; received {value!r}.")


def floatx():
    """Return the default float type as a string, ``'float32'`` unless set."""
    return _load()["floatx"]


def set_floatx(value):
    """Set the default float type used for new constants, variables and placeholders.

    Args:
        value: ``'float16'``, ``'float32'`` or ``'float64'`` (or the NumPy dtype).

    Raises:
        InvalidArgumentError: for any other type.
    """
    value = np.dtype(value).name if not isinstance(value, str) else value
    _check_floatx(value)
    _load()["floatx"] = value


def epsilon():
    """Return the fuzz factor used to avoid division by zero (1e-7 unless set)."""
    return _load()["epsilon"]


def set_epsilon(value):
    """Set the fuzz factor returned by :func:`epsilon`."""
    _load()["epsilon"] = float(value)


def backend_name():
    """Return the name of the configured kernel implementation (``'numpy'`` or ``'cupy'``)."""
    return _load()["backend"]


def _set_backend_name(name):
    _load()["backend"] = name
