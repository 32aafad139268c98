"""Sources: from_tensor_slices, from_tensors, from_generator, range; specs and iterators."""
import collections

import numpy as np
import pytest

from hilayers.data import UNKNOWN, Dataset, DatasetIterator, TensorSpec


def test_from_tensor_slices_of_nested_structures():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    y = np.array([0, 1, 0, 1])
    ds = Dataset.from_tensor_slices({"features": (x, x * 2), "label": y})
    elements = list(ds)
    assert len(elements) == ds.cardinality() == len(ds) == 4
    first = elements[0]
    assert set(first) == {"features", "label"}
    np.testing.assert_array_equal(first["features"][1], x[0] * 2)
    assert first["label"].shape == () and isinstance(first["label"], np.ndarray)
    assert ds.element_spec == {"features": (TensorSpec((3,), "float32"),
                                            TensorSpec((3,), "float32")),
                               "label": TensorSpec((), y.dtype)}


def test_elements_are_copies_of_the_source():
    x = np.zeros((3, 2))
    for row in Dataset.from_tensor_slices(x):
        row += 1
    for value in Dataset.from_tensors(x):
        value += 1
    assert not x.any()


def test_from_tensor_slices_errors():
    with pytest.raises(ValueError, match=r"same first dimension; received shapes \(3,\), \(4,\)"):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match="received a scalar.*from_tensors"):
        Dataset.from_tensor_slices(5)
    with pytest.raises(TypeError, match="ragged|Pad ragged"):
        Dataset.from_tensor_slices([[1, 2], [3]])
    with pytest.raises(TypeError, match="object array"):
        Dataset.from_tensor_slices([None, None])


def test_lists_are_arrays_and_namedtuples_are_kept():
    assert Dataset.from_tensor_slices([[1, 2], [3, 4]]).element_spec == TensorSpec((2,), "int64")
    Pair = collections.namedtuple("Pair", "a b")
    element = next(iter(Dataset.from_tensor_slices(Pair(np.arange(3), np.arange(3.0)))))
    assert isinstance(element, Pair) and element.b.dtype == np.float64


def test_from_tensors_is_one_element():
    ds = Dataset.from_tensors((np.ones((2, 2)), 3))
    (a, b), = list(ds)
    assert a.shape == (2, 2) and int(b) == 3 and ds.cardinality() == 1
    assert ds.element_spec == (TensorSpec((2, 2), "float64"), TensorSpec((), "int64"))


def test_range():
    assert [int(v) for v in Dataset.range(5)] == [0, 1, 2, 3, 4]
    assert [int(v) for v in Dataset.range(10, 0, -4)] == [10, 6, 2]
    assert Dataset.range(10, 0, -4).cardinality() == 3
    assert Dataset.range(3, dtype="float32").element_spec == TensorSpec((), "float32")
    with pytest.raises(ValueError, match="1 to 3 ints"):
        Dataset.range(1.5)


def _ragged(n):
    for i in range(n):
        yield np.arange(i + 1, dtype=np.float64), i % 2


def test_from_generator_checks_and_converts_each_element():
    sig = (TensorSpec((None,), "float32"), TensorSpec((), "int32"))
    ds = Dataset.from_generator(_ragged, output_signature=sig, args=(3,))
    assert ds.cardinality() == UNKNOWN and ds.element_spec == sig
    elements = list(ds)
    assert [a.tolist() for a, _ in elements] == [[0.0], [0.0, 1.0], [0.0, 1.0, 2.0]]
    assert elements[0][0].dtype == np.float32 and elements[0][1].dtype == np.int32
    assert len(list(ds)) == 3        # the callable is called again for each pass
    with pytest.raises(TypeError, match="unknown until it is iterated"):
        len(ds)


def test_from_generator_accepts_lists_and_dicts():
    def gen():
        yield [1, 2.5]
        yield {"k": 1}
    sig = (TensorSpec((), "int64"), TensorSpec((), "float32"))
    it = iter(Dataset.from_generator(gen, output_signature=sig))
    a, b = next(it)
    assert a.dtype == np.int64 and b.dtype == np.float32
    with pytest.raises(TypeError, match=r"element 1 should be a tuple of 2; received a dict"):
        next(it)


@pytest.mark.parametrize("value, message", [
    (np.zeros((2, 2), np.float32), r"element 0 has shape \(2, 2\); the output_signature "
                                   r"declares \(None,\)"),
    (np.array(["a", "b"]), "element 0 has dtype <U1; the output_signature declares float32"),
    (np.array([1.5, 2.0]), None),
])
def test_from_generator_rejects_what_does_not_fit(value, message):
    ds = Dataset.from_generator(lambda: iter([value]),
                                output_signature=TensorSpec((None,), "float32"))
    if message is None:
        assert next(iter(ds)).dtype == np.float32
    else:
        with pytest.raises(TypeError, match=message):
            list(ds)


def test_from_generator_refuses_floats_into_ints_and_generator_objects():
    ds = Dataset.from_generator(lambda: iter([1.5]), output_signature=TensorSpec((), "int32"))
    with pytest.raises(TypeError, match="dtype float64; the output_signature declares int32"):
        list(ds)
    with pytest.raises(TypeError, match="not a generator object"):
        Dataset.from_generator(_ragged(2), output_signature=TensorSpec((None,)))
    with pytest.raises(TypeError, match="needs output_signature="):
        Dataset.from_generator(_ragged)
    with pytest.raises(TypeError, match="leaves must be TensorSpec"):
        Dataset.from_generator(_ragged, output_signature=((None,), "float32"))


def test_from_generator_closes_the_generator_when_stopped_early():
    closed = []

    def gen():
        try:
            yield from range(100)
        finally:
            closed.append(True)
    ds = Dataset.from_generator(gen, output_signature=TensorSpec((), "int64"))
    for v in ds:
        if v == 2:
            break
    assert closed == [True]


def test_iterators():
    ds = Dataset.range(3)
    it = ds.as_numpy_iterator()
    assert isinstance(it, DatasetIterator) and iter(it) is it
    assert it.element_spec == TensorSpec((), "int64")
    assert [int(v) for v in it] == [0, 1, 2] and it.closed
    with pytest.raises(StopIteration):
        next(it)
    assert "closed" in repr(it) and "RangeDataset cardinality=3" in repr(ds)
    # Two iterators over one dataset are independent.
    a, b = iter(ds), iter(ds)
    assert (int(next(a)), int(next(a)), int(next(b))) == (0, 1, 0)
    a.close()
    b.close()
    assert bool(Dataset.range(3).repeat())       # no len() needed for truth


def test_element_spec_of_a_map_runs_the_pipeline_for_one_element_only():
    calls = []
    ds = Dataset.range(100).map(lambda v: calls.append(1) or (v, np.zeros(3)))
    assert ds.element_spec == (TensorSpec((), "int64"), TensorSpec((3,), "float64"))
    assert len(calls) == 1
    with pytest.raises(ValueError, match="Cannot infer the element_spec of map"):
        Dataset.range(0).map(lambda v: v).element_spec
