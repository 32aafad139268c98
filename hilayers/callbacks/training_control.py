"""Callbacks that steer training: EarlyStopping, ReduceLROnPlateau, LearningRateScheduler,
TerminateOnNaN.

Example:
    >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
"""
import math
import warnings

import numpy as np

from .base import Callback


def _mode_better(mode, monitor):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max'; received {mode!r}.")
    if mode == "auto":
        mode = "max" if ("acc" in monitor or monitor.endswith("auc")
                         or "precision" in monitor or "recall" in monitor) else "min"
    return mode


class _Monitoring(Callback):
    def __init__(self, monitor, mode, min_delta):
        super().__init__()
        self.monitor = monitor
        self.mode = _mode_better(mode, monitor)
        self.min_delta = abs(min_delta)
        self.best = math.inf if self.mode == "min" else -math.inf

    def _improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def _value(self, logs):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{type(self).__name__}: the monitored value {self.monitor!r} is not "
                          f"in the logs (available: {sorted(logs or {})}); skipping.")
        return value


class EarlyStopping(_Monitoring):
    """Stop training when ``monitor`` has stopped improving for ``patience`` epochs.

    Args:
        monitor: the logged quantity to watch (``'val_loss'``).
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (from the name).
        baseline: a value the quantity must beat.
        restore_best_weights: at the end of training (stopped early or not), restore the
            weights of the best epoch.
        start_from_epoch: epochs to wait before watching.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        if self.baseline is not None:
            self.best = self.baseline
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        value = self._value(logs)
        if value is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_state(self):
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch}

    def set_state(self, state):
        self.wait, self.best, self.best_epoch = state["wait"], state["best"], state["best_epoch"]


class ReduceLROnPlateau(_Monitoring):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving.

    Args:
        factor: the multiplier, in (0, 1).
        patience: epochs without improvement before reducing.
        cooldown: epochs to wait after a reduction.
        min_lr: the lowest learning rate.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1); received {factor}.")
        super().__init__(monitor, mode, min_delta)
        self.factor, self.patience, self.verbose = factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.cooldown_counter = 0
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        value = self._value(logs)
        if value is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(value):
            self.best, self.wait = value, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = float(self.model.optimizer.learning_rate)
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose > 0:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new:.4g}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def get_state(self):
        return {"wait": self.wait, "best": self.best, "cooldown_counter": self.cooldown_counter}

    def set_state(self, state):
        self.wait, self.best = state["wait"], state["best"]
        self.cooldown_counter = state["cooldown_counter"]


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch's start to ``schedule(epoch, lr)``."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        old = float(self.model.optimizer.learning_rate)
        try:
            new = self.schedule(epoch, old)
        except TypeError:          # a schedule of the epoch alone
            new = self.schedule(epoch)
        new = float(new)
        if not np.isfinite(new):
            raise ValueError(f"LearningRateScheduler: the schedule returned {new} at epoch "
                             f"{epoch}; expected a finite float.")
        self.model.optimizer.learning_rate = new
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {new:.4g}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite, saying at which batch."""

    def __init__(self):
        super().__init__()
        self._epoch = 0
        self.message = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            self.message = (f"TerminateOnNaN: batch {batch} of epoch {self._epoch + 1} has loss "
                            f"{loss}; terminating training.")
            print(self.message)
            self.model.stop_training = True
