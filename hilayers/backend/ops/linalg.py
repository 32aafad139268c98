"""Linear algebra: ``matmul`` (the ``@`` operator), ``tensordot`` and ``transpose``.

``matmul`` follows NumPy's ``matmul``: the last two axes are the matrices, the leading axes
are batch axes and broadcast against each other.

Example:
    >>> from hilayers import backend as K
    >>> a = K.placeholder((None, 2, 3))
    >>> b = K.placeholder((3, 4))
    >>> (a @ b).shape
    (None, 2, 4)
"""
from .. import dtypes, shapes
from ..autodiff import sum_to
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ..op import Op, convert_operands, convert_to_tensor


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def _check_numeric(op_name, *tensors):
    for t in tensors:
        if t.dtype.kind not in "iuf":
            raise DTypeError(f"{op_name}: input {t.name!r} has dtype {t.dtype.name}; expected "
                             "a number type.")
    return dtypes.same_dtype(op_name, *[t.dtype for t in tensors])


class MatMul(Op):
    """``c = op(a) @ op(b)`` with ``op`` a transpose of the last two axes when asked.

    Both inputs have rank >= 2; leading (batch) axes broadcast.
    """

    props = ("transpose_a", "transpose_b")

    def infer(self, a, b):
        dtype = _check_numeric("MatMul", a, b)
        for t, label in ((a, "a"), (b, "b")):
            if t.ndim < 2:
                raise ShapeError(f"MatMul: {label} has shape {_fmt(t.shape)}; expected rank "
                                 ">= 2 (use matmul() for 1-D operands).")
        ia, ib = (-2 if self.transpose_a else -1), (-1 if self.transpose_b else -2)
        if not shapes.dims_compatible(a.shape[ia], b.shape[ib]):
            raise ShapeError(
                f"MatMul: inner dimensions differ: a has shape {_fmt(a.shape)}, b has shape "
                f"{_fmt(b.shape)}; expected a.shape[{ia}] == b.shape[{ib}] "
                f"({a.shape[ia]} != {b.shape[ib]})"
                + (f" (transpose_a={self.transpose_a}, transpose_b={self.transpose_b})."
                   if self.transpose_a or self.transpose_b else "."))
        m = a.shape[-1] if self.transpose_a else a.shape[-2]
        n = b.shape[-2] if self.transpose_b else b.shape[-1]
        try:
            batch = shapes.broadcast_shapes("MatMul", a.shape[:-2], b.shape[:-2])
        except ShapeError:
            raise ShapeError(
                f"MatMul: batch dimensions do not broadcast: a has shape {_fmt(a.shape)}, b has "
                f"shape {_fmt(b.shape)}; expected the leading axes {_fmt(a.shape[:-2])} and "
                f"{_fmt(b.shape[:-2])} to be equal or 1.") from None
        return batch + (m, n), dtype

    def grad(self, node, grads):
        a, b = node.inputs
        g = grads[0]
        ta, tb = self.transpose_a, self.transpose_b
        if not ta and not tb:
            ga, gb = _mm(g, b, tb=True), _mm(a, g, ta=True)
        elif ta and not tb:
            ga, gb = _mm(b, g, tb=True), _mm(a, g)
        elif not ta and tb:
            ga, gb = _mm(g, b), _mm(g, a, ta=True)
        else:
            ga, gb = _mm(b, g, ta=True, tb=True), _mm(g, a, ta=True, tb=True)
        return [sum_to(ga, a), sum_to(gb, b)]


def _mm(a, b, ta=False, tb=False):
    return MatMul(transpose_a=ta, transpose_b=tb)(a, b)


class TensorDot(Op):
    """``tensordot(a, b, (axes_a, axes_b))``: sum over paired axes; the result's axes are
    ``a``'s free axes then ``b``'s, each in their order."""

    props = ("axes_a", "axes_b")

    def infer(self, a, b):
        dtype = _check_numeric("TensorDot", a, b)
        for i, j in zip(self.axes_a, self.axes_b):
            if not shapes.dims_compatible(a.shape[i], b.shape[j]):
                raise ShapeError(
                    f"TensorDot: contracted dimensions differ: a has shape {_fmt(a.shape)}, b "
                    f"has shape {_fmt(b.shape)}; expected a.shape[{i}] == b.shape[{j}] "
                    f"({a.shape[i]} != {b.shape[j]}).")
        free_a = tuple(d for i, d in enumerate(a.shape) if i not in self.axes_a)
        free_b = tuple(d for j, d in enumerate(b.shape) if j not in self.axes_b)
        return free_a + free_b, dtype

    def grad(self, node, grads):
        a, b = node.inputs
        g = grads[0]
        free_a = [i for i in range(a.ndim) if i not in self.axes_a]
        free_b = [j for j in range(b.ndim) if j not in self.axes_b]
        na = len(free_a)
        pairs = list(zip(self.axes_a, self.axes_b))
        # dA: contract g's b-part with b's free axes -> axes free_a + (a axes paired with
        # b's contracted axes, in b's order).
        ga = TensorDot(axes_a=tuple(range(na, na + len(free_b))), axes_b=tuple(free_b))(g, b)
        order_a = free_a + [i for i, j in sorted(pairs, key=lambda p: p[1])]
        # dB: contract a's free axes with g's a-part -> (b axes paired with a's contracted
        # axes, in a's order) + free_b.
        gb = TensorDot(axes_a=tuple(free_a), axes_b=tuple(range(na)))(a, g)
        order_b = [j for i, j in sorted(pairs, key=lambda p: p[0])] + free_b
        return [_undo_order(ga, order_a), _undo_order(gb, order_b)]


def _undo_order(t, order):
    """``t``'s axis ``k`` is axis ``order[k]`` of the target; transpose back to it."""
    perm = tuple(order.index(p) for p in range(len(order)))
    return t if perm == tuple(range(len(perm))) else Transpose(perm=perm)(t)


class Transpose(Op):
    """``y = x.transpose(perm)``: axis ``i`` of ``y`` is axis ``perm[i]`` of ``x``."""

    props = ("perm",)
    may_alias = True

    def infer(self, x):
        if len(self.perm) != x.ndim:
            raise InvalidArgumentError(f"Transpose: perm {self.perm} has {len(self.perm)} "
                                       f"entries for input {x.name!r} of rank {x.ndim}.")
        return tuple(x.shape[p] for p in self.perm), x.dtype

    def grad(self, node, grads):
        inverse = [0] * len(self.perm)
        for i, p in enumerate(self.perm):
            inverse[p] = i
        return [Transpose(perm=tuple(inverse))(grads[0])]


def matmul(a, b, transpose_a=False, transpose_b=False, name=None):
    """Matrix product ``op(a) @ op(b)`` with NumPy ``matmul`` semantics (also ``a @ b``).

    Inputs of rank >= 2 are stacks of matrices in the last two axes; the leading batch axes
    broadcast (``(5, 1, 2, 3) @ (4, 3, 6) -> (5, 4, 2, 6)``). A 1-D ``a`` is a row vector
    and a 1-D ``b`` a column vector; the added axis is removed from the result, as in NumPy.
    ``transpose_a`` / ``transpose_b`` swap the last two axes of an operand (without a copy)
    and are only valid for operands of rank >= 2.

    Raises:
        ShapeError: naming ``MatMul``, both shapes and the inner dims when they differ, or when
            the batch axes do not broadcast.
        DTypeError: when the dtypes differ.
    """
    a, b = convert_operands("MatMul", [a, b])
    for t, flag, label in ((a, transpose_a, "a"), (b, transpose_b, "b")):
        if t.ndim == 0:
            raise ShapeError(f"MatMul: {label} is a scalar; expected rank >= 1. Use multiply() "
                             "for scalars.")
        if t.ndim == 1 and flag:
            raise InvalidArgumentError(f"MatMul: transpose_{label}=True needs {label} of rank "
                                       f">= 2; received shape {_fmt(t.shape)}.")
    if a.ndim >= 2 and b.ndim >= 2:
        return MatMul(transpose_a=bool(transpose_a), transpose_b=bool(transpose_b))(
            a, b, name=name)
    from .arrays import expand_dims, squeeze
    vec_a, vec_b = a.ndim == 1, b.ndim == 1
    a2 = expand_dims(a, 0) if vec_a else a
    b2 = expand_dims(b, -1) if vec_b else b
    out = MatMul(transpose_a=bool(transpose_a), transpose_b=bool(transpose_b))(a2, b2)
    drop = ((-2,) if vec_a else ()) + ((-1,) if vec_b else ())
    return squeeze(out, axis=drop, name=name)


def tensordot(a, b, axes=2, name=None):
    """Sum of products over paired axes of ``a`` and ``b`` (NumPy's ``tensordot``).

    Args:
        axes: an int ``N`` (the last ``N`` axes of ``a`` with the first ``N`` of ``b``), or a
            pair ``(axes_a, axes_b)`` of ints or equally long lists of ints (negative counts
            from the end).

    Returns:
        A tensor with ``a``'s free axes followed by ``b``'s.

    Raises:
        ShapeError: naming ``TensorDot`` when paired dims differ.
        InvalidArgumentError: for axes out of range, repeated or of unequal counts.
    """
    a, b = convert_operands("TensorDot", [a, b])
    if not isinstance(axes, (list, tuple)):
        n = int(axes)
        if not 0 <= n <= min(a.ndim, b.ndim):
            raise InvalidArgumentError(
                f"TensorDot: axes={n} for inputs of rank {a.ndim} and {b.ndim}; expected an "
                f"int in [0, {min(a.ndim, b.ndim)}].")
        axes_a, axes_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        try:
            axes_a, axes_b = axes
        except (TypeError, ValueError):
            raise InvalidArgumentError(f"TensorDot: axes {axes!r} must be an int or a pair of "
                                       "lists of axes.") from None
        axes_a = [axes_a] if isinstance(axes_a, int) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, int) else list(axes_b)
        if len(axes_a) != len(axes_b):
            raise InvalidArgumentError(f"TensorDot: axes {axes!r} pair {len(axes_a)} axes of a "
                                       f"with {len(axes_b)} axes of b; expected equal counts.")
    axes_a = _axes_in_order("TensorDot", axes_a, a.ndim)
    axes_b = _axes_in_order("TensorDot", axes_b, b.ndim)
    return TensorDot(axes_a=axes_a, axes_b=axes_b)(a, b, name=name)


def _axes_in_order(op_name, axes, ndim):
    """Normalise axes to non-negative ints, keeping their order (pairs matter)."""
    out = []
    for ax in axes:
        (a,) = shapes.normalize_axis(op_name, int(ax), ndim)
        if a in out:
            raise InvalidArgumentError(f"{op_name}: axis {ax} is repeated in {list(axes)}.")
        out.append(a)
    return tuple(out)


def transpose(x, perm=None, name=None):
    """Permute the axes of ``x``: axis ``i`` of the result is axis ``perm[i]`` of ``x``.

    Args:
        perm: a permutation of ``range(x.ndim)`` (negative entries count from the end);
            None reverses the axes.

    Raises:
        InvalidArgumentError: naming ``Transpose`` when ``perm`` is not a permutation.
    """
    x = convert_to_tensor(x)
    if perm is None:
        perm = tuple(range(x.ndim))[::-1]
    perm = tuple(int(p) for p in perm)
    if len(perm) != x.ndim or sorted(p % x.ndim if x.ndim else p for p in perm) != list(
            range(x.ndim)) or any(not -x.ndim <= p < x.ndim for p in perm):
        raise InvalidArgumentError(f"Transpose: perm {perm} is not a permutation of the "
                                   f"{x.ndim} axes of input {x.name!r} (shape {x.shape}).")
    perm = tuple(p % x.ndim for p in perm)
    if perm == tuple(range(x.ndim)):
        from .elementwise import identity
        return identity(x, name=name)
    return Transpose(perm=perm)(x, name=name)


__all__ = ["matmul", "tensordot", "transpose"]
