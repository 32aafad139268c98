"""Kernels of the comparison and logical ops (bool outputs; one body for NumPy and CuPy)."""
import numpy as np

from . import _threaded_ufuncs as threaded
from .registry import kernel


@kernel("Equal")
def _equal(ctx, op, a, b):
    return ctx.xp.equal(a, b)


@kernel("NotEqual")
def _not_equal(ctx, op, a, b):
    return ctx.xp.not_equal(a, b)


@kernel("Greater")
def _greater(ctx, op, a, b):
    # A ReLU's gradient mask: large on images, so split over the threads on NumPy.
    if ctx.xp is np and threaded.worth_splitting(max(a.size, b.size)):
        return threaded.new_result(np.greater, bool, a, b)
    return ctx.xp.greater(a, b)


@kernel("GreaterEqual")
def _greater_equal(ctx, op, a, b):
    return ctx.xp.greater_equal(a, b)


@kernel("Less")
def _less(ctx, op, a, b):
    return ctx.xp.less(a, b)


@kernel("LessEqual")
def _less_equal(ctx, op, a, b):
    return ctx.xp.less_equal(a, b)


@kernel("LogicalAnd")
def _logical_and(ctx, op, a, b):
    return ctx.xp.logical_and(a, b)


@kernel("LogicalOr")
def _logical_or(ctx, op, a, b):
    return ctx.xp.logical_or(a, b)


@kernel("LogicalXor")
def _logical_xor(ctx, op, a, b):
    return ctx.xp.logical_xor(a, b)


@kernel("LogicalNot")
def _logical_not(ctx, op, x):
    return ctx.xp.logical_not(x)
