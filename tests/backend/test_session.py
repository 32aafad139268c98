"""Session.run and function(): fetch structures, feeds, caching, updates, graph size."""
import collections

import numpy as np
import pytest

from hilayers import backend as K


def test_fetch_structures_are_rebuilt():
    x = K.placeholder((2,), name="x")
    a, b = x + 1.0, x * 2.0
    Pair = collections.namedtuple("Pair", "first second")
    out = K.Session().run({"a": a, "list": [a, (b,)], "pair": Pair(a, b)},
                          feed_dict={x: [1.0, 2.0]})
    np.testing.assert_array_equal(out["a"], [2.0, 3.0])
    np.testing.assert_array_equal(out["list"][1][0], [2.0, 4.0])
    assert isinstance(out["list"][1], tuple)
    assert isinstance(out["pair"], Pair)
    np.testing.assert_array_equal(out["pair"].second, [2.0, 4.0])


def test_fetch_by_name_and_node():
    with K.name_scope("scope"):
        x = K.placeholder((), name="x")
        y = K.identity(x * 3.0, name="y")
    sess = K.Session()
    assert y.name == "scope/y:0"
    assert sess.run("scope/y:0", {x: 2.0}) == 6.0
    assert sess.run(y.node, {x: 2.0}) is None


def test_results_are_numpy_and_do_not_alias_state():
    v = K.variable([1.0, 2.0])
    out = K.Session().run(v)
    assert isinstance(out, np.ndarray)
    out[0] = 100.0
    np.testing.assert_array_equal(v.get_value(), [1.0, 2.0])
    view = K.Session().run(K.reshape(v, (2, 1)))
    view[0, 0] = 50.0
    np.testing.assert_array_equal(v.get_value(), [1.0, 2.0])


def test_unknown_fetch_raises():
    with pytest.raises(K.FetchError, match=r"Cannot fetch 3\.5 \(a float\)"):
        K.Session().run([3.5])


def test_fetch_from_other_graph_raises():
    other = K.Graph()
    with other.as_default():
        t = K.constant(1.0)
    with pytest.raises(K.GraphMismatchError, match="not an element of this session's graph"):
        K.Session().run(t)


def test_combining_two_graphs_raises_at_build_time():
    a = K.constant(1.0)
    other = K.Graph()
    with other.as_default():
        b = K.constant(2.0)
    with pytest.raises(K.GraphMismatchError, match="different graph"):
        K.add(a, b)


def test_unfed_placeholder_is_named():
    x = K.placeholder((None, 3), name="images")
    with pytest.raises(K.FeedError, match=r"Placeholder 'images' \(shape \(None, 3\), dtype "
                                          r"float32\) was not fed"):
        K.Session().run(x * 2.0)


def test_feed_wrong_shape_is_named():
    x = K.placeholder((None, 3), name="images")
    with pytest.raises(K.FeedError, match=r"Placeholder 'images' expects shape \(None, 3\) but "
                                          r"was fed a value of shape \(2, 4\)"):
        K.Session().run(x, {x: np.zeros((2, 4))})


def test_feed_wrong_dtype_is_named():
    x = K.placeholder((2,), dtype="int32", name="labels")
    with pytest.raises(K.FeedError, match=r"Placeholder 'labels' expects dtype int32 but was "
                                          r"fed a value of dtype float64"):
        K.Session().run(x, {x: np.array([1.5, 2.0])})


def test_feed_converts_within_kind():
    x = K.placeholder((2,), name="x")
    out = K.Session().run(x, {x: np.array([1.0, 2.0], dtype=np.float64)})
    assert out.dtype == np.float32
    out = K.Session().run(x, {x: [1, 2]})
    assert out.dtype == np.float32


def test_feeding_an_intermediate_tensor_prunes_its_producers():
    x = K.placeholder((), name="x")
    mid = x * 2.0
    y = mid + 1.0
    assert K.Session().run(y, {mid: 10.0}) == 11.0


def test_function_matches_keras_backend_function():
    x = K.placeholder((None,), name="x")
    y = K.placeholder((None,), name="y")
    f = K.function([y, x], [x - y, x * y])
    d, p = f([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    np.testing.assert_array_equal(d, [2.0, 2.0])
    np.testing.assert_array_equal(p, [3.0, 8.0])
    with pytest.raises(K.FeedError, match="takes 2 input values"):
        f([np.zeros(2)])


def test_updates_apply_after_outputs_in_order():
    v = K.variable(1.0, name="v")
    x = K.placeholder((), name="x")
    # Both updates read the value v had when the run started; the second write wins.
    f = K.function([x], v * 10.0, updates=[(v, v + x), (v, v * 100.0)])
    out = f([5.0])
    assert out == 10.0
    assert v.get_value() == 100.0
    out = f([5.0])
    assert out == 1000.0
    assert v.get_value() == 10000.0


def test_reads_in_one_run_see_the_start_value():
    v = K.variable(1.0)
    up = K.assign_add(v, 1.0)
    before, after = K.Session().run([v, up])
    assert before == 1.0 and after == 2.0
    assert v.get_value() == 2.0


def test_assign_sub_and_set_value():
    v = K.variable([3.0, 3.0])
    K.Session().run(K.assign_sub(v, [1.0, 2.0]))
    np.testing.assert_array_equal(v.get_value(), [2.0, 1.0])
    v.set_value(np.array([7.0, 8.0]))
    np.testing.assert_array_equal(K.Session().run(v), [7.0, 8.0])
    with pytest.raises(K.ShapeError, match=r"received shape \(3,\); expected \(2,\)"):
        v.set_value(np.zeros(3))


def test_assign_shape_mismatch_fails_at_build_time():
    v = K.variable(np.zeros((2, 2), dtype=np.float32), name="w")
    with pytest.raises(K.ShapeError, match=r"Assign to variable 'w:0'"):
        K.assign(v, K.placeholder((3,)))


def test_fed_values_written_to_variables_are_copied():
    v = K.variable(np.zeros(2, dtype=np.float32))
    x = K.placeholder((2,))
    value = np.array([1.0, 2.0], dtype=np.float32)
    K.Session().run(K.assign(v, x), {x: value})
    value[0] = 99.0
    np.testing.assert_array_equal(v.get_value(), [1.0, 2.0])


def test_plans_are_cached_and_graph_does_not_grow():
    x = K.placeholder((None,), name="x")
    w = K.variable(2.0)
    loss = K.sum(x * w)
    (g,) = K.gradients(loss, [w])
    step = K.function([x], loss, updates=[K.assign_sub(w, 0.001 * g)])
    graph = K.get_default_graph()
    step([np.ones(3)])
    nodes, plans = graph.num_nodes(), len(graph._plan_cache)
    for i in range(1000):
        step([np.full(3, i, dtype=np.float32)])
    sess = K.Session()
    for _ in range(100):
        sess.run(loss, {x: np.ones(4)})
    assert graph.num_nodes() == nodes
    assert len(graph._plan_cache) == plans + 1


def test_common_subexpressions_are_merged_and_constants_folded():
    x = K.placeholder((3,), name="x")
    c = K.constant([1.0, 2.0, 3.0]) * 2.0          # folded at compile time
    y = (x + c) * (x + c)                           # x + c computed once
    out = K.Session().run(y, {x: np.zeros(3)})
    np.testing.assert_allclose(out, [4.0, 16.0, 36.0])
    plan = next(iter(K.get_default_graph()._plan_cache.values()))
    kinds = [type(step[1]).__name__ for step in plan.steps]
    assert kinds == ["Add", "Multiply"]


def test_intermediate_buffers_are_released_by_liveness():
    x = K.placeholder((4,), name="x")
    a = x + 1.0
    b = a * 2.0
    c = b - 3.0
    K.Session().run(c, {x: np.zeros(4)})
    plan = next(iter(K.get_default_graph()._plan_cache.values()))
    freed = [slot for step in plan.steps for slot in step[4]]
    # The fed x, then a, then b are dropped as soon as their one reader has run.
    assert len(freed) == 3 and all(len(step[4]) == 1 for step in plan.steps)


def test_float64_end_to_end():
    K.set_floatx("float64")
    try:
        x = K.placeholder((None,), name="x")
        w = K.variable(0.5)
        assert x.dtype == np.float64 and w.dtype == np.float64
        y = K.sum(x * w)
        (g,) = K.gradients(y, [w])
        out, grad = K.Session().run([y, g], {x: [1.0, 2.0]})
        assert out.dtype == np.float64 and grad == 3.0
    finally:
        K.set_floatx("float32")


def test_set_floatx_rejects_non_floats():
    with pytest.raises(K.InvalidArgumentError, match="floatx must be one of"):
        K.set_floatx("int32")


def test_graphs_default_graph_and_name_scopes():
    graph = K.Graph()
    assert K.get_default_graph() is not graph
    with graph.as_default():
        assert K.get_default_graph() is graph
        with K.name_scope("outer"):
            with K.name_scope("inner"):
                a = K.constant(1.0, name="c")
            b = K.constant(2.0, name="c")
            c = K.constant(3.0, name="c")          # a repeated name gets a suffix
        total = a + b + c
    assert K.get_default_graph() is not graph
    assert [a.name, b.name, c.name] == ["outer/inner/c:0", "outer/c:0", "outer/c_1:0"]
    assert a.graph is graph and total.graph is graph
    assert graph.get_tensor_by_name("outer/c_1:0") is c
    assert K.Session(graph).run(total) == 6.0
