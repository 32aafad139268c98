"""The two errors of ``hilayers.datasets``: a file that is not what it should be, and a
download that failed on every mirror."""


class DatasetFormatError(ValueError):
    """A dataset file (IDX file, CIFAR batch, archive) is truncated, corrupt or mislabelled.

    The message names the file and says what is wrong with it. Loaders catch this error to
    fetch a corrupted file of their cache again.
    """


class DownloadError(OSError):
    """A file could not be downloaded from any of its mirrors.

    Attributes:
        attempts: list of ``(url, reason)`` pairs, one per mirror tried, in order.
    """

    def __init__(self, message, attempts=()):
        super().__init__(message)
        self.attempts = list(attempts)
