"""The course examples run and reach their goals."""
import os
import pathlib
import subprocess
import sys

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
