"""Keras' HDF5 layout: attributes, long name lists, JSON attributes and weight groups.

The layout (written by ``model.save`` and read by ``load_model``)::

    /                      attrs: model_config (JSON), training_config (JSON, when compiled),
                                  keras_version, backend ("hilayers")
    /model_weights         attrs: layer_names, keras_version, backend
    /model_weights/<layer> attrs: weight_names; one dataset per weight, at the weight's
                                  name (``dense/kernel:0`` makes subgroup ``dense``)
    /optimizer_weights     attrs: weight_names; one dataset per optimizer variable

``save_weights`` writes the ``model_weights`` part at the root of its own file. A list of
names too long for one HDF5 object header (64,512 bytes) is split as Keras splits it:
``layer_names0``, ``layer_names1``... with the items in order.

Example:
    >>> import h5py, io
    >>> with h5py.File(io.BytesIO(), "w") as f:
    ...     write_name_list(f, "names", ["a", "b"])
    ...     read_name_list(f, "names", "memory.h5")
    ['a', 'b']
"""
import json
import math

import h5py
import numpy as np

from .errors import SavingError
from .memory_ceiling import memory_ceiling
from .safety import H5PY_ERRORS, h5_message

#: The most bytes Keras puts in one attribute before splitting a list.
HEADER_LIMIT = 64512
#: What ``backend`` says in files hilayers writes.
BACKEND_NAME = "hilayers"
#: Bytes beyond four times the file's size that reading a variable-length string may take.
_VARIABLE_LENGTH_ALLOWANCE = 64 << 20


# -- writing -----------------------------------------------------------------------------------
def write_text(obj, name, text):
    """Store ``text`` as a fixed-length UTF-8 byte-string attribute.

    Keras writes variable-length strings, which HDF5 keeps in a separate "global heap";
    every Keras reads fixed-length ones the same way (as bytes to decode). Files without a
    global heap need no heap check when loaded (:mod:`hilayers.saving.global_heap`).
    """
    obj.attrs[name] = np.bytes_(text.encode("utf-8"))


def to_json(value):
    """``value`` as JSON text; NumPy numbers and arrays become plain numbers and lists."""
    return json.dumps(value, default=json_default)


def json_default(value):
    """``json.dumps``' ``default``: NumPy values as plain ones; anything else is an error."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"Cannot store {value!r} (a {type(value).__name__}) in a JSON config; "
                    "get_config() must return plain JSON values.")


def write_name_list(obj, name, names):
    """Store a list of strings as ``name``, or as ``name0``, ``name1``... when the list is
    longer than one object header holds (Keras' rule).

    Raises:
        SavingError: when a single name is longer than the limit.
    """
    encoded = [n.encode("utf-8") for n in names]
    too_long = [n for n in encoded if len(n) > HEADER_LIMIT]
    if too_long:
        raise SavingError(None, f"the name {too_long[0][:80]!r}... is longer than "
                                f"{HEADER_LIMIT} bytes, which HDF5 cannot store.", "save")
    array = np.array(encoded, dtype="S") if encoded else np.zeros((0,), dtype="S1")
    parts = 1
    while math.ceil(len(array) / parts) * array.dtype.itemsize > HEADER_LIMIT:
        parts += 1
    if parts == 1:
        obj.attrs[name] = array
        return
    for index, chunk in enumerate(np.array_split(array, parts)):
        obj.attrs[f"{name}{index}"] = chunk


def write_arrays(group, named_arrays, compression=None):
    """Write ``(name, array)`` pairs as datasets of ``group`` and list them in its
    ``weight_names`` attribute. ``compression`` is None or a gzip level 1-9 (with the
    shuffle filter); scalars and empty arrays are never compressed."""
    write_name_list(group, "weight_names", [n for n, _ in named_arrays])
    for name, value in named_arrays:
        value = np.asarray(value)          # h5py copies non-contiguous arrays itself
        options = {}
        if compression and value.ndim and value.size:
            options = {"compression": "gzip", "compression_opts": int(compression),
                       "shuffle": True}
        group.create_dataset(name, data=value, **options)


# -- reading -----------------------------------------------------------------------------------
def read_attr(obj, name, path):
    """The raw value of attribute ``name`` of ``obj``, or None when it is absent.

    A variable-length string is read under a memory ceiling of a few times the file's size
    (:mod:`hilayers.saving.memory_ceiling`): a damaged one cannot make HDF5 allocate more.

    Raises:
        SavingError: when HDF5 cannot read it.
    """
    try:
        if name not in obj.attrs:
            return None
        string = h5py.check_string_dtype(obj.attrs.get_id(name).dtype)
        if string is None or string.length is not None:
            return obj.attrs[name]
        with memory_ceiling(_VARIABLE_LENGTH_ALLOWANCE + 4 * obj.file.id.get_filesize()):
            return obj.attrs[name]
    except (*H5PY_ERRORS, MemoryError) as exc:
        raise SavingError(path, f"attribute {name!r} of {obj.name!r} cannot be read "
                                f"({h5_message(exc)}).") from None


def _as_text(value, name, obj, path):
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bytes, np.bytes_)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise SavingError(path, f"attribute {name!r} of {obj.name!r} is not valid UTF-8 "
                                    "text.") from None
    if isinstance(value, str):
        return str(value)
    raise SavingError(path, f"attribute {name!r} of {obj.name!r} should be text; found "
                            f"{_describe(value)}.")


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def read_text(obj, name, path, required=True):
    """Attribute ``name`` as a string (stored as bytes or as a string).

    Raises:
        SavingError: when it is missing (and ``required``) or not text.
    """
    value = read_attr(obj, name, path)
    if value is None:
        if required:
            raise SavingError(path, f"{obj.name!r} has no {name!r} attribute; this is not a "
                                    "file in Keras' HDF5 layout.")
        return None
    return _as_text(value, name, obj, path)


def read_json(obj, name, path, required=True):
    """Attribute ``name`` parsed as JSON (None when absent and not ``required``).

    Raises:
        SavingError: when it is missing, not text, or not valid JSON.
    """
    text = read_text(obj, name, path, required)
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SavingError(path, f"attribute {name!r} is not valid JSON ({exc}).") from None


def read_name_list(obj, name, path):
    """A list of strings stored by :func:`write_name_list` (or split by Keras); an absent
    attribute gives an empty list.

    Raises:
        SavingError: when an item is not text.
    """
    value = read_attr(obj, name, path)
    if value is None:
        parts, index = [], 0
        while True:
            part = read_attr(obj, f"{name}{index}", path)
            if part is None:
                break
            parts.append(part)
            index += 1
        if not parts:
            return []
        value = parts
    else:
        value = [value]
    names = []
    for part in value:
        array = np.asarray(part) if not isinstance(part, (str, bytes)) else np.asarray([part])
        if array.ndim != 1:
            if array.size == 0:
                continue
            array = array.reshape(-1)
        if array.size == 0:
            continue
        if array.dtype.kind not in "SUO":
            raise SavingError(path, f"attribute {name!r} of {obj.name!r} should list names; "
                                    f"found {_describe(array)}.")
        names += [_as_text(item, name, obj, path) for item in array]
    return names


def weight_datasets(group, path):
    """The ``(name, dataset)`` pairs listed by ``group``'s ``weight_names``, in order.

    Raises:
        SavingError: when a listed weight is missing or is not a dataset.
    """
    out = []
    for name in read_name_list(group, "weight_names", path):
        try:
            obj = group.get(name)
        except H5PY_ERRORS as exc:
            raise SavingError(path, f"weight {name!r} of {group.name!r} cannot be opened "
                                    f"({h5_message(exc)}).") from None
        if obj is None:
            raise SavingError(path, f"{group.name!r} lists weight {name!r}, but the file has "
                                    "no dataset there.")
        if not hasattr(obj, "shape") or not hasattr(obj, "dtype") or hasattr(obj, "keys"):
            raise SavingError(path, f"weight {name!r} of {group.name!r} is not a dataset.")
        out.append((name, obj))
    return out


def child_group(parent, name, path, what):
    """``parent[name]`` when it is a group.

    Raises:
        SavingError: naming ``what`` when it is missing or not a group.
    """
    try:
        obj = parent.get(name)
    except H5PY_ERRORS as exc:
        raise SavingError(path, f"{what} {name!r} cannot be opened ({h5_message(exc)}).") \
            from None
    if obj is None or not hasattr(obj, "keys"):
        raise SavingError(path, f"the file lists {what} {name!r} but has no group "
                                f"{parent.name.rstrip('/')}/{name}.")
    return obj
