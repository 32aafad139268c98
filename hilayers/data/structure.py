"""Elements and their specs: nested tuples / dicts of NumPy arrays, and :class:`TensorSpec`.

An element is a *leaf* (a NumPy array; Python scalars and lists become arrays) or a
*structure*: a tuple (namedtuples included) or a dict of elements. Dicts are walked in sorted
key order, so two dicts with the same keys line up whatever order they were written in.

An element's spec has the same structure with a :class:`TensorSpec` at each leaf: its shape
(``None`` for a dimension that varies between elements, or ``shape=None`` for an unknown rank)
and its dtype.

Example:
    >>> import numpy as np
    >>> element = {"image": np.zeros((2, 3), np.float32), "label": 7}
    >>> spec_of(normalize(element))
    {'image': TensorSpec(shape=(2, 3), dtype=float32), 'label': TensorSpec(shape=(), dtype=int64)}
"""
import numpy as np


class TensorSpec:
    """The shape and dtype of one leaf of an element.

    Args:
        shape: a tuple of ints and ``None`` (a dimension that may vary), or ``None`` for an
            unknown rank.
        dtype: anything ``np.dtype`` accepts (default float32). String dtypes keep their kind
            only (``np.str_``), not a width.
        name: an optional label, kept for display only.

    Raises:
        ValueError: for a negative or non-integer dimension.

    Example:
        >>> spec = TensorSpec((None, 3), "float32")
        >>> spec
        TensorSpec(shape=(None, 3), dtype=float32)
        >>> spec.is_compatible_with(np.zeros((5, 3), np.float32))
        True
        >>> spec.is_compatible_with(np.zeros((5, 4), np.float32))
        False
    """

    __slots__ = ("shape", "dtype", "name")

    def __init__(self, shape, dtype=np.float32, name=None):
        if shape is not None:
            dims = []
            for d in tuple(shape):
                if d is not None and (isinstance(d, bool) or not hasattr(d, "__index__")
                                      or int(d) < 0):
                    raise ValueError(f"TensorSpec: dimensions must be non-negative ints or "
                                     f"None; received shape {tuple(shape)!r}.")
                dims.append(None if d is None else int(d))
            shape = tuple(dims)
        self.shape = shape
        self.dtype = _spec_dtype(dtype)
        self.name = name

    @classmethod
    def from_value(cls, value):
        """The spec of one array (its exact shape and dtype)."""
        value = np.asarray(value)
        return cls(value.shape, value.dtype)

    @property
    def rank(self):
        """The number of dimensions, or None when unknown."""
        return None if self.shape is None else len(self.shape)

    def is_compatible_with(self, other):
        """True when ``other`` (a spec or an array) could be described by this spec."""
        if not isinstance(other, TensorSpec):
            other = TensorSpec.from_value(other)
        if not _same_dtype(self.dtype, other.dtype):
            return False
        if self.shape is None or other.shape is None:
            return True
        return len(self.shape) == len(other.shape) and all(
            a is None or b is None or a == b for a, b in zip(self.shape, other.shape))

    def most_specific_common(self, other):
        """The narrowest spec that describes both (dims that differ become None).

        Raises:
            TypeError: when the dtypes differ.
        """
        if not _same_dtype(self.dtype, other.dtype):
            raise TypeError(f"dtypes differ: {self.dtype} and {other.dtype}.")
        if self.shape is None or other.shape is None or len(self.shape) != len(other.shape):
            return TensorSpec(None, self.dtype)
        return TensorSpec([a if a == b else None for a, b in zip(self.shape, other.shape)],
                          self.dtype)

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and self.shape == other.shape
                and self.dtype == other.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def __repr__(self):
        return f"TensorSpec(shape={format_shape(self.shape)}, dtype={self.dtype.name})"


def format_shape(shape):
    """``(None, 3)`` as text; ``<unknown>`` for an unknown rank."""
    if shape is None:
        return "<unknown>"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def _spec_dtype(dtype):
    dtype = np.dtype(dtype)
    return np.dtype(dtype.kind) if dtype.kind in "US" else dtype


def _same_dtype(a, b):
    return a == b or (a.kind in "US" and a.kind == b.kind)


# -- walking structures --------------------------------------------------------------------------
def is_structure(value):
    """True for the containers that make up elements: tuples and dicts."""
    return isinstance(value, (tuple, dict))


def _rebuild(template, items):
    if isinstance(template, dict):
        return type(template)(items)
    return type(template)(*items) if hasattr(template, "_fields") else type(template)(items)


def flatten(structure):
    """The leaves of ``structure`` in order (dicts by sorted key).

    Example:
        >>> flatten(({"b": 2, "a": 1}, 3))
        [1, 2, 3]
    """
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, tuple):
        leaves = []
        for item in structure:
            if isinstance(item, (tuple, dict)):
                leaves.extend(flatten(item))
            else:
                leaves.append(item)
        return leaves
    return [structure]


def packer(template):
    """A function that rebuilds ``template``'s structure from a list of leaves, quickly.

    The pipeline packs every element the same way, so the layout is worked out once here.
    """
    if not isinstance(template, (tuple, dict)):
        return lambda leaves: leaves[0]
    if type(template) is tuple and not any(isinstance(i, (tuple, dict)) for i in template):
        return tuple
    return lambda leaves: pack_like(template, leaves)


def pack_like(template, leaves):
    """Rebuild ``template``'s structure around ``leaves`` (in :func:`flatten` order).

    Raises:
        ValueError: when the number of leaves differs from the template's.
    """
    leaves = list(leaves)
    position = [0]

    def build(node):
        if isinstance(node, dict):
            built = {key: build(node[key]) for key in sorted(node)}
            return _rebuild(node, [(key, built[key]) for key in node])
        if isinstance(node, tuple):
            return _rebuild(node, [build(item) for item in node])
        position[0] += 1
        return leaves[position[0] - 1]
    count = len(flatten(template))
    if count != len(leaves):
        raise ValueError(f"The structure has {count} leaves; received {len(leaves)} values.")
    return build(template)


def map_structure(fn, *structures):
    """Apply ``fn`` leaf by leaf over structures of the same shape, keeping the first's layout.

    Raises:
        ValueError: when the structures differ (naming where).

    Example:
        >>> map_structure(lambda a, b: a + b, (1, {"x": 2}), (10, {"x": 20}))
        (11, {'x': 22})
    """
    first = structures[0]
    for other in structures[1:]:
        assert_same_structure(first, other)
    return _map(fn, structures)


def _map(fn, structures):
    first = structures[0]
    if isinstance(first, dict):
        return _rebuild(first, [(k, _map(fn, [s[k] for s in structures])) for k in first])
    if isinstance(first, tuple):
        return _rebuild(first, [_map(fn, items) for items in zip(*structures)])
    return fn(*structures)


def assert_same_structure(a, b, path="element"):
    """Raise when ``a`` and ``b`` do not nest the same way (leaves may differ).

    Raises:
        ValueError: naming the first place where they differ.
    """
    if type(a) is tuple and type(b) is tuple and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):      # the common case, kept fast
            if isinstance(x, (tuple, dict)) or isinstance(y, (tuple, dict)):
                assert_same_structure(x, y, f"{path}[{i}]")
        return
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or set(a) != set(b):
            raise ValueError(f"Structures differ at {path}: {describe(a)} vs {describe(b)}.")
        for key in a:
            assert_same_structure(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, tuple) or isinstance(b, tuple):
        if not (isinstance(a, tuple) and isinstance(b, tuple)) or len(a) != len(b):
            raise ValueError(f"Structures differ at {path}: {describe(a)} vs {describe(b)}.")
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_structure(x, y, f"{path}[{i}]")


def describe(structure):
    """A short text naming a structure's layout (``tuple of 2``, ``dict with keys [...]``)."""
    if isinstance(structure, dict):
        return f"a dict with keys {sorted(structure)}"
    if isinstance(structure, tuple):
        return f"a {type(structure).__name__} of {len(structure)}"
    if isinstance(structure, TensorSpec):
        return repr(structure)
    return "a single array"


# -- turning user values into elements ----------------------------------------------------------
def to_array(value, what="element"):
    """One leaf as a NumPy array (Python scalars become 0-d arrays).

    Raises:
        TypeError: for values NumPy stores as objects (None, ragged lists, arbitrary objects).
    """
    if isinstance(value, np.ndarray):
        array = value
    else:
        try:
            array = np.asarray(value)
        except ValueError as exc:   # NumPy refuses ragged nested lists
            raise TypeError(f"{what}: could not make an array from {type(value).__name__} "
                            f"({exc}). Pad ragged data, or yield one array per element from "
                            "Dataset.from_generator.") from exc
    if array.dtype.kind == "O":
        raise TypeError(f"{what}: leaves must be numbers, booleans or strings; received "
                        f"{type(value).__name__} (NumPy would store it as an object array).")
    return array


def normalize(value, what="element"):
    """``value`` as an element: tuples and dicts kept, leaves (lists too) made NumPy arrays.

    Args:
        value: a leaf or a nest of tuples / dicts of leaves.
        what: how to name ``value`` in error messages.

    Raises:
        TypeError: for a leaf that is not numeric, boolean or string data.
    """
    if type(value) is np.ndarray and value.dtype.kind != "O":
        return value
    if type(value) is tuple and all(type(v) is np.ndarray and v.dtype.kind != "O"
                                    for v in value):
        return value
    if isinstance(value, dict):
        return _rebuild(value, [(k, normalize(v, f"{what}[{k!r}]")) for k, v in value.items()])
    if isinstance(value, tuple):
        return _rebuild(value, [normalize(v, f"{what}[{i}]") for i, v in enumerate(value)])
    return to_array(value, what)


def spec_of(element):
    """The spec of an element: the same structure with a :class:`TensorSpec` per leaf."""
    return map_structure(TensorSpec.from_value, element)


def common_spec(a, b):
    """The narrowest spec describing elements of spec ``a`` and of spec ``b``.

    Raises:
        ValueError: when the structures differ.
        TypeError: when a leaf's dtypes differ.
    """
    assert_same_structure(a, b)
    return map_structure(lambda x, y: x.most_specific_common(y), a, b)


def batched_spec(spec, batch_size):
    """Each leaf's spec with a leading dimension of ``batch_size`` (None when it varies)."""
    return map_structure(lambda s: TensorSpec(None if s.shape is None else
                                              (batch_size,) + s.shape, s.dtype), spec)


def unbatched_spec(spec):
    """Each leaf's spec without its leading dimension.

    Raises:
        ValueError: when a leaf is a scalar (there is nothing to unbatch).
    """
    def drop(s):
        if s.shape is not None and len(s.shape) == 0:
            raise ValueError(f"unbatch() needs every leaf to have at least one dimension; "
                             f"received a scalar leaf {s!r}.")
        return TensorSpec(None if s.shape is None else s.shape[1:], s.dtype)
    return map_structure(drop, spec)


def check_against_spec(value, spec, what):
    """Convert ``value`` to an element matching ``spec`` (casting within a dtype kind).

    Lists are read as tuples where ``spec`` has a tuple. Used for ``from_generator``.

    Raises:
        TypeError: for a structure, dtype or shape that does not fit ``spec``.
    """
    if isinstance(spec, dict):
        if not isinstance(value, dict) or set(value) != set(spec):
            raise TypeError(f"{what} should be {describe(spec)}; received {describe(value)}.")
        return _rebuild(spec, [(k, check_against_spec(value[k], spec[k], f"{what}[{k!r}]"))
                               for k in spec])
    if isinstance(spec, tuple):
        if not isinstance(value, (tuple, list)) or len(value) != len(spec):
            shown = f"a list of {len(value)}" if isinstance(value, list) else describe(value)
            raise TypeError(f"{what} should be {describe(spec)}; received {shown}.")
        return _rebuild(spec, [check_against_spec(v, s, f"{what}[{i}]")
                               for i, (v, s) in enumerate(zip(value, spec))])
    if is_structure(value):
        raise TypeError(f"{what} should be a single array ({spec!r}); received "
                        f"{describe(value)}.")
    array = to_array(value, what)
    if not _same_dtype(array.dtype, spec.dtype):
        if not np.can_cast(array.dtype, spec.dtype, "same_kind"):
            raise TypeError(f"{what} has dtype {array.dtype}; the output_signature declares "
                            f"{spec.dtype} ({spec!r}).")
        try:
            array = array.astype(spec.dtype)
        except ValueError as exc:
            raise TypeError(f"{what} could not be converted to {spec.dtype} ({spec!r}): "
                            f"{exc}") from exc
    if not spec.is_compatible_with(TensorSpec(array.shape, spec.dtype)):
        raise TypeError(f"{what} has shape {format_shape(array.shape)}; the output_signature "
                        f"declares {format_shape(spec.shape)}.")
    return array
