"""Summary protocol buffers (scalars, histograms) built with the ``tensorboard`` package.

TensorBoard reads event files whose records are ``Event`` protos; a ``Summary`` inside an
event holds tagged values. hilayers writes the classic value kinds that every TensorBoard
reads: ``simple_value`` for a scalar and a ``HistogramProto`` for a histogram. The protos come
from ``tensorboard.compat.proto``, so TensorFlow is not needed.

``tensorboard`` is an optional dependency (the ``viz`` extra). Every entry point asks for it
through :func:`require_tensorboard`, which says what to install when it is missing.

Example:
    >>> import numpy as np
    >>> value = histogram_value("weights", np.array([0.0, 1.0, 1.0, 3.0]), bins=3)
    >>> value.histo.num, list(value.histo.bucket), list(value.histo.bucket_limit)
    (4.0, [1.0, 2.0, 1.0], [1.0, 2.0, 3.0])
"""
import importlib

import numpy as np

INSTALL_HINT = ("Install the visualization extra: pip install 'hilayers[viz]' "
                "(or just: pip install tensorboard).")


def require_tensorboard(feature):
    """Import and return ``tensorboard.compat.proto`` (the module with the protos).

    Args:
        feature: what needs TensorBoard, named in the error (``"TensorBoard callback"``).

    Raises:
        ImportError: when the ``tensorboard`` package is not installed, saying what to install.
    """
    try:
        return importlib.import_module("tensorboard.compat.proto")
    except ImportError as exc:
        raise ImportError(f"{feature} needs the 'tensorboard' package, which is not "
                          f"installed. {INSTALL_HINT}") from exc


def _summary_pb2():
    require_tensorboard("Writing TensorBoard summaries")
    from tensorboard.compat.proto import summary_pb2
    return summary_pb2


def check_tag(tag, what="summary"):
    """Return ``tag`` if it is a non-empty string.

    Raises:
        TypeError: for a tag that is not a string.
        ValueError: for an empty tag.
    """
    if not isinstance(tag, str):
        raise TypeError(f"A {what} tag must be a string such as 'loss'; received "
                        f"{type(tag).__name__} {tag!r}.")
    if not tag:
        raise ValueError(f"A {what} tag must not be empty; name it, e.g. 'loss'.")
    return tag


def scalar_value(tag, value):
    """A ``Summary.Value`` holding one number.

    Args:
        tag: the chart's name in TensorBoard (``"epoch_loss"``).
        value: a number or an array with one element.

    Returns:
        ``tensorboard.compat.proto.summary_pb2.Summary.Value`` with ``simple_value`` set.

    Raises:
        ValueError: when ``value`` holds more (or fewer) than one number.
        TypeError: when it is not a number.
    """
    summary_pb2 = _summary_pb2()
    check_tag(tag)
    array = np.asarray(value)
    if array.size != 1:
        raise ValueError(f"Scalar summary {tag!r}: expected one number; received an array of "
                         f"shape {array.shape}. Reduce it first (e.g. with a mean).")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Scalar summary {tag!r}: expected a number; received dtype "
                        f"{array.dtype}.")
    return summary_pb2.Summary.Value(tag=tag, simple_value=float(array.reshape(())))


def histogram_proto(values, bins=30, tag="histogram"):
    """A ``HistogramProto`` of ``values`` with ``bins`` equal-width buckets.

    ``bucket_limit[i]`` is the right edge of bucket ``i``; TensorBoard takes the left edge of
    the first bucket from ``min``. All values equal give one bucket.

    Args:
        values: an array of numbers (any shape; flattened).
        bins: the number of buckets (a positive int).
        tag: named in errors.

    Raises:
        ValueError: for an empty array, ``bins < 1``, or a NaN or infinity among the values
            (a histogram of them has no edges; TensorFlow refuses them too).
    """
    summary_pb2 = _summary_pb2()
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"Histogram {tag!r}: bins must be a positive integer; received "
                         f"{bins!r}.")
    data = np.asarray(values, dtype=np.float64).reshape(-1)
    if data.size == 0:
        raise ValueError(f"Histogram {tag!r}: received no values (an empty array).")
    finite = np.isfinite(data)
    if not finite.all():
        bad = int(data.size - finite.sum())
        raise ValueError(f"Histogram {tag!r}: {bad} of {data.size} values are NaN or infinite; "
                         "a histogram needs finite values. Check the training for divergence "
                         "(TerminateOnNaN stops it at the first NaN loss).")
    low, high = float(data.min()), float(data.max())
    if low == high:
        counts, limits = [float(data.size)], [high]
    else:
        counts, edges = np.histogram(data, bins=int(bins), range=(low, high))
        counts, limits = counts.astype(np.float64).tolist(), edges[1:].tolist()
    return summary_pb2.HistogramProto(
        min=low, max=high, num=float(data.size), sum=float(data.sum()),
        sum_squares=float(np.dot(data, data)), bucket_limit=limits, bucket=counts)


def histogram_value(tag, values, bins=30):
    """A ``Summary.Value`` holding a histogram of ``values`` (see :func:`histogram_proto`)."""
    summary_pb2 = _summary_pb2()
    check_tag(tag)
    return summary_pb2.Summary.Value(tag=tag, histo=histogram_proto(values, bins, tag))


def summary(values):
    """A ``Summary`` proto holding the ``Summary.Value``s in ``values``."""
    return _summary_pb2().Summary(value=list(values))


def parse_summary(serialized):
    """The ``Summary`` proto of ``serialized`` (bytes, or a 0-d array holding bytes).

    Raises:
        TypeError: for anything that is not serialized summary bytes.
    """
    summary_pb2 = _summary_pb2()
    if isinstance(serialized, summary_pb2.Summary):
        return serialized
    if isinstance(serialized, np.ndarray) and serialized.shape == () \
            and serialized.dtype == object:
        serialized = serialized.item()
    if not isinstance(serialized, (bytes, bytearray)):
        raise TypeError("Expected a serialized Summary: the value of a summary op fetched with "
                        "Session.run (bytes); received "
                        f"{type(serialized).__name__}.")
    result = summary_pb2.Summary()
    result.ParseFromString(bytes(serialized))
    return result
