"""Selecting the kernel implementation without a GPU.

* Without CuPy, or with CuPy but no usable CUDA device, asking for ``'cupy'`` is a
  ``BackendUnavailableError`` that says which, and NumPy stays selected. These cases are
  simulated here (a missing module, a stand-in whose device query fails or finds no device),
  so they are tested on every machine, GPU or not.
* The CuPy implementation's plumbing (selection, the ``impl="cupy"`` kernel
  specialisations, moving values to and from the device, variables, random streams) is run
  with a NumPy-backed stand-in for the ``cupy`` module: a model trains bit-identically to
  the NumPy backend. The stand-in proves the dispatch, not CuPy's numerics; on a machine with
  a GPU the op table runs on real CuPy through the ``impl`` fixture (``conftest.py``).
"""
import sys
import types

import numpy as np
import pytest

from hilayers import Sequential, backend as K, layers
from hilayers.backend.kernels import implementation, registry
from hilayers.utils import set_random_seed


@pytest.fixture
def fresh_selection(monkeypatch):
    """An empty implementation cache (so 'cupy' is looked up again), restored afterwards."""
    monkeypatch.setattr(implementation, "_cache", {})
    previous = implementation._selected[0]
    yield
    implementation._selected[0] = previous
    K.set_backend("numpy")


def _stand_in_cupy(device_count):
    """A module named ``cupy`` that is NumPy with a ``cuda.runtime.getDeviceCount``."""
    module = types.ModuleType("cupy")

    def count():
        if isinstance(device_count, Exception):
            raise device_count
        return device_count

    module.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=count))
    module.asnumpy = np.asarray
    module.__getattr__ = lambda name: getattr(np, name)
    return module


def test_without_cupy_installed(monkeypatch, fresh_selection):
    monkeypatch.setitem(sys.modules, "cupy", None)          # `import cupy` raises ImportError
    with pytest.raises(K.BackendUnavailableError,
                       match=r"The 'cupy' backend needs CuPy, which is not installed: pip "
                             r"install 'hilayers\[gpu\]'.*Use set_backend\('numpy'\)"):
        K.set_backend("cupy")
    assert K.backend() == "numpy" and not K.is_available("cupy")
    assert K.Session().run(K.constant(2.0) * 3.0) == 6.0


@pytest.mark.parametrize("device_count,match", [
    (RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected"),
     r"CuPy is installed but no CUDA device can be used \(cudaErrorNoDevice: no "
     r"CUDA-capable device is detected\)\. Use set_backend\('numpy'\)"),
    (0, r"CuPy is installed but this machine has no CUDA device\. Use set_backend\('numpy'\)"),
], ids=["driver-error", "no-device"])
def test_cupy_installed_without_a_gpu(monkeypatch, fresh_selection, device_count, match):
    monkeypatch.setitem(sys.modules, "cupy", _stand_in_cupy(device_count))
    with pytest.raises(K.BackendUnavailableError, match=match):
        K.set_backend("cupy")
    assert K.backend() == "numpy"
    x = K.placeholder((None,))
    assert K.Session().run(K.sum(x), {x: [1.0, 2.0]}) == 3.0


def _train(seed):
    K.reset_default_graph()
    set_random_seed(seed)
    rng = np.random.default_rng(0)
    words = rng.integers(0, 20, size=(32, 5))
    y = rng.integers(0, 2, size=(32, 1)).astype(np.float32)
    model = Sequential([layers.Embedding(20, 4, input_length=5), layers.Flatten(),
                        layers.Dense(8, activation="relu"), layers.Dropout(0.3),
                        layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(words, y, batch_size=8, epochs=2, verbose=0)
    return model.get_weights(), history.history


def test_the_cupy_implementation_runs_through_the_same_interface(monkeypatch, fresh_selection):
    used = []
    specialised = registry.lookup("cupy", "GatherGrad")
    assert specialised is not registry.lookup("numpy", "GatherGrad")

    def spy(*args):
        used.append("GatherGrad")
        return specialised(*args)

    monkeypatch.setitem(registry._SPECIFIC["cupy"], "GatherGrad", spy)
    monkeypatch.setitem(sys.modules, "cupy", _stand_in_cupy(1))
    monkeypatch.setitem(sys.modules, "cupyx", types.SimpleNamespace(
        scatter_add=lambda out, index, values: np.add.at(out, index, values)))
    weights_numpy, history_numpy = _train(5)
    K.set_backend("cupy")
    assert K.backend() == "cupy" and K.get_implementation().xp is sys.modules["cupy"]
    weights_cupy, history_cupy = _train(5)
    assert used, "the cupy specialisation of GatherGrad (Embedding's gradient) never ran"
    assert history_cupy == history_numpy
    for a, b in zip(weights_numpy, weights_cupy):
        np.testing.assert_array_equal(a, b)
