"""Training checkpoints (hilayers.saving.checkpoint) and BackupAndRestore, in one process.

A "crash" here is an exception raised by a callback in the middle of ``fit``; the real
SIGKILL of a training process is in test_resume_kill.py.
"""
import json
import os
import random

import h5py
import numpy as np
import pytest

from hilayers import Sequential, callbacks, layers
from hilayers import backend as K
from hilayers.saving import SavingError, load_training_checkpoint, save_training_checkpoint
from hilayers.utils import set_random_seed
from hilayers.utils.random_seed import global_generator


class Crash(callbacks.Callback):
    """Raise after ``at`` training batches of this fit."""

    def __init__(self, at):
        super().__init__()
        self.at, self.seen = at, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.at:
            raise KeyboardInterrupt(f"crash after {self.at} batches")


def _data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(70, 5)).astype("float32")
    return x, (x.sum(axis=1) > 0).astype("int32")


def _model():
    model = Sequential([layers.Dense(8, activation="relu", input_shape=(5,)),
                        layers.Dropout(0.3), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _run(backup_dir=None, crash_at=None, save_freq=3, epochs=4, extra=()):
    """One program run: fresh graph, seeded, model built and trained (maybe resumed)."""
    K.reset_default_graph()
    set_random_seed(0)
    x, y = _data()
    model = _model()
    cbs = [callbacks.EarlyStopping(monitor="loss", patience=5),
           callbacks.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5)] + list(extra)
    if backup_dir is not None:
        cbs.append(callbacks.BackupAndRestore(backup_dir, save_freq=save_freq))
    if crash_at is not None:
        cbs.append(Crash(crash_at))
    history = model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, shuffle=True,
                        validation_split=0.1, callbacks=cbs)
    return model, history


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


@pytest.fixture(scope="module")
def reference():
    model, history = _run()
    return model.get_weights(), history.history


# -- resuming ------------------------------------------------------------------------------------
@pytest.mark.parametrize("save_freq,crashes", [(3, [5, 13]), (1, [1, 8, 9]), (2, [16]),
                                               ("epoch", [7, 9, 17]), (5, [30])])
def test_resumed_fit_is_bit_identical(tmp_path, reference, save_freq, crashes):
    folder = str(tmp_path / "backup")
    for crash in crashes:
        with pytest.raises(KeyboardInterrupt):
            _run(folder, crash_at=crash, save_freq=save_freq)
    model, history = _run(folder, save_freq=save_freq)
    weights, logs = reference
    assert _same(model.get_weights(), weights)
    # The epochs run after the restart log exactly what the uninterrupted run logged,
    # including the running loss of a resumed epoch and the learning rate that
    # ReduceLROnPlateau (whose state was restored) set.
    count = len(history.history["loss"])
    assert 0 < count <= 4
    for key, values in history.history.items():
        assert values == logs[key][-count:], key
    assert not os.path.exists(folder)          # delete_checkpoint=True


def test_restart_without_backup_differs(tmp_path, reference):
    # The negative control: continuing from a crash *without* the checkpoint does not give
    # the reference weights, so the test above is sensitive to what the checkpoint holds.
    with pytest.raises(KeyboardInterrupt):
        _run(str(tmp_path / "b"), crash_at=13)
    model, _ = _run(None, epochs=4)
    assert _same(model.get_weights(), reference[0])          # a fresh run is the reference
    folder = str(tmp_path / "b")
    path = os.path.join(folder, callbacks.BackupAndRestore.FILENAME)
    with h5py.File(path, "r+") as handle:                    # forget the dropout streams
        state = json.loads(handle.attrs["state"])
        state["random"]["streams"] = {}
        handle.attrs["state"] = json.dumps(state).encode()
    model, _ = _run(folder)
    assert not _same(model.get_weights(), reference[0])


def test_backup_kept_when_asked_and_finished_run_does_nothing(tmp_path):
    folder = str(tmp_path / "keep")
    K.reset_default_graph()
    set_random_seed(0)
    x, y = _data()
    model = _model()
    backup = callbacks.BackupAndRestore(folder, save_freq="epoch", delete_checkpoint=False)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[backup])
    path = os.path.join(folder, "training_checkpoint.h5")
    with h5py.File(path, "r") as handle:
        state = json.loads(handle.attrs["state"])
    assert (state["epoch"], state["step"]) == (2, 0)
    weights = model.get_weights()
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[backup])
    assert history.history == {}
    assert _same(model.get_weights(), weights)


def test_finished_run_removes_leftovers_of_killed_writes(tmp_path):
    folder = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        _run(str(folder), crash_at=5)
    (folder / ".training_checkpoint.h5.x1y2.tmp").write_bytes(b"half a file")
    _run(str(folder))
    assert not folder.exists()


@pytest.mark.parametrize("bad", [0, -1, 2.5, "batch", True])
def test_backup_rejects_bad_save_freq(bad):
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive int"):
        callbacks.BackupAndRestore("somewhere", save_freq=bad)


def test_backup_rejects_empty_folder():
    with pytest.raises(ValueError, match="backup_dir must be a folder path"):
        callbacks.BackupAndRestore("")


# -- what a checkpoint holds ---------------------------------------------------------------------
def _trained(epochs=1):
    set_random_seed(3)
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=8, epochs=epochs, verbose=0)
    return model


def test_round_trip_restores_every_state(tmp_path):
    model = _trained()
    model.optimizer.learning_rate = 0.125
    stop = callbacks.EarlyStopping(monitor="loss")
    stop.on_train_begin()
    stop.set_state({"wait": 2, "best": 0.5, "best_epoch": 1})
    path = tmp_path / "ckpt.h5"
    np_state = np.random.get_state()
    random.seed(11)
    py_state = random.getstate()
    init_state = global_generator().bit_generator.state
    graph = model.inputs[0].graph
    streams = {k: g.bit_generator.state for k, g in graph._rng_states.items()}
    assert streams                                           # dropout has drawn
    save_training_checkpoint(path, model, epoch=3, step=5, callbacks=[stop],
                             numpy_state=np_state)

    # Everything moves on, then the checkpoint brings it back.
    expected = (model.get_weights(), model.optimizer.get_weights())
    np.random.random(10)
    random.random()
    global_generator().random(3)
    _trained(epochs=1)           # another model in another graph, draws from every RNG
    K.reset_default_graph()
    set_random_seed(99)
    other = _model()
    other.build((None, 5))
    stop2 = callbacks.EarlyStopping(monitor="loss")
    stop2.on_train_begin()
    position = load_training_checkpoint(path, other, callbacks=[stop2])
    assert (position.epoch, position.step) == (3, 5)
    assert _same(other.get_weights(), expected[0])
    assert _same(other.optimizer.get_weights(), expected[1])
    assert other.optimizer.learning_rate == 0.125
    assert stop2.get_state() == {"wait": 2, "best": 0.5, "best_epoch": 1}
    state = np.random.get_state()
    assert np.array_equal(state[1], np_state[1]) and state[2:] == np_state[2:]
    assert random.getstate() == py_state
    assert global_generator().bit_generator.state == init_state
    new_graph = other.inputs[0].graph
    assert new_graph.seed == graph.seed
    names = {id(n.op): n.name for n in graph.nodes}
    new_names = {id(n.op): n.name for n in new_graph.nodes}
    restored = {new_names[k[1]]: g.bit_generator.state for k, g in new_graph._rng_states.items()}
    assert restored == {names[k[1]]: s for k, s in streams.items()}


def test_running_metrics_are_restored(tmp_path):
    model = _trained()
    train = next(v for k, v in model._functions.items() if isinstance(k, tuple))["train"]
    loss_tracker = train[2][0]._trackers[0]
    total = loss_tracker.variables[0].get_value()
    save_training_checkpoint(tmp_path / "c.h5", model, epoch=0, step=4)
    loss_tracker.reset_state()
    load_training_checkpoint(tmp_path / "c.h5", model)
    assert loss_tracker.variables[0].get_value() == total != 0


def test_checkpoint_without_training_function(tmp_path):
    model = _model()
    model.build((None, 5))
    save_training_checkpoint(tmp_path / "fresh.h5", model, epoch=0)
    other = _model()
    other.build((None, 5))
    position = load_training_checkpoint(tmp_path / "fresh.h5", other)
    assert (position.epoch, position.step) == (0, 0)
    assert _same(other.get_weights(), model.get_weights())


def test_unknown_callback_state_warns(tmp_path):
    model = _trained()
    stop = callbacks.EarlyStopping(monitor="loss")
    stop.on_train_begin()
    save_training_checkpoint(tmp_path / "c.h5", model, epoch=1, callbacks=[stop])
    with pytest.warns(UserWarning, match="callback 'EarlyStopping'.*no such callback"):
        load_training_checkpoint(tmp_path / "c.h5", model, callbacks=[])


def test_callback_refusing_state_names_it(tmp_path):
    model = _trained()
    save_training_checkpoint(tmp_path / "c.h5", model, epoch=1,
                             callbacks=[_Stateful({"x": 1})])
    with pytest.raises(SavingError, match="callback '_Stateful' refuses its saved state"):
        load_training_checkpoint(tmp_path / "c.h5", model, callbacks=[_Stateful({})])


class _Stateful(callbacks.Callback):
    def __init__(self, state):
        super().__init__()
        self.state = state

    def get_state(self):
        return self.state

    def set_state(self, state):
        if "y" not in state:
            raise KeyError("y")


# -- errors --------------------------------------------------------------------------------------
def test_weights_file_is_not_a_training_checkpoint(tmp_path):
    model = _trained()
    model.save_weights(tmp_path / "w.h5")
    with pytest.raises(SavingError, match="not a hilayers training checkpoint"):
        load_training_checkpoint(tmp_path / "w.h5", model)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_training_checkpoint(tmp_path / "none.h5", _model())


def test_other_architecture_is_refused(tmp_path):
    model = _trained()
    save_training_checkpoint(tmp_path / "c.h5", model, epoch=1)
    other = Sequential([layers.Dense(4, activation="relu", input_shape=(5,)),
                        layers.Dense(2, activation="softmax")])
    other.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    before = other.get_weights()
    with pytest.raises(SavingError, match="optimizer variables") as info:
        load_training_checkpoint(tmp_path / "c.h5", other)
    assert "c.h5" in str(info.value)
    assert _same(other.get_weights(), before)


def test_other_optimizer_is_refused(tmp_path):
    model = _trained()
    save_training_checkpoint(tmp_path / "c.h5", model, epoch=1)
    other = Sequential([layers.Dense(8, activation="relu", input_shape=(5,)),
                        layers.Dropout(0.3), layers.Dense(2, activation="softmax")])
    other.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    before = other.get_weights()
    with pytest.raises(SavingError, match="holds 9 optimizer variables"):
        load_training_checkpoint(tmp_path / "c.h5", other)
    assert _same(other.get_weights(), before)                # nothing changed


def test_uncompiled_model_is_refused(tmp_path):
    model = _trained()
    save_training_checkpoint(tmp_path / "c.h5", model, epoch=1)
    other = Sequential([layers.Dense(8, activation="relu", input_shape=(5,)),
                        layers.Dropout(0.3), layers.Dense(2, activation="softmax")])
    with pytest.raises(SavingError, match="is not compiled"):
        load_training_checkpoint(tmp_path / "c.h5", other)


def test_unbuilt_model_is_refused(tmp_path):
    model = _trained()
    save_training_checkpoint(tmp_path / "c.h5", model, epoch=1)
    other = Sequential([layers.Dense(8, activation="relu"), layers.Dropout(0.3),
                        layers.Dense(2, activation="softmax")])
    other.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    with pytest.raises(SavingError, match="is not built"):
        load_training_checkpoint(tmp_path / "c.h5", other)


@pytest.mark.parametrize("change,message", [
    (lambda s: s.update(epoch=-1), "'epoch' should be an int >= 0"),
    (lambda s: s.update(step="3"), "'step' should be an int >= 0"),
    (lambda s: s.update(callbacks=[]), "'callbacks' is not an object"),
    (lambda s: s["random"]["streams"].update(x={"bit_generator": "os.system"}),
     "not a NumPy bit generator state"),
    (lambda s: s["random"].pop("python"), "random generator states are damaged"),
    (lambda s: s.update(target_signature=[[1, "object"]]), "'target_signature'"),
])
def test_damaged_state_is_refused(tmp_path, change, message):
    model = _trained()
    path = tmp_path / "c.h5"
    save_training_checkpoint(path, model, epoch=1)
    with h5py.File(path, "r+") as handle:
        state = json.loads(handle.attrs["state"])
        change(state)
        handle.attrs["state"] = json.dumps(state).encode()
    with pytest.raises(SavingError, match=message):
        load_training_checkpoint(path, model)


def test_bad_position_and_unserializable_state(tmp_path):
    model = _trained()
    with pytest.raises(ValueError, match="epoch and step must be >= 0"):
        save_training_checkpoint(tmp_path / "c.h5", model, epoch=-1)
    path = tmp_path / "keep.h5"
    save_training_checkpoint(path, model, epoch=1)
    before = path.read_bytes()
    with pytest.raises(SavingError, match="not plain JSON"):
        save_training_checkpoint(path, model, epoch=2, callbacks=[_Stateful({"f": object()})])
    assert path.read_bytes() == before                       # the old file is untouched
    assert sorted(os.listdir(tmp_path)) == ["keep.h5"]       # and no temporary file is left
