"""cache in memory and in a folder: replay, partial passes, safe files."""
import json
import os

import numpy as np
import pytest

from hilayers.data import Dataset, DatasetError, TensorSpec


class Counter:
    """A map function that counts its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, v):
        self.calls += 1
        return {"v": v, "sq": np.full((2,), v * v), "name": np.array(f"n{int(v)}")}


def test_memory_cache_replays_the_first_complete_pass():
    counter = Counter()
    ds = Dataset.range(5).map(counter).cache()
    first = [int(e["sq"][0]) for e in ds]
    assert [int(e["sq"][0]) for e in ds] == first == [0, 1, 4, 9, 16]
    assert counter.calls == 5


def test_a_partial_pass_is_not_cached():
    counter = Counter()
    ds = Dataset.range(5).map(counter).cache()
    for e in ds:
        if int(e["v"]) == 1:
            break
    assert len(list(ds)) == 5 and counter.calls == 2 + 5
    assert len(list(ds)) == 5 and counter.calls == 7


def test_cached_arrays_are_read_only():
    ds = Dataset.range(3).map(lambda v: np.full(2, v)).cache()
    list(ds)
    with pytest.raises(DatasetError, match="read-only"):
        list(ds.map(_add_in_place))
    assert [a.tolist() for a in ds.map(lambda a: a + 1)] == [[1, 1], [2, 2], [3, 3]]


def _add_in_place(a):
    a += 1
    return a


def test_cache_then_shuffle_reshuffles_the_cached_elements():
    counter = Counter()
    ds = Dataset.range(10).map(counter).cache().shuffle(10, seed=0)
    orders = [[int(e["v"]) for e in ds] for _ in range(2)]
    assert orders[0] != orders[1] and sorted(orders[0]) == list(range(10))
    assert counter.calls == 10


def test_file_cache_round_trip(tmp_path):
    folder = tmp_path / "cache"
    counter = Counter()
    ds = Dataset.range(7).map(counter).cache(str(folder))
    written = list(ds)
    assert counter.calls == 7 and (folder / "manifest.json").is_file()
    assert not [p for p in os.listdir(tmp_path) if ".tmp-" in p]
    # A new pipeline (even another program) reads the folder and never runs its input.
    other = Counter()
    replayed = list(Dataset.range(7).map(other).cache(folder))
    assert other.calls == 0 and len(replayed) == 7
    for a, b in zip(written, replayed):
        assert set(a) == set(b)
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
            assert a[key].dtype == b[key].dtype
    assert replayed[3]["name"].item() == "n3"


def test_file_cache_of_varying_shapes_and_many_chunks(tmp_path, monkeypatch):
    from hilayers.data import cache
    monkeypatch.setattr(cache, "CHUNK_ELEMENTS", 4)
    ds = Dataset.range(10).map(lambda v: (np.arange(int(v)), v)).cache(tmp_path / "ragged")
    first = [(a.tolist(), int(b)) for a, b in ds]
    assert len(os.listdir(tmp_path / "ragged")) == 3 + 1
    assert [(a.tolist(), int(b)) for a, b in ds] == first


def test_a_partial_file_cache_is_never_read(tmp_path):
    folder = tmp_path / "partial"
    counter = Counter()
    ds = Dataset.range(50).map(counter).cache(folder)
    for e in ds:
        if int(e["v"]) == 10:
            break
    assert not folder.exists() and os.listdir(tmp_path) == []     # the temp folder is gone

    def fail_at_20(v):
        if v == 20:
            raise OSError("disk full")
        return v
    with pytest.raises(DatasetError, match="element 20"):
        list(Dataset.range(50).map(fail_at_20).cache(folder))
    assert os.listdir(tmp_path) == []
    assert len(list(ds)) == 50 and folder.exists()


def test_a_stale_temporary_folder_is_ignored(tmp_path):
    folder = tmp_path / "c"
    stale = tmp_path / "c.tmp-1-deadbeef"
    stale.mkdir()
    (stale / "manifest.json").write_text("{}")
    assert [int(v) for v in Dataset.range(3).cache(folder)] == [0, 1, 2]
    assert [int(v) for v in Dataset.range(0).cache(folder)] == [0, 1, 2]


def test_file_cache_never_pickles(tmp_path, monkeypatch):
    calls = []
    original = np.load

    def spying_load(*args, **kwargs):
        calls.append(kwargs.get("allow_pickle"))
        return original(*args, **kwargs)
    folder = tmp_path / "c"
    list(Dataset.range(3).cache(folder))
    monkeypatch.setattr(np, "load", spying_load)
    list(Dataset.range(3).cache(folder))
    assert calls == [False]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == "hilayers.data.cache" and manifest["elements"] == 3


def test_file_cache_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list(Dataset.range(3).cache(tmp_path / "missing" / "c"))
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a complete hilayers cache"):
        list(Dataset.range(3).cache(occupied))
    assert (occupied / "notes.txt").read_text() == "mine"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.json").write_text(json.dumps({"format": "other", "version": 9}))
    with pytest.raises(ValueError, match="not a hilayers cache of version 1"):
        list(Dataset.range(3).cache(bad))
    with pytest.raises(TypeError, match="filename must be a path"):
        Dataset.range(3).cache(3)


def test_cache_keeps_the_element_spec(tmp_path):
    ds = Dataset.from_tensor_slices((np.zeros((4, 2), np.float32), np.arange(4))).cache(
        tmp_path / "c")
    assert ds.element_spec == (TensorSpec((2,), "float32"), TensorSpec((), "int64"))
    assert not (tmp_path / "c").exists()        # asking for the spec writes nothing
