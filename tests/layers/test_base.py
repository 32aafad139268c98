"""The Layer base class: automatic names, add_weight (initializer, regularizer, constraint,
trainable), weight order and trainable switch, get/set_weights checks, InputSpec messages,
and a custom layer written against the contract."""
import numpy as np
import pytest

from hilayers import Input, Sequential, backend as K, layers
from hilayers.layers.base import constraint_of, unique_layer_name


class Scale(layers.Layer):
    """``y = x * scale + offset`` per feature, with a frozen ``count`` state."""

    def __init__(self, regularizer=None, constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.regularizer, self.constraint = regularizer, constraint
        self.input_spec = layers.InputSpec(ndim=2)

    def build(self, input_shape):
        d = input_shape[-1]
        self.scale = self.add_weight("scale", (d,), initializer="ones",
                                     regularizer=self.regularizer, constraint=self.constraint)
        self.count = self.add_weight("count", (), initializer="zeros", trainable=False)
        self.offset = self.add_weight("offset", (d,), initializer="zeros")
        self.input_spec = layers.InputSpec(ndim=2, axes={-1: d})

    def call(self, inputs):
        return inputs * self.scale + self.offset

    def get_config(self):
        return dict(super().get_config(), regularizer=self.regularizer,
                    constraint=self.constraint)


def test_automatic_names_are_unique_per_graph_and_per_class():
    names = [layers.Dense(1).name, layers.Dense(1).name, layers.Dropout(0.1).name,
             layers.Dense(1).name, layers.BatchNormalization().name]
    assert names == ["dense", "dense_1", "dropout", "dense_2", "batch_normalization"]
    assert layers.Conv2DTranspose(1, 1).name == "conv2d_transpose"
    assert layers.Dense(1, name="mine").name == "mine"
    K.reset_default_graph()
    assert layers.Dense(1).name == "dense"                 # a new graph counts from zero
    assert unique_layer_name("dense") == "dense_1"


def test_add_weight_initializer_trainable_and_keras_order():
    layer = Scale(name="s")
    y = layer(Input((3,)))
    assert y.shape == (None, 3) and layer.built
    assert [w.name for w in layer.weights] == ["s/scale:0", "s/offset:0", "s/count:0"]
    assert [w.name for w in layer.trainable_weights] == ["s/scale:0", "s/offset:0"]
    assert [w.name for w in layer.non_trainable_weights] == ["s/count:0"]
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones(3))
    assert layer.count_params() == 7
    assert all(w.dtype == np.float32 for w in layer.weights)
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3
    layer.trainable = True
    assert len(layer.trainable_weights) == 2


def test_add_weight_regularizer_and_constraint():
    layer = Scale(regularizer="l2", constraint="non_neg", name="s")
    layer(Input((2,)))
    (penalty,) = layer.losses
    layer.set_weights([np.array([3.0, -4.0]), np.zeros(2), np.zeros(())])
    assert K.Session().run(penalty) == pytest.approx(0.01 * 25.0)
    scale_var = layer.weights[0]
    assert type(constraint_of(scale_var)).__name__ == "NonNeg"
    assert constraint_of(layer.weights[1]) is None
    # The constraint is applied after every optimizer step: the scale stays >= 0.
    model = Sequential([Input((2,)), layer])
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 2), np.float32), -np.ones((8, 2), np.float32), epochs=3, verbose=0)
    assert (layer.get_weights()[0] >= 0).all()
    assert layer.get_weights()[2] == 0.0                      # non-trainable: untouched


def test_set_weights_checks_count_and_shapes():
    layer = Scale(name="s")
    layer(Input((3,)))
    with pytest.raises(ValueError, match=r"Layer 's' has 3 weights \(\[\(3,\), \(3,\), \(\)\]\); "
                                         r"received 2 arrays"):
        layer.set_weights([np.ones(3), np.ones(3)])
    with pytest.raises(ValueError, match=r"Layer 's': weight 's/offset:0' has shape \(3,\); "
                                         r"received an array of shape \(4,\)"):
        layer.set_weights([np.ones(3), np.ones(4), np.zeros(())])
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones(3))    # nothing was written


def test_input_spec_messages_name_layer_expectation_and_shape():
    layer = Scale(name="scaler")
    with pytest.raises(ValueError, match=r"input 0 of layer 'scaler' \(Scale\): expected rank 2 "
                                         r"\(shape like \(None, None\)\), received shape "
                                         r"\(None, 3, 4\) \(rank 3\)"):
        layer(Input((3, 4)))
    layer(Input((3,)))
    with pytest.raises(ValueError, match=r"input 0 of layer 'scaler' \(Scale\): expected axis -1 "
                                         r"of size 3, received shape \(None, 5\)"):
        layer(Input((5,)))
    spec = layers.InputSpec(min_ndim=3, max_ndim=4)
    with pytest.raises(ValueError, match=r"expected rank >= 3, received shape \(None, 2\)"):
        spec.check(layer, Input((2,)))
    with pytest.raises(ValueError, match=r"expected rank <= 4, received shape"):
        spec.check(layer, Input((1, 1, 1, 1)))


def test_a_layer_is_built_once_and_shared():
    layer = Scale(name="s")
    a, b = Input((3,)), Input((3,))
    layer(a)
    layer(b)
    assert len(layer.weights) == 3 and len(layer._calls) == 2
    assert layer.input is a and layer.output_shape == (None, 3)
    unused = Scale(name="u")
    with pytest.raises(AttributeError, match="Layer 'u' has not been called yet"):
        unused.output


def test_custom_layer_config_round_trip_and_unexpected_arguments():
    layer = Scale(regularizer="l1", name="s", trainable=False, input_shape=(4,))
    config = layer.get_config()
    assert config == {"name": "s", "trainable": False, "dtype": "float32",
                      "batch_input_shape": [None, 4], "regularizer": "l1", "constraint": None}
    twin = Scale.from_config(config)
    assert twin.get_config() == config and not twin.built
    with pytest.raises(TypeError, match=r"Scale\(\) got unexpected keyword arguments "
                                        r"\['units'\]"):
        Scale(units=3)


def test_float64_layer_weights_follow_the_layer_dtype():
    layer = layers.Dense(2, dtype="float64", name="d64")
    y = layer(K.placeholder((None, 3), dtype="float64"))
    assert y.dtype == np.float64 and all(w.dtype == np.float64 for w in layer.weights)
