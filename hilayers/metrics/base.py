"""The ``Metric`` base class and the reducing metrics ``Sum``, ``Mean``, ``MeanMetricWrapper``.

A metric keeps running state in variables (totals, counts) so that its result covers every
batch since the last :meth:`Metric.reset_state`, not a mean of batch means. In this
build-then-run engine one training step is one run, and within a run every read of a
variable sees its value from the start of the run. So:

* :meth:`Metric.update_state` *returns* the ``(variable, new_value)`` pairs to pass as
  ``updates`` to ``K.function``, and remembers the new-value tensors;
* :meth:`Metric.result` built afterwards is computed from those new-value tensors, so a
  function fetching it and applying the updates in the same run reports the state
  *including* the current batch.

Example:
    >>> from hilayers import backend as K
    >>> from hilayers.metrics import Mean
    >>> x = K.placeholder((None,))
    >>> m = Mean()
    >>> updates = m.update_state(x)
    >>> f = K.function([x], m.result(), updates=updates)
    >>> float(f([[1.0, 2.0]])), float(f([[6.0]]))
    (1.5, 3.0)
"""
import numpy as np

from .. import backend as K
from ..backend import Tensor
from ..losses.classes import match_weight_rank
from ..utils.registry import snake_case


def _initial_value(initializer, shape, dtype, where):
    shape = tuple(shape)
    if isinstance(initializer, str):
        if initializer not in ("zeros", "ones"):
            raise ValueError(f"{where}: initializer {initializer!r} is not supported for "
                             "metric state; use 'zeros', 'ones', a number, an array or a "
                             "callable(shape, dtype) returning an array.")
        fill = 0.0 if initializer == "zeros" else 1.0
        return np.full(shape, fill, dtype=dtype)
    if callable(initializer):
        initializer = initializer(shape, dtype)
    value = np.broadcast_to(np.asarray(initializer, dtype=dtype), shape)
    return np.array(value, dtype=dtype)


def div_no_nan(a, b):
    """``a / b`` where ``b != 0``, else 0 (no NaN for empty counts)."""
    is_zero = K.equal(b, 0.0)
    return K.where(is_zero, K.zeros_like(a), a / K.where(is_zero, K.ones_like(b), b))


class Metric:
    """Base class of stateful metrics (``tf.keras.metrics.Metric``).

    Subclasses create their state with :meth:`add_weight` (in ``__init__``, or in
    :meth:`build_state`, which runs on first use in the graph of the inputs) and implement
    :meth:`update_state` and :meth:`result`.

    Args:
        name: the metric's name (default: the class name in snake_case).
        dtype: the dtype of the state and result (default: floatx).
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self._dtype = np.dtype(dtype).name if dtype is not None else None
        self._state = []          # (variable, initial value) in creation order
        self._new_values = {}     # variable -> new-value tensor of the last update_state
        self._graph = None
        self._result_of_variables = None
        self.updates = []

    @property
    def dtype(self):
        return self._dtype or K.floatx()

    # -- state --------------------------------------------------------------------------------
    def add_weight(self, name, shape=(), initializer="zeros", dtype=None):
        """Create a state variable ``'{metric name}/{name}'`` in the current default graph.

        Args:
            name: the variable's name within the metric.
            shape: its shape (default scalar).
            initializer: ``'zeros'``, ``'ones'``, a number, an array or
                ``callable(shape, dtype)``; :meth:`reset_state` restores this value.
            dtype: default the metric's dtype.

        Returns:
            Variable
        """
        dtype = dtype or self.dtype
        where = f"Metric {self.name!r}"
        value = _initial_value(initializer, shape, dtype, where)
        graph = K.get_default_graph()
        if self._graph is not None and graph is not self._graph:
            raise ValueError(f"{where}: add_weight({name!r}) in a graph other than the one "
                             "holding the metric's other state; create a new metric object "
                             "for the new graph.")
        self._graph = graph
        var = K.variable(value, dtype=dtype, name=f"{self.name}/{name}", trainable=False)
        self._state.append((var, value))
        return var

    def build_state(self):
        """Create the state variables with :meth:`add_weight` (called once, lazily)."""

    def _ensure_state(self, graph=None):
        graph = graph or K.get_default_graph()
        if not self._state and self._graph is None:
            with graph.as_default():
                self._graph = graph
                self.build_state()
        elif self._graph is not graph:
            raise ValueError(f"Metric {self.name!r} keeps its state in another graph than the "
                             "tensors it was given; create a new metric object for this graph "
                             "(metrics cannot be shared across graphs).")

    @property
    def variables(self):
        """The state variables, in creation order."""
        return [v for v, _ in self._state]

    weights = variables

    def _record(self, pairs):
        """Remember ``pairs`` (variable, new value) for :meth:`result`; return them."""
        pairs = list(pairs)
        self._new_values = dict(pairs)
        self.updates = pairs
        return pairs

    def current(self, variable):
        """The value of ``variable`` after the last recorded update (see the module
        docstring): the new-value tensor if :meth:`update_state` gave one, else the
        variable itself."""
        return self._new_values.get(variable, variable)

    # -- the contract ---------------------------------------------------------------------------
    def update_state(self, *args, **kwargs):
        """Return the ``(variable, new_value)`` pairs of one batch (and record them)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        """Return the metric's value as a tensor.

        Build it *after* :meth:`update_state` (``updates = m.update_state(...)`` on one line,
        ``K.function(..., m.result(), updates=updates)`` on the next): it is computed from
        the new values recorded by the last ``update_state``, so it includes that batch.
        Built before any ``update_state``, it reads the variables (one batch behind when
        run together with the updates).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Set every state variable back to its initial value, now."""
        for var, value in self._state:
            var.set_value(value)

    reset_states = reset_state

    def result_value(self):
        """The result from the state variables as they are now, as a NumPy value (runs the
        graph; no feeds needed)."""
        self._ensure_state(self._graph)
        if self._result_of_variables is None:
            pending, self._new_values = self._new_values, {}
            try:
                self._result_of_variables = self.result()
            finally:
                self._new_values = pending
        return K.Session(self._result_of_variables.graph).run(self._result_of_variables)

    def __call__(self, *args, **kwargs):
        """``update_state(...)`` then ``result()``. The updates are in ``self.updates``: pass
        them to ``K.function(..., updates=...)`` for them to take effect."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self._dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def _graph_of(*values):
    tensors = [v for v in values if isinstance(v, Tensor)]
    return tensors[0].graph if tensors else K.get_default_graph()


class Reduce(Metric):
    """Sum (``reduction='sum'``) or weighted mean (``'mean'``) of all values seen."""

    def __init__(self, reduction, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if reduction not in ("sum", "mean"):
            raise ValueError(f"Reduce metric {self.name!r}: reduction {reduction!r}; "
                             "expected 'sum' or 'mean'.")
        self.reduction = reduction

    def build_state(self):
        self.total = self.add_weight("total")
        if self.reduction == "mean":
            self.count = self.add_weight("count")

    def update_state(self, values, sample_weight=None):
        """Add ``sum(values * sample_weight)`` to the total and ``sum(sample_weight)`` (each
        weight counted once per value it scales) to the count.

        Args:
            values: tensor or array of any shape.
            sample_weight: None, or weights broadcastable to ``values`` after dropping
                trailing size-1 axes or adding trailing axes (``(batch,)`` for
                ``(batch, steps)`` values).

        Returns:
            The ``(variable, new_value)`` pairs.
        """
        self._ensure_state(_graph_of(values, sample_weight))
        if not isinstance(values, Tensor):
            values = K.constant(np.asarray(values, dtype=self.dtype))
        if values.dtype != np.dtype(self.dtype):
            values = K.cast(values, self.dtype)
        if sample_weight is None:
            weights = K.ones_like(values)
        else:
            if not isinstance(sample_weight, Tensor):
                sample_weight = K.constant(np.asarray(sample_weight, dtype=self.dtype))
            elif sample_weight.dtype != values.dtype:
                sample_weight = K.cast(sample_weight, values.dtype)
            weights = K.broadcast_like(match_weight_rank(sample_weight, values), values)
            values = values * weights
        pairs = [(self.total, self.total + K.sum(values))]
        if self.reduction == "mean":
            pairs.append((self.count, self.count + K.sum(weights)))
        return self._record(pairs)

    def result(self):
        self._ensure_state(self._graph)
        if self.reduction == "sum":
            return K.identity(self.current(self.total))
        return div_no_nan(self.current(self.total), self.current(self.count))


class Sum(Reduce):
    """The (weighted) sum of all values seen (``tf.keras.metrics.Sum``).

    Example:
        >>> m = Sum()
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__("sum", name=name, dtype=dtype)

    def get_config(self):
        return Metric.get_config(self)


class Mean(Reduce):
    """The (weighted) mean of all values seen: ``sum(values * w) / sum(w)``
    (``tf.keras.metrics.Mean``). Its result is 0 before any value.

    Example:
        >>> m = Mean(name="loss_mean")
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__("mean", name=name, dtype=dtype)

    def get_config(self):
        return Metric.get_config(self)


class MeanMetricWrapper(Mean):
    """The mean of a per-sample function ``fn(y_true, y_pred, **kwargs)`` over all samples.

    Args:
        fn: per-sample function (an accuracy or a loss function).
        name: default ``fn``'s name.
        dtype: the state's dtype.
        **kwargs: passed to ``fn``.

    Example:
        >>> from hilayers import losses
        >>> m = MeanMetricWrapper(losses.huber, delta=2.0)
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add ``fn(y_true, y_pred)`` of this batch (weighted by ``sample_weight``)."""
        return super().update_state(self.fn(y_true, y_pred, **self._fn_kwargs),
                                    sample_weight=sample_weight)

    def __getattr__(self, attr):
        kwargs = self.__dict__.get("_fn_kwargs", {})
        if attr in kwargs:
            return kwargs[attr]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")

    def get_config(self):
        config = Metric.get_config(self)
        config.update(self._fn_kwargs)
        if type(self) is MeanMetricWrapper:
            config["fn"] = self.fn.__name__
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is MeanMetricWrapper:
            from . import get
            config["fn"] = get(config["fn"])
        return cls(**config)
