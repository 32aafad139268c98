"""Element-wise and sequence transformations: map, filter, repeat, take, skip, shard, zip,
concatenate, enumerate.

Example:
    >>> from hilayers.data import Dataset
    >>> ds = Dataset.range(10).filter(lambda v: v % 3 == 0).map(lambda v: v * 2)
    >>> [int(v) for v in ds.enumerate(1).skip(1).take(2).map(lambda i, v: i * 100 + v)]
    [206, 312]
"""
import itertools

import numpy as np

from .constants import INFINITE, UNKNOWN, check_count, thread_count
from .dataset import Dataset, UnaryDataset
from .errors import function_name, wrap_error
from .iterator import closing
from .structure import TensorSpec, common_spec, flatten, normalize, pack_like, spec_of


def call_with_element(fn, element):
    """``fn(*element)`` for a plain tuple, else ``fn(element)`` (tf.data's convention)."""
    return fn(*element) if type(element) is tuple else fn(element)


class MapDataset(UnaryDataset):
    """``Dataset.map``: in the consumer's thread, or on a thread pool (``parallel.py``)."""

    def __init__(self, input_dataset, map_func, num_parallel_calls=None, deterministic=None):
        super().__init__(input_dataset)
        if not callable(map_func):
            raise TypeError(f"map() needs a callable; received {type(map_func).__name__}.")
        self._fn = map_func
        self._threads = (None if num_parallel_calls is None
                         else thread_count(num_parallel_calls))
        if deterministic not in (None, True, False):
            raise ValueError(f"map(): deterministic must be None, True or False; received "
                             f"{deterministic!r}.")
        self._deterministic = deterministic is not False

    def apply_to(self, element, index):
        """``map_func`` on one element, its result made an element (errors wrapped).

        Raises:
            DatasetError: naming ``index`` when the function raises or returns something that
                is not an element.
        """
        try:
            result = call_with_element(self._fn, element)
            if isinstance(result, list):      # as in tf.data: a returned list is a tuple
                result = tuple(result)
            return normalize(result, "map() result")
        except Exception as exc:   # re-raised as DatasetError: the caller learns the index
            raise wrap_error(exc, "map", self._fn, index) from exc

    def _iterate(self, context):
        upstream = self._input._iterate(context)
        if self._threads is None or context.probe:
            return self._sequential(upstream)
        from .parallel import parallel_map
        return parallel_map(upstream, self.apply_to, self._threads, self._deterministic)

    def _sequential(self, upstream):
        with closing(upstream):
            for index, element in enumerate(upstream):
                yield self.apply_to(element, index)

    def _compute_spec(self):
        return spec_of(self._first_element(f"map({function_name(self._fn)})"))


class FilterDataset(UnaryDataset):
    """``Dataset.filter``."""

    def __init__(self, input_dataset, predicate):
        super().__init__(input_dataset)
        if not callable(predicate):
            raise TypeError(f"filter() needs a callable; received {type(predicate).__name__}.")
        self._predicate = predicate

    def _keep(self, element, index):
        try:
            verdict = call_with_element(self._predicate, element)
            array = np.asarray(verdict)
            if array.shape != () or array.dtype != np.bool_:
                raise TypeError(f"the predicate must return a scalar boolean; it returned "
                                f"{type(verdict).__name__} of dtype {array.dtype} and shape "
                                f"{array.shape}.")
        except Exception as exc:   # re-raised as DatasetError: the caller learns the index
            raise wrap_error(exc, "filter", self._predicate, index) from exc
        return bool(array)

    def _iterate(self, context):
        with closing(self._input._iterate(context)) as upstream:
            for index, element in enumerate(upstream):
                if self._keep(element, index):
                    yield element

    def _cardinality(self):
        return INFINITE if self._input.cardinality() == INFINITE else UNKNOWN


class RepeatDataset(UnaryDataset):
    """``Dataset.repeat``: re-opens its input for each pass."""

    def __init__(self, input_dataset, count=None):
        super().__init__(input_dataset)
        count = -1 if count is None else check_count(count, "repeat(): count",
                                                     allow_minus_one=True)
        self._count = None if count == -1 else count

    def _iterate(self, context):
        passes = itertools.count() if self._count is None else range(self._count)
        for _ in passes:
            produced = False
            with closing(self._input._iterate(context)) as upstream:
                for element in upstream:
                    produced = True
                    yield element
            if not produced:     # an empty input repeated forever is still empty
                return

    def _cardinality(self):
        n = self._input.cardinality()
        if self._count == 0 or n == 0:
            return 0
        if self._count is None or n == INFINITE:
            return INFINITE
        return UNKNOWN if n == UNKNOWN else n * self._count


class TakeDataset(UnaryDataset):
    """``Dataset.take``: stops pulling from its input after ``count`` elements."""

    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = check_count(count, "take(): count", allow_minus_one=True)

    def _iterate(self, context):
        stop = None if self._count == -1 else self._count
        with closing(self._input._iterate(context)) as upstream:
            yield from itertools.islice(upstream, stop)

    def _cardinality(self):
        n = self._input.cardinality()
        if self._count == -1:
            return n
        if n == INFINITE:
            return self._count
        return UNKNOWN if n == UNKNOWN else min(n, self._count)


class SkipDataset(UnaryDataset):
    """``Dataset.skip``."""

    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = check_count(count, "skip(): count", allow_minus_one=True)

    def _iterate(self, context):
        with closing(self._input._iterate(context)) as upstream:
            if self._count == -1:
                for _ in upstream:
                    pass
                return
            yield from itertools.islice(upstream, self._count, None)

    def _cardinality(self):
        n = self._input.cardinality()
        if n < 0:
            return n
        return 0 if self._count == -1 else max(0, n - self._count)


class ShardDataset(UnaryDataset):
    """``Dataset.shard``: elements ``index``, ``index + num_shards``, ..."""

    def __init__(self, input_dataset, num_shards, index):
        super().__init__(input_dataset)
        self._shards = check_count(num_shards, "shard(): num_shards", minimum=1)
        self._index = check_count(index, "shard(): index")
        if self._index >= self._shards:
            raise ValueError(f"shard(): index must be in [0, {self._shards - 1}] for "
                             f"num_shards={self._shards}; received {self._index}.")

    def _iterate(self, context):
        with closing(self._input._iterate(context)) as upstream:
            yield from itertools.islice(upstream, self._index, None, self._shards)

    def _cardinality(self):
        n = self._input.cardinality()
        if n < 0:
            return n
        return n // self._shards + (1 if self._index < n % self._shards else 0)


class ZipDataset(Dataset):
    """``Dataset.zip``: a tuple / dict of datasets gives elements of that structure."""

    def __init__(self, datasets):
        if isinstance(datasets, list):
            datasets = tuple(datasets)
        members = flatten(datasets)
        for member in members:
            if not isinstance(member, Dataset):
                raise TypeError(f"zip() takes Datasets, or a tuple / dict of them; received "
                                f"{type(member).__name__}.")
        self._structure, self._inputs = datasets, tuple(members)

    def _iterate(self, context):
        upstreams = [member._iterate(context) for member in self._inputs]
        try:
            for elements in zip(*upstreams):
                yield pack_like(self._structure, elements)
        finally:
            for upstream in upstreams:
                upstream.close()

    def _compute_spec(self):
        return pack_like(self._structure, [m.element_spec for m in self._inputs])

    def _cardinality(self):
        counts = [m.cardinality() for m in self._inputs]
        if UNKNOWN in counts:
            return UNKNOWN
        finite = [n for n in counts if n >= 0]
        return min(finite) if finite else INFINITE


class ConcatenateDataset(Dataset):
    """``Dataset.concatenate``: the first dataset's elements, then the second's."""

    def __init__(self, first, second):
        if not isinstance(second, Dataset):
            raise TypeError(f"concatenate() needs a Dataset; received "
                            f"{type(second).__name__}.")
        self._inputs = (first, second)
        try:
            self._element_spec = common_spec(first.element_spec, second.element_spec)
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"concatenate() needs datasets with the same structure and dtypes; "
                            f"{exc} (first: {first.element_spec}, second: "
                            f"{second.element_spec})") from exc

    def _iterate(self, context):
        for member in self._inputs:
            with closing(member._iterate(context)) as upstream:
                yield from upstream

    def _cardinality(self):
        counts = [m.cardinality() for m in self._inputs]
        if INFINITE in counts:
            return INFINITE
        return UNKNOWN if UNKNOWN in counts else sum(counts)


class EnumerateDataset(UnaryDataset):
    """``Dataset.enumerate``."""

    def __init__(self, input_dataset, start=0):
        super().__init__(input_dataset)
        if isinstance(start, bool) or not hasattr(start, "__index__"):
            raise ValueError(f"enumerate(): start must be an int; received {start!r}.")
        self._start = int(start)

    def _iterate(self, context):
        with closing(self._input._iterate(context)) as upstream:
            for index, element in enumerate(upstream, self._start):
                yield np.array(index, dtype=np.int64), element

    def _compute_spec(self):
        return TensorSpec((), np.int64), self._input.element_spec
