"""Helpers shared by the Keras-style API (registries, nested structures, names, plots).

``plot_model`` and ``plot_history`` import their optional packages (pydot, matplotlib) only
when called, so importing ``hilayers.utils`` never needs them.
"""

from .random_seed import set_random_seed  # noqa: F401,E402
from .plotting_history import plot_history  # noqa: F401,E402
from .plotting_model import model_to_dot, plot_model  # noqa: F401,E402
