"""Saving and loading: HDF5 models, weights and training checkpoints.

* :func:`save_model` / :func:`load_model`: architecture, weights, training configuration and
  optimizer state in one file, in Keras' HDF5 layout (``model.save(path)`` calls the first).
* :func:`save_weights` / :func:`load_weights`: weights only (``model.save_weights``,
  ``model.load_weights``).
* :func:`model_from_json` / :func:`model_from_config`: architecture only.
* :func:`save_training_checkpoint` / :func:`load_training_checkpoint`: everything needed to
  resume ``fit`` exactly (:class:`hilayers.callbacks.BackupAndRestore` uses them).
* :class:`Saver` / :func:`latest_checkpoint`: the variables of a raw backend graph by name,
  as TensorFlow 1's ``tf.train.Saver``.
* :class:`SavingError`: every problem with a file (a ``ValueError``).

Files written by Keras 2, tf.keras and Keras 3 (their HDF5 writers) load too, and Keras loads
hilayers' files. Writes are atomic (:mod:`hilayers.saving.atomic`); loading never runs code
from a file and checks it before reading (:mod:`hilayers.saving.safety`).

Example:
    >>> import os, tempfile
    >>> from hilayers import Sequential, layers, saving
    >>> model = Sequential([layers.Dense(1, input_shape=(2,))])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.h5")
    >>> model.save(path)
    >>> saving.load_model(path).output_shape
    (None, 1)
"""
from .errors import SavingError
from .model_io import load_model, model_from_config, model_from_json, save_model
from .weights import load_weights, save_weights
from .checkpoint import TrainingPosition, load_training_checkpoint, save_training_checkpoint
from .graph_saver import Saver, latest_checkpoint

__all__ = ["SavingError", "save_model", "load_model", "model_from_json", "model_from_config",
           "save_weights", "load_weights", "save_training_checkpoint",
           "load_training_checkpoint", "TrainingPosition", "Saver", "latest_checkpoint"]
