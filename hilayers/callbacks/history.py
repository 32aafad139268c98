"""``History``: the per-epoch logs of ``fit``, returned by it."""
from .base import Callback


class History(Callback):
    """Records ``logs`` at the end of each epoch.

    Attributes:
        epoch: the epoch indices seen.
        history: ``{metric name: [value per epoch]}``.
    """

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
