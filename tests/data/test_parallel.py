"""map on a thread pool, prefetch, errors with element indices, and threads that stop."""
import gc
import threading
import time

import numpy as np
import pytest

from hilayers.data import AUTOTUNE, Dataset, DatasetError
from hilayers.data.constants import thread_count

from .threads import pipeline_threads, threads_started_since


def _jittery(v):
    """Sleeps a varying time so that threads finish out of order."""
    time.sleep(0.002 * ((int(v) * 7) % 5))
    return v * 10


def _values(dataset):
    return [int(v) for v in dataset]


def test_parallel_map_keeps_the_order():
    ds = Dataset.range(40).map(_jittery, num_parallel_calls=4)
    assert _values(ds) == [v * 10 for v in range(40)]


def test_non_deterministic_map_gives_every_element_once():
    ds = Dataset.range(40).map(_jittery, num_parallel_calls=4, deterministic=False)
    assert sorted(_values(ds)) == [v * 10 for v in range(40)]


def test_parallel_map_runs_on_several_threads():
    seen = set()

    def record(v):
        seen.add(threading.current_thread().name)
        time.sleep(0.002)
        return v
    assert _values(Dataset.range(30).map(record, num_parallel_calls=3)) == list(range(30))
    assert len(seen) > 1 and all(name.startswith("hilayers.data.map") for name in seen)


def test_autotune_uses_the_cpu_count():
    import os
    assert thread_count(AUTOTUNE) == max(1, os.cpu_count() or 1)
    with pytest.raises(ValueError, match="positive int or AUTOTUNE.*received 0"):
        Dataset.range(3).map(lambda v: v, num_parallel_calls=0)


@pytest.mark.parametrize("threads", [None, 3])
@pytest.mark.parametrize("prefetch", [0, 2])
def test_a_map_error_names_the_element_index(threads, prefetch):
    def fail_on_five(v):
        if v == 5:
            raise KeyError("bad record")
        return v
    ds = Dataset.range(20).map(fail_on_five, num_parallel_calls=threads).prefetch(prefetch)
    received = []
    with pytest.raises(DatasetError, match=r"map\(\).*fail_on_five.*KeyError on element 5") \
            as info:
        for v in ds:
            received.append(int(v))
    assert info.value.index == 5
    assert isinstance(info.value.__cause__, KeyError)
    assert received == [0, 1, 2, 3, 4]
    assert isinstance(info.value, RuntimeError)


def test_a_filter_error_names_the_element_index():
    ds = Dataset.range(5).filter(lambda v: np.array([True, False]))
    with pytest.raises(DatasetError, match="element 0.*scalar boolean"):
        list(ds)


def test_an_upstream_error_crosses_prefetch_unchanged():
    def gen():
        yield 1
        raise OSError("disk gone")
    from hilayers.data import TensorSpec
    ds = Dataset.from_generator(gen, output_signature=TensorSpec((), "int64")).prefetch(2)
    with pytest.raises(OSError, match="disk gone"):
        list(ds)


def test_prefetch_keeps_the_order_and_handles_repeat_and_batches():
    ds = Dataset.range(10).batch(3).prefetch(1).repeat(2).prefetch(AUTOTUNE)
    assert [b.tolist() for b in ds] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]] * 2


def test_prefetch_runs_ahead_of_the_consumer():
    produced = []
    ds = Dataset.range(10).map(lambda v: produced.append(int(v)) or v).prefetch(3)
    with ds.as_numpy_iterator() as it:
        next(it)
        deadline = time.monotonic() + 5
        while len(produced) < 4 and time.monotonic() < deadline:
            time.sleep(0.005)
        # One taken, three waiting in the buffer, and the producer blocked on the fifth.
        assert 4 <= len(produced) <= 5


# -- no thread left behind ---------------------------------------------------------------------
def _pipeline(n=10_000):
    return (Dataset.range(n).map(lambda v: time.sleep(0.0005) or v, num_parallel_calls=3)
            .batch(4).prefetch(2).map(lambda b: b + 1, num_parallel_calls=2).prefetch(1))


def test_breaking_out_of_a_for_loop_stops_every_thread():
    before = set(threading.enumerate())
    for i, _ in enumerate(_pipeline()):
        if i == 0:
            assert len(pipeline_threads()) == 3 + 1 + 2 + 1
        if i == 3:
            break
    assert threads_started_since(before) == []


def test_an_error_in_map_stops_every_thread():
    before = set(threading.enumerate())

    def explode(v):
        if v == 30:
            raise ValueError("boom")
        return v
    ds = (Dataset.range(10_000).map(explode, num_parallel_calls=4).prefetch(2)
          .map(lambda v: v, num_parallel_calls=2).prefetch(2))
    with pytest.raises(DatasetError, match="element 30"):
        for _ in ds:
            pass
    assert threads_started_since(before) == []


def test_an_error_in_the_consumer_stops_every_thread():
    before = set(threading.enumerate())

    def consume():
        for i, _ in enumerate(_pipeline()):
            if i == 2:
                raise ArithmeticError("consumer failed")
    with pytest.raises(ArithmeticError) as info:
        consume()
    # The traceback (held by ``info``) keeps consume's frame alive, but not its iterator.
    assert info.value is not None
    assert threads_started_since(before) == []


def test_closing_or_dropping_an_explicit_iterator_stops_every_thread():
    before = set(threading.enumerate())
    it = iter(_pipeline())
    next(it)
    it.close()
    assert it.closed and list(it) == []
    assert threads_started_since(before) == []
    it = _pipeline().as_numpy_iterator()
    next(it)
    del it
    gc.collect()
    assert threads_started_since(before) == []
    with _pipeline().as_numpy_iterator() as it:
        next(it)
    assert threads_started_since(before) == []


def test_take_after_prefetch_stops_the_producer():
    before = set(threading.enumerate())
    assert _values(Dataset.range(10_000).prefetch(4).take(3)) == [0, 1, 2]
    assert threads_started_since(before) == []


def test_an_infinite_pipeline_can_be_stopped():
    before = set(threading.enumerate())
    ds = Dataset.range(5).repeat().map(lambda v: v, num_parallel_calls=2).prefetch(2)
    with ds.as_numpy_iterator() as it:
        assert [int(next(it)) for _ in range(12)] == [0, 1, 2, 3, 4] * 2 + [0, 1]
    assert threads_started_since(before) == []


def test_bad_prefetch_and_deterministic_arguments():
    with pytest.raises(ValueError, match="buffer_size.*received -3"):
        Dataset.range(3).prefetch(-3)
    with pytest.raises(ValueError, match="deterministic must be None, True or False"):
        Dataset.range(3).map(lambda v: v, num_parallel_calls=2, deterministic="yes")
    with pytest.raises(TypeError, match="map\\(\\) needs a callable; received int"):
        Dataset.range(3).map(3)


def _blocked_first(release_at):
    """A map whose element 0 waits until element ``release_at`` has been processed."""
    released = threading.Event()

    def fn(v):
        if v == 0:
            released.wait(10)
        elif v == release_at:
            released.set()
        return v
    return fn


def test_non_deterministic_map_lets_later_elements_pass_a_slow_one():
    ds = Dataset.range(8).map(_blocked_first(3), num_parallel_calls=2, deterministic=False)
    out = _values(ds)
    assert sorted(out) == list(range(8))
    assert out.index(0) > out.index(3)           # 0 could only finish after 3 did
    # In order (the default), the same function still yields 0 first.
    ds = Dataset.range(8).map(_blocked_first(3), num_parallel_calls=2)
    assert _values(ds) == list(range(8))


def test_closing_waits_for_stuck_threads_at_most_join_timeout_in_all(monkeypatch):
    from hilayers.data import parallel
    clock = [0.0]

    class StuckThread:
        """A thread that never finishes: join(timeout) just lets the timeout pass."""
        timeouts = []

        def join(self, timeout):
            self.timeouts.append(timeout)
            clock[0] += timeout

    monkeypatch.setattr(parallel.time, "monotonic", lambda: clock[0])
    parallel._join([StuckThread() for _ in range(4)])
    assert StuckThread.timeouts == [parallel.JOIN_TIMEOUT, 0.0, 0.0, 0.0]
    assert clock[0] == parallel.JOIN_TIMEOUT
