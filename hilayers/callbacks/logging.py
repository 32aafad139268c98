"""CSVLogger and LambdaCallback."""
import csv
import os

from .base import Callback


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file.

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: add to an existing file (without a second header) instead of replacing it.

    Example:
        >>> logger = CSVLogger("training.csv", append=True)   # then fit(..., callbacks=[logger])
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self._file = None
        self._writer = None
        self._keys = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename)
        self._file = open(self.filename, "a" if self.append else "w", newline="",
                          encoding="utf-8")
        self._keys = None
        self._has_header = bool(exists)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        if self._keys is None:
            self._keys = sorted(logs)
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch"] + self._keys,
                                          delimiter=self.separator, extrasaction="ignore")
            if not self._has_header:
                self._writer.writeheader()
        row = {"epoch": epoch}
        row.update({k: logs.get(k, "NA") for k in self._keys})
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None


class LambdaCallback(Callback):
    """A callback from functions: ``on_epoch_begin(epoch, logs)``, ``on_epoch_end``,
    ``on_batch_begin(batch, logs)``, ``on_batch_end``, ``on_train_begin(logs)``,
    ``on_train_end(logs)``.

    Example:
        >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_batch_begin=on_batch_begin, on_batch_end=on_batch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end, **kwargs)
        for name, fn in hooks.items():
            if fn is not None:
                if not hasattr(Callback, name):
                    raise TypeError(f"LambdaCallback: unknown hook {name!r}.")
                setattr(self, name, fn)
