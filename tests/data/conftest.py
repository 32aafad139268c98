"""Every test in tests/data must end with no pipeline thread alive."""
import gc

import pytest

from .threads import wait_for_no_pipeline_threads


@pytest.fixture(autouse=True)
def no_pipeline_threads_left():
    yield
    left = wait_for_no_pipeline_threads(timeout=0.5)
    if left:
        gc.collect()      # a test may hold an iterator in a reference cycle; say so if so
        left = wait_for_no_pipeline_threads()
        raise AssertionError(f"pipeline threads left running after the test: "
                             f"{[t.name for t in left] or 'none after gc.collect()'}")
