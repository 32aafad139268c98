"""The error a pipeline raises when a user function fails on an element."""


class DatasetError(RuntimeError):
    """A function given to ``map`` or ``filter`` raised while processing an element.

    The message names the transformation, the element's index in that transformation's input
    (counted from 0 in each iteration) and the original exception, which is also chained as
    ``__cause__``.

    Attributes:
        index: the element's index.

    Example:
        >>> from hilayers.data import Dataset, DatasetError
        >>> ds = Dataset.range(5).map(lambda x: 1 // int(x - 3))
        >>> try:
        ...     list(ds)
        ... except DatasetError as exc:
        ...     print(exc.index, type(exc.__cause__).__name__)
        3 ZeroDivisionError
    """

    def __init__(self, message, index=None):
        super().__init__(message)
        self.index = index


def function_name(fn):
    """A readable name for a user function (``<lambda>``, ``parse_example``)."""
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def wrap_error(exc, what, fn, index):
    """A :class:`DatasetError` for ``exc`` raised by ``fn`` in transformation ``what``."""
    return DatasetError(f"{what}(): function {function_name(fn)!r} raised "
                        f"{type(exc).__name__} on element {index} of its input: {exc}", index)
