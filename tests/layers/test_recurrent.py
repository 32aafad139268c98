"""SimpleRNN, LSTM and GRU: the layer harness, NumPy references of the recurrences, states,
dropout and the error cases."""
import numpy as np
import pytest

from hilayers import backend as K
from hilayers import layers
from tests.layers.harness import layer_test

N, T, D, U = 2, 3, 4, 3


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# -- NumPy references (batch-major x: (N, T, D)); each returns (sequence, states) -------------
def ref_simple_rnn(x, kernel, recurrent, bias, h=None, backwards=False):
    h = np.zeros((x.shape[0], recurrent.shape[0])) if h is None else h
    outputs = []
    for t in (range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        outputs.append(h)
    return np.stack(outputs, 1), [h]


def ref_lstm(x, kernel, recurrent, bias, h=None, c=None, backwards=False):
    u = recurrent.shape[0]
    h = np.zeros((x.shape[0], u)) if h is None else h
    c = np.zeros((x.shape[0], u)) if c is None else c
    outputs = []
    for t in (range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (z[:, k * u:(k + 1) * u] for k in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, 1), [h, c]


def ref_gru(x, kernel, recurrent, bias, reset_after=True, h=None, backwards=False):
    u = recurrent.shape[0]
    h = np.zeros((x.shape[0], u)) if h is None else h
    b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * u))
    outputs = []
    for t in (range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])):
        xw = x[:, t] @ kernel + b_in
        xz, xr, xh = xw[:, :u], xw[:, u:2 * u], xw[:, 2 * u:]
        if reset_after:
            rec = h @ recurrent + b_rec
            z = _sigmoid(xz + rec[:, :u])
            r = _sigmoid(xr + rec[:, u:2 * u])
            hh = np.tanh(xh + r * rec[:, 2 * u:])
        else:
            z = _sigmoid(xz + h @ recurrent[:, :u])
            r = _sigmoid(xr + h @ recurrent[:, u:2 * u])
            hh = np.tanh(xh + (r * h) @ recurrent[:, 2 * u:])
        h = z * h + (1 - z) * hh
        outputs.append(h)
    return np.stack(outputs, 1), [h]


def _random_weights(layer, rng):
    weights = [rng.standard_normal(w.shape) * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def _run(outputs, feed):
    return K.Session().run(outputs, feed)


# -- harness -------------------------------------------------------------------------------
CONFIGS = [
    (layers.SimpleRNN, {"units": U}, 3),
    (layers.SimpleRNN, {"units": U, "return_sequences": True, "go_backwards": True}, 3),
    (layers.SimpleRNN, {"units": U, "return_state": True, "use_bias": False}, 2),
    (layers.LSTM, {"units": U}, 3),
    (layers.LSTM, {"units": U, "return_sequences": True, "return_state": True}, 3),
    (layers.LSTM, {"units": U, "go_backwards": True, "activation": "relu",
                   "unit_forget_bias": False}, 3),
    (layers.GRU, {"units": U}, 3),
    (layers.GRU, {"units": U, "return_sequences": True, "reset_after": False}, 3),
    (layers.GRU, {"units": U, "return_state": True, "go_backwards": True}, 3),
]


@pytest.mark.parametrize("cls,kwargs,n_weights", CONFIGS,
                         ids=[f"{c.__name__}-{'-'.join(k for k in kw if k != 'units')}"
                              for c, kw, _ in CONFIGS])
def test_layer_harness(cls, kwargs, n_weights):
    layer_test(cls, kwargs, input_shape=(N, T, D), expected_weights=n_weights, grad_tol=1e-4)


@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_harness_with_dropout(cls):
    layer_test(cls, {"units": U, "dropout": 0.3, "recurrent_dropout": 0.3},
               input_shape=(N, T, D), same_in_training=False, check_gradients=False)


# -- values against the references ------------------------------------------------------------
@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru", "gru_reset_before"])
def test_matches_numpy_reference(kind, backwards):
    rng = np.random.default_rng(1)
    common = {"return_sequences": True, "return_state": True, "go_backwards": backwards}
    layer, ref = {
        "simple_rnn": (layers.SimpleRNN, ref_simple_rnn),
        "lstm": (layers.LSTM, ref_lstm),
        "gru": (layers.GRU, ref_gru),
        "gru_reset_before": (lambda units, **kw: layers.GRU(units, reset_after=False, **kw),
                             lambda *a, **k: ref_gru(*a, reset_after=False, **k)),
    }[kind]
    layer = layer(U, **common)
    x = K.placeholder((None, T, D))
    outs = layer(x)
    weights = _random_weights(layer, rng)
    data = rng.standard_normal((N, T, D)).astype("float32")
    got = _run(outs, {x: data})
    want_seq, want_states = ref(data.astype(np.float64), *weights, backwards=backwards)
    np.testing.assert_allclose(got[0], want_seq, rtol=1e-4, atol=1e-5)
    for g, w in zip(got[1:], want_states):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)
    # The last output of the sequence is the final state h.
    np.testing.assert_allclose(got[0][:, -1], got[1], rtol=1e-6)


def test_initial_state_is_used():
    rng = np.random.default_rng(2)
    layer = layers.LSTM(U, return_state=True)
    x, h0, c0 = K.placeholder((None, T, D)), K.placeholder((None, U)), K.placeholder((None, U))
    out, h, c = layer(x, initial_state=[h0, c0])
    weights = _random_weights(layer, rng)
    data = rng.standard_normal((N, T, D)).astype("float32")
    h_value, c_value = rng.standard_normal((2, N, U)).astype("float32")
    got = _run([out, h, c], {x: data, h0: h_value, c0: c_value})
    _, (want_h, want_c) = ref_lstm(data.astype(np.float64), *weights, h=h_value, c=c_value)
    np.testing.assert_allclose(got[1], want_h, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[2], want_c, rtol=1e-4, atol=1e-5)
    # The states join the layer call's inputs (Keras' convention for functional models).
    assert layer._calls[-1].inputs == [x, h0, c0]


def test_initial_state_single_tensor_and_gradient():
    rng = np.random.default_rng(3)
    layer = layers.GRU(U)
    x, h0 = K.placeholder((None, T, D)), K.placeholder((None, U))
    out = layer(x, initial_state=h0)
    weights = _random_weights(layer, rng)
    data = rng.standard_normal((N, T, D)).astype("float32")
    h_value = rng.standard_normal((N, U)).astype("float32")
    got, grad = _run([out, K.gradients(K.sum(out), [h0])[0]], {x: data, h0: h_value})
    _, (want,) = ref_gru(data.astype(np.float64), *weights, h=h_value)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert grad.shape == (N, U) and np.abs(grad).sum() > 0


def test_time_major_equals_batch_major():
    rng = np.random.default_rng(4)
    batch_major, time_major = layers.SimpleRNN(U, return_sequences=True), layers.SimpleRNN(
        U, return_sequences=True, time_major=True)
    x, xt = K.placeholder((None, T, D)), K.placeholder((T, None, D))
    a, b = batch_major(x), time_major(xt)
    time_major.set_weights(_random_weights(batch_major, rng))
    data = rng.standard_normal((N, T, D)).astype("float32")
    got_a, got_b = _run([a, b], {x: data, xt: data.transpose(1, 0, 2)})
    np.testing.assert_allclose(got_b.transpose(1, 0, 2), got_a, rtol=1e-6)


# -- Keras compatibility ---------------------------------------------------------------------
@pytest.mark.parametrize("cls,kwargs,shapes", [
    (layers.SimpleRNN, {}, [(D, U), (U, U), (U,)]),
    (layers.LSTM, {}, [(D, 4 * U), (U, 4 * U), (4 * U,)]),
    (layers.GRU, {}, [(D, 3 * U), (U, 3 * U), (2, 3 * U)]),
    (layers.GRU, {"reset_after": False}, [(D, 3 * U), (U, 3 * U), (3 * U,)]),
])
def test_weight_layout_follows_keras(cls, kwargs, shapes):
    layer = cls(U, **kwargs)
    layer(K.placeholder((None, T, D)))
    assert [w.shape for w in layer.weights] == shapes
    assert [w.name.split("/")[-1].split(":")[0] for w in layer.weights] == [
        "kernel", "recurrent_kernel", "bias"]


def test_lstm_unit_forget_bias():
    layer = layers.LSTM(U, bias_initializer="zeros")
    layer(K.placeholder((None, T, D)))
    bias = layer.get_weights()[2]
    np.testing.assert_array_equal(bias, np.r_[np.zeros(U), np.ones(U), np.zeros(2 * U)])


def test_defaults_and_config_keys_match_keras():
    config = layers.GRU(U).get_config()
    assert config["reset_after"] is True and config["recurrent_activation"] == "sigmoid"
    assert config["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert layers.LSTM(U).get_config()["unit_forget_bias"] is True
    # A Keras config (with implementation / time_major keys) loads.
    keras_like = dict(layers.LSTM(U, name="k").get_config(), implementation=1)
    assert layers.LSTM.from_config(keras_like).get_config()["implementation"] == 1


def test_dropout_only_in_training():
    rng = np.random.default_rng(5)
    layer = layers.LSTM(U, dropout=0.5, recurrent_dropout=0.5)
    x = K.placeholder((None, T, D))
    infer, train = layer(x, training=False), layer(x, training=True)
    weights = _random_weights(layer, rng)
    data = rng.standard_normal((N, T, D)).astype("float32")
    got_infer, got_train = _run([infer, train], {x: data})
    _, (want, _) = ref_lstm(data.astype(np.float64), *weights)
    np.testing.assert_allclose(got_infer, want, rtol=1e-4, atol=1e-5)
    assert not np.allclose(got_train, got_infer)


def test_regularizers_add_losses():
    layer = layers.SimpleRNN(U, kernel_regularizer="l2", recurrent_regularizer="l1",
                             activity_regularizer="l2")
    from hilayers.layers.base import collect_call_losses
    with collect_call_losses() as penalties:
        layer(K.placeholder((None, T, D)))
    assert len(layer.losses) == 2          # the weight penalties
    assert len(penalties) == 1             # the activity penalty belongs to the call


# -- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_unknown_timesteps_raise(cls):
    layer = cls(U, name="rnn_x")
    with pytest.raises(ValueError, match=r"rnn_x.*number of time steps must be known"):
        layer(K.placeholder((None, None, D)))


def test_stateful_is_not_supported():
    with pytest.raises(ValueError, match="stateful=True is not supported"):
        layers.LSTM(U, stateful=True)


@pytest.mark.parametrize("kwargs,match", [
    ({"units": 0}, "units must be a positive int"),
    ({"units": U, "dropout": 1.0}, r"dropout must be in \[0, 1\)"),
    ({"units": U, "recurrent_dropout": -0.1}, r"recurrent_dropout must be in \[0, 1\)"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.GRU(**kwargs)


def test_bad_initial_state():
    x = K.placeholder((None, T, D))
    with pytest.raises(ValueError, match=r"has 2 state\(s\).*received 1"):
        layers.LSTM(U, name="l")(x, initial_state=[K.placeholder((None, U))])
    with pytest.raises(ValueError, match=r"initial state 'h' must have shape \(batch, 3\)"):
        layers.SimpleRNN(U)(x, initial_state=[K.placeholder((None, U + 1))])


def test_wrong_rank_and_feature_size():
    layer = layers.SimpleRNN(U)
    with pytest.raises(ValueError, match="expected rank 3"):
        layer(K.placeholder((None, D)))
    layer(K.placeholder((None, T, D)))
    with pytest.raises(ValueError, match=f"expected axis -1 of size {D}"):
        layer(K.placeholder((None, T, D + 1)))


# -- masking ---------------------------------------------------------------------------------
@pytest.mark.parametrize("backwards", [False, True])
def test_mask_skips_steps(backwards):
    rng = np.random.default_rng(6)
    layer = layers.LSTM(U, return_sequences=True, return_state=True, go_backwards=backwards)
    x, m = K.placeholder((None, T, D)), K.placeholder((None, T), dtype="bool")
    seq, h, c = layer(x, mask=m)
    weights = _random_weights(layer, rng)
    data = rng.standard_normal((N, T, D)).astype("float32")
    mask = np.array([[True, True, True], [True, True, False]])
    got_seq, got_h, got_c = _run([seq, h, c], {x: data, m: mask})
    # Sample 0 sees every step; sample 1 only its first two steps.
    want0, (h0, c0) = ref_lstm(data[:1].astype(np.float64), *weights, backwards=backwards)
    want1, (h1, c1) = ref_lstm(data[1:, :2].astype(np.float64), *weights, backwards=backwards)
    np.testing.assert_allclose(got_seq[0], want0[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_h, np.r_[h0, h1], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_c, np.r_[c0, c1], rtol=1e-4, atol=1e-5)
    if backwards:   # the masked (last) step comes first: its output is zeros
        np.testing.assert_array_equal(got_seq[1, 0], 0)
        np.testing.assert_allclose(got_seq[1, 1:], want1[0], rtol=1e-4, atol=1e-5)
    else:           # the masked step repeats the previous output
        np.testing.assert_allclose(got_seq[1, :2], want1[0], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(got_seq[1, 2], got_seq[1, 1], rtol=1e-6)
    assert layer.compute_mask(x, m) == [m, None, None]


def test_embedding_mask_feeds_rnn():
    emb = layers.Embedding(10, D, mask_zero=True)
    tokens = K.placeholder((None, T), dtype="int32")
    embedded = emb(tokens)
    layer = layers.GRU(U)
    masked, plain = layer(embedded, mask=emb.compute_mask(tokens)), layer(K.identity(embedded))
    implicit = layer(embedded)            # the mask travels with the embedding's output
    data = np.array([[1, 2, 0], [3, 0, 0]], dtype="int32")
    got_masked, got_plain, got_implicit = _run([masked, plain, implicit], {tokens: data})
    np.testing.assert_allclose(got_implicit, got_masked, rtol=1e-6)
    short = _run([layer(embedded[:, :1])], {tokens: data})[0]
    np.testing.assert_allclose(got_masked[1], short[1], rtol=1e-5, atol=1e-6)
    assert not np.allclose(got_masked[1], got_plain[1])


def test_bad_mask_shape():
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, 3\)"):
        layers.SimpleRNN(U)(K.placeholder((None, T, D)), mask=K.placeholder((None, T + 1)))
