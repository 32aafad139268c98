"""Helpers shared by the Keras-style API (registries, nested structures, names)."""

from .random_seed import set_random_seed  # noqa: F401,E402
