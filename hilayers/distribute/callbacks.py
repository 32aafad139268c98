"""Callbacks that make ``fit`` data-parallel, and rank-0-only versions of the others.

* :class:`BroadcastInitialState`: at the first batch of ``fit``, every rank takes rank 0's
  weights and optimizer state (then the averaged gradients keep them equal);
* :class:`AverageMetrics`: the epoch's logged loss and metrics become their mean over ranks;
* :class:`AverageLayerState`: at each epoch end, the float non-trainable weights that layers
  update themselves (BatchNormalization's moving statistics) become their mean over ranks;
* :class:`RootOnly`: runs a callback on rank 0 only (checkpoints, CSV logs, TensorBoard);
* :class:`BackupAndRestore`: every rank resumes from the backup, only rank 0 writes it.

These three first ones declare ``runs_first = True``: ``fit`` runs them before the progress
bar and the other callbacks, which so see averaged logs and equal weights.
:func:`default_callbacks` returns them.

Example:
    >>> import numpy as np
    >>> from hilayers import Sequential, layers
    >>> from hilayers import distribute as hd
    >>> model = Sequential([layers.Dense(1, input_shape=(2,))])
    >>> model.compile(hd.DistributedOptimizer("sgd"), "mse")
    >>> history = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0,
    ...                     callbacks=hd.default_callbacks())
    >>> len(history.history["loss"])
    2
"""
import os

import numpy as np

from ..callbacks import BackupAndRestore as _LocalBackupAndRestore
from ..callbacks import Callback
from . import collectives
from .errors import DistributedError
from .optimizer import is_distributed
from .runtime import context as current_context

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
          "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
          "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
          "on_predict_begin", "on_predict_end", "on_predict_batch_begin",
          "on_predict_batch_end")


class BroadcastInitialState(Callback):
    """At the first batch of each ``fit``, copy rank ``root``'s weights (all of them) and
    optimizer state (iterations, slots) to every rank, in one broadcast.

    It runs when the first batch begins because the optimizer's slots exist only once the
    training function is built, just before. It also checks that the model's optimizer
    averages gradients.

    Args:
        root: the rank whose state wins.

    Raises:
        DistributedError: in ``on_train_begin`` when the optimizer is not distributed and
            there are several ranks; in the broadcast when ranks hold different variables.
    """

    runs_first = True

    def __init__(self, root=0):
        super().__init__()
        self.root = root
        self._done = False

    def on_train_begin(self, logs=None):
        self._done = False
        if current_context().size > 1 and not is_distributed(self.model.optimizer):
            raise DistributedError(
                f"Model {self.model.name!r} trains on {current_context().size} ranks, but its "
                "optimizer does not average gradients, so the ranks would drift apart: "
                "compile with hilayers.distribute.DistributedOptimizer(optimizer).")

    def on_train_batch_begin(self, batch, logs=None):
        if self._done:
            return
        self._done = True
        optimizer = self.model.optimizer
        weights, state = self.model.get_weights(), optimizer.get_weights()
        values = collectives.broadcast_arrays(weights + state, self.root,
                                              "the broadcast of the initial weights and "
                                              "optimizer state")
        self.model.set_weights(values[:len(weights)])
        if state:
            optimizer.set_weights(values[len(weights):])


class AverageMetrics(Callback):
    """At each epoch end, replace the numbers in the logs by their mean over ranks.

    With equal shards this is the figure over the global epoch. The live figures of the
    progress bar during an epoch stay rank 0's own.
    """

    runs_first = True

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or current_context().size == 1:
            return
        keys = sorted(k for k, v in logs.items() if isinstance(v, (int, float, np.number)))
        means = collectives.allreduce_mean([np.array([logs[k] for k in keys], np.float64)],
                                           "metrics", "averaging the epoch's metrics",
                                           tag=",".join(keys))[0]
        logs.update({k: float(v) for k, v in zip(keys, means)})


class AverageLayerState(Callback):
    """At each epoch end, average over ranks the float non-trainable weights of the model,
    such as BatchNormalization's moving mean and variance, which each rank updates from its
    own batches."""

    runs_first = True

    def _average(self):
        context = current_context()
        weights = [w for w in self.model.non_trainable_weights if w.dtype.kind == "f"]
        if context.size == 1 or not weights:
            return
        values = collectives.allreduce_mean([w.get_value() for w in weights], "layer_state",
                                            "averaging the layers' non-trainable weights")
        for w, value in zip(weights, values):
            w.set_value(value)

    def on_epoch_end(self, epoch, logs=None):
        self._average()


class RootOnly(Callback):
    """Run ``callback`` on rank ``root`` only (the others skip every hook).

    Use it for what should happen once per job: checkpoints, CSV logs, TensorBoard.
    ``get_state``/``set_state`` pass through on every rank.

    Args:
        callback: a :class:`~hilayers.callbacks.Callback`.
        root: the rank that runs it.
        everywhere: names of hooks that still run on every rank.

    Raises:
        TypeError: when ``callback`` is not a Callback.
    """

    def __init__(self, callback, root=0, everywhere=()):
        super().__init__()
        if not isinstance(callback, Callback):
            raise TypeError(f"RootOnly wraps a Callback; received {type(callback).__name__}.")
        unknown = sorted(set(everywhere) - set(_HOOKS))
        if unknown:
            raise ValueError(f"RootOnly: unknown hooks {unknown}; the hooks are {list(_HOOKS)}.")
        self.callback, self.root, self.everywhere = callback, root, tuple(everywhere)

    def set_model(self, model):
        super().set_model(model)
        self.callback.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        self.callback.set_params(params)

    def get_state(self):
        return self.callback.get_state()

    def set_state(self, state):
        self.callback.set_state(state)

    def __repr__(self):
        return f"RootOnly({self.callback!r}, root={self.root})"


def _forward(hook):
    def call(self, *args):
        if hook in self.everywhere or current_context().rank == self.root:
            getattr(self.callback, hook)(*args)
    call.__name__ = hook
    return call


for _hook in _HOOKS:
    setattr(RootOnly, _hook, _forward(_hook))


class BackupAndRestore(RootOnly):
    """:class:`hilayers.callbacks.BackupAndRestore` for a job: every rank restores from the
    backup when ``fit`` starts, only rank 0 writes and deletes it.

    ``backup_dir`` must be on a file system every rank sees (the ranks check this).

    Args:
        backup_dir, save_freq, delete_checkpoint: as in
            :class:`hilayers.callbacks.BackupAndRestore`.

    Raises:
        DistributedError: when the backup exists for some ranks and not for others.
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__(_LocalBackupAndRestore(backup_dir, save_freq, delete_checkpoint),
                         everywhere=("on_train_begin",))

    def on_train_begin(self, logs=None):
        path = self.callback.checkpoint_path
        if not collectives.agree(os.path.exists(path), "checking for a training backup"):
            raise DistributedError(
                f"Rank {current_context().rank}: the training backup {path!r} "
                f"{'exists' if os.path.exists(path) else 'is missing'} here but not on every "
                "rank. Put backup_dir on a file system shared by all ranks.")
        self.callback.on_train_begin(logs)


def default_callbacks(root=0):
    """The callbacks every data-parallel ``fit`` needs: ``[BroadcastInitialState(root),
    AverageMetrics(), AverageLayerState()]``."""
    return [BroadcastInitialState(root), AverageMetrics(), AverageLayerState()]
