"""Training checkpoints: everything ``fit`` needs to continue an interrupted run exactly.

:func:`save_training_checkpoint` writes one HDF5 file holding

* the model's weights (``/model_weights``, Keras' layout, matched by layer order on load);
* the optimizer's variables (``/optimizer``: ``iterations``, slots... by name, in
  :meth:`Optimizer.variables` order), its learning rate, and the target signature its
  training function was built for;
* the running loss and metric sums of the current epoch (``/metrics``);
* where training stands: the epoch to continue and the batches of it already done;
* every random state training draws from: NumPy's global generator (which draws each
  epoch's shuffle; stored as of the *start* of the epoch, so that the same order is drawn
  again and the batches done are skipped), Python's ``random``, the initializers' generator
  (:func:`hilayers.utils.random_seed.global_generator`), and the graph's seed and random
  streams (dropout masks...), each stream keyed by its node's name;
* each callback's :meth:`~hilayers.callbacks.Callback.get_state` (EarlyStopping's best value,
  ModelCheckpoint's best...), keyed by class name and position among callbacks of that class.

:func:`load_training_checkpoint` puts all of it back and returns a :class:`TrainingPosition`.
On NumPy, a run resumed from a checkpoint ends with weights bit-identical to an
uninterrupted run. :class:`hilayers.callbacks.BackupAndRestore` does this inside ``fit``.

The file is written to a temporary file beside the target, fsync'ed and renamed over it
(:func:`hilayers.saving.atomic.atomic_path`): a crash or a kill while saving leaves the
previous checkpoint intact. Loading never runs code from the file: arrays and JSON only,
checked by :func:`hilayers.saving.safety.open_checked` before anything is read.

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> from hilayers import Sequential, layers
    >>> model = Sequential([layers.Dense(1, input_shape=(2,))])
    >>> model.compile("adam", "mse")
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.h5")
    >>> save_training_checkpoint(path, model, epoch=1, step=0)
    >>> other = Sequential([layers.Dense(1, input_shape=(2,))])
    >>> other.compile("adam", "mse")
    >>> position = load_training_checkpoint(path, other)
    >>> position.epoch, position.step, int(other.optimizer.iterations.get_value())
    (1, 0, 1)
    >>> bool((other.get_weights()[0] == model.get_weights()[0]).all())
    True
"""
import os
import random
import warnings

import h5py
import numpy as np

from ..utils.random_seed import global_generator
from .atomic import atomic_path
from .errors import SavingError
from .hdf5_format import (child_group, read_json, read_text, to_json, weight_datasets,
                          write_arrays, write_text)
from .safety import open_checked, read_array
from .weights import LIBVER, load_weights_from_group, save_weights_to_group

#: What the ``format`` attribute of a training checkpoint says.
FORMAT = "hilayers_training_checkpoint"
FORMAT_VERSION = 1
# NumPy bit generators a stored Generator state may name (looked up in this table only).
_BIT_GENERATORS = {name: getattr(np.random, name)
                   for name in ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
                   if hasattr(np.random, name)}


class TrainingPosition:
    """Where a checkpoint stands: continue at batch ``step`` of epoch ``epoch`` (0-based;
    ``step`` batches of that epoch are done), plus the saved callback states.

    Attributes:
        epoch: the epoch to continue (``fit``'s epoch index).
        step: the batches of that epoch already done.
        callback_states: ``{key: state}``, keys from :func:`callback_keys`.
        path: the checkpoint file.
    """

    def __init__(self, epoch, step, callback_states=None, path=None):
        self.epoch, self.step = int(epoch), int(step)
        self.callback_states = dict(callback_states or {})
        self.path = path

    def restore_callbacks(self, callbacks):
        """Give each callback its saved state (:meth:`Callback.set_state`); a saved state
        with no matching callback is reported with a warning.

        Raises:
            SavingError: when a callback refuses its saved state.
        """
        keys = dict(callback_keys(callbacks))
        for key, state in self.callback_states.items():
            callback = keys.get(key)
            if callback is None:
                warnings.warn(f"Training checkpoint {self.path!r} holds the state of callback "
                              f"{key!r}, but this fit has no such callback; its state is "
                              "ignored.", UserWarning, stacklevel=3)
                continue
            try:
                callback.set_state(state)
            except (KeyError, TypeError, ValueError) as exc:
                raise SavingError(self.path, f"callback {key!r} refuses its saved state "
                                             f"{state!r} ({type(exc).__name__}: {exc}).") \
                    from None

    def __repr__(self):
        return f"TrainingPosition(epoch={self.epoch}, step={self.step})"


def callback_keys(callbacks):
    """``[(key, callback)]``: each callback keyed by its class name, with ``_1``, ``_2``...
    for the second, third... of one class (so that keys survive a restart)."""
    seen, out = {}, []
    for callback in callbacks or []:
        name = type(callback).__name__
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append((name if count == 0 else f"{name}_{count}", callback))
    return out


# -- saving ------------------------------------------------------------------------------------
def save_training_checkpoint(path, model, epoch, step=0, callbacks=None, numpy_state=None):
    """Write a training checkpoint of ``model`` (see the module docstring), atomically.

    Args:
        path: the ``.h5`` file to write (its folder must exist).
        model: a built, compiled model.
        epoch: the epoch training continues with (0-based).
        step: how many batches of ``epoch`` are done (0 at an epoch boundary).
        callbacks: the callbacks of the ``fit`` whose states to keep (None: none).
        numpy_state: ``np.random.get_state()`` to store for NumPy's global generator; with
            ``step > 0`` pass its state from the start of ``epoch``, before the shuffle was
            drawn. Default: its state now.

    Raises:
        SavingError: when a callback's state is not plain JSON or layer names repeat.
        ValueError: for a negative ``epoch`` or ``step``, or a ``numpy_state`` that is not
            from ``np.random.get_state()``.
        FileNotFoundError: when the folder of ``path`` does not exist.
    """
    path = os.fspath(path)
    if int(epoch) < 0 or int(step) < 0:
        raise ValueError(f"save_training_checkpoint({path!r}): epoch and step must be >= 0; "
                         f"received epoch={epoch}, step={step}.")
    states = {}
    for key, callback in callback_keys(callbacks):
        state = callback.get_state()
        if state:
            states[key] = state
    randomness = _random_states(model, numpy_state)
    numpy_keys = randomness.pop("numpy_keys")
    header = {"epoch": int(epoch), "step": int(step),
              "target_signature": _target_signature(model),
              "learning_rate": _learning_rate(model), "callbacks": states,
              "random": randomness}
    try:
        header_text = to_json(header)
    except (TypeError, ValueError) as exc:
        raise SavingError(path, f"a callback state is not plain JSON ({exc}).", "save") \
            from None
    optimizer = getattr(model, "optimizer", None)
    try:
        with atomic_path(path) as tmp:
            with h5py.File(tmp, "w", libver=LIBVER) as handle:
                write_text(handle, "format", FORMAT)
                handle.attrs["format_version"] = FORMAT_VERSION
                write_text(handle, "state", header_text)
                save_weights_to_group(handle.create_group("model_weights"), model.layers)
                write_arrays(handle.create_group("optimizer"),
                             _named(optimizer.variables() if optimizer is not None else []))
                write_arrays(handle.create_group("metrics"),
                             _named(_metric_variables(model, header["target_signature"])))
                write_arrays(handle.create_group("random"), [("numpy_keys", numpy_keys)])
    except SavingError as exc:
        raise SavingError(path, exc.problem, "save") from None


def _named(variables):
    """``(dataset name, value)`` per variable: its tensor name (``adam/dense/kernel/m:0``,
    nested groups in HDF5), made unique if two variables of different graphs share one."""
    pairs, seen = [], set()
    for var in variables:
        name = var.name if ":" in var.name else f"{var.name}:0"
        while name in seen:
            name += "_"
        seen.add(name)
        pairs.append((name, var.get_value()))
    return pairs


def _target_signature(model):
    for key in getattr(model, "_functions", {}):
        if isinstance(key, tuple):
            return [[int(ndim), str(dtype)] for ndim, dtype in key]
    return None


def _learning_rate(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or optimizer.learning_rate_schedule is not None:
        return None
    return float(optimizer.learning_rate)


def _metric_variables(model, signature):
    """The state variables of the running loss and metrics of the training function."""
    if signature is None:
        return []
    key = tuple((ndim, dtype) for ndim, dtype in signature)
    train = getattr(model, "_functions", {}).get(key, {}).get("train")
    if train is None:
        return []
    out = []
    # CompiledLosses keeps its Mean trackers in _trackers, CompiledMetrics (label, metric)
    # pairs in _metrics (hilayers.models.compile_utils).
    for tracker in train[2]:
        metrics = list(getattr(tracker, "_trackers", []))
        metrics += [m for _, m in getattr(tracker, "_metrics", [])]
        for metric in metrics:
            out.extend(metric.variables)
    return out


def _random_states(model, numpy_state):
    graph = model.inputs[0].graph if getattr(model, "inputs", None) else None
    numpy_state = np.random.get_state() if numpy_state is None else numpy_state
    name, keys, pos, has_gauss, cached = numpy_state
    if name != "MT19937":
        raise ValueError(f"numpy_state must come from np.random.get_state(); received a "
                         f"state of {name!r}.")
    version, words, gauss_next = random.getstate()
    out = {"numpy_keys": np.asarray(keys, dtype=np.uint32),
           "numpy": {"pos": int(pos), "has_gauss": int(has_gauss),
                     "cached_gaussian": float(cached)},
           "python": {"version": int(version), "words": [int(w) for w in words],
                      "gauss_next": gauss_next},
           "initializers": global_generator().bit_generator.state,
           "graph_seed": None, "streams": {}}
    if graph is not None:
        out["graph_seed"] = int(graph.seed)
        out["streams"] = _graph_streams(graph)
    return out


def _graph_streams(graph):
    """``{node name: bit generator state}`` of the graph's NumPy random streams."""
    names = {}
    for node in graph.nodes:
        names.setdefault(id(node.op), node.name)
    streams, skipped = {}, 0
    for (module, op_id), generator in graph._rng_states.items():
        if module != "numpy" or op_id not in names:
            skipped += 1
            continue
        streams[names[op_id]] = generator.bit_generator.state
    if skipped:
        warnings.warn(f"{skipped} random streams not on NumPy are not saved in the training "
                      "checkpoint; a resumed run restarts them (bit-identical resuming is "
                      "on NumPy).", UserWarning, stacklevel=4)
    return streams


# -- loading -----------------------------------------------------------------------------------
def load_training_checkpoint(path, model, callbacks=None):
    """Restore a training checkpoint into ``model`` and the random generators.

    The model must have the same architecture and be compiled with the same optimizer,
    loss and metrics as the one saved. Its training function is built first if needed (the
    optimizer creates its variables then). Everything is checked before the model changes.

    Args:
        path: a file written by :func:`save_training_checkpoint`.
        model: a built, compiled model.
        callbacks: callbacks to give their saved states now (None: keep the states in the
            returned position, for :meth:`TrainingPosition.restore_callbacks`).

    Returns:
        TrainingPosition: the epoch and step to continue from.

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        SavingError: for a damaged file, a file of another kind, or weights, optimizer or
            metric state that do not fit the model (naming what differs).
    """
    path = os.fspath(path)
    with open_checked(path) as handle:
        if read_text(handle, "format", path, required=False) != FORMAT:
            raise SavingError(path, f"it is not a hilayers training checkpoint (its 'format' "
                                    f"attribute is not {FORMAT!r}); load models with "
                                    "load_model and weights with load_weights.")
        header = read_json(handle, "state", path)
        header = _check_header(header, path)
        signature = header["target_signature"]
        if signature is not None:
            _build_training_function(model, signature, path)
        optimizer = getattr(model, "optimizer", None)
        opt_vars = optimizer.variables() if optimizer is not None else []
        opt_values = _read_matching(child_group(handle, "optimizer", path, "group"), opt_vars,
                                    path, "optimizer variable")
        metric_vars = _metric_variables(model, signature)
        metric_values = _read_matching(child_group(handle, "metrics", path, "group"),
                                       metric_vars, path, "metric variable")
        keys = _read_numpy_keys(handle, path)
        load_weights_from_group(child_group(handle, "model_weights", path, "group"), model,
                                path)
    for var, value in zip(opt_vars + metric_vars, opt_values + metric_values):
        var.set_value(value)
    if header["learning_rate"] is not None and optimizer is not None \
            and optimizer.learning_rate_schedule is None:
        optimizer.learning_rate = header["learning_rate"]
    _restore_random(model, header["random"], keys, path)
    position = TrainingPosition(header["epoch"], header["step"], header["callbacks"], path)
    if callbacks is not None:
        position.restore_callbacks(callbacks)
    return position


def _check_header(header, path):
    def need(ok, what):
        if not ok:
            raise SavingError(path, f"its 'state' attribute is damaged: {what}.")
    need(isinstance(header, dict), "it is not a JSON object")
    missing = [k for k in ("epoch", "step", "target_signature", "learning_rate", "callbacks",
                           "random") if k not in header]
    need(not missing, f"it has no {missing[0]!r} entry" if missing else "")
    for key in ("epoch", "step"):
        need(isinstance(header.get(key), int) and header[key] >= 0,
             f"{key!r} should be an int >= 0, not {header.get(key)!r}")
    signature = header.get("target_signature")
    need(signature is None or (isinstance(signature, list) and all(
        isinstance(s, list) and len(s) == 2 and isinstance(s[0], int) and 0 <= s[0] <= 32
        and s[1] in ("int32", "float16", "float32", "float64") for s in signature)),
        f"'target_signature' should list [ndim, dtype] pairs, not {signature!r}")
    rate = header.get("learning_rate")
    need(rate is None or isinstance(rate, (int, float)), "'learning_rate' is not a number")
    need(isinstance(header.get("callbacks"), dict), "'callbacks' is not an object")
    need(isinstance(header.get("random"), dict), "'random' is not an object")
    return header


def _build_training_function(model, signature, path):
    """Build the training function the saved optimizer state belongs to (the optimizer
    creates its variables then, in the same order as when it was saved)."""
    if not getattr(model, "compiled", False):
        raise SavingError(path, f"model {model.name!r} is not compiled; compile it with the "
                                "optimizer, loss and metrics of the saved run before restoring "
                                "a training checkpoint.")
    if getattr(model, "inputs", None) is None:
        raise SavingError(path, f"model {model.name!r} is not built, so it has no weights to "
                                "set yet; call it on data or give it an input shape first.")
    targets = [np.zeros((1,) * ndim, dtype=dtype) for ndim, dtype in signature]
    try:
        model._training_functions(targets)
    except (TypeError, ValueError) as exc:
        raise SavingError(path, f"the training function of the saved run (targets "
                                f"{signature}) cannot be built for model {model.name!r} "
                                f"({type(exc).__name__}: {exc}).") from None


def _read_matching(group, variables, path, what):
    """The group's arrays, checked against ``variables`` (count, order and shapes)."""
    datasets = weight_datasets(group, path)
    saved = [(name, tuple(d.shape)) for name, d in datasets]
    expected = [(v.name, tuple(v.shape)) for v in variables]
    if [s for _, s in saved] != [s for _, s in expected]:
        raise SavingError(path, f"it holds {len(saved)} {what}s {_fmt(saved)}, but the model "
                                f"has {len(expected)}: {_fmt(expected)}. Restore into the "
                                "same architecture, compiled as the saved run was.")
    values = []
    for (name, dset), var in zip(datasets, variables):
        value = read_array(dset, path, f"{what} {name!r}")
        if value.dtype.kind not in "biuf":
            raise SavingError(path, f"{what} {name!r} has dtype {value.dtype}.")
        values.append(value.astype(var.dtype, copy=False))
    return values


def _fmt(pairs):
    return "[" + ", ".join(f"{name} {shape}" for name, shape in pairs) + "]"


def _read_numpy_keys(handle, path):
    datasets = dict(weight_datasets(child_group(handle, "random", path, "group"), path))
    dset = datasets.get("numpy_keys")
    if dset is None or tuple(dset.shape) != (624,):
        raise SavingError(path, "its NumPy generator state ('random/numpy_keys', 624 words) "
                                "is missing or has the wrong shape.")
    return read_array(dset, path, "'random/numpy_keys'").astype(np.uint32)


def _generator_from_state(state, path, what):
    if not isinstance(state, dict) or state.get("bit_generator") not in _BIT_GENERATORS:
        raise SavingError(path, f"the state of {what} is not a NumPy bit generator state "
                                f"(expected one of {sorted(_BIT_GENERATORS)}).")
    generator = np.random.Generator(_BIT_GENERATORS[state["bit_generator"]]())
    _set_state(generator, state, path, what)
    return generator


def _set_state(generator, state, path, what):
    try:
        generator.bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise SavingError(path, f"the state of {what} cannot be restored "
                                f"({type(exc).__name__}: {exc}).") from None


def _restore_random(model, saved, keys, path):
    try:
        numpy = saved["numpy"]
        np_state = ("MT19937", keys, int(numpy["pos"]), int(numpy["has_gauss"]),
                    float(numpy["cached_gaussian"]))
        python = saved["python"]
        py_state = (int(python["version"]), tuple(int(w) for w in python["words"]),
                    python["gauss_next"])
        streams, seed = saved["streams"], saved["graph_seed"]
        if not isinstance(streams, dict) or not (seed is None or isinstance(seed, int)):
            raise TypeError("'streams' must be an object and 'graph_seed' an int")
        generators = {name: _generator_from_state(state, path, f"random node {name!r}")
                      for name, state in streams.items()}
        initializers = _generator_from_state(saved["initializers"], path,
                                             "the initializers' generator")
        np.random.set_state(np_state)
        random.setstate(py_state)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise SavingError(path, f"its random generator states are damaged "
                                f"({type(exc).__name__}: {exc}).") from None
    current = global_generator().bit_generator
    if type(current).__name__ == type(initializers.bit_generator).__name__:
        current.state = initializers.bit_generator.state
    graph = model.inputs[0].graph if getattr(model, "inputs", None) else None
    if graph is None or seed is None:
        return
    graph.reset_random_state(seed)
    by_name = {node.name: node for node in graph.nodes}
    missing = []
    for name, generator in generators.items():
        node = by_name.get(name)
        if node is None or not getattr(node.op, "seed", None):
            missing.append(name)
            continue
        graph._rng_states[("numpy", id(node.op))] = generator
    if missing:
        warnings.warn(f"Training checkpoint {path!r} holds random streams of nodes "
                      f"{missing[:5]} that this graph does not have (it was built differently); "
                      "those streams restart, so the resumed run will not be bit-identical.",
                      UserWarning, stacklevel=3)


__all__ = ["save_training_checkpoint", "load_training_checkpoint", "TrainingPosition",
           "callback_keys"]
