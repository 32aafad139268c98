"""Joining, splitting and enlarging arrays: concatenate, stack, split, tile, repeat, pad.

Example:
    >>> from hilayers import backend as K
    >>> a, b = K.placeholder((None, 2)), K.placeholder((None, 3))
    >>> K.concatenate([a, b], axis=-1).shape
    (None, 5)
"""
from .. import dtypes, shapes
from ..errors import InvalidArgumentError, ShapeError
from ..op import Op, convert_to_tensor

PAD_MODES = ("constant", "reflect", "symmetric")


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def _zeros_for(grads, outputs):
    """Replace missing output gradients by zeros of the output's shape."""
    from .elementwise import zeros_like
    return [g if g is not None else zeros_like(o) for g, o in zip(grads, outputs)]


class Concatenate(Op):
    """Join tensors of one rank along ``axis``; the other dims must agree."""

    props = ("axis",)

    def infer(self, *xs):
        first = xs[0]
        dtype = dtypes.same_dtype("Concatenate", *[x.dtype for x in xs])
        merged = list(first.shape)
        total = 0
        for i, x in enumerate(xs):
            if x.ndim != first.ndim or not all(
                    shapes.dims_compatible(d, e)
                    for k, (d, e) in enumerate(zip(merged, x.shape)) if k != self.axis):
                raise ShapeError(
                    f"Concatenate: input {i} ({x.name!r}) has shape {_fmt(x.shape)}, input 0 "
                    f"has shape {_fmt(first.shape)}; expected equal ranks and equal dims on "
                    f"every axis except the concatenation axis {self.axis}.")
            merged = [shapes.merge_dim(d, e) for d, e in zip(merged, x.shape)]
            total = None if total is None or x.shape[self.axis] is None else (
                total + x.shape[self.axis])
        merged[self.axis] = total
        return tuple(merged), dtype

    def grad(self, node, grads):
        parts = SplitLike(axis=self.axis)(grads[0], *node.inputs)
        return list(parts if isinstance(parts, (list, tuple)) else [parts])


class SplitLike(Op):
    """Split ``g`` along ``axis`` into pieces of the (run-time) sizes of ``likes``."""

    props = ("axis",)
    may_alias = True

    def infer(self, g, *likes):
        return [(like.shape, g.dtype) for like in likes]

    def grad(self, node, grads):
        g = concatenate(_zeros_for(grads, node.outputs), axis=self.axis)
        return [g] + [None] * (len(node.inputs) - 1)


class Stack(Op):
    """Join tensors of one shape along a new axis ``axis``."""

    props = ("axis",)

    def infer(self, *xs):
        if len({x.ndim for x in xs}) > 1:
            listed = ", ".join(_fmt(x.shape) for x in xs)
            raise ShapeError(f"Stack: inputs have shapes {listed}; expected equal shapes.")
        shape = list(shapes.check_same_shape("Stack", *[x.shape for x in xs]))
        shape.insert(self.axis, len(xs))
        return tuple(shape), dtypes.same_dtype("Stack", *[x.dtype for x in xs])

    def grad(self, node, grads):
        parts = Unstack(axis=self.axis, num=len(node.inputs))(grads[0])
        return list(parts if isinstance(parts, (list, tuple)) else [parts])


class Unstack(Op):
    """Split ``x`` into ``num`` tensors along ``axis``, removing that axis (stack's inverse)."""

    props = ("axis", "num")
    may_alias = True

    def infer(self, x):
        shape = tuple(d for i, d in enumerate(x.shape) if i != self.axis)
        return [(shape, x.dtype)] * self.num

    def grad(self, node, grads):
        return [Stack(axis=self.axis)(*_zeros_for(grads, node.outputs))]


class Split(Op):
    """Split ``x`` along ``axis`` into ``num`` equal pieces, or pieces of ``sizes`` (one of
    which may be -1: the rest)."""

    props = ("axis", "num", "sizes")
    may_alias = True

    def infer(self, x):
        dim = x.shape[self.axis]
        if self.sizes is None:
            if dim is not None and dim % self.num:
                raise ShapeError(f"Split: axis {self.axis} of input {x.name!r} (shape "
                                 f"{_fmt(x.shape)}) has size {dim}, which does not divide "
                                 f"into {self.num} equal pieces.")
            sizes = [None if dim is None else dim // self.num] * self.num
        else:
            known = sum(s for s in self.sizes if s != -1)
            if dim is not None and (known > dim if -1 in self.sizes else known != dim):
                raise ShapeError(f"Split: sizes {list(self.sizes)} do not add up to the size "
                                 f"{dim} of axis {self.axis} of input {x.name!r} (shape "
                                 f"{_fmt(x.shape)}).")
            rest = None if dim is None else dim - known
            sizes = [rest if s == -1 else s for s in self.sizes]
        return [(x.shape[:self.axis] + (s,) + x.shape[self.axis + 1:], x.dtype) for s in sizes]

    def grad(self, node, grads):
        return [concatenate(_zeros_for(grads, node.outputs), axis=self.axis)]


class Tile(Op):
    """Repeat the whole of ``x`` ``multiples[i]`` times along each axis ``i``."""

    props = ("multiples",)

    def infer(self, x):
        if len(self.multiples) != x.ndim:
            raise InvalidArgumentError(f"Tile: multiples {list(self.multiples)} has "
                                       f"{len(self.multiples)} entries for input {x.name!r} of "
                                       f"rank {x.ndim}; expected one per axis.")
        return tuple(None if d is None else d * m for d, m in zip(x.shape, self.multiples)), \
            x.dtype

    def grad(self, node, grads):
        return [TileGrad(multiples=self.multiples)(grads[0])]


class TileGrad(Op):
    """Sum the ``multiples`` copies of a tiled gradient (the adjoint of :class:`Tile`)."""

    props = ("multiples",)

    def infer(self, g):
        return tuple(None if d is None else d // m for d, m in zip(g.shape, self.multiples)), \
            g.dtype

    def grad(self, node, grads):
        return [Tile(multiples=self.multiples)(grads[0])]


class Repeat(Op):
    """Repeat each element of ``x`` ``repeats`` times along ``axis``."""

    props = ("repeats", "axis")

    def infer(self, x):
        d = x.shape[self.axis]
        shape = x.shape[:self.axis] + (None if d is None else d * self.repeats,) + \
            x.shape[self.axis + 1:]
        return shape, x.dtype

    def grad(self, node, grads):
        return [RepeatGrad(repeats=self.repeats, axis=self.axis)(grads[0])]


class RepeatGrad(Op):
    """Sum each group of ``repeats`` along ``axis`` (the adjoint of :class:`Repeat`)."""

    props = ("repeats", "axis")

    def infer(self, g):
        d = g.shape[self.axis]
        shape = g.shape[:self.axis] + (None if d is None else d // self.repeats,) + \
            g.shape[self.axis + 1:]
        return shape, g.dtype

    def grad(self, node, grads):
        return [Repeat(repeats=self.repeats, axis=self.axis)(grads[0])]


class Pad(Op):
    """Pad ``x`` by ``paddings[i] = (before, after)`` on each axis ``i``.

    ``constant`` fills with ``constant_values``; ``reflect`` mirrors without repeating the
    edge (needs ``before, after < dim``); ``symmetric`` mirrors with the edge (``<= dim``).
    """

    props = ("paddings", "mode", "constant_values")

    def infer(self, x):
        if len(self.paddings) != x.ndim:
            raise InvalidArgumentError(
                f"Pad: paddings {[list(p) for p in self.paddings]} has {len(self.paddings)} "
                f"pairs for input {x.name!r} of rank {x.ndim}; expected one (before, after) "
                "pair per axis.")
        limit = {"reflect": 1, "symmetric": 0}.get(self.mode)
        out = []
        for i, (d, (b, a)) in enumerate(zip(x.shape, self.paddings)):
            if limit is not None and d is not None and (b or a) and max(b, a) > d - limit:
                raise InvalidArgumentError(
                    f"Pad: mode {self.mode!r} pads axis {i} of input {x.name!r} (size {d}) by "
                    f"({b}, {a}); expected each padding <= {d - limit}.")
            out.append(None if d is None else d + b + a)
        return tuple(out), x.dtype

    def grad(self, node, grads):
        return [PadGrad(paddings=self.paddings, mode=self.mode)(grads[0])]


class PadGrad(Op):
    """The adjoint of :class:`Pad`: crop the centre and, for mirror modes, fold the padded
    borders back onto the elements they copy."""

    props = ("paddings", "mode")
    may_alias = True

    def infer(self, g):
        return tuple(None if d is None else d - b - a
                     for d, (b, a) in zip(g.shape, self.paddings)), g.dtype

    def grad(self, node, grads):
        return [Pad(paddings=self.paddings, mode=self.mode, constant_values=0)(grads[0])]



def _tensors(op_name, tensors):
    if isinstance(tensors, (str, bytes)) or not hasattr(tensors, "__len__"):
        raise InvalidArgumentError(f"{op_name}: expected a list of tensors; received "
                                   f"{tensors!r}.")
    if not len(tensors):
        raise InvalidArgumentError(f"{op_name}: expected at least one tensor; received none.")
    from ..op import convert_operands
    return convert_operands(op_name, list(tensors))


def concatenate(tensors, axis=-1, name=None):
    """Join tensors along an existing ``axis``; the other dims must be equal.

    Raises:
        ShapeError: naming ``Concatenate`` and the shapes when ranks or other dims differ.
        DTypeError: when the dtypes differ.
    """
    xs = _tensors("Concatenate", tensors)
    ndim = xs[0].ndim
    if ndim == 0:
        raise ShapeError("Concatenate: inputs are scalars; expected rank >= 1 (use stack()).")
    (axis,) = shapes.normalize_axis("Concatenate", axis, ndim)
    if len(xs) == 1:
        return xs[0]
    return Concatenate(axis=axis)(*xs, name=name)


def stack(tensors, axis=0, name=None):
    """Join tensors of one shape along a new axis ``axis`` (in ``[-rank - 1, rank]``).

    Raises:
        ShapeError: naming ``Stack`` when the shapes differ.
    """
    xs = _tensors("Stack", tensors)
    (axis,) = shapes.normalize_axis("Stack", axis, xs[0].ndim + 1)
    return Stack(axis=axis)(*xs, name=name)


def split(x, num_or_size_splits, axis=0, name=None):
    """Split ``x`` along ``axis``; returns a list of tensors.

    Args:
        num_or_size_splits: an int ``n`` (``n`` equal pieces; the size must divide) or a
            list of piece sizes, one of which may be -1 (whatever is left).

    Raises:
        ShapeError: naming ``Split`` when the sizes do not match the axis.
    """
    x = convert_to_tensor(x)
    (axis,) = shapes.normalize_axis("Split", axis, x.ndim)
    if isinstance(num_or_size_splits, int) or hasattr(num_or_size_splits, "__index__"):
        num, sizes = int(num_or_size_splits), None
        if num < 1:
            raise InvalidArgumentError(f"Split: num_or_size_splits={num}; expected >= 1.")
    else:
        sizes = tuple(int(s) for s in num_or_size_splits)
        num = len(sizes)
        if not sizes or any(s < -1 for s in sizes) or sizes.count(-1) > 1:
            raise InvalidArgumentError(f"Split: sizes {list(sizes)} must be non-negative ints, "
                                       "with at most one -1.")
    return list(Split(axis=axis, num=num, sizes=sizes)(x, name=name))


def tile(x, multiples, name=None):
    """Repeat all of ``x`` ``multiples[i]`` times along axis ``i`` (one entry per axis)."""
    x = convert_to_tensor(x)
    multiples = tuple(int(m) for m in ((multiples,) if isinstance(multiples, int)
                                        else multiples))
    if any(m < 1 for m in multiples):
        raise InvalidArgumentError(f"Tile: multiples {list(multiples)} must be >= 1.")
    return Tile(multiples=multiples)(x, name=name)


def repeat(x, repeats, axis, name=None):
    """Repeat each element of ``x`` ``repeats`` (an int >= 1) times along ``axis``."""
    x = convert_to_tensor(x)
    if not hasattr(repeats, "__index__") or int(repeats) < 1:
        raise InvalidArgumentError(f"Repeat: repeats must be an int >= 1; received {repeats!r}.")
    (axis,) = shapes.normalize_axis("Repeat", axis, x.ndim)
    return Repeat(repeats=int(repeats), axis=axis)(x, name=name)


def pad(x, paddings, mode="constant", constant_values=0, name=None):
    """Pad ``x`` with ``paddings``, one ``(before, after)`` pair of ints per axis.

    Args:
        mode: ``"constant"`` (fill with ``constant_values``), ``"reflect"`` (mirror, edge not
            repeated: ``[1, 2, 3]`` padded by 2 before gives ``[3, 2, 1, 2, 3]``) or
            ``"symmetric"`` (mirror with the edge: ``[2, 1, 1, 2, 3]``).

    Raises:
        InvalidArgumentError: naming ``Pad`` for a bad mode, pairs or mirror paddings wider
            than the axis.
    """
    x = convert_to_tensor(x)
    mode = str(mode).lower()
    if mode not in PAD_MODES:
        raise InvalidArgumentError(f"Pad: mode {mode!r} is unknown; expected one of "
                                   f"{', '.join(PAD_MODES)}.")
    try:
        paddings = tuple((int(b), int(a)) for b, a in paddings)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"Pad: paddings {paddings!r} must be (before, after) pairs "
                                   "of ints, one per axis.") from None
    if any(b < 0 or a < 0 for b, a in paddings):
        raise InvalidArgumentError(f"Pad: paddings {[list(p) for p in paddings]} must be >= 0.")
    value = x.dtype.type(constant_values).item() if mode == "constant" else 0
    return Pad(paddings=paddings, mode=mode, constant_values=value)(x, name=name)


__all__ = ["concatenate", "stack", "split", "tile", "repeat", "pad"]
