"""map, filter, repeat, take, skip, shard, zip, concatenate, enumerate; cardinality; specs."""
import numpy as np
import pytest

from hilayers.data import INFINITE, UNKNOWN, Dataset, DatasetError, TensorSpec


def _values(dataset):
    return [int(v) for v in dataset]


def test_map_calling_convention():
    pairs = Dataset.from_tensor_slices((np.arange(3), np.arange(3) * 10))
    assert [int(v) for v in pairs.map(lambda a, b: a + b)] == [0, 11, 22]
    dicts = Dataset.from_tensor_slices({"a": np.arange(3)})
    assert [int(v) for v in dicts.map(lambda d: d["a"] * 2)] == [0, 2, 4]
    # A returned list is a tuple, lists inside it are arrays; Python scalars are 0-d arrays.
    element = next(iter(Dataset.range(1).map(lambda v: [v, 2.5, {"ids": [1, 2, 3]}])))
    assert isinstance(element, tuple) and element[1].dtype == np.float64
    assert element[2]["ids"].shape == (3,)


def test_map_result_that_is_not_an_element_is_an_error():
    with pytest.raises(DatasetError, match="TypeError on element 0.*object array"):
        list(Dataset.range(2).map(lambda v: None))


def test_filter():
    assert _values(Dataset.range(10).filter(lambda v: v % 3 == 0)) == [0, 3, 6, 9]
    assert _values(Dataset.range(4).filter(lambda v: True)) == [0, 1, 2, 3]
    with pytest.raises(TypeError, match="filter\\(\\) needs a callable"):
        Dataset.range(3).filter(None)


def test_repeat_take_skip_shard():
    assert _values(Dataset.range(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert _values(Dataset.range(3).repeat(0)) == []
    assert _values(Dataset.range(3).repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert _values(Dataset.range(0).repeat()) == []          # an empty input ends
    assert _values(Dataset.range(5).take(-1)) == [0, 1, 2, 3, 4]
    assert _values(Dataset.range(5).skip(2)) == [2, 3, 4]
    assert _values(Dataset.range(5).skip(-1)) == []
    assert _values(Dataset.range(10).shard(4, 3)) == [3, 7]
    shards = [_values(Dataset.range(10).shard(3, i)) for i in range(3)]
    assert sorted(sum(shards, [])) == list(range(10))


def test_take_does_not_pull_more_than_it_needs():
    pulled = []
    ds = Dataset.range(100).map(lambda v: pulled.append(int(v)) or v).take(3)
    assert _values(ds) == [0, 1, 2] and pulled == [0, 1, 2]


def test_zip_and_concatenate():
    a, b = Dataset.range(3), Dataset.range(10, 15)
    assert [(int(x), int(y)) for x, y in Dataset.zip(a, b)] == [(0, 10), (1, 11), (2, 12)]
    named = Dataset.zip({"a": a, "b": (b, a)})
    first = next(iter(named))
    assert int(first["b"][0]) == 10
    assert named.element_spec == {"a": TensorSpec((), "int64"),
                                  "b": (TensorSpec((), "int64"), TensorSpec((), "int64"))}
    assert _values(a.concatenate(b)) == [0, 1, 2, 10, 11, 12, 13, 14]
    batches = Dataset.range(5).batch(2, drop_remainder=True).concatenate(
        Dataset.range(3).batch(3, drop_remainder=True))
    assert batches.element_spec == TensorSpec((None,), "int64")
    with pytest.raises(TypeError, match="zip\\(\\) takes Datasets"):
        Dataset.zip(a, [1, 2])
    with pytest.raises(TypeError, match="same structure and dtypes; dtypes differ"):
        a.concatenate(Dataset.range(3, dtype="float32"))
    with pytest.raises(ValueError, match="same structure and dtypes; Structures differ"):
        a.concatenate(Dataset.zip(a, a))


def test_enumerate():
    pairs = [(int(i), int(v)) for i, v in Dataset.range(5, 8).enumerate(start=10)]
    assert pairs == [(10, 5), (11, 6), (12, 7)]
    assert Dataset.range(3).enumerate().element_spec == (TensorSpec((), "int64"),
                                                         TensorSpec((), "int64"))


@pytest.mark.parametrize("build, expected", [
    (lambda: Dataset.range(10), 10),
    (lambda: Dataset.range(10).repeat(3), 30),
    (lambda: Dataset.range(10).repeat(), INFINITE),
    (lambda: Dataset.range(0).repeat(), 0),
    (lambda: Dataset.range(10).repeat().take(4), 4),
    (lambda: Dataset.range(10).take(40), 10),
    (lambda: Dataset.range(10).skip(4), 6),
    (lambda: Dataset.range(10).skip(40), 0),
    (lambda: Dataset.range(10).repeat().skip(4), INFINITE),
    (lambda: Dataset.range(10).shard(3, 0), 4),
    (lambda: Dataset.range(10).shard(3, 2), 3),
    (lambda: Dataset.range(10).batch(4), 3),
    (lambda: Dataset.range(10).batch(4, drop_remainder=True), 2),
    (lambda: Dataset.range(10).batch(4).unbatch(), UNKNOWN),
    (lambda: Dataset.range(10).filter(lambda v: v > 3), UNKNOWN),
    (lambda: Dataset.range(10).filter(lambda v: v > 3).repeat(2), UNKNOWN),
    (lambda: Dataset.range(10).repeat().filter(lambda v: v > 3), INFINITE),
    (lambda: Dataset.range(10).filter(lambda v: v > 3).take(2), UNKNOWN),
    (lambda: Dataset.zip(Dataset.range(3), Dataset.range(5)), 3),
    (lambda: Dataset.zip(Dataset.range(3).repeat(), Dataset.range(5)), 5),
    (lambda: Dataset.zip(Dataset.range(3).repeat(), Dataset.range(5).repeat()), INFINITE),
    (lambda: Dataset.range(3).concatenate(Dataset.range(4)), 7),
    (lambda: Dataset.range(3).concatenate(Dataset.range(4).repeat()), INFINITE),
    (lambda: Dataset.range(10).map(lambda v: v).shuffle(4).cache().prefetch(2), 10),
    (lambda: Dataset.range(10).enumerate().padded_batch(3), 4),
])
def test_cardinality(build, expected):
    ds = build()
    assert ds.cardinality() == expected
    if expected >= 0:
        assert len(list(ds)) == expected


def test_len_of_an_infinite_dataset_is_an_error():
    with pytest.raises(TypeError, match="infinite"):
        len(Dataset.range(3).repeat())


@pytest.mark.parametrize("call, message", [
    (lambda: Dataset.range(3).take(-2), "take\\(\\): count must be an int >= 0 or -1; "
                                        "received -2"),
    (lambda: Dataset.range(3).skip(1.5), "skip\\(\\): count must be"),
    (lambda: Dataset.range(3).repeat(-5), "repeat\\(\\): count"),
    (lambda: Dataset.range(3).shard(0, 0), "num_shards must be an int >= 1"),
    (lambda: Dataset.range(3).shard(2, 2), "index must be in \\[0, 1\\] for num_shards=2; "
                                           "received 2"),
    (lambda: Dataset.range(3).enumerate("a"), "start must be an int"),
])
def test_argument_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
