"""``BackupAndRestore``: continue an interrupted ``fit`` where it stopped, as in tf.keras.

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> from hilayers import Sequential, layers
    >>> model = Sequential([layers.Dense(1, input_shape=(2,))])
    >>> model.compile("sgd", "mse")
    >>> folder = os.path.join(tempfile.mkdtemp(), "backup")
    >>> backup = BackupAndRestore(folder, save_freq=2, delete_checkpoint=False)
    >>> _ = model.fit(np.ones((8, 2)), np.ones((8, 1)), batch_size=2, epochs=2, verbose=0,
    ...               callbacks=[backup])
    >>> os.listdir(folder)
    ['training_checkpoint.h5']
"""
import contextlib
import os

import numpy as np

from .base import Callback


class BackupAndRestore(Callback):
    """Keep a training checkpoint in ``backup_dir``; when ``fit`` starts and one exists,
    restore it and continue from the epoch and batch it was taken at.

    The checkpoint (:mod:`hilayers.saving.checkpoint`) holds the weights, the optimizer's
    state, the running loss and metrics, the epoch and batch, every random generator's state
    and the other callbacks' states. On NumPy, a run killed at any point (even while saving)
    and started again with the same program ends with the same weights, bit for bit, as a
    run never interrupted.

    A save is due at the end of an epoch (``save_freq='epoch'``) or every ``save_freq``
    batches; it is written when the next batch or epoch begins, once every callback has seen
    the last one (so their states are complete), or at the end of training.

    Args:
        backup_dir: the folder of the checkpoint (``training_checkpoint.h5``); created if
            missing. Use one folder per training run.
        save_freq: ``'epoch'`` or a positive int (batches, counted across epochs).
        delete_checkpoint: delete the checkpoint when training ends normally.

    Raises:
        ValueError: for an empty ``backup_dir`` or a bad ``save_freq``.
    """

    FILENAME = "training_checkpoint.h5"

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir must be a folder path; received "
                             f"{backup_dir!r}.")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"BackupAndRestore: save_freq must be 'epoch' or a positive int "
                             f"(batches); received {save_freq!r}.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq, self.delete_checkpoint = save_freq, delete_checkpoint
        self._reset()

    @property
    def checkpoint_path(self):
        """The checkpoint file in ``backup_dir``."""
        return os.path.join(self.backup_dir, self.FILENAME)

    def _reset(self):
        self._epoch = 0
        self._epoch_start_state = None
        self._batches_since_save = 0
        self._due = False           # a save is due at the next batch or epoch begin

    # -- hooks ---------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        from ..saving.checkpoint import load_training_checkpoint
        self._reset()
        if os.path.exists(self.checkpoint_path):
            # The callbacks' states are restored by fit once every on_train_begin has run.
            self.model._resume_position = load_training_checkpoint(self.checkpoint_path,
                                                                   self.model)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if self._due:
            self._save(epoch, 0, None)
        # The epoch's shuffle is drawn from NumPy's global generator after this hook; a save
        # inside the epoch stores this state so that a restart draws the same order.
        self._epoch_start_state = np.random.get_state()

    def on_train_batch_begin(self, batch, logs=None):
        if self._due and batch > 0:
            self._save(self._epoch, batch, self._epoch_start_state)

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch":
            self._batches_since_save += 1
            if self._batches_since_save >= self.save_freq:
                self._batches_since_save = 0
                self._due = True

    def on_epoch_end(self, epoch, logs=None):
        self._epoch = epoch + 1
        if self.save_freq == "epoch":
            self._due = True

    def on_train_end(self, logs=None):
        if self.delete_checkpoint:
            self._delete()
        elif self._due:
            self._save(self._epoch, 0, None)

    def _delete(self):
        """Remove the checkpoint, the temporary files of saves that were killed while
        writing (see hilayers.saving.atomic), and the folder if nothing else is in it."""
        leftovers = [os.path.join(self.backup_dir, name)
                     for name in os.listdir(self.backup_dir)
                     if name.startswith(f".{self.FILENAME}.") and name.endswith(".tmp")] \
            if os.path.isdir(self.backup_dir) else []
        for path in [self.checkpoint_path] + leftovers:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)              # only when empty

    def _save(self, epoch, step, numpy_state):
        from ..saving.checkpoint import save_training_checkpoint
        os.makedirs(self.backup_dir, exist_ok=True)
        others = [cb for cb in getattr(self.model, "_fit_callbacks", None) or []
                  if cb is not self]
        save_training_checkpoint(self.checkpoint_path, self.model, epoch, step,
                                 callbacks=others, numpy_state=numpy_state)
        self._due = False
