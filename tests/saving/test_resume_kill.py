"""Real crashes: training processes killed with SIGKILL, then resumed in a new process.

* A training run (shuffle=True, Dropout, Adam, validation, BackupAndRestore every 3
  batches) is SIGKILLed in the middle of an epoch; a new process resumes it; its final
  weights equal, bit for bit, those of a run never interrupted (another process).
* A process writing checkpoints, graph checkpoints and whole models (``model.save``) in a
  loop is SIGKILLed at random moments, often while writing: each file left behind always
  loads, with the value of a completed save.
"""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from hilayers import Sequential, layers
from hilayers import backend as K
from hilayers.saving import Saver, latest_checkpoint, load_model, load_training_checkpoint

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEADLINE = 120          # seconds; only reached when something is badly wrong

TRAIN = textwrap.dedent("""
    import os, sys, time
    import numpy as np
    from hilayers import Sequential, callbacks, layers
    from hilayers.utils import set_random_seed

    backup_dir, out, progress, delay = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    set_random_seed(0)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(96, 6)).astype("float32")
    y = (x[:, :3].sum(axis=1) > x[:, 3:].sum(axis=1)).astype("int32")
    model = Sequential([layers.Dense(16, activation="relu", input_shape=(6,)),
                        layers.Dropout(0.25), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])

    class Progress(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            with open(progress + ".tmp", "w") as handle:
                handle.write(f"{self.epoch} {batch}")
            os.replace(progress + ".tmp", progress)
            time.sleep(delay)

    cbs = [callbacks.EarlyStopping(monitor="val_loss", patience=10), Progress()]
    if backup_dir != "-":
        cbs.insert(0, callbacks.BackupAndRestore(backup_dir, save_freq=3))
    model.fit(x, y, batch_size=8, epochs=4, shuffle=True, validation_split=0.125, verbose=0,
              callbacks=cbs)
    np.savez(out, *model.get_weights())
""")

WRITE = textwrap.dedent("""
    import os, sys
    import numpy as np
    from hilayers import Sequential, layers
    from hilayers.saving import Saver, save_training_checkpoint

    path, folder, progress = sys.argv[1], sys.argv[2], sys.argv[3]
    model = Sequential([layers.Dense(384, input_shape=(384,)), layers.Dense(384)])
    model.compile("adam", "mse")
    model.train_on_batch(np.ones((2, 384), "float32"), np.ones((2, 384), "float32"))
    saver = Saver(max_to_keep=2)
    count = 0
    while True:
        count += 1
        model.set_weights([np.full(w.shape, count, w.dtype) for w in model.get_weights()])
        save_training_checkpoint(path, model, epoch=count)
        saver.save(None, os.path.join(folder, "graph"), global_step=count)
        model.save(os.path.join(folder, "model.h5"))
        with open(progress + ".tmp", "w") as handle:
            handle.write(str(count))
        os.replace(progress + ".tmp", progress)
""")


def _start(tmp_path, name, source, *args):
    script = tmp_path / f"{name}.py"
    script.write_text(source)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, str(script), *map(str, args)], cwd=str(tmp_path),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _finish(process):
    output, _ = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0, output.decode(errors="replace")


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _wait_for(process, condition, what):
    start = time.monotonic()
    while not condition():
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace")
            pytest.fail(f"the process ended (code {process.returncode}) before {what}:\n"
                        f"{output}")
        if time.monotonic() - start > DEADLINE:
            process.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.002)


def _kill(process):
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=DEADLINE)
    assert process.returncode == -signal.SIGKILL


def test_fit_killed_mid_epoch_resumes_bit_identically(tmp_path):
    backup = tmp_path / "backup"
    checkpoint = backup / "training_checkpoint.h5"
    progress = tmp_path / "progress"
    reference = _start(tmp_path, "train", TRAIN, "-", "reference.npz", "unused", 0)
    victim = _start(tmp_path, "train", TRAIN, backup, "victim.npz", progress, 0.05)

    # 84 training samples in batches of 8: 11 batches per epoch. Kill in the middle of
    # the second epoch, once a checkpoint has been written.
    def mid_second_epoch():
        state = _read(progress)
        return state is not None and checkpoint.exists() and \
            tuple(map(int, state.split())) >= (1, 4)
    _wait_for(victim, mid_second_epoch, "the second epoch")
    _kill(victim)
    epoch, batch = map(int, _read(progress).split())
    assert epoch == 1 and batch < 10, "the kill should land in the middle of an epoch"
    assert not (tmp_path / "victim.npz").exists()

    model = Sequential([layers.Dense(16, activation="relu", input_shape=(6,)),
                        layers.Dropout(0.25), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    position = load_training_checkpoint(checkpoint, model)
    assert position.epoch == 1 and 0 < position.step <= batch + 1

    resumed = _start(tmp_path, "train", TRAIN, backup, "resumed.npz", progress, 0)
    _finish(resumed)
    _finish(reference)
    with np.load(tmp_path / "reference.npz") as ref, np.load(tmp_path / "resumed.npz") as res:
        assert len(ref.files) == len(res.files) == 4
        for key in ref.files:
            assert np.array_equal(ref[key], res[key]), key
    assert not backup.exists()                   # the finished run deleted its checkpoint


def test_kill_while_writing_keeps_the_previous_checkpoint(tmp_path):
    path = tmp_path / "ckpt.h5"
    folder = tmp_path / "graph"
    folder.mkdir()
    progress = tmp_path / "progress"
    rng = np.random.default_rng(0)
    model = Sequential([layers.Dense(384, input_shape=(384,)), layers.Dense(384)])
    model.compile("adam", "mse")
    for _ in range(3):
        done_before = int(_read(progress) or 0)
        writer = _start(tmp_path, "write", WRITE, path, folder, progress)
        _wait_for(writer, lambda: int(_read(progress) or 0) >= done_before + 2,
                  "two saves")
        time.sleep(float(rng.uniform(0.0, 0.05)))
        _kill(writer)
        done = int(_read(progress))
        # The checkpoint holds a completed save: the last one reported, or the one whose
        # rename landed just before the kill.
        position = load_training_checkpoint(path, model)
        assert position.epoch in (done, done + 1)
        assert np.all(model.get_weights()[0] == position.epoch)
        latest = latest_checkpoint(str(folder))
        Saver().restore(None, latest)
        value = int(os.path.basename(latest)[len("graph-"):-len(".h5")])
        assert value in (done, done + 1)
        assert np.all(model.get_weights()[2] == value)
        # model.save: the whole model file, likewise.
        with K.Graph().as_default():          # apart from the variables Saver() takes
            saved = load_model(folder / "model.h5")
        value = float(saved.get_weights()[0][0, 0])
        assert value in (done, done + 1)
        assert all(np.all(w == value) for w in saved.get_weights())
