"""``ModelCheckpoint``: save the model (or its weights) during training, as Keras does.

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> from hilayers import Sequential, layers
    >>> model = Sequential([layers.Dense(1, input_shape=(2,))])
    >>> model.compile("sgd", "mse")
    >>> folder = tempfile.mkdtemp()
    >>> saver = ModelCheckpoint(os.path.join(folder, "w.{epoch:02d}-{loss:.2f}.h5"),
    ...                         monitor="loss", save_weights_only=True, keep_last=2)
    >>> _ = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=3, verbose=0,
    ...               callbacks=[saver])
    >>> [name[:5] for name in sorted(os.listdir(folder))]
    ['w.02-', 'w.03-']
"""
import math
import os
import string
import warnings

from .base import Callback
from .training_control import _mode_better


class ModelCheckpoint(Callback):
    """Save the model or its weights at the end of epochs or every few batches.

    Each save goes to a temporary file beside the target that is then renamed over it, so
    a crash while saving leaves the previous file intact.

    Args:
        filepath: where to save; it may hold ``str.format`` fields: ``{epoch}`` (1-based, as
            in Keras: ``'ckpt/model.{epoch:02d}.h5'``), ``{batch}`` (1-based, batch-level
            saves only) and any value in the logs (``'{val_loss:.2f}'``). Missing folders
            are created.
        monitor: the logged value compared by ``save_best_only``.
        verbose: 1 prints a line per save.
        save_best_only: save only when ``monitor`` improves on the best value seen.
        save_weights_only: ``model.save_weights`` instead of ``model.save``.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (``'max'`` for accuracies, else ``'min'``).
        save_freq: ``'epoch'``, or an int: save every that many batches (counted across
            epochs), with the logs of the batch (running means over the epoch so far).
        initial_value_threshold: the value ``monitor`` must beat for the first save with
            ``save_best_only``.
        keep_last: keep only the last ``keep_last`` files this callback wrote (useful with
            a formatted ``filepath``); None keeps all.

    Raises:
        ValueError: for a bad ``save_freq``, ``mode`` or ``keep_last``, or a ``filepath``
            that is not a valid format string.
        KeyError: at save time, when ``filepath`` names a field the logs do not have.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None, keep_last=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        try:
            self._fields = {name.split(".")[0].split("[")[0]
                            for _, name, _, _ in string.Formatter().parse(self.filepath)
                            if name is not None}
        except ValueError as exc:
            raise ValueError(f"ModelCheckpoint: filepath {self.filepath!r} is not a valid "
                             f"format string ({exc}); double literal braces as '{{{{'.") \
                from None
        if "" in self._fields:
            raise ValueError(f"ModelCheckpoint: filepath {self.filepath!r} has an unnamed "
                             "field '{}'; name it, e.g. '{epoch:02d}'.")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive int "
                             f"(batches); received {save_freq!r}.")
        if keep_last is not None and (isinstance(keep_last, bool) or
                                      not isinstance(keep_last, int) or keep_last < 1):
            raise ValueError(f"ModelCheckpoint: keep_last must be None or a positive int; "
                             f"received {keep_last!r}.")
        self.monitor, self.verbose = monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.mode = _mode_better(mode, monitor)
        self.save_freq, self.keep_last = save_freq, keep_last
        if initial_value_threshold is not None:
            self.best = float(initial_value_threshold)
        else:
            self.best = math.inf if self.mode == "min" else -math.inf
        self._batches_since_save = 0
        self._epoch = 0
        self._kept = []            # the files written, oldest first (for keep_last)

    # -- hooks ---------------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    # -- saving ----------------------------------------------------------------------------------
    def file_path(self, epoch, batch=None, logs=None):
        """The path of a save at ``epoch`` (0-based; shown 1-based) and ``batch``.

        Raises:
            KeyError: naming the field and the values available.
        """
        values = dict(logs or {})
        values["epoch"] = epoch + 1
        if batch is not None and "batch" not in values:
            values["batch"] = batch + 1
        missing = sorted(self._fields - set(values))
        if missing:
            raise KeyError(f"ModelCheckpoint cannot format filepath {self.filepath!r}: field "
                           f"{missing[0]!r} is not among the available values "
                           f"{sorted(values)}. Monitor a logged value (validation values "
                           "exist at epoch ends only, with validation data).")
        return self.filepath.format(**values)

    def _save(self, epoch, batch, logs):
        path = self.file_path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"ModelCheckpoint: can save the best model only with "
                              f"{self.monitor!r} in the logs (available: {sorted(logs)}); "
                              "skipping.", UserWarning, stacklevel=3)
                return
            if not self._improved(current):
                if self.verbose > 0:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = float(current)
        elif self.verbose > 0:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)
        self._remember(path)

    def _improved(self, value):
        return value < self.best if self.mode == "min" else value > self.best

    def _remember(self, path):
        path = os.path.abspath(path)
        if path in self._kept:
            self._kept.remove(path)
        self._kept.append(path)
        if self.keep_last is None:
            return
        while len(self._kept) > self.keep_last:
            old = self._kept.pop(0)
            try:
                os.remove(old)
            except FileNotFoundError:
                pass

    # -- checkpoint state ------------------------------------------------------------------------
    def get_state(self):
        """The best value seen, the batches since the last save and the files kept."""
        return {"best": self.best, "batches_since_save": self._batches_since_save,
                "kept": list(self._kept)}

    def set_state(self, state):
        self.best = float(state["best"])
        self._batches_since_save = int(state["batches_since_save"])
        self._kept = [str(p) for p in state["kept"]]
