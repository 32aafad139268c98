"""Ways to damage an HDF5 file, for the fuzz test (test_fuzz_files.py).

Each mutation takes the bytes or an open h5py file of a good file and a NumPy generator,
changes it the way a disk, a network, a careless tool or an attacker might, and returns a
short description (for the failure message). Byte mutations work on the raw file;
structural ones use h5py on a copy, so the result is a valid HDF5 file with a wrong
content: edited attributes, edited JSON configs, datasets of other shapes and dtypes,
missing or extra objects.
"""
import json

import h5py
import numpy as np

# -- raw bytes ---------------------------------------------------------------------------------


def truncate(data, rng):
    cut = int(rng.integers(0, len(data)))
    return data[:cut], f"truncated to {cut} of {len(data)} bytes"


def flip_bits(data, rng):
    out = bytearray(data)
    count = int(rng.integers(1, 9))
    where = rng.integers(0, len(out), count)
    for i in where:
        out[i] ^= 1 << int(rng.integers(0, 8))
    return bytes(out), f"{count} bits flipped at {sorted(int(i) for i in where)}"


def overwrite_block(data, rng):
    out = bytearray(data)
    size = int(rng.integers(1, 65))
    start = int(rng.integers(0, max(1, len(out) - size)))
    fill = rng.choice(["zeros", "ones", "random"])
    block = {"zeros": bytes(size), "ones": b"\xff" * size,
             "random": rng.integers(0, 256, size, dtype=np.uint8).tobytes()}[fill]
    out[start:start + size] = block[:len(out) - start]
    return bytes(out), f"{size} bytes of {fill} written at {start}"


BYTE_MUTATIONS = [truncate, flip_bits, overwrite_block]

# -- structure (h5py on a copy) ----------------------------------------------------------------


def _objects(handle):
    found = [("/", handle)]
    handle.visititems(lambda name, obj: found.append((name, obj)))
    return found


def _attributes(handle):
    return [(name, obj, key) for name, obj in _objects(handle) for key in obj.attrs]


def _datasets(handle):
    return [(name, obj) for name, obj in _objects(handle) if isinstance(obj, h5py.Dataset)]


STRANGE_VALUES = [None, True, -1, 0, 2**40, 1e308, float("nan"), "", "x" * 300, [], {},
                  [[[[[]]]]], {"class_name": None}, {"class_name": "Dense", "config": 5},
                  ["dense", 0, 0], [None, -5], {"units": -3}, "Sequential", "Functional",
                  "Lambda", "__lambda__", {"class_name": "__lambda__", "config": {}},
                  [1] * 40, {"config": {"layers": "many"}}]


def _mutate_json(value, rng, depth=0):
    """A copy of a JSON value with one node replaced, deleted or duplicated."""
    if isinstance(value, dict) and value and (depth < 12 and rng.random() < 0.8):
        key = list(value)[int(rng.integers(0, len(value)))]
        out = dict(value)
        action = rng.random()
        if action < 0.15:
            del out[key]
        elif action < 0.3:
            out[key] = STRANGE_VALUES[int(rng.integers(0, len(STRANGE_VALUES)))]
        else:
            out[key] = _mutate_json(value[key], rng, depth + 1)
        return out
    if isinstance(value, list) and value and (depth < 12 and rng.random() < 0.8):
        index = int(rng.integers(0, len(value)))
        out = list(value)
        action = rng.random()
        if action < 0.15:
            del out[index]
        elif action < 0.25:
            out.insert(index, out[index])
        else:
            out[index] = _mutate_json(value[index], rng, depth + 1)
        return out
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)) and rng.random() < 0.7:
        return [0, -1, 1, 3, 10**9, 2**63, -(2**31), 0.5][int(rng.integers(0, 8))]
    if isinstance(value, str) and rng.random() < 0.7:
        return [value[:-1], value + "_x", value.upper(), "", "dense", "relu", "float16",
                "int32", "Adam", "no_such_thing"][int(rng.integers(0, 10))]
    return STRANGE_VALUES[int(rng.integers(0, len(STRANGE_VALUES)))]


def edit_json_attribute(handle, rng):
    """Change one node of a JSON attribute (model_config, training_config, state...)."""
    candidates = []
    for name, obj, key in _attributes(handle):
        raw = obj.attrs[key]
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        if isinstance(text, str) and text[:1] in "{[":
            candidates.append((name, obj, key, text))
    if not candidates:
        return edit_attribute(handle, rng)
    name, obj, key, text = candidates[int(rng.integers(0, len(candidates)))]
    edited = json.dumps(_mutate_json(json.loads(text), rng))
    obj.attrs[key] = edited.encode()
    return f"JSON attribute {key!r} of {name!r} edited"


def edit_attribute(handle, rng):
    """Replace, delete or retype one attribute."""
    name, obj, key = _pick(_attributes(handle), rng)
    choice = int(rng.integers(0, 9))
    if choice == 0:
        del obj.attrs[key]
        return f"attribute {key!r} of {name!r} deleted"
    value = [b"", b"\xff\xfe not utf-8", b"{not json", np.arange(5), np.float64(3.5),
             np.array([b"a", b"b"] * 3), np.array([[b"x"]]), np.zeros((0,), "S1")][choice - 1]
    obj.attrs[key] = value
    return f"attribute {key!r} of {name!r} set to {value!r:.40}"


def edit_name_list(handle, rng):
    """Reorder, drop, duplicate or invent names in a layer_names / weight_names list."""
    lists = [(name, obj, key) for name, obj, key in _attributes(handle)
             if key.endswith("_names") or key[:-1].endswith("_names")]
    if not lists:
        return edit_attribute(handle, rng)
    name, obj, key = _pick(lists, rng)
    names = list(np.atleast_1d(obj.attrs[key]))
    action = int(rng.integers(0, 5))
    if action == 0 and len(names) > 1:
        names = [names[i] for i in rng.permutation(len(names))]
    elif action == 1 and names:
        del names[int(rng.integers(0, len(names)))]
    elif action == 2 and names:
        names.append(names[int(rng.integers(0, len(names)))])
    elif action == 3:
        names.append(b"no_such_layer")
    else:
        names.append(b"../../etc/passwd")
    obj.attrs[key] = np.array([n if isinstance(n, bytes) else str(n).encode() for n in names])
    return f"names {key!r} of {name!r}: change {action}"


def edit_dataset(handle, rng):
    """Give one dataset another shape or dtype, make it a group, or delete it."""
    name, dset = _pick(_datasets(handle), rng)
    parent, base = dset.parent, name.rsplit("/", 1)[-1]
    shape = tuple(dset.shape)
    del handle[name]
    choice = int(rng.integers(0, 8))
    if choice == 0:
        return f"dataset {name!r} deleted"
    if choice == 1:
        parent.create_group(base)
        return f"dataset {name!r} replaced by a group"
    if choice == 2:
        new = tuple(int(d) + int(rng.integers(-1, 3)) for d in shape) or (2,)
        parent.create_dataset(base, data=np.ones([max(d, 0) for d in new], "float32"))
        return f"dataset {name!r} reshaped from {shape} to {new}"
    if choice == 3:
        parent.create_dataset(base, shape=(10**5,) + shape, dtype="float32",
                              chunks=(1,) + tuple(max(1, d) for d in shape))
        return f"dataset {name!r} declared of shape {(10**5,) + shape}, unwritten"
    if choice == 4:
        parent.create_dataset(base, data=np.array([b"text"] * max(1, int(np.prod(shape)))))
        return f"dataset {name!r} made of strings"
    if choice == 5:
        parent.create_dataset(base, data=np.ones(shape, "float64"))
        return f"dataset {name!r} made float64"
    if choice == 6:
        parent.create_dataset(base, data=np.ones(shape, "int8"))
        return f"dataset {name!r} made int8"
    parent.create_dataset(base, data=np.full(shape, np.nan, "float32"))
    return f"dataset {name!r} filled with NaN"


def add_or_remove_group(handle, rng):
    """Delete a group, or add an unexpected one."""
    groups = [(n, o) for n, o in _objects(handle) if isinstance(o, h5py.Group) and n != "/"]
    if groups and rng.random() < 0.5:
        name, _ = _pick(groups, rng)
        del handle[name]
        return f"group {name!r} deleted"
    target = handle if not groups else _pick(groups, rng)[1]
    target.create_group("unexpected").attrs["weight_names"] = np.array([b"w:0"])
    return f"group 'unexpected' added to {target.name!r}"


STRUCTURE_MUTATIONS = [edit_json_attribute, edit_json_attribute, edit_attribute,
                       edit_name_list, edit_dataset, edit_dataset, add_or_remove_group]


def _pick(items, rng):
    return items[int(rng.integers(0, len(items)))]
