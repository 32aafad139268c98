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

    def plot(self, to_file="history.png", metrics=None, title=None, dpi=100):
        """Plot the loss and metrics per epoch, training and validation, to ``to_file``.

        See :func:`hilayers.utils.plot_history` (needs matplotlib: ``pip install
        'hilayers[viz]'``). Returns the matplotlib ``Figure``.
        """
        from ..utils.plotting_history import plot_history
        return plot_history(self, to_file=to_file, metrics=metrics, title=title, dpi=dpi)
