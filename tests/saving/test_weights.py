"""``save_weights`` / ``load_weights``: by order, by name, skipping mismatches, and the
errors that name the layers and shapes involved."""
import warnings

import h5py
import numpy as np
import pytest

from hilayers import Input, Model, Sequential, layers
from hilayers.saving import SavingError, load_weights, save_weights
from hilayers.saving.hdf5_format import HEADER_LIMIT, read_name_list, write_name_list


def _net(widths=(4, 2), names=("a", "b"), input_dim=3):
    model = Sequential(name="net")
    model.add(Input((input_dim,)))
    for width, name in zip(widths, names):
        model.add(layers.Dense(width, name=name))
    return model


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b)) and len(a) == len(b)


def test_round_trip_by_order(tmp_path):
    source = _net()
    source.save_weights(tmp_path / "w.h5")
    target = _net(names=("x", "y"))                  # other names: order decides
    target.load_weights(tmp_path / "w.h5")
    assert _same(target.get_weights(), source.get_weights())


def test_load_weights_from_a_whole_model_file(tmp_path):
    source = _net()
    source.compile("adam", "mse")
    source.save(tmp_path / "m.h5")
    target = _net()
    target.load_weights(tmp_path / "m.h5")
    assert _same(target.get_weights(), source.get_weights())


def test_layers_without_weights_are_skipped_by_order(tmp_path):
    source = Sequential([Input((3,)), layers.Dense(4), layers.Dropout(0.5), layers.Dense(2)])
    source.save_weights(tmp_path / "w.h5")
    target = Sequential([Input((3,)), layers.Dense(4), layers.Activation("relu"),
                         layers.Dense(2)])
    target.load_weights(tmp_path / "w.h5")
    assert _same(target.get_weights(), source.get_weights())


def test_by_name_loads_the_layers_both_have(tmp_path):
    source = _net(widths=(4, 2, 7), names=("a", "b", "only_in_file"))
    source.save_weights(tmp_path / "w.h5")
    target = _net(widths=(4, 2, 5), names=("a", "b", "new"))
    new_before = target.get_layer("new").get_weights()
    target.load_weights(tmp_path / "w.h5", by_name=True)
    assert _same(target.get_layer("a").get_weights(), source.get_layer("a").get_weights())
    assert _same(target.get_layer("b").get_weights(), source.get_layer("b").get_weights())
    assert _same(target.get_layer("new").get_weights(), new_before)


def test_shape_mismatch_names_layer_and_shapes(tmp_path):
    _net().save_weights(tmp_path / "w.h5")
    target = _net(widths=(4, 5))
    before = target.get_weights()
    for by_name in (False, True):
        with pytest.raises(SavingError) as info:
            target.load_weights(tmp_path / "w.h5", by_name=by_name)
        message = str(info.value)
        assert "layer 'b' (Dense)" in message
        assert "has shape (4, 5) in the model, but the file's 'b/kernel:0' has shape (4, 2)" \
            in message
        assert "Pass skip_mismatch=True to skip such layers." in message
    assert _same(target.get_weights(), before)       # nothing changed: checked first


def test_skip_mismatch_warns_and_loads_the_rest(tmp_path):
    source = _net()
    source.save_weights(tmp_path / "w.h5")
    target = _net(widths=(4, 5))
    b_before = target.get_layer("b").get_weights()
    with pytest.warns(UserWarning, match="Skipping layer 'b' \\(Dense\\): weight .* has shape "
                                         "\\(4, 5\\) in the model, but the file's "
                                         "'b/kernel:0' has shape \\(4, 2\\)"):
        target.load_weights(tmp_path / "w.h5", by_name=True, skip_mismatch=True)
    assert _same(target.get_layer("a").get_weights(), source.get_layer("a").get_weights())
    assert _same(target.get_layer("b").get_weights(), b_before)


def test_weight_count_mismatch_lists_both_sides(tmp_path):
    _net().save_weights(tmp_path / "w.h5")
    target = Sequential([Input((3,)), layers.Dense(4, name="a"),
                         layers.Dense(2, use_bias=False, name="b")])
    with pytest.raises(SavingError, match=r"layer 'b' \(Dense\) has 1 weights \[.*kernel.* "
                                          r"\(4, 2\)\], but the file has 2 \[b/kernel:0 "
                                          r"\(4, 2\), b/bias:0 \(2,\)\]"):
        target.load_weights(tmp_path / "w.h5")


def test_layer_count_mismatch_suggests_by_name(tmp_path):
    _net().save_weights(tmp_path / "w.h5")
    target = _net(widths=(4, 2, 1), names=("a", "b", "c"))
    with pytest.raises(SavingError, match=r"the file has weights for 2 layers \['a', 'b'\], "
                                          r"but model 'net' has 3 layers with weights "
                                          r"\['a', 'b', 'c'\].*pass by_name=True"):
        target.load_weights(tmp_path / "w.h5")


def test_unbuilt_model_is_refused(tmp_path):
    _net().save_weights(tmp_path / "w.h5")
    with pytest.raises(SavingError, match="is not built, so it has no weights to set yet"):
        Sequential([layers.Dense(4), layers.Dense(2)]).load_weights(tmp_path / "w.h5")


def test_weights_file_layout(tmp_path):
    model = Sequential([Input((3,)), layers.Dense(4, name="a"), layers.Dropout(0.1, name="drop"),
                        layers.BatchNormalization(name="bn")])
    save_weights(model, tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert read_name_list(f, "layer_names", "w.h5") == ["a", "drop", "bn"]
        assert read_name_list(f["drop"], "weight_names", "w.h5") == []
        assert read_name_list(f["bn"], "weight_names", "w.h5") == [
            "bn/gamma:0", "bn/beta:0", "bn/moving_mean:0", "bn/moving_variance:0"]
        assert f["bn/bn/moving_variance:0"].shape == (4,)


def test_nested_model_weights(tmp_path):
    inner = Sequential([Input((3,)), layers.Dense(4, name="i1"), layers.Dense(4, name="i2")],
                       name="inner")
    x = Input((3,))
    outer = Model(x, layers.Dense(1, name="top")(inner(x)))
    outer.save_weights(tmp_path / "w.h5")
    twin_inner = Sequential([Input((3,)), layers.Dense(4, name="i1"),
                             layers.Dense(4, name="i2")], name="inner")
    y = Input((3,))
    twin = Model(y, layers.Dense(1, name="top")(twin_inner(y)))
    twin.load_weights(tmp_path / "w.h5")
    assert _same(twin.get_weights(), outer.get_weights())


def test_long_name_lists_are_split_as_keras_splits_them(tmp_path):
    names = [f"layer_with_a_long_name_{i:05d}" for i in range(3000)]   # ~90 kB of names
    with h5py.File(tmp_path / "names.h5", "w") as f:
        write_name_list(f, "layer_names", names)
        keys = sorted(f.attrs)
        assert keys[0] == "layer_names0" and len(keys) >= 2 and "layer_names" not in keys
        assert all(f.attrs[k].nbytes <= HEADER_LIMIT for k in keys)
        assert read_name_list(f, "layer_names", "names.h5") == names


def test_many_layers_round_trip(tmp_path):
    # 80 names of 860 bytes: more than one object header holds.
    names = [f"dense_{i:03d}_" + "n" * 850 for i in range(80)]
    model = Sequential([Input((2,))] + [layers.Dense(2, name=n) for n in names])
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert "layer_names0" in f.attrs                 # the list was split
    twin = Sequential([Input((2,))] + [layers.Dense(2, name=n) for n in names])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        load_weights(twin, tmp_path / "w.h5", by_name=True)
    assert _same(twin.get_weights(), model.get_weights())


def test_duplicate_layer_names_cannot_be_saved(tmp_path):
    x = Input((2,))
    first = layers.Dense(2, name="same")
    second = layers.Dense(2)
    second.name = "same"
    model = Model(x, second(first(x)))
    with pytest.raises(SavingError, match=r"Cannot save .*several layers are named "
                                          r"\['same'\]"):
        model.save_weights(tmp_path / "w.h5")
    assert not (tmp_path / "w.h5").exists()
