"""Random ops and dropout: seeding, streams, statistics, gradients and errors.

Their values cannot be compared to a NumPy reference, so they are tested here rather than
in the op table.
"""
import numpy as np
import pytest

from hilayers import backend as K

N = 100_000


def _build_all(seed=None):
    return [K.random_uniform((4, 3), seed=seed), K.random_normal((5,), seed=seed),
            K.truncated_normal((2, 2), seed=seed), K.random_bernoulli((6,), seed=seed)]


def _draw_in_new_graph(graph_seed, build, extra_first=False):
    graph = K.Graph(seed=graph_seed)
    with graph.as_default():
        if extra_first:
            K.random_uniform((1,))
        tensors = build()
        return K.Session(graph).run(tensors)


# -- seeding and streams -------------------------------------------------------------------

def test_same_graph_seed_gives_same_draws():
    a = _draw_in_new_graph(5, _build_all)
    b = _draw_in_new_graph(5, _build_all)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_different_graph_seeds_give_different_draws():
    a = _draw_in_new_graph(5, _build_all)
    b = _draw_in_new_graph(6, _build_all)
    assert not np.array_equal(a[0], b[0])
    assert not np.array_equal(a[1], b[1])


def test_user_seed_does_not_depend_on_build_order():
    def build():
        return [K.random_normal((8,), seed=42)]
    a = _draw_in_new_graph(5, build)
    b = _draw_in_new_graph(5, build, extra_first=True)
    np.testing.assert_array_equal(a[0], b[0])
    # Without a user seed the op seed counts the random ops built before it.
    c = _draw_in_new_graph(5, lambda: [K.random_normal((8,))])
    d = _draw_in_new_graph(5, lambda: [K.random_normal((8,))], extra_first=True)
    assert not np.array_equal(c[0], d[0])


def test_op_seed_props():
    g = K.get_default_graph()
    a = K.random_uniform((2,))
    b = K.random_uniform((2,))
    c = K.random_uniform((2,), seed=9)
    assert a.op.seed[0] == 0 and b.op.seed[0] == 0 and a.op.seed != b.op.seed
    assert c.op.seed == (1, 9)
    assert not a.op.pure
    assert g.next_op_seed()[1] > b.op.seed[1]


def test_two_unseeded_ops_in_one_graph_differ():
    a, b = K.Session().run([K.random_uniform((10,)), K.random_uniform((10,))])
    assert not np.array_equal(a, b)


def test_successive_runs_draw_new_values(impl):
    u = K.random_uniform((10,))
    sess = K.Session()
    first, second = sess.run(u), sess.run(u)
    assert not np.array_equal(first, second)
    f = K.function([], [u])
    assert not np.array_equal(f([])[0], f([])[0])


def test_reset_random_state_restarts_streams(impl):
    graph = K.get_default_graph()
    u = K.random_normal((10,))
    d = K.dropout(K.ones_like(K.constant(np.zeros((20,), np.float32))), 0.5)
    sess = K.Session()
    first = sess.run([u, d])
    sess.run([u, d])
    graph.reset_random_state()
    again = sess.run([u, d])
    for x, y in zip(first, again):
        np.testing.assert_array_equal(x, y)
    graph.reset_random_state(seed=graph.seed + 1)
    assert not np.array_equal(sess.run(u), first[0])


# -- statistics ----------------------------------------------------------------------------

def test_uniform_statistics(impl):
    x = K.Session().run(K.random_uniform((N,), minval=-2.0, maxval=3.0))
    assert x.dtype == np.float32 and x.shape == (N,)
    assert x.min() >= -2.0 and x.max() < 3.0
    assert abs(x.mean() - 0.5) < 0.03
    assert abs(x.std() - 5 / np.sqrt(12)) < 0.03


def test_normal_statistics(impl):
    x = K.Session().run(K.random_normal((N,), mean=1.0, stddev=2.0, dtype="float64"))
    assert x.dtype == np.float64
    assert abs(x.mean() - 1.0) < 0.03
    assert abs(x.std() - 2.0) < 0.03


def test_truncated_normal_statistics(impl):
    x = K.Session().run(K.truncated_normal((N,), mean=-1.0, stddev=0.5))
    assert x.dtype == np.float32
    assert x.min() >= -1.0 - 2 * 0.5 - 1e-6 and x.max() <= -1.0 + 2 * 0.5 + 1e-6
    assert abs(x.mean() + 1.0) < 0.01
    # The standard deviation of N(0, 1) truncated to [-2, 2] is about 0.8796.
    assert abs(x.std() - 0.8796 * 0.5) < 0.01


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
def test_bernoulli_statistics(impl, dtype):
    x = K.Session().run(K.random_bernoulli((N,), p=0.3, dtype=dtype))
    assert x.dtype == np.dtype(dtype)
    assert set(np.unique(x.astype(np.float64))) <= {0.0, 1.0}
    assert abs(x.astype(np.float64).mean() - 0.3) < 0.01


def test_bernoulli_extremes():
    zeros, ones = K.Session().run([K.random_bernoulli((1000,), p=0.0),
                                   K.random_bernoulli((1000,), p=1.0)])
    assert not zeros.any() and ones.all()


def test_float16_draws(impl):
    outs = K.Session().run([K.random_uniform((100,), dtype="float16"),
                            K.random_normal((100,), dtype="float16"),
                            K.truncated_normal((100,), dtype="float16")])
    for out in outs:
        assert out.dtype == np.float16 and np.isfinite(out).all()


def test_scalar_and_empty_shapes():
    scalar, empty = K.Session().run([K.random_normal(()), K.random_uniform((0, 3))])
    assert scalar.shape == () and empty.shape == (0, 3)


def test_int_shape_and_static_shape():
    u = K.random_uniform(4)
    assert u.shape == (4,) and u.dtype == np.float32
    assert K.random_normal((2, np.int64(3))).shape == (2, 3)


# -- gradients -----------------------------------------------------------------------------

def test_random_ops_are_not_differentiable_sources():
    x = K.placeholder((2,))
    r = K.random_uniform((2,))
    assert K.gradients(r, [x]) == [None]
    assert K.Session().run(K.gradients(r, [x], unconnected_gradients="zero")[0],
                           {x: [1.0, 2.0]}).tolist() == [0.0, 0.0]


def test_gradient_through_product_with_random_value():
    x = K.placeholder((3,))
    r = K.random_normal((3,))
    (g,) = K.gradients(K.sum(r * x), [x])
    r_value, g_value = K.Session().run([r, g], {x: [1.0, 2.0, 3.0]})
    np.testing.assert_array_equal(g_value, r_value)


# -- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("build,error,match", [
    (lambda: K.random_uniform((None, 2)), K.InvalidArgumentError,
     r"RandomUniform: shape must be a tuple of non-negative ints with every dim known; "
     r"received \(None, 2\)"),
    (lambda: K.random_normal((2, -1)), K.InvalidArgumentError, r"RandomNormal: shape"),
    (lambda: K.random_uniform((2,), dtype="int32"), K.DTypeError,
     r"RandomUniform: dtype int32 is not supported; expected a float dtype"),
    (lambda: K.truncated_normal((2,), dtype="int64"), K.DTypeError, r"TruncatedNormal: dtype"),
    (lambda: K.random_uniform((2,), minval=1.0, maxval=1.0), K.InvalidArgumentError,
     r"RandomUniform: minval must be less than maxval; received minval=1.0, maxval=1.0"),
    (lambda: K.random_normal((2,), stddev=-1.0), K.InvalidArgumentError,
     r"RandomNormal: stddev must be >= 0; received -1.0"),
    (lambda: K.random_bernoulli((2,), p=1.5), K.InvalidArgumentError,
     r"RandomBernoulli: p must be in \[0, 1\]; received 1.5"),
    (lambda: K.random_bernoulli((2,), dtype="complex64"), K.DTypeError, r"RandomBernoulli"),
    (lambda: K.random_uniform((2,), seed="abc"), K.InvalidArgumentError,
     r"seed must be a non-negative int or None; received 'abc'"),
    (lambda: K.random_normal((2,), seed=-3), K.InvalidArgumentError,
     r"seed must be a non-negative int or None; received -3"),
])
def test_random_errors(build, error, match):
    with pytest.raises(error, match=match):
        build()


# -- dropout -------------------------------------------------------------------------------

def test_dropout_zeroes_rate_fraction_and_scales_kept(impl):
    x = K.placeholder((None, None))
    y = K.dropout(x, 0.3)
    assert y.shape == (None, None) and y.dtype == np.float32
    value = np.random.default_rng(0).uniform(1.0, 2.0, size=(400, 250)).astype(np.float32)
    out = K.Session().run(y, {x: value})
    dropped = out == 0
    assert abs(dropped.mean() - 0.3) < 0.01
    np.testing.assert_allclose(out[~dropped], value[~dropped] / 0.7, rtol=1e-6)
    assert abs(out.mean() - value.mean()) < 0.01


def test_dropout_gradient_uses_the_forward_mask(impl):
    x = K.placeholder((None, 8))
    y = K.dropout(x, 0.5, seed=11)
    (g,) = K.gradients(K.sum(y * 3.0), [x])
    value = np.random.default_rng(1).uniform(1.0, 2.0, size=(50, 8)).astype(np.float32)
    sess = K.Session()
    for _ in range(3):                 # each run draws a new mask; y and g always share it
        y_value, g_value = sess.run([y, g], {x: value})
        kept = (y_value != 0).astype(np.float32)
        np.testing.assert_allclose(g_value, 3.0 * kept / 0.5, rtol=1e-6)
        assert 0 < kept.mean() < 1


def test_dropout_with_mask_returns_the_scaled_mask():
    x = K.placeholder((None, 3))
    y, mask = K.dropout_with_mask(x, 0.25, noise_shape=(None, 1))
    assert mask.shape == (None, 1)
    value = np.ones((100, 3), np.float32)
    y_value, m_value = K.Session().run([y, mask], {x: value})
    assert set(np.unique(m_value)) <= {0.0, np.float32(1 / 0.75)}
    np.testing.assert_array_equal(y_value, value * m_value)


def test_dropout_noise_shape_broadcasts_with_unknown_dims():
    x = K.placeholder((None, None, 6))
    y = K.dropout(x, 0.5, noise_shape=(None, 1, 6))
    assert y.shape == (None, None, 6)
    out = K.Session().run(y, {x: np.ones((4, 5, 6), np.float32)})
    # One draw per (batch, feature), shared by every step.
    assert (out == out[:, :1, :]).all()
    assert 0 < (out == 0).mean() < 1


def test_dropout_same_seed_same_mask_in_two_graphs():
    def build():
        x = K.constant(np.ones((30, 30), np.float32))
        return [K.dropout(x, 0.4, seed=5), K.dropout(x, 0.4)]
    a = _draw_in_new_graph(3, build)
    b = _draw_in_new_graph(3, build)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c = _draw_in_new_graph(4, build)
    assert not np.array_equal(a[1], c[1])


def test_dropout_is_not_folded_on_constants():
    y = K.dropout(K.constant(np.ones((50,), np.float32)), 0.5)
    sess = K.Session()
    assert not np.array_equal(sess.run(y), sess.run(y))


def test_dropout_rate_zero_returns_input():
    x = K.placeholder((2,))
    assert K.dropout(x, 0.0) is x
    assert K.dropout_with_mask(x, 0)[1] is None


def test_dropout_float64_and_second_derivative():
    x = K.placeholder((4, 5), dtype="float64")
    y = K.dropout(x, 0.5)
    assert y.dtype == np.float64
    (g,) = K.gradients(K.sum(y * y), [x])
    (g2,) = K.gradients(K.sum(g), [x])
    value = np.random.default_rng(2).uniform(1.0, 2.0, size=(4, 5))
    y_value, g_value, g2_value = K.Session().run([y, g, g2], {x: value})
    scale = (y_value != 0) * 2.0
    np.testing.assert_allclose(g_value, 2 * y_value * scale)
    np.testing.assert_allclose(g2_value, 2 * scale * scale)


@pytest.mark.parametrize("build,error,match", [
    (lambda x: K.dropout(x, 1.0), K.InvalidArgumentError,
     r"dropout: rate must be in \[0, 1\); received 1.0"),
    (lambda x: K.dropout(x, -0.1), K.InvalidArgumentError,
     r"dropout: rate must be in \[0, 1\); received -0.1"),
    (lambda x: K.dropout(x, "half"), K.InvalidArgumentError, r"dropout: rate must be a Python"),
    (lambda x: K.dropout(x, 0.5, noise_shape=(None, 3, 1)), K.ShapeError,
     r"Dropout: noise_shape \(None, 3, 1\) does not broadcast to input .* of shape "
     r"\(None, 4, 5\) \(axis 1: 3 vs 4\)"),
    (lambda x: K.dropout(x, 0.5, noise_shape=(None, 1)), K.ShapeError,
     r"Dropout: noise_shape \(None, 1\) has 2 dims, but input .* \(rank 3\)"),
    (lambda x: K.dropout(x, 0.5, noise_shape=(None, 0, 1)), K.InvalidArgumentError,
     r"dropout: noise_shape must hold positive ints or None"),
    (lambda x: K.dropout(K.cast(x, "int32"), 0.5), K.DTypeError,
     r"Dropout: input .* has dtype int32; expected a float dtype"),
])
def test_dropout_errors(build, error, match):
    x = K.placeholder((None, 4, 5))
    with pytest.raises(error, match=match):
        build(x)


def test_dropout_noise_shape_checked_at_run_time():
    x = K.placeholder((None, 4))
    y = K.dropout(x, 0.5, noise_shape=(3, 1))
    assert y.shape == (None, 4)
    with pytest.raises(K.InvalidArgumentError, match=r"Dropout: noise_shape \(3, 1\) does not "
                                                     r"broadcast to the input's shape \(2, 4\)"):
        K.Session().run(y, {x: np.ones((2, 4), np.float32)})
