"""Dtype helpers shared by ops: normalisation, kinds, and the result type of two inputs."""
import numpy as np

from . import config
from .errors import DTypeError


def as_dtype(dtype):
    """Return a NumPy dtype for ``dtype`` (a name, a NumPy dtype or ``None`` for floatx).

    Raises:
        DTypeError: when ``dtype`` is not a dtype NumPy knows.
    """
    if dtype is None:
        return np.dtype(config.floatx())
    try:
        return np.dtype(dtype)
    except TypeError as exc:
        raise DTypeError(f"{dtype!r} is not a dtype; expected a name such as 'float32'.") from exc


def is_floating(dtype):
    return np.dtype(dtype).kind == "f"


def is_integer(dtype):
    return np.dtype(dtype).kind in "iu"


def is_bool(dtype):
    return np.dtype(dtype).kind == "b"


def same_dtype(op_name, *dtypes):
    """Return the common dtype of inputs that must agree, or raise naming the op.

    hilayers does not promote silently (float32 + float64 is an error, as in TensorFlow): an
    upcast would double memory and time without the user noticing. Python scalars never reach
    here; they take the other operand's dtype when converted.
    """
    first = np.dtype(dtypes[0])
    for other in dtypes[1:]:
        if np.dtype(other) != first:
            names = ", ".join(np.dtype(d).name for d in dtypes)
            raise DTypeError(
                f"{op_name}: inputs have dtypes ({names}); expected one dtype for all inputs. "
                f"Use cast() to convert one of them.")
    return first
