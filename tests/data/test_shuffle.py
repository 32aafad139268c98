"""shuffle: seeds, reshuffling per pass, buffer sizes, and epoch boundaries with repeat."""
import numpy as np
import pytest

from hilayers.data import Dataset
from hilayers.utils import set_random_seed


def _values(dataset):
    return [int(v) for v in dataset]


def test_a_seed_makes_the_sequence_of_orders_repeatable():
    first = Dataset.range(20).shuffle(20, seed=7)
    second = Dataset.range(20).shuffle(20, seed=7)
    passes_a = [_values(first) for _ in range(3)]
    passes_b = [_values(second) for _ in range(3)]
    assert passes_a == passes_b
    assert all(sorted(p) == list(range(20)) for p in passes_a)
    assert passes_a[0] != passes_a[1] != passes_a[2]        # reshuffled each pass
    assert _values(Dataset.range(20).shuffle(20, seed=8)) != passes_a[0]


def test_without_reshuffle_every_pass_has_the_same_order():
    ds = Dataset.range(20).shuffle(20, seed=1, reshuffle_each_iteration=False)
    orders = [_values(ds) for _ in range(3)]
    assert orders[0] == orders[1] == orders[2] != list(range(20))
    assert _values(ds.repeat(2)) == orders[0] * 2


def test_without_a_seed_set_random_seed_makes_it_repeatable():
    set_random_seed(3)
    a = _values(Dataset.range(30).shuffle(30))
    set_random_seed(3)
    b = _values(Dataset.range(30).shuffle(30))
    assert a == b != list(range(30))


def test_a_buffer_of_one_keeps_the_order_and_a_small_buffer_mixes_locally():
    assert _values(Dataset.range(10).shuffle(1, seed=0)) == list(range(10))
    out = _values(Dataset.range(200).shuffle(5, seed=0))
    assert sorted(out) == list(range(200)) and out != list(range(200))
    # An element can leave the buffer no earlier than its arrival: output i is at most i + 4.
    assert all(v <= i + 4 for i, v in enumerate(out))


def test_the_shuffle_is_roughly_uniform():
    firsts = np.array([_values(Dataset.range(10).shuffle(10, seed=s))[0] for s in range(300)])
    counts = np.bincount(firsts, minlength=10)
    assert counts.min() > 10          # expected 30 each; all ten values do come first


def test_shuffle_then_repeat_keeps_epochs_apart():
    out = _values(Dataset.range(8).shuffle(8, seed=2).repeat(3))
    epochs = [out[i:i + 8] for i in range(0, 24, 8)]
    assert all(sorted(e) == list(range(8)) for e in epochs)       # each epoch is complete
    assert epochs[0] != epochs[1]                                 # ... in a new order


def test_repeat_then_shuffle_mixes_epochs():
    out = _values(Dataset.range(8).repeat(3).shuffle(8, seed=2))
    assert sorted(out) == sorted(list(range(8)) * 3)
    epochs = [out[i:i + 8] for i in range(0, 24, 8)]
    # Some element of the second pass comes out before the first pass is complete.
    assert any(sorted(e) != list(range(8)) for e in epochs)


def test_batches_of_a_shuffled_dataset_and_the_probe_for_element_spec():
    ds = Dataset.range(10).shuffle(10, seed=4).map(lambda v: v * 2)
    expected = _values(Dataset.range(10).shuffle(10, seed=4).map(lambda v: v * 2))
    assert ds.element_spec is not None          # probes the pipeline without shuffling
    assert _values(ds) == expected              # the probe did not use up pass 0's order


@pytest.mark.parametrize("kwargs, message", [
    ({"buffer_size": 0}, "buffer_size must be an int >= 1; received 0"),
    ({"buffer_size": 4, "seed": -1}, "seed must be an int >= 0; received -1"),
    ({"buffer_size": 2.5}, "buffer_size must be"),
])
def test_shuffle_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Dataset.range(3).shuffle(**kwargs)
