"""Background threads: ``map`` on a thread pool, and ``prefetch``.

Both are generators whose ``finally`` stops their threads: it raises a stop flag, wakes any
thread blocked on a queue, and joins them. Closing the consumer's iterator (a ``break``, an
exception, garbage collection) runs that ``finally``. Threads are daemons, so one stuck in a
user function never keeps the program alive; the thread functions hold no reference to the
consumer's generator, so dropping the consumer's iterator is enough to stop them.

Python threads overlap work that releases the GIL: NumPy on large arrays, file and network
I/O, sleeping. Pure-Python functions take turns.

Example:
    >>> import time
    >>> from hilayers.data import Dataset
    >>> slow = lambda v: time.sleep(0.001) or v
    >>> ds = Dataset.range(8).map(slow, num_parallel_calls=4).prefetch(2)
    >>> [int(v) for v in ds]
    [0, 1, 2, 3, 4, 5, 6, 7]
"""
import collections
import queue
import sys
import threading
import time

from .constants import PREFETCH_AUTOTUNE_BUFFER, AUTOTUNE, check_count
from .dataset import UnaryDataset

JOIN_TIMEOUT = 10.0   # seconds to wait for a thread finishing its current element
_POLL = 0.05          # seconds between checks of the stop flag while a queue is full


class _Task:
    """One element handed to the pool, and what became of it."""

    __slots__ = ("index", "element", "result", "error", "done")

    def __init__(self, index, element):
        self.index, self.element = index, element
        self.result = self.error = None
        self.done = threading.Event()


def _work(fn, tasks, stop, finished):
    """A pool thread: run ``fn`` on tasks until a ``None`` task arrives."""
    while True:
        task = tasks.get()
        if task is None:
            return
        try:
            if not stop.is_set():
                task.result = fn(task.element, task.index)
        except BaseException as exc:   # handed to the consumer, which re-raises it
            task.error = exc
        finally:
            task.element = None
            task.done.set()
            if finished is not None:
                finished.put(task)


class _WorkerPool:
    """``threads`` daemon threads running ``fn(element, index)``."""

    def __init__(self, fn, threads, finished=None):
        self._tasks = queue.SimpleQueue()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=_work, daemon=True,
                                          args=(fn, self._tasks, self._stop, finished),
                                          name=f"hilayers.data.map-{i}")
                         for i in range(threads)]
        for thread in self._threads:
            thread.start()

    def submit(self, index, element):
        task = _Task(index, element)
        self._tasks.put(task)
        return task

    def shutdown(self):
        """Skip queued tasks, let running ones finish, and join every thread."""
        self._stop.set()
        for _ in self._threads:
            self._tasks.put(None)
        _join(self._threads)


def _join(threads):
    """Join ``threads``, waiting at most ``JOIN_TIMEOUT`` seconds for all of them together.

    A thread still busy after that (a user function that never returns) is left behind: it
    is a daemon, and it skips every queued element once it is free.
    """
    if sys.is_finalizing():     # daemon threads are frozen at exit: joining would only wait
        return
    current = threading.current_thread()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for thread in threads:
        if thread is not current:
            thread.join(max(0.0, deadline - time.monotonic()))


def parallel_map(upstream, fn, threads, deterministic=True):
    """Yield ``fn(element, index)`` for each element of ``upstream``, computed on a pool.

    Up to ``2 * threads`` elements are in flight; ``upstream`` is read in the consumer's
    thread. With ``deterministic`` the input order is kept; otherwise results come out as they
    finish.

    Raises:
        Whatever ``fn`` raised for an element (``MapDataset`` wraps it in DatasetError).
    """
    finished = None if deterministic else queue.SimpleQueue()
    pool = _WorkerPool(fn, threads, finished)
    in_order = collections.deque()
    in_flight, index, exhausted = 0, 0, False
    try:
        while True:
            while not exhausted and in_flight < 2 * threads:
                try:
                    element = next(upstream)
                except StopIteration:
                    exhausted = True
                    break
                task = pool.submit(index, element)
                index, in_flight = index + 1, in_flight + 1
                if deterministic:
                    in_order.append(task)
            if in_flight == 0:
                return
            task = in_order.popleft() if deterministic else finished.get()
            task.done.wait()
            in_flight -= 1
            if task.error is not None:
                error, task.error = task.error, None
                raise error
            result, task.result = task.result, None
            yield result
    finally:
        pool.shutdown()
        upstream.close()


class PrefetchDataset(UnaryDataset):
    """``Dataset.prefetch``: a producer thread fills a bounded queue ahead of the consumer."""

    def __init__(self, input_dataset, buffer_size):
        super().__init__(input_dataset)
        if buffer_size == AUTOTUNE and not isinstance(buffer_size, bool):
            buffer_size = PREFETCH_AUTOTUNE_BUFFER
        self._size = check_count(buffer_size, "prefetch(): buffer_size (or AUTOTUNE)")

    def _iterate(self, context):
        upstream = self._input._iterate(context)
        if context.probe or self._size == 0:
            return upstream
        return prefetched(upstream, self._size)


_ITEM, _END, _ERROR = "item", "end", "error"


def _put(buffer, entry, stop):
    """Put ``entry`` unless asked to stop; False when stopped."""
    while not stop.is_set():
        try:
            buffer.put(entry, timeout=_POLL)
            return True
        except queue.Full:
            continue
    return False


def _produce(upstream, buffer, stop):
    """The producer thread: pull ``upstream`` into ``buffer`` until the end or a stop."""
    try:
        for element in upstream:
            if not _put(buffer, (_ITEM, element), stop):
                return
        _put(buffer, (_END, None), stop)
    except BaseException as exc:   # handed to the consumer, which re-raises it
        _put(buffer, (_ERROR, exc), stop)
    finally:
        upstream.close()


def prefetched(upstream, size):
    """Yield ``upstream``'s elements, produced up to ``size`` ahead on a daemon thread.

    Raises:
        Whatever ``upstream`` raised, in the consumer's thread.
    """
    buffer = queue.Queue(maxsize=size)
    stop = threading.Event()
    producer = threading.Thread(target=_produce, args=(upstream, buffer, stop), daemon=True,
                                name="hilayers.data.prefetch")
    producer.start()
    try:
        while True:
            kind, value = buffer.get()
            if kind == _ITEM:
                yield value
            elif kind == _END:
                return
            else:
                raise value
    finally:
        stop.set()
        while True:          # free a producer blocked on a full queue at once
            try:
                buffer.get_nowait()
            except queue.Empty:
                break
        _join([producer])
