"""Every layer class survives ``model.save`` / ``load_model``: same config, same weights,
same predictions, and (for blocks without random layers) the same next training step.

A few models together use every public layer class, most with options away from their
defaults (regularizers, constraints, seeded initializers, activations, masks...).
``test_every_layer_class_is_covered`` fails when a new layer class is added to
``hilayers.layers`` without a place here.
"""
import inspect
import json

import numpy as np
import pytest

import hilayers.layers as L
from hilayers import Input, Model, Sequential
from hilayers import backend as K
from hilayers.saving import load_model
from hilayers.saving.model_io import model_config_of


def square_plus_one(x):
    return K.square(x) + 1.0


CUSTOM = {"square_plus_one": square_plus_one}


def _dense_block():
    x = Input((6,), name="x")
    h = L.Dense(8, activation="selu", kernel_regularizer={"class_name": "L1L2", "config": {
        "l1": 0.01, "l2": 0.001}}, kernel_constraint="max_norm",
        kernel_initializer={"class_name": "HeNormal", "config": {"seed": 3}}, name="dense")(x)
    h = L.BatchNormalization(momentum=0.8, center=False, name="bn")(h)
    h = L.LayerNormalization(epsilon=1e-4, name="ln")(h)
    h = L.Dropout(0.3, name="drop")(h)
    h = L.Activation("tanh", name="act")(h)
    lam = L.Lambda(square_plus_one, name="lam")(h)
    a, b = L.Dense(8, name="da")(h), L.Dense(8, name="db")(lam)
    merged = [L.Add(name="add")([a, b]), L.Subtract(name="sub")([a, b]),
              L.Multiply(name="mul")([a, b]), L.Average(name="avg")([a, b]),
              L.Maximum(name="max")([a, b]), L.Minimum(name="min")([a, b])]
    cat = L.Concatenate(axis=-1, name="cat")(merged)
    dot = L.Dot(axes=1, normalize=True, name="dot")([a, b])
    rep = L.RepeatVector(3, name="rep")(cat)                    # (3, 48)
    per = L.Permute((2, 1), name="perm")(rep)                    # (48, 3)
    flat = L.Flatten(name="flat")(L.Reshape((12, 12), name="reshape")(per))
    out = L.Dense(2, activation="softmax", name="out")(L.Concatenate(name="cat2")([flat, dot]))
    model = Model(x, out, name="dense_block")
    return model, np.random.default_rng(0).normal(size=(4, 6)).astype("float32"), (4, 2)


def _conv2d_block():
    x = Input((8, 8, 3), name="img")
    h = L.ZeroPadding2D(((1, 0), (0, 1)), name="pad")(x)
    h = L.Conv2D(4, 3, strides=1, padding="valid", dilation_rate=1, use_bias=False,
                 activation="relu", name="conv")(h)
    h = L.Conv2DTranspose(3, 2, strides=2, padding="same", name="deconv")(h)
    h = L.Cropping2D(((1, 1), (2, 0)), name="crop")(h)
    h = L.MaxPooling2D(2, name="maxpool")(h)
    h = L.UpSampling2D(2, name="up")(h)
    h = L.AveragePooling2D(2, strides=1, padding="same", name="avgpool")(h)
    a = L.GlobalAveragePooling2D(name="gap")(h)
    b = L.GlobalMaxPooling2D(name="gmp")(h)
    out = L.Dense(3, name="out")(L.Concatenate(name="cat")([a, b]))
    model = Model(x, out, name="conv2d_block")
    return model, np.random.default_rng(1).normal(size=(2, 8, 8, 3)).astype("float32"), (2, 3)


def _conv1d_block():
    model = Sequential([
        Input((12, 2), name="seq"),
        L.ZeroPadding1D(2, name="pad"),
        L.Conv1D(4, 3, padding="causal", activation="elu", name="conv"),
        L.Conv1DTranspose(3, 2, strides=2, name="deconv"),
        L.Cropping1D((1, 2), name="crop"),
        L.MaxPooling1D(2, name="maxpool"),
        L.UpSampling1D(2, name="up"),
        L.AveragePooling1D(2, name="avgpool"),
        L.TimeDistributed(L.Dense(5, name="inner"), name="td"),
        L.GlobalMaxPooling1D(name="gmp"),
        L.Dense(1, name="out"),
    ], name="conv1d_block")
    return model, np.random.default_rng(2).normal(size=(3, 12, 2)).astype("float32"), (3, 1)


def _recurrent_block():
    tokens = Input((7,), dtype="int32", name="tokens")
    h = L.Embedding(20, 6, mask_zero=True, embeddings_initializer={
        "class_name": "RandomUniform", "config": {"seed": 5}}, name="embed")(tokens)
    h = L.SimpleRNN(5, return_sequences=True, dropout=0.2, name="rnn")(h)
    h = L.LSTM(4, return_sequences=True, recurrent_dropout=0.1, unit_forget_bias=False,
               name="lstm")(h)
    h = L.Bidirectional(L.GRU(3, return_sequences=True, reset_after=False), merge_mode="sum",
                        name="bigru")(h)
    a = L.GlobalAveragePooling1D(name="gap")(h)
    out = L.Dense(2, name="out")(a)
    model = Model(tokens, out, name="recurrent_block")
    data = np.random.default_rng(3).integers(1, 20, (4, 7)).astype("int32")
    data[:, -2:] = 0                                            # masked time steps
    return model, data, (4, 2)


BLOCKS = {"dense": _dense_block, "conv2d": _conv2d_block, "conv1d": _conv1d_block,
          "recurrent": _recurrent_block}
ALIASES = {"AvgPool1D", "AvgPool2D", "Convolution1D", "Convolution2D", "Convolution2DTranspose",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
           "MaxPool1D", "MaxPool2D"}
#: Base classes and the input layer, present in every model anyway.
NOT_LAYERS_OF_THEIR_OWN = {"Layer", "Wrapper", "InputLayer", "InputSpec", "Input"}


def _classes_used(model):
    found = set()
    for layer in model.layers:
        found.add(type(layer).__name__)
        for attr in ("layer", "forward_layer"):
            inner = getattr(layer, attr, None)
            if isinstance(inner, L.Layer):
                found.add(type(inner).__name__)
    return found


def test_every_layer_class_is_covered():
    used = set()
    for build in BLOCKS.values():
        used |= _classes_used(build()[0])
    public = {name for name in L.__all__ if inspect.isclass(getattr(L, name))
              and issubclass(getattr(L, name), L.Layer)} - ALIASES - NOT_LAYERS_OF_THEIR_OWN
    assert public - used == set(), "add these layers to a block of test_layer_round_trips.py"


@pytest.mark.parametrize("kind", sorted(BLOCKS))
def test_block_round_trip(tmp_path, kind):
    model, x, out_shape = BLOCKS[kind]()
    model.compile("adam", "mse")
    y = np.random.default_rng(9).normal(size=out_shape).astype("float32")
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / f"{kind}.h5")
    loaded = load_model(tmp_path / f"{kind}.h5", custom_objects=CUSTOM)

    assert json.dumps(model_config_of(loaded)) == json.dumps(model_config_of(model))
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        assert np.array_equal(a, b)
    assert np.array_equal(loaded.predict(x), model.predict(x))
    # The next training step gives the same weights. Dropout draws its masks from the
    # graph's random streams, which a model file does not hold (training checkpoints do),
    # so this is checked on the blocks without random layers.
    if kind in ("conv2d", "conv1d"):
        model.train_on_batch(x, y)
        loaded.train_on_batch(x, y)
        for a, b in zip(loaded.get_weights(), model.get_weights()):
            assert np.array_equal(a, b)
