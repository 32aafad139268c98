"""Data-parallel training under ``mpiexec -n 2``: equal weights, the global-batch equivalence,
resuming from rank 0's checkpoints, and faults that end the job instead of hanging it."""
import glob
import os

import numpy as np
import pytest

from .launch import ROOT, launch, needs_mpi, worker

pytestmark = needs_mpi

#: A job whose rank fails must end well within this (seconds; measured: 1-6 s here).
FAULT_BOUND = 60


def weights(path):
    with np.load(path) as data:
        return [data[f"w{i}"] for i in range(sum(k.startswith("w") for k in data.files))]


def loaded(path, key):
    with np.load(path) as data:
        return data[key]


def assert_ok(run):
    assert run.returncode == 0, run


def assert_same_weights(actual, expected, **tolerance):
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected):
        if tolerance:
            np.testing.assert_allclose(a, b, **tolerance)
        else:
            np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("mpi")


@pytest.fixture(scope="module")
def uninterrupted(out):
    assert_ok(worker("uninterrupted", out))
    return weights(out / "uninterrupted.rank0.npz")


@pytest.fixture(scope="module")
def interrupted(out):
    assert_ok(worker("interrupted", out))
    return out


def test_weights_are_identical_on_every_rank(out):
    assert_ok(worker("identical", out))
    zero, one = weights(out / "identical.rank0.npz"), weights(out / "identical.rank1.npz")
    assert len(zero) == 8          # two Dense layers and BatchNormalization's four weights
    assert_same_weights(zero, one)     # bit for bit, moving statistics included


def test_two_ranks_of_batch_b_match_one_process_of_batch_2b(out):
    assert_ok(worker("same_batches", out))
    assert_ok(worker("reference", out, processes=None))
    reference = weights(out / "reference.rank0.npz")
    for rank in (0, 1):    # rank 1 started from other weights: the broadcast replaced them
        assert_same_weights(weights(out / f"same_batches.rank{rank}.npz"), reference,
                            rtol=1e-5, atol=1e-6)
    # The logged loss is the mean over ranks, i.e. the loss over the global epoch.
    np.testing.assert_allclose(loaded(out / "same_batches.rank1.npz", "loss"),
                               loaded(out / "reference.rank0.npz", "loss"), rtol=1e-5)


def test_only_rank_0_writes_checkpoints(interrupted):
    assert sorted(os.path.basename(p) for p in glob.glob(str(interrupted / "model.*.h5"))) \
        == ["model.rank0.1.h5", "model.rank0.2.h5"]
    assert os.listdir(interrupted / "backup") == ["training_checkpoint.h5"]


def test_backup_and_restore_resumes_a_distributed_run(interrupted, uninterrupted):
    assert_ok(worker("resume_backup", interrupted))
    for rank in (0, 1):
        assert_same_weights(weights(interrupted / f"resume_backup.rank{rank}.npz"),
                            uninterrupted)                      # bit for bit
    assert not (interrupted / "backup").exists()     # rank 0 deleted it at the end


def test_rank_0_model_checkpoint_resumes_a_distributed_run(interrupted, uninterrupted):
    assert_ok(worker("resume_model", interrupted))
    for rank in (0, 1):
        path = interrupted / f"resume_model.rank{rank}.npz"
        assert int(loaded(path, "iterations")) == 4 * 12      # Adam's state came back too
        assert_same_weights(weights(path), uninterrupted)      # bit for bit


def test_a_killed_rank_ends_the_job(out):
    run = worker("kill", out, timeout=FAULT_BOUND * 2)
    assert run.returncode != 0, run
    assert run.seconds < FAULT_BOUND, run
    assert "finished training" not in run.output
    assert "signal 9" in run.output or "Killed" in run.output, run


def test_an_exception_on_one_rank_aborts_every_rank(out):
    run = worker("raise", out, timeout=FAULT_BOUND * 2)
    assert run.returncode != 0, run
    assert run.seconds < FAULT_BOUND, run
    assert "RuntimeError: rank 1 failed on purpose" in run.output
    assert "rank 1 of 2 stopped on the uncaught RuntimeError above; aborting the whole job" \
        in run.output
    assert "finished training" not in run.output


def test_a_hung_rank_makes_the_others_time_out(out):
    run = worker("hang", out, timeout=FAULT_BOUND * 2, env={"WORKER_TIMEOUT": "3"})
    assert run.returncode != 0, run
    assert run.seconds < FAULT_BOUND, run
    assert "PeerTimeoutError: Rank 0 of 2 waited 3 s for the other ranks in the gradient " \
        "allreduce of a training step and gave up" in run.output, run


def test_ranks_with_unequal_batches_stop_with_a_clear_error(out):
    run = worker("uneven", out, timeout=FAULT_BOUND * 2, env={"WORKER_TIMEOUT": "10"})
    assert run.returncode != 0, run
    assert run.seconds < FAULT_BOUND, run
    assert "OutOfStepError" in run.output or "PeerTimeoutError" in run.output, run
    assert "the ranks are out of step" in run.output or "waited 10 s" in run.output, run


def test_forgetting_the_distributed_optimizer_is_an_error(out):
    run = worker("plain_optimizer", out, timeout=FAULT_BOUND * 2)
    assert run.returncode != 0, run
    assert "its optimizer does not average gradients" in run.output
    assert "compile with hilayers.distribute.DistributedOptimizer(optimizer)" in run.output


DATA = ROOT.parent / "shared" / "datasets" / "mnist"


@pytest.mark.skipif(not DATA.is_dir(), reason=f"MNIST not found at {DATA}")
def test_the_mnist_example_trains_on_two_processes():
    run = launch([ROOT / "examples" / "mnist_distributed.py", "--limit", "2000",
                  "--data", DATA], timeout=300)
    assert_ok(run)
    assert run.output.count("test accuracy") == 1                # rank 0 alone reports
    assert "2 processes, 1000 training images each, global batch 128" in run.output
    accuracy = float(run.output.rsplit("test accuracy", 1)[1].split()[0])
    assert accuracy > 0.6                                        # about 0.73 here


def test_the_script_of_the_distributed_page_runs_on_two_processes(tmp_path):
    from tests.test_docs_examples import code_blocks
    page = ROOT / "docs" / "distributed.md"
    first = next(b for b in code_blocks(page.read_text(encoding="utf-8"), "distributed.md")
                 if b.language == "python")
    script = tmp_path / "script.py"
    # The ranks' printed lines can interleave mid-line; each rank also leaves a file.
    script.write_text(first.source + "np.save(f'rank{hd.rank()}.npy', [hd.size(), "
                      "history.history['accuracy'][-1]])\n", encoding="utf-8")
    run = launch([script], cwd=tmp_path)
    assert_ok(run)
    zero, one = np.load(tmp_path / "rank0.npy"), np.load(tmp_path / "rank1.npy")
    assert zero[0] == one[0] == 2 and zero[1] == one[1]       # averaged: the same figure
    assert run.output.count("Epoch 3/3") == 1                 # rank 0's progress only
