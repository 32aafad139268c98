"""The specialised kernels of the performance work against their plain references.

Each fast path (docs/performance.md) keeps a plain version: the tests run both on the
shapes and values where they could differ (partial chunks, strides, dilations, padding,
NaN and signed zeros, broadcasting) and ask for the same numbers, bit for bit where the
fast path promises it. The workspace's buffer lending and the plan's per-thread use of it
are checked too.
"""
import threading

import numpy as np
import pytest

from hilayers import backend as K
from hilayers.backend.kernels import _wide_rows, _windows, _workspace, conv, elementwise
from hilayers.backend.kernels.implementation import get_implementation
from hilayers.backend.ops.conv import Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput


class _Ctx:
    """A kernel context on NumPy with its own workspace."""

    def __init__(self):
        self.impl = get_implementation("numpy")
        self.xp = np
        self.workspace = _workspace.Workspace(np)


def _direct_conv(x, k, strides, padding, dilations):
    """A loop-over-taps convolution, independent of im2col."""
    kh, kw, _, cout = k.shape
    n, h, w, _ = x.shape
    oh, ow, pads = _windows.geometry(h, w, kh, kw, strides, dilations, padding)
    xpad = _windows.pad_hw(np, x.astype(np.float64), pads)
    out = np.zeros((n, oh, ow, cout))
    for a in range(kh):
        for b in range(kw):
            rows, cols = _windows.tap_slices(a, b, strides, dilations, oh, ow)
            out += np.einsum("nijc,co->nijo", xpad[:, rows, cols], k[a, b])
    return out


CONV_CASES = [
    ((5, 9, 8, 1), (3, 3, 1, 4), (1, 1), "same", (1, 1)),      # tap-major im2col
    ((5, 9, 8, 3), (3, 2, 3, 4), (1, 1), "valid", (1, 1)),     # row-major im2col
    ((7, 10, 9, 2), (3, 3, 2, 3), (2, 1), "same", (1, 2)),     # strides and dilation
    ((3, 11, 11, 5), (5, 5, 5, 2), (1, 1), "valid", (2, 2)),
]


@pytest.mark.parametrize("x_shape,k_shape,strides,padding,dilations", CONV_CASES)
@pytest.mark.parametrize("chunk_bytes", [1, 200, 1 << 20])
def test_chunked_conv_and_filter_gradient_match_the_direct_sum(
        monkeypatch, x_shape, k_shape, strides, padding, dilations, chunk_bytes):
    # chunk_bytes=1: one image per chunk; 200: a few, with a shorter last chunk.
    monkeypatch.setattr(conv, "_CACHE_CHUNK_BYTES", chunk_bytes)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    k = rng.standard_normal(k_shape).astype(np.float32)
    ctx = _Ctx()
    op = Conv2D(strides=strides, padding=padding, dilations=dilations)
    y = conv._conv2d(ctx, op, x, k)
    np.testing.assert_allclose(y, _direct_conv(x, k, strides, padding, dilations),
                               rtol=1e-5, atol=1e-5)
    g = rng.standard_normal(y.shape).astype(np.float32)
    bop = Conv2DBackpropFilter(strides=strides, padding=padding, dilations=dilations)
    dk = conv._conv2d_backprop_filter(ctx, bop, x, g, k)
    # <conv(x, k), g> is linear in k: its gradient is the filter gradient.
    expected = np.zeros(k.shape)
    for idx in np.ndindex(*k.shape):
        e = np.zeros(k.shape, np.float32)
        e[idx] = 1
        expected[idx] = np.sum(_direct_conv(x, e, strides, padding, dilations) * g)
    np.testing.assert_allclose(dk, expected, rtol=1e-4, atol=1e-4)
    assert ctx.workspace._lent == {}                   # every buffer was given back


@pytest.mark.parametrize("x_shape,k_shape,strides,padding,dilations", CONV_CASES)
@pytest.mark.parametrize("chunk_bytes", [1, 3000, 1 << 20])
def test_unit_stride_input_gradient_matches_col2im(x_shape, k_shape, strides, padding,
                                                   dilations, chunk_bytes, monkeypatch):
    monkeypatch.setattr(conv, "_CHUNK_BYTES", chunk_bytes)     # 1: one image per chunk
    rng = np.random.default_rng(1)
    k = rng.standard_normal(k_shape).astype(np.float32)
    n, h, w, cin = x_shape
    kh, kw, _, cout = k_shape
    unit = (1, 1)
    oh, ow, _ = _windows.geometry(h, w, kh, kw, unit, dilations, padding)
    g = rng.standard_normal((n, oh, ow, cout)).astype(np.float32)
    ctx = _Ctx()
    op = Conv2DBackpropInput(strides=unit, padding=padding, dilations=dilations,
                             output_hw=(h, w))
    fast = conv._conv2d_backprop_input(ctx, op, g, k)
    cols_t = k.reshape(-1, cout) @ g.reshape(-1, cout).T
    plain = _windows.col2im(np, cols_t, x_shape, kh, kw, unit, dilations, padding)
    np.testing.assert_allclose(fast, plain, rtol=1e-5, atol=1e-5)
    assert fast.flags.c_contiguous and fast.shape == x_shape


def test_input_gradient_never_returns_a_workspace_buffer():
    # One channel, a 1x1 kernel, no padding: the transposed accumulator is contiguous.
    rng = np.random.default_rng(8)
    k = rng.standard_normal((1, 1, 1, 3)).astype(np.float32)
    op = Conv2DBackpropInput(strides=(1, 1), padding="valid", dilations=(1, 1),
                             output_hw=None)
    ctx = _Ctx()
    g1 = rng.standard_normal((2, 5, 5, 3)).astype(np.float32)
    first = conv._conv2d_backprop_input(ctx, op, g1, k)
    kept = first.copy()
    conv._conv2d_backprop_input(ctx, op, rng.standard_normal((2, 5, 5, 3)).astype(np.float32),
                                k)
    np.testing.assert_array_equal(first, kept)


def test_col2im_with_an_infinite_weight_takes_the_general_path():
    k = np.ones((3, 3, 1, 1), np.float32)
    k[0, 0, 0, 0] = np.inf
    g = np.zeros((1, 4, 4, 1), np.float32)
    g[0, 1, 1, 0] = 1.0
    op = Conv2DBackpropInput(strides=(1, 1), padding="valid", dilations=(1, 1),
                             output_hw=None)
    with np.errstate(invalid="ignore"):                # inf * 0 is NaN, on purpose
        out = conv._conv2d_backprop_input(_Ctx(), op, g, k)
        plain = _windows.col2im(np, k.reshape(9, 1) @ g.reshape(16, 1).T, (1, 6, 6, 1), 3,
                                3, (1, 1), (1, 1), "valid")
    np.testing.assert_array_equal(np.isnan(out), np.isnan(plain))
    np.testing.assert_array_equal(out[~np.isnan(out)], plain[~np.isnan(plain)])


@pytest.mark.parametrize("c_shape,x_shape,y_shape", [
    ((80, 90), (80, 90), (80, 90)),
    ((80, 1), (80, 90), (1, 90)),
    ((80, 90), (), (80, 90)),
    ((16, 8, 8, 6), (6,), (16, 8, 8, 6)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_bit_select_where_copies_exactly_the_bits_of_np_where(c_shape, x_shape, y_shape,
                                                              dtype):
    rng = np.random.default_rng(2)
    cond = rng.random(c_shape) > 0.4
    x = np.asarray(rng.standard_normal(x_shape), dtype=dtype)
    y = np.asarray(rng.standard_normal(y_shape), dtype=dtype)
    if y.size > 3:
        y.flat[:4] = [np.nan, -0.0, np.inf, -np.inf]
    if x.size > 3:
        x.flat[:4] = [-0.0, np.nan, -np.inf, 0.0]
    out = elementwise._where_numpy(None, None, cond, x, y)
    ref = np.where(cond, x, y)
    assert out.shape == ref.shape and out.dtype == ref.dtype
    bits = {2: np.int16, 4: np.int32, 8: np.int64}[ref.dtype.itemsize]
    np.testing.assert_array_equal(out.view(bits), ref.view(bits))


def test_bit_select_where_with_a_broadcast_zero_keeps_negative_zero_and_nan():
    rng = np.random.default_rng(7)
    cond = rng.random((70, 80)) > 0.5
    x = rng.standard_normal((70, 80)).astype(np.float32)
    x.flat[:3] = [-0.0, np.nan, -np.inf]
    cond.flat[:3] = True
    for y in (np.broadcast_to(np.zeros((), np.float32), x.shape),
              np.broadcast_to(np.float32(-0.0), x.shape)):          # -0.0 is not +0.0
        out = elementwise._where_numpy(None, None, cond, x, y)
        np.testing.assert_array_equal(out.view(np.int32), np.where(cond, x, y).view(np.int32))


def test_bit_select_where_falls_back_for_mixed_or_small_inputs():
    cond = np.array([True, False])
    out = elementwise._where_numpy(None, None, cond, np.array([1, 2]), np.array([3, 4]))
    np.testing.assert_array_equal(out, [1, 4])


@pytest.mark.parametrize("shape,other", [((32, 16, 16, 3), (3,)),
                                         ((32, 16, 16, 3), (1, 1, 1, 3)),
                                         ((40, 30, 7), (7,)), ((100, 200, 2), (2,))])
def test_widened_operands_give_the_plain_broadcast(shape, other):
    rng = np.random.default_rng(3)
    a = rng.standard_normal(shape).astype(np.float32)
    b = rng.standard_normal(other).astype(np.float32)
    for ufunc in (np.add, np.subtract, np.multiply, np.true_divide):
        for first, second in ((a, b), (b, a)):
            wide = _wide_rows.widened_operands(np, first, second)
            assert wide is not None and wide[2] == a.shape
            np.testing.assert_array_equal(ufunc(wide[0], wide[1]).reshape(wide[2]),
                                          ufunc(first, second))


def test_widened_operands_leave_other_cases_alone():
    big = np.ones((64, 64, 64), np.float32)
    assert _wide_rows.widened_operands(np, big, np.ones(64, np.float32)) is None   # long axis
    assert _wide_rows.widened_operands(np, big[..., :3], np.ones(3, np.float32)) is None
    assert _wide_rows.widened_operands(np, big, np.ones((64, 1, 1), np.float32)) is None
    assert _wide_rows.widened_operands(np, big[:, :, :3].copy(),
                                       np.ones((1, 1, 1, 3), np.float32)) is None   # ndim
    assert _wide_rows.widened_operands(np, np.ones((4, 3), np.float32),
                                       np.ones(3, np.float32)) is None             # small


@pytest.mark.parametrize("shape,lead", [((32, 16, 16, 3), 3), ((64, 10, 2, 3), 2),
                                        ((5000, 4), 1), ((8, 8), 1)])
def test_sum_leading_axes_matches_numpy(shape, lead):
    g = np.random.default_rng(4).standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(_wide_rows.sum_leading_axes(np, g, lead),
                               g.sum(axis=tuple(range(lead))), rtol=1e-5, atol=1e-4)


def test_fills_are_read_only_views_but_fetches_are_writable_arrays():
    x = K.placeholder((None, 3))
    z, o = K.zeros_like(x), K.ones_like(x)
    zeros, ones = K.function([x], [z, o])([np.full((2, 3), 5.0, np.float32)])
    zeros[0, 0] = 7.0
    ones[0, 0] = 7.0
    np.testing.assert_array_equal(zeros[1], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(ones[1], [1.0, 1.0, 1.0])
    v = K.variable(np.full((2, 3), 3.0, np.float32))
    K.Session().run(K.assign(v, K.zeros_like(v)))
    value = v.get_value()
    value[0, 0] = 1.0
    np.testing.assert_array_equal(v.get_value(), np.zeros((2, 3)))


# -- the workspace -------------------------------------------------------------------------------


def test_workspace_lends_distinct_buffers_and_reuses_returned_ones():
    ws = _workspace.Workspace(np)
    a = ws.borrow("t", (4, 5), np.float32)
    b = ws.borrow("t", (4, 5), np.float32)
    assert a is not b and a.shape == (4, 5) and a.dtype == np.float32
    ws.give_back(a)
    assert ws.borrow("t", (4, 5), np.float32) is a
    ws.end_run()                                  # b and a come back
    assert {id(ws.borrow("t", (4, 5), np.float32)) for _ in range(2)} == {id(a), id(b)}


def test_workspace_padding_keeps_its_border_and_skips_unpadded_images():
    ws = _workspace.Workspace(np)
    x = np.arange(12, dtype=np.float32).reshape(1, 2, 3, 2)
    assert ws.padded(x, (0, 0, 0, 0), 0) is x
    first = ws.padded(x, (1, 0, 2, 1), -np.inf)
    ws.give_back(first)
    again = ws.padded(x + 100, (1, 0, 2, 1), -np.inf)
    assert again is first
    np.testing.assert_array_equal(again[:, 1:, 2:5], x + 100)
    assert np.all(again[:, 0] == -np.inf) and np.all(again[:, :, :2] == -np.inf)
    assert np.all(again[:, :, 5:] == -np.inf)


def test_workspace_drops_large_buffers_and_respects_its_total(monkeypatch):
    monkeypatch.setattr(_workspace, "MAX_KEPT_BYTES", 400)
    monkeypatch.setattr(_workspace, "MAX_TOTAL_BYTES", 1000)
    ws = _workspace.Workspace(np)
    big = ws.borrow("big", (200,), np.float32)          # 800 bytes: not kept
    ws.give_back(big)
    assert ws.borrow("big", (200,), np.float32) is not big
    for i in range(5):                                  # 5 x 400 bytes > 1000
        ws.give_back(ws.borrow(f"p{i}", (100,), np.float32))
    assert ws.kept_bytes <= 1000


def test_a_plan_run_from_two_threads_at_once_gives_each_its_own_numbers():
    x = K.placeholder((None, 12, 12, 2))
    k = K.constant(np.random.default_rng(5).standard_normal((3, 3, 2, 4)).astype(np.float32))
    y = K.conv2d(x, k, padding="same")
    f = K.function([x], [y, K.gradients(K.sum(y * y), [x])[0]])
    inputs = [np.random.default_rng(i).standard_normal((6, 12, 12, 2)).astype(np.float32)
              for i in range(4)]
    expected = [f([v]) for v in inputs]
    errors = []

    def work(i):
        for _ in range(20):
            got = f([inputs[i]])
            if not all(np.array_equal(a, b) for a, b in zip(got, expected[i])):
                errors.append(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# -- kernels split over threads ------------------------------------------------------------------


@pytest.fixture
def two_threads():
    from hilayers.backend.kernels import _parallel
    previous = _parallel.num_threads()
    _parallel.set_num_threads(2)
    yield
    _parallel.set_num_threads(previous)


def _image_kernels(batch):
    """Outputs and gradients of a conv + max-pool graph on ``batch`` images."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((batch, 12, 12, 3)).astype(np.float32)
    graph = K.Graph(seed=0)
    with graph.as_default():
        px = K.placeholder((None, 12, 12, 3))
        k1 = K.constant(rng.standard_normal((3, 3, 3, 4)).astype(np.float32))
        k2 = K.constant(rng.standard_normal((3, 3, 4, 5)).astype(np.float32))
        h = K.relu(K.conv2d(px, k1, padding="same"))
        p = K.max_pool2d(h, 2)
        q = K.max_pool2d(h, 3, strides=2, padding="same")        # overlapping windows
        y = K.conv2d(p, k2)
        loss = K.sum(y * y) + K.sum(q)
        fetches = [y, p, q] + K.gradients(loss, [px, k1, k2])
        return K.function([px], fetches)([x])


def test_threaded_image_kernels_give_the_single_thread_numbers_bit_for_bit(two_threads):
    from hilayers.backend.kernels import _parallel
    threaded = _image_kernels(96)
    assert len(_parallel.batch_ranges(96, 16)) == 2          # the threads really split
    _parallel.set_num_threads(1)
    single = _image_kernels(96)
    for a, b in zip(threaded, single):
        np.testing.assert_array_equal(a, b)


def test_run_ranges_waits_for_every_range_and_reraises():
    from hilayers.backend.kernels import _parallel
    done = []

    def work(i, start, stop):
        done.append(i)
        if i == 1:
            raise ValueError("range 1 failed")
        return stop - start

    with pytest.raises(ValueError, match="range 1 failed"):
        _parallel.run_ranges(work, [(0, 2), (2, 4), (4, 6)])
    assert sorted(done) == [0, 1, 2]
    assert _parallel.run_ranges(lambda i, s, e: e - s, [(0, 3), (3, 5)]) == [3, 2]


def test_set_num_threads_rejects_non_positive_counts():
    from hilayers.backend.kernels import _parallel
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="expected a positive int"):
            _parallel.set_num_threads(bad)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_gets_a_working_thread_pool(two_threads):
    import os
    from hilayers.backend.kernels import _parallel
    assert _parallel.split_batch(lambda s, e: e - s, 64, 16) == [32, 32]   # parent's pool
    pid = os.fork()
    if pid == 0:                                   # the child: must not hang or fail
        code = 0 if _parallel.split_batch(lambda s, e: e - s, 64, 16) == [32, 32] else 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


def test_an_empty_batch_gives_empty_outputs_and_zero_kernel_gradients():
    x = K.placeholder((None, 8, 8, 2))
    k = K.constant(np.ones((3, 3, 2, 4), np.float32))
    y = K.max_pool2d(K.conv2d(x, k, padding="same"), 2)
    gx, gk = K.gradients(K.sum(y), [x, k])
    out, dx, dk = K.function([x], [y, gx, gk])([np.zeros((0, 8, 8, 2), np.float32)])
    assert out.shape == (0, 4, 4, 4) and dx.shape == (0, 8, 8, 2)
    np.testing.assert_array_equal(dk, np.zeros((3, 3, 2, 4)))


def test_single_threaded_blas_restores_the_thread_count_after_nested_and_concurrent_use():
    from hilayers.backend.kernels import _blas_threads
    if not _blas_threads.available():
        pytest.skip("NumPy's bundled OpenBLAS is not found here")
    get = _blas_threads._state["get"]
    before = get()
    started, release = threading.Event(), threading.Event()

    def hold():
        with _blas_threads.single_threaded_blas():
            started.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    started.wait(5)
    with _blas_threads.single_threaded_blas():
        with _blas_threads.single_threaded_blas():
            assert get() == 1
    assert get() == 1                     # the other thread is still inside
    release.set()
    worker.join()
    assert get() == before
