"""Implicit masking: Embedding(mask_zero=True) masks the padded steps of the layers after it."""
import json

import numpy as np

from hilayers import Input, Model, Sequential, layers
from hilayers import backend as K
from hilayers.layers.base import mask_of


def test_mask_travels_from_embedding_to_lstm_in_sequential():
    model = Sequential([layers.Embedding(10, 4, mask_zero=True, input_shape=(5,)),
                        layers.LSTM(3)])
    padded = np.array([[3, 4, 0, 0, 0]])
    short = np.array([[3, 4]])
    # The same layers applied to the unpadded sequence: padding must not change the result.
    x = Input((2,), dtype="int32")
    unpadded = Model(x, model.layers[1](model.layers[0](x)))
    np.testing.assert_allclose(model.predict(padded), unpadded.predict(short), rtol=1e-5,
                               atol=1e-6)


def test_explicit_mask_wins_and_layers_without_masking_drop_it():
    emb = layers.Embedding(10, 4, mask_zero=True)
    x = Input((5,), dtype="int32")
    e = emb(x)
    assert mask_of(e) is not None
    dense = layers.Dense(2)(e)
    assert mask_of(dense) is None          # Dense does not support masking: the mask stops


def test_masked_functional_model_round_trips_its_config():
    x = Input((5,), dtype="int32")
    out = layers.GRU(2)(layers.Embedding(10, 3, mask_zero=True)(x))
    model = Model(x, out)
    config = model.get_config()
    json.dumps(config)
    twin = Model.from_config(config)
    twin.set_weights(model.get_weights())
    data = np.array([[1, 2, 0, 0, 0], [4, 0, 0, 0, 0]])
    np.testing.assert_allclose(twin.predict(data), model.predict(data), rtol=1e-6)
