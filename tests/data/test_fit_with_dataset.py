"""Model.fit / evaluate / predict fed by hilayers.data Datasets."""
import time

import numpy as np
import pytest

from hilayers import Input, Model, Sequential, callbacks, layers
from hilayers.data import AUTOTUNE, Dataset
from hilayers.utils import set_random_seed

from .threads import pipeline_threads, wait_for_no_pipeline_threads


def _data(n=128, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32) + 0.3).astype(np.float32)
    return x, y


def _model(seed=5):
    set_random_seed(seed)
    model = Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def _order(x, dataset):
    """The row numbers of ``x`` in the order one pass over ``dataset`` yields them."""
    return [int(np.flatnonzero((x == row).all(1))[0]) for xb, _ in dataset for row in xb]


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def _assert_same_weights(a, b):
    for wa, wb in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(wa, wb)


def test_fit_on_a_shuffled_dataset_matches_fit_on_arrays_in_the_same_order():
    x, y = _data()
    ds = Dataset.from_tensor_slices((x, y)).shuffle(128, seed=3,
                                                   reshuffle_each_iteration=False).batch(32)
    order = _order(x, ds)
    assert sorted(order) == list(range(128)) and order != list(range(128))
    from_dataset, from_arrays = _model(), _model()
    h1 = from_dataset.fit(ds, epochs=3, verbose=0, shuffle=False)
    h2 = from_arrays.fit(x[order], y[order], batch_size=32, epochs=3, verbose=0, shuffle=False)
    _assert_same_weights(from_dataset, from_arrays)
    assert h1.history["loss"] == h2.history["loss"]


def test_fit_reshuffles_each_epoch_in_a_repeatable_order():
    x, y = _data()

    def pipeline():
        return Dataset.from_tensor_slices((x, y)).shuffle(128, seed=11).batch(32)
    # A second dataset with the same seed shows the order of each epoch in advance.
    preview = pipeline()
    orders = [_order(x, preview) for _ in range(3)]
    assert orders[0] != orders[1] != orders[2]
    from_dataset, from_arrays = _model(), _model()
    from_dataset.fit(pipeline(), epochs=3, verbose=0)
    for order in orders:
        from_arrays.fit(x[order], y[order], batch_size=32, epochs=1, verbose=0, shuffle=False)
    _assert_same_weights(from_dataset, from_arrays)


def test_infinite_dataset_with_steps_per_epoch():
    x, y = _data()
    ds = Dataset.from_tensor_slices((x, y)).repeat().batch(32)
    assert ds.cardinality() == -1
    from_dataset, from_arrays = _model(), _model()
    history = from_dataset.fit(ds, epochs=3, steps_per_epoch=4, verbose=0)
    from_arrays.fit(x, y, batch_size=32, epochs=3, verbose=0, shuffle=False)
    _assert_same_weights(from_dataset, from_arrays)
    assert len(history.history["loss"]) == 3


def test_infinite_dataset_without_steps_is_a_clear_error():
    x, y = _data()
    model = _model()
    ds = Dataset.from_tensor_slices((x, y)).batch(32).repeat()
    with pytest.raises(ValueError, match="infinite Dataset.*steps_per_epoch"):
        model.fit(ds, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="infinite Dataset.*steps"):
        model.evaluate(ds, verbose=0)
    with pytest.raises(ValueError, match="infinite Dataset.*steps"):
        model.predict(ds)


def test_sample_weight_elements():
    x, y = _data()
    w = np.linspace(0.0, 2.0, len(x)).astype(np.float32)
    from_dataset, from_arrays = _model(), _model()
    from_dataset.fit(Dataset.from_tensor_slices((x, y, w)).batch(16), epochs=2, verbose=0)
    from_arrays.fit(x, y, sample_weight=w, batch_size=16, epochs=2, verbose=0, shuffle=False)
    _assert_same_weights(from_dataset, from_arrays)


def test_evaluate_and_predict_from_datasets():
    x, y = _data(100)
    model = _model()
    ds = Dataset.from_tensor_slices((x, y)).batch(32)
    expected = model.evaluate(x, y, batch_size=32, verbose=0)
    assert model.evaluate(ds, verbose=0) == pytest.approx(expected, rel=1e-6)
    assert model.evaluate(ds.repeat(), steps=4, verbose=0) == pytest.approx(expected, rel=1e-6)
    reference = model.predict(x)
    np.testing.assert_allclose(model.predict(ds), reference, rtol=1e-6)
    np.testing.assert_allclose(model.predict(Dataset.from_tensor_slices(x).batch(7)), reference,
                               rtol=1e-6)
    np.testing.assert_allclose(model.predict(ds.repeat(), steps=2), reference[:64], rtol=1e-6)


def test_validation_data_as_a_dataset():
    x, y = _data()
    model = _model()
    val = Dataset.from_tensor_slices((x[:32], y[:32])).batch(16)
    history = model.fit(Dataset.from_tensor_slices((x, y)).batch(32), validation_data=val,
                        epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    assert history.history["val_loss"][-1] == pytest.approx(
        model.evaluate(x[:32], y[:32], verbose=0)[0], rel=1e-6)


def test_dict_inputs_from_a_dataset():
    set_random_seed(1)
    a, b = Input((2,), name="a"), Input((1,), name="b")
    out = layers.Dense(1)(layers.Concatenate()([a, b]))
    model = Model([a, b], out)
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((40, 2)).astype(np.float32)
    xb = rng.standard_normal((40, 1)).astype(np.float32)
    y = (xa.sum(1, keepdims=True) - xb).astype(np.float32)
    ds = Dataset.from_tensor_slices(({"a": xa, "b": xb}, y)).batch(8)
    model.fit(ds, epochs=1, verbose=0)
    np.testing.assert_allclose(model.predict(ds), model.predict({"a": xa, "b": xb}), rtol=1e-6)


def test_a_parallel_prefetched_pipeline_trains_like_a_plain_one():
    x, y = _data()
    plain = Dataset.from_tensor_slices((x, y)).map(lambda a, b: (a * 2, b)).batch(32)
    fast = (Dataset.from_tensor_slices((x, y))
            .map(lambda a, b: (a * 2, b), num_parallel_calls=AUTOTUNE)
            .batch(32).prefetch(AUTOTUNE))
    m1, m2 = _model(), _model()
    m1.fit(plain, epochs=2, verbose=0)
    m2.fit(fast, epochs=2, verbose=0)
    _assert_same_weights(m1, m2)
    assert wait_for_no_pipeline_threads() == []


def test_early_stopping_with_a_dataset_leaves_no_thread_running():
    x, y = _data()
    before = pipeline_threads()
    assert before == []
    ds = (Dataset.from_tensor_slices((x, y)).shuffle(128, seed=0).repeat()
          .map(lambda a, b: (time.sleep(0.0005) or a, b), num_parallel_calls=2)
          .batch(16).prefetch(2))
    model = _model()
    stopper = callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    history = model.fit(ds, epochs=20, steps_per_epoch=3, callbacks=[stopper], verbose=0)
    assert len(history.history["loss"]) < 20          # it did stop early
    assert wait_for_no_pipeline_threads() == []


def test_stopping_training_mid_epoch_leaves_no_thread_running():
    x, y = _data()

    class StopAfterTwoBatches(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    ds = Dataset.from_tensor_slices((x, y)).map(lambda a, b: (a, b),
                                                num_parallel_calls=2).batch(8).prefetch(2)
    model = _model()
    model.fit(ds, epochs=3, callbacks=[StopAfterTwoBatches()], verbose=0)
    assert wait_for_no_pipeline_threads() == []


def test_elements_that_are_not_pairs_are_rejected():
    x, _ = _data()
    model = _model()
    with pytest.raises(ValueError, match=r"\(x, y\) or \(x, y, sample_weight\)"):
        model.fit(Dataset.from_tensor_slices(x).batch(8), epochs=1, verbose=0)


# -- passes are closed however fit / evaluate / predict end ---------------------------------------
def _threaded(x, y, repeat=False):
    ds = Dataset.from_tensor_slices((x, y))
    if repeat:
        ds = ds.repeat()
    return ds.map(lambda a, b: (a, b), num_parallel_calls=2).batch(8).prefetch(2)


class _RaiseAt(callbacks.Callback):
    """Raises ArithmeticError at the second batch of training, evaluation or prediction."""

    def _maybe_raise(self, batch):
        if batch == 1:
            raise ArithmeticError("callback failed")

    def on_train_batch_end(self, batch, logs=None):
        self._maybe_raise(batch)

    def on_test_batch_end(self, batch, logs=None):
        self._maybe_raise(batch)

    def on_predict_batch_end(self, batch, logs=None):
        self._maybe_raise(batch)


@pytest.mark.parametrize("call", ["fit", "fit bounded", "evaluate", "predict"])
def test_an_error_while_consuming_stops_the_threads_even_while_the_traceback_lives(call):
    # pytest.raises keeps the traceback, and with it the frames of fit / evaluate / predict
    # and their local variables (as a REPL's sys.last_traceback does): the pass must have been
    # closed by then, not left for the garbage collector.
    x, y = _data()
    model = _model()
    with pytest.raises(ArithmeticError) as info:
        if call == "fit":
            model.fit(_threaded(x, y), epochs=2, callbacks=[_RaiseAt()], verbose=0)
        elif call == "fit bounded":
            model.fit(_threaded(x, y, repeat=True), epochs=2, steps_per_epoch=5,
                      callbacks=[_RaiseAt()], verbose=0)
        elif call == "evaluate":
            model.evaluate(_threaded(x, y), callbacks=[_RaiseAt()], verbose=0)
        else:
            model.predict(_threaded(x, y), callbacks=[_RaiseAt()])
    assert info.traceback is not None
    assert wait_for_no_pipeline_threads() == []


def test_evaluate_and_predict_with_steps_on_an_infinite_pipeline_stop_its_threads():
    x, y = _data()
    model = _model()
    endless = _threaded(x, y, repeat=True)
    model.evaluate(endless, steps=3, verbose=0)
    assert wait_for_no_pipeline_threads() == []
    assert model.predict(endless, steps=3).shape == (24, 1)
    assert wait_for_no_pipeline_threads() == []


def test_bounded_epochs_continue_the_pass_and_start_a_new_one_when_it_ends():
    x, y = _data(128)                                    # 4 batches of 32 per pass
    pulled = []
    ds = Dataset.from_tensor_slices((x, y)).batch(32).map(
        lambda a, b: (pulled.append(_order(x, [(a, b)])[0] // 32) or a, b))
    model = _model()
    model.fit(ds.repeat(), epochs=2, steps_per_epoch=3, verbose=0)
    assert pulled == [0, 1, 2, 3, 0, 1]                  # epoch 2 continues, then wraps
    # A finite dataset shorter than steps_per_epoch: the epoch ends with the pass.
    pulled.clear()
    history = model.fit(ds, epochs=2, steps_per_epoch=10, verbose=0)
    assert pulled == [0, 1, 2, 3] * 2 and len(history.history["loss"]) == 2


def test_predict_with_steps_pulls_no_batch_beyond_them():
    x, _ = _data(128)
    pulled = []
    ds = Dataset.from_tensor_slices(x).batch(16).map(lambda a: pulled.append(1) or a)
    assert _model().predict(ds, steps=3).shape == (48, 1)
    assert len(pulled) == 3


def test_evaluate_with_sample_weight_elements_matches_arrays():
    x, y = _data(96)
    w = np.linspace(0.1, 3.0, len(x)).astype(np.float32)
    model = _model()
    expected = model.evaluate(x, y, sample_weight=w, batch_size=32, verbose=0)
    unweighted = model.evaluate(x, y, batch_size=32, verbose=0)
    got = model.evaluate(Dataset.from_tensor_slices((x, y, w)).batch(32), verbose=0)
    assert got == pytest.approx(expected, rel=1e-6)
    assert got[0] != pytest.approx(unweighted[0], rel=1e-3)   # the weights did count
