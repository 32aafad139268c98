"""``compile`` / ``fit`` / ``evaluate`` / ``predict`` for models (the ``TrainingMixin``).

``compile`` only records the optimizer, losses and metrics. The first call that needs them
builds three compiled functions on the model's graph, once:

* train: inputs, targets, sample weights -> running loss and metrics; updates = the
  optimizer's updates, the layers' updates (BatchNormalization's moving statistics) and the
  metrics' state updates;
* test: the same with the model in inference mode and no optimizer or layer updates;
* predict: inputs -> outputs in inference mode.

Losses and metrics accumulate over an epoch in variables, so the figures shown are over all
the samples seen so far in the epoch, not a mean of batch means.
"""
import itertools

import numpy as np

from .. import backend as K
from ..callbacks import CallbackList, History, ProgbarLogger
from ..layers.base import collect_call_losses, collect_updates, constraint_of
from . import data as data_utils
from .compile_utils import CompiledLosses, CompiledMetrics, check_target_shape


class TrainingMixin:
    """Training methods shared by :class:`Model` and :class:`Sequential`."""

    def _init_training_state(self):
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._functions = {}

    # -- compile -------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=None, **kwargs):
        """Configure training.

        Args:
            optimizer: an optimizer or its name (``'adam'``).
            loss: a loss (name, function or ``Loss``), or a list / dict with one per output.
            metrics: a list of metrics (names, functions or ``Metric``), or a list / dict of
                lists per output. ``'accuracy'`` picks binary, categorical or sparse
                categorical accuracy from the loss and shapes, as Keras does.
            loss_weights: a list / dict of scalars weighting each output's loss.

        Raises:
            ValueError: for an unknown optimizer, loss or metric name (listing valid names).
        """
        from .. import optimizers
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword arguments {sorted(kwargs)}.")
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._compile_args = {"loss": loss, "metrics": metrics, "loss_weights": loss_weights,
                              "weighted_metrics": weighted_metrics}
        # Resolve names now so that a typo fails at compile time.
        self._losses_spec = CompiledLosses.check(loss)
        CompiledMetrics.check(metrics)
        self.compiled = True
        self._functions = {}

    def _require_compiled(self, what):
        if not getattr(self, "compiled", False):
            raise RuntimeError(f"You must compile model {self.name!r} before {what}: call "
                               "model.compile(optimizer, loss, metrics) first.")

    def _ensure_built_for(self, x_arrays):
        if self.outputs is not None:
            return
        shapes = [tuple(a.shape) for a in x_arrays]
        self._build_from_shapes(shapes if len(shapes) > 1 else shapes[0])

    # -- building the compiled functions -----------------------------------------------------
    def _targets_signature(self, y_arrays):
        return tuple((a.ndim, "int32" if a.dtype.kind in "iub" else K.floatx())
                     for a in y_arrays)

    def _training_functions(self, y_arrays):
        key = self._targets_signature(y_arrays)
        if key not in self._functions:
            self._functions[key] = self._build_functions(key)
        return self._functions[key]

    def _build_functions(self, signature):
        graph = self.inputs[0].graph
        with graph.as_default(), K.name_scope("training"):
            targets = [K.placeholder(ndim=ndim, dtype=dtype, name=f"{name}_target")
                       for (ndim, dtype), name in zip(signature, self.output_names)]
            weights = [K.placeholder((None,), name=f"{name}_sample_weight")
                       for name in self.output_names]
            with collect_updates() as layer_updates, collect_call_losses() as train_penalties:
                train_out = _flat(self(self._nested_inputs, training=True))
            with collect_call_losses() as test_penalties:
                test_out = _flat(self(self._nested_inputs, training=False))
            penalties = {"train": train_penalties, "test": test_penalties}
            functions = {}
            for mode, outputs in (("train", train_out), ("test", test_out)):
                losses = CompiledLosses(self._compile_args["loss"],
                                        self._compile_args["loss_weights"], self.output_names)
                metrics = CompiledMetrics(self._compile_args["metrics"],
                                          self._compile_args["weighted_metrics"],
                                          self.output_names, losses)
                total, loss_updates = losses.build(targets, outputs, weights,
                                                   regularization=self.losses
                                                   + penalties[mode])
                metric_updates = metrics.build(targets, outputs, weights)
                updates = loss_updates + metric_updates
                if mode == "train":
                    params = self.trainable_weights
                    if not params:           # evaluate/predict still work; fit says so
                        functions[mode] = None
                        continue
                    constraints = {w: constraint_of(w) for w in params if constraint_of(w)}
                    # The gradients stay reachable for callbacks (TensorBoard histograms).
                    grads_and_vars = self.optimizer.compute_gradients(total, params)
                    functions["gradients"] = (self.inputs + targets + weights, grads_and_vars)
                    updates = (self.optimizer.apply_gradients(grads_and_vars, constraints)
                               + list(layer_updates) + updates)
                names = losses.names() + metrics.names()
                fetches = losses.results() + metrics.results()
                fn = K.function(self.inputs + targets + weights, fetches, updates=updates,
                                name=f"{self.name}_{mode}")
                functions[mode] = (fn, names, [losses] + [metrics])
            functions["predict"] = K.function(self.inputs, test_out, name=f"{self.name}_predict")
        return functions

    def _gradients_on_last_batch(self):
        """``[(variable, gradient array)]`` of the training loss on the last batch ``fit``
        trained on, at the current weights (None outside ``fit``). The gradients are the raw
        ones, before the optimizer's clipping; random layers (Dropout) draw new masks."""
        last = getattr(self, "_last_train_feed", None)
        if last is None:
            return None
        targets, feed = last
        functions = self._training_functions(targets)
        if "gradients_function" not in functions:
            inputs, grads_and_vars = functions["gradients"]
            pairs = [(g, v) for g, v in grads_and_vars if g is not None]
            functions["gradients_function"] = (
                K.function(inputs, [g for g, _ in pairs], name=f"{self.name}_gradients"),
                [v for _, v in pairs])
        fn, variables = functions["gradients_function"]
        return list(zip(variables, fn(feed)))

    def _predict_function(self):
        if "predict" not in self._functions:
            graph = self.inputs[0].graph
            with graph.as_default(), K.name_scope("inference"):
                outputs = _flat(self(self._nested_inputs, training=False))
                self._functions["predict"] = K.function(self.inputs, outputs)
        return self._functions["predict"]

    # -- data ------------------------------------------------------------------------------------
    def _prepare(self, x, y=None, sample_weight=None, class_weight=None, need_y=True):
        x_arrays = data_utils.to_array_list(x, self._input_names_for_data(x), "inputs",
                                            self.name)
        self._ensure_built_for(x_arrays)
        self._check_input_shapes(x_arrays)
        y_arrays = None
        if y is not None:
            y_arrays = data_utils.to_array_list(y, self.output_names, "targets", self.name)
        elif need_y:
            raise ValueError(f"Model {self.name!r}: targets (y) are required here; received "
                             "None.")
        n = data_utils.num_samples(("x", x_arrays), ("y", y_arrays))
        sw = None
        if sample_weight is not None:
            sw = data_utils.to_array_list(sample_weight, self.output_names, "sample_weight",
                                          self.name)
            sw = [np.asarray(w, dtype=np.float32).reshape(len(w)) for w in sw]
            data_utils.num_samples(("x", x_arrays), ("sample_weight", sw))
        if class_weight is not None:
            if y_arrays is None or len(y_arrays) != 1:
                raise ValueError("class_weight needs exactly one output with targets.")
            cw = data_utils.class_weights_to_sample_weights(y_arrays[0], class_weight)
            sw = [cw if sw is None else sw[0] * cw]
        if y_arrays is not None:
            self._check_targets(y_arrays)
        return x_arrays, y_arrays, sw, n

    def _input_names_for_data(self, x):
        if self.outputs is None and not isinstance(x, dict):
            count = len(x) if isinstance(x, (list, tuple)) and x and hasattr(x[0], "shape") \
                else 1
            return [f"input_{i + 1}" for i in range(count)]
        return self.input_names

    def _check_input_shapes(self, x_arrays):
        for t, a, name in zip(self.inputs, x_arrays, self.input_names):
            if a.ndim != t.ndim or any(d is not None and d != s
                                       for d, s in zip(t.shape[1:], a.shape[1:])):
                fed = self._layers_fed_by(t)
                feeds = f", which feeds {', '.join(fed)}," if fed else ""
                raise ValueError(f"Input {name!r} of model {self.name!r}{feeds} expects arrays "
                                 f"of shape {_fmt(t.shape)}; received an array of shape "
                                 f"{_fmt(a.shape)}.")

    def _check_targets(self, y_arrays):
        specs = self._losses_spec if hasattr(self, "_losses_spec") else None
        for i, (y, out) in enumerate(zip(y_arrays, self.outputs)):
            if specs:
                check_target_shape(CompiledLosses.spec_for(self._compile_args["loss"], i,
                                                           self.output_names),
                                   y, out.shape, self.output_names[i], self.name)
            if specs and CompiledLosses.is_sparse(self._compile_args["loss"], i,
                                                  self.output_names):
                classes = out.shape[-1]
                if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
                    raise ValueError(f"Output {self.output_names[i]!r}: a sparse categorical "
                                     "loss needs integer class labels; received non-integer "
                                     "values.")
                if classes is not None and y.size and (y.max() >= classes or y.min() < 0):
                    raise ValueError(f"Output {self.output_names[i]!r}: integer labels must be "
                                     f"in [0, {classes - 1}] for {classes} classes; received "
                                     f"labels from {y.min()} to {y.max()}.")

    # -- fit ---------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; return a :class:`History`.

        Args:
            x, y: arrays, lists of arrays or dicts by input / output name; or a Dataset of
                ``(x, y)`` or ``(x, y, sample_weight)`` elements as ``x`` (``y`` then None).
            batch_size: samples per step (32 when None).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch.
            validation_split: the last fraction of the samples, held out before shuffling.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``.
            class_weight: ``{class: weight}`` for one output.
            initial_epoch: the epoch to start from (resuming).
            steps_per_epoch: bound the batches per epoch.

        Raises:
            RuntimeError: when the model was not compiled.
            ValueError: for inconsistent or mis-shaped data.
        """
        self._require_compiled("training it")
        if validation_data is not None:
            _unpack_validation(validation_data)     # a bad one fails now, not after an epoch
        from .dataset_feed import dataset_batches, is_dataset
        if is_dataset(x):
            source = dataset_batches(self, x, steps_per_epoch)
            steps = steps_per_epoch or source.steps
        else:
            x_arrays, y_arrays, sw, n = self._prepare(x, y, sample_weight, class_weight)
            if validation_data is None and validation_split:
                train, val = data_utils.split_validation(
                    {"x": x_arrays, "y": y_arrays, "sw": sw}, validation_split)
                x_arrays, y_arrays, sw = train["x"], train["y"], train["sw"]
                validation_data = (val["x"], val["y"], val["sw"])
                n = len(x_arrays[0])
            batch_size = batch_size or 32
            steps = -(-n // batch_size)
            if steps_per_epoch:
                steps = min(steps, steps_per_epoch)
            source = _ArraySource(x_arrays, y_arrays, sw, n, batch_size, shuffle, steps)
        history = History()
        # Callbacks marked runs_first (hilayers.distribute's averaging ones) come before the
        # progress bar and the others, so that those see the logs and weights they made.
        callbacks = list(callbacks or [])
        first = [cb for cb in callbacks if getattr(cb, "runs_first", False)]
        cbs = CallbackList(first + ([ProgbarLogger(verbose)] if verbose else [])
                           + [cb for cb in callbacks if cb not in first] + [history],
                           model=self,
                           params={"epochs": epochs, "steps": steps, "verbose": verbose})
        self.stop_training = False
        # BackupAndRestore saves the states of the other callbacks of this fit.
        self._fit_callbacks = cbs.callbacks
        try:
            self._fit_loop(cbs, source, epochs, initial_epoch, validation_data,
                           validation_freq, validation_batch_size or batch_size,
                           validation_steps)
        finally:
            self._fit_callbacks = self._resume_position = self._last_train_feed = None
            if hasattr(source, "close"):
                source.close()
        self.history = history
        return history

    def _fit_loop(self, cbs, source, epochs, initial_epoch, validation_data, validation_freq,
                  validation_batch_size, validation_steps):
        cbs.on_train_begin()
        # A callback that restored a training checkpoint in on_train_begin (BackupAndRestore)
        # leaves a TrainingPosition here: continue at batch `step` of epoch `epoch`. The
        # epoch's shuffle is drawn again from the restored NumPy state and the batches already
        # done are skipped; the restored running loss and metrics are kept, not reset.
        position, self._resume_position = getattr(self, "_resume_position", None), None
        skip = 0
        if position is not None:
            position.restore_callbacks(cbs.callbacks)
            initial_epoch, skip = position.epoch, position.step
        logs = {}
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            fn, names, trackers = None, None, None
            step = -1
            batches = itertools.islice(source.epoch(), skip, None)
            for step, (xb, yb, swb) in enumerate(batches, start=skip):
                if fn is None:
                    train = self._training_functions(yb)["train"]
                    if train is None:
                        raise ValueError(f"Model {self.name!r} has no trainable weights to "
                                         "train; unfreeze a layer (layer.trainable = True).")
                    fn, names, trackers = train
                    if not skip:
                        for tracker in trackers:
                            tracker.reset_state()
                cbs.on_train_batch_begin(step)
                feed = xb + yb + _weights_or_ones(swb, yb)
                values = fn(feed)
                self._last_train_feed = (yb, feed)
                logs = {k: float(v) for k, v in zip(names, values)}
                cbs.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            if step < 0:
                raise ValueError("fit() received no data: the training set is empty.")
            skip = 0
            epoch_logs = dict(logs)
            if validation_data is not None and (epoch + 1) % validation_freq == 0:
                val_x, val_y, val_sw = _unpack_validation(validation_data)
                # The fit's own callbacks see the validation pass (on_test_* hooks), as in
                # Keras; their params stay those of fit.
                val = self.evaluate(val_x, val_y, sample_weight=val_sw,
                                    batch_size=validation_batch_size, verbose=0,
                                    steps=validation_steps, return_dict=True,
                                    _callback_list=cbs)
                epoch_logs.update({f"val_{k}": v for k, v in val.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cbs.on_train_end(logs)

    # -- evaluate / predict ---------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, _callback_list=None):
        """Loss and metrics over the data, in inference mode.

        Returns:
            The loss (a float) when there are no metrics, else ``[loss, *metrics]``; or a dict
            when ``return_dict``.
        """
        self._require_compiled("evaluating it")
        from .dataset_feed import dataset_batches, is_dataset
        if is_dataset(x):
            source = dataset_batches(self, x, steps)
        else:
            x_arrays, y_arrays, sw, n = self._prepare(x, y, sample_weight)
            batch_size = batch_size or 32
            total = -(-n // batch_size)
            source = _ArraySource(x_arrays, y_arrays, sw, n, batch_size, False,
                                  min(total, steps) if steps else total)
        cbs = _callback_list or CallbackList(list(callbacks or []), model=self,
                                             params={"steps": source.steps, "verbose": verbose})
        cbs.on_test_begin()
        logs = {}
        fn = None
        try:
            for step, (xb, yb, swb) in enumerate(source.epoch()):
                if fn is None:
                    fn, names, trackers = self._training_functions(yb)["test"]
                    for tracker in trackers:
                        tracker.reset_state()
                cbs.on_test_batch_begin(step)
                values = fn(xb + yb + _weights_or_ones(swb, yb))
                logs = {k: float(v) for k, v in zip(names, values)}
                cbs.on_test_batch_end(step, logs)
        finally:
            if hasattr(source, "close"):      # a Dataset's pass: stop its threads now
                source.close()
        cbs.on_test_end(logs)
        if verbose:
            from ..callbacks.progress import format_logs
            print(format_logs(logs))
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        """Outputs for ``x`` in inference mode, computed in batches and concatenated."""
        from .dataset_feed import dataset_inputs, is_dataset
        if is_dataset(x):
            batches = dataset_inputs(self, x, steps)
        else:
            x_arrays = data_utils.to_array_list(x, self._input_names_for_data(x), "inputs",
                                                self.name)
            self._ensure_built_for(x_arrays)
            self._check_input_shapes(x_arrays)
            n = data_utils.num_samples(("x", x_arrays))
            batch_size = batch_size or 32
            index = [slice(i, i + batch_size) for i in range(0, n, batch_size)]
            if steps:
                index = index[:steps]
            batches = ([a[s] for a in x_arrays] for s in index)
        fn = self._predict_function()
        cbs = CallbackList(list(callbacks or []), model=self, params={"verbose": verbose})
        cbs.on_predict_begin()
        parts = []
        try:
            for step, xb in enumerate(batches):
                cbs.on_predict_batch_begin(step)
                parts.append(fn(xb))
                cbs.on_predict_batch_end(step)
        finally:
            batches.close()                   # a Dataset's pass: stop its threads now
        cbs.on_predict_end()
        if not parts:
            raise ValueError("predict() received no data.")
        outputs = [np.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))]
        return outputs[0] if len(outputs) == 1 else outputs

    # -- single batches --------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics=True, return_dict=False):
        """One optimizer step on one batch; returns the loss (and metrics)."""
        return self._on_batch("train", x, y, sample_weight, class_weight, reset_metrics,
                              return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True,
                      return_dict=False):
        """Loss (and metrics) on one batch, in inference mode."""
        return self._on_batch("test", x, y, sample_weight, None, reset_metrics, return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch."""
        return self.predict(x, batch_size=len(_flat_arrays(x)[0]))

    def _on_batch(self, mode, x, y, sample_weight, class_weight, reset_metrics, return_dict):
        self._require_compiled("training it" if mode == "train" else "evaluating it")
        x_arrays, y_arrays, sw, _ = self._prepare(x, y, sample_weight, class_weight)
        compiled = self._training_functions(y_arrays)[mode]
        if compiled is None:
            raise ValueError(f"Model {self.name!r} has no trainable weights to train; unfreeze "
                             "a layer (layer.trainable = True).")
        fn, names, trackers = compiled
        if reset_metrics:
            for tracker in trackers:
                tracker.reset_state()
        values = fn(x_arrays + y_arrays + _weights_or_ones(sw, y_arrays))
        logs = {k: float(v) for k, v in zip(names, values)}
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values


class _ArraySource:
    """Batches of NumPy arrays for one epoch at a time (shuffled per epoch when asked)."""

    def __init__(self, x, y, sw, n, batch_size, shuffle, steps):
        self.x, self.y, self.sw, self.n = x, y, sw, n
        self.batch_size, self.shuffle, self.steps = batch_size, shuffle, steps

    def epoch(self):
        # The shuffling generator is drawn from NumPy's global one, which
        # hilayers.utils.set_random_seed seeds: same seed, same batches.
        rng = np.random.default_rng(np.random.randint(0, 2**31 - 1))
        for index in data_utils.batches(self.n, self.batch_size, self.shuffle, rng)[:self.steps]:
            if self.shuffle:
                index = np.sort(index)
            yield (data_utils.take(self.x, index), data_utils.take(self.y, index),
                   data_utils.take(self.sw, index))


def _weights_or_ones(sw, y_arrays):
    if sw is not None:
        return list(sw) if len(sw) == len(y_arrays) else list(sw) * len(y_arrays)
    n = len(y_arrays[0])
    return [np.ones(n, dtype=np.float32)] * len(y_arrays)


def _unpack_validation(validation_data):
    # A list is read as a tuple, as Keras does: [x_val, y_val] is (x_val, y_val).
    if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3):
        x, y = validation_data[0], validation_data[1]
        sw = validation_data[2] if len(validation_data) == 3 else None
        return x, y, sw
    from .dataset_feed import is_dataset
    if is_dataset(validation_data):
        return validation_data, None, None
    raise ValueError("validation_data must be (x_val, y_val), (x_val, y_val, sample_weight) "
                     f"or a Dataset; received {type(validation_data).__name__}.")


def _flat(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _flat_arrays(x):
    if isinstance(x, dict):
        return [np.asarray(v) for v in x.values()]
    if isinstance(x, (list, tuple)):
        return [np.asarray(v) for v in x]
    return [np.asarray(x)]


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")
