"""``ProgbarLogger``: progress of ``fit`` / ``evaluate`` / ``predict`` on tqdm.

* ``verbose=1``: one bar per epoch with batches done, rate, ETA and the live loss and
  metrics; the validation figures are printed when the epoch ends.
* ``verbose=2``: one line per epoch.
* ``verbose=0``: silent.

When the output is not a terminal (a log file, CI), a bar would be redrawn into the file many
times; there ``verbose=1`` writes one line per epoch instead, like ``verbose=2``.
"""
import sys
import time

from tqdm.auto import tqdm

from .base import Callback


def format_logs(logs, keys=None):
    keys = keys or list(logs)
    return " - ".join(f"{k}: {_fmt(logs[k])}" for k in keys if k in logs)


def _fmt(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{value:.4e}" if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e4) \
        else f"{value:.4f}"


class ProgbarLogger(Callback):
    """Shows training progress (see the module docstring).

    ``fit(verbose=1 or 2)`` adds one writing to standard output; add your own to write
    elsewhere.

    Args:
        verbose: 0, 1 or 2.
        file: where to write (default ``sys.stdout``).

    Example:
        >>> import io
        >>> import numpy as np
        >>> from hilayers import Sequential, layers
        >>> model = Sequential([layers.Dense(1, input_shape=(2,))])
        >>> model.compile("sgd", "mse")
        >>> log = io.StringIO()                 # not a terminal: one line per epoch
        >>> _ = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0,
        ...               callbacks=[ProgbarLogger(verbose=1, file=log)])
        >>> [line.split(" - ")[0] for line in log.getvalue().splitlines()]
        ['Epoch 1/2', 'Epoch 2/2']
    """

    def __init__(self, verbose=1, file=None):
        super().__init__()
        self.verbose = verbose
        self.file = file
        self._bar = None

    def _stream(self):
        return self.file or sys.stdout

    def _interactive(self):
        stream = self._stream()
        return self.verbose == 1 and hasattr(stream, "isatty") and stream.isatty()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._start = time.perf_counter()
        epochs = self.params.get("epochs", 1)
        if self._interactive():
            self._bar = tqdm(total=self.params.get("steps"), desc=f"Epoch {epoch + 1}/{epochs}",
                             unit="batch", file=self._stream(), leave=True,
                             dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix_str(format_logs(logs or {}), refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        elapsed = time.perf_counter() - self._start
        if self._bar is not None:
            train = {k: v for k, v in logs.items() if not k.startswith("val_")}
            self._bar.set_postfix_str(format_logs(train), refresh=True)
            self._bar.close()
            self._bar = None
            val = {k: v for k, v in logs.items() if k.startswith("val_")}
            if val:
                print(f"  {format_logs(val)}", file=self._stream(), flush=True)
        elif self.verbose in (1, 2):
            epochs = self.params.get("epochs", 1)
            print(f"Epoch {epoch + 1}/{epochs} - {elapsed:.1f}s - {format_logs(logs)}",
                  file=self._stream(), flush=True)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
