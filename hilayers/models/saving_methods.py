"""Saving methods of models: ``save``, ``save_weights``, ``load_weights``, ``to_json``.

They call :mod:`hilayers.saving` (imported when first used: saving sits above models).

Example:
    >>> import os, tempfile
    >>> from hilayers import Sequential, layers
    >>> model = Sequential([layers.Dense(2, input_shape=(3,))])
    >>> folder = tempfile.mkdtemp()
    >>> model.save_weights(os.path.join(folder, "w.h5"))
    >>> model.load_weights(os.path.join(folder, "w.h5"))
    >>> '"class_name": "Sequential"' in model.to_json()
    True
"""

_HDF5_FORMATS = (None, "h5", "hdf5", "keras_h5")


def _check_format(save_format):
    if save_format not in _HDF5_FORMATS:
        raise ValueError(f"save_format {save_format!r} is not supported: hilayers writes "
                         "Keras' HDF5 layout (save_format='h5' or None).")


class SavingMixin:
    """``save`` / ``save_weights`` / ``load_weights`` / ``to_json`` for :class:`Model`."""

    def save(self, filepath, overwrite=True, include_optimizer=True, save_format=None,
             compression=None):
        """Save the whole model (architecture, weights, training configuration, optimizer
        state) to one HDF5 file; see :func:`hilayers.saving.save_model`.

        Args:
            filepath: the ``.h5`` file; written to a temporary file beside it, then renamed.
            overwrite: when False, an existing file is an error.
            include_optimizer: also save the training configuration and optimizer state.
            save_format: None or ``'h5'``.
            compression: None, ``'gzip'`` or a gzip level 1-9 for the weight datasets.

        Raises:
            FileExistsError: when the file exists and ``overwrite`` is False.
            ValueError: for another ``save_format``.
            hilayers.saving.SavingError: when the model cannot be described.
        """
        _check_format(save_format)
        from ..saving import save_model
        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer,
                   compression=compression)

    def save_weights(self, filepath, overwrite=True, save_format=None, compression=None):
        """Save the weights only, in Keras' HDF5 layout; see
        :func:`hilayers.saving.save_weights`.

        Raises:
            FileExistsError: when the file exists and ``overwrite`` is False.
            ValueError: for another ``save_format``.
        """
        _check_format(save_format)
        from ..saving import save_weights
        save_weights(self, filepath, overwrite=overwrite, compression=compression)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False):
        """Set the weights from a weights or whole-model file (hilayers' or Keras');
        see :func:`hilayers.saving.load_weights`.

        Args:
            filepath: the file.
            by_name: match layers by name instead of by order.
            skip_mismatch: warn and skip layers whose weights do not fit.

        Raises:
            FileNotFoundError: when the file does not exist.
            hilayers.saving.SavingError: for a damaged file or weights that do not fit,
                naming the layers and shapes.
        """
        from ..saving import load_weights
        load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs):
        """The architecture as JSON (``{"class_name", "config", "keras_version",
        "backend"}``); ``kwargs`` go to ``json.dumps``. Rebuild with
        :func:`hilayers.models.model_from_json`."""
        from ..saving.model_io import model_to_json
        return model_to_json(self, **kwargs)
