"""``TensorBoard``: training curves, weight and gradient histograms, and the model's graph.

The callback writes TensorBoard event files (through the ``tensorboard`` package's own
writer; TensorFlow is not needed) in two runs, as Keras lays them out:

* ``log_dir/train``: ``epoch_<metric>`` per epoch (step = epoch index), ``epoch_learning_rate``,
  ``batch_<metric>`` every ``update_freq`` batches (step = the optimizer's step count), the
  histograms, and the graph;
* ``log_dir/validation``: ``epoch_<metric>`` from the ``val_`` logs, so that TensorBoard draws
  training and validation on one chart.

Look at them with ``tensorboard --logdir log_dir``.

Example:
    >>> import numpy as np, tempfile
    >>> from hilayers import Sequential, layers
    >>> model = Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
    >>> model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    >>> logs = tempfile.mkdtemp()
    >>> history = model.fit(np.random.rand(8, 3), np.arange(8) % 2, epochs=2, verbose=0,
    ...                     callbacks=[TensorBoard(logs, histogram_freq=1, write_grads=True)])
"""
import os
import warnings

import numpy as np

from ..summary.protos import require_tensorboard
from .base import Callback


class TensorBoard(Callback):
    """Write logs for TensorBoard during ``fit``.

    Args:
        log_dir: the folder for the event files (``train/`` and ``validation/`` inside).
        histogram_freq: every this many epochs (from the first), write a histogram of every
            weight of the model; 0 writes none.
        write_graph: write the model's dataflow graph (after the first training batch, so it
            holds the training step: forward pass, loss, gradients and optimizer updates).
        write_grads: with ``histogram_freq``, also write histograms of the gradients of the
            training loss for each trainable weight, computed on the epoch's last batch at the
            weights the epoch ended with (raw gradients, before any clipping; Dropout draws
            new masks for that computation).
        update_freq: ``"epoch"`` (scalars once per epoch), ``"batch"`` (also after every
            batch) or an int ``N`` (also after every ``N``-th batch). Batch figures are the
            running values of the epoch so far, as the progress bar shows them.
        histogram_bins: the number of buckets of each histogram.

    Raises:
        ImportError: when the ``tensorboard`` package is missing (it says what to install).
        ValueError: for a negative ``histogram_freq``, an unknown ``update_freq``, or
            ``write_grads`` without ``histogram_freq``.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_grads=False,
                 update_freq="epoch", histogram_bins=30):
        super().__init__()
        require_tensorboard("The TensorBoard callback")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _non_negative_int("histogram_freq", histogram_freq)
        self.write_graph = bool(write_graph)
        if write_grads and not self.histogram_freq:
            raise ValueError("TensorBoard: write_grads=True needs histogram_freq > 0 (the "
                             "gradient histograms are written with the weight histograms); "
                             "received histogram_freq=0.")
        self.write_grads = bool(write_grads)
        self.update_freq = _batch_frequency(update_freq)
        if isinstance(histogram_bins, bool) or not isinstance(histogram_bins, int) \
                or histogram_bins < 1:
            raise ValueError(f"TensorBoard: histogram_bins must be a positive int; received "
                             f"{histogram_bins!r}.")
        self.histogram_bins = histogram_bins
        self._writers = {}
        self._graph_written = False

    # -- writers -----------------------------------------------------------------------------------
    def _writer(self, run):
        if run not in self._writers:
            from ..summary import FileWriter
            self._writers[run] = FileWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # -- hooks -------------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._close_writers()
        self._graph_written = False

    def on_train_batch_end(self, batch, logs=None):
        if self.write_graph and not self._graph_written:
            self._writer("train").add_graph(self.model.inputs[0].graph)
            self._graph_written = True
        if self.update_freq is None:
            return
        step = self._optimizer_step()
        if step % self.update_freq == 0:
            writer = self._writer("train")
            for name, value in (logs or {}).items():
                writer.add_scalar(f"batch_{name}", value, step)

    def on_epoch_end(self, epoch, logs=None):
        train, validation = {}, {}
        for name, value in (logs or {}).items():
            if name.startswith("val_"):
                validation[name[len("val_"):]] = value
            else:
                train[name] = value
        rate = self._learning_rate()
        if rate is not None:
            train.setdefault("learning_rate", rate)
        for run, values in (("train", train), ("validation", validation)):
            for name, value in values.items():
                self._writer(run).add_scalar(f"epoch_{name}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        self._close_writers()

    # -- helpers -------------------------------------------------------------------------------------
    def _optimizer_step(self):
        """The number of optimizer steps taken so far (continues across fit calls)."""
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            return 0
        return int(optimizer.iterations.get_value())

    def _learning_rate(self):
        optimizer = getattr(self.model, "optimizer", None)
        rate = getattr(optimizer, "learning_rate", None)
        return float(rate) if isinstance(rate, (int, float, np.floating)) else None

    def _write_histograms(self, epoch):
        writer = self._writer("train")
        for weight in self.model.weights:
            self._histogram(writer, _tag(weight), weight.get_value(), epoch)
        if self.write_grads:
            for weight, gradient in self.model._gradients_on_last_batch() or []:
                self._histogram(writer, f"{_tag(weight)}/gradient", gradient, epoch)

    def _histogram(self, writer, tag, values, epoch):
        if not np.all(np.isfinite(values)):
            warnings.warn(f"TensorBoard: no histogram of {tag!r} at epoch {epoch}: it holds NaN "
                          "or infinite values.", RuntimeWarning, stacklevel=3)
            return
        writer.add_histogram(tag, values, epoch, bins=self.histogram_bins)


def _tag(weight):
    """``'dense/kernel:0'`` -> ``'dense/kernel'``."""
    name = weight.name
    return name[:-2] if name.endswith(":0") else name


def _non_negative_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"TensorBoard: {name} must be an int >= 0 (0 turns it off); received "
                         f"{value!r}.")
    return value


def _batch_frequency(update_freq):
    """None for "epoch", 1 for "batch", N for an int N >= 1."""
    if update_freq == "epoch":
        return None
    if update_freq == "batch":
        return 1
    if isinstance(update_freq, int) and not isinstance(update_freq, bool) and update_freq >= 1:
        return update_freq
    raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive int "
                     f"(every N batches); received {update_freq!r}.")
