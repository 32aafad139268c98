"""Shared fixtures: every test gets a fresh default graph; `impl` parametrizes backends."""
import numpy as np
import pytest

from hilayers import backend as K


@pytest.fixture(autouse=True)
def fresh_graph():
    """Each test builds into a new default graph with a fixed seed."""
    graph = K.reset_default_graph(seed=1234)
    yield graph


def _impl_params():
    params = [pytest.param("numpy", id="numpy")]
    reason = None
    try:
        K.get_implementation("cupy")
    except K.BackendUnavailableError as exc:
        reason = f"CuPy backend unavailable here: {exc}"
    params.append(pytest.param("cupy", id="cupy", marks=pytest.mark.skipif(
        reason is not None, reason=reason or "")))
    return params


@pytest.fixture(params=_impl_params())
def impl(request):
    """The kernel implementation under test ('numpy' always, 'cupy' where a GPU is)."""
    previous = K.backend()
    K.set_backend(request.param)
    yield request.param
    K.set_backend(previous)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
