"""batch, padded_batch and unbatch."""
import numpy as np
import pytest

from hilayers.data import Dataset, TensorSpec


def _ragged(n):
    """Elements (arange(k) + 1, k) for k = 1..n: vectors of growing length."""
    return Dataset.range(1, n + 1).map(lambda k: (np.arange(k) + 1, k))


def test_batch_stacks_leaf_by_leaf():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    ds = Dataset.from_tensor_slices({"x": x, "y": np.arange(10)}).batch(4)
    batches = list(ds)
    assert [b["x"].shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate([b["x"] for b in batches]), x)
    assert ds.element_spec == {"x": TensorSpec((None, 2), "float32"),
                               "y": TensorSpec((None,), "int64")}
    dropped = Dataset.from_tensor_slices(x).batch(4, drop_remainder=True)
    assert [b.shape for b in dropped] == [(4, 2), (4, 2)]
    assert dropped.element_spec == TensorSpec((4, 2), "float32")


def test_batch_of_different_shapes_points_to_padded_batch():
    with pytest.raises(ValueError, match=r"shapes \(1,\), \(2,\).*padded_batch"):
        list(_ragged(3).batch(2))
    with pytest.raises(ValueError, match="batch_size must be an int >= 1; received 0"):
        Dataset.range(3).batch(0)


def test_batch_of_different_structures_is_an_error():
    mixed = Dataset.range(4).map(lambda v: {"a": v} if v < 2 else {"b": v})
    assert [b["a"].tolist() for b in mixed.batch(2).take(1)] == [[0, 1]]
    with pytest.raises(ValueError, match="Structures differ at element: a dict with keys "
                                         r"\['a'\] vs a dict with keys \['b'\]"):
        list(mixed.batch(4))


def test_padded_batch_pads_to_the_longest():
    ds = _ragged(4).padded_batch(3)
    (vectors, lengths), (last, _) = list(ds)
    assert vectors.tolist() == [[1, 0, 0], [1, 2, 0], [1, 2, 3]]
    assert lengths.tolist() == [1, 2, 3]
    assert last.tolist() == [[1, 2, 3, 4]]
    assert ds.element_spec[1] == TensorSpec((None,), "int64")


def test_padded_batch_with_shapes_and_values():
    ds = _ragged(3).padded_batch(3, padded_shapes=([5], []), padding_values=(-1, 0),
                                 drop_remainder=True)
    vectors, _ = next(iter(ds))
    assert vectors.tolist() == [[1, -1, -1, -1, -1], [1, 2, -1, -1, -1], [1, 2, 3, -1, -1]]
    assert ds.element_spec[0] == TensorSpec((3, 5), "int64")
    assert _ragged(2).padded_batch(2, padded_shapes=([-1], [])).element_spec[0] == \
        TensorSpec((None, None), "int64")


def test_padded_batch_of_strings_and_booleans():
    words = Dataset.from_tensor_slices(np.array(["a", "bb", "ccc"])).map(
        lambda w: (np.array(list(str(w))), np.ones(len(str(w)), bool)))
    chars, mask = next(iter(words.padded_batch(3)))
    assert chars.tolist() == [["a", "", ""], ["b", "b", ""], ["c", "c", "c"]]
    assert mask.sum() == 6 and mask.dtype == np.bool_


def test_padded_batch_errors():
    with pytest.raises(ValueError, match=r"element of shape \(3,\), larger than the padded "
                                         r"shape \(2,\)"):
        list(_ragged(3).padded_batch(3, padded_shapes=([2], [])))
    with pytest.raises(ValueError, match="rank 2; its elements have rank 1"):
        list(_ragged(3).padded_batch(3, padded_shapes=([2, 2], [])))
    with pytest.raises(ValueError, match="padded_shapes must have the element's structure"):
        list(_ragged(3).padded_batch(3, padded_shapes=([2], [], [])))
    with pytest.raises(ValueError, match="different ranks"):
        list(Dataset.range(2).map(lambda v: np.zeros([2] * int(v + 1))).padded_batch(2))


def test_unbatch_inverts_batch():
    x = np.arange(14).reshape(7, 2)
    ds = Dataset.from_tensor_slices((x, np.arange(7))).batch(3).unbatch()
    rows = list(ds)
    assert len(rows) == 7 and rows[2][0].tolist() == [4, 5] and rows[2][1].shape == ()
    assert ds.element_spec == (TensorSpec((2,), "int64"), TensorSpec((), "int64"))


def test_unbatch_errors():
    with pytest.raises(ValueError, match="same first dimension"):
        list(Dataset.from_tensors((np.zeros(2), np.zeros(3))).unbatch())
    with pytest.raises(ValueError, match="scalar leaf"):
        Dataset.range(3).unbatch().element_spec
    with pytest.raises(ValueError, match="scalar leaf"):
        list(Dataset.range(3).unbatch())
