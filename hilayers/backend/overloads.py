"""Operator overloading on :class:`Tensor`: ``+ - * / @ **``, unary ``-``, comparisons, ``[]``.

Each operator builds the same node as the named function (``a + b`` is ``add(a, b)``).
``==`` and ``!=`` stay Python identity comparisons, as in TensorFlow 1.x, so tensors can be
dict keys and set members; use :func:`equal` / :func:`not_equal` for elementwise tests.
"""
from .graph import Tensor


def _api():
    from .. import backend
    return backend


def _binary(fname, reflected=False):
    def method(self, other):
        fn = getattr(_api(), fname)
        return fn(other, self) if reflected else fn(self, other)
    method.__name__ = fname
    return method


_BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
    "matmul": "matmul", "pow": "power",
}
_COMPARE = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal"}
_LOGICAL = {"and": "logical_and", "or": "logical_or", "xor": "logical_xor"}


def install():
    """Attach the operators to :class:`Tensor` (done once, on import of the backend)."""
    for dunder, fname in {**_BINARY, **_LOGICAL}.items():
        setattr(Tensor, f"__{dunder}__", _binary(fname))
        setattr(Tensor, f"__r{dunder}__", _binary(fname, reflected=True))
    for dunder, fname in _COMPARE.items():
        setattr(Tensor, f"__{dunder}__", _binary(fname))
    Tensor.__neg__ = lambda self: _api().negative(self)
    Tensor.__pos__ = lambda self: self
    Tensor.__abs__ = lambda self: _api().abs(self)
    Tensor.__invert__ = lambda self: _api().logical_not(self)
    Tensor.__getitem__ = lambda self, key: _api().getitem(self, key)
