"""TensorSpec and nested structures."""
import collections

import numpy as np
import pytest

from hilayers.data import TensorSpec
from hilayers.data.structure import (assert_same_structure, check_against_spec, common_spec,
                                     flatten, map_structure, normalize, pack_like, spec_of)


def test_tensor_spec_basics():
    spec = TensorSpec([None, 3], np.float32)
    assert spec.shape == (None, 3) and spec.rank == 2 and spec.dtype == np.float32
    assert repr(spec) == "TensorSpec(shape=(None, 3), dtype=float32)"
    assert spec == TensorSpec((None, 3), "float32") and hash(spec) == hash(
        TensorSpec((None, 3), "float32"))
    assert spec != TensorSpec((None, 3), "float64")
    assert spec.is_compatible_with(TensorSpec((7, 3), "float32"))
    assert not spec.is_compatible_with(np.zeros((7, 3, 1), np.float32))
    assert TensorSpec(None).is_compatible_with(np.zeros((1, 2, 3), np.float32))
    assert repr(TensorSpec(None, "int32")) == "TensorSpec(shape=<unknown>, dtype=int32)"
    assert TensorSpec((), str).is_compatible_with(np.array("hello"))
    with pytest.raises(ValueError, match=r"non-negative ints or None; received shape \(-1, 2\)"):
        TensorSpec((-1, 2))


def test_most_specific_common():
    a, b = TensorSpec((4, 3), "int64"), TensorSpec((2, 3), "int64")
    assert a.most_specific_common(b) == TensorSpec((None, 3), "int64")
    assert a.most_specific_common(TensorSpec((4,), "int64")) == TensorSpec(None, "int64")
    with pytest.raises(TypeError, match="dtypes differ: int64 and float32"):
        a.most_specific_common(TensorSpec((4, 3), "float32"))
    assert common_spec((a, {"k": a}), (b, {"k": a})) == (TensorSpec((None, 3), "int64"),
                                                         {"k": a})


def test_flatten_and_pack_follow_sorted_dict_keys():
    Point = collections.namedtuple("Point", "x y")
    element = {"z": Point(1, 2), "a": (3, {"q": 4})}
    assert flatten(element) == [3, 4, 1, 2]
    rebuilt = pack_like(element, [30, 40, 10, 20])
    assert rebuilt == {"z": Point(10, 20), "a": (30, {"q": 40})}
    assert list(rebuilt) == ["z", "a"] and isinstance(rebuilt["z"], Point)
    with pytest.raises(ValueError, match="has 4 leaves; received 3"):
        pack_like(element, [1, 2, 3])


def test_map_structure_and_assert_same_structure():
    assert map_structure(lambda a, b: a * b, (2, {"k": 3}), (5, {"k": 7})) == (10, {"k": 21})
    with pytest.raises(ValueError, match=r"Structures differ at element\[1\]: a dict with keys "
                                         r"\['k'\] vs a dict with keys \['j'\]"):
        assert_same_structure((1, {"k": 2}), (1, {"j": 2}))
    with pytest.raises(ValueError, match="a tuple of 2 vs a tuple of 3"):
        assert_same_structure((1, 2), (1, 2, 3))


def test_normalize_and_spec_of():
    element = normalize({"img": [[1.0, 2.0]], "label": 3, "ok": True, "name": "x"})
    assert spec_of(element) == {"img": TensorSpec((1, 2), "float64"),
                                "label": TensorSpec((), "int64"),
                                "ok": TensorSpec((), "bool"), "name": TensorSpec((), "U")}
    assert normalize(([1, 2], 3))[0].shape == (2,)
    with pytest.raises(TypeError, match=r"element\['k'\]: leaves must be numbers"):
        normalize({"k": object()})


def test_check_against_spec_messages():
    spec = {"a": TensorSpec((2,), "float32")}
    out = check_against_spec({"a": [1, 2]}, spec, "value")
    assert out["a"].dtype == np.float32
    with pytest.raises(TypeError, match=r"value should be a dict with keys \['a'\]; received "
                                        "a single array"):
        check_against_spec(np.zeros(2), spec, "value")
    with pytest.raises(TypeError, match="should be a single array"):
        check_against_spec((1, 2), TensorSpec((2,)), "value")
