"""Fuzz: damaged files either load or raise SavingError naming the file; nothing else.

Five good files (a whole model with optimizer state, a weights file, a training checkpoint
and a graph checkpoint written by hilayers, and a whole model written by tf-keras, whose
text attributes live in a global heap) are damaged in seeded, repeatable ways (``mutations.py``):
truncations, flipped bits, overwritten blocks, edited attributes and JSON configs, edited
name lists, datasets of other shapes and dtypes, missing and extra objects. Every damaged
file goes to its loader, which must either succeed or raise :class:`SavingError` whose
``path`` is that file: never another exception, a crash or a hang.

Each kind of file is fuzzed in a child process, so that a crash (a segmentation fault in
HDF5) or a hang (HDF5 looping forever, which no signal interrupts) fails the test, naming
the case, instead of killing or stalling the test run. The child prints each case before
loading it; the last line printed names the culprit.

A longer hunt, in this process and printing every case:

    python -m tests.saving.test_fuzz_files model 7 20000
"""
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import h5py
import numpy as np

from hilayers import Sequential, layers
from hilayers import backend as K
from hilayers.saving import (SavingError, Saver, load_model, load_training_checkpoint,
                             save_training_checkpoint)

from . import mutations

KINDS = ["model", "weights", "checkpoint", "graph", "keras"]
KERAS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                          "tfkeras2_mlp.h5")
#: Damaged files per kind of good file; 5 kinds, so 1,250 files in all.
CASES = 250
#: Any one load taking longer than this (seconds) counts as a hang.
SLOW = 10.0
#: The most a child may take for all its cases (seconds): far more than they need.
DEADLINE = 240
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _model():
    model = Sequential([layers.Dense(6, activation="relu", input_shape=(4,), name="hidden"),
                        layers.BatchNormalization(name="norm"),
                        layers.Dense(2, activation="softmax", name="out")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _good_files(folder):
    K.reset_default_graph(seed=1)
    model = _model()
    model.fit(np.ones((8, 4), "float32"), np.zeros((8,), "int32"), epochs=1, verbose=0)
    paths = {"model": os.path.join(folder, "model.h5"),
             "weights": os.path.join(folder, "weights.h5"),
             "checkpoint": os.path.join(folder, "checkpoint.h5")}
    model.save(paths["model"])
    model.save_weights(paths["weights"], compression="gzip")
    save_training_checkpoint(paths["checkpoint"], model, epoch=1, step=0)
    paths["graph"] = Saver(model.weights).save(None, os.path.join(folder, "graph"))
    paths["keras"] = KERAS_FILE
    return paths


def _loader(kind):
    """A function loading a file of ``kind``: into a new graph for whole models, else into
    one model built once (loading weights or checkpoints adds nothing to its graph)."""
    K.reset_default_graph(seed=1)
    model = _model()
    saver = Saver(model.weights)

    def load(path, compile_model):
        if kind in ("model", "keras"):
            K.reset_default_graph(seed=1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")      # e.g. optimizer state not read
                return load_model(path, compile=compile_model)
        if kind == "weights":
            return model.load_weights(path)
        if kind == "checkpoint":
            return load_training_checkpoint(path, model)
        return saver.restore(None, path)
    return load


def _damaged(good, rng):
    """The bytes of a damaged copy of ``good`` and what was done to it."""
    if rng.random() < 0.5:
        mutate = mutations.BYTE_MUTATIONS[int(rng.integers(0, 3))]
        return mutate(good, rng)
    mutate = mutations.STRUCTURE_MUTATIONS[int(rng.integers(0, len(
        mutations.STRUCTURE_MUTATIONS)))]
    buffer = io.BytesIO(good)
    with h5py.File(buffer, "r+") as handle:
        what = mutate(handle, rng)
    return buffer.getvalue(), what


def run_cases(kind, seed, cases, folder, out=sys.stdout):
    """Damage ``cases`` copies of the good file of ``kind`` and load each.

    Returns:
        ``{"loaded": n, "refused": n}``.

    Raises:
        AssertionError: naming the case, for another exception, an error naming another
            file, or a load slower than ``SLOW``.
    """
    paths = _good_files(folder)
    with open(paths[kind], "rb") as handle:
        good = handle.read()
    load = _loader(kind)
    load(paths[kind], True)                       # the undamaged file loads
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    outcomes = {"loaded": 0, "refused": 0}
    for case in range(cases):
        data, what = _damaged(good, rng)
        # A new file each time: truncating one in place is slow on some filesystems.
        target = os.path.join(folder, f"damaged_{kind}_{case}.h5")
        with open(target, "wb") as handle:
            handle.write(data)
        print(f"{kind} case {case}: {what}", file=out, flush=True)
        start = time.monotonic()
        try:
            load(target, case % 4 == 0)
            outcomes["loaded"] += 1
        except SavingError as err:
            assert err.path == target, f"case {case} ({what}): the error names {err.path!r}"
            assert str(err).startswith(f"Cannot load {target!r}: "), str(err)
            outcomes["refused"] += 1
        except Exception as exc:  # noqa: BLE001 - any other exception is the failure sought
            raise AssertionError(f"{kind} case {case} ({what}) raised "
                                 f"{type(exc).__name__}: {exc}") from exc
        assert time.monotonic() - start < SLOW, f"case {case} ({what}) took too long"
        os.remove(target)
    return outcomes


def _child(kind, folder):
    """A child process fuzzing ``kind`` files in ``folder``; its last line is the outcome."""
    os.makedirs(folder)
    code = ("import json; from tests.saving.test_fuzz_files import run_cases; "
            f"print(json.dumps(run_cases({kind!r}, 0, {CASES}, {folder!r})))")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _outcome(kind, child):
    try:
        output, _ = child.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        child.kill()
        output, _ = child.communicate()
        raise AssertionError(f"fuzzing {kind} files hung; the last case started:\n"
                             + "\n".join(output.splitlines()[-2:])) from None
    lines = output.splitlines()
    assert child.returncode == 0, (f"fuzzing {kind} files failed (exit code "
                                   f"{child.returncode}; a negative one is a crash):\n"
                                   + "\n".join(lines[-25:]))
    return json.loads(lines[-1])


def test_damaged_files_load_or_raise_saving_error(tmp_path):
    outcomes = {}
    for pair in (KINDS[:2], KINDS[2:4], KINDS[4:]):     # two children at a time: two cores
        children = {kind: _child(kind, str(tmp_path / kind)) for kind in pair}
        for kind, child in children.items():
            outcomes[kind] = _outcome(kind, child)
    for kind, counts in outcomes.items():
        # Both outcomes occur: the damage is neither always harmless nor always fatal.
        assert counts["loaded"] > 10 and counts["refused"] > CASES / 3, (kind, counts)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        print(run_cases(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), scratch))
