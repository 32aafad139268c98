"""``load_model`` for a job: rank 0 reads the file, every rank gets the model.

Rank 0 reads the file's bytes and broadcasts them, so the file need exist only where rank 0
runs (no shared file system needed). Each rank loads the bytes from a private temporary
file with :func:`hilayers.saving.load_model` (weights, training configuration and optimizer
state), then its optimizer is made a :func:`~.optimizer.DistributedOptimizer` and the model
recompiled with the same loss and metrics, so that the next ``fit`` builds a training step
that averages gradients and continues from the saved optimizer state.

Example:
    >>> import os, tempfile
    >>> from hilayers import Sequential, layers
    >>> from hilayers import distribute as hd
    >>> model = Sequential([layers.Dense(1, input_shape=(2,))])
    >>> model.compile("adam", "mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "model.h5")
    >>> model.save(path)
    >>> hd.is_distributed(hd.load_model(path).optimizer)
    True
"""
import os
import tempfile

from .collectives import broadcast_bytes
from .errors import DistributedError
from .optimizer import DistributedOptimizer
from .runtime import context as current_context

_OK, _FAILED = b"\x00", b"\x01"


def load_model(filepath, custom_objects=None, root=0):
    """Load the model saved at ``filepath`` on rank ``root`` onto every rank.

    Args:
        filepath: an HDF5 file written by ``model.save`` (or ``ModelCheckpoint``).
        custom_objects: as for :func:`hilayers.saving.load_model`.
        root: the rank that reads the file.

    Returns:
        the model, compiled with a distributed optimizer when the file has a training
        configuration.

    Raises:
        DistributedError: on every rank when rank ``root`` cannot read the file (its
            message is included).
        SavingError: when the file is not a valid model file.
    """
    from .. import saving
    context = current_context()
    payload = b""
    if context.rank == root:
        try:
            with open(os.fspath(filepath), "rb") as handle:
                payload = _OK + handle.read()
        except OSError as exc:
            payload = _FAILED + f"{type(exc).__name__}: {exc}".encode()
    payload = broadcast_bytes(payload, root, f"sending {os.fspath(filepath)!r}")
    if payload[:1] == _FAILED:
        raise DistributedError(f"load_model: rank {root} could not read "
                               f"{os.fspath(filepath)!r}: {payload[1:].decode()}")
    handle, local = tempfile.mkstemp(suffix=".h5", prefix="hilayers_model_")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload[1:])
        model = saving.load_model(local, custom_objects=custom_objects)
    finally:
        os.remove(local)
    if getattr(model, "compiled", False) and model.optimizer is not None:
        optimizer = DistributedOptimizer(model.optimizer)
        model.compile(optimizer=optimizer, **model._compile_args)
    return model
