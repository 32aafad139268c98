"""Layer weights in Keras' HDF5 layout: ``save_weights`` and ``load_weights``.

Weights are matched to layers as Keras matches them: by the order of the layers that have
weights (``by_name=False``, for the same architecture) or by layer name (``by_name=True``,
for models that share some layers). Inside one layer, weights go by order; when the last
parts of the saved and model weight names are the same set of unique names (``kernel``,
``bias``...), they go by those names instead. So every naming convention reads the same:
old Keras 2's ``dense_1/kernel:0``, tf.keras 2's ``dense/kernel:0`` and Keras 3's
``dense/kernel`` or ``sequential/dense/kernel``.

Every shape is checked before any weight changes, so a failed load leaves the model as it
was.

Example:
    >>> import os, tempfile
    >>> from hilayers import Sequential, layers
    >>> model = Sequential([layers.Dense(2, input_shape=(3,), name="out")])
    >>> path = os.path.join(tempfile.mkdtemp(), "w.h5")
    >>> save_weights(model, path)
    >>> other = Sequential([layers.Dense(2, input_shape=(3,), name="out")])
    >>> load_weights(other, path)
    >>> bool((other.get_weights()[0] == model.get_weights()[0]).all())
    True
"""
import os
import warnings

import h5py

from .. import __version__
from .atomic import atomic_path
from .errors import SavingError
from .hdf5_format import (BACKEND_NAME, child_group, read_name_list, weight_datasets,
                          write_arrays, write_name_list, write_text)
from .safety import H5PY_ERRORS, h5_message, open_checked, read_array

#: libver of the files hilayers writes: HDF5 1.10's format, whose metadata carries checksums
#: (so corruption is detected) and holds attributes of any size; readable by HDF5 >= 1.10.
LIBVER = ("v110", "v110")


def check_compression(compression):
    """``None``, ``'gzip'`` (level 4) or a gzip level 1-9, as an int level or None.

    Raises:
        ValueError: for anything else.
    """
    if compression is None or compression is False:
        return None
    if compression == "gzip" or compression is True:
        return 4
    if isinstance(compression, int) and 1 <= compression <= 9:
        return compression
    raise ValueError(f"compression must be None, 'gzip' or a gzip level 1-9; received "
                     f"{compression!r}.")


def _layer_arrays(layer):
    pairs, seen = [], set()
    for var in layer.weights:
        name = var.name if ":" in var.name else f"{var.name}:0"
        while name in seen:                     # never two datasets at one path
            name = f"{name}_"
        seen.add(name)
        pairs.append((name, var.get_value()))
    return pairs


def save_weights_to_group(group, layers, compression=None):
    """Write ``layers``' weights into an open h5py group in Keras' layout.

    Args:
        group: an h5py group open for writing.
        layers: the model's layers, in the model's order.
        compression: a gzip level or None.

    Raises:
        SavingError: when two layers have the same name.
    """
    names = [layer.name for layer in layers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SavingError(None, f"several layers are named {duplicates}; layer names must be "
                                "unique to be saved.", "save")
    write_name_list(group, "layer_names", names)
    write_text(group, "backend", BACKEND_NAME)
    write_text(group, "keras_version", __version__)
    for layer in sorted(layers, key=lambda l: l.name):
        write_arrays(group.create_group(layer.name), _layer_arrays(layer), compression)


def save_weights(model, filepath, overwrite=True, compression=None):
    """Write the model's weights to an HDF5 file, atomically.

    Args:
        model: a built model.
        filepath: the file (conventionally ``*.h5`` or ``*.weights.h5``).
        overwrite: when False, an existing file is an error.
        compression: None, ``'gzip'`` or a gzip level 1-9 for the weight datasets.

    Raises:
        FileExistsError: when the file exists and ``overwrite`` is False.
        SavingError: when layer names repeat.
    """
    level = check_compression(compression)
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists; pass overwrite=True to replace it.")
    try:
        with atomic_path(filepath) as tmp:
            with h5py.File(tmp, "w", libver=LIBVER) as handle:
                save_weights_to_group(handle, model.layers, level)
    except SavingError as exc:
        raise SavingError(filepath, exc.problem, "save") from None


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Set the model's weights from a file written by ``save_weights`` or ``save`` (here or
    by Keras).

    Args:
        model: a built model.
        filepath: the file.
        by_name: match layers by name instead of by order.
        skip_mismatch: warn and skip layers whose weight count or shapes differ, instead of
            raising.

    Raises:
        FileNotFoundError: when the file does not exist.
        SavingError: for a damaged file, or layers and shapes that do not match (naming the
            layers and shapes).
    """
    filepath = os.fspath(filepath)
    with open_checked(filepath) as handle:
        group = handle
        if "layer_names" not in handle.attrs and "layer_names0" not in handle.attrs \
                and "model_weights" in handle:
            group = child_group(handle, "model_weights", filepath, "group")
        load_weights_from_group(group, model, filepath, by_name, skip_mismatch)


def _model_layers(model, path):
    if not getattr(model, "built", False) or not model.weights and any(
            not l.built for l in model.layers):
        raise SavingError(path, f"model {model.name!r} is not built, so it has no weights to "
                                "set yet; call it on data or give it an input shape first.")
    return model.layers


def load_weights_from_group(group, model, path, by_name=False, skip_mismatch=False):
    """Set ``model``'s weights from an open group in Keras' layout (see the module
    docstring for how layers and weights are matched).

    Returns:
        dict: ``{variable: the name of the weight it was set from}`` (``weight_names``).

    Raises:
        SavingError: as :func:`load_weights`.
    """
    layers = _model_layers(model, path)
    if "layer_names" not in group.attrs and "layer_names0" not in group.attrs:
        raise SavingError(path, f"{group.name!r} has no 'layer_names' attribute; this is not "
                                "a weights file in Keras' HDF5 layout.")
    saved = []
    for name in read_name_list(group, "layer_names", path):
        layer_group = child_group(group, name, path, "layer")
        saved.append((name, weight_datasets(layer_group, path)))
    plan = []
    if by_name:
        by_layer_name = {}
        for layer in layers:
            by_layer_name.setdefault(layer.name, []).append(layer)
        for name, datasets in saved:
            for layer in by_layer_name.get(name, []):
                plan += _pair(layer, name, datasets, path, skip_mismatch)
    else:
        saved = [(name, datasets) for name, datasets in saved if datasets]
        weighted = [layer for layer in layers if layer.weights]
        if len(saved) != len(weighted):
            raise SavingError(path, f"the file has weights for {len(saved)} layers "
                                    f"{[n for n, _ in saved]}, but model {model.name!r} has "
                                    f"{len(weighted)} layers with weights "
                                    f"{[l.name for l in weighted]}. Load into the same "
                                    "architecture, or pass by_name=True.")
        for (name, datasets), layer in zip(saved, weighted):
            plan += _pair(layer, name, datasets, path, skip_mismatch)
    values = [(var, read_array(dset, path, f"weight {dset.name!r}")) for var, dset, _ in plan]
    for var, value in values:
        try:
            var.set_value(value)
        except (ValueError, TypeError) as exc:
            raise SavingError(path, f"weight {var.name!r} cannot take the saved value: "
                                    f"{exc}") from None
    return {var: name for var, _, name in plan}


def _key(name):
    return name.rsplit("/", 1)[-1].split(":", 1)[0]


def _ordered(variables, datasets):
    """The datasets in the variables' order: by last name part when both sides have the
    same unique names, else as saved."""
    var_keys = [_key(v.name) for v in variables]
    saved_keys = [_key(n) for n, _ in datasets]
    if len(set(var_keys)) == len(var_keys) and sorted(var_keys) == sorted(saved_keys):
        by_key = dict(zip(saved_keys, datasets))
        return [by_key[k] for k in var_keys]
    return list(datasets)


def _fmt_weights(items):
    return ", ".join(f"{name} {tuple(shape)}" for name, shape in items) or "none"


def _pair(layer, saved_name, datasets, path, skip_mismatch):
    """``[(variable, dataset)]`` for one layer, after checking counts and shapes."""
    variables = layer.weights
    where = f"layer {layer.name!r} ({type(layer).__name__})"
    if saved_name != layer.name:
        where += f", saved as layer {saved_name!r}"
    problem = None
    if len(variables) != len(datasets):
        problem = (f"{where} has {len(variables)} weights "
                   f"[{_fmt_weights((v.name, v.shape) for v in variables)}], but the file has "
                   f"{len(datasets)} [{_fmt_weights((n, d.shape) for n, d in datasets)}].")
    else:
        datasets = _ordered(variables, datasets)
        for var, (name, dset) in zip(variables, datasets):
            if tuple(var.shape) != tuple(dset.shape):
                problem = (f"{where}: weight {var.name!r} has shape {tuple(var.shape)} in the "
                           f"model, but the file's {name!r} has shape {tuple(dset.shape)}.")
                break
            if dset.dtype.kind not in "biuf":
                problem = f"{where}: the file's weight {name!r} has dtype {dset.dtype}."
                break
    if problem is None:
        return [(var, dset, name) for var, (name, dset) in zip(variables, datasets)]
    if skip_mismatch:
        warnings.warn(f"Skipping {problem} (file {path!r})", UserWarning, stacklevel=4)
        return []
    raise SavingError(path, problem + " Pass skip_mismatch=True to skip such layers.")


def describe_h5_error(path, exc):
    """A :class:`SavingError` for an h5py error met while reading ``path``."""
    return SavingError(path, f"HDF5 cannot read it ({h5_message(exc)}); the file is "
                             "corrupted or truncated.")


__all__ = ["save_weights", "load_weights", "save_weights_to_group", "load_weights_from_group",
           "check_compression", "H5PY_ERRORS"]
