"""hilayers.distribute in one process (a job of one): the API, its errors, and the pieces
that do not need a second rank. The multi-process behaviour is in test_mpi_training.py."""
import importlib.util
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

from hilayers import Sequential, layers, optimizers
from hilayers.callbacks import Callback

from .launch import HAVE_MPI4PY, ROOT

HIDE_MPI4PY = """
import sys

class HideMpi4py:
    def find_spec(self, name, path=None, target=None):
        if name == "mpi4py" or name.startswith("mpi4py."):
            raise ModuleNotFoundError("No module named 'mpi4py'")
        return None

sys.meta_path.insert(0, HideMpi4py())
"""


def test_without_mpi4py_hilayers_works_and_distribution_says_what_to_install():
    program = HIDE_MPI4PY + textwrap.dedent("""
        import numpy as np
        import hilayers
        import hilayers.distribute as hd
        model = hilayers.Sequential([hilayers.layers.Dense(1, input_shape=(2,))])
        model.compile("sgd", "mse")
        model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
        print("trained; mpi4py imported:", "mpi4py" in sys.modules)
        for ask in (hd.init, hd.rank, lambda: hd.DistributedOptimizer("adam")):
            try:
                ask()
                print("no error")
            except hd.DistributedUnavailableError as exc:
                print("error:", exc)
        """)
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         timeout=120, cwd=str(ROOT), env={"PYTHONPATH": str(ROOT),
                                                           "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "trained; mpi4py imported: False"
    assert len(lines) == 4 and all(line.startswith("error: hilayers.distribute needs mpi4py, "
                                                   "which is not installed") for line in lines[1:])
    assert "pip install 'hilayers[distributed]'" in lines[1]
    assert "mpiexec -n 4 python your_script.py" in lines[1]


mpi = pytest.mark.skipif(not HAVE_MPI4PY, reason="needs mpi4py: pip install -e '.[dev]'")


@pytest.fixture
def hd():
    import hilayers.distribute as hd
    return hd


def test_scale_learning_rate():
    from hilayers.distribute import scale_learning_rate
    assert scale_learning_rate(0.01, size=8) == pytest.approx(0.08)
    assert scale_learning_rate(0.01, size=4, rule="sqrt") == pytest.approx(0.02)
    with pytest.raises(ValueError, match="rule must be 'linear' or 'sqrt'; received 'log'"):
        scale_learning_rate(0.01, size=2, rule="log")
    with pytest.raises(ValueError, match="size must be a positive int .* received 0"):
        scale_learning_rate(0.01, size=0)
    with pytest.raises(ValueError, match="learning_rate must be positive; received -1"):
        scale_learning_rate(-1, size=2)


def test_shard_gives_equal_strided_shares():
    from hilayers.distribute import shard
    x, y = np.arange(10), np.arange(10) * 10
    shares = [shard(x, y, rank=r, size=4) for r in range(4)]
    assert [s[0].tolist() for s in shares] == [[0, 4], [1, 5], [2, 6], [3, 7]]
    assert shares[2][1].tolist() == [20, 60]
    assert shard(x, rank=0, size=1).tolist() == list(range(10))


@pytest.mark.parametrize("args, kwargs, message", [
    ((), {"rank": 0, "size": 1}, "pass at least one array"),
    ((np.arange(4), np.arange(5)), {"rank": 0, "size": 2}, r"different lengths \[4, 5\]"),
    ((np.arange(4),), {"rank": 2, "size": 2}, "expected 0 <= rank < size"),
    ((np.arange(3),), {"rank": 0, "size": 4}, "3 samples cannot give each of 4 ranks one"),
])
def test_shard_errors(args, kwargs, message):
    from hilayers.distribute import shard
    with pytest.raises(ValueError, match=message):
        shard(*args, **kwargs)


@mpi
def test_a_plain_process_is_a_job_of_one(hd):
    context = hd.init()
    assert (hd.rank(), hd.size(), hd.local_rank(), hd.local_size()) == (0, 1, 0, 1)
    assert hd.is_root() and hd.is_initialized() and hd.init() is context


@mpi
def test_timeout_must_be_positive(hd, monkeypatch):
    with pytest.raises(ValueError, match=r"init\(timeout=...\) must be a positive number of "
                                         "seconds .* received -1"):
        hd.init(timeout=-1)
    monkeypatch.setenv("HILAYERS_DISTRIBUTED_TIMEOUT", "soon")
    with pytest.raises(ValueError, match=r"\$HILAYERS_DISTRIBUTED_TIMEOUT must be .* "
                                         "received 'soon'"):
        hd.init()


@mpi
def test_distributed_optimizer_keeps_class_config_and_state(hd, tmp_path):
    adam = optimizers.Adam(0.002, amsgrad=True)
    wrapped = hd.DistributedOptimizer(adam)
    assert wrapped is adam and hd.is_distributed(adam)
    assert isinstance(adam, optimizers.Adam) and type(adam).__name__ == "Adam"
    assert adam.get_config() == optimizers.Adam(0.002, amsgrad=True).get_config()
    assert hd.DistributedOptimizer(adam) is adam                 # wrapping twice: no-op
    assert repr(adam) == "<Distributed Adam name='adam' ranks=1>"
    assert hd.is_distributed(hd.DistributedOptimizer("sgd"))

    model = Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile(adam, "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    model.save(tmp_path / "m.h5")
    loaded = hd.load_model(tmp_path / "m.h5")                    # rank 0's file, every rank
    assert type(loaded.optimizer).__name__ == "Adam" and hd.is_distributed(loaded.optimizer)
    assert int(loaded.optimizer.iterations.get_value()) == 1
    from hilayers.saving import load_model
    assert type(load_model(tmp_path / "m.h5").optimizer) is optimizers.Adam   # saved plain


@mpi
def test_distributed_optimizer_unknown_name(hd):
    with pytest.raises(ValueError, match="adamm"):
        hd.DistributedOptimizer("adamm")


@mpi
def test_load_model_of_a_missing_file_names_it(hd, tmp_path):
    with pytest.raises(hd.DistributedError, match=r"rank 0 could not read .*nowhere\.h5.*"
                                                  "FileNotFoundError"):
        hd.load_model(tmp_path / "nowhere.h5")


@mpi
def test_one_rank_collectives_copy(hd):
    step = np.array(7, dtype=np.int64)
    weights = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = hd.broadcast_arrays([step, weights])
    assert out[0].shape == () and out[0].dtype == np.int64 and int(out[0]) == 7
    np.testing.assert_array_equal(out[1], weights)
    assert out[1] is not weights
    mean = hd.allreduce_mean([weights])[0]
    assert mean.dtype == np.float32 and np.array_equal(mean, weights)


def _fake_context(size=2, timeout=0.05):
    class MpiError(Exception):
        pass
    return types.SimpleNamespace(rank=0, size=size, timeout=timeout, broken=False,
                                 abandoned=None, mpi=types.SimpleNamespace(Exception=MpiError),
                                 record=lambda *args: None)


def test_a_collective_that_never_completes_times_out():
    from hilayers.distribute import collectives
    from hilayers.distribute.errors import PeerTimeoutError
    context = _fake_context(timeout=0.05)
    never = types.SimpleNamespace(Test=lambda: False)
    with pytest.raises(PeerTimeoutError, match="Rank 0 of 2 waited 0.05 s for the other ranks "
                                               "in a test collective and gave up"):
        collectives.run(context, "test", lambda: never, 0, "a test collective")
    assert context.broken and context.abandoned[0] is never


def test_a_wrong_check_sum_is_out_of_step():
    from hilayers.distribute import collectives
    from hilayers.distribute.errors import OutOfStepError
    context = _fake_context(size=2)
    collectives.verify(context, 2 * 17.0, 17, "a test")               # in step
    with pytest.raises(OutOfStepError, match=r"the ranks are out of step in a test: .* "
                                             r"\(check sum 21, expected 34\)"):
        collectives.verify(context, 21.0, 17, "a test")
    assert context.broken


@mpi
def test_allreduce_op_wants_a_flat_float_buffer():
    from hilayers import backend as K
    from hilayers.distribute.graph_ops import AllreduceMean
    with pytest.raises(K.ShapeError, match=r"AllreduceMean: expected a 1-D float tensor of "
                                           r"known length; received shape \(2, 2\)"):
        AllreduceMean(check_code=1)(K.placeholder((2, 2)))


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(epoch)

    def get_state(self):
        return {"calls": len(self.calls)}


@mpi
def test_root_only_runs_the_callback_on_its_rank_only(hd):
    model = Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    mine, other = Recorder(), Recorder()
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
              callbacks=[hd.RootOnly(mine), hd.RootOnly(other, root=1)])
    assert mine.calls == [0, 1] and other.calls == []
    assert hd.RootOnly(mine).get_state() == {"calls": 2}
    with pytest.raises(TypeError, match="RootOnly wraps a Callback; received str"):
        hd.RootOnly("checkpoint")
    with pytest.raises(ValueError, match=r"unknown hooks \['on_step'\]"):
        hd.RootOnly(mine, everywhere=("on_step",))


def test_callbacks_marked_runs_first_come_before_the_progress_bar(capsys):
    class Rewrite(Callback):
        runs_first = True

        def on_epoch_end(self, epoch, logs=None):
            logs["loss"] = 123.0

    model = Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=2,
                        callbacks=[Rewrite()])
    assert "loss: 123.0000" in capsys.readouterr().out
    assert history.history["loss"] == [123.0]


@mpi
def test_the_examples_of_the_distributed_page_run(tmp_path, monkeypatch):
    from hilayers import backend as K
    from tests.test_docs_examples import code_blocks
    page = ROOT / "docs" / "distributed.md"
    blocks = [b for b in code_blocks(page.read_text(encoding="utf-8"), "distributed.md")
              if b.language == "python" and not b.skipped]
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    K.reset_default_graph()
    namespace = {"__name__": "docs_distributed"}
    for block in blocks:
        exec(compile("\n" * (block.line - 1) + block.source, str(page), "exec"), namespace)
    assert 0.0 <= namespace["accuracy"] <= 1.0


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None,
                    reason="CuPy is installed: the error for its absence cannot be seen")
def test_the_gpu_path_without_cupy_says_what_to_install():
    from hilayers import backend as K
    from hilayers.distribute import nccl
    with pytest.raises(K.BackendUnavailableError, match=r"pip install 'hilayers\[gpu\]'"):
        nccl.allreduce_sum(None, None, "gradients", "a test")
