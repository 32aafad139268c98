"""The ``Optimizer`` base class: gradients, clipping, weight decay, slots and the step count.

An optimizer turns a loss into ``(variable, new_value)`` pairs, the ``updates`` of one
compiled training function (``K.function(inputs, outputs, updates)``). All reads in that run
see the values from the start of the step and all writes land at its end, so every rule is
written as "new value from old values", exactly like its formula.

State lives in variables created on first use, in the graph of the parameters:

* ``iterations``: an int64 step counter, incremented by every step;
* ``learning_rate``: a float variable (callbacks read and set it through the
  :attr:`Optimizer.learning_rate` property), unless a schedule was given, in which case the
  rate of a step is ``schedule(iterations)`` (the property then reads that value, and the
  schedule is :attr:`Optimizer.learning_rate_schedule`);
* slots: per-parameter variables named ``'{optimizer}/{parameter}/{slot}'`` (e.g.
  ``'adam/dense/kernel/m'``), created when a parameter is first seen.

Example:
    >>> import numpy as np
    >>> from hilayers import backend as K
    >>> from hilayers.optimizers import SGD
    >>> w = K.variable(np.array([3.0]), name="w")
    >>> opt = SGD(learning_rate=0.1)
    >>> step = K.function([], K.sum(K.square(w)), updates=opt.get_updates(K.sum(K.square(w)), [w]))
    >>> _ = step([]); w.get_value()
    array([2.4], dtype=float32)
"""
import numpy as np

from .. import backend as K
from ..backend import Variable
from ..utils.registry import snake_case
from .schedules import LearningRateSchedule, deserialize as _deserialize_schedule


class Optimizer:
    """Base class of the optimizers (``tf.keras.optimizers.Optimizer``).

    Subclasses declare their per-parameter slots in :meth:`build_slots` (with
    :meth:`add_slot`) and their rule in :meth:`update_step`.

    Args:
        learning_rate: a float or a :class:`~hilayers.optimizers.schedules.LearningRateSchedule`.
        weight_decay: if set, decoupled weight decay: each step first scales every parameter
            by ``1 - weight_decay * learning_rate`` (Loshchilov & Hutter, "Decoupled Weight
            Decay Regularization", ICLR 2019).
        clipnorm: clip each gradient to this L2 norm: ``g * clipnorm / max(|g|, clipnorm)``.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together so that their joint L2 norm is at most
            this: ``g * global_clipnorm / max(global_norm, global_clipnorm)``.
        name: the optimizer's name (prefix of its variables).

    Raises:
        ValueError: when more than one clipping option is set, or one is not positive.
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue,
                 "global_clipnorm": global_clipnorm}
        given = [k for k, v in clips.items() if v is not None]
        if len(given) > 1:
            raise ValueError(f"{type(self).__name__}: only one of clipnorm, clipvalue and "
                             f"global_clipnorm can be set; received {', '.join(given)}.")
        for key in given:
            if not clips[key] > 0:
                raise ValueError(f"{type(self).__name__}: {key} must be positive; received "
                                 f"{clips[key]}.")
        self.name = name or snake_case(type(self).__name__)
        self.weight_decay = None if weight_decay is None else float(weight_decay)
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        if isinstance(learning_rate, dict):
            learning_rate = _deserialize_schedule(learning_rate)
        self._schedule = None
        self._lr_value = None
        self._set_rate(learning_rate, built=False)
        self._graph = None
        self._iterations = None
        self._lr_variable = None
        self._globals = []               # optimizer-wide state after iterations (Nadam)
        self._slots = {}                 # parameter -> {slot name: variable}, in order
        self._step_cache = {}

    # -- learning rate -------------------------------------------------------------------------
    def _set_rate(self, value, built):
        if isinstance(value, LearningRateSchedule) or (callable(value) and
                                                       not isinstance(value, (int, float))):
            if built:
                raise TypeError(f"{self.name}: cannot switch to a learning-rate schedule after "
                                "the optimizer has built its update step; pass the schedule "
                                "to the constructor.")
            self._schedule, self._lr_value = value, None
            return
        if self._schedule is not None and (built or getattr(self, "_lr_value", 0) is None):
            raise TypeError(f"{self.name} was created with the learning-rate schedule "
                            f"{self._schedule!r}; its rate cannot be set to {value!r}. Create "
                            "the optimizer with a float learning rate to set it.")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{self.name}: learning_rate must be a float or a "
                            f"LearningRateSchedule; received {value!r}.") from None
        self._schedule, self._lr_value = None, value

    @property
    def learning_rate(self):
        """The current learning rate as a float (with a schedule: its value at the current
        ``iterations``, as Keras 3 reports it). Assign a float to change the rate of every
        following step, as callbacks do; with a schedule that raises ``TypeError``."""
        if self._schedule is not None:
            step = int(self._iterations.get_value()) if self._iterations is not None else 0
            return float(self._schedule(step))
        if self._lr_variable is not None:
            return float(self._lr_variable.get_value())
        return self._lr_value

    @learning_rate.setter
    def learning_rate(self, value):
        self._set_rate(value, built=self._graph is not None)
        if self._lr_variable is not None:
            self._lr_variable.set_value(np.asarray(self._lr_value))

    @property
    def learning_rate_schedule(self):
        """The :class:`~hilayers.optimizers.schedules.LearningRateSchedule` given, or None."""
        return self._schedule

    def current_learning_rate(self):
        """The learning-rate tensor of a step: the variable, or ``schedule(iterations)``."""
        self._ensure_built()
        if self._schedule is not None:
            return self._schedule(self._iterations)
        return self._lr_variable

    # -- state ---------------------------------------------------------------------------------
    def _ensure_built(self, graph=None):
        graph = graph or self._graph or K.get_default_graph()
        if self._graph is None:
            self._graph = graph
            self._iterations = K.variable(np.int64(0), dtype="int64", trainable=False,
                                          name=f"{self.name}/iterations", graph=graph)
            if self._schedule is None:
                self._lr_variable = K.variable(self._lr_value, dtype=K.floatx(),
                                               trainable=False,
                                               name=f"{self.name}/learning_rate", graph=graph)
            self.build_globals()
        elif graph is not self._graph:
            raise ValueError(f"Optimizer {self.name!r} keeps its state in another graph than "
                             "the parameters it was given; create a new optimizer for this "
                             "graph (optimizers cannot be shared across graphs).")

    @property
    def iterations(self):
        """The int64 step counter variable (created on first access)."""
        self._ensure_built()
        return self._iterations

    def build_globals(self):
        """Create optimizer-wide state with :meth:`add_global` (none by default)."""

    def add_global(self, name, value, dtype=None):
        """Create the optimizer-wide variable ``'{optimizer}/{name}'`` (listed by
        :meth:`variables` right after ``iterations``)."""
        dtype = dtype or K.floatx()
        var = K.variable(np.asarray(value, dtype=dtype), dtype=dtype, trainable=False,
                         name=f"{self.name}/{name}", graph=self._graph)
        self._globals.append(var)
        return var

    def build_slots(self, param):
        """Create ``param``'s slots with :meth:`add_slot` (none by default)."""

    def add_slot(self, param, slot_name, initial_value=0.0):
        """Create the slot ``'{optimizer}/{param}/{slot_name}'``: a variable of ``param``'s
        shape and dtype filled with ``initial_value``."""
        value = np.full(param.shape, initial_value, dtype=param.dtype)
        var = K.variable(value, dtype=param.dtype, trainable=False,
                         name=f"{self.name}/{param.node.name}/{slot_name}", graph=param.graph)
        self._slots.setdefault(param, {})[slot_name] = var
        return var

    def get_slot(self, param, slot_name):
        """The slot variable ``slot_name`` of ``param``.

        Raises:
            KeyError: naming the slots ``param`` has.
        """
        slots = self._slots.get(param, {})
        if slot_name not in slots:
            raise KeyError(f"{self.name}: parameter {param.name!r} has no slot {slot_name!r}; "
                           f"it has {sorted(slots)}.")
        return slots[slot_name]

    def variables(self):
        """All state variables in a deterministic order: ``iterations``, optimizer-wide state,
        then each parameter's slots in the order the parameters were first seen (the learning
        rate is config, not state)."""
        if self._graph is None:
            return []
        out = [self._iterations] + list(self._globals)
        for slots in self._slots.values():
            out.extend(slots.values())
        return out

    def get_weights(self):
        """The values of :meth:`variables` as NumPy arrays."""
        return [v.get_value() for v in self.variables()]

    def set_weights(self, weights):
        """Set :meth:`variables` from arrays (same order and shapes as :meth:`get_weights`).

        Raises:
            ValueError: when the count differs (build the update step first so that the
                slots exist).
        """
        variables = self.variables()
        if len(weights) != len(variables):
            raise ValueError(f"{self.name}.set_weights: received {len(weights)} arrays; the "
                             f"optimizer has {len(variables)} variables "
                             f"({', '.join(v.name for v in variables) or 'none yet'}). Build the "
                             "training function before restoring optimizer state.")
        for var, value in zip(variables, weights):
            var.set_value(value)

    # -- one step --------------------------------------------------------------------------------
    def get_updates(self, loss, params, constraints=None):
        """The ``(variable, new_value)`` pairs of one step minimising ``loss``.

        Args:
            loss: scalar tensor.
            params: list of variables to train.
            constraints: optional dict ``{variable: callable}`` applied to the new values.

        Returns:
            list of ``(variable, new_value)``: slots, parameters, then ``iterations``.

        Raises:
            ValueError: when ``loss`` depends on none of ``params``.
        """
        return self.apply_gradients(self.compute_gradients(loss, params),
                                    constraints=constraints)

    def compute_gradients(self, loss, params):
        """The gradients of ``loss``, as ``(gradient, variable)`` pairs (the first half of
        :meth:`get_updates`; :meth:`apply_gradients` is the second). A model's ``fit`` calls
        the two halves so that callbacks can fetch the raw gradients (TensorBoard's gradient
        histograms).

        Args:
            loss: scalar tensor.
            params: list of variables.

        Returns:
            list of ``(gradient tensor or None, variable)``, in the order of ``params``.

        Raises:
            ValueError: when ``loss`` depends on none of ``params``.
        """
        params = list(params)
        grads = K.gradients(loss, params)
        if all(g is None for g in grads):
            raise ValueError(f"{self.name}: the loss {loss.name!r} does not depend on any of "
                             f"the parameters ({', '.join(p.name for p in params)}); no "
                             "gradient to apply.")
        return list(zip(grads, params))

    def apply_gradients(self, grads_and_vars, constraints=None):
        """The ``(variable, new_value)`` pairs applying ``grads_and_vars`` (pairs with a None
        gradient are skipped).

        Raises:
            TypeError: when a parameter is not a variable.
            ValueError: when no gradient is given.
        """
        pairs = [(g, v) for g, v in grads_and_vars]
        for _, v in pairs:
            if not isinstance(v, Variable):
                raise TypeError(f"{self.name}: can only update variables; received {v!r}.")
        pairs = [(g, v) for g, v in pairs if g is not None]
        if not pairs:
            raise ValueError(f"{self.name}: no gradients provided for any variable.")
        self._ensure_built(pairs[0][1].graph)
        for _, v in pairs:
            if v not in self._slots:
                self._slots[v] = {}
                self.build_slots(v)
        grads = self._clip([g for g, _ in pairs])
        constraints = constraints or {}
        self._step_cache = {}
        with K.name_scope(self.name):
            updates = list(self.global_updates())
            for grad, var in zip(grads, [v for _, v in pairs]):
                lr = self._cast(self.current_learning_rate(), var.dtype)
                value = var
                if self.weight_decay:
                    value = var - var * (self.weight_decay * lr)
                new_value, slot_updates = self.update_step(grad, var, value, lr)
                if constraints.get(var) is not None:
                    new_value = constraints[var](new_value)
                updates.extend(slot_updates)
                updates.append((var, new_value))
            updates.append((self._iterations, self._iterations + np.int64(1)))
        return updates

    def global_updates(self):
        """``(variable, new_value)`` pairs for optimizer-wide state (none by default)."""
        return []

    def update_step(self, gradient, variable, value, learning_rate):
        """The rule for one parameter.

        Args:
            gradient: the (clipped) gradient tensor.
            variable: the parameter (use it to find slots).
            value: the parameter's value to update from (after weight decay).
            learning_rate: the step's rate, in the parameter's dtype.

        Returns:
            ``(new_value, [(slot, new_slot_value), ...])``.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement update_step().")

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _cast(x, dtype):
        return x if x.dtype == np.dtype(dtype) else K.cast(x, dtype)

    def local_step(self, dtype, offset=1):
        """``iterations + offset`` as a tensor of ``dtype`` (the 1-based step number)."""
        key = (np.dtype(dtype).name, offset)
        if key not in self._step_cache:
            self._step_cache[key] = self._cast(self._iterations + np.int64(offset), dtype)
        return self._step_cache[key]

    def _clip(self, grads):
        if self.clipvalue is not None:
            return [K.clip(g, -float(self.clipvalue), float(self.clipvalue)) for g in grads]
        if self.clipnorm is not None:
            limit = float(self.clipnorm)
            return [g * (limit / K.maximum(K.sqrt(K.sum(K.square(g))), limit)) for g in grads]
        if self.global_clipnorm is not None:
            limit = float(self.global_clipnorm)
            dtype = grads[0].dtype
            total = K.add_n([self._cast(K.sum(K.square(g)), dtype) for g in grads])
            scale = limit / K.maximum(K.sqrt(total), limit)
            return [g * self._cast(scale, g.dtype) for g in grads]
        return grads

    # -- config ----------------------------------------------------------------------------------
    def get_config(self):
        """Plain-JSON config; the learning rate is its current value or the schedule's
        config."""
        rate = self.learning_rate
        if self._schedule is not None:
            rate = {"class_name": type(self._schedule).__name__,
                    "config": self._schedule.get_config()}
        return {"name": self.name, "learning_rate": rate, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                "global_clipnorm": self.global_clipnorm}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _deserialize_schedule(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"
