"""A Dataset feeding placeholders in the graph / session API (the linear-regression example)."""
import numpy as np

from hilayers import backend as K
from hilayers.data import Dataset


def _line(n=500, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=n).astype(np.float32)
    return x, (2.5 * x - 0.7).astype(np.float32)


def test_session_run_with_feed_dict_per_batch():
    x_data, y_data = _line()
    graph = K.Graph(seed=0)
    with graph.as_default():
        x = K.placeholder((None,), name="x")
        y = K.placeholder((None,), name="y")
        a = K.variable(0.0, name="a")
        b = K.variable(0.0, name="b")
        loss = K.mean(K.square(a * x + b - y))
        grad_a, grad_b = K.gradients(loss, [a, b])
        train = [K.assign_sub(a, 0.2 * grad_a), K.assign_sub(b, 0.2 * grad_b)]
    sess = K.Session(graph)
    batches = Dataset.from_tensor_slices((x_data, y_data)).shuffle(500, seed=0).batch(50)
    for _ in range(40):                        # epochs: each pass draws a new order
        for xb, yb in batches:
            sess.run(train, feed_dict={x: xb, y: yb})
    assert abs(float(a.get_value()) - 2.5) < 1e-3
    assert abs(float(b.get_value()) + 0.7) < 1e-3


def test_k_function_over_a_prefetched_dataset():
    x_data, y_data = _line(100)
    graph = K.Graph(seed=0)
    with graph.as_default():
        x = K.placeholder((None,), name="x")
        total = K.function([x], [K.sum(x)])
    ds = Dataset.from_tensor_slices(x_data).batch(16).prefetch(2)
    sums = [float(total([xb])[0]) for xb in ds]
    assert len(sums) == 7
    np.testing.assert_allclose(sum(sums), float(x_data.sum()), rtol=1e-5)
