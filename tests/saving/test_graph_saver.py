"""The graph-level Saver (TensorFlow 1's tf.train.Saver) for raw backend graphs."""
import json
import os

import h5py
import numpy as np
import pytest

from hilayers import backend as K
from hilayers.saving import Saver, SavingError, latest_checkpoint


def _graph():
    """A small training graph: two variables, an SGD step, an int counter."""
    w = K.variable(np.arange(6, dtype="float32").reshape(2, 3), name="layer/w")
    b = K.variable(np.zeros(3, "float32"), name="layer/b")
    step = K.variable(np.int64(0), dtype="int64", name="global_step")
    x = K.placeholder((None, 2), name="x")
    loss = K.sum(K.square(x @ w + b))
    gw, gb = K.gradients(loss, [w, b])
    train = K.function([x], [loss], updates=[(w, w - 0.01 * gw), (b, b - 0.01 * gb),
                                              (step, step + np.int64(1))])
    return w, b, step, train


def test_save_and_restore_every_variable(tmp_path):
    w, b, step, train = _graph()
    saver = Saver()
    assert list(saver.var_list) == ["layer/w:0", "layer/b:0", "global_step:0"]
    for _ in range(3):
        train([np.ones((4, 2), "float32")])
    saved = [v.get_value() for v in (w, b, step)]
    path = saver.save(K.Session(), str(tmp_path / "model"), global_step=step)
    assert path == str(tmp_path / "model-3.h5")
    train([np.ones((4, 2), "float32")])
    saver.restore(K.Session(), path)
    for var, value in zip((w, b, step), saved):
        assert np.array_equal(var.get_value(), value)
    with h5py.File(path, "r") as handle:                 # one dataset per variable, by name
        assert np.array_equal(handle["layer/w:0"][()], saved[0])


def test_restore_into_a_rebuilt_graph(tmp_path):
    w, _, _, train = _graph()
    train([np.ones((1, 2), "float32")])
    path = Saver().save(None, str(tmp_path / "m"))
    expected = w.get_value()
    K.reset_default_graph()
    w2, _, _, _ = _graph()
    Saver().restore(None, path)
    assert np.array_equal(w2.get_value(), expected)


def test_max_to_keep_and_latest_checkpoint(tmp_path):
    _graph()
    saver = Saver(max_to_keep=2)
    assert latest_checkpoint(str(tmp_path)) is None
    paths = [saver.save(None, str(tmp_path / "m"), global_step=i) for i in range(4)]
    assert sorted(p for p in os.listdir(tmp_path) if p.endswith(".h5")) == ["m-2.h5",
                                                                           "m-3.h5"]
    assert latest_checkpoint(str(tmp_path)) == paths[-1]
    saver.save(None, str(tmp_path / "m"), global_step=2)    # saving again moves it last
    assert latest_checkpoint(str(tmp_path)) == paths[2]
    with open(tmp_path / "checkpoint.json") as handle:
        assert json.load(handle)["all_checkpoints"] == ["m-3.h5", "m-2.h5"]


def test_keep_all(tmp_path):
    _graph()
    saver = Saver(max_to_keep=None)
    for i in range(7):
        saver.save(None, str(tmp_path / "m"), global_step=i)
    assert len([p for p in os.listdir(tmp_path) if p.endswith(".h5")]) == 7


def test_var_list_subset_and_dict_names(tmp_path):
    w, b, _, _ = _graph()
    path = Saver({"weights": w}).save(None, str(tmp_path / "named"))
    w.set_value(np.zeros((2, 3)))
    Saver({"weights": w}).restore(None, path)
    assert w.get_value()[1, 2] == 5
    # A subset saver ignores what else the file holds; a whole-graph saver refuses it.
    full = Saver().save(None, str(tmp_path / "full"))
    b.set_value(np.ones(3))
    Saver([w]).restore(None, full)
    assert np.array_equal(b.get_value(), np.ones(3))


def test_missing_variable_is_named(tmp_path):
    w, _, _, _ = _graph()
    path = Saver([w]).save(None, str(tmp_path / "m"))
    with pytest.raises(SavingError, match="no value for variable 'layer/b:0' \\(nor for 1 "
                                          "others\\); it holds \\['layer/w:0'\\]"):
        Saver().restore(None, path)


def test_unexpected_variable_is_named(tmp_path):
    _graph()
    path = Saver().save(None, str(tmp_path / "m"))
    K.reset_default_graph()
    K.variable(np.zeros((2, 3), "float32"), name="layer/w")
    K.variable(np.zeros(3, "float32"), name="layer/b")
    with pytest.raises(SavingError, match="holds variable 'global_step:0', which this graph "
                                          "does not have"):
        Saver().restore(None, path)


def test_shape_and_dtype_mismatch_are_named(tmp_path):
    _graph()
    path = Saver().save(None, str(tmp_path / "m"))
    K.reset_default_graph()
    K.variable(np.zeros((3, 2), "float32"), name="layer/w")
    b = K.variable(np.zeros(3, "float32"), name="layer/b")
    step = K.variable(np.int64(0), dtype="int64", name="global_step")
    with pytest.raises(SavingError, match=r"variable 'layer/w:0' has shape \(3, 2\) in the "
                                          r"graph, but \(2, 3\) in the file"):
        Saver().restore(None, path)
    before = b.get_value()
    w64 = K.variable(np.zeros((2, 3)), dtype="float64", name="w64")
    with pytest.raises(SavingError, match="variable 'layer/w:0' has dtype float64 in the "
                                          "graph, but float32"):
        Saver({"layer/w:0": w64, "layer/b:0": b, "global_step:0": step}).restore(None, path)
    assert np.array_equal(b.get_value(), before)          # nothing changed


def test_bad_arguments():
    with pytest.raises(ValueError, match="no variables to save"):
        Saver()
    with pytest.raises(ValueError, match="must hold variables"):
        Saver([K.constant(1.0)])
    v = K.variable(1.0, name="v")
    other = K.variable(1.0, name="v", graph=K.Graph())
    with pytest.raises(ValueError, match="two variables are named 'v:0'"):
        Saver([v, other])
    with pytest.raises(ValueError, match="max_to_keep"):
        Saver([v], max_to_keep=-1)


def test_names_that_cannot_be_stored(tmp_path):
    saver = Saver({"a": K.variable(1.0), "a/b": K.variable(2.0)})
    with pytest.raises(SavingError, match="variable 'a/b' cannot be stored"):
        saver.save(None, str(tmp_path / "m"))
    assert os.listdir(tmp_path) == []


def test_other_files_are_refused(tmp_path):
    v = K.variable(np.zeros(3, "float32"), name="v")
    with h5py.File(tmp_path / "other.h5", "w") as handle:
        handle["v:0"] = np.zeros(3, "float32")
    with pytest.raises(SavingError, match="not a graph checkpoint written by Saver.save"):
        Saver([v]).restore(None, str(tmp_path / "other.h5"))
    (tmp_path / "text.h5").write_text("hello, this is text")
    with pytest.raises(SavingError, match="not an HDF5 file"):
        Saver([v]).restore(None, str(tmp_path / "text.h5"))
    with pytest.raises(FileNotFoundError):
        Saver([v]).restore(None, str(tmp_path / "none.h5"))
    (tmp_path / "checkpoint.json").write_text("{not json")
    with pytest.raises(SavingError, match="checkpoint.json.*not a readable checkpoint list"):
        latest_checkpoint(str(tmp_path))
