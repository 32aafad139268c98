"""The ``check_numerics(x, message)`` op (the per-tensor check, not the session-wide mode)."""
import numpy as np
import pytest

from hilayers import backend as K


def test_identity_in_value(impl):
    x = K.placeholder((None, 3))
    y = K.check_numerics(x, "input")
    assert y.shape == (None, 3) and y.dtype == np.float32
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = K.Session().run(y, {x: value})
    np.testing.assert_array_equal(out, value)
    out[0, 0] = 99.0                       # the result is the caller's own array
    np.testing.assert_array_equal(K.Session().run(y, {x: value}), value)


@pytest.mark.parametrize("bad,found", [
    (np.nan, r"1 NaN \(of 3 values\)"),
    (np.inf, r"1 infinity \(of 3 values\)"),
    (-np.inf, r"1 infinity \(of 3 values\)"),
])
def test_raises_on_nan_or_infinity(impl, bad, found):
    x = K.placeholder((3,))
    y = K.check_numerics(x * 2.0, "doubled input", name="checked")
    with pytest.raises(K.NumericsError,
                       match=r"CheckNumerics \(node 'checked'\): doubled input: the tensor of "
                             r"shape \(3,\) holds " + found):
        K.Session().run(y, {x: [1.0, bad, 3.0]})


def test_counts_nans_and_infinities():
    x = K.placeholder((4,))
    y = K.check_numerics(x, "mixed")
    with pytest.raises(K.NumericsError, match=r"2 NaNs and 1 infinity \(of 4 values\)"):
        K.Session().run(y, {x: [np.nan, np.nan, np.inf, 0.0]})


def test_is_checked_in_every_run_and_not_folded():
    c = K.constant([1.0, np.nan])
    y = K.check_numerics(c, "constant")     # building is fine; running fails
    sess = K.Session()
    for _ in range(2):
        with pytest.raises(K.NumericsError, match="constant"):
            sess.run(y)


def test_two_checks_of_one_tensor_both_kept():
    x = K.placeholder((1,))
    a = K.check_numerics(x, "first", name="a")
    b = K.check_numerics(x, "second", name="b")
    with pytest.raises(K.NumericsError, match=r"node '(a|b)'"):
        K.Session().run([a, b], {x: [np.inf]})


def test_gradient_passes_through_and_is_checked(impl):
    x = K.placeholder((3,))
    w = K.placeholder((3,))
    y = K.check_numerics(x, "activations", name="chk")
    (g,) = K.gradients(K.sum(y * w), [x])
    sess = K.Session()
    out = sess.run(g, {x: [1.0, 2.0, 3.0], w: [4.0, 5.0, 6.0]})
    np.testing.assert_array_equal(out, [4.0, 5.0, 6.0])
    with pytest.raises(K.NumericsError, match=r"CheckNumerics \(node 'gradients/.*'\): "
                                              r"activations \(gradient\): .* 1 NaN"):
        sess.run(g, {x: [1.0, 2.0, 3.0], w: [4.0, np.nan, 6.0]})


def test_second_derivative():
    x = K.placeholder((2,), dtype="float64")
    y = K.check_numerics(x * x * x, "cube")
    (g,) = K.gradients(K.sum(y), [x])
    (g2,) = K.gradients(K.sum(g), [x])
    np.testing.assert_allclose(K.Session().run(g2, {x: [1.0, 2.0]}), [6.0, 12.0])


def test_errors_at_build_time():
    with pytest.raises(K.DTypeError, match=r"CheckNumerics: input .* has dtype int32; expected "
                                           r"a float dtype"):
        K.check_numerics(K.placeholder((2,), dtype="int32"), "ints")
    with pytest.raises(K.InvalidArgumentError, match=r"check_numerics: message must be a "
                                                     r"string; received 3"):
        K.check_numerics(K.placeholder((2,)), 3)
