"""Embedding: harness, lookup values, gradients via gather, masks, input_length, errors."""
import numpy as np
import pytest

from hilayers import backend as K
from hilayers.layers import Embedding

from .harness import layer_test


@pytest.mark.parametrize("kwargs, shape", [
    (dict(input_dim=5, output_dim=3), (2, 4)),
    (dict(input_dim=6, output_dim=2, embeddings_initializer="he_normal",
          embeddings_regularizer="l2", embeddings_constraint="unit_norm"), (3, 2, 2)),
    (dict(input_dim=5, output_dim=4, input_length=3, mask_zero=True), (2, 3)),
])
def test_embedding_harness(kwargs, shape):
    out = layer_test(Embedding, kwargs, shape, input_dtype="int32", expected_weights=1)
    assert out.shape == shape + (kwargs["output_dim"],)


def test_lookup_values_and_default_initializer():
    layer = Embedding(100, 8)
    ids = K.placeholder((None, 3), dtype="int32")
    out = layer(ids)
    (table,) = layer.get_weights()
    assert table.shape == (100, 8) and np.abs(table).max() <= 0.05
    data = np.array([[1, 7, 99], [0, 0, 3]], np.int32)
    np.testing.assert_array_equal(K.Session().run(out, {ids: data}), table[data])
    assert layer.get_config()["embeddings_initializer"] == {
        "class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05, "seed": None}}


def test_float_indices_are_cast():
    layer = Embedding(4, 2)
    x = K.placeholder((None, 2))
    out = K.Session().run(layer(x), {x: [[3.0, 1.0]]})
    np.testing.assert_array_equal(out, layer.get_weights()[0][[[3, 1]]])


def test_gradient_scatter_adds_rows():
    layer = Embedding(5, 2)
    ids = K.placeholder((None, 3), dtype="int32")
    (grad,) = K.gradients(K.sum(layer(ids)), [layer.embeddings])
    g = K.Session().run(grad, {ids: [[1, 1, 4], [4, 0, 1]]})
    np.testing.assert_array_equal(g[:, 0], [1, 3, 0, 0, 2])


def test_mask_and_input_length():
    layer = Embedding(10, 3, mask_zero=True, input_length=4)
    assert layer.batch_input_shape == (None, 4)
    ids = K.placeholder((None, 4), dtype="int32")
    mask = K.Session().run(layer.compute_mask(ids), {ids: [[0, 2, 0, 5]]})
    np.testing.assert_array_equal(mask, [[False, True, False, True]])
    assert Embedding(10, 3).compute_mask(ids) is None
    with pytest.raises(ValueError, match=r"Embedding 'e': input_length is 4 but received input "
                                         r"shape \(None, 6\)"):
        Embedding(10, 3, input_length=4, name="e")(K.placeholder((None, 6), dtype="int32"))


def test_bad_sizes():
    with pytest.raises(ValueError, match="input_dim and output_dim must be positive; received "
                                         "input_dim=0"):
        Embedding(0, 3)
