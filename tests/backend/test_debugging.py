"""check_numerics mode, backend selection and settings."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from hilayers import backend as K


def test_check_numerics_names_the_first_op_with_a_nan():
    x = K.placeholder((2,), name="x")
    ratio = K.divide(x, x, name="ratio")         # 0/0 -> NaN
    y = K.multiply(ratio, 2.0, name="doubled")   # inherits the NaN
    with pytest.raises(K.NumericsError, match=r"op Divide \(node 'ratio'\) produced a NaN; "
                                              r"all its inputs were finite"):
        K.Session(check_numerics=True).run(y, {x: [0.0, 1.0]})
    # Without the mode, the NaN is simply returned.
    out = K.Session().run(y, {x: [0.0, 1.0]})
    assert np.isnan(out[0]) and out[1] == 2.0


def test_check_numerics_global_switch():
    x = K.placeholder((1,), name="x")
    y = K.divide(1.0, x, name="inverse")
    K.set_check_numerics(True)
    try:
        with pytest.raises(K.NumericsError, match=r"node 'inverse'\) produced a infinity|"
                                                  r"node 'inverse'\) produced an? infinity"):
            K.Session().run(y, {x: [0.0]})
    finally:
        K.set_check_numerics(False)


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(K.InvalidArgumentError, match=r"Unknown backend 'tpu'; expected one of "
                                                     r"numpy, cupy"):
        K.set_backend("tpu")


@pytest.mark.skipif(K.is_available("cupy"), reason="CuPy and a GPU are present here")
def test_cupy_without_gpu_says_so_and_keeps_numpy():
    with pytest.raises(K.BackendUnavailableError, match=r"'cupy' backend needs CuPy|no CUDA "
                                                        r"device"):
        K.set_backend("cupy")
    assert K.backend() == "numpy"
    assert K.Session().run(K.constant(2.0) * 3.0) == 6.0


def _run_python(code, env_extra):
    env = dict(os.environ, **env_extra)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)


def test_backend_and_floatx_from_environment_and_config_file(tmp_path):
    code = "from hilayers import backend as K; print(K.backend(), K.floatx())"
    out = _run_python(code, {"HILAYERS_HOME": str(tmp_path), "HILAYERS_FLOATX": "float64"})
    assert out.stdout.split() == ["numpy", "float64"], out.stderr
    (tmp_path / "hilayers.json").write_text(json.dumps({"floatx": "float16"}))
    out = _run_python(code, {"HILAYERS_HOME": str(tmp_path)})
    assert out.stdout.split() == ["numpy", "float16"], out.stderr
    (tmp_path / "hilayers.json").write_text("{not json")
    out = _run_python(code, {"HILAYERS_HOME": str(tmp_path)})
    assert "Could not read the hilayers settings file" in out.stderr


def test_environment_asking_for_cupy_without_gpu_fails_clearly(tmp_path):
    if K.is_available("cupy"):
        pytest.skip("CuPy and a GPU are present here")
    code = ("from hilayers import backend as K\n"
            "try:\n    K.Session().run(K.constant(1.0))\n"
            "except K.BackendUnavailableError as e:\n    print('clear:', e)\n")
    out = _run_python(code, {"HILAYERS_HOME": str(tmp_path), "HILAYERS_BACKEND": "cupy"})
    assert out.stdout.startswith("clear:"), out.stdout + out.stderr
