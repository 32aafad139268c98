"""Constants shared by the pipeline: ``AUTOTUNE`` and the special cardinalities.

The values are tf.data's, so code ported from it reads the same.

Example:
    >>> from hilayers.data import INFINITE, UNKNOWN, Dataset
    >>> Dataset.range(3).repeat().cardinality() == INFINITE
    True
    >>> Dataset.range(3).filter(lambda x: x > 0).cardinality() == UNKNOWN
    True
"""
import os

AUTOTUNE = -1
"""Let the pipeline choose: a thread count from ``os.cpu_count()`` for ``map``, a small buffer
for ``prefetch``."""

INFINITE = -1
"""``cardinality()`` of a dataset that never ends (``repeat()`` with no count)."""

UNKNOWN = -2
"""``cardinality()`` of a dataset whose length is known only by iterating it (``filter``,
``from_generator``)."""

PREFETCH_AUTOTUNE_BUFFER = 2
"""The buffer ``prefetch(AUTOTUNE)`` uses: one element being consumed, one or two ready."""


def thread_count(num_parallel_calls, what="map"):
    """Threads for ``num_parallel_calls``: the number itself, or the CPU count for AUTOTUNE.

    Raises:
        ValueError: for anything but a positive int or ``AUTOTUNE``.
    """
    if num_parallel_calls == AUTOTUNE and not isinstance(num_parallel_calls, bool):
        return max(1, os.cpu_count() or 1)
    if (isinstance(num_parallel_calls, bool) or not hasattr(num_parallel_calls, "__index__")
            or int(num_parallel_calls) < 1):
        raise ValueError(f"{what}(): num_parallel_calls must be a positive int or "
                         f"AUTOTUNE (-1); received {num_parallel_calls!r}.")
    return int(num_parallel_calls)


def check_count(value, what, allow_minus_one=False, minimum=0):
    """``value`` as an int, or raise naming the argument and what it accepts.

    Raises:
        ValueError: for a non-integer or out-of-range value.
    """
    ok = not isinstance(value, bool) and hasattr(value, "__index__")
    if ok:
        value = int(value)
        ok = value >= minimum or (allow_minus_one and value == -1)
    if not ok:
        accepted = f"an int >= {minimum}" + (" or -1" if allow_minus_one else "")
        raise ValueError(f"{what} must be {accepted}; received {value!r}.")
    return value
