"""Pooling layers: the layer harness over many configurations, values against loop-based NumPy
references (padding never counts), Keras' defaults, aliases and configs, and the errors."""
import numpy as np
import pytest

from hilayers import backend as K
from hilayers import layers
from tests.layers.harness import layer_test


def pool2d_ref(x, pool, strides, padding, reduce):
    """Pool every window over its real pixels only (TensorFlow's rule for 'same')."""
    (ph, pw), (sh, sw) = pool, strides
    n, h, w, c = x.shape
    if padding == "valid":
        oh, ow, top, left = (h - ph) // sh + 1, (w - pw) // sw + 1, 0, 0
    else:
        oh, ow = -(-h // sh), -(-w // sw)
        top = max((oh - 1) * sh + ph - h, 0) // 2
        left = max((ow - 1) * sw + pw - w, 0) // 2
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - top, j * sw - left
            window = x[:, max(r0, 0):r0 + ph, max(c0, 0):c0 + pw]
            y[:, i, j] = reduce(window.reshape(n, -1, c), axis=1)
    return y


def _run(layer, x, **kwargs):
    ph = K.placeholder((None,) + x.shape[1:])
    return K.Session().run(layer(ph, **kwargs), {ph: x})


POOL2D_CASES = [
    (dict(), (2, 4, 6, 3)),
    (dict(pool_size=3), (2, 7, 5, 2)),
    (dict(pool_size=(2, 3), strides=1), (2, 5, 5, 2)),
    (dict(pool_size=3, strides=2, padding="same"), (2, 5, 6, 2)),
    (dict(pool_size=(3, 2), strides=(1, 2), padding="same"), (1, 4, 5, 3)),
    (dict(pool_size=2, padding="same"), (2, 5, 5, 1)),
]
POOL1D_CASES = [
    (dict(), (2, 6, 3)),
    (dict(pool_size=3, strides=1), (2, 7, 2)),
    (dict(pool_size=3, strides=2, padding="same"), (2, 8, 2)),
    (dict(pool_size=4, padding="same"), (2, 9, 1)),
]


@pytest.mark.parametrize("cls", [layers.MaxPooling2D, layers.AveragePooling2D])
@pytest.mark.parametrize("kwargs,shape", POOL2D_CASES)
def test_pool2d_harness_and_values(cls, kwargs, shape):
    out = layer_test(cls, kwargs, shape, expected_weights=0)
    layer = cls(**kwargs)
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    reduce = np.max if cls is layers.MaxPooling2D else np.mean
    np.testing.assert_allclose(_run(layer, x), pool2d_ref(
        x, layer.pool_size, layer.strides, layer.padding, reduce), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, pool2d_ref(x, layer.pool_size, layer.strides,
                                               layer.padding, reduce), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", [layers.MaxPooling1D, layers.AveragePooling1D])
@pytest.mark.parametrize("kwargs,shape", POOL1D_CASES)
def test_pool1d_harness_and_values(cls, kwargs, shape):
    out = layer_test(cls, kwargs, shape, expected_weights=0)
    layer = cls(**kwargs)
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    reduce = np.max if cls is layers.MaxPooling1D else np.mean
    ref = pool2d_ref(x[:, None], (1,) + layer.pool_size, (1,) + layer.strides,
                     layer.padding, reduce)[:, 0]
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


def test_same_average_ignores_padding():
    x = np.ones((1, 3, 3, 1), dtype="float32")
    y = _run(layers.AveragePooling2D(2, padding="same"), x)
    np.testing.assert_array_equal(y, np.ones((1, 2, 2, 1)))
    y = _run(layers.MaxPooling2D(2, padding="same"), -x)
    np.testing.assert_array_equal(y, -np.ones((1, 2, 2, 1)))


GLOBAL_CASES = [
    (layers.GlobalAveragePooling1D, (2, 5, 3), np.mean),
    (layers.GlobalMaxPooling1D, (2, 5, 3), np.max),
    (layers.GlobalAveragePooling2D, (2, 4, 3, 3), np.mean),
    (layers.GlobalMaxPooling2D, (2, 3, 5, 2), np.max),
]


@pytest.mark.parametrize("cls,shape,reduce", GLOBAL_CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(cls, shape, reduce, keepdims):
    x = np.random.default_rng(1).standard_normal(shape).astype("float32")
    out = layer_test(cls, dict(keepdims=keepdims), shape, expected_weights=0, input_data=x)
    axes = tuple(range(1, len(shape) - 1))
    np.testing.assert_allclose(out, reduce(x, axis=axes, keepdims=keepdims), rtol=1e-5,
                               atol=1e-6)
    layer = cls(keepdims=keepdims)
    want = (None,) + (1,) * len(axes) + (shape[-1],) if keepdims else (None, shape[-1])
    assert layer.compute_output_shape((None,) * (len(shape) - 1) + (shape[-1],)) == want


def test_global_average_pooling1d_mask():
    x = np.arange(12, dtype="float32").reshape(2, 3, 2)
    mask = np.array([[True, True, False], [True, False, False]])
    ph, mph = K.placeholder((None, 3, 2)), K.placeholder((None, 3), dtype="bool")
    layer = layers.GlobalAveragePooling1D()
    assert layer.supports_masking
    y = K.Session().run(layer(ph, mask=mph), {ph: x, mph: mask})
    np.testing.assert_allclose(y, [[1.0, 2.0], [6.0, 7.0]])
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, steps\)"):
        layer(ph, mask=K.placeholder((None, 3, 2), dtype="bool"))


def test_unknown_spatial_dims_propagate():
    layer = layers.MaxPooling2D(3, strides=2, padding="same")
    y = layer(K.placeholder((None, None, None, 4)))
    assert y.shape == (None, None, None, 4)
    assert layer.compute_output_shape((None, None, 7, 4)) == (None, None, 4, 4)
    x = np.zeros((2, 7, 9, 4), dtype="float32")
    ph = K.placeholder((None, None, None, 4))
    assert K.Session().run(layer(ph), {ph: x}).shape == (2, 4, 5, 4)
    g = layers.GlobalAveragePooling2D()(K.placeholder((None, None, None, 4)))
    assert g.shape == (None, 4)


def test_keras_defaults_config_and_names():
    layer = layers.MaxPooling2D()
    assert layer.name == "max_pooling2d"
    assert layer.get_config() == {"name": "max_pooling2d", "trainable": True,
                                  "dtype": "float32", "pool_size": [2, 2], "padding": "valid",
                                  "strides": [2, 2], "data_format": "channels_last"}
    assert layers.MaxPooling1D().get_config()["pool_size"] == [2]
    assert layers.AveragePooling1D(3, strides=1).get_config()["strides"] == [1]
    config = layers.GlobalAveragePooling2D().get_config()
    assert config["keepdims"] is False and config["data_format"] == "channels_last"
    assert layers.GlobalMaxPooling1D().name == "global_max_pooling1d"
    assert layers.MaxPooling2D(padding="SAME").padding == "same"


def test_aliases():
    assert layers.MaxPool2D is layers.MaxPooling2D
    assert layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    assert layers.GlobalMaxPool1D is layers.GlobalMaxPooling1D
    from hilayers.layers.base import LAYERS
    assert LAYERS.lookup("MaxPool2D") is layers.MaxPooling2D
    assert LAYERS.lookup("GlobalAvgPool1D") is layers.GlobalAveragePooling1D


# -- errors ----------------------------------------------------------------------------------


def test_rank_errors_name_the_layer_and_shape():
    with pytest.raises(ValueError, match=r"'pool'.*rank 4.*\(None, 5, 3\)"):
        layers.MaxPooling2D(name="pool")(K.placeholder((None, 5, 3)))
    with pytest.raises(ValueError, match=r"AveragePooling1D layer 'p'.*rank 3.*\(2, 5, 5, 3\)"):
        layers.AveragePooling1D(name="p").compute_output_shape((2, 5, 5, 3))
    with pytest.raises(ValueError, match=r"GlobalMaxPooling2D layer.*rank 4.*\(2, 5\)"):
        layers.GlobalMaxPooling2D().compute_output_shape((2, 5))


def test_window_larger_than_input():
    with pytest.raises(ValueError, match=r"max_pooling2d.*pool window.*larger than the input"
                                         r".*\(None, 2, 5, 1\)"):
        layers.MaxPooling2D(3)(K.placeholder((None, 2, 5, 1)))
    assert layers.MaxPooling2D(3, padding="same")(
        K.placeholder((None, 2, 5, 1))).shape == (None, 1, 2, 1)


@pytest.mark.parametrize("cls,kwargs,message", [
    (layers.MaxPooling2D, dict(data_format="channels_first"), r"channels_first' is not "
                                                              r"supported"),
    (layers.GlobalAveragePooling2D, dict(data_format="channels_first"), r"channels_first"),
    (layers.MaxPooling2D, dict(padding="causal"), r"padding must be one of 'valid', 'same'"),
    (layers.MaxPooling2D, dict(pool_size=(2, 2, 2)), r"pool_size must be an int or a tuple "
                                                     r"of 2 ints"),
    (layers.MaxPooling1D, dict(pool_size=0), r"pool_size must be an int, each >= 1"),
    (layers.AveragePooling2D, dict(strides=(0, 1)), r"strides must be"),
])
def test_argument_errors(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)
