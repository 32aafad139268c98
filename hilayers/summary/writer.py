"""``FileWriter``: TensorBoard event files for a log directory, as TensorFlow 1.x had it.

Events go through ``tensorboard``'s own ``EventFileWriter`` (record framing, checksums,
a background flush), so the files are the ones TensorBoard expects:
``events.out.tfevents.<time>.<host>...`` in the log directory.

Example:
    >>> import tempfile
    >>> from hilayers import backend as K
    >>> g = K.Graph()
    >>> with g.as_default():
    ...     x = K.placeholder((), name="x")
    ...     loss = K.square(x, name="loss")
    >>> with FileWriter(tempfile.mkdtemp(), graph=g) as writer:
    ...     for step in range(3):
    ...         writer.add_scalar("loss", float(step) ** 2, step)
"""
import os
import time

from .graph_def import graph_def
from .protos import (histogram_value, parse_summary, require_tensorboard, scalar_value,
                     summary)


class FileWriter:
    """Writes summaries, graphs and events to an event file in ``logdir``.

    Args:
        logdir: the folder (created if missing). Point ``tensorboard --logdir`` at it or at
            a folder above it; each subfolder is a "run" in TensorBoard.
        graph: a :class:`hilayers.backend.Graph` to write right away (see :meth:`add_graph`).
        max_queue: events kept in memory before they are written.
        flush_secs: the longest time an event waits in memory.
        filename_suffix: appended to the event file's name.

    Raises:
        ImportError: when the ``tensorboard`` package is missing (it says what to install).
        ValueError: when ``logdir`` is an existing file.
    """

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, filename_suffix=""):
        require_tensorboard("FileWriter")
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        logdir = os.fspath(logdir)
        if os.path.exists(logdir) and not os.path.isdir(logdir):
            raise ValueError(f"FileWriter: logdir {logdir!r} is a file; expected a folder (it "
                             "is created if missing). Choose another path.")
        os.makedirs(logdir, exist_ok=True)
        self._writer = EventFileWriter(logdir, max_queue_size=max_queue, flush_secs=flush_secs,
                                       filename_suffix=filename_suffix)
        self._closed = False
        if graph is not None:
            self.add_graph(graph)

    @property
    def logdir(self):
        """The folder the event file is in."""
        return self._writer.get_logdir()

    def get_logdir(self):
        """The folder the event file is in (TensorFlow 1.x's spelling)."""
        return self.logdir

    # -- events ----------------------------------------------------------------------------------
    def add_event(self, event):
        """Write an ``Event`` proto (its ``wall_time`` is set to now when it is 0)."""
        self._check_open()
        if not event.wall_time:
            event.wall_time = time.time()
        self._writer.add_event(event)

    def _event(self, step=None, **fields):
        from tensorboard.compat.proto import event_pb2
        event = event_pb2.Event(**fields)
        if step is not None:
            event.step = _check_step(step)
        self.add_event(event)

    def add_summary(self, summary_value, global_step=None):
        """Write a summary: the value of a summary op fetched with ``Session.run`` (bytes), or
        a ``Summary`` proto.

        Args:
            summary_value: serialized ``Summary`` bytes (from :func:`hilayers.summary.scalar`,
                :func:`~hilayers.summary.histogram` or :func:`~hilayers.summary.merge_all`),
                or a ``Summary`` proto.
            global_step: the x coordinate in TensorBoard (an int >= 0).

        Raises:
            TypeError: for anything else (a float, a NumPy array of numbers, ...).
        """
        self._event(global_step, summary=parse_summary(summary_value))

    def add_scalar(self, tag, value, global_step=None):
        """Write one number under ``tag`` at ``global_step``."""
        self._event(global_step, summary=summary([scalar_value(tag, value)]))

    def add_histogram(self, tag, values, global_step=None, bins=30):
        """Write a histogram of ``values`` (any shape) under ``tag`` at ``global_step``."""
        self._event(global_step, summary=summary([histogram_value(tag, values, bins)]))

    def add_graph(self, graph, outputs=None):
        """Write ``graph`` for TensorBoard's graph view (see :func:`graph_def`; ``outputs``
        keeps only the nodes they depend on)."""
        self._event(graph_def=graph_def(graph, outputs).SerializeToString())

    # -- lifetime --------------------------------------------------------------------------------
    def flush(self):
        """Write the queued events to disk now."""
        self._check_open()
        self._writer.flush()

    def close(self):
        """Flush and close the event file; later writes raise. Closing twice is harmless."""
        if not self._closed:
            self._writer.close()
            self._closed = True

    def _check_open(self):
        if self._closed:
            raise RuntimeError(f"This FileWriter (logdir {self.logdir!r}) is closed; create a "
                               "new one to write more events.")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<FileWriter logdir={self.logdir!r}{' closed' if self._closed else ''}>"


def _check_step(step):
    try:
        value = int(step)
    except (TypeError, ValueError):
        raise TypeError(f"global_step must be an integer; received {step!r}.") from None
    if value != step or value < 0:
        raise ValueError(f"global_step must be a whole number >= 0; received {step!r}.")
    return value
