"""``Dataset``: an ordered sequence of elements, built from sources and transformations.

Each method returns a new Dataset and leaves its receiver as it was; nothing runs until the
dataset is iterated (``for``, ``iter``, ``as_numpy_iterator``, ``Model.fit``). The classes that
do the work live in ``sources.py``, ``transforms.py``, ``batching.py``, ``shuffle.py``,
``parallel.py`` and ``cache.py``; this module holds the public surface.

Example:
    >>> import numpy as np
    >>> from hilayers.data import Dataset
    >>> x = np.arange(10, dtype=np.float32)
    >>> ds = Dataset.from_tensor_slices((x, x % 2)).map(lambda a, b: (a * 10, b)).batch(4)
    >>> [xb.tolist() for xb, _ in ds]
    [[0.0, 10.0, 20.0, 30.0], [40.0, 50.0, 60.0, 70.0], [80.0, 90.0]]
"""
from .constants import INFINITE, UNKNOWN
from .iterator import DatasetIterator, IterationContext, closing


class Dataset:
    """Base class of every dataset. Build one with a ``from_*`` / ``range`` source.

    Subclasses implement ``_iterate(context)`` (a generator for one pass),
    ``_compute_spec()`` and ``_cardinality()``; ``_inputs`` lists the datasets they read.
    """

    _inputs = ()

    # -- sources ---------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors):
        """One element per row of ``tensors`` (sliced along the first axis).

        Args:
            tensors: an array, or a nest of tuples / dicts of arrays with the same first
                dimension. Lists are read as arrays.

        Returns:
            A Dataset whose elements have the structure of ``tensors``.

        Raises:
            ValueError: when leaves have different first dimensions, or a leaf is a scalar.

        Example:
            >>> [int(v) for v in Dataset.from_tensor_slices([4, 5, 6])]
            [4, 5, 6]
        """
        from .sources import TensorSlicesDataset
        return TensorSlicesDataset(tensors)

    @staticmethod
    def from_tensors(tensors):
        """A dataset of exactly one element, ``tensors``.

        Example:
            >>> import numpy as np
            >>> [a.shape for a in Dataset.from_tensors(np.zeros((2, 3)))]
            [(2, 3)]
        """
        from .sources import TensorsDataset
        return TensorsDataset(tensors)

    @staticmethod
    def from_generator(generator, output_signature=None, args=()):
        """Elements from a Python generator, checked against a declared signature.

        Args:
            generator: a callable returning an iterable; it is called again for each pass.
            output_signature: a (nested) :class:`TensorSpec` describing each element. Values
                are converted to its dtypes within a kind (int to float, float64 to float32).
            args: a tuple of arguments for ``generator``.

        Returns:
            A Dataset of unknown cardinality.

        Raises:
            TypeError: when ``generator`` is not callable or ``output_signature`` is missing;
                while iterating, when an element does not fit the signature.

        Example:
            >>> import numpy as np
            >>> from hilayers.data import TensorSpec
            >>> def gen():
            ...     for n in range(1, 4):
            ...         yield np.arange(n), n
            >>> sig = (TensorSpec((None,), "int64"), TensorSpec((), "int64"))
            >>> [v.tolist() for v, _ in Dataset.from_generator(gen, output_signature=sig)]
            [[0], [0, 1], [0, 1, 2]]
        """
        from .sources import GeneratorDataset
        return GeneratorDataset(generator, output_signature, args)

    @staticmethod
    def range(*args, dtype="int64"):
        """``range(stop)``, ``range(start, stop[, step])`` as 0-d arrays of ``dtype``.

        Example:
            >>> [int(v) for v in Dataset.range(2, 10, 3)]
            [2, 5, 8]
        """
        from .sources import RangeDataset
        return RangeDataset(*args, dtype=dtype)

    @staticmethod
    def zip(*datasets):
        """Elements taken side by side from several datasets; stops at the shortest.

        Args:
            *datasets: datasets, or one tuple / dict of datasets (the element takes its
                structure).

        Raises:
            TypeError: when something other than a Dataset is given.

        Example:
            >>> a, b = Dataset.range(3), Dataset.range(10, 20)
            >>> [(int(x), int(y)) for x, y in Dataset.zip(a, b)]
            [(0, 10), (1, 11), (2, 12)]
        """
        from .transforms import ZipDataset
        return ZipDataset(datasets[0] if len(datasets) == 1 else datasets)

    # -- transformations -------------------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None):
        """Apply ``map_func`` to each element: ``fn(*element)`` for a tuple, else ``fn(element)``.

        Args:
            map_func: takes and returns NumPy values; a returned list is read as a tuple.
            num_parallel_calls: None to call it in the consumer's thread; a number of threads
                (or ``AUTOTUNE``) to run it on a pool. Threads pay off when the function
                releases the GIL (NumPy on large arrays, I/O, sleeping).
            deterministic: with threads, False lets elements come out as they finish.

        Returns:
            The mapped dataset. Its ``element_spec`` is read from its first element (the
            pipeline is run that far, once, when it is first asked for).

        Raises:
            TypeError: when ``map_func`` is not callable.
            DatasetError: while iterating, when ``map_func`` raises; the message names the
                element's index, and the original error is chained.

        Example:
            >>> [int(v) for v in Dataset.range(4).map(lambda v: v * v, num_parallel_calls=2)]
            [0, 1, 4, 9]
        """
        from .transforms import MapDataset
        return MapDataset(self, map_func, num_parallel_calls, deterministic)

    def filter(self, predicate):
        """Keep the elements for which ``predicate`` returns True (a bool or 0-d bool array).

        Raises:
            TypeError: when ``predicate`` is not callable.
            DatasetError: while iterating, when the predicate raises or returns a non-boolean.

        Example:
            >>> [int(v) for v in Dataset.range(6).filter(lambda v: v % 2 == 0)]
            [0, 2, 4]
        """
        from .transforms import FilterDataset
        return FilterDataset(self, predicate)

    def batch(self, batch_size, drop_remainder=False):
        """Stack ``batch_size`` consecutive elements leaf by leaf into one element.

        Args:
            batch_size: elements per batch (>= 1).
            drop_remainder: drop a last, smaller batch.

        Raises:
            ValueError: for a bad ``batch_size``; while iterating, when elements of one batch
                differ in shape (``padded_batch`` pads them).

        Example:
            >>> [b.tolist() for b in Dataset.range(5).batch(2)]
            [[0, 1], [2, 3], [4]]
        """
        from .batching import BatchDataset
        return BatchDataset(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False):
        """Batch elements of different shapes, padding each leaf at the end of each axis.

        Args:
            batch_size: elements per batch.
            padded_shapes: None to pad every axis to the largest in the batch; else a shape
                per leaf (in the element's structure), where None or -1 means "the largest".
            padding_values: the fill value: one for all leaves or one per leaf (default 0,
                False or "").
            drop_remainder: drop a last, smaller batch.

        Raises:
            ValueError: for a ``padded_shapes`` that does not fit the elements.

        Example:
            >>> import numpy as np
            >>> ds = Dataset.range(1, 4).map(lambda n: np.arange(n) + 1)
            >>> ds.padded_batch(3).as_numpy_iterator().__next__().tolist()
            [[1, 0, 0], [1, 2, 0], [1, 2, 3]]
        """
        from .batching import PaddedBatchDataset
        return PaddedBatchDataset(self, batch_size, padded_shapes, padding_values,
                                  drop_remainder)

    def unbatch(self):
        """Split each element along its first axis into that many elements (``batch``'s inverse).

        Raises:
            ValueError: while iterating, when an element's leaves have different first
                dimensions.

        Example:
            >>> [int(v) for v in Dataset.range(5).batch(2).unbatch()]
            [0, 1, 2, 3, 4]
        """
        from .batching import UnbatchDataset
        return UnbatchDataset(self)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        """Shuffle through a buffer: each output is a random buffered element, replaced by the
        next input. A buffer as large as the dataset gives a uniform shuffle.

        Args:
            buffer_size: elements held (>= 1).
            seed: the same seed gives the same order in the first pass, the same in the second,
                and so on. Without one it is drawn from NumPy's global generator.
            reshuffle_each_iteration: a new order each pass (epoch); False reuses the first.

        Raises:
            ValueError: for a bad ``buffer_size`` or ``seed``.

        Example:
            >>> ds = Dataset.range(5).shuffle(5, seed=3)
            >>> first, second = [int(v) for v in ds], [int(v) for v in ds]
            >>> sorted(first) == sorted(second) == [0, 1, 2, 3, 4], first != second
            (True, True)
            >>> first == [int(v) for v in Dataset.range(5).shuffle(5, seed=3)]
            True
        """
        from .shuffle import ShuffleDataset
        return ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count=None):
        """Pass over the dataset ``count`` times (None or -1: forever).

        Each pass re-opens the input, so a ``shuffle`` before ``repeat`` draws a new order
        per pass and keeps the passes apart; see docs/data.md for the other order.

        Example:
            >>> [int(v) for v in Dataset.range(3).repeat(2)]
            [0, 1, 2, 0, 1, 2]
        """
        from .transforms import RepeatDataset
        return RepeatDataset(self, count)

    def take(self, count):
        """The first ``count`` elements (-1: all).

        Example:
            >>> [int(v) for v in Dataset.range(10).repeat().take(3)]
            [0, 1, 2]
        """
        from .transforms import TakeDataset
        return TakeDataset(self, count)

    def skip(self, count):
        """All but the first ``count`` elements (-1: skip everything).

        Example:
            >>> [int(v) for v in Dataset.range(5).skip(3)]
            [3, 4]
        """
        from .transforms import SkipDataset
        return SkipDataset(self, count)

    def shard(self, num_shards, index):
        """Every ``num_shards``-th element, starting at ``index`` (one worker's share).

        Raises:
            ValueError: unless ``0 <= index < num_shards``.

        Example:
            >>> [int(v) for v in Dataset.range(10).shard(3, 1)]
            [1, 4, 7]
        """
        from .transforms import ShardDataset
        return ShardDataset(self, num_shards, index)

    def concatenate(self, dataset):
        """This dataset's elements, then ``dataset``'s (same structure and dtypes).

        Raises:
            TypeError: when ``dataset`` is not a Dataset or the dtypes differ.
            ValueError: when the structures differ.

        Example:
            >>> [int(v) for v in Dataset.range(2).concatenate(Dataset.range(5, 7))]
            [0, 1, 5, 6]
        """
        from .transforms import ConcatenateDataset
        return ConcatenateDataset(self, dataset)

    def enumerate(self, start=0):
        """Pairs ``(index, element)`` with an int64 index counted from ``start``.

        Example:
            >>> [(int(i), int(v)) for i, v in Dataset.range(7, 9).enumerate()]
            [(0, 7), (1, 8)]
        """
        from .transforms import EnumerateDataset
        return EnumerateDataset(self, start)

    def cache(self, filename=""):
        """Record the elements of the first complete pass and replay them afterwards.

        Args:
            filename: "" keeps them in memory; else a folder written as ``.npz`` files (never
                pickled) that appears only once a pass is complete; later programs reuse it.

        Returns:
            The caching dataset. A pass stopped early records nothing. Cached arrays are
            read-only.

        Example:
            >>> calls = []
            >>> ds = Dataset.range(3).map(lambda v: calls.append(1) or v).cache()
            >>> _ = list(ds), list(ds)
            >>> len(calls)
            3
        """
        from .cache import CacheDataset
        return CacheDataset(self, filename)

    def prefetch(self, buffer_size):
        """Produce up to ``buffer_size`` elements ahead, on a background thread.

        The stages before ``prefetch`` then run while the consumer (a training step) works on
        the current element. ``AUTOTUNE`` picks a small buffer; 0 turns prefetching off.

        Example:
            >>> [int(v) for v in Dataset.range(3).prefetch(1)]
            [0, 1, 2]
        """
        from .parallel import PrefetchDataset
        return PrefetchDataset(self, buffer_size)

    # -- iterating and describing ----------------------------------------------------------------
    def __iter__(self):
        return DatasetIterator(self)

    def as_numpy_iterator(self):
        """A :class:`DatasetIterator` over one pass; ``close()`` it when stopping early."""
        return DatasetIterator(self)

    def cardinality(self):
        """The number of elements: an int, ``INFINITE`` (-1) or ``UNKNOWN`` (-2).

        Example:
            >>> Dataset.range(10).batch(3).cardinality()
            4
        """
        return self._cardinality()

    @property
    def element_spec(self):
        """The structure of an element, with a :class:`TensorSpec` per leaf.

        Example:
            >>> Dataset.range(10).batch(3).element_spec
            TensorSpec(shape=(None,), dtype=int64)
        """
        spec = self.__dict__.get("_element_spec")
        if spec is None:
            spec = self._element_spec = self._compute_spec()
        return spec

    def __len__(self):
        count = self.cardinality()
        if count == INFINITE:
            raise TypeError("len() of an infinite Dataset; use cardinality() or take(n).")
        if count == UNKNOWN:
            raise TypeError("The length of this Dataset is unknown until it is iterated "
                            "(it contains a filter or a generator); use cardinality().")
        return count

    def __bool__(self):
        return True    # else Python would call __len__, which may raise

    def __repr__(self):
        return f"<{type(self).__name__} cardinality={self.cardinality()}>"

    # -- for subclasses ---------------------------------------------------------------------------
    def _iterate(self, context):
        raise NotImplementedError(f"{type(self).__name__} does not implement _iterate.")

    def _compute_spec(self):
        return self._inputs[0].element_spec

    def _cardinality(self):
        return self._inputs[0].cardinality()

    def _first_element(self, what):
        """The first element of a probing pass (see :class:`IterationContext`).

        Raises:
            ValueError: when the dataset is empty.
        """
        with closing(self._iterate(IterationContext(probe=True))) as elements:
            for element in elements:
                return element
        raise ValueError(f"Cannot infer the element_spec of {what}: its input produced no "
                         "elements.")


class UnaryDataset(Dataset):
    """A transformation of one input dataset."""

    def __init__(self, input_dataset):
        if not isinstance(input_dataset, Dataset):
            raise TypeError(f"{type(self).__name__} needs a Dataset input; received "
                            f"{type(input_dataset).__name__}.")
        self._input = input_dataset
        self._inputs = (input_dataset,)
