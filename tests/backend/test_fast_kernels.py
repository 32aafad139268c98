"""The specialised kernels of the performance work against their plain references.

Each fast path (docs/performance.md) keeps a plain version: the tests run both on the
shapes and values where they could differ (partial chunks, strides, dilations, padding,
NaN and signed zeros, broadcasting) and ask for the same numbers, bit for bit where the
fast path promises it. The workspace's buffer lending and the plan's per-thread use of it
are checked too.
"""
import threading
import time

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
    assert _parallel.threads_for(4) == 2                      # the threads really split
    _parallel.set_num_threads(1)
    single = _image_kernels(96)
    for a, b in zip(threaded, single):
        np.testing.assert_array_equal(a, b)


def test_run_blocks_waits_for_every_block_keeps_block_order_and_reraises(two_threads):
    from hilayers.backend.kernels import _parallel
    slots = set()

    def work(block, slot):
        slots.add(slot)
        time.sleep(0.001)                        # long enough for the helper to take some
        return block * 10

    assert _parallel.run_blocks(work, 8, _parallel.threads_for(8)) == [
        0, 10, 20, 30, 40, 50, 60, 70]
    assert slots <= {0, 1}
    done = []

    def failing(block, slot):
        done.append(block)
        if block == 1:
            raise ValueError("block 1 failed")
        time.sleep(0.001)
        return block

    with pytest.raises(ValueError, match="block 1 failed"):
        _parallel.run_blocks(failing, 6, 2)
    finished = len(done)
    time.sleep(0.01)
    assert len(done) == finished                 # nothing still running after the raise
    assert _parallel.run_blocks(lambda b, s: b, 3, 1) == [0, 1, 2]      # one thread: here


def test_blocks_inside_a_block_run_in_that_thread(two_threads):
    from hilayers.backend.kernels import _parallel
    inner = []

    def work(block, slot):
        inner.append(_parallel.threads_for(4))
        return _parallel.run_blocks(lambda b, s: (b, s), 2, _parallel.threads_for(2))

    results = _parallel.run_blocks(work, 2, 2)
    assert inner == [1, 1]
    assert [r for r in results] == [[(0, 0), (1, 0)], [(0, 0), (1, 0)]]


def test_even_blocks_cover_the_range_in_order():
    from hilayers.backend.kernels import _parallel
    count, bounds = _parallel.even_blocks(10, 4)
    assert count == 3 and [bounds(i) for i in range(3)] == [(0, 3), (3, 6), (6, 10)]
    assert _parallel.even_blocks(0, 4)[0] == 1


def test_set_num_threads_rejects_non_positive_counts():
    from hilayers.backend.kernels import _parallel
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="expected a positive int"):
            _parallel.set_num_threads(bad)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_gets_a_working_thread_pool(two_threads):
    import os
    from hilayers.backend.kernels import _parallel
    assert _parallel.run_blocks(lambda b, s: b, 4, 2) == [0, 1, 2, 3]    # parent's helpers
    pid = os.fork()
    if pid == 0:                                   # the child: must not hang or fail
        code = 0 if _parallel.run_blocks(lambda b, s: b, 4, 2) == [0, 1, 2, 3] else 1
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


# -- kernels of the second round: bands, blocks and the 2x2 pooling gradient ---------------------


class _OpAttrs:
    def __init__(self, **attrs):
        self.__dict__.update(attrs)


@pytest.mark.parametrize("shape_a,shape_b,ta,tb", [
    ((128, 784), (784, 512), False, False),       # forward of a dense layer
    ((128, 784), (128, 512), True, False),        # its kernel gradient: a transposed view
    ((128, 512), (512, 512), False, True),        # its input gradient: b transposed
    ((200, 600), (600, 100), False, False),       # bands that do not divide evenly
    ((10, 30), (30, 4), False, False),            # too small to cut
])
def test_matmul_bands_give_the_plain_product_bit_for_bit(two_threads, shape_a, shape_b, ta,
                                                         tb):
    from hilayers.backend.kernels import _parallel, linalg
    rng = np.random.default_rng(11)
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b).astype(np.float32)
    op = _OpAttrs(transpose_a=ta, transpose_b=tb)
    plain = np.matmul(a.T if ta else a, b.T if tb else b)
    threaded = linalg._matmul_numpy(None, op, a, b)
    _parallel.set_num_threads(1)
    single = linalg._matmul_numpy(None, op, a, b)
    np.testing.assert_array_equal(threaded, plain)
    np.testing.assert_array_equal(single, plain)
    bias = rng.standard_normal(plain.shape[1]).astype(np.float32)
    fused = linalg.matmul_bias_relu(op, a, b, bias, relu=True)
    np.testing.assert_array_equal(fused, np.maximum(plain + bias, 0))


def test_matmul_bands_stay_large_and_aligned():
    from hilayers.backend.kernels import linalg
    count, bounds = linalg.bands(128, 784, 512, by_columns=False)
    assert count == 2 and [bounds(i) for i in range(2)] == [(0, 64), (64, 128)]
    count, bounds = linalg.bands(200, 600, 100, by_columns=False)
    assert count == 2 and bounds(0)[1] % linalg.BAND_ALIGN == 0 and bounds(1)[1] == 200
    assert linalg.bands(16, 64, 64, by_columns=False)[0] == 1


def _pool_op(pool=2, strides=2, padding="valid"):
    from hilayers.backend.ops.pooling import MaxPool2D
    return MaxPool2D(pool_size=(pool, pool), strides=(strides, strides), padding=padding)


def _reference_pool_grad(op, x, g):
    from hilayers.backend.kernels import pooling
    y = pooling._separable(np, op, x, -np.inf, np.maximum)
    return y, pooling._max_pool2d_grad_into(np, op, x, y, g, np.empty_like(x))


@pytest.mark.parametrize("shape", [(9, 28, 28, 6), (7, 10, 10, 16), (3, 4, 6, 1),
                                   (1, 2, 2, 3), (5, 6, 8, 2)])
@pytest.mark.parametrize("block_bytes", [1, 1 << 20])
def test_two_by_two_pooling_gradient_matches_the_reference_bit_for_bit(
        two_threads, monkeypatch, shape, block_bytes):
    from hilayers.backend.kernels import pooling
    monkeypatch.setattr(pooling, "_BLOCK_BYTES", block_bytes)    # 1: one image per block
    rng = np.random.default_rng(12)
    x = np.maximum(rng.standard_normal(shape).astype(np.float32), 0)   # ReLU zeros: ties
    x.flat[0] = np.nan
    x.flat[7 % x.size] = -0.0
    x.flat[-1] = np.inf
    x[0, 0, :2] = 3.0                                  # a tie between two positive pixels
    op = _pool_op()
    g = rng.standard_normal((shape[0], shape[1] // 2, shape[2] // 2, shape[3])).astype(
        np.float32)
    y, expected = _reference_pool_grad(op, x, g)
    ctx = _Ctx()
    got = pooling._max_pool2d_grad(ctx, op, x, y, g)
    np.testing.assert_array_equal(got.view(np.int32), expected.view(np.int32))
    np.testing.assert_array_equal(pooling._max_pool2d(ctx, op, x).view(np.int32),
                                  y.view(np.int32))


def test_the_pairs_path_is_only_taken_for_even_two_by_two_windows():
    from hilayers.backend.kernels import _pool_pairs
    assert _pool_pairs.applies(_pool_op(), (1, 28, 28, 6))
    assert not _pool_pairs.applies(_pool_op(), (1, 27, 28, 6))           # odd height
    assert not _pool_pairs.applies(_pool_op(3, 2), (1, 28, 28, 6))       # overlapping
    assert not _pool_pairs.applies(_pool_op(2, 1), (1, 28, 28, 6))


def test_grouped_filter_gradient_is_the_chunk_by_chunk_sum(two_threads, monkeypatch):
    rng = np.random.default_rng(13)
    x = rng.standard_normal((23, 12, 12, 1)).astype(np.float32)
    g = rng.standard_normal((23, 12, 12, 6)).astype(np.float32)
    like = np.zeros((5, 5, 1, 6), np.float32)
    op = Conv2DBackpropFilter(strides=(1, 1), padding="same", dilations=(1, 1))
    monkeypatch.setattr(conv, "_CACHE_CHUNK_BYTES", 3 * 144 * 25 * 4)     # 3 images a chunk
    grouped = conv._conv2d_backprop_filter(_Ctx(), op, x, g, like)       # 4 chunks a group
    monkeypatch.setattr(conv, "_MIN_RELEASING_RESULTS", 1)               # one chunk a group
    single = conv._conv2d_backprop_filter(_Ctx(), op, x, g, like)
    np.testing.assert_array_equal(grouped, single)


def test_relu_against_zeros_gives_the_bits_of_maximum_with_zero():
    from hilayers.backend.kernels import activations
    special = np.array([-0.0, 0.0, np.nan, -np.nan, np.inf, -np.inf, -1.0, 1e-45, -1e-45],
                       np.float32)
    x = np.resize(special, 3 * activations._ZERO_RUN + 5)
    out = np.empty_like(x)
    activations.relu_into(out, x)
    np.testing.assert_array_equal(out.view(np.int32), np.maximum(x, 0).view(np.int32))
    strided = x[::2]
    np.testing.assert_array_equal(activations.relu_into(np.empty_like(strided), strided),
                                  np.maximum(strided, 0))


@pytest.mark.parametrize("shape_a,shape_b", [((600, 700), (600, 700)), ((600, 700), ()),
                                             ((600, 700), (700,)), ((1, 700), (600, 700)),
                                             ((600, 1), (600, 700))])
def test_threaded_ufuncs_give_the_plain_results(two_threads, monkeypatch, shape_a, shape_b):
    from hilayers.backend.kernels import _threaded_ufuncs as threaded
    monkeypatch.setattr(threaded, "MIN_SIZE", 1 << 10)
    monkeypatch.setattr(threaded, "BLOCK", 1 << 12)
    rng = np.random.default_rng(14)
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = np.asarray(rng.standard_normal(shape_b), np.float32)
    for ufunc in (np.add, np.subtract, np.multiply, np.maximum):
        np.testing.assert_array_equal(threaded.new_result(ufunc, np.float32, a, b),
                                      ufunc(a, b))
    where = elementwise._where_numpy(None, None, a > 0, a, b)
    np.testing.assert_array_equal(where.view(np.int32), np.where(a > 0, a, b).view(np.int32))


def test_default_threads_follow_the_environment_and_the_machine(monkeypatch):
    from hilayers.backend.kernels import _blas_threads, _parallel
    monkeypatch.setenv("HILAYERS_NUM_THREADS", "3")
    assert _parallel.default_threads() == 3
    monkeypatch.delenv("HILAYERS_NUM_THREADS")
    monkeypatch.setattr(_blas_threads, "available", lambda: True)
    monkeypatch.setattr(_parallel, "_cpu_count", lambda: 2)
    assert _parallel.default_threads() == 2
    monkeypatch.setattr(_parallel, "_cpu_count", lambda: 16)      # not measured: OpenBLAS's
    assert _parallel.default_threads() == 1
    monkeypatch.setattr(_parallel, "_cpu_count", lambda: 2)
    monkeypatch.setattr(_blas_threads, "available", lambda: False)
    assert _parallel.default_threads() == 1


def test_processes_sharing_a_machine_share_its_default_threads(monkeypatch):
    from hilayers.backend.kernels import _blas_threads, _parallel
    monkeypatch.delenv("HILAYERS_NUM_THREADS", raising=False)
    monkeypatch.setattr(_blas_threads, "available", lambda: True)
    monkeypatch.setattr(_parallel, "_cpu_count", lambda: 2)
    monkeypatch.setattr(_parallel, "_state", dict(_parallel._state, threads=None,
                                                   sharing=1, explicit=False))
    assert _parallel.num_threads() == 2
    _parallel.share_machine(2)                       # two ranks on this machine
    assert _parallel.num_threads() == 1
    _parallel.share_machine(1)
    assert _parallel.num_threads() == 2
    K.set_num_threads(2)                             # an explicit count is kept
    _parallel.share_machine(2)
    assert K.num_threads() == 2
    monkeypatch.setenv("HILAYERS_NUM_THREADS", "3")
    _parallel._state.update(threads=None, explicit=False)
    assert _parallel.num_threads() == 3              # and so is the environment's
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="expected a positive number of processes"):
            _parallel.share_machine(bad)


def test_a_run_with_kernel_threads_holds_openblas_on_one_thread(two_threads, monkeypatch):
    from hilayers.backend.kernels import _blas_threads, linalg
    if not _blas_threads.available():
        pytest.skip("NumPy's bundled OpenBLAS is not found here")
    seen = []
    plain = linalg.matmul_bias_relu

    def spy(*args, **kwargs):
        seen.append(_blas_threads._state["get"]())
        return plain(*args, **kwargs)
    monkeypatch.setattr(linalg, "matmul_bias_relu", spy)
    x = K.placeholder((None, 4))
    f = K.function([x], x @ K.constant(np.ones((4, 3), np.float32)))
    before = _blas_threads._state["get"]()
    f([np.ones((2, 4), np.float32)])
    assert seen == [1] and _blas_threads._state["get"]() == before


def test_the_workspace_lends_from_several_threads_at_once():
    ws = _workspace.Workspace(np)
    lent, errors = [], []

    def work():
        try:
            for _ in range(200):
                buf = ws.borrow("shared", (64,), np.float32)
                lent.append(id(buf))
                ws.give_back(buf)
        except Exception as exc:                      # noqa: BLE001  reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(lent) == 800 and ws._lent == {}
