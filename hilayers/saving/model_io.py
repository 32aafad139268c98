"""Whole models in one HDF5 file: ``save_model`` / ``load_model``, and configs as JSON.

A saved model holds its architecture (``model_config``), its weights, its training
configuration (``training_config``: optimizer config, loss, metrics, loss weights) and the
optimizer's state (``optimizer_weights``), in Keras' HDF5 layout
(:mod:`hilayers.saving.hdf5_format`). Loading a file written by hilayers gives a model that
predicts exactly what the saved one did; compiled, it continues training exactly where the
saved one stopped (on NumPy, bit for bit).

Loading never runs code from the file: no pickle, no marshalled functions, no eval. Classes
and functions are looked up by name among hilayers' own, those registered with
:func:`hilayers.utils.registry.register_custom_object`, and ``custom_objects``. The file is
checked (:mod:`hilayers.saving.safety`) before any array is read, and while the model is
rebuilt its weights may not ask for more memory than the file's weights hold
(:mod:`hilayers.saving.rebuild_budget`).

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> from hilayers import Sequential, layers
    >>> model = Sequential([layers.Dense(2, input_shape=(3,))])
    >>> model.compile("sgd", "mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "model.h5")
    >>> save_model(model, path)
    >>> loaded = load_model(path)
    >>> x = np.ones((1, 3), "float32")
    >>> bool((loaded.predict(x) == model.predict(x)).all()), type(loaded.optimizer).__name__
    (True, 'SGD')
"""
import contextlib
import inspect
import json
import os
import warnings

import h5py
import numpy as np

from .. import __version__
from ..layers.base import LAYERS
from .atomic import atomic_path
from .errors import SavingError
from .hdf5_format import (BACKEND_NAME, child_group, json_default, read_json, read_text,
                          to_json, weight_datasets, write_arrays, write_text)
from .keras_compat import (keras_model_config, normalize_compile_args,
                           normalize_model_config, normalize_optimizer_config)
from .keras_optimizer import restore_keras_optimizer
from .rebuild_budget import declared_bytes, weight_budget
from .safety import open_checked, read_array
from .weights import LIBVER, check_compression, load_weights_from_group, save_weights_to_group

#: The ways a constructor or ``from_config`` refuses a value it was given: a config read
#: from a file can hold any JSON value in any place, and each of these is how a class says
#: so. They become a :class:`SavingError` naming the file.
CONFIG_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError, ArithmeticError,
                 RecursionError, NotImplementedError)
_BUDGET_SLACK = 16 << 20
_SIGNATURE_ATTR = "hilayers_target_signature"


# -- saving ------------------------------------------------------------------------------------
def model_config_of(model):
    """``{"class_name", "config"}`` of a model, as Keras 2 writes it.

    Raises:
        NotImplementedError: for a subclassed model without ``get_config``.
    """
    from ..models import Model
    class_name = type(model).__name__
    if type(model) is Model and getattr(model, "_is_graph_network", False):
        class_name = "Functional"
    return keras_model_config({"class_name": class_name, "config": model.get_config()})


def _serialize_spec(value, what):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_spec(v, what) for v in value]
    if isinstance(value, dict):
        return {str(k): _serialize_spec(v, what) for k, v in value.items()}
    if hasattr(value, "get_config"):
        return {"class_name": type(value).__name__, "config": value.get_config()}
    name = getattr(value, "__name__", None)
    if callable(value) and name and name != "<lambda>":
        return name
    raise SavingError(None, f"the {what} {value!r} has no name to store. Use a named function "
                            "(registered with register_custom_object to load it back), or "
                            "save with include_optimizer=False.", "save")


def training_config_of(model):
    """The ``training_config`` dict of a compiled model (Keras' keys), or None."""
    if not getattr(model, "compiled", False) or model.optimizer is None:
        return None
    args = model._compile_args
    optimizer = model.optimizer
    # None options are left out: Keras 2's optimizers refuse some of them (weight_decay).
    optimizer_config = {k: v for k, v in optimizer.get_config().items() if v is not None}
    return {"loss": _canonical_loss(_serialize_spec(args.get("loss"), "loss")),
            "metrics": _serialize_spec(args.get("metrics"), "metric"),
            "weighted_metrics": _serialize_spec(args.get("weighted_metrics"), "metric"),
            "loss_weights": _serialize_spec(args.get("loss_weights"), "loss weight"),
            "optimizer_config": {"class_name": type(optimizer).__name__,
                                 "config": optimizer_config}}


def _canonical_loss(spec):
    """Loss aliases as their functions' full names ('mse' -> 'mean_squared_error'): Keras 3
    does not read the aliases back from an HDF5 file."""
    from .. import losses
    if isinstance(spec, list):
        return [_canonical_loss(s) for s in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _canonical_loss(v) for k, v in spec.items()}
    if isinstance(spec, str):
        try:
            found = losses.get(spec)
        except ValueError:
            return spec
        name = getattr(found, "__name__", None)
        return name if callable(found) and isinstance(name, str) and name in \
            losses.LOSSES.names() else spec
    return spec


def _target_signature(model):
    """The target signature the training function (and so the optimizer state) was built
    for: ``[[ndim, dtype], ...]`` per output, or None."""
    for key in getattr(model, "_functions", {}):
        if isinstance(key, tuple):
            return [[int(ndim), str(dtype)] for ndim, dtype in key]
    return None


def _optimizer_arrays(optimizer):
    pairs, seen = [], set()
    for var in optimizer.variables():
        name = var.name if ":" in var.name else f"{var.name}:0"
        while name in seen:
            name = f"{name}_"
        seen.add(name)
        pairs.append((name, var.get_value()))
    return pairs


def save_model(model, filepath, overwrite=True, include_optimizer=True, compression=None):
    """Save architecture, weights, training configuration and optimizer state to one HDF5
    file in Keras' layout. The file is written beside the target, flushed, then renamed over
    it: a crash leaves the previous file intact.

    Args:
        model: a functional or Sequential model (or a subclass with ``get_config``).
        filepath: the ``.h5`` file.
        overwrite: when False, an existing file is an error.
        include_optimizer: also save the training configuration and optimizer state.
        compression: None, ``'gzip'`` or a gzip level 1-9 for the weight datasets.

    Raises:
        FileExistsError: when the file exists and ``overwrite`` is False.
        ValueError: for a ``.keras`` path (Keras 3's zip format) or a bad ``compression``.
        SavingError: when the model cannot be described (a subclass without
            ``get_config``, a loss without a name, repeated layer names).
    """
    filepath = os.fspath(filepath)
    level = check_compression(compression)
    if filepath.endswith(".keras"):
        raise ValueError(f"{filepath!r}: .keras is Keras 3's zip format; hilayers writes "
                         "Keras' HDF5 layout. Use a .h5 file name.")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath!r} exists; pass overwrite=True to replace it.")
    try:
        try:
            model_config = to_json(model_config_of(model))
        except NotImplementedError as exc:
            raise SavingError(None, f"{exc} Save its weights with save_weights() instead.",
                              "save") from None
        training = to_json(training_config_of(model)) if include_optimizer else "null"
        with atomic_path(filepath) as tmp:
            with h5py.File(tmp, "w", libver=LIBVER) as handle:
                write_text(handle, "model_config", model_config)
                write_text(handle, "keras_version", __version__)
                write_text(handle, "backend", BACKEND_NAME)
                if training != "null":
                    write_text(handle, "training_config", training)
                save_weights_to_group(handle.create_group("model_weights"), model.layers,
                                      level)
                if training != "null" and model.optimizer.variables():
                    group = handle.create_group("optimizer_weights")
                    write_arrays(group, _optimizer_arrays(model.optimizer), level)
                    signature = _target_signature(model)
                    if signature is not None:
                        write_text(group, _SIGNATURE_ATTR, to_json(signature))
    except SavingError as exc:
        raise SavingError(filepath, exc.problem, "save") from None


def model_to_json(model, **kwargs):
    """The model's architecture as a JSON string (``json.dumps`` ``kwargs`` apply)."""
    config = dict(model_config_of(model), keras_version=__version__, backend=BACKEND_NAME)
    return json.dumps(config, default=json_default, **kwargs)


# -- rebuilding --------------------------------------------------------------------------------
def _build(config, custom_objects, path, budget=None):
    from ..models import Model
    try:
        normalized = normalize_model_config(config, custom_objects, path)
        cls = LAYERS.lookup(normalized["class_name"], custom_objects)
    except SavingError:
        raise
    except CONFIG_ERRORS as exc:
        raise SavingError(path, f"its model_config cannot be read ({type(exc).__name__}: "
                                f"{exc})") from None
    if not isinstance(cls, type) or not issubclass(cls, Model):
        raise SavingError(path, f"its model_config describes a {normalized['class_name']!r}, "
                                "which is not a model class.")
    takes_custom = "custom_objects" in inspect.signature(cls.from_config).parameters
    kwargs = {"custom_objects": custom_objects} if takes_custom else {}
    guard = weight_budget(budget, path) if budget is not None else contextlib.nullcontext()
    try:
        with guard:
            model = cls.from_config(normalized["config"], **kwargs)
    except SavingError:
        raise
    except CONFIG_ERRORS as exc:
        raise SavingError(path, f"its model_config cannot be rebuilt "
                                f"({type(exc).__name__}: {exc})") from None
    if not isinstance(model, Model):
        raise SavingError(path, f"its model_config gives a {type(model).__name__}, not a "
                                "model.")
    return model


def model_from_config(config, custom_objects=None):
    """Build a model from ``{"class_name", "config"}`` (hilayers' or any Keras').

    Args:
        config: the dict (``json.loads(model.to_json())`` or a file's ``model_config``).
        custom_objects: dict of extra classes and functions by name.

    Returns:
        The model, with freshly initialised weights.

    Raises:
        SavingError: for a config that cannot be rebuilt, naming the problem.

    Example:
        >>> from hilayers import Sequential, layers
        >>> model = Sequential([layers.Dense(2, input_shape=(3,))])
        >>> copy = model_from_config({"class_name": "Sequential",
        ...                           "config": model.get_config()})
        >>> copy.output_shape
        (None, 2)
    """
    return _build(config, custom_objects, None)


def model_from_json(json_string, custom_objects=None):
    """Build a model from :meth:`Model.to_json`'s output (or Keras').

    Raises:
        SavingError: for text that is not JSON or a config that cannot be rebuilt.

    Example:
        >>> from hilayers import Sequential, layers
        >>> text = Sequential([layers.Dense(2, input_shape=(3,))]).to_json()
        >>> model_from_json(text).output_shape
        (None, 2)
    """
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError, RecursionError) as exc:
        raise SavingError(None, f"the text is not valid JSON ({exc}).") from None
    return _build(config, custom_objects, None)


# -- loading -----------------------------------------------------------------------------------
def load_model(filepath, custom_objects=None, compile=True):  # noqa: A002 (Keras' name)
    """Load a model saved by :func:`save_model`, or by Keras 2, tf.keras or Keras 3 (their
    HDF5 writers), for the layers both libraries have.

    Args:
        filepath: the ``.h5`` file.
        custom_objects: dict of classes and functions by name (custom layers, losses,
            activations; a Lambda layer's function under the layer's name).
        compile: compile the model with the saved training configuration and restore the
            optimizer state (of a Keras file too, for optimizers of Keras 2.11+ and Keras 3:
            see :mod:`hilayers.saving.keras_optimizer`; other Keras state is not read, with
            a warning, and the model starts with a fresh optimizer).

    Returns:
        The model.

    Raises:
        FileNotFoundError: when the file does not exist.
        SavingError: for a damaged, truncated or non-HDF5 file, a file of another layout,
            links to other files, shapes larger than the file, a config that cannot be
            rebuilt, weights that do not fit, or a Lambda whose function is not supplied.
    """
    filepath = os.fspath(filepath)
    with open_checked(filepath) as handle:
        config = read_json(handle, "model_config", filepath)
        own_file = read_text(handle, "backend", filepath, required=False) == BACKEND_NAME
        weights = child_group(handle, "model_weights", filepath, "group")
        budget = declared_bytes(weights, filepath) + _BUDGET_SLACK
        model = _build(config, custom_objects, filepath, budget)
        sources = load_weights_from_group(weights, model, filepath)
        if not compile:
            return model
        training = read_json(handle, "training_config", filepath, required=False)
        if training is None:
            return model
        _compile(model, training, custom_objects, filepath)
        if "optimizer_weights" in handle:
            group = child_group(handle, "optimizer_weights", filepath, "group")
            if own_file:
                _restore_optimizer(model, group, filepath)
            else:
                _restore_keras_optimizer(model, group, filepath, sources)
    return model


def _resolve(spec, kind, custom_objects):
    """Names that hilayers knows stay names; custom names and configs become objects."""
    from .. import losses, metrics
    module = losses if kind == "loss" else metrics
    if spec is None or (kind == "metric" and spec in ("accuracy", "acc")):
        return spec
    if isinstance(spec, list):
        return [_resolve(s, kind, custom_objects) for s in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _resolve(v, kind, custom_objects) for k, v in spec.items()}
    if isinstance(spec, str) and spec not in (custom_objects or {}):
        module.get(spec)                       # an unknown name fails here, listing names
        return spec
    if isinstance(spec, (str, dict)):
        return module.get(spec, custom_objects)
    return spec


def _compile(model, training, custom_objects, path):
    from .. import optimizers
    if not isinstance(training, dict) or "optimizer_config" not in training:
        raise SavingError(path, "its training_config has no 'optimizer_config'; load with "
                                "compile=False.")
    try:
        optimizer = optimizers.deserialize(normalize_optimizer_config(
            training["optimizer_config"], custom_objects, path), custom_objects)
        args = normalize_compile_args(training, model.output_names, custom_objects, path)
        model.compile(optimizer=optimizer, loss=_resolve(args["loss"], "loss", custom_objects),
                      metrics=_resolve(args["metrics"], "metric", custom_objects),
                      weighted_metrics=_resolve(args["weighted_metrics"], "metric",
                                                custom_objects),
                      loss_weights=args["loss_weights"])
    except SavingError:
        raise
    except CONFIG_ERRORS as exc:
        raise SavingError(path, f"its training_config cannot compile the model "
                                f"({type(exc).__name__}: {exc}); load with compile=False and "
                                "compile the model yourself.") from None


def _restore_keras_optimizer(model, group, path, sources):
    """Set the optimizer state of a file written by Keras (see
    :mod:`hilayers.saving.keras_optimizer`), or warn that it starts fresh."""
    datasets = weight_datasets(group, path)
    if not datasets:
        return
    arrays = [(name, read_array(dset, path, f"optimizer weight {name!r}"))
              for name, dset in datasets]
    reason = restore_keras_optimizer(model, arrays, sources)
    if reason is not None:
        warnings.warn(f"The optimizer state in {path!r} is not read ({reason}); the model "
                      f"starts with a fresh {type(model.optimizer).__name__} state.",
                      UserWarning, stacklevel=3)


def _dummy_targets(signature, path):
    if not isinstance(signature, list) or not all(
            isinstance(s, list) and len(s) == 2 and isinstance(s[0], int) and 0 <= s[0] <= 32
            and s[1] in ("int32", "float16", "float32", "float64") for s in signature):
        raise SavingError(path, f"attribute {_SIGNATURE_ATTR!r} is {signature!r}, not a list "
                                "of [ndim, dtype] pairs.")
    return [np.zeros((1,) * ndim, dtype=dtype) for ndim, dtype in signature]


def _restore_optimizer(model, group, path):
    """Build the training function the saved state belongs to, then set that state."""
    datasets = weight_datasets(group, path)
    if not datasets:
        return
    signature = read_json(group, _SIGNATURE_ATTR, path, required=False)
    if signature is None:
        raise SavingError(path, "its optimizer_weights lack the target signature hilayers "
                                f"stores ({_SIGNATURE_ATTR!r}); load with compile=False.")
    try:
        # The optimizer creates its variables when the training function is built; building
        # it for the saved signature recreates exactly the saved set, in the same order.
        model._training_functions(_dummy_targets(signature, path))
    except SavingError:
        raise
    except CONFIG_ERRORS as exc:
        raise SavingError(path, f"the training function for its optimizer state cannot be "
                                f"built ({type(exc).__name__}: {exc}).") from None
    variables = model.optimizer.variables()
    saved = [(n, tuple(d.shape)) for n, d in datasets]
    expected = [(v.name, tuple(v.shape)) for v in variables]
    if [s for _, s in saved] != [s for _, s in expected]:
        raise SavingError(path, f"its optimizer state holds {len(saved)} variables {saved}, "
                                f"but the rebuilt {type(model.optimizer).__name__} has "
                                f"{len(expected)} {expected}; load with compile=False.")
    values = [read_array(dset, path, f"optimizer weight {name!r}") for name, dset in datasets]
    model.optimizer.set_weights([np.asarray(v, dtype=var.dtype)
                                 for v, var in zip(values, variables)])


__all__ = ["save_model", "load_model", "model_from_json", "model_from_config",
           "model_to_json", "CONFIG_ERRORS"]
