"""Max and average pooling over NHWC images (``channels_last``), TensorFlow conventions.

For output pixel ``(i, j)`` the window is ``xpad[n, i*sh : i*sh + ph, j*sw : j*sw + pw, c]``
with ``"valid"`` (no padding, ``OH = (H - ph) // sh + 1``) or ``"same"`` padding
(``OH = ceil(H / sh)``, split as in :func:`conv2d`). Padded pixels never count: max pooling
ignores them and average pooling divides by the number of real pixels in each window, as
TensorFlow does.

Gradients: :class:`MaxPool2DGrad` routes each output gradient to the first maximum of its
window (row-major order), :class:`AvgPool2DGrad` spreads it evenly over the window's real
pixels. Both are linear in the incoming gradient and have gradients of their own
(:class:`MaxPool2DGradGrad` gathers at the argmax positions; the average-pool pair are
adjoints of each other), so second derivatives work. The routing of max pooling is piecewise
constant in ``x``, whose derivative is zero almost everywhere: those inputs get None.

Example:
    >>> from hilayers import backend as K
    >>> K.max_pool2d(K.placeholder((None, 28, 28, 6)), 2).shape
    (None, 14, 14, 6)
"""
from .. import shapes
from ..errors import ShapeError
from ..kernels._windows import output_length
from ..op import Op, convert_to_tensor
from .arrays import expand_dims
from .conv import (check_image, normalize_pair, normalize_padding, single_int,
                   squeeze_axis1)


class _Pool2D(Op):
    """Base of the pooling ops: ``pool_size``, ``strides`` (pairs) and ``padding``."""

    props = ("pool_size", "strides", "padding")

    def _attrs(self):
        return dict(pool_size=self.pool_size, strides=self.strides, padding=self.padding)

    def _output_shape(self, x):
        name = type(self).__name__
        check_image(name, x, f" (pool_size {self.pool_size}, strides {self.strides})")
        out = []
        for n, k, s, axis in zip(x.shape[1:3], self.pool_size, self.strides,
                                 ("height", "width")):
            if self.padding == "valid" and n is not None and k > n:
                raise ShapeError(
                    f"{name}: the pool window is larger than the input (input shape "
                    f"{x.shape}, pool_size {self.pool_size}): {axis} {k} > {n}; expected a "
                    "window no larger than the input with padding='valid', or "
                    "padding='same'.")
            out.append(output_length(n, k, s, 1, self.padding))
        return (x.shape[0], out[0], out[1], x.shape[3])


class MaxPool2D(_Pool2D):
    """``y[n, i, j, c] = max`` of the window of output pixel ``(i, j)``.

    Input (N, H, W, C); output (N, OH, OW, C).
    """

    def infer(self, x):
        return self._output_shape(x), x.dtype

    def grad(self, node, grads):
        (x,) = node.inputs
        return [MaxPool2DGrad(**self._attrs())(x, node.outputs[0], grads[0])]


class MaxPool2DGrad(_Pool2D):
    """Gradient of :class:`MaxPool2D`: ``dx`` gets ``g[n, i, j, c]`` at the first maximum
    (row-major within the window) of each window, summed where windows overlap.

    Inputs: ``x`` (N, H, W, C), ``y = max_pool(x)`` (N, OH, OW, C), ``g`` (N, OH, OW, C);
    output (N, H, W, C). Linear in ``g``; the routing is constant in ``x`` and ``y`` almost
    everywhere, so they get no gradient.
    """

    def infer(self, x, y, g):
        out = self._output_shape(x)
        shapes.check_same_shape("MaxPool2DGrad", out, y.shape, g.shape)
        return x.shape, x.dtype

    def grad(self, node, grads):
        x, y, _ = node.inputs
        return [None, None, MaxPool2DGradGrad(**self._attrs())(x, y, grads[0])]


class MaxPool2DGradGrad(_Pool2D):
    """Adjoint of :class:`MaxPool2DGrad` in ``g``: ``out[n, i, j, c] = h`` at the first
    maximum of window ``(i, j)``.

    Inputs: ``x`` (N, H, W, C), ``y = max_pool(x)``, ``h`` (N, H, W, C); output like ``y``.
    """

    def infer(self, x, y, h):
        out = self._output_shape(x)
        shapes.check_same_shape("MaxPool2DGradGrad", out, y.shape)
        shapes.check_same_shape("MaxPool2DGradGrad", x.shape, h.shape)
        return y.shape, x.dtype

    def grad(self, node, grads):
        x, y, _ = node.inputs
        return [None, None, MaxPool2DGrad(**self._attrs())(x, y, grads[0])]


class AvgPool2D(_Pool2D):
    """``y[n, i, j, c] =`` mean of the real (unpadded) pixels of window ``(i, j)``.

    Input (N, H, W, C); output (N, OH, OW, C).
    """

    def infer(self, x):
        return self._output_shape(x), x.dtype

    def grad(self, node, grads):
        return [AvgPool2DGrad(**self._attrs())(grads[0], node.inputs[0])]


class AvgPool2DGrad(_Pool2D):
    """Gradient of :class:`AvgPool2D`: every real pixel of window ``(i, j)`` gets
    ``g[n, i, j, c] / count(i, j)``, summed where windows overlap.

    Inputs: ``g`` (N, OH, OW, C) and ``like`` (the pooled input, whose run-time shape is the
    output's; its value is not read). Linear; its adjoint is :class:`AvgPool2D`.
    """

    def infer(self, g, like):
        out = self._output_shape(like)
        shapes.check_same_shape("AvgPool2DGrad", out, g.shape)
        return like.shape, g.dtype

    def grad(self, node, grads):
        return [AvgPool2D(**self._attrs())(grads[0]), None]


def _pool_attrs(op_name, x, pool_size, strides, padding):
    pool = normalize_pair(op_name, "pool_size", pool_size)
    strides = pool if strides is None else normalize_pair(op_name, "strides", strides)
    padding = normalize_padding(op_name, padding, f" (input shape {x.shape}, pool_size "
                                                  f"{pool})")
    return dict(pool_size=pool, strides=strides, padding=padding)


def _pool2d(op_class, x, pool_size, strides, padding, name):
    x = convert_to_tensor(x)
    return op_class(**_pool_attrs(op_class.__name__, x, pool_size, strides, padding))(
        x, name=name)


def _pool1d(op_class, op_name, x, pool_size, strides, padding, name):
    x = convert_to_tensor(x)
    if x.ndim != 3:
        raise ShapeError(f"{op_name}: input {x.name!r} has shape {x.shape} (rank {x.ndim}); "
                         "expected a rank-3 input (batch, steps, channels).")
    pool = single_int(op_name, "pool_size", pool_size)
    stride = pool if strides is None else single_int(op_name, "strides", strides)
    padding = normalize_padding(op_name, padding, f" (input shape {x.shape}, pool_size "
                                                  f"{pool})")
    if padding == "valid" and x.shape[1] is not None and pool > x.shape[1]:
        raise ShapeError(f"{op_name}: the pool window is larger than the input (input shape "
                         f"{x.shape}, pool_size {pool}); expected a window no larger than "
                         "the input with padding='valid', or padding='same'.")
    y = op_class(pool_size=(1, pool), strides=(1, stride), padding=padding)(expand_dims(x, 1))
    return squeeze_axis1(y, name=name)


def max_pool2d(x, pool_size, strides=None, padding="valid", name=None):
    """Max pooling of NHWC images.

    ``y[n, i, j, c] = max_{a < ph, b < pw} xpad[n, i*sh + a, j*sw + b, c]`` (padding never
    wins).

    Args:
        x: tensor of shape (N, H, W, C), float.
        pool_size: an int or a pair ``(ph, pw)``.
        strides: an int, a pair, or None for ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (see the module docstring).

    Returns:
        A tensor of shape (N, OH, OW, C).

    Raises:
        ShapeError: for a non-rank-4 input, or a window larger than a known input with
            ``"valid"`` padding.
        InvalidArgumentError: for an unknown padding or bad sizes.
    """
    return _pool2d(MaxPool2D, x, pool_size, strides, padding, name)


def avg_pool2d(x, pool_size, strides=None, padding="valid", name=None):
    """Average pooling of NHWC images; with ``"same"`` padding each window averages over
    its real pixels only (as TensorFlow does).

    Args, Returns, Raises: as :func:`max_pool2d`.
    """
    return _pool2d(AvgPool2D, x, pool_size, strides, padding, name)


def max_pool1d(x, pool_size=2, strides=None, padding="valid", name=None):
    """Max pooling of (N, W, C) sequences: ``y[n, i, c] = max_{a < p} xpad[n, i*s + a, c]``.

    Args:
        x: tensor of shape (N, W, C).
        pool_size: an int; strides: an int or None for ``pool_size``.
        padding: ``"valid"`` or ``"same"``.

    Returns:
        A tensor of shape (N, OW, C).

    Raises:
        ShapeError: for a non-rank-3 input or a window larger than a known input.
        InvalidArgumentError: for an unknown padding or bad sizes.
    """
    return _pool1d(MaxPool2D, "MaxPool1D", x, pool_size, strides, padding, name)


def avg_pool1d(x, pool_size=2, strides=None, padding="valid", name=None):
    """Average pooling of (N, W, C) sequences (real pixels only with ``"same"``).

    Args, Returns, Raises: as :func:`max_pool1d`.
    """
    return _pool1d(AvgPool2D, "AvgPool1D", x, pool_size, strides, padding, name)


__all__ = ["max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d"]
