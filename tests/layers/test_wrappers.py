"""Bidirectional and TimeDistributed: the layer harness, values against the wrapped layers run
by hand, weight order, configs and the error cases."""
import json

import numpy as np
import pytest

from hilayers import backend as K
from hilayers import layers
from tests.layers.harness import layer_test
from tests.layers.test_recurrent import ref_gru, ref_lstm

N, T, D, U = 2, 3, 4, 3


def _run(outputs, feed):
    return K.Session().run(outputs, feed)


def _random_weights(layer, rng):
    weights = [rng.standard_normal(w.shape) * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


# -- Bidirectional ---------------------------------------------------------------------------
BIDIRECTIONAL = [
    (lambda: layers.LSTM(U), "concat"),
    (lambda: layers.LSTM(U, return_sequences=True), "concat"),
    (lambda: layers.GRU(U, return_sequences=True), "sum"),
    (lambda: layers.SimpleRNN(U), "mul"),
    (lambda: layers.GRU(U, return_state=True), "ave"),
    (lambda: layers.SimpleRNN(U, return_sequences=True, return_state=True), None),
    (lambda: layers.LSTM(U, return_state=True, return_sequences=True), "concat"),
]


@pytest.mark.parametrize("make,merge_mode", BIDIRECTIONAL)
def test_bidirectional_harness(make, merge_mode):
    layer_test(layers.Bidirectional, {"layer": make(), "merge_mode": merge_mode},
               input_shape=(N, T, D), expected_weights=6, grad_tol=1e-4)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_values(merge_mode, return_sequences):
    rng = np.random.default_rng(0)
    layer = layers.Bidirectional(layers.LSTM(U, return_sequences=return_sequences),
                                 merge_mode=merge_mode)
    x = K.placeholder((None, T, D))
    out = layer(x)
    weights = _random_weights(layer, rng)
    data = rng.standard_normal((N, T, D)).astype("float32")
    got = _run(out if merge_mode is None else [out], {x: data})
    x64 = data.astype(np.float64)
    fwd_seq, (fwd_h, _) = ref_lstm(x64, *weights[:3])
    bwd_seq, (bwd_h, _) = ref_lstm(x64, *weights[3:], backwards=True)
    # The backward outputs are realigned: step t of both halves belongs to input step t.
    fwd, bwd = (fwd_seq, bwd_seq[:, ::-1]) if return_sequences else (fwd_h, bwd_h)
    want = {"concat": lambda: [np.concatenate([fwd, bwd], -1)], "sum": lambda: [fwd + bwd],
            "mul": lambda: [fwd * bwd], "ave": lambda: [(fwd + bwd) / 2],
            None: lambda: [fwd, bwd]}[merge_mode]()
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def test_bidirectional_states_and_initial_state():
    rng = np.random.default_rng(1)
    layer = layers.Bidirectional(layers.GRU(U, return_state=True))
    x = K.placeholder((None, T, D))
    h_f, h_b = K.placeholder((None, U)), K.placeholder((None, U))
    out, state_f, state_b = layer(x, initial_state=[h_f, h_b])
    assert out.shape == (None, 2 * U) and state_f.shape == state_b.shape == (None, U)
    weights = _random_weights(layer, rng)
    data = rng.standard_normal((N, T, D)).astype("float32")
    hf, hb = rng.standard_normal((2, N, U)).astype("float32")
    got = _run([out, state_f, state_b], {x: data, h_f: hf, h_b: hb})
    _, (want_f,) = ref_gru(data.astype(np.float64), *weights[:3], h=hf)
    _, (want_b,) = ref_gru(data.astype(np.float64), *weights[3:], h=hb, backwards=True)
    np.testing.assert_allclose(got[1], want_f, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[2], want_b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[0], np.concatenate([want_f, want_b], -1), rtol=1e-4,
                               atol=1e-5)


def test_bidirectional_mask_reaches_both_directions():
    rng = np.random.default_rng(4)
    layer = layers.Bidirectional(layers.GRU(U))
    x, m = K.placeholder((None, T, D)), K.placeholder((None, T), dtype="bool")
    out = layer(x, mask=m)
    weights = _random_weights(layer, rng)
    data = rng.standard_normal((N, T, D)).astype("float32")
    got = _run([out], {x: data, m: np.array([[1, 1, 1], [1, 1, 0]], bool)})[0]
    short = data[1:, :2].astype(np.float64)      # sample 1 without its padded last step
    _, (want_f,) = ref_gru(short, *weights[:3])
    _, (want_b,) = ref_gru(short, *weights[3:], backwards=True)
    np.testing.assert_allclose(got[1], np.r_[want_f[0], want_b[0]], rtol=1e-4, atol=1e-5)
    assert layer.compute_mask(x, m) is None


def test_bidirectional_weight_order_and_names():
    layer = layers.Bidirectional(layers.SimpleRNN(U, name="rnn"), name="bi")
    layer(K.placeholder((None, T, D)))
    names = [w.name.split(":")[0] for w in layer.weights]
    assert names == [f"bi/{d}_rnn/{w}" for d in ("forward", "backward")
                     for w in ("kernel", "recurrent_kernel", "bias")]
    assert layer.forward_layer.go_backwards is False
    assert layer.backward_layer.go_backwards is True
    assert layer.layer.built is False            # the template holds no weights


def test_bidirectional_backward_layer_round_trip():
    forward = layers.SimpleRNN(U, return_sequences=True)
    backward = layers.GRU(U + 1, return_sequences=True, go_backwards=True, name="back")
    layer = layers.Bidirectional(forward, backward_layer=backward)
    out = layer(K.placeholder((None, T, D)))
    assert out.shape == (None, T, 2 * U + 1)
    assert len(layer.weights) == 6 and layer.weights[3].shape == (D, 3 * (U + 1))
    config = json.loads(json.dumps(layer.get_config()))
    assert config["backward_layer"]["class_name"] == "GRU"
    twin = layers.Bidirectional.from_config(config)
    assert twin.get_config() == config
    assert isinstance(twin.backward_layer, layers.GRU)


def test_bidirectional_trainable_propagates():
    layer = layers.Bidirectional(layers.SimpleRNN(U))
    layer(K.placeholder((None, T, D)))
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 6


@pytest.mark.parametrize("kwargs,match", [
    (lambda: {"merge_mode": "max"}, "invalid merge_mode 'max'"),
    (lambda: {"backward_layer": layers.SimpleRNN(U)},
     "backward_layer must have go_backwards=True"),
    (lambda: {"backward_layer": layers.SimpleRNN(U, go_backwards=True, return_sequences=True)},
     "backward_layer has return_sequences=True, layer has False"),
])
def test_bidirectional_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.Bidirectional(layers.SimpleRNN(U), **kwargs())


def test_bidirectional_needs_a_recurrent_layer():
    with pytest.raises(ValueError, match="needs a recurrent layer"):
        layers.Bidirectional(layers.MaxPooling1D())
    with pytest.raises(ValueError, match="wraps a Layer instance"):
        layers.Bidirectional("lstm")


def test_bidirectional_odd_initial_state():
    x = K.placeholder((None, T, D))
    with pytest.raises(ValueError, match="even count"):
        layers.Bidirectional(layers.SimpleRNN(U))(x, initial_state=[K.placeholder((None, U))])


def test_bidirectional_unknown_timesteps():
    with pytest.raises(ValueError, match="number of time steps must be known"):
        layers.Bidirectional(layers.SimpleRNN(U))(K.placeholder((None, None, D)))


# -- TimeDistributed -------------------------------------------------------------------------
def test_time_distributed_dense_harness():
    layer_test(layers.TimeDistributed, {"layer": layers.Dense(U)}, input_shape=(N, T, D),
               expected_weights=2)


def test_time_distributed_dense_4d_harness():
    layer_test(layers.TimeDistributed, {"layer": layers.Dense(U, activation="tanh")},
               input_shape=(N, T, 2, D), expected_weights=2)


def test_time_distributed_conv_and_rnn_harness():
    layer_test(layers.TimeDistributed, {"layer": layers.Conv1D(2, 2)},
               input_shape=(N, T, 4, D), expected_weights=2)
    layer_test(layers.TimeDistributed, {"layer": layers.SimpleRNN(U)},
               input_shape=(N, T, 2, D), expected_weights=3, grad_tol=1e-4)


def test_time_distributed_equals_dense_per_step():
    rng = np.random.default_rng(2)
    dense = layers.Dense(U, activation="relu")
    layer = layers.TimeDistributed(dense)
    x = K.placeholder((None, T, D))
    out = layer(x)
    kernel, bias = _random_weights(layer, rng)
    assert layer.weights == dense.weights           # the wrapped layer's weights, shared
    data = rng.standard_normal((N, T, D)).astype("float32")
    per_step = [dense(x[:, t]) for t in range(T)]
    got, *steps = _run([out] + per_step, {x: data})
    for t in range(T):
        np.testing.assert_allclose(got[:, t], steps[t], rtol=1e-6)
    np.testing.assert_allclose(got, np.maximum(data @ kernel + bias, 0), rtol=1e-5, atol=1e-6)


def test_time_distributed_known_batch_unknown_steps():
    layer = layers.TimeDistributed(layers.Dense(U))
    x = K.placeholder((N, None, D))
    out = layer(x)
    assert out.shape == (N, None, U)
    assert _run([out], {x: np.ones((N, 5, D), "float32")})[0].shape == (N, 5, U)


def test_time_distributed_unknown_inner_dims_uses_per_step_slices():
    layer = layers.TimeDistributed(layers.GlobalMaxPooling1D())
    x = K.placeholder((None, T, None, D))
    out = layer(x)
    assert out.shape == (None, T, D)
    data = np.random.default_rng(3).standard_normal((N, T, 5, D)).astype("float32")
    np.testing.assert_allclose(_run([out], {x: data})[0], data.max(axis=2))


def test_time_distributed_config_nests_layer():
    layer = layers.TimeDistributed(layers.Dense(U, name="inner"), name="td")
    config = layer.get_config()
    assert config["layer"]["class_name"] == "Dense"
    assert config["layer"]["config"]["name"] == "inner"
    twin = layers.TimeDistributed.from_config(json.loads(json.dumps(config)))
    assert isinstance(twin.layer, layers.Dense) and twin.get_config() == config


def test_time_distributed_errors():
    with pytest.raises(ValueError, match="expected rank >= 3"):
        layers.TimeDistributed(layers.Dense(U))(K.placeholder((None, D)))
    with pytest.raises(ValueError, match="number of time steps .* or the batch size"):
        layers.TimeDistributed(layers.Dense(U))(K.placeholder((None, None, D)))
    with pytest.raises(ValueError, match="wraps a Layer instance"):
        layers.TimeDistributed({"class_name": "Dense"})
