"""The op-specification table's row type and the generic checks that every row feeds.

A row (:class:`OpSpec`) names an op, how to build it from input tensors, a NumPy reference,
sample inputs, which inputs are differentiable and the error cases. The generic tests in
``test_op_table.py`` then check, for every row and sample:

* forward values against the reference (float32), output dtype and static shape;
* static shape inference when every input dim is unknown (``None``);
* gradients in float64 against central finite differences taken through the engine;
* optionally second derivatives (``grad2=True``) the same way;
* each error case raises its exception with its message.

Sample inputs: each argument is a shape tuple (standard-normal floats, or uniform in
``domain`` when given), a NumPy array used as is (integer indices, masks), or a callable
``rng -> array``.
"""
import dataclasses
from typing import Any, Callable, Optional, Sequence

import numpy as np


@dataclasses.dataclass
class ErrorCase:
    """``build()`` must raise ``error`` with a message matching the regex ``match``."""

    build: Callable[[], Any]
    error: type
    match: str


@dataclasses.dataclass
class OpSpec:
    name: str
    fn: Callable                 # (*tensors) -> tensor (or tuple of tensors)
    ref: Optional[Callable]      # (*arrays) -> array (or tuple); None: no value check
    samples: Sequence[Sequence]  # each: the arguments of one call
    grad: Any = True             # True (all float inputs), False, or a tuple of input indexes
    grad2: bool = False          # also check second derivatives
    domain: Optional[tuple] = None   # (low, high) for sampled floats
    rtol: float = 1e-5
    atol: float = 1e-6
    grad_tol: float = 1e-5       # tolerance of float64 gradient checks
    unknown_dims: bool = True    # whether the op builds when every input dim is None
    errors: Sequence[ErrorCase] = ()
    float_dtype_out: bool = True  # False for ops whose output is int/bool

    def __str__(self):
        return self.name


def make_inputs(spec, sample, dtype, rng):
    """Turn one sample's argument descriptions into arrays (floats get ``dtype``)."""
    arrays = []
    for arg in sample:
        if callable(arg):
            arr = np.asarray(arg(rng))
        elif isinstance(arg, np.ndarray):
            arr = arg
        else:
            shape = tuple(arg)
            if spec.domain is not None:
                arr = rng.uniform(spec.domain[0], spec.domain[1], size=shape)
            else:
                arr = rng.standard_normal(shape)
        if arr.dtype.kind == "f":
            arr = arr.astype(dtype)
        arrays.append(arr)
    return arrays


def as_tuple(value):
    return value if isinstance(value, (tuple, list)) else (value,)


def grad_indexes(spec, arrays):
    if spec.grad is False:
        return ()
    if spec.grad is True:
        return tuple(i for i, a in enumerate(arrays) if a.dtype.kind == "f")
    return tuple(spec.grad)


def numeric_grad(f, arrays, index, weights_fn, eps=1e-6, max_points=24, rng=None):
    """Central finite differences of ``sum(f(*arrays) * w)`` with respect to ``arrays[index]``
    at up to ``max_points`` positions; returns (positions, values)."""
    x = arrays[index]
    flat_positions = np.arange(x.size)
    if x.size > max_points:
        flat_positions = rng.choice(x.size, size=max_points, replace=False)
    values = []
    for pos in flat_positions:
        plus = [a.copy() for a in arrays]
        minus = [a.copy() for a in arrays]
        plus[index].reshape(-1)[pos] += eps
        minus[index].reshape(-1)[pos] -= eps
        values.append((weights_fn(f(plus)) - weights_fn(f(minus))) / (2 * eps))
    return flat_positions, np.array(values)
