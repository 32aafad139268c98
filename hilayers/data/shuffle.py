"""``Dataset.shuffle``: a bounded random buffer with repeatable, per-pass orders.

Pass ``k`` (0 for the first iteration of this dataset object, 1 for the next, ...) draws from
``np.random.default_rng([seed, k])``; with ``reshuffle_each_iteration=False`` every pass uses
``k = 0``. The same seed therefore gives the same sequence of orders in every program run.
``repeat`` after ``shuffle`` re-opens the shuffle for each pass, which is what advances ``k``.

Example:
    >>> from hilayers.data import Dataset
    >>> ds = Dataset.range(6).shuffle(6, seed=0, reshuffle_each_iteration=False)
    >>> [int(v) for v in ds] == [int(v) for v in ds]
    True
"""
import itertools

import numpy as np

from .constants import check_count
from .dataset import UnaryDataset
from .iterator import closing

_RANDOM_BLOCK = 1024    # uniform draws fetched at a time (one call per element is slow)


class ShuffleDataset(UnaryDataset):
    """Holds ``buffer_size`` elements; each output is a random one, replaced by the next input."""

    def __init__(self, input_dataset, buffer_size, seed=None, reshuffle_each_iteration=True):
        super().__init__(input_dataset)
        self._buffer_size = check_count(buffer_size, "shuffle(): buffer_size", minimum=1)
        if seed is None:
            # Drawn from NumPy's global generator, which hilayers.set_random_seed seeds.
            seed = int(np.random.randint(0, 2**31 - 1))
        self._seed = check_count(seed, "shuffle(): seed")
        self._reshuffle = bool(reshuffle_each_iteration)
        self._passes = itertools.count()

    def _iterate(self, context):
        upstream = self._input._iterate(context)
        if context.probe:
            return upstream
        k = next(self._passes) if self._reshuffle else 0
        return _shuffled(upstream, self._buffer_size, np.random.default_rng([self._seed, k]))


def _shuffled(upstream, size, rng):
    buffer = []
    draws, used = rng.random(_RANDOM_BLOCK), 0
    with closing(upstream):
        for element in upstream:
            if len(buffer) < size:
                buffer.append(element)
                continue
            if used == _RANDOM_BLOCK:
                draws, used = rng.random(_RANDOM_BLOCK), 0
            slot = int(draws[used] * size)
            used += 1
            chosen, buffer[slot] = buffer[slot], element
            yield chosen
    for slot in rng.permutation(len(buffer)):
        yield buffer[slot]
