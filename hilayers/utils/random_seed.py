"""One call that makes a program's randomness repeatable: :func:`set_random_seed`.

Weights are created from NumPy values drawn by :mod:`hilayers.initializers`; initializers
built without their own ``seed`` draw from the generator returned by :func:`global_generator`.
Random ops in graphs (dropout, random_normal...) draw from streams derived from the graph's
seed. :func:`set_random_seed` restarts all of these, plus Python's ``random`` and NumPy's
global RNG, so the same seed gives bit-identical weights and dropout masks.

Example:
    >>> from hilayers.utils import set_random_seed
    >>> from hilayers import initializers
    >>> set_random_seed(7)
    >>> a = initializers.get("glorot_uniform")((3, 2))
    >>> set_random_seed(7)
    >>> bool((a == initializers.get("glorot_uniform")((3, 2))).all())
    True
"""
import random

import numpy as np

# The generator lives in a one-item dict so that reseeding replaces it for every user.
_STATE = {"generator": np.random.default_rng()}


def global_generator():
    """The NumPy ``Generator`` that unseeded initializers draw from."""
    return _STATE["generator"]


def set_random_seed(seed):
    """Reseed every source of randomness hilayers uses.

    Sets Python's ``random``, NumPy's global RNG, the initializers' generator
    (:func:`global_generator`) and the default graph's seed (``K.set_random_seed``, which also
    restarts the graph's random streams).

    Args:
        seed: a non-negative int.

    Raises:
        ValueError: when ``seed`` is not a non-negative int.
    """
    if isinstance(seed, bool) or not hasattr(seed, "__index__") or int(seed) < 0:
        raise ValueError(f"set_random_seed: seed must be a non-negative int; received "
                         f"{seed!r}.")
    seed = int(seed)
    from .. import backend as K   # imported here: utils must not need the engine to import
    random.seed(seed)
    np.random.seed(seed % 2**32)
    _STATE["generator"] = np.random.default_rng(seed)
    K.set_random_seed(seed)


__all__ = ["set_random_seed", "global_generator"]
