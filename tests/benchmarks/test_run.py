"""benchmarks/run.py: the suite runs end to end in --quick mode and reports honestly.

No timing is asserted: the figures of --quick mean nothing. The tests check that every
workload produced a positive figure, that PyTorch's columns are filled exactly when it ran,
that the JSON and the target lines say what the numbers say, and the error for a missing
backend.
"""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "benchmarks" / "run.py"
DATA = ROOT.parent / "shared" / "datasets" / "mnist"
needs_mnist = pytest.mark.skipif(not DATA.is_dir(), reason=f"MNIST not found at {DATA}")
HAS_TORCH = importlib.util.find_spec("torch") is not None

ALL_KEYS = {"mlp_epoch", "lenet5_epoch", "lenet5_inference", "step_latency", "dispatch",
            "conv_fwd_0", "conv_fwd_bwd_0", "conv_fwd_1", "conv_fwd_bwd_1", "conv_fwd_2",
            "conv_fwd_bwd_2", "peak_memory", "memory_growth"}


def _run(tmp_path, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, str(RUN), "--quick", "--data", str(DATA),
                           "--out", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=600, env=env)


def _load_run_module():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location("benchmark_run", RUN)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


@needs_mnist
def test_quick_suite_measures_every_workload_without_torch(tmp_path):
    done = _run(tmp_path, "--no-torch")
    assert done.returncode == 0, done.stderr
    assert "PyTorch: not run (--no-torch)" in done.stdout
    assert "not judged (no PyTorch figure)" in done.stdout
    payload = json.loads((tmp_path / "results.json").read_text())
    assert set(payload["results"]) == ALL_KEYS
    for key, entry in payload["results"].items():
        assert entry["hilayers"]["median"] > 0, key
        assert entry["pytorch"] is None and entry["ratio"] is None, key
    assert payload["meta"]["quick"] is True
    assert payload["meta"]["backend"] == "numpy"
    # The LeNet-5 training process holds at least its 512 images and the model.
    assert payload["results"]["peak_memory"]["hilayers"]["median"] > 20


@needs_mnist
@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
def test_quick_suite_fills_the_pytorch_columns_when_torch_runs(tmp_path):
    done = _run(tmp_path, "--only", "dispatch", "conv_fwd_0")
    assert done.returncode == 0, done.stderr
    payload = json.loads((tmp_path / "results.json").read_text())
    assert set(payload["results"]) == {"dispatch", "conv_fwd_0"}
    for entry in payload["results"].values():
        assert entry["pytorch"]["median"] > 0
        assert entry["ratio"] == pytest.approx(entry["hilayers"]["median"]
                                               / entry["pytorch"]["median"])
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "results.png").read_bytes()[:4] == b"\x89PNG"
    else:
        assert "matplotlib is not installed" in done.stdout


def test_unavailable_backend_is_a_clear_error(tmp_path):
    module = _load_run_module()
    from hilayers import backend as K
    if K.is_available("cupy"):
        pytest.skip("CuPy is available here")
    with pytest.raises(SystemExit) as info:
        module.main(["--backend", "cupy", "--out", str(tmp_path)])
    assert info.value.code == 2
    assert not (tmp_path / "results.json").exists()


def test_targets_report_judges_ratios_and_dispatch():
    module = _load_run_module()
    results = {
        "mlp_epoch": {"label": "1. MLP epoch", "unit": "s", "hilayers": [2.0, 2.2, 2.1],
                      "pytorch": [3.0, 3.1, 2.9]},
        "lenet5_epoch": {"label": "2. LeNet-5 epoch", "unit": "s", "hilayers": [6.5],
                         "pytorch": [5.0]},
        "lenet5_inference": {"label": "3. inference", "unit": "s", "hilayers": [0.4]},
        "dispatch": {"label": "5. dispatch per op", "unit": "us", "hilayers": [3.5],
                     "pytorch": [1.0]},
    }
    lines = module.targets_report(results)
    assert "1. MLP epoch: ratio 0.70, target <= 1.0: met" in lines[0]
    assert "2. LeNet-5 epoch: ratio 1.30, target <= 1.2: NOT met" in lines[1]
    assert "not judged (no PyTorch figure)" in lines[2]
    assert "3.50 us, target <= 3.0 us: NOT met" in lines[3]
    row = module.row_text(results["mlp_epoch"], ["hilayers", "pytorch"])
    assert row.split()[-3:] == ["0.70", "2.00-2.20", "2.90-3.10"]
    results["step_latency"] = {"label": "4. train step", "unit": "ms", "hilayers": [1.0],
                               "pytorch": [1.0], "error": "hilayers: RuntimeError: x"}
    gpu = module.gpu_targets_report(results)
    assert gpu[0] == "  1. MLP epoch: ratio 0.70, target <= 1.5: met"
    assert gpu[1] == "  2. LeNet-5 epoch: ratio 1.30, target <= 1.5: met"
    assert gpu[2] == "  3. inference: not judged (no PyTorch figure)"
    assert gpu[3] == "  5. dispatch per op: ratio 3.50, target <= 1.5: NOT met"
    assert gpu[4] == "  4. train step: failed, not judged"


def test_chart_without_pytorch_figures_says_why(tmp_path):
    module = _load_run_module()
    message = module.write_chart(str(tmp_path / "chart.png"),
                                 {"mlp_epoch": {"label": "x", "unit": "s", "hilayers": [1.0]}})
    assert message is not None
    assert not (tmp_path / "chart.png").exists()


# -- the GPU side of issue 8, checked on the CPU ------------------------------------------------


def _benchmark_module(name):
    """``benchmarks/<name>.py``, imported with the benchmarks folder on the path."""
    _load_run_module()
    return sys.modules[name]


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
def test_quick_convnet_runs_on_the_cpu_for_both_frameworks_when_asked(tmp_path):
    done = _run(tmp_path, "--only", "convnet")
    assert done.returncode == 0, done.stderr
    payload = json.loads((tmp_path / "results.json").read_text())
    assert set(payload["results"]) == {"convnet32_epoch"}
    entry = payload["results"]["convnet32_epoch"]
    assert entry["label"] == "8. convnet32 epoch (32 img)"
    assert entry["hilayers"]["median"] > 0 and entry["pytorch"]["median"] > 0
    assert payload["meta"]["torch_device"] == "cpu"
    assert payload["meta"]["hilayers_device"] == "CPU"
    rates = payload["convnet32_throughput"]
    assert rates["images"] == 32
    assert rates["flops_per_image_training"] == 3 * 154_539_008
    for framework in ("hilayers", "pytorch"):
        assert rates[framework]["tflops"] > 0 and rates[framework]["matmul_tflops"] > 0
        # The figure is the analytic count over the measured median time.
        assert rates[framework]["tflops"] == pytest.approx(
            3 * 154_539_008 * 32 / entry[framework]["median"] / 1e12)
    assert "8. convnet32 (3x forward FLOPs" in done.stdout
    assert "PyTorch float32 matmul 1024^2 on the CPU" in done.stdout
    assert "on CPU (" in done.stdout        # the PyTorch header names its device


def test_convnet_runs_by_default_on_cupy_and_on_the_cpu_only_when_named():
    module = _load_run_module()
    assert module.convnet_wanted("cupy", None)
    assert not module.convnet_wanted("numpy", None)
    assert not module.convnet_wanted("numpy", ["conv"])     # the conv2d rows, not workload 8
    assert module.convnet_wanted("numpy", ["mlp", "convnet"])
    setup = module.workloads.Setup()
    keys = [k for keys, *_ in module._workload_table(setup, 1, sys.executable, "cupy")
            for k in keys]
    assert "convnet32_epoch" in keys and "peak_memory" not in keys
    keys = [k for keys, *_ in module._workload_table(setup, 1, sys.executable, "numpy")
            for k in keys]
    assert "convnet32_epoch" not in keys and "peak_memory" in keys


def test_forward_flops_match_a_count_by_hand():
    convnet32 = _benchmark_module("convnet32")
    # 4x4x2 input; conv 3x3 to 3 channels: 4*4 positions * 3 outputs * 9 taps * 2 inputs
    # = 864 multiply-adds; max-pool to 2x2x3; conv 3x3 to 5: 2*2*5*9*3 = 540; global
    # average pooling to 5 numbers; dense 5 -> 7: 35. (864 + 540 + 35) * 2 = 2878.
    tiny = (("conv", 3), ("pool",), ("conv", 5), ("gap",), ("dense", 7))
    assert convnet32.forward_flops((4, 4, 2), tiny) == 2878
    # The benchmark's network on 32x32x3: 32*32*64*9*3 + 32*32*64*9*64 + 16*16*128*9*64
    # + 8*8*256*9*128 + 256*10 multiply-adds.
    macs = 1_769_472 + 37_748_736 + 18_874_368 + 18_874_368 + 2_560
    assert convnet32.forward_flops() == 2 * macs == 154_539_008
    assert convnet32.training_flops(10) == 30 * 154_539_008
    with pytest.raises(ValueError, match="unknown layer kind 'upsample'"):
        convnet32.forward_flops((4, 4, 2), (("upsample", 2),))


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
def test_torch_device_cuda_without_cuda_is_a_clear_error(tmp_path):
    # In a child process: importing PyTorch here would add ~180 MB to this process's peak
    # RSS, which the children of later tests inherit in their ru_maxrss.
    done = _run(tmp_path, "--torch-device", "cuda", "--only", "no-such-workload")
    if done.returncode == 0:
        pytest.skip("PyTorch sees a CUDA device here")
    assert done.returncode == 2, done.stderr
    message = done.stderr
    assert "run.py: --torch-device cuda was asked for, but PyTorch sees no CUDA device" in (
        message)
    assert "torch.cuda.is_available() is False; PyTorch " in message
    assert "Use --torch-device cpu (or auto)" in message
    assert not (tmp_path / "results.json").exists()


def test_torch_device_auto_follows_the_backend():
    devices = _benchmark_module("devices")
    assert devices.resolve_torch_device("auto", "cupy", cuda_available=True) == "cuda"
    assert devices.resolve_torch_device("auto", "cupy", cuda_available=False) == "cpu"
    assert devices.resolve_torch_device("auto", "numpy", cuda_available=True) == "cpu"
    assert devices.resolve_torch_device("cpu", "cupy", cuda_available=True) == "cpu"
    with pytest.raises(devices.DeviceUnavailableError, match="expected one of auto, cpu"):
        devices.resolve_torch_device("tpu", "numpy", cuda_available=False)


def test_hilayers_timings_wait_for_the_gpu_when_the_backend_is_cupy(monkeypatch):
    """On CuPy, sync() waits on the device; the GPU run itself is checked by gpu_check.sh."""
    import types
    import numpy as np
    from hilayers import backend as K
    from hilayers.backend.kernels.implementation import Implementation
    devices = _benchmark_module("devices")
    monkeypatch.setitem(devices.MATMUL_SIDE, "gpu", 64)     # 4096 takes seconds on a CPU
    waits = []
    fake_cupy = types.SimpleNamespace(
        __version__="0.test", matmul=np.matmul, asarray=np.asarray,
        cuda=types.SimpleNamespace(
            Device=lambda: types.SimpleNamespace(id=0, synchronize=lambda: waits.append(1)),
            runtime=types.SimpleNamespace(
                getDeviceProperties=lambda i: {"name": b"Fake GPU"},
                runtimeGetVersion=lambda: 13000)))
    fake = Implementation("cupy", fake_cupy)
    monkeypatch.setattr(K, "get_implementation", lambda name=None: fake)
    devices.sync("hilayers")
    assert waits == [1]
    assert devices.hilayers_description(fake) == (
        "GPU 0, Fake GPU (CuPy 0.test, CUDA runtime 13000)")
    rate, where = devices.matmul_tflops("hilayers", calls=1)
    assert rate > 0 and where == "CuPy float32 matmul 64^2 on the GPU"
    assert len(waits) == 3          # after the warm-up product and after the timed one


def test_a_failing_workload_is_reported_and_the_others_still_run(monkeypatch, tmp_path,
                                                                 capsys):
    module = _load_run_module()

    def broken(framework, setup):
        raise RuntimeError("no kernel for op 'Fake' on cupy")
    monkeypatch.setattr(module.workloads, "measure_dispatch", broken)
    setup = module.workloads.Setup(conv_calls=1)
    written = []
    results = module.run_suite(setup, 1, ["hilayers"], only=["dispatch", "conv_fwd_0"],
                               after_each=lambda r: written.append(sorted(r)))
    assert results["dispatch"]["error"] == (
        "hilayers: RuntimeError: no kernel for op 'Fake' on cupy")
    assert results["conv_fwd_0"]["hilayers"][0] > 0
    assert written == [["dispatch"], ["conv_fwd_0", "dispatch"]]
    captured = capsys.readouterr()
    assert "5. dispatch per op" in captured.out and "FAILED (hilayers: RuntimeError" in captured.out
    assert "Traceback" in captured.err
    module.write_json(str(tmp_path / "r.json"), results, {})
    payload = json.loads((tmp_path / "r.json").read_text())
    assert payload["results"]["dispatch"]["error"].startswith("hilayers: RuntimeError")
    assert payload["results"]["dispatch"]["hilayers"] is None
