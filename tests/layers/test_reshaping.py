"""ZeroPadding1D/2D, Cropping1D/2D and UpSampling1D/2D: the layer harness, values against
NumPy, Keras' defaults and configs, and the errors."""
import numpy as np
import pytest

from hilayers import backend as K
from hilayers import layers
from hilayers.layers.reshaping import bilinear_matrix
from tests.layers.harness import layer_test


def _data(shape):
    return np.random.default_rng(0).standard_normal(shape).astype("float32")


@pytest.mark.parametrize("padding,pairs", [
    (None, ((1, 1), (1, 1))), (2, ((2, 2), (2, 2))), ((1, 3), ((1, 1), (3, 3))),
    (((0, 2), (1, 0)), ((0, 2), (1, 0))), ([[1, 0], [0, 0]], ((1, 0), (0, 0)))])
def test_zero_padding2d(padding, pairs):
    kwargs = {} if padding is None else dict(padding=padding)
    x = _data((2, 3, 4, 2))
    out = layer_test(layers.ZeroPadding2D, kwargs, x.shape, input_data=x, expected_weights=0)
    np.testing.assert_array_equal(out, np.pad(x, [(0, 0), *pairs, (0, 0)]))
    layer = layers.ZeroPadding2D(**kwargs)
    assert layer.get_config()["padding"] == [list(p) for p in pairs]
    assert layer.compute_output_shape((None, None, 4, 2)) == (
        None, None, 4 + sum(pairs[1]), 2)


@pytest.mark.parametrize("padding,pair", [(None, (1, 1)), (3, (3, 3)), ((0, 2), (0, 2))])
def test_zero_padding1d(padding, pair):
    kwargs = {} if padding is None else dict(padding=padding)
    x = _data((2, 4, 3))
    out = layer_test(layers.ZeroPadding1D, kwargs, x.shape, input_data=x, expected_weights=0)
    np.testing.assert_array_equal(out, np.pad(x, [(0, 0), pair, (0, 0)]))
    assert layers.ZeroPadding1D(**kwargs).get_config()["padding"] == list(pair)


@pytest.mark.parametrize("cropping,pairs", [
    (None, ((0, 0), (0, 0))), (1, ((1, 1), (1, 1))), ((2, 1), ((2, 2), (1, 1))),
    (((0, 3), (1, 0)), ((0, 3), (1, 0)))])
def test_cropping2d(cropping, pairs):
    kwargs = {} if cropping is None else dict(cropping=cropping)
    x = _data((2, 6, 5, 2))
    out = layer_test(layers.Cropping2D, kwargs, x.shape, input_data=x, expected_weights=0)
    (t, b), (l, r) = pairs
    np.testing.assert_array_equal(out, x[:, t:6 - b, l:5 - r])
    assert layers.Cropping2D(**kwargs).get_config()["cropping"] == [list(p) for p in pairs]


@pytest.mark.parametrize("cropping,pair", [(None, (1, 1)), (2, (2, 2)), ((0, 3), (0, 3))])
def test_cropping1d(cropping, pair):
    kwargs = {} if cropping is None else dict(cropping=cropping)
    x = _data((2, 7, 3))
    out = layer_test(layers.Cropping1D, kwargs, x.shape, input_data=x, expected_weights=0)
    np.testing.assert_array_equal(out, x[:, pair[0]:7 - pair[1]])


@pytest.mark.parametrize("size,factors", [(None, (2, 2)), (3, (3, 3)), ((1, 2), (1, 2))])
def test_up_sampling2d_nearest(size, factors):
    kwargs = {} if size is None else dict(size=size)
    x = _data((2, 3, 2, 2))
    out = layer_test(layers.UpSampling2D, kwargs, x.shape, input_data=x, expected_weights=0)
    np.testing.assert_array_equal(out, x.repeat(factors[0], 1).repeat(factors[1], 2))
    layer = layers.UpSampling2D(**kwargs)
    assert layer.compute_output_shape((None, None, 5, 2)) == (None, None, 5 * factors[1], 2)
    assert layer.get_config()["size"] == list(factors)


@pytest.mark.parametrize("size", [None, 3])
def test_up_sampling1d(size):
    kwargs = {} if size is None else dict(size=size)
    x = _data((2, 4, 3))
    out = layer_test(layers.UpSampling1D, kwargs, x.shape, input_data=x, expected_weights=0)
    np.testing.assert_array_equal(out, x.repeat(size or 2, 1))


def _tf_bilinear_1d(values, factor):
    """TensorFlow's half-pixel bilinear resize along one axis, as its kernel computes it."""
    n = len(values)
    out = []
    for o in range(n * factor):
        coord = (o + 0.5) / factor - 0.5
        low = int(np.floor(coord))
        lerp = coord - low
        lo, hi = max(low, 0), min(int(np.ceil(coord)), n - 1)
        out.append(values[lo] + (values[hi] - values[lo]) * lerp)
    return np.array(out)


def test_bilinear_matrix_matches_tensorflow_rule():
    np.testing.assert_allclose(bilinear_matrix(2, 2) @ [0.0, 1.0], [0, 0.25, 0.75, 1.0])
    values = np.random.default_rng(2).standard_normal(5)
    for factor in (1, 2, 3, 4):
        np.testing.assert_allclose(bilinear_matrix(5, factor) @ values,
                                   _tf_bilinear_1d(values, factor), atol=1e-12)


@pytest.mark.parametrize("size", [(2, 2), (3, 2), (1, 4)])
def test_up_sampling2d_bilinear(size):
    x = _data((2, 3, 4, 2))
    out = layer_test(layers.UpSampling2D, dict(size=size, interpolation="bilinear"), x.shape,
                     input_data=x, expected_weights=0)
    ref = np.apply_along_axis(_tf_bilinear_1d, 1, x, size[0])
    ref = np.apply_along_axis(_tf_bilinear_1d, 2, ref, size[1])
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


def test_keras_names_and_configs():
    layer = layers.UpSampling2D()
    assert layer.name == "up_sampling2d"
    assert layer.get_config() == {"name": "up_sampling2d", "trainable": True,
                                  "dtype": "float32", "data_format": "channels_last",
                                  "size": [2, 2], "interpolation": "nearest"}
    assert layers.ZeroPadding2D().name == "zero_padding2d"
    assert set(layers.ZeroPadding1D().get_config()) == {"name", "trainable", "dtype",
                                                        "padding"}
    assert set(layers.Cropping2D().get_config()) >= {"cropping", "data_format"}
    # tf.keras writes tuples of tuples; the same config as lists loads back.
    loaded = layers.ZeroPadding2D.from_config({"name": "zp", "trainable": True,
                                               "dtype": "float32", "padding": [[1, 1], [2, 2]],
                                               "data_format": "channels_last"})
    assert loaded(K.placeholder((None, 3, 3, 1))).shape == (None, 5, 7, 1)


# -- errors ----------------------------------------------------------------------------------


def test_rank_errors_name_the_layer_and_shape():
    with pytest.raises(ValueError, match=r"'zp'.*rank 4.*\(None, 5, 3\)"):
        layers.ZeroPadding2D(name="zp")(K.placeholder((None, 5, 3)))
    with pytest.raises(ValueError, match=r"UpSampling1D layer 'u'.*rank 3.*\(2, 5, 5, 3\)"):
        layers.UpSampling1D(name="u").compute_output_shape((2, 5, 5, 3))


def test_cropping_too_much():
    with pytest.raises(ValueError, match=r"Cropping2D layer.*leaves nothing.*\(None, 4, 4, 1\)"):
        layers.Cropping2D(2)(K.placeholder((None, 4, 4, 1)))


def test_bilinear_needs_known_spatial_dims():
    with pytest.raises(ValueError, match=r"bilinear' needs known rows and cols.*"
                                         r"\(None, None, 4, 2\)"):
        layers.UpSampling2D(interpolation="bilinear")(K.placeholder((None, None, 4, 2)))


@pytest.mark.parametrize("cls,kwargs,message", [
    (layers.UpSampling2D, dict(interpolation="bicubic"), r"'nearest' or 'bilinear'; "
                                                         r"received 'bicubic'"),
    (layers.UpSampling2D, dict(data_format="channels_first"), r"channels_first' is not"),
    (layers.ZeroPadding2D, dict(data_format="channels_first"), r"channels_first' is not"),
    (layers.UpSampling2D, dict(size=0), r"size must be"),
    (layers.ZeroPadding2D, dict(padding=-1), r"padding must be"),
    (layers.ZeroPadding2D, dict(padding=(1, 2, 3)), r"padding must be an int, a pair"),
    (layers.ZeroPadding2D, dict(padding=((1, 2), (3, -1))), r"padding entry must be"),
    (layers.ZeroPadding1D, dict(padding=(1, 2, 3)), r"padding must be an int or a tuple of 2"),
    (layers.Cropping2D, dict(cropping="a"), r"cropping must be"),
])
def test_argument_errors(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)
