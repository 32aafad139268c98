"""Iterating a Dataset: :class:`DatasetIterator`, and how a pipeline is opened.

Each Dataset opens as a chain of generators, one per transformation, pulled by the consumer.
``Dataset._iterate(context)`` returns the generator for one pass. Transformations own the
generator of their input and close it in a ``finally`` (``contextlib.closing``), so closing the
outermost one runs every ``finally`` down the chain; that is where ``prefetch`` and parallel
``map`` stop and join their threads.

:class:`DatasetIterator` wraps the outermost generator and closes it when exhausted, when
``close()`` is called, when used as a context manager, and when it is garbage-collected: a
``for`` loop that breaks or raises drops its iterator, so its threads stop there and then.
"""
import contextlib


class IterationContext:
    """What a pass over a pipeline is for.

    Attributes:
        probe: True when the pass only looks at the first element (to infer a ``map``'s
            ``element_spec``): shuffles then do not shuffle or advance their epoch counter,
            caches do not record, and nothing starts a thread.
    """

    __slots__ = ("probe",)

    def __init__(self, probe=False):
        self.probe = probe


def closing(generator):
    """``contextlib.closing`` for a transformation's input generator."""
    return contextlib.closing(generator)


class DatasetIterator:
    """An iterator over one pass of a Dataset, with ``close()``.

    Made by ``iter(dataset)`` and ``dataset.as_numpy_iterator()``. Elements are NumPy arrays
    in the dataset's structure.

    Example:
        >>> from hilayers.data import Dataset
        >>> with Dataset.range(10).prefetch(2).as_numpy_iterator() as it:
        ...     print(next(it), next(it))
        0 1
        >>> it.closed
        True
    """

    def __init__(self, dataset):
        self._generator = None          # set first: __del__ runs even if opening fails
        self._dataset = dataset
        self._generator = dataset._iterate(IterationContext())

    @property
    def element_spec(self):
        """The dataset's ``element_spec``."""
        return self._dataset.element_spec

    @property
    def closed(self):
        """True once exhausted or closed."""
        return self._generator is None

    def __iter__(self):
        return self

    def __next__(self):
        if self._generator is None:
            raise StopIteration
        try:
            return next(self._generator)
        except StopIteration:
            self.close()
            raise
        except BaseException:
            # The generator chain has already run its ``finally`` blocks as the error left it.
            self._generator = None
            raise

    def close(self):
        """Stop the pass: close every stage and join the threads they started.

        Calling it again, or after the end, does nothing.
        """
        generator, self._generator = self._generator, None
        if generator is not None:
            generator.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __del__(self):
        self.close()

    def __repr__(self):
        state = "closed" if self.closed else "open"
        return f"<DatasetIterator ({state}) over {self._dataset!r}>"
