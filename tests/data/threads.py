"""Helpers to check that pipelines leave no thread behind (threading.enumerate before/after)."""
import threading
import time


def pipeline_threads():
    """Live threads started by hilayers.data (map workers, prefetch producers)."""
    return [t for t in threading.enumerate() if t.name.startswith("hilayers.data")]


def threads_started_since(before, timeout=5.0):
    """Threads not in ``before`` still alive after waiting up to ``timeout`` seconds for them."""
    deadline = time.monotonic() + timeout
    while True:
        new = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not new or time.monotonic() > deadline:
            return new
        time.sleep(0.01)


def wait_for_no_pipeline_threads(timeout=5.0):
    """The pipeline threads still alive after waiting up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while pipeline_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    return pipeline_threads()
