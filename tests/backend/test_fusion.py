"""Fusions (hilayers.backend.fusion) against the unfused steps, their reference: the same
numbers (bit for bit, but for the sign of a zero where the docstring says so), applied where
they should be, and left alone where an intermediate value is needed elsewhere."""
import numpy as np
import pytest

from hilayers import backend as K
from hilayers.backend import fusion


@pytest.fixture
def unfused(monkeypatch):
    monkeypatch.setattr(fusion, "ENABLED", False)


def _steps():
    """The kernel names of the default graph's compiled plans; fused kernels by their own
    name (``conv2d_bias_relu``...), the others by their op's."""
    names = []
    for plan in K.get_default_graph()._plan_cache.values():
        for kernel, op, *_ in plan.steps:
            name = getattr(kernel, "__name__", "")
            names.append(name if "bias" in name else op.kernel_name)
    return names


def _conv_net(rng, fetch_conv=False, fetch_biased=False):
    """Conv -> bias -> relu -> max-pool -> dense -> bias -> relu -> loss; returns the
    function (outputs, then gradients) and its inputs."""
    x = K.placeholder((None, 12, 12, 2))
    k = K.variable(rng.standard_normal((3, 3, 2, 4)).astype(np.float32))
    b = K.variable(rng.standard_normal(4).astype(np.float32) * 0.1)
    w = K.variable(rng.standard_normal((6 * 6 * 4, 5)).astype(np.float32) * 0.1)
    c = K.variable(rng.standard_normal(5).astype(np.float32) * 0.1)
    z = K.conv2d(x, k, padding="same")
    biased = z + b
    r = K.relu(biased)
    p = K.max_pool2d(r, 2)
    d = K.relu(K.reshape(p, (-1, 6 * 6 * 4)) @ w + c)
    loss = K.sum(d * d) + K.sum(p)
    outputs = [d, p] + ([z] if fetch_conv else []) + ([biased] if fetch_biased else [])
    f = K.function([x], outputs + K.gradients(loss, [x, k, b, w, c]))
    value = rng.standard_normal((5, 12, 12, 2)).astype(np.float32)
    value[0, :4] = -1.0                   # a dead corner: all-zero windows, tied maxima
    return f, value


def _same_numbers(a, b):
    """Equal, NaN where NaN, a zero's sign aside."""
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(a[~np.isnan(a)], b[~np.isnan(b)])


def test_fused_conv_dense_and_pooling_gradients_give_the_unfused_numbers(monkeypatch):
    f, value = _conv_net(np.random.default_rng(0))
    fused = f([value])
    names = _steps()
    assert "conv2d_bias_relu" in names and "matmul_bias_relu" in names
    # The image's ReLU mask is folded into the pooling gradient (the dense layer's stays).
    assert "Relu" not in names and names.count("Where") == 1
    monkeypatch.setattr(fusion, "ENABLED", False)
    K.reset_default_graph(seed=1234)
    g, value2 = _conv_net(np.random.default_rng(0))
    plain = g([value2])
    assert "Relu" in _steps() and _steps().count("Where") == 2
    for a, b in zip(fused[:2], plain[:2]):                     # forward: bit for bit
        np.testing.assert_array_equal(a.view(np.int32), b.view(np.int32))
    for a, b in zip(fused[2:], plain[2:]):                     # gradients: zeros' signs aside
        _same_numbers(a, b)


def test_training_lenet_with_fusions_gives_the_weights_of_training_without(monkeypatch):
    from tests.backend.test_inplace import _train_lenet
    fused = _train_lenet(3)
    monkeypatch.setattr(fusion, "ENABLED", False)
    plain = _train_lenet(3)
    for a, b in zip(fused[0], plain[0]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fused[1], plain[1])


@pytest.mark.parametrize("fetch", ["conv", "biased"])
def test_a_fetched_intermediate_keeps_its_step(fetch):
    f, value = _conv_net(np.random.default_rng(1), fetch_conv=fetch == "conv",
                         fetch_biased=fetch == "biased")
    f([value])
    names = _steps()
    assert "conv2d_bias_relu" not in names
    if fetch == "conv":                           # the convolution's own output is needed
        assert "conv2d_bias" not in names and "Add" in names
    else:                                         # the bias is fused, the ReLU is not
        assert "conv2d_bias" in names and "Relu" in names


def test_a_bias_made_after_the_convolution_is_not_fused():
    x = K.placeholder((None, 8, 8, 1))
    k = K.constant(np.ones((3, 3, 1, 2), np.float32))
    z = K.conv2d(x, k, padding="same")
    total = K.sum(x)                                   # a step after the convolution's
    b = K.stack([total, total])
    f = K.function([x], K.relu(z + b))
    value = np.random.default_rng(2).standard_normal((2, 8, 8, 1)).astype(np.float32)
    conv = K.function([x], z)([value])
    np.testing.assert_allclose(f([value]), np.maximum(conv + value.sum(), 0), rtol=1e-5,
                               atol=1e-4)
    assert "conv2d_bias_relu" not in _steps()


def test_check_numerics_plans_are_not_fused():
    x = K.placeholder((None, 6, 6, 1))
    k = K.constant(np.ones((3, 3, 1, 2), np.float32))
    y = K.relu(K.conv2d(x, k, padding="same") + K.constant(np.ones(2, np.float32)))
    f = K.function([x], y, check_numerics=True)
    f([np.ones((1, 6, 6, 1), np.float32)])
    assert "Relu" in _steps() and "Add" in _steps()
