"""Optimizer state written by Keras, set into the hilayers optimizer of a loaded model.

The optimizers of tf.keras 2.11+ (tf-keras) and Keras 3 list their variables in a file's
``optimizer_weights`` group: a step counter (``iteration:0``, ``adam/iteration``), in
Keras 3 the learning rate (``adam/learning_rate``), then one slot per trainable weight and
kind, named after the weight:

* tf-keras: ``Adam/m/dense/kernel:0`` (optimizer / slot kind / weight);
* Keras 3: ``adam/sequential_dense_kernel_momentum`` (weight path joined by ``_``, then the
  kind).

hilayers' optimizers follow the same formulas and keep the same state, under their own slot
names; :data:`KERAS_SLOT_NAMES` says which Keras kinds each one reads. Keras builds its
optimizer on the model's trainable weights in order, so the k-th slot of a kind belongs to
the k-th trainable weight. Counts, shapes and (where the weights' names in the file are
known) the weight part of each slot's name are checked before anything is set.

State that cannot be matched this way (old Keras 2 optimizers before 2.11 name their slots
``training/Adam/Variable:0``; an optimizer with state Keras does not write) is not read:
:func:`restore_keras_optimizer` returns a reason, and the model keeps a fresh optimizer.

Example:
    >>> parse_keras_name("Adam/m/dense/kernel:0"), parse_keras_name("adam/d_kernel_velocity")
    ('m', 'velocity')
    >>> parse_keras_name("iteration:0"), parse_keras_name("training/Adam/Variable:0")
    ('iteration', None)
"""
import numpy as np

#: hilayers slot name -> the Keras slot kinds that hold the same quantity.
KERAS_SLOT_NAMES = {
    "m": ("m", "momentum"),                           # Adam, Adamax, Nadam first moment
    "v": ("v", "velocity"),                           # Adam, Nadam second moment
    "v_hat": ("vhat", "velocity_hat"),                # Adam(amsgrad=True)
    "u": ("u", "norm"),                               # Adamax
    "momentum": ("m", "momentum"),                    # SGD, RMSprop
    "velocity": ("velocity",),                        # RMSprop
    "average_gradient": ("average_gradient",),        # RMSprop(centered=True)
    "accumulator": ("accumulator",),                  # Adagrad
    "accumulated_grad": ("accumulated_grad",),        # Adadelta
    "accumulated_delta_var": ("accumulated_delta_var",),
}
_KINDS = sorted({k for kinds in KERAS_SLOT_NAMES.values() for k in kinds}, key=len,
                reverse=True)
_COUNTERS = ("iteration", "iterations")


def parse_keras_name(name):
    """What a Keras optimizer variable holds: ``'iteration'``, ``'learning_rate'``, a slot
    kind (``'m'``, ``'velocity'``...), or None when the name says nothing known."""
    base = name[:-2] if name.endswith(":0") else name
    parts = base.split("/")
    if parts[-1] in _COUNTERS:
        return "iteration"
    if parts[-1] == "learning_rate":
        return "learning_rate"
    if name.endswith(":0"):
        # tf-keras: optimizer / kind / weight path.
        return parts[1] if len(parts) >= 3 and parts[1] in _KINDS else None
    if len(parts) == 2:
        # Keras 3: optimizer / <weight path with '_'>_<kind>.
        for kind in _KINDS:
            if parts[1].endswith("_" + kind):
                return kind
    return None


def _create_slots(optimizer, params):
    """Create the optimizer's step counter and the slots of ``params`` as its first step
    would (the same order as ``Optimizer.apply_gradients`` creates them)."""
    optimizer._ensure_built(params[0].graph)
    for param in params:
        if param not in optimizer._slots:
            optimizer._slots[param] = {}
            optimizer.build_slots(param)


def slot_belongs_to(slot_name, kind, weight_name):
    """Whether the Keras slot variable ``slot_name`` of ``kind`` is the slot of the model
    weight saved as ``weight_name`` (tf-keras: ``.../<kind>/<weight>``; Keras 3:
    ``.../<weight with '_'>_<kind>``)."""
    if slot_name.endswith(":0"):
        return slot_name.endswith(f"/{kind}/{weight_name}")
    path = weight_name[:-2] if weight_name.endswith(":0") else weight_name
    return slot_name.endswith("/" + path.replace("/", "_") + "_" + kind)


def _never_read(optimizer):
    """Keras slot kinds a file may hold that this optimizer's step never reads: tf-keras'
    SGD writes momentum slots (the last step) even with ``momentum=0``."""
    if type(optimizer).__name__ == "SGD" and not getattr(optimizer, "momentum", 0.0):
        return {"m", "momentum"}
    return set()


def restore_keras_optimizer(model, named_arrays, weight_names=None):
    """Set ``model.optimizer``'s state from a Keras file's optimizer variables.

    Args:
        model: a compiled model whose optimizer has no state yet.
        named_arrays: ``[(name, array)]`` in the file's order.
        weight_names: ``{variable: name of the file's weight it was loaded from}``; when
            given, each slot's name must name its weight too (see :func:`slot_belongs_to`).

    Returns:
        None when the state was set; otherwise a sentence saying why it was not (the
        optimizer then holds a fresh state).
    """
    optimizer = model.optimizer
    params = list(model.trainable_weights)
    if not params:
        return "the model has no trainable weights"
    if optimizer.variables():
        return f"{type(optimizer).__name__} already has state"
    counter, by_kind = None, {}
    for name, value in named_arrays:
        kind = parse_keras_name(name)
        if kind is None:
            return f"the variable {name!r} is not named as Keras 2.11+ or Keras 3 names them"
        if kind == "iteration":
            counter = value
        elif kind != "learning_rate":                  # the config holds the rate
            by_kind.setdefault(kind, []).append((name, value))
    if counter is None or np.shape(counter) != ():
        return "the file has no step counter ('iteration')"
    # The slots start at their initial values, as a fresh optimizer's would: creating them
    # before the checks below changes nothing a failed match would need undone.
    _create_slots(optimizer, params)
    if optimizer._globals:
        return (f"{type(optimizer).__name__} keeps optimizer-wide state "
                f"{[v.name for v in optimizer._globals]}, which is not read from Keras files")
    plan, used = [], set()
    for slot in optimizer._slots[params[0]]:
        kinds = [k for k in KERAS_SLOT_NAMES.get(slot, ()) if k in by_kind]
        if len(kinds) != 1:
            return f"the file has no single Keras slot for {type(optimizer).__name__}'s {slot!r}"
        saved = by_kind[kinds[0]]
        used.add(kinds[0])
        if [tuple(np.shape(v)) for _, v in saved] != [tuple(p.shape) for p in params]:
            return (f"its {kinds[0]!r} slots have shapes {[np.shape(v) for _, v in saved]}, "
                    f"not those of the trainable weights {[tuple(p.shape) for p in params]}")
        for (name, _), param in zip(saved, params):
            weight = (weight_names or {}).get(param)
            if weight is not None and not slot_belongs_to(name, kinds[0], weight):
                return (f"its slot {name!r} does not belong to weight {weight!r}, the "
                        "trainable weight at its place")
        plan.append((slot, [v for _, v in saved]))
    unused = sorted(set(by_kind) - used - _never_read(optimizer))
    if unused:
        return f"its slots {unused} have no counterpart in {type(optimizer).__name__}"
    for slot, values in plan:
        for param, value in zip(params, values):
            var = optimizer.get_slot(param, slot)
            var.set_value(np.asarray(value, dtype=var.dtype))
    optimizer.iterations.set_value(np.asarray(counter, dtype=np.int64))
    return None


__all__ = ["restore_keras_optimizer", "parse_keras_name", "KERAS_SLOT_NAMES"]
