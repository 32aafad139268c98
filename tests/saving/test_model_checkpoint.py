"""ModelCheckpoint: file names, best-only saving, batch frequency, keep_last, state."""
import os

import numpy as np
import pytest

from hilayers import Sequential, callbacks, layers
from hilayers import backend as K
from hilayers.callbacks import ModelCheckpoint
from hilayers.saving import load_model
from hilayers.utils import set_random_seed


def _data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32"))


def _model():
    model = Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)),
                        layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


def _fit(model, checkpoint, epochs=3, batch_size=8, validation=True, **kwargs):
    x, y = _data()
    return model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
                     validation_data=(x[:8], y[:8]) if validation else None,
                     callbacks=[checkpoint], **kwargs)


def test_epoch_and_metric_fields(tmp_path):
    pattern = str(tmp_path / "m.{epoch:02d}-{val_loss:.3f}.h5")
    model = _model()
    history = _fit(model, ModelCheckpoint(pattern, save_weights_only=True))
    expected = sorted(f"m.{e + 1:02d}-{v:.3f}.h5"
                      for e, v in enumerate(history.history["val_loss"]))
    assert sorted(os.listdir(tmp_path)) == expected


def test_whole_model_is_saved_and_loads(tmp_path):
    path = tmp_path / "model.h5"
    model = _model()
    _fit(model, ModelCheckpoint(str(path)))
    loaded = load_model(path)
    x, _ = _data()
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert type(loaded.optimizer).__name__ == "SGD"


def test_weights_only(tmp_path):
    path = tmp_path / "sub" / "deeper" / "w.h5"            # folders are created
    model = _model()
    _fit(model, ModelCheckpoint(str(path), save_weights_only=True))
    other = _model()
    other.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(other.get_weights(), model.get_weights()))


def test_missing_field_is_a_clear_error(tmp_path):
    saver = ModelCheckpoint(str(tmp_path / "m.{epoch}-{val_acc:.2f}.h5"))
    with pytest.raises(KeyError, match=r"field 'val_acc' is not among the available values "
                                        r"\['epoch', 'loss', 'mae', 'val_loss', 'val_mae'\]"):
        _fit(_model(), saver)


def test_invalid_pattern_and_arguments(tmp_path):
    with pytest.raises(ValueError, match="not a valid format string"):
        ModelCheckpoint(str(tmp_path / "m.{epoch.h5"))
    with pytest.raises(ValueError, match="unnamed field"):
        ModelCheckpoint(str(tmp_path / "m.{}.h5"))
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive int"):
        ModelCheckpoint("m.h5", save_freq=0)
    with pytest.raises(ValueError, match="keep_last must be None or a positive int"):
        ModelCheckpoint("m.h5", keep_last=0)
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max'"):
        ModelCheckpoint("m.h5", mode="lowest")


class _Logs(callbacks.Callback):
    """Feeds chosen values to the callbacks after it, epoch by epoch."""

    def __init__(self, values, key="val_loss"):
        super().__init__()
        self.values, self.key = values, key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


@pytest.mark.parametrize("mode,monitor,values,saved", [
    ("auto", "val_loss", [3.0, 2.0, 2.5, 1.0], [1, 2, 4]),
    ("auto", "val_accuracy", [0.5, 0.4, 0.7, 0.7], [1, 3]),
    ("min", "val_score", [1.0, 0.5, 0.6, 0.5], [1, 2]),
    ("max", "val_score", [1.0, 0.5, 0.6, 1.5], [1, 4]),
])
def test_save_best_only(tmp_path, mode, monitor, values, saved):
    saver = ModelCheckpoint(str(tmp_path / "m{epoch}.h5"), monitor=monitor, mode=mode,
                            save_best_only=True, save_weights_only=True)
    model = _model()
    x, y = _data()
    model.fit(x, y, epochs=4, verbose=0, callbacks=[_Logs(values, monitor), saver])
    assert sorted(os.listdir(tmp_path)) == [f"m{e}.h5" for e in saved]
    assert saver.best == (min if saver.mode == "min" else max)(values)


def test_initial_value_threshold(tmp_path):
    saver = ModelCheckpoint(str(tmp_path / "m{epoch}.h5"), save_best_only=True,
                            save_weights_only=True, initial_value_threshold=2.2)
    x, y = _data()
    _model().fit(x, y, epochs=4, verbose=0, callbacks=[_Logs([3.0, 2.0, 2.5, 1.0]), saver])
    assert sorted(os.listdir(tmp_path)) == ["m2.h5", "m4.h5"]


def test_missing_monitor_warns_and_skips(tmp_path):
    saver = ModelCheckpoint(str(tmp_path / "m.h5"), save_best_only=True)
    with pytest.warns(UserWarning, match="'val_loss' in the logs"):
        _fit(_model(), saver, epochs=1, validation=False)
    assert os.listdir(tmp_path) == []


def test_batch_frequency_counts_across_epochs(tmp_path):
    # 32 samples in batches of 8: 4 batches per epoch, 12 in all; every 5th is saved.
    saver = ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.h5"), save_freq=5,
                            save_weights_only=True)
    _fit(_model(), saver, validation=False)
    assert sorted(os.listdir(tmp_path)) == ["e2-b1.h5", "e3-b2.h5"]


def test_keep_last(tmp_path, capsys):
    saver = ModelCheckpoint(str(tmp_path / "m{epoch}.h5"), save_weights_only=True,
                            keep_last=2, verbose=1)
    _fit(_model(), saver, epochs=4, validation=False)
    assert sorted(os.listdir(tmp_path)) == ["m3.h5", "m4.h5"]
    assert "Epoch 4: saving model to" in capsys.readouterr().out


def test_state_round_trip():
    saver = ModelCheckpoint("m{epoch}.h5", save_best_only=True, save_freq=3)
    saver.set_state({"best": 0.25, "batches_since_save": 2, "kept": ["/a/m1.h5"]})
    assert saver.get_state() == {"best": 0.25, "batches_since_save": 2, "kept": ["/a/m1.h5"]}
    assert ModelCheckpoint("m.h5").get_state()["best"] == float("inf")


def test_best_survives_a_restart(tmp_path):
    # With BackupAndRestore, a restarted run keeps ModelCheckpoint's best value: the epoch
    # after the restart is not saved when it does not beat the best seen before the crash.
    values = [1.0, 3.0, 2.0, 0.5]
    folder = str(tmp_path / "backup")

    class Crash(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    def run(crash):
        K.reset_default_graph()
        set_random_seed(0)
        saver = ModelCheckpoint(str(tmp_path / "best{epoch}.h5"), save_best_only=True,
                                save_weights_only=True)
        cbs = [_Logs(values), saver, callbacks.BackupAndRestore(folder)]
        x, y = _data()
        _model().fit(x, y, epochs=4, verbose=0, callbacks=cbs + ([Crash()] if crash else []))
        return saver

    with pytest.raises(KeyboardInterrupt):
        run(crash=True)
    saver = run(crash=False)
    assert sorted(p for p in os.listdir(tmp_path) if p.endswith(".h5")) == ["best1.h5",
                                                                           "best4.h5"]
    assert saver.best == 0.5
