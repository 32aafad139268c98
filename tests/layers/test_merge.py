"""Merge layers: the harness for each, values against NumPy, broadcasting and errors."""
import numpy as np
import pytest

from hilayers import backend as K
from hilayers.layers import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,
                             Subtract)

from .harness import layer_test

ELEMENTWISE = [
    (Add, lambda xs: sum(xs)),
    (Multiply, lambda xs: np.prod(xs, axis=0)),
    (Average, lambda xs: np.mean(xs, axis=0)),
    (Maximum, lambda xs: np.max(xs, axis=0)),
    (Minimum, lambda xs: np.min(xs, axis=0)),
]


@pytest.mark.parametrize("cls, reference", ELEMENTWISE, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("shapes", [[(2, 3), (2, 3)], [(2, 3, 4)] * 3])
def test_elementwise(cls, reference, shapes, rng):
    data = [rng.standard_normal(s) for s in shapes]
    data = [d.astype(np.float32) for d in data]
    out = layer_test(cls, {}, shapes, expected_weights=0, input_data=data)
    np.testing.assert_allclose(out[0], reference(np.stack(data)), rtol=1e-5)


def test_subtract(rng):
    data = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(2)]
    out = layer_test(Subtract, {}, [(2, 3), (2, 3)], expected_weights=0, input_data=data)
    np.testing.assert_allclose(out[0], data[0] - data[1], rtol=1e-6)


def test_broadcasting_keras2_rules(rng):
    a, b = K.placeholder((None, 4)), K.placeholder((None, 3, 4))
    c = K.placeholder((None, 1, 4))
    assert Add()([a, b]).shape == (None, 3, 4)
    assert Multiply()([b, c]).shape == (None, 3, 4)
    da, db = rng.standard_normal((2, 4)), rng.standard_normal((2, 3, 4))
    out = K.Session().run(Add()([a, b]), {a: da.astype(np.float32), b: db.astype(np.float32)})
    np.testing.assert_allclose(out, da[:, None, :] + db, rtol=1e-6)
    layer_test(Maximum, {}, [(2, 3, 4), (2, 1, 4)], expected_weights=0)


@pytest.mark.parametrize("axis, shapes", [
    (-1, [(2, 3), (2, 5)]),
    (1, [(2, 3, 4), (2, 1, 4), (2, 2, 4)]),
    (2, [(2, 3, 1), (2, 3, 2)]),
])
def test_concatenate(axis, shapes, rng):
    data = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    out = layer_test(Concatenate, dict(axis=axis), shapes, expected_weights=0, input_data=data)
    np.testing.assert_array_equal(out[0], np.concatenate(data, axis=axis))


def _batch_dot(x, y, a1, a2):
    out = np.stack([np.tensordot(xi, yi, axes=(a1 - 1, a2 - 1)) for xi, yi in zip(x, y)])
    return out.reshape(len(x), 1) if out.ndim == 1 else out


@pytest.mark.parametrize("axes, shapes, expected", [
    (1, [(3, 4), (3, 4)], (None, 1)),
    (-1, [(3, 2, 4), (3, 5, 4)], (None, 2, 5)),
    ((1, 2), [(3, 4), (3, 2, 4)], (None, 2)),
    ((1, 1), [(3, 2, 4), (3, 2, 5)], (None, 4, 5)),
    ((2, 1), [(3, 2, 4), (3, 4, 3, 2)], (None, 2, 3, 2)),
])
def test_dot(axes, shapes, expected, rng):
    data = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    out = layer_test(Dot, dict(axes=axes), shapes, expected_weights=0, input_data=data)
    pair = axes if isinstance(axes, tuple) else (axes, axes)
    pair = [a % len(s) for a, s in zip(pair, shapes)]
    np.testing.assert_allclose(out[0], _batch_dot(data[0], data[1], *pair), rtol=1e-5,
                               atol=1e-6)
    assert out[0].shape[1:] == expected[1:]


def test_dot_normalize_is_cosine_similarity(rng):
    data = [rng.standard_normal((4, 6)).astype(np.float32) for _ in range(2)]
    out = layer_test(Dot, dict(axes=1, normalize=True), [(4, 6), (4, 6)], expected_weights=0,
                     input_data=data)
    cos = (data[0] * data[1]).sum(1) / np.linalg.norm(data[0], axis=1) / np.linalg.norm(
        data[1], axis=1)
    np.testing.assert_allclose(out[0][:, 0], cos, rtol=1e-5)


def test_errors():
    a, b = K.placeholder((None, 3)), K.placeholder((None, 4))
    with pytest.raises(ValueError, match=r"Add layer 'add'.*received shapes \(None, 3\), "
                                         r"\(None, 4\)"):
        Add(name="add")([a, b])
    with pytest.raises(ValueError, match="must be called on a list of tensors"):
        Multiply()(a)
    with pytest.raises(ValueError, match="Subtract layer 's' expects exactly 2 inputs; "
                                         "received 3"):
        Subtract(name="s")([a, a, a])
    with pytest.raises(ValueError, match=r"Concatenate layer 'c': inputs must match on every "
                                         r"axis but the concatenation axis 0"):
        Concatenate(axis=0, name="c")([a, b])
    with pytest.raises(ValueError, match=r"Concatenate.*one rank"):
        Concatenate()([a, K.placeholder((None, 3, 1))])
    with pytest.raises(ValueError, match=r"Dot layer 'dot'.*the dot axes must have one size; "
                                         r"received shapes \(None, 3\), \(None, 4\)"):
        Dot(1, name="dot")([a, b])
    with pytest.raises(ValueError, match="must name non-batch axes"):
        Dot(0)([a, a])
    with pytest.raises(ValueError, match="axes must be an int or a pair"):
        Dot((1, 1, 1))
