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
    row = module._row_text(results["mlp_epoch"], ["hilayers", "pytorch"])
    assert row.split()[-3:] == ["0.70", "2.00-2.20", "2.90-3.10"]


def test_chart_without_pytorch_figures_says_why(tmp_path):
    module = _load_run_module()
    message = module.write_chart(str(tmp_path / "chart.png"),
                                 {"mlp_epoch": {"label": "x", "unit": "s", "hilayers": [1.0]}})
    assert message is not None
    assert not (tmp_path / "chart.png").exists()
