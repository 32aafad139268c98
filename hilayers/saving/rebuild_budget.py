"""While a model is rebuilt from a file: a bound on the memory its weights may take.

A config read from a file names layer sizes. Without a bound, a damaged or hostile one
(``"units": 1000000000``) would make a layer allocate far more memory than the file could
ever fill, before any weight is read. :func:`weight_budget` wraps ``Layer.add_weight``
while :func:`hilayers.saving.load_model` rebuilds the model: weights beyond the budget (the
bytes the file's weight datasets declare, plus a small allowance) are a
:class:`SavingError` naming the layer, raised before the weight is allocated.

Example:
    >>> from hilayers import layers
    >>> with weight_budget(1000, "model.h5"):
    ...     try:
    ...         layers.Dense(10_000, name="wide").build((None, 100))
    ...     except SavingError as err:
    ...         print(err.problem[:58])
    its model_config makes layer 'wide' create weight 'kernel'
"""
import contextlib
import inspect
import math
import threading

import h5py
import numpy as np

from ..layers.base import Layer
from .errors import SavingError
from .safety import H5PY_ERRORS, h5_message


class _Budget:
    """Bytes of weights a model rebuilt from a file may still create."""

    def __init__(self, limit, path):
        self.left, self.limit, self.path = limit, limit, path

    def spend(self, layer, name, shape, dtype):
        try:
            size = math.prod(int(d) for d in shape) * np.dtype(dtype or layer.dtype).itemsize
        except (TypeError, ValueError, OverflowError):
            return                     # add_weight itself reports the bad shape
        self.left -= max(size, 0)
        if self.left < 0:
            raise SavingError(self.path, f"its model_config makes layer {layer.name!r} create "
                                         f"weight {name!r} of shape {tuple(shape)}, beyond "
                                         f"the {self.limit} bytes the file's weights hold; "
                                         "the config does not match the weights.")


_GUARD = {"lock": threading.Lock(), "depth": 0, "original": None}
_LOCAL = threading.local()


@contextlib.contextmanager
def weight_budget(limit, path):
    """While the block rebuilds a model from a file, refuse weights beyond ``limit`` bytes
    in total, and create them filled with zeros.

    A config from a file names layer sizes; without this, a damaged or hostile one could
    make a layer allocate far more memory than the file could ever fill. And every weight
    of a model rebuilt by :func:`load_model` is then set from the file (it refuses a file
    that lacks any), so drawing random initial values would be wasted time (a quarter of
    loading a 10-million-parameter model) and would move the initializers' random
    generator. ``Layer.add_weight`` is wrapped for the duration (the wrapper only acts in
    the thread that set a budget).

    Raises:
        SavingError: from inside the block, naming the layer and weight over budget.
    """
    with _GUARD["lock"]:
        if _GUARD["depth"] == 0:
            original = Layer.add_weight
            signature = inspect.signature(original)

            def add_weight(self, *args, **kwargs):
                budget = getattr(_LOCAL, "budget", None)
                if budget is not None:
                    try:
                        bound = dict(signature.bind(self, *args, **kwargs).arguments)
                    except TypeError:
                        bound = None           # the real add_weight reports it
                    if bound is not None:
                        budget.spend(self, bound.get("name"), bound.get("shape", ()),
                                     bound.get("dtype"))
                        kwargs = {k: v for k, v in bound.items() if k != "self"}
                        kwargs["initializer"] = "zeros"
                        return original(self, **kwargs)
                return original(self, *args, **kwargs)

            _GUARD["original"] = original
            Layer.add_weight = add_weight
        _GUARD["depth"] += 1
    previous = getattr(_LOCAL, "budget", None)
    _LOCAL.budget = _Budget(limit, path)
    try:
        yield
    finally:
        _LOCAL.budget = previous
        with _GUARD["lock"]:
            _GUARD["depth"] -= 1
            if _GUARD["depth"] == 0:
                Layer.add_weight = _GUARD["original"]


def declared_bytes(group, path):
    """The bytes the datasets under ``group`` declare (their shapes times item sizes).

    Raises:
        SavingError: when the group cannot be walked.
    """
    total = []

    def add(_, obj):
        if isinstance(obj, h5py.Dataset):
            total.append(math.prod(obj.shape or ()) * obj.dtype.itemsize)
    try:
        group.visititems(add)
    except H5PY_ERRORS as exc:
        raise SavingError(path, f"its weights cannot be listed ({h5_message(exc)}).") from None
    return sum(total)


__all__ = ["weight_budget", "declared_bytes"]
