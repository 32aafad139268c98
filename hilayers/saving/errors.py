"""The one error a file problem raises: :class:`SavingError`.

Example:
    >>> err = SavingError("model.h5", "it is not an HDF5 file")
    >>> str(err)
    "Cannot load 'model.h5': it is not an HDF5 file"
    >>> isinstance(err, ValueError), err.path, err.problem
    (True, 'model.h5', 'it is not an HDF5 file')
"""
import os


class SavingError(ValueError):
    """A file that cannot be loaded (or written) as hilayers' HDF5 layout.

    Raised for corrupted, truncated or non-HDF5 files, files of another layout, links to
    other files, virtual datasets, shapes that the file cannot hold, and configs or weights
    that do not fit the model. It derives from ``ValueError``.

    Args:
        path: the file concerned (None for a config given in memory).
        problem: what is wrong, in words that say what was found and what was expected.
        action: ``"load"`` or ``"save"``: the first word of the message.

    Attributes:
        path: the file, as a string (or None).
        problem: the problem, without the file name.
    """

    def __init__(self, path, problem, action="load"):
        self.path = None if path is None else os.fspath(path)
        self.problem = str(problem)
        self.action = action
        where = repr(self.path) if self.path is not None else "the model config"
        super().__init__(f"Cannot {action} {where}: {self.problem}")

    def __reduce__(self):
        return type(self), (self.path, self.problem, self.action)
