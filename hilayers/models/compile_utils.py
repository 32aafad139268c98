"""What ``compile`` arguments become: the loss and metric graphs of the compiled functions.

``CompiledLosses`` turns ``loss`` / ``loss_weights`` into the total loss tensor (weighted
per-output losses plus the layers' regularization penalties) and keeps a running mean of it
over the epoch. ``CompiledMetrics`` does the same for ``metrics`` / ``weighted_metrics``. Both
follow Keras: one loss given for a multi-output model applies to every output; lists go by
position, dicts by output name; with several outputs the logs also hold ``<output>_loss``
and metrics are prefixed ``<output>_``.
"""
from .. import backend as K
from .. import losses as losses_module
from .. import metrics as metrics_module
from ..metrics.accuracy import _loss_kind, resolve_accuracy

_ACCURACY_NAMES = ("accuracy", "acc")


def _per_output(spec, output_names, what):
    """``spec`` spread over the outputs: a list (by position) with one entry per output."""
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(output_names))
        if unknown:
            raise ValueError(f"{what} names outputs {unknown}, but the model's outputs are "
                             f"{output_names}.")
        return [spec.get(name) for name in output_names]
    per_output_list = isinstance(spec, (list, tuple)) and len(output_names) > 1 and (
        what in ("loss", "loss_weights")
        or (spec and all(isinstance(s, (list, tuple)) or s is None for s in spec)))
    if per_output_list:
        if len(spec) != len(output_names):
            raise ValueError(f"{what} has {len(spec)} entries for a model with "
                             f"{len(output_names)} outputs ({output_names}).")
        return list(spec)
    return [spec] * len(output_names)


class CompiledLosses:
    """The loss part of a compiled function (see the module docstring)."""

    def __init__(self, loss, loss_weights, output_names):
        self.output_names = list(output_names)
        self.specs = _per_output(loss, self.output_names, "loss")
        weights = _per_output(loss_weights, self.output_names, "loss_weights") \
            if loss_weights is not None else [1.0] * len(self.output_names)
        self.loss_weights = [1.0 if w is None else float(w) for w in weights]
        self._trackers = []

    @staticmethod
    def check(loss):
        """Resolve every loss name now, so that an unknown one fails in ``compile``."""
        if loss is None:
            raise ValueError("compile() needs a loss, e.g. loss='mse' or "
                             "loss='sparse_categorical_crossentropy'.")
        specs = loss.values() if isinstance(loss, dict) else (
            loss if isinstance(loss, (list, tuple)) else [loss])
        for spec in specs:
            if spec is not None:
                losses_module.get(spec)
        return True

    @staticmethod
    def is_sparse(loss, index, output_names):
        spec = _per_output(loss, list(output_names), "loss")[index]
        return spec is not None and _loss_kind(spec) == "sparse"

    @staticmethod
    def spec_for(loss, index, output_names):
        """The loss given for output ``index`` (None when that output has none)."""
        return _per_output(loss, list(output_names), "loss")[index]

    def build(self, targets, outputs, sample_weights, regularization=()):
        """Return (total loss tensor, updates of the running means)."""
        terms, updates = [], []
        self._trackers = [metrics_module.Mean(name="loss")]
        per_output = []
        for spec, weight, y, out, sw in zip(self.specs, self.loss_weights, targets, outputs,
                                            sample_weights):
            if spec is None:
                continue
            loss_fn = losses_module.get(spec)
            if isinstance(loss_fn, losses_module.Loss):
                value = loss_fn(y, out, sample_weight=sw)
            else:
                value = losses_module.compute_weighted_loss(loss_fn(y, out), sw)
            per_output.append(value)
            terms.append(value * weight if weight != 1.0 else value)
        if not terms:
            raise ValueError("Every output's loss is None; nothing to train.")
        terms.extend(regularization)
        total = K.add_n(terms) if len(terms) > 1 else terms[0]
        ones = K.ones_like(sample_weights[0])
        updates += self._trackers[0].update_state(total * ones)
        if len(per_output) > 1:
            for name, value in zip(self.output_names, per_output):
                tracker = metrics_module.Mean(name=f"{name}_loss")
                updates += tracker.update_state(value * ones)
                self._trackers.append(tracker)
        return total, updates

    def names(self):
        return [t.name for t in self._trackers]

    def results(self):
        return [t.result() for t in self._trackers]

    def reset_state(self):
        for tracker in self._trackers:
            tracker.reset_state()


class CompiledMetrics:
    """The metric part of a compiled function (see the module docstring)."""

    def __init__(self, metrics, weighted_metrics, output_names, compiled_losses):
        self.output_names = list(output_names)
        self.plain = _per_output(metrics or [], self.output_names, "metrics")
        self.weighted = _per_output(weighted_metrics or [], self.output_names,
                                    "weighted_metrics")
        self.losses = compiled_losses
        self._metrics = []

    @staticmethod
    def check(metrics):
        """Resolve every metric name now, so that an unknown one fails in ``compile``."""
        if metrics is None:
            return
        groups = metrics.values() if isinstance(metrics, dict) else [metrics]
        for group in groups:
            for spec in (group if isinstance(group, (list, tuple)) else [group]):
                if isinstance(spec, (list, tuple)):
                    CompiledMetrics.check(spec)
                elif isinstance(spec, str) and spec in _ACCURACY_NAMES:
                    continue
                elif spec is not None:
                    metrics_module.get(spec)

    def _make(self, spec, loss_spec, target, output):
        if isinstance(spec, str) and spec in _ACCURACY_NAMES:
            return resolve_accuracy(loss_spec, target.ndim, output.shape, name=spec)
        metric = metrics_module.get(spec)
        if isinstance(metric, metrics_module.Metric):
            # One Metric object given for several outputs: each output gets its own copy, so
            # that their states do not mix.
            if len(self.output_names) > 1:
                return type(metric).from_config(metric.get_config())
            return metric
        name = spec if isinstance(spec, str) else getattr(metric, "__name__", "metric")
        return metrics_module.MeanMetricWrapper(metric, name=name)

    def build(self, targets, outputs, sample_weights):
        """Create the metrics' graphs; return their state updates."""
        updates = []
        self._metrics = []
        prefix = len(self.output_names) > 1
        for i, (y, out, sw) in enumerate(zip(targets, outputs, sample_weights)):
            for group, weighted in ((self.plain[i], False), (self.weighted[i], True)):
                for spec in (group if isinstance(group, (list, tuple)) else [group]):
                    if spec is None:
                        continue
                    metric = self._make(spec, self.losses.specs[i], y, out)
                    kwargs = {"sample_weight": sw} if weighted else {}
                    updates += metric.update_state(y, out, **kwargs)
                    label = metric.name if not weighted else f"weighted_{metric.name}"
                    label = f"{self.output_names[i]}_{label}" if prefix else label
                    self._metrics.append((label, metric))
        return updates

    def names(self):
        return [label for label, _ in self._metrics]

    def results(self):
        return [metric.result() for _, metric in self._metrics]

    def reset_state(self):
        for _, metric in self._metrics:
            metric.reset_state()


def _builtin_loss_function(spec):
    """The built-in per-sample function behind a loss spec, or None for a custom loss."""
    try:
        fn = losses_module.get(spec)
    except ValueError:
        return None
    fn = getattr(fn, "fn", fn)
    return fn if any(fn is builtin for builtin, _ in losses_module.functions.FUNCTIONS) \
        else None


def _dims_match(array_dims, static_dims):
    return len(array_dims) == len(static_dims) and all(
        d is None or d == a for a, d in zip(array_dims, static_dims))


def _fmt_shape(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def check_target_shape(loss_spec, target, output_shape, output_name, model_name):
    """Check the targets of one output against the output's static shape, before any step.

    Only the built-in losses have a known target shape: the output's shape, or that shape
    without its last axis when the last axis has size 1 (``(batch,)`` targets for a
    ``(batch, 1)`` output); for the sparse categorical cross-entropy, the output's shape
    without its class axis, with or without a trailing axis of size 1. A custom loss may
    take targets of any shape, so it is not checked (as in Keras).

    Args:
        loss_spec: the loss given to ``compile`` for this output.
        target: the NumPy targets.
        output_shape: the output tensor's static shape (``None`` for unknown dims).
        output_name, model_name: for the message.

    Raises:
        ValueError: naming the output, the loss, the shape received and the shape expected.
    """
    fn = _builtin_loss_function(loss_spec) if loss_spec is not None else None
    if fn is None:
        return
    got, out = tuple(target.shape[1:]), tuple(output_shape[1:])
    where = f"Output {output_name!r} of model {model_name!r} (loss {fn.__name__})"
    if fn is losses_module.sparse_categorical_crossentropy:
        labels = out[:-1]
        if _dims_match(got, labels) or (_dims_match(got, labels + (1,)) and got):
            return
        expected = _fmt_shape((None,) + labels)
        raise ValueError(f"{where}: expected integer class labels of shape {expected} for "
                         f"predictions of shape {_fmt_shape(output_shape)}; received targets "
                         f"of shape {_fmt_shape(target.shape)}. For one-hot targets use "
                         "loss='categorical_crossentropy'.")
    if _dims_match(got, out) or (out and out[-1] == 1 and _dims_match(got, out[:-1])):
        return
    hint = ""
    if fn is losses_module.categorical_crossentropy and (
            _dims_match(got, out[:-1]) or _dims_match(got, out[:-1] + (1,))):
        hint = (" Integer class labels need loss='sparse_categorical_crossentropy' (or "
                "one-hot targets, e.g. np.eye(classes)[labels]).")
    raise ValueError(f"{where}: expected targets of shape {_fmt_shape(output_shape)}, like "
                     f"the output; received targets of shape {_fmt_shape(target.shape)}."
                     + hint)

