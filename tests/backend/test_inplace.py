"""Buffer reuse (hilayers.backend.inplace): steps that write into a dying input give the same
numbers as fresh arrays, and never overwrite a value that is still visible elsewhere."""
import numpy as np
import pytest

from hilayers import backend as K
from hilayers.backend import inplace

N = 200 * 100          # above inplace.MIN_SIZE


def _plans(graph):
    return list(graph._plan_cache.values())


@pytest.fixture
def no_reuse(monkeypatch):
    """Turn buffer reuse off (the reference)."""
    monkeypatch.setattr(inplace, "MIN_SIZE", 1 << 62)


def _x():
    return np.random.default_rng(0).standard_normal((200, 100)).astype(np.float32)


def test_a_chain_of_elementwise_steps_reuses_its_buffers_and_gives_the_same_numbers():
    x = K.placeholder((200, 100))
    out = K.sqrt(K.square(x * 2.0 + 1.0) + 1.0) - x
    f = K.function([x], out)
    value = _x()
    np.testing.assert_allclose(f([value]), np.sqrt((value * 2 + 1) ** 2 + 1) - value,
                               rtol=1e-6)
    assert _plans(K.get_default_graph())[0].in_place_steps >= 4
    np.testing.assert_array_equal(value, _x())            # the fed array is untouched


def test_a_value_with_a_live_view_is_not_overwritten():
    x = K.placeholder((200, 100))
    t = x * 2.0
    view = K.reshape(t, (100, 200))          # may share t's memory, read after u
    u = t + 1.0
    w = view * 3.0 + K.reshape(u, (100, 200))
    value = _x()
    got = K.function([x], w)([value])
    np.testing.assert_allclose(got, (value * 2).reshape(100, 200) * 3
                               + (value * 2 + 1).reshape(100, 200), rtol=1e-6)


def test_fetched_values_variables_and_repeated_inputs_are_never_donors():
    x = K.placeholder((200, 100))
    v = K.variable(np.ones((200, 100), np.float32))
    t = x * 2.0
    u = t + 1.0                               # t is fetched too: it must keep its value
    s = v + 1.0                               # v's value must not change
    d = u + u                                 # u read twice by one step
    value = _x()
    t_out, u_out, s_out, d_out = K.function([x], [t, u, s, d])([value])
    np.testing.assert_allclose(t_out, value * 2, rtol=1e-6)
    np.testing.assert_allclose(u_out, value * 2 + 1, rtol=1e-6)
    np.testing.assert_array_equal(s_out, 2.0)
    np.testing.assert_allclose(d_out, 2 * (value * 2 + 1), rtol=1e-6)
    np.testing.assert_array_equal(v.get_value(), 1.0)


def test_a_donor_that_would_have_to_grow_is_left_alone():
    wide = K.placeholder((1, N))
    tall = K.placeholder((3, N))
    grow = K.exp(wide) + tall              # exp(wide) dies here, but (1, N) cannot hold (3, N)
    got = K.function([wide, tall], grow)([np.zeros((1, N), np.float32),
                                          np.ones((3, N), np.float32)])
    np.testing.assert_array_equal(got, np.full((3, N), 2.0))


def _train_lenet(steps):
    """LeNet-5 weights after ``steps`` training steps (fixed data and seed)."""
    from hilayers.applications import LeNet5
    from hilayers.utils import set_random_seed
    K.reset_default_graph(seed=1)
    set_random_seed(3)
    model = LeNet5(weights=None)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(4)
    x = rng.random((128, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 128)
    for _ in range(steps):
        model.train_on_batch(x, y)
    return [w.copy() for w in model.get_weights()], model.predict(x, batch_size=128)


def test_training_with_buffer_reuse_is_bit_identical_to_training_without(monkeypatch):
    with_reuse = _train_lenet(3)
    assert any(p.in_place_steps for p in _plans(K.get_default_graph()))
    monkeypatch.setattr(inplace, "MIN_SIZE", 1 << 62)
    without = _train_lenet(3)
    for a, b in zip(with_reuse[0], without[0]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(with_reuse[1], without[1])


def test_check_numerics_runs_the_in_place_steps_too():
    x = K.placeholder((200, 100))
    f = K.function([x], K.sqrt(x * x + 1.0) * 2.0, check_numerics=True)
    value = _x()
    np.testing.assert_allclose(f([value]), np.sqrt(value * value + 1) * 2, rtol=1e-6)
    with pytest.raises(K.NumericsError, match="NaN"):
        f([np.full((200, 100), np.nan, np.float32)])
