"""The op families. Each module declares its ops and public functions (its ``__all__``)."""
from . import arrays, elementwise, reductions
from .arrays import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403

__all__ = list(arrays.__all__) + list(elementwise.__all__) + list(reductions.__all__)
