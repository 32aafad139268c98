"""Never lose or corrupt a file; never run code from one; refuse bad files clearly.

* A save that fails half-way (here: an exception in the middle of writing) leaves the
  previous file byte for byte, and no temporary file behind. (A real SIGKILL during saves is
  in test_resume_kill.py.)
* Loading refuses, with a SavingError naming the file and the problem, and before any
  large allocation: non-HDF5 and truncated files, files of another layout, external and
  soft links, virtual datasets, data in external files, unknown filters, declared shapes
  far larger than the file, configs asking for more weights than the file holds, damaged
  global heaps on which HDF5 itself would hang, string lengths far beyond the file.
* The saving code holds no pickle, marshal, eval or exec.
"""
import ast
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tracemalloc

import h5py
import numpy as np
import pytest

import hilayers.saving
from hilayers import Sequential, layers
from hilayers.saving import (SavingError, Saver, load_model, load_training_checkpoint,
                             save_training_checkpoint)
from hilayers.saving import hdf5_format


def _model():
    model = Sequential([layers.Dense(4, input_shape=(3,), name="d"), layers.Dense(2, name="e")])
    model.compile("adam", "mse")
    model.train_on_batch(np.ones((2, 3), "float32"), np.ones((2, 2), "float32"))
    return model


LOADERS = {
    "load_model": lambda path: load_model(path),
    "load_weights": lambda path: _model().load_weights(path),
    "load_training_checkpoint": lambda path: load_training_checkpoint(path, _model()),
    "Saver.restore": lambda path: Saver(_model().weights).restore(None, path),
}


@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize("content, problem", [
    (b"", "it is 0 bytes long, too short to be an HDF5 file"),
    (b"name,value\n1,2\n", "it is not an HDF5 file (no HDF5 signature; it starts with "
                           "b'name,val"),
    (b"PK\x03\x04" + bytes(100), "it is a zip archive (such as Keras 3's .keras format)"),
    (b"\x89HDF\r\n\x1a\n" + bytes(200), "HDF5 cannot open it"),
])
def test_files_that_are_not_hdf5(tmp_path, loader, content, problem):
    path = tmp_path / "file.h5"
    path.write_bytes(content)
    with pytest.raises(SavingError) as info:
        LOADERS[loader](path)
    assert info.value.path == str(path)
    assert str(info.value).startswith(f"Cannot load {str(path)!r}: {problem}")


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_a_folder_and_a_missing_file(tmp_path, loader):
    with pytest.raises(SavingError, match="it is a folder, not an HDF5 file"):
        LOADERS[loader](tmp_path)
    with pytest.raises(FileNotFoundError, match="No such file"):
        LOADERS[loader](tmp_path / "absent.h5")


def test_truncated_files_are_refused(tmp_path):
    _model().save(tmp_path / "m.h5")
    data = (tmp_path / "m.h5").read_bytes()
    for cut in (len(data) // 3, len(data) // 2, len(data) - 100):
        (tmp_path / "cut.h5").write_bytes(data[:cut])
        with pytest.raises(SavingError, match="corrupted or truncated") as info:
            load_model(tmp_path / "cut.h5")
        assert info.value.path == str(tmp_path / "cut.h5")


def _edited(tmp_path, edit, name="edited.h5"):
    _model().save(tmp_path / "good.h5")
    path = tmp_path / name
    shutil.copy(tmp_path / "good.h5", path)
    with h5py.File(path, "r+") as f:
        edit(f)
    return path


def _replace_kernel(f, make):
    del f["model_weights/d/d/kernel:0"]
    make(f["model_weights/d"], "d/kernel:0")


def _peak_while(action):
    """Run ``action``; return the exception it raised and the peak traced memory (bytes)."""
    tracemalloc.start()
    try:
        action()
    except SavingError as err:
        return err, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    raise AssertionError("no SavingError was raised")


def test_external_link(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.ones((3, 4), "float32")
    path = _edited(tmp_path, lambda f: _replace_kernel(
        f, lambda g, n: g.__setitem__(n, h5py.ExternalLink(str(tmp_path / "other.h5"), "/x"))))
    with pytest.raises(SavingError, match="'model_weights/d/d/kernel:0' is an external link "
                                          "to '.*other.h5'; hilayers never follows links to "
                                          "other files"):
        load_model(path)


def test_soft_link(tmp_path):
    path = _edited(tmp_path, lambda f: _replace_kernel(
        f, lambda g, n: g.__setitem__(n, h5py.SoftLink("/model_weights/e/e/kernel:0"))))
    with pytest.raises(SavingError, match="is a soft link to '/model_weights/e/e/kernel:0'"):
        load_model(path)


def test_virtual_dataset(tmp_path):
    with h5py.File(tmp_path / "source.h5", "w") as f:
        f["x"] = np.ones((3, 4), "float32")

    def make(group, name):
        layout = h5py.VirtualLayout(shape=(3, 4), dtype="float32")
        layout[:] = h5py.VirtualSource(str(tmp_path / "source.h5"), "x", shape=(3, 4))
        group.create_virtual_dataset(name, layout)
    path = _edited(tmp_path, lambda f: _replace_kernel(f, make))
    with pytest.raises(SavingError, match="dataset 'model_weights/d/d/kernel:0' is a virtual "
                                          "dataset \\(its data would come from other files"):
        load_model(path)


def test_data_in_external_files(tmp_path):
    (tmp_path / "raw.bin").write_bytes(np.ones((3, 4), "float32").tobytes())
    path = _edited(tmp_path, lambda f: _replace_kernel(f, lambda g, n: g.create_dataset(
        n, shape=(3, 4), dtype="float32", external=[(str(tmp_path / "raw.bin"), 0, 48)])))
    with pytest.raises(SavingError, match="keeps its data in external files"):
        load_model(path)


def test_unknown_filter(tmp_path):
    path = _edited(tmp_path, lambda f: _replace_kernel(f, lambda g, n: g.create_dataset(
        n, data=np.ones((3, 4), "float32"), compression=32001, allow_unknown_filter=True)))
    with pytest.raises(SavingError, match="uses HDF5 filter 32001; only gzip, shuffle, "
                                          "fletcher32 and lzf are read"):
        load_model(path)


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_declared_shape_far_larger_than_the_file(tmp_path, compression):
    path = _edited(tmp_path, lambda f: _replace_kernel(f, lambda g, n: g.create_dataset(
        n, shape=(100_000, 50_000), dtype="float32", chunks=(1000, 1000),
        compression=compression)))
    assert os.path.getsize(path) < 100_000
    err, peak = _peak_while(lambda: load_model(path))
    assert "declares shape (100000, 50000) of float32 (20000000000 bytes), far larger than " \
           "the file holds" in err.problem
    assert peak < 5_000_000          # bytes: refused before reading, let alone allocating


def test_config_asking_for_more_weights_than_the_file_holds(tmp_path):
    def widen(f):
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][1]["config"]["units"] = 3_000_000
        f.attrs["model_config"] = json.dumps(config).encode()
    path = _edited(tmp_path, widen)
    err, peak = _peak_while(lambda: load_model(path))
    assert "its model_config makes layer 'd' create weight 'kernel' of shape (3, 3000000), " \
           "beyond the" in err.problem and "the config does not match the weights" in \
           err.problem
    assert peak < 30_000_000         # the 36 MB kernel was never allocated


@pytest.mark.parametrize("edit, problem", [
    (lambda f: f.attrs.__delitem__("model_config"), "'/' has no 'model_config' attribute; "
                                                    "this is not a file in Keras' HDF5 layout"),
    (lambda f: f.attrs.__setitem__("model_config", b"{oops"),
     "attribute 'model_config' is not valid JSON"),
    (lambda f: f.attrs.__setitem__("model_config", np.arange(3)),
     "attribute 'model_config' of '/' should be text; found an array of shape (3,)"),
    (lambda f: f.__delitem__("model_weights"), "the file lists group 'model_weights' but has "
                                               "no group /model_weights"),
    (lambda f: f.__delitem__("model_weights/e"), "the file lists layer 'e' but has no group "
                                                 "/model_weights/e"),
    (lambda f: f.__delitem__("model_weights/e/e/bias:0"),
     "'/model_weights/e' lists weight 'e/bias:0', but the file has no dataset there"),
    (lambda f: (f.__delitem__("model_weights/e/e/bias:0"),
                f["model_weights/e"].create_dataset("e/bias:0", data=np.ones(5, "float32"))),
     "has shape (2,) in the model, but the file's 'e/bias:0' has shape (5,). Pass "
     "skip_mismatch=True"),
    (lambda f: (f.__delitem__("model_weights/e/e/bias:0"),
                f["model_weights/e"].create_dataset("e/bias:0", data=np.array([b"a", b"b"]))),
     "dataset 'model_weights/e/e/bias:0' has dtype |S1; weights are numbers"),
    (lambda f: f["model_weights"].attrs.__setitem__("layer_names", np.array([b"d"])),
     "the file has weights for 1 layers ['d'], but model 'sequential"),
])
def test_files_of_the_wrong_schema(tmp_path, edit, problem):
    path = _edited(tmp_path, edit)
    with pytest.raises(SavingError) as info:
        load_model(path)
    assert info.value.path == str(path)
    assert problem in info.value.problem, info.value.problem


KERAS_FILE = pathlib.Path(__file__).parent / "fixtures" / "tfkeras2_mlp.h5"


def test_hilayers_files_have_no_global_heap(tmp_path):
    model = _model()
    model.save(tmp_path / "m.h5")
    model.save_weights(tmp_path / "w.h5")
    save_training_checkpoint(tmp_path / "c.h5", model, epoch=1)
    for name in ("m.h5", "w.h5", "c.h5"):
        assert b"GCOL" not in (tmp_path / name).read_bytes()
    assert b"GCOL" in KERAS_FILE.read_bytes()       # Keras writes variable-length strings


def _damage_global_heap(tmp_path, offset_in_heap, replacement):
    """A Keras file whose first global heap collection (where its text attributes live)
    has ``replacement`` written at ``offset_in_heap``."""
    data = bytearray(KERAS_FILE.read_bytes())
    start = data.find(b"GCOL")
    assert start > 0
    data[start + offset_in_heap:start + offset_in_heap + len(replacement)] = replacement
    path = tmp_path / "heap.h5"
    path.write_bytes(bytes(data))
    return path, start


def test_global_heap_that_would_stall_hdf5(tmp_path):
    # The first entry after the 16-byte collection header becomes a free-space entry of
    # size 0: HDF5 itself would loop forever reading any text attribute.
    path, start = _damage_global_heap(tmp_path, 16, bytes(16))
    with pytest.raises(SavingError, match=f"its global heap collection at byte {start} is "
                                          f"damaged \\(an entry of size 0 at byte "
                                          f"{start + 16}, where HDF5 would stop responding"):
        load_model(path)


def test_global_heap_entry_past_its_collection(tmp_path):
    # An entry header of 0xff bytes: a size that HDF5's 64-bit sums wrap around to a step
    # of 16 bytes, walking into whatever follows.
    path, start = _damage_global_heap(tmp_path, 16, b"\xff" * 16)
    with pytest.raises(SavingError, match=f"an entry at byte {start + 16} claims "
                                          f"{2**64 - 1} bytes, beyond the collection's end"):
        load_model(path)


def test_global_heap_larger_than_the_file(tmp_path):
    path, start = _damage_global_heap(tmp_path, 8, (2**40).to_bytes(8, "little"))
    with pytest.raises(SavingError, match=f"its global heap collection at byte {start} "
                                          f"declares {2**40} bytes, more than the"):
        load_model(path)


# The child's own peak resident set (VmHWM): ru_maxrss would also count the parent's peak,
# which a child started with vfork then exec inherits.
CHILD_LOAD = """
import sys, time
from hilayers.saving import SavingError, load_model
start = time.monotonic()
try:
    load_model(sys.argv[1])
    outcome = "loaded"
except SavingError as err:
    outcome = err.problem
with open("/proc/self/status") as status:
    peak_kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
print(time.monotonic() - start, peak_kb)
print(outcome)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the ceiling is Linux's")
def test_string_length_far_beyond_the_file(tmp_path):
    # The descriptor of a variable-length string says 3.75 GB: HDF5 would allocate (and
    # clear) that much before finding that the heap holds 1,461 bytes.
    data = bytearray(KERAS_FILE.read_bytes())
    heap = data.find(b"GCOL").to_bytes(8, "little")
    descriptor = data.find(heap) - 4
    while int.from_bytes(data[descriptor:descriptor + 4], "little") != 1461:  # model_config
        descriptor = data.find(heap, descriptor + 5) - 4
    data[descriptor:descriptor + 4] = (0xF0000000).to_bytes(4, "little")
    path = tmp_path / "long_string.h5"
    path.write_bytes(bytes(data))
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(__file__).parents[2]))
    done = subprocess.run([sys.executable, "-c", CHILD_LOAD, str(path)], env=env,
                          capture_output=True, text=True, timeout=120)
    seconds, peak_kb = done.stdout.split("\n")[0].split()
    assert "attribute 'model_config' of '/' cannot be read" in done.stdout, done.stdout
    assert int(peak_kb) < 1_000_000                    # far below the 3.75 GB asked for
    assert float(seconds) < 5


def test_class_names_never_import_anything(tmp_path):
    def rename(f):
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][1]["class_name"] = "os.system"
        f.attrs["model_config"] = json.dumps(config).encode()
    with pytest.raises(SavingError, match="Unknown layer 'os.system'"):
        load_model(_edited(tmp_path, rename))


def test_saving_code_has_no_pickle_marshal_eval_or_exec():
    folder = pathlib.Path(hilayers.saving.__file__).parent
    for source in sorted(folder.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert not {"pickle", "marshal", "dill", "cloudpickle"} & set(names), source
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "compile", "__import__"), source
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("allow_pickle", "import_module"), source


# -- a save that fails half-way ----------------------------------------------------------------
class Interrupted(Exception):
    pass


def _fail_after(monkeypatch, count):
    """Make the count-th dataset written by hdf5_format.write_arrays raise."""
    real = hdf5_format.write_arrays
    calls = {"n": 0}

    def failing(group, named_arrays, compression=None):
        calls["n"] += 1
        if calls["n"] == count:
            group.create_dataset("half_written", data=np.ones(10))
            raise Interrupted("the power went out")
        return real(group, named_arrays, compression)
    for module in ("weights", "model_io", "checkpoint"):
        monkeypatch.setattr(f"hilayers.saving.{module}.write_arrays", failing)


@pytest.mark.parametrize("save", [
    lambda model, path: model.save(path),
    lambda model, path: model.save_weights(path),
    lambda model, path: save_training_checkpoint(path, model, epoch=3),
], ids=["save", "save_weights", "save_training_checkpoint"])
def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch, save):
    model = _model()
    path = tmp_path / "target.h5"
    save(model, path)
    before = path.read_bytes()
    model.set_weights([w + 1 for w in model.get_weights()])
    _fail_after(monkeypatch, 2)
    with pytest.raises(Interrupted):
        save(model, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["target.h5"]          # no temporary file left


def test_a_failed_graph_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model = _model()
    saver = Saver(model.weights)
    path = saver.save(None, str(tmp_path / "graph"))
    before = pathlib.Path(path).read_bytes()

    def broken(*args, **kwargs):
        raise Interrupted("disk full")
    monkeypatch.setattr(h5py.Group, "create_dataset", broken)
    with pytest.raises(Interrupted):
        saver.save(None, str(tmp_path / "graph"))
    assert pathlib.Path(path).read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.json", "graph.h5"]
