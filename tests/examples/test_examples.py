"""The course examples run and reach their goals."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))

import linear_regression  # noqa: E402
import logistic_regression  # noqa: E402


def test_linear_regression_recovers_a_and_b():
    result = linear_regression.main(verbose=False)
    assert abs(result["a"] - linear_regression.TRUE_A) < 1e-3
    assert abs(result["b"] - linear_regression.TRUE_B) < 1e-3


def test_logistic_regression_separates_the_classes():
    result = logistic_regression.main(verbose=False)
    assert result["accuracy"] > 0.95
    assert result["loss"] < 0.2


@pytest.mark.parametrize("script", ["linear_regression.py", "logistic_regression.py"])
def test_example_scripts_run(script):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, str(ROOT / "examples" / script)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    assert "loss" in out.stdout


# -- the MNIST examples, in their quick mode ---------------------------------------------------
DATA = ROOT.parent / "shared" / "datasets" / "mnist"
needs_mnist = pytest.mark.skipif(not DATA.is_dir(), reason=f"MNIST not found at {DATA}")


def _example(script, *args, cwd=None, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, str(ROOT / "examples" / script), *args],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def _last_figure(text, label):
    """The number after the last ``label`` in ``text``."""
    return float(text.rsplit(label, 1)[1].split()[0].strip(","))


@needs_mnist
def test_mnist_mlp_quick_mode_trains_with_a_progress_bar():
    out = _example("mnist_mlp.py", "--limit", "2000", "--data", str(DATA))
    assert out.returncode == 0, out.stderr
    assert "Total params: 669,706" in out.stdout            # the summary
    assert "Epoch 1/1" in out.stdout + out.stderr            # the progress bar's epoch
    assert _last_figure(out.stdout, "test accuracy") > 0.7  # 16 steps: about 0.79


@needs_mnist
def test_mnist_lenet5_quick_mode_checkpoints_the_best_model(tmp_path):
    out = _example("mnist_lenet5.py", "--epochs", "2", "--limit", "2000", "--data", str(DATA),
                   "--out", str(tmp_path / "run"))
    assert out.returncode == 0, out.stderr
    best = tmp_path / "run" / "lenet5_best.h5"
    assert best.is_file() and f"best checkpoint {best}" in out.stdout
    assert not (tmp_path / "run" / "backup").exists()        # removed after a finished run
    assert _last_figure(out.stdout, "test accuracy") > 0.5  # 2 x 15 steps: about 0.72


def _weights_of(path):
    import h5py
    arrays = {}
    with h5py.File(path, "r") as f:
        f["model_weights"].visititems(
            lambda name, obj: arrays.__setitem__(name, obj[()])
            if isinstance(obj, h5py.Dataset) else None)
    return arrays


@needs_mnist
def test_mnist_lenet5_interrupted_with_ctrl_c_resumes_to_the_same_model(tmp_path):
    import signal
    import time
    args = ["--epochs", "4", "--limit", "600", "--data", str(DATA)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    interrupted = tmp_path / "interrupted"
    backup = interrupted / "backup" / "training_checkpoint.h5"
    proc = subprocess.Popen([sys.executable, str(ROOT / "examples" / "mnist_lenet5.py"), *args,
                             "--out", str(interrupted)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not backup.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)                          # Ctrl-C
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert backup.exists()

    resumed = _example("mnist_lenet5.py", *args, "--out", str(interrupted))
    assert resumed.returncode == 0, resumed.stderr
    assert "Epoch 1/4" not in resumed.stdout + resumed.stderr   # it did not start again
    straight = _example("mnist_lenet5.py", *args, "--out", str(tmp_path / "straight"))
    assert straight.returncode == 0, straight.stderr
    a = _weights_of(interrupted / "lenet5_best.h5")
    b = _weights_of(tmp_path / "straight" / "lenet5_best.h5")
    assert a.keys() == b.keys() and len(a) == 10
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert (_last_figure(resumed.stdout, "test accuracy")
            == _last_figure(straight.stdout, "test accuracy"))
