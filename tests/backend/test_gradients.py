"""gradients(): paths, broadcasting, disconnected inputs, errors, second derivatives."""
import numpy as np
import pytest

from hilayers import backend as K


def run(t, feed=None):
    return K.Session().run(t, feed)


def test_paths_are_summed():
    x = K.variable(3.0)
    y = x * x + x * 2.0 + x           # dy/dx = 2x + 3
    (g,) = K.gradients(y, [x])
    assert run(g) == 9.0


def test_broadcasting_is_undone():
    x = K.placeholder((None, 3), name="x")
    b = K.variable(np.zeros((3,), dtype=np.float32))
    s = K.variable(1.0)
    (gb, gs) = K.gradients(K.sum((x + b) * s), [b, s])
    gb_v, gs_v = run([gb, gs], {x: np.ones((4, 3))})
    np.testing.assert_array_equal(gb_v, [4.0, 4.0, 4.0])
    assert gs_v == 12.0


def test_disconnected_inputs_give_none_or_zeros():
    x = K.variable([1.0, 2.0])
    z = K.variable([5.0])
    y = K.sum(x * 2.0)
    assert K.gradients(y, [z]) == [None]
    (gz,) = K.gradients(y, [z], unconnected_gradients="zero")
    np.testing.assert_array_equal(run(gz), [0.0])


def test_stop_gradient_blocks_the_path():
    x = K.variable(2.0)
    y = x * K.stop_gradient(x)
    (g,) = K.gradients(y, [x])
    assert run(g) == 2.0


def test_gradient_with_respect_to_an_intermediate_tensor():
    x = K.variable(2.0)
    mid = x * 3.0
    y = mid * mid
    (g_mid, g_x) = K.gradients(y, [mid, x])
    assert run(g_mid) == 12.0 and run(g_x) == 36.0


def test_grad_ys_scales_the_upstream_gradient():
    x = K.variable([1.0, 2.0])
    y = x * 3.0
    (g,) = K.gradients([y], [x], grad_ys=[K.constant([1.0, 10.0])])
    np.testing.assert_array_equal(run(g), [3.0, 30.0])


def test_integer_paths_carry_no_gradient():
    x = K.variable([1.5, 2.5])
    y = K.cast(K.cast(x, "int32"), "float32") * x
    (g,) = K.gradients(K.sum(y), [x])
    np.testing.assert_array_equal(run(g), [1.0, 2.0])


def test_gradient_through_an_op_without_one_raises():
    class NoGrad(K.Op):
        def infer(self, x):
            return x.shape, x.dtype

    from hilayers.backend.kernels import kernel
    try:
        kernel("NoGrad")(lambda ctx, op, x: x)
    except RuntimeError:
        pass
    x = K.variable([1.0])
    y = NoGrad()(x, name="opaque")
    with pytest.raises(K.NotDifferentiableError, match=r"NoGrad \(node 'opaque'\) has no gradient"):
        K.gradients(K.sum(y), [x])


def test_gradients_of_two_graphs_raise():
    x = K.variable(1.0)
    other = K.Graph()
    with other.as_default():
        y = K.constant(2.0) * 2.0
    with pytest.raises(K.GraphMismatchError):
        K.gradients(y, [x])


def test_hessian_vector_product_of_a_two_layer_network():
    """Second derivatives: H·v of a tanh network's loss, against finite differences of the
    gradient, in float64."""
    rng = np.random.default_rng(3)
    x_val = rng.standard_normal((5, 4))
    t_val = rng.standard_normal((5, 2))
    w1_val, w2_val = rng.standard_normal((4, 6)) * 0.5, rng.standard_normal((6, 2)) * 0.5
    v1_val, v2_val = rng.standard_normal((4, 6)), rng.standard_normal((6, 2))

    x = K.constant(x_val)
    t = K.constant(t_val)
    w1 = K.placeholder((4, 6), dtype="float64", name="w1")
    w2 = K.placeholder((6, 2), dtype="float64", name="w2")
    h = K.tanh(x @ w1)
    loss = K.mean(K.square(h @ w2 - t))
    g1, g2 = K.gradients(loss, [w1, w2])
    dot = K.sum(g1 * K.constant(v1_val)) + K.sum(g2 * K.constant(v2_val))
    hv1, hv2 = K.gradients(dot, [w1, w2])
    grads = K.function([w1, w2], [g1, g2])
    hv = K.function([w1, w2], [hv1, hv2])([w1_val, w2_val])

    eps = 1e-5
    plus = grads([w1_val + eps * v1_val, w2_val + eps * v2_val])
    minus = grads([w1_val - eps * v1_val, w2_val - eps * v2_val])
    for analytic, p, m in zip(hv, plus, minus):
        np.testing.assert_allclose(analytic, (p - m) / (2 * eps), rtol=1e-6, atol=1e-8)
