"""Feeding ``fit`` / ``evaluate`` / ``predict`` from a Dataset (``hilayers.data``).

A Dataset element is ``(x, y)`` or ``(x, y, sample_weight)`` where ``x`` and ``y`` are
arrays, tuples / lists of arrays (one per model input / output), or dicts keyed by name.
``steps`` bounds an infinite dataset; without it, an epoch is one full pass.
"""
import itertools

import numpy as np

from . import data as data_utils


def is_dataset(obj):
    """True for hilayers Datasets (anything with ``as_numpy_iterator`` and ``cardinality``)."""
    return hasattr(obj, "as_numpy_iterator") and hasattr(obj, "cardinality")


def _cardinality(dataset, steps, what):
    from ..data import INFINITE
    count = dataset.cardinality()
    if count == INFINITE and not steps:
        raise ValueError(f"{what} received an infinite Dataset (e.g. from repeat()); pass "
                         "steps_per_epoch (fit) or steps (evaluate, predict) to bound it.")
    if steps:
        return steps
    return count if count >= 0 else None


class _DatasetSource:
    def __init__(self, model, dataset, steps):
        self.model, self.dataset = model, dataset
        self.steps = _cardinality(dataset, steps, "fit()/evaluate()")
        self._bounded = steps
        self._iterator = None

    def epoch(self):
        """Yield one epoch of ``(x, y, sample_weight)`` batches.

        With ``steps`` given, an epoch takes that many batches and the next epoch continues
        from there (Keras' behaviour for repeated datasets); a pass that runs out early ends
        the epoch, and the next one starts a new pass. Without ``steps``, an epoch is one full
        pass. An epoch stopped early (``stop_training``, an error) closes the pass, which stops
        the pipeline's threads.

        The open pass is kept in ``self._iterator`` in both cases, so that ``close()`` stops
        it even while this generator is still referenced (by a traceback that holds the
        caller's frame, say) and so has not been closed yet.
        """
        if self._iterator is None or not self._bounded:
            self.close()                  # an unfinished earlier pass is stopped, not resumed
            self._iterator = self.dataset.as_numpy_iterator()
        source, limit = self._iterator, self._bounded
        keep_open = False
        try:
            for count, element in enumerate(source, 1):
                yield self._split(element)
                if limit and count >= limit:
                    keep_open = True
                    return
        finally:
            if not keep_open:
                if self._iterator is source:
                    self._iterator = None
                _close(source)

    def close(self):
        """Close the open pass, if any, and stop its threads. Calling it again does nothing."""
        iterator, self._iterator = self._iterator, None
        _close(iterator)

    def _split(self, element):
        if not isinstance(element, tuple) or len(element) not in (2, 3):
            shown = (f"a tuple of {len(element)}" if isinstance(element, tuple) else
                     f"{type(element).__name__} of shape {getattr(element, 'shape', '?')}")
            raise ValueError("fit()/evaluate() need Dataset elements (x, y) or (x, y, "
                             f"sample_weight); received {shown}.")
        x, y = element[0], element[1]
        sw = element[2] if len(element) == 3 else None
        x_arrays, y_arrays, sw_arrays, _ = self.model._prepare(x, y, sw)
        return x_arrays, y_arrays, sw_arrays


def dataset_batches(model, dataset, steps):
    """A source of ``(x, y, sample_weight)`` batches for ``fit`` / ``evaluate``."""
    return _DatasetSource(model, dataset, steps)


def dataset_inputs(model, dataset, steps):
    """Batches of model inputs for ``predict`` (elements ``x`` or ``(x, ...)``)."""
    _cardinality(dataset, steps, "predict()")
    iterator = dataset.as_numpy_iterator()
    try:
        for element in itertools.islice(iterator, steps or None):   # no element past steps
            x = element[0] if isinstance(element, tuple) else element
            arrays = data_utils.to_array_list(x, model._input_names_for_data(x), "inputs",
                                              model.name)
            model._ensure_built_for(arrays)
            yield [np.asarray(a) for a in arrays]
    finally:
        _close(iterator)


def _close(iterator):
    close = getattr(iterator, "close", None)
    if close is not None:
        close()
