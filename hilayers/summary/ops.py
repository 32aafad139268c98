"""Summary ops for the graph / session API, as TensorFlow 1.x's ``tf.summary`` had them.

``scalar(name, x)`` and ``histogram(name, x)`` add a node whose value, when the graph runs,
is a serialized ``Summary`` (``bytes``, fetched as a 0-d object array). ``merge`` joins
several into one and ``merge_all`` joins every summary of a graph. Hand the fetched value to
:meth:`FileWriter.add_summary`.

The tag of a summary is its name with the enclosing name scopes (``"train/loss"``); the
node's name is made unique in the graph as usual (``"loss_1"`` beside a node ``"loss"``), but
the tag is not, so two summaries with one tag draw into one chart.

Example:
    >>> from hilayers import backend as K
    >>> g = K.Graph()
    >>> with g.as_default():
    ...     x = K.placeholder((None,), name="x")
    ...     m = scalar("mean", K.mean(x))
    ...     h = histogram("values", x)
    ...     merged = merge_all()
    >>> data = K.Session(g).run(merged, {x: [1.0, 2.0, 6.0]})
    >>> from hilayers.summary.protos import parse_summary
    >>> [(v.tag, v.WhichOneof("value")) for v in parse_summary(data).value]
    [('mean', 'simple_value'), ('values', 'histo')]
"""
import weakref

import numpy as np

from ..backend import Op, ShapeError, convert_to_tensor, get_default_graph
from ..backend.errors import DTypeError
from ..backend.kernels.registry import kernel
from .protos import (check_tag, histogram_value, parse_summary, require_tensorboard,
                     scalar_value, summary)

SUMMARY_DTYPE = np.dtype(object)

# graph -> the summary tensors built in it, in order (what merge_all() joins).
_SUMMARIES = weakref.WeakKeyDictionary()


class _SummaryOp(Op):
    """A node whose value is a serialized ``Summary``.

    ``pure = False``: two summaries of the same tensor under different tags must stay two
    nodes, so they are never merged; the tag is set on the op right after the node is built
    (it is the node's unique name).
    """

    pure = False
    differentiable = False
    tag = None

    def grad(self, node, output_grads):
        return [None] * len(node.inputs)


class ScalarSummary(_SummaryOp):
    """``Summary`` with one ``simple_value``: the value of a scalar tensor."""

    def infer(self, x):
        if x.shape != ():
            raise ShapeError(f"ScalarSummary: input {x.name!r} has shape {x.shape}; expected a "
                             "scalar (shape ()). Reduce it first, e.g. K.mean(x).")
        _check_numeric("ScalarSummary", x)
        return (), SUMMARY_DTYPE


class HistogramSummary(_SummaryOp):
    """``Summary`` with a ``HistogramProto`` of all the values of a tensor."""

    props = ("bins",)

    def infer(self, x):
        _check_numeric("HistogramSummary", x)
        return (), SUMMARY_DTYPE


class MergeSummary(Op):
    """One ``Summary`` holding the values of all its input summaries, in input order."""

    pure = False
    differentiable = False

    def infer(self, *summaries):
        if not summaries:
            raise ValueError("MergeSummary: expected at least one summary to merge.")
        for s in summaries:
            if s.dtype != SUMMARY_DTYPE or s.shape != ():
                raise DTypeError(f"MergeSummary: input {s.name!r} is not a summary (dtype "
                                 f"{s.dtype.name}, shape {s.shape}); merge the outputs of "
                                 "summary.scalar / summary.histogram.")
        return (), SUMMARY_DTYPE

    def grad(self, node, output_grads):
        return [None] * len(node.inputs)


def _check_numeric(op_name, x):
    if x.dtype.kind not in "biuf":
        raise DTypeError(f"{op_name}: input {x.name!r} has dtype {x.dtype.name}; expected "
                         "numbers (float, int or bool).")


def _as_summary_array(proto):
    out = np.empty((), dtype=object)
    out[()] = proto.SerializeToString()
    return out


@kernel("ScalarSummary")
def _scalar_summary_kernel(ctx, op, x):
    value = np.asarray(ctx.impl.to_numpy(x))
    return _as_summary_array(summary([scalar_value(op.tag, value)]))


@kernel("HistogramSummary")
def _histogram_summary_kernel(ctx, op, x):
    values = np.asarray(ctx.impl.to_numpy(x))
    return _as_summary_array(summary([histogram_value(op.tag, values, op.bins)]))


@kernel("MergeSummary")
def _merge_summary_kernel(ctx, op, *summaries):
    values = []
    for s in summaries:
        values.extend(parse_summary(s).value)
    return _as_summary_array(summary(values))


def _register(op, x, name, collections):
    """Build the node, set its tag and remember it for merge_all()."""
    out = op(x, name=check_tag(name, "summary name"))
    op.tag = _tag_of(out.node.name, name)
    if collections is None or collections:
        _SUMMARIES.setdefault(out.graph, []).append(out)
    return out


def _tag_of(node_name, name):
    """The node's name without the ``_N`` that made it unique: ``"train/loss_1"`` built as
    ``"loss"`` in scope ``train`` is tagged ``"train/loss"``."""
    if node_name.endswith(name):
        return node_name
    stem, _, number = node_name.rpartition("_")
    return stem if number.isdigit() and stem.endswith(name) else node_name


def scalar(name, tensor, collections=None):
    """A summary op writing the scalar ``tensor`` under the tag ``name`` (with its scope).

    Args:
        name: the tag (the chart's title in TensorBoard).
        tensor: a scalar tensor (shape ``()``) of numbers, or a Python number.
        collections: ``[]`` to leave the summary out of :func:`merge_all`; the default keeps
            it in.

    Returns:
        A scalar tensor of dtype ``object`` whose value is the serialized ``Summary``.

    Raises:
        ShapeError: when ``tensor`` is not a scalar (the message says to reduce it).
        DTypeError: when it does not hold numbers.
        ImportError: when the ``tensorboard`` package is missing.
    """
    require_tensorboard("hilayers.summary.scalar")
    return _register(ScalarSummary(), convert_to_tensor(tensor), name, collections)


def histogram(name, values, bins=30, collections=None):
    """A summary op writing a histogram of all the values of ``values`` under ``name``.

    Args:
        name: the tag.
        values: a tensor of numbers, any shape.
        bins: the number of equal-width buckets between the smallest and the largest value.
        collections: ``[]`` to leave it out of :func:`merge_all`.

    Returns:
        A scalar tensor of dtype ``object`` whose value is the serialized ``Summary``. Running
        it raises ``ValueError`` when the values hold a NaN or an infinity.

    Raises:
        ValueError: for ``bins`` that is not a positive integer.
        DTypeError: when ``values`` does not hold numbers.
    """
    require_tensorboard("hilayers.summary.histogram")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"histogram {name!r}: bins must be a positive integer; received "
                         f"{bins!r}.")
    return _register(HistogramSummary(bins=int(bins)), convert_to_tensor(values), name,
                     collections)


def merge(inputs, name=None):
    """One summary holding the values of the summaries in ``inputs``.

    Raises:
        ValueError: when ``inputs`` is empty.
        DTypeError: when an input is not a summary tensor.
    """
    inputs = list(inputs)
    if not inputs:
        raise ValueError("summary.merge: received no summaries to merge.")
    return MergeSummary()(*inputs, name=name or "MergeSummary")


def merge_all(graph=None, name=None):
    """Merge every summary built in ``graph`` (the default graph when None).

    Returns:
        The merged summary tensor, or None when the graph has no summaries (as TensorFlow 1.x
        did).
    """
    graph = graph or get_default_graph()
    tensors = _SUMMARIES.get(graph, [])
    if not tensors:
        return None
    with graph.as_default():
        return merge(tensors, name=name)
