"""Conv1D, Conv2D, Conv1DTranspose and Conv2DTranspose: the generic layer harness over many
configurations, values against loop-based NumPy references, Keras' shapes and configs, and
the errors with their messages."""
import numpy as np
import pytest

from hilayers import backend as K
from hilayers import layers
from tests.layers.harness import layer_test

# -- NumPy references (written with loops, independent of the layer code) ----------------------


def _same_pad(n, k_eff, s):
    out = -(-n // s)
    total = max((out - 1) * s + k_eff - n, 0)
    return total // 2, total - total // 2


def conv2d_ref(x, kernel, bias, strides, padding, dilation):
    """TensorFlow's conv2d: zero padding split as 'same' says, then a cross-correlation."""
    kh, kw = kernel.shape[:2]
    (sh, sw), (dh, dw) = strides, dilation
    keff = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    pads = [(0, 0), (0, 0)] if padding == "valid" else [
        _same_pad(x.shape[1], keff[0], sh), _same_pad(x.shape[2], keff[1], sw)]
    xp = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
    oh = (xp.shape[1] - keff[0]) // sh + 1
    ow = (xp.shape[2] - keff[1]) // sw + 1
    y = np.zeros((x.shape[0], oh, ow, kernel.shape[3]))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    y[:, i, j] += xp[:, i * sh + a * dh, j * sw + b * dw] @ kernel[a, b]
    return y + (0 if bias is None else bias)


def keras_deconv_length(n, k, s, d, padding, output_padding):
    """Keras' ``conv_utils.deconv_output_length``, restated."""
    k = (k - 1) * d + 1
    if output_padding is None:
        return n * s + max(k - s, 0) if padding == "valid" else n * s
    pad = k // 2 if padding == "same" else 0
    return (n - 1) * s + k - 2 * pad + output_padding


def conv2d_transpose_ref(x, kernel, bias, strides, padding, dilation, out_hw):
    """Scatter every input pixel through the (kh, kw, out, in) kernel, then keep the output
    window TensorFlow's conv2d_transpose keeps for an output of ``out_hw``."""
    kh, kw = kernel.shape[:2]
    (sh, sw), (dh, dw) = strides, dilation
    n, h, w, _ = x.shape
    full = np.zeros((n, (h - 1) * sh + (kh - 1) * dh + 1 + 8,
                     (w - 1) * sw + (kw - 1) * dw + 1 + 8, kernel.shape[2]))
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    full[:, i * sh + a * dh, j * sw + b * dw] += x[:, i, j] @ kernel[a, b].T
    tops = [0, 0]
    if padding == "same":
        for axis, (size, k, s, d) in enumerate(zip(out_hw, (kh, kw), strides, dilation)):
            n_in = (h, w)[axis]
            total = max((n_in - 1) * s + (k - 1) * d + 1 - size, 0)
            tops[axis] = total // 2
    y = full[:, tops[0]:tops[0] + out_hw[0], tops[1]:tops[1] + out_hw[1]]
    return y + (0 if bias is None else bias)


def _run_layer(layer, x):
    ph = K.placeholder((None,) + x.shape[1:])
    return K.Session().run(layer(ph), {ph: x})


# -- the harness over configurations ---------------------------------------------------------

CONV1D_CASES = [
    (dict(filters=2, kernel_size=3), (2, 7, 3)),
    (dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 8, 2)),
    (dict(filters=2, kernel_size=2, dilation_rate=2, padding="causal"), (2, 6, 2)),
    (dict(filters=2, kernel_size=1, use_bias=False, activation="tanh"), (3, 5, 4)),
    (dict(filters=2, kernel_size=(4,), strides=(3,), padding="same"), (2, 7, 1)),
]
CONV2D_CASES = [
    (dict(filters=2, kernel_size=3), (2, 5, 6, 3)),
    (dict(filters=3, kernel_size=(3, 2), strides=(2, 1), padding="same"), (2, 7, 5, 2)),
    (dict(filters=2, kernel_size=2, dilation_rate=2), (2, 6, 7, 2)),
    (dict(filters=2, kernel_size=3, strides=2, dilation_rate=(1, 2), padding="same"),
     (1, 5, 9, 2)),
    (dict(filters=4, kernel_size=1, use_bias=False, activation="sigmoid"), (2, 3, 3, 5)),
]
CONV2DT_CASES = [
    (dict(filters=2, kernel_size=3, strides=2, padding="same"), (2, 4, 3, 3)),
    (dict(filters=2, kernel_size=3), (2, 3, 4, 2)),
    (dict(filters=2, kernel_size=2, strides=3), (2, 3, 3, 2)),           # kernel < stride
    (dict(filters=3, kernel_size=(3, 2), strides=(2, 3), padding="same"), (1, 3, 2, 2)),
    (dict(filters=2, kernel_size=3, strides=2, padding="same", output_padding=1),
     (2, 3, 3, 2)),
    (dict(filters=2, kernel_size=3, strides=(2, 3), output_padding=(1, 2)), (2, 2, 3, 2)),
    (dict(filters=2, kernel_size=2, dilation_rate=2, padding="same"), (2, 4, 4, 2)),
    (dict(filters=2, kernel_size=4, strides=2, padding="same", output_padding=1,
          use_bias=False), (1, 3, 3, 2)),
]
CONV1DT_CASES = [
    (dict(filters=2, kernel_size=3, strides=2, padding="same"), (2, 4, 3)),
    (dict(filters=3, kernel_size=2, strides=3), (2, 3, 2)),
    (dict(filters=2, kernel_size=3, strides=2, output_padding=1), (2, 3, 2)),
]


@pytest.mark.parametrize("kwargs,shape", CONV1D_CASES)
def test_conv1d_harness(kwargs, shape):
    layer_test(layers.Conv1D, kwargs, shape,
               expected_weights=2 if kwargs.get("use_bias", True) else 1)


@pytest.mark.parametrize("kwargs,shape", CONV2D_CASES)
def test_conv2d_harness(kwargs, shape):
    layer_test(layers.Conv2D, kwargs, shape,
               expected_weights=2 if kwargs.get("use_bias", True) else 1)


@pytest.mark.parametrize("kwargs,shape", CONV2DT_CASES)
def test_conv2d_transpose_harness(kwargs, shape):
    layer_test(layers.Conv2DTranspose, kwargs, shape,
               expected_weights=2 if kwargs.get("use_bias", True) else 1)


@pytest.mark.parametrize("kwargs,shape", CONV1DT_CASES)
def test_conv1d_transpose_harness(kwargs, shape):
    layer_test(layers.Conv1DTranspose, kwargs, shape, expected_weights=2)


# -- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,shape", CONV2D_CASES)
def test_conv2d_matches_numpy(kwargs, shape, rng):
    layer = layers.Conv2D(**dict(kwargs, activation=None))
    x = rng.standard_normal(shape).astype("float32")
    y = _run_layer(layer, x)
    weights = layer.get_weights()
    bias = weights[1] if len(weights) > 1 else None
    ref = conv2d_ref(x, weights[0], bias, layer.strides, layer.padding, layer.dilation_rate)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kwargs,shape", CONV1D_CASES)
def test_conv1d_matches_numpy(kwargs, shape, rng):
    layer = layers.Conv1D(**dict(kwargs, activation=None))
    x = rng.standard_normal(shape).astype("float32")
    y = _run_layer(layer, x)
    weights = layer.get_weights()
    bias = weights[1] if len(weights) > 1 else None
    x2 = x[:, None]
    padding = layer.padding
    if padding == "causal":
        x2 = np.pad(x2, [(0, 0), (0, 0), ((layer.kernel_size[0] - 1) *
                                          layer.dilation_rate[0], 0), (0, 0)])
        padding = "valid"
    ref = conv2d_ref(x2, weights[0][None], bias, (1,) + layer.strides, padding,
                     (1,) + layer.dilation_rate)[:, 0]
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)


def test_causal_conv1d_does_not_look_ahead(rng):
    layer = layers.Conv1D(1, 3, dilation_rate=2, padding="causal")
    x = rng.standard_normal((1, 9, 1)).astype("float32")
    y1 = _run_layer(layer, x)
    x[:, 5:] = 7.0
    y2 = _run_layer(layer, x)
    np.testing.assert_allclose(y1[:, :5], y2[:, :5], rtol=1e-6)
    assert not np.allclose(y1[:, 5:], y2[:, 5:])


@pytest.mark.parametrize("kwargs,shape", CONV2DT_CASES)
def test_conv2d_transpose_matches_numpy_and_keras_shape(kwargs, shape, rng):
    layer = layers.Conv2DTranspose(**kwargs)
    x = rng.standard_normal(shape).astype("float32")
    y = _run_layer(layer, x)
    ops = layer.output_padding or (None, None)
    want_hw = tuple(keras_deconv_length(n, k, s, d, layer.padding, p) for n, k, s, d, p in zip(
        shape[1:3], layer.kernel_size, layer.strides, layer.dilation_rate, ops))
    assert y.shape == (shape[0],) + want_hw + (layer.filters,)
    weights = layer.get_weights()
    bias = weights[1] if len(weights) > 1 else None
    ref = conv2d_transpose_ref(x, weights[0], bias, layer.strides, layer.padding,
                               layer.dilation_rate, want_hw)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kwargs,shape", [c for c in CONV2DT_CASES
                                          if c[0].get("dilation_rate", 1) == 1])
def test_conv2d_transpose_is_the_adjoint_of_conv2d(kwargs, shape, rng):
    """<T(x), z> == <x, conv2d(z)> with the same kernel (no bias), wherever TensorFlow's
    forward convolution of the output size gives the input size back."""
    layer = layers.Conv2DTranspose(**dict(kwargs, use_bias=False))
    x = rng.standard_normal(shape)
    y = _run_layer(layer, x.astype("float32")).astype(np.float64)
    kernel = layer.get_weights()[0].astype(np.float64)
    z = rng.standard_normal(y.shape)
    back = conv2d_ref(z, kernel, None, layer.strides, layer.padding, layer.dilation_rate)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(y * z), np.sum(x * back), rtol=1e-4)


def test_conv1d_transpose_matches_conv2d_transpose(rng):
    one = layers.Conv1DTranspose(3, 3, strides=2, padding="same", output_padding=1)
    two = layers.Conv2DTranspose(3, (1, 3), strides=(1, 2), padding="same",
                                 output_padding=(0, 1))
    x = rng.standard_normal((2, 5, 2)).astype("float32")
    y1 = _run_layer(one, x)
    two(K.placeholder((None, 1, 5, 2)))
    two.set_weights([one.get_weights()[0][None], one.get_weights()[1]])
    y2 = _run_layer(two, x[:, None])[:, 0]
    np.testing.assert_allclose(y1, y2, rtol=1e-5, atol=1e-6)
    assert y1.shape == (2, 10, 3)


# -- Keras' weights, names and configs ----------------------------------------------------------


def test_kernel_shapes_weight_order_and_names():
    conv = layers.Conv2D(8, (3, 2))
    conv(K.placeholder((None, 9, 9, 4)))
    assert [w.shape for w in conv.weights] == [(3, 2, 4, 8), (8,)]
    assert conv.name == "conv2d"
    assert [w.name.split("/")[-1].split(":")[0] for w in conv.weights] == ["kernel", "bias"]
    deconv = layers.Conv2DTranspose(8, 3)
    deconv(K.placeholder((None, 5, 5, 4)))
    assert [w.shape for w in deconv.weights] == [(3, 3, 8, 4), (8,)]
    assert deconv.name == "conv2d_transpose"
    conv1 = layers.Conv1D(5, 4)
    conv1(K.placeholder((None, 9, 2)))
    assert [w.shape for w in conv1.weights] == [(4, 2, 5), (5,)]
    assert conv.count_params() == 3 * 2 * 4 * 8 + 8


def test_keras_config_keys_and_defaults():
    config = layers.Conv2D(4, 3).get_config()
    assert set(config) == {
        "name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding",
        "data_format", "dilation_rate", "groups", "activation", "use_bias",
        "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
        "activity_regularizer", "kernel_constraint", "bias_constraint"}
    assert config["data_format"] == "channels_last" and config["dtype"] == "float32"
    assert config["kernel_size"] == [3, 3] and config["strides"] == [1, 1]
    assert config["activation"] == "linear"
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    deconv = layers.Conv2DTranspose(4, 3).get_config()
    assert deconv["output_padding"] is None and set(deconv) - set(config) == {"output_padding"}


def test_loads_a_tf_keras_config():
    """A config as tf.keras 2.x writes it into an HDF5 file (tuples as lists)."""
    keras_config = {
        "name": "conv2d_7", "trainable": True, "dtype": "float32", "filters": 16,
        "kernel_size": [3, 3], "strides": [2, 2], "padding": "same",
        "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
        "activation": "relu", "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}},
        "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None}
    layer = layers.Conv2D.from_config(keras_config)
    assert layer(K.placeholder((None, 8, 8, 3))).shape == (None, 4, 4, 16)
    assert len(layer.losses) == 1
    assert layer.get_config()["kernel_regularizer"]["class_name"] == "L2"
    deconv = dict(keras_config, name="conv2d_transpose_3", output_padding=[1, 1])
    layer = layers.Conv2DTranspose.from_config(deconv)
    assert layer(K.placeholder((None, 4, 4, 3))).shape == (None, 8, 8, 16)


def test_aliases_and_activation():
    assert layers.Convolution2D is layers.Conv2D
    layer = layers.Conv2D(2, 1, activation="relu", kernel_initializer="ones",
                          bias_initializer="zeros")
    x = np.array([[[[1.0, -3.0]]]], dtype="float32")
    np.testing.assert_array_equal(_run_layer(layer, x), [[[[0.0, 0.0]]]])


def test_activity_regularizer_adds_a_loss():
    from hilayers.layers.base import collect_call_losses
    layer = layers.Conv1D(2, 2, activity_regularizer="l2")
    with collect_call_losses() as penalties:
        layer(K.placeholder((None, 5, 3)))
    assert len(penalties) == 1 and layer.losses == []


@pytest.mark.parametrize("cls,shape", [(layers.Conv2D, (None, 8, 8, 3)),
                                       (layers.Conv1D, (None, 8, 3)),
                                       (layers.Conv2DTranspose, (None, 8, 8, 3))])
def test_unknown_spatial_dims_propagate(cls, shape):
    layer = cls(4, 3, strides=2, padding="same")
    unknown = (None,) * (len(shape) - 1) + (3,)
    out = layer(K.placeholder(unknown))
    assert out.shape == (None,) * (len(shape) - 1) + (4,)
    assert layer.compute_output_shape(unknown) == out.shape
    x = np.zeros((2,) + shape[1:], dtype="float32")
    want = layer.compute_output_shape((2,) + shape[1:])
    ph = K.placeholder(unknown)
    assert K.Session().run(layer(ph), {ph: x}).shape == want


# -- errors ----------------------------------------------------------------------------------


def test_conv2d_on_rank3_input_names_layer_and_shape():
    layer = layers.Conv2D(4, 3, name="my_conv")
    with pytest.raises(ValueError, match=r"my_conv.*rank 4.*\(None, 5, 3\)"):
        layer(K.placeholder((None, 5, 3)))
    with pytest.raises(ValueError, match=r"Conv2D layer 'my_conv'.*rank 4.*\(4, 5, 3\)"):
        layer.compute_output_shape((4, 5, 3))


def test_channel_mismatch_after_build():
    layer = layers.Conv2D(4, 3, name="c")
    layer(K.placeholder((None, 8, 8, 3)))
    with pytest.raises(ValueError, match=r"'c'.*size 3.*\(None, 8, 8, 5\)"):
        layer(K.placeholder((None, 8, 8, 5)))
    with pytest.raises(ValueError, match=r"built for inputs with 3 channels.*\(2, 8, 8, 5\)"):
        layer.compute_output_shape((2, 8, 8, 5))


def test_unknown_channels_at_build():
    with pytest.raises(ValueError, match=r"channel dimension.*\(None, 8, 8, None\)"):
        layers.Conv2D(4, 3)(K.placeholder((None, 8, 8, None)))


def test_kernel_larger_than_input():
    with pytest.raises(ValueError, match=r"conv2d.*larger than the input.*\(None, 4, 2, 1\)"):
        layers.Conv2D(1, 3)(K.placeholder((None, 4, 2, 1)))
    with pytest.raises(ValueError, match=r"larger than the input"):
        layers.Conv1D(1, 3, dilation_rate=3)(K.placeholder((None, 6, 1)))


@pytest.mark.parametrize("kwargs,message", [
    (dict(data_format="channels_first"), r"channels_first' is not supported"),
    (dict(data_format="nchw"), r"data_format must be 'channels_last'"),
    (dict(padding="causal"), r"padding must be one of 'valid', 'same'; received 'causal'"),
    (dict(padding="full"), r"padding must be one of"),
    (dict(groups=2), r"groups=2 is not supported"),
    (dict(kernel_size=(3, 3, 3)), r"kernel_size must be an int or a tuple of 2 ints"),
    (dict(kernel_size=0), r"kernel_size must be"),
    (dict(strides=(1, 0)), r"strides must be"),
    (dict(filters=0), r"filters must be a positive int; received 0"),
    (dict(activation="nope"), r"nope"),
    (dict(bogus=1), r"unexpected keyword arguments \['bogus'\]"),
])
def test_conv2d_argument_errors(kwargs, message):
    args = dict(filters=2, kernel_size=3)
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=message):
        layers.Conv2D(**args)


def test_conv2d_transpose_argument_errors():
    with pytest.raises(ValueError, match=r"Conv2DTranspose layer.*output_padding \(2, 2\) must "
                                         r"be smaller than strides \(2, 2\)"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match=r"output_padding must be"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=(1, -1))
    with pytest.raises(ValueError, match=r"channels_first' is not supported"):
        layers.Conv2DTranspose(2, 3, data_format="channels_first")
    with pytest.raises(ValueError, match=r"received 'causal'"):
        layers.Conv1DTranspose(2, 3, padding="causal")
    assert layers.Conv1D(2, 3, padding="CAUSAL").padding == "causal"
