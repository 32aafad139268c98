"""fit / evaluate / predict arguments: data as arrays, lists or dicts, batching,
initial_epoch, steps_per_epoch, shuffle, and the errors for mis-shaped inputs and targets."""
import numpy as np
import pytest

from hilayers import Input, Model, Sequential, callbacks, layers
from hilayers.utils import set_random_seed


def _two_in_two_out():
    a, b = Input((3,), name="a"), Input((2,), name="b")
    h = layers.Concatenate()([layers.Dense(4, name="da")(a), layers.Dense(4, name="db")(b)])
    reg = layers.Dense(1, name="reg")(h)
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    model = Model([a, b], [reg, cls])
    model.compile("adam", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  metrics={"cls": ["accuracy"]})
    return model


def _two_in_two_out_data(n=24):
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((n, 3)).astype(np.float32)
    xb = rng.standard_normal((n, 2)).astype(np.float32)
    return xa, xb, xa[:, :1] * 2, (xa[:, 0] > 0).astype(np.int64) + (xb[:, 0] > 0)


def test_fit_takes_lists_and_dicts_and_they_train_alike():
    xa, xb, y_reg, y_cls = _two_in_two_out_data()
    results = []
    for as_dict in (False, True):
        set_random_seed(3)
        model = _two_in_two_out()
        if as_dict:
            x, y = {"b": xb, "a": xa}, {"cls": y_cls, "reg": y_reg}
        else:
            x, y = [xa, xb], [y_reg, y_cls]
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        assert set(history.history) == {"loss", "reg_loss", "cls_loss", "cls_accuracy"}
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_a_dict_missing_an_input_names_it():
    xa, xb, y_reg, y_cls = _two_in_two_out_data()
    with pytest.raises(ValueError, match=r"inputs is a dict with keys \['a'\], but model "
                                         r"'.*' has inputs named \['a', 'b'\]; missing \['b'\]"):
        _two_in_two_out().fit({"a": xa}, [y_reg, y_cls], verbose=0)


def test_predict_runs_in_batches_and_matches_one_big_batch():
    model = Sequential([layers.Dense(5, activation="tanh", input_shape=(3,))])
    x = np.random.default_rng(1).standard_normal((23, 3)).astype(np.float32)
    sizes = []
    probe = callbacks.LambdaCallback()
    probe.on_predict_batch_begin = lambda batch, logs=None: sizes.append(batch)
    out = model.predict(x, batch_size=5, callbacks=[probe])
    assert sizes == [0, 1, 2, 3, 4]                        # 5 + 5 + 5 + 5 + 3 samples
    np.testing.assert_allclose(out, model.predict_on_batch(x), rtol=1e-6)
    assert model.predict(x, batch_size=5, steps=2).shape == (10, 5)


def test_initial_epoch_and_steps_per_epoch():
    model = Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    x, y = np.ones((20, 2), np.float32), np.zeros((20, 1), np.float32)
    batches, epochs = [], []
    record = callbacks.LambdaCallback(on_batch_end=lambda b, logs: batches.append(b),
                                      on_epoch_begin=lambda e, logs: epochs.append(e))
    history = model.fit(x, y, batch_size=4, epochs=4, initial_epoch=2, steps_per_epoch=2,
                        verbose=0, callbacks=[record])
    assert history.epoch == [2, 3] and epochs == [2, 3]
    assert batches == [0, 1, 0, 1]
    assert model.optimizer.iterations.get_value() == 4      # 2 epochs of 2 steps
    history = model.fit(x, y, batch_size=4, epochs=1, steps_per_epoch=100, verbose=0,
                        callbacks=[record])
    assert batches[4:] == [0, 1, 2, 3, 4]                    # capped at the data's 5 batches


def test_shuffle_false_keeps_the_order_and_true_changes_it_per_epoch():
    model = Sequential([layers.Lambda(lambda t: t, input_shape=(1,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.arange(12, dtype=np.float32).reshape(-1, 1)
    order = []                   # the inputs of every training step, seen by a spy
    original = model._training_functions

    def spy(y_arrays):
        functions = original(y_arrays)
        fn, names, trackers = functions["train"]

        def wrapped(values):
            order.append(values[0][:, 0].tolist())
            return fn(values)
        return dict(functions, train=(wrapped, names, trackers))

    model._training_functions = spy
    model.fit(x, x, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert order == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] * 2
    order.clear()
    set_random_seed(0)
    model.fit(x, x, batch_size=4, epochs=2, shuffle=True, verbose=0)
    first, second = order[:3], order[3:]
    assert sorted(sum(first, [])) == list(range(12)) and first != second


# -- bad input --------------------------------------------------------------------------------

def test_wrong_input_shape_names_the_input_the_layer_it_feeds_and_both_shapes():
    model = Sequential([layers.Dense(3, input_shape=(784,), name="dense_in")])
    model.compile("sgd", "mse")
    message = (r"Input '.*' of model '.*', which feeds layer 'dense_in' \(Dense\), expects "
               r"arrays of shape \(None, 784\); received an array of shape \(2, 10\)")
    with pytest.raises(ValueError, match=message):
        model.predict(np.zeros((2, 10)))
    with pytest.raises(ValueError, match=message):
        model.fit(np.zeros((2, 10)), np.zeros((2, 3)), verbose=0)
    xa, xb, y_reg, y_cls = _two_in_two_out_data()
    with pytest.raises(ValueError, match=r"Input 'b' of model '.*', which feeds layer 'db' "
                                         r"\(Dense\), expects arrays of shape \(None, 2\); "
                                         r"received an array of shape \(24, 5\)"):
        _two_in_two_out().evaluate([xa, np.zeros((24, 5))], [y_reg, y_cls], verbose=0)


@pytest.mark.parametrize("loss,y,match", [
    ("mse", np.zeros((4, 2)), r"Output 'out' of model 'm' \(loss mean_squared_error\): "
                              r"expected targets of shape \(None, 3\), like the output; "
                              r"received targets of shape \(4, 2\)\.$"),
    ("mae", np.zeros(4), r"\(loss mean_absolute_error\): expected targets of shape \(None, 3\)"
                         r".*received targets of shape \(4,\)"),
    ("categorical_crossentropy", np.array([0, 2, 1, 1]),
     r"received targets of shape \(4,\)\. Integer class labels need "
     r"loss='sparse_categorical_crossentropy' \(or one-hot targets"),
    ("sparse_categorical_crossentropy", np.eye(3)[[0, 2, 1, 1]],
     r"\(loss sparse_categorical_crossentropy\): expected integer class labels of shape "
     r"\(None,\) for predictions of shape \(None, 3\); received targets of shape \(4, 3\)\. "
     r"For one-hot targets use loss='categorical_crossentropy'"),
])
def test_targets_of_the_wrong_shape_fail_before_any_step(loss, y, match):
    x = Input((2,), name="x")
    model = Model(x, layers.Dense(3, activation="softmax", name="out")(x), name="m")
    model.compile("sgd", loss)
    before = model.get_weights()
    with pytest.raises(ValueError, match=match):
        model.fit(np.ones((4, 2)), y, verbose=0)
    with pytest.raises(ValueError, match=match):
        model.evaluate(np.ones((4, 2)), y, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_target_shapes_that_keras_accepts_are_accepted():
    x = Input((2,))
    single = Model(x, layers.Dense(1, activation="sigmoid")(x))
    single.compile("sgd", "binary_crossentropy")
    single.fit(np.ones((4, 2)), np.array([0, 1, 1, 0]), verbose=0)      # (batch,) for (batch, 1)
    classes = Model(x, layers.Dense(3, activation="softmax")(x))
    classes.compile("sgd", "sparse_categorical_crossentropy")
    classes.fit(np.ones((4, 2)), np.array([[0], [2], [1], [1]]), verbose=0)  # (batch, 1) labels
    # A custom loss may want targets of any shape: they are not checked.
    classes.compile("sgd", lambda y_true, y_pred: y_pred[:, 0] * 0.0 + y_true[:, 0])
    classes.evaluate(np.ones((4, 2)), np.ones((4, 7)), verbose=0)


def test_validation_data_as_tuple_list_or_with_weights_and_a_bad_one_fails_at_once():
    model = Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    x, y = np.ones((8, 2), np.float32), np.zeros((8, 1), np.float32)
    as_tuple = model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y))
    as_list = model.fit(x, y, epochs=1, verbose=0, validation_data=[x, y])
    weighted = model.fit(x, y, epochs=1, verbose=0,
                         validation_data=(x, y, np.zeros(8, np.float32)))
    assert "val_loss" in as_tuple.history and "val_loss" in as_list.history
    assert weighted.history["val_loss"] == [0.0]        # every sample weighted 0
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"validation_data must be \(x_val, y_val\), \(x_val, "
                                         r"y_val, sample_weight\) or a Dataset; received "
                                         r"ndarray"):
        model.fit(x, y, epochs=1, verbose=0, validation_data=x)
    for a, b in zip(before, model.get_weights()):          # no epoch ran first
        np.testing.assert_array_equal(a, b)
