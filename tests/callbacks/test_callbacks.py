"""Callbacks: the hooks fit / evaluate / predict call and their order, and each built-in
callback's behaviour (EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, TerminateOnNaN,
CSVLogger, LambdaCallback)."""
import numpy as np
import pytest

from hilayers import Sequential, callbacks, layers


def _line_model(optimizer="sgd"):
    model = Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer, "mse")
    return model


def _line_data(n=32):
    x = np.linspace(-1, 1, n).reshape(-1, 1).astype(np.float32)
    return x, 3 * x


class Recorder(callbacks.Callback):
    """Records every hook call as (hook, index or None, sorted log keys or None)."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        if name.startswith("on_"):
            def hook(*args):
                index = args[0] if args and isinstance(args[0], int) else None
                logs = args[-1] if args and isinstance(args[-1], dict) else None
                self.calls.append((name, index, sorted(logs) if logs else None))
            return hook
        return super().__getattribute__(name)


def test_fit_calls_the_hooks_in_keras_order():
    model = Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile("sgd", "mse", metrics=["mae"])
    x, y = _line_data(8)
    rec = Recorder()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[rec],
              validation_data=(x[:4], y[:4]))
    hooks = [c[0] for c in rec.calls]
    batch = ["on_train_batch_begin", "on_batch_begin", "on_train_batch_end", "on_batch_end"]
    # The validation pass calls the fit callbacks' test hooks before the epoch ends.
    validation = ["on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end"]
    epoch = ["on_epoch_begin"] + batch * 2 + validation + ["on_epoch_end"]
    assert hooks == ["on_train_begin"] + epoch * 2 + ["on_train_end"]
    assert [c[2] for c in rec.calls if c[0] == "on_test_end"][0] == ["loss", "mae"]
    assert [c[1] for c in rec.calls if c[0] == "on_train_batch_end"] == [0, 1, 0, 1]
    assert [c[1] for c in rec.calls if c[0] == "on_epoch_end"] == [0, 1]
    batch_keys = [c[2] for c in rec.calls if c[0] == "on_train_batch_end"][0]
    assert batch_keys == ["loss", "mae"]
    epoch_keys = [c[2] for c in rec.calls if c[0] == "on_epoch_end"][0]
    assert {"loss", "val_loss"} <= set(epoch_keys)
    assert rec.params == {"epochs": 2, "steps": 2, "verbose": 0}
    assert rec.model is model


def test_evaluate_and_predict_call_their_hooks():
    model = _line_model()
    x, y = _line_data(10)
    rec = Recorder()
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[rec])
    assert [c[0] for c in rec.calls] == (["on_test_begin"]
                                         + ["on_test_batch_begin", "on_test_batch_end"] * 3
                                         + ["on_test_end"])
    rec.calls.clear()
    model.predict(x, batch_size=4, callbacks=[rec])
    assert [c[0] for c in rec.calls] == (["on_predict_begin"]
                                         + ["on_predict_batch_begin", "on_predict_batch_end"] * 3
                                         + ["on_predict_end"])


def test_callback_list_fans_out_in_order_and_rejects_non_callbacks():
    order = []
    first = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: order.append(("first", e)))
    second = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: order.append(("second", e)))
    cbs = callbacks.CallbackList([first, second], model="m", params={"epochs": 1})
    cbs.on_epoch_end(4, {})
    assert order == [("first", 4), ("second", 4)]
    assert first.model == "m" and second.params == {"epochs": 1}
    with pytest.raises(TypeError, match="callbacks must be Callback instances; received "
                                        "function"):
        callbacks.CallbackList([lambda: None])


def test_lambda_callback_hooks_and_unknown_hook():
    seen = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: seen.append("begin"),
        on_epoch_begin=lambda epoch, logs: seen.append(f"epoch{epoch}"),
        on_batch_end=lambda batch, logs: seen.append(f"batch{batch}:{sorted(logs)}"),
        on_train_end=lambda logs: seen.append("end"))
    model = _line_model()
    x, y = _line_data(4)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[cb])
    assert seen == ["begin", "epoch0", "batch0:['loss']", "batch1:['loss']", "end"]
    with pytest.raises(TypeError, match="LambdaCallback: unknown hook 'on_epoch_finish'"):
        callbacks.LambdaCallback(on_epoch_finish=print)


def test_stop_training_ends_after_the_current_batch_and_finishes_the_epoch():
    model = _line_model()
    x, y = _line_data(8)

    class StopAtBatch1(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    batches = []
    h = model.fit(x, y, batch_size=2, epochs=3, verbose=0, callbacks=[
        StopAtBatch1(), callbacks.LambdaCallback(on_batch_end=lambda b, l: batches.append(b))])
    assert batches == [0, 1] and h.epoch == [0]


# -- EarlyStopping --------------------------------------------------------------------------

class _Snapshots(callbacks.Callback):
    """The monitored loss and the weights at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.items = []

    def on_epoch_end(self, epoch, logs=None):
        self.items.append((logs["loss"], self.model.get_weights()))


def _diverging_fit(stopper, epochs=6):
    """Loss falls for four epochs (rate 0.5), then rises (rate 6 makes SGD overshoot)."""
    model = _line_model()
    x, y = _line_data()
    snaps = _Snapshots()
    schedule = callbacks.LearningRateScheduler(lambda epoch: 0.5 if epoch < 3 else 6.0)
    history = model.fit(x, y, epochs=epochs, verbose=0,
                        callbacks=[schedule, snaps, stopper])
    return model, history, snaps.items


def test_early_stopping_restores_the_best_weights_when_training_runs_to_the_end():
    stopper = callbacks.EarlyStopping(monitor="loss", patience=100, restore_best_weights=True)
    model, history, snaps = _diverging_fit(stopper)
    losses = [loss for loss, _ in snaps]
    best = int(np.argmin(losses))
    assert len(history.epoch) == 6 and stopper.stopped_epoch == 0     # never stopped early
    assert 0 < best < 5 and losses[-1] > losses[best]                 # the best is not the last
    assert stopper.best_epoch == best and stopper.best == losses[best]
    for restored, wanted in zip(model.get_weights(), snaps[best][1]):
        np.testing.assert_array_equal(restored, wanted)
    assert not np.array_equal(model.get_weights()[0], snaps[-1][1][0])   # the kernel moved


def test_early_stopping_without_restore_keeps_the_last_weights():
    stopper = callbacks.EarlyStopping(monitor="loss", patience=100)
    model, _, snaps = _diverging_fit(stopper)
    for kept, last in zip(model.get_weights(), snaps[-1][1]):
        np.testing.assert_array_equal(kept, last)


def test_early_stopping_stops_after_patience_epochs_and_restores(capsys):
    stopper = callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True,
                                      verbose=1)
    model, history, snaps = _diverging_fit(stopper, epochs=20)
    losses = [loss for loss, _ in snaps]
    best = int(np.argmin(losses))
    # Epoch best+1 is the first without improvement; patience 1 stops training there.
    assert history.epoch == list(range(best + 2))
    assert stopper.stopped_epoch == best + 1
    for restored, wanted in zip(model.get_weights(), snaps[best][1]):
        np.testing.assert_array_equal(restored, wanted)
    out = capsys.readouterr().out
    assert f"Epoch {best + 2}: early stopping" in out
    assert f"Restoring model weights from the end of the best epoch: {best + 1}." in out


def test_early_stopping_mode_baseline_and_missing_monitor():
    assert callbacks.EarlyStopping(monitor="val_accuracy").mode == "max"
    assert callbacks.EarlyStopping(monitor="val_loss").mode == "min"
    assert callbacks.EarlyStopping(monitor="auc").mode == "max"
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max'; received 'up'"):
        callbacks.EarlyStopping(mode="up")
    # A baseline that is never beaten stops training after `patience` epochs.
    model = _line_model()
    x, y = _line_data()
    stopper = callbacks.EarlyStopping(monitor="loss", baseline=1e-9, patience=2)
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[stopper])
    assert history.epoch == [0, 1]
    # A monitored value missing from the logs warns and changes nothing.
    with pytest.warns(UserWarning, match="the monitored value 'val_loss' is not in the logs"):
        history = model.fit(x, y, epochs=2, verbose=0,
                            callbacks=[callbacks.EarlyStopping(patience=0)])
    assert history.epoch == [0, 1]


# -- learning-rate callbacks ------------------------------------------------------------------

def test_reduce_lr_on_plateau_cooldown_and_min_lr():
    model = _line_model(optimizer="sgd")
    model.optimizer.learning_rate = 0.1
    x, y = _line_data(4)
    # min_delta 1e9: no epoch after the first improves. With patience 1 and cooldown 2 (as in
    # Keras, the cooldown counter drops before the check, so cooldown 2 skips one epoch):
    # epoch 0 sets the best; 1 reduces to 0.05; 2 waits; 3 reduces to 0.025; 4 waits;
    # 5 reduces to max(0.0125, min_lr) = 0.02; 6 waits. The logs hold the rate each epoch
    # trained with.
    plateau = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=2,
                                          min_delta=1e9, min_lr=0.02)
    history = model.fit(x, y, epochs=7, verbose=0, callbacks=[plateau])
    assert history.history["learning_rate"] == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)
    with pytest.raises(ValueError, match=r"factor must be in \(0, 1\); received 1.5"):
        callbacks.ReduceLROnPlateau(factor=1.5)


def test_learning_rate_scheduler_of_epoch_alone_and_bad_values():
    model = _line_model()
    x, y = _line_data(4)
    h = model.fit(x, y, epochs=3, verbose=0,
                  callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))])
    assert h.history["learning_rate"] == pytest.approx([0.01, 0.02, 0.03])
    bad = callbacks.LearningRateScheduler(lambda epoch, lr: float("nan"))
    with pytest.raises(ValueError, match="the schedule returned nan at epoch 0; expected a "
                                         "finite float"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[bad])


# -- TerminateOnNaN ---------------------------------------------------------------------------

def test_terminate_on_nan_names_the_batch_of_a_later_epoch(capsys):
    model = _line_model()
    model.optimizer.learning_rate = 40.0          # diverges to inf, then nan, in epoch 2
    x, y = _line_data(8)
    stopper = callbacks.TerminateOnNaN()
    seen = []
    h = model.fit(x, y, batch_size=2, epochs=50, shuffle=False, verbose=0, callbacks=[
        stopper, callbacks.LambdaCallback(on_batch_end=lambda b, logs: seen.append(logs))])
    assert stopper.message is not None
    bad = next(i for i, logs in enumerate(seen) if not np.isfinite(logs["loss"]))
    epoch, batch = divmod(bad, 4)
    assert epoch > 0
    assert len(seen) == bad + 1                   # no batch after the bad one ran
    assert h.epoch[-1] == epoch
    expected = f"TerminateOnNaN: batch {batch} of epoch {epoch + 1} has loss"
    assert stopper.message.startswith(expected)
    assert expected in capsys.readouterr().out


# -- CSVLogger --------------------------------------------------------------------------------

def test_csv_logger_writes_rows_appends_and_uses_the_separator(tmp_path):
    model = _line_model()
    x, y = _line_data(4)
    path = tmp_path / "log.tsv"
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, separator="\t")])
    model.fit(x, y, epochs=3, initial_epoch=2, verbose=0,
              callbacks=[callbacks.CSVLogger(path, separator="\t", append=True)])
    rows = [line.split("\t") for line in path.read_text().splitlines()]
    assert rows[0] == ["epoch", "loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]            # one header only
    assert all(float(r[1]) > 0 for r in rows[1:])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    assert len(path.read_text().splitlines()) == 2                # replaced, not appended
