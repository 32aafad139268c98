"""Static-shape helpers. A static shape is a tuple of ints and ``None`` (unknown)."""
from .errors import InvalidArgumentError, ShapeError


def as_shape(shape):
    """Normalise ``shape`` (None, an int, or an iterable of ints/None) to a tuple."""
    if shape is None:
        raise InvalidArgumentError("A shape is required; received None.")
    if isinstance(shape, int):
        return (shape,)
    out = []
    for dim in shape:
        if dim is None:
            out.append(None)
        elif isinstance(dim, (int,)) or hasattr(dim, "__index__"):
            dim = int(dim)
            if dim < 0:
                raise InvalidArgumentError(f"Shape {tuple(shape)} has a negative dimension.")
            out.append(dim)
        else:
            raise InvalidArgumentError(
                f"Shape {tuple(shape)!r} holds {dim!r}; expected ints or None for unknown.")
    return tuple(out)


def is_fully_defined(shape):
    return all(d is not None for d in shape)


def num_elements(shape):
    """Product of the dims, or None if one is unknown."""
    total = 1
    for d in shape:
        if d is None:
            return None
        total *= d
    return total


def broadcast_shapes(op_name, *shapes):
    """NumPy broadcasting over static shapes with unknown dims.

    A ``None`` dim broadcast against 1 stays ``None``; against a known n it becomes n (the run
    checks the value). Known dims that differ and are not 1 are an error at build time.

    Raises:
        ShapeError: naming the op and all shapes.
    """
    ndim = max(len(s) for s in shapes)
    result = []
    for axis in range(ndim):
        dims = [s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            listed = ", ".join(str(s) for s in shapes)
            raise ShapeError(
                f"{op_name}: shapes {listed} cannot be broadcast together (axis {axis - ndim} "
                f"has sizes {sorted(known)}); expected equal sizes or 1 on every axis.")
        if known:
            result.append(known.pop())
        elif any(d is None for d in dims):
            result.append(None)
        else:
            result.append(1)
    return tuple(result)


def normalize_axis(op_name, axis, ndim, allow_none=False):
    """Return ``axis`` as a sorted tuple of non-negative ints for a rank-``ndim`` input.

    Args:
        axis: an int, a tuple/list of ints (negative counts from the end), or None (all axes,
            when ``allow_none``).

    Raises:
        InvalidArgumentError: naming the op when an axis is out of range or repeated.
    """
    if axis is None:
        if allow_none:
            return tuple(range(ndim))
        raise InvalidArgumentError(f"{op_name}: axis must be given; received None.")
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise InvalidArgumentError(
                f"{op_name}: axis {a} is out of range for an input of rank {ndim}; expected "
                f"an axis in [{-ndim}, {ndim - 1}].")
        a = a % ndim if ndim else 0
        if a in out:
            raise InvalidArgumentError(f"{op_name}: axis {a} is repeated in {axis!r}.")
        out.append(a)
    return tuple(sorted(out))


def merge_dim(a, b):
    """Combine two dims known to be equal: the known one wins."""
    return a if a is not None else b


def dims_compatible(a, b):
    return a is None or b is None or a == b


def shapes_compatible(a, b):
    return len(a) == len(b) and all(dims_compatible(x, y) for x, y in zip(a, b))


def check_same_shape(op_name, *shapes):
    """Raise unless all shapes are equal up to unknown dims; return the merged shape."""
    first = shapes[0]
    for other in shapes[1:]:
        if not shapes_compatible(first, other):
            raise ShapeError(
                f"{op_name}: inputs have shapes {', '.join(map(str, shapes))}; expected equal "
                "shapes.")
        first = tuple(merge_dim(x, y) for x, y in zip(first, other))
    return first
