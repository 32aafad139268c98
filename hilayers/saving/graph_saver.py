"""``Saver``: save and restore the variables of a raw backend graph by name, as TensorFlow
1's ``tf.train.Saver`` does.

Each save writes one HDF5 file with one dataset per variable, at the variable's tensor name
(``dense/kernel:0`` is dataset ``kernel:0`` in group ``dense``), plus the ordered list of
names. Restoring matches variables by name and checks shapes and dtypes before changing any
value. A small JSON file ``checkpoint.json`` in the folder lists the files kept (the last
``max_to_keep``); :func:`latest_checkpoint` reads it. Every file is written to a temporary
file beside the target, fsync'ed, then renamed over it, so a crash keeps the previous one.

Example:
    >>> import os, tempfile
    >>> from hilayers import backend as K
    >>> g = K.Graph()
    >>> w = K.variable([1.0, 2.0], name="w", graph=g)
    >>> saver = Saver([w])
    >>> folder = tempfile.mkdtemp()
    >>> path = saver.save(None, os.path.join(folder, "model"), global_step=10)
    >>> os.path.basename(path), latest_checkpoint(folder) == path
    ('model-10.h5', True)
    >>> w.set_value([0.0, 0.0])
    >>> saver.restore(None, path)
    >>> w.get_value()
    array([1., 2.], dtype=float32)
"""
import json
import os

import h5py
import numpy as np

from ..backend import Variable, get_default_graph
from .atomic import atomic_path, atomic_write
from .errors import SavingError
from .hdf5_format import read_name_list, read_text, write_name_list, write_text
from .safety import H5PY_ERRORS, h5_message, open_checked, read_array
from .weights import LIBVER

#: The file in a checkpoint folder that lists the saved checkpoints, newest last.
STATE_FILE = "checkpoint.json"
FORMAT = "hilayers_graph_checkpoint"


def _graph_variables(graph):
    return [node.outputs[0] for node in graph.nodes
            if node.outputs and isinstance(node.outputs[0], Variable)]


def _key(var):
    return var.name if ":" in var.name else f"{var.name}:0"


class Saver:
    """Saves and restores variables of a graph by name.

    Args:
        var_list: the variables: a list of :class:`~hilayers.backend.Variable`, or a dict
            ``{name: variable}`` to save them under other names. None: every variable of the
            default graph when the saver is created.
        max_to_keep: keep this many recent checkpoint files in a folder (older ones are
            deleted); None or 0 keeps all.

    Raises:
        ValueError: when there is no variable to save, an item is not a variable, or two
            variables have one name.
    """

    def __init__(self, var_list=None, max_to_keep=5):
        self._whole_graph = var_list is None
        if var_list is None:
            var_list = _graph_variables(get_default_graph())
        if isinstance(var_list, dict):
            items = [(str(name), var) for name, var in var_list.items()]
        else:
            items = [(None, var) for var in var_list]
        self._variables = {}
        for name, var in items:
            if not isinstance(var, Variable):
                raise ValueError(f"Saver: var_list must hold variables; received {var!r}.")
            name = name if name is not None else _key(var)
            if name in self._variables:
                raise ValueError(f"Saver: two variables are named {name!r}; pass a dict "
                                 "{name: variable} to give them distinct names.")
            self._variables[name] = var
        if not self._variables:
            raise ValueError("Saver: there are no variables to save; create them first or "
                             "pass var_list.")
        if max_to_keep is not None and (isinstance(max_to_keep, bool) or max_to_keep < 0):
            raise ValueError(f"Saver: max_to_keep must be None or an int >= 0; received "
                             f"{max_to_keep!r}.")
        self.max_to_keep = max_to_keep

    @property
    def var_list(self):
        """``{name: variable}`` of the variables saved, in order."""
        return dict(self._variables)

    # -- save ----------------------------------------------------------------------------------
    def save(self, sess, save_path, global_step=None):
        """Write every variable's value to ``save_path`` (``-{global_step}`` and ``.h5``
        appended), atomically, and record it in the folder's ``checkpoint.json``.

        Args:
            sess: a :class:`~hilayers.backend.Session` or None (variables hold their values
                themselves; accepted for TensorFlow 1's signature).
            save_path: the path prefix, e.g. ``'ckpt/model'``.
            global_step: an int (or an int variable) numbering the checkpoint.

        Returns:
            str: the path of the file written.

        Raises:
            FileNotFoundError: when the folder does not exist.
        """
        path = os.fspath(save_path)
        if global_step is not None:
            step = global_step.get_value() if isinstance(global_step, Variable) else global_step
            path = f"{path}-{int(step)}"
        if not path.endswith(".h5"):
            path += ".h5"
        names = list(self._variables)
        with atomic_path(path) as tmp:
            with h5py.File(tmp, "w", libver=LIBVER) as handle:
                write_text(handle, "format", FORMAT)
                write_name_list(handle, "variable_names", names)
                for name in names:
                    try:
                        handle.create_dataset(name, data=self._variables[name].get_value())
                    except H5PY_ERRORS as exc:
                        raise SavingError(path, f"variable {name!r} cannot be stored under "
                                                f"its name ({h5_message(exc)}); with a dict "
                                                "var_list, no name may be a folder of "
                                                "another ('a' and 'a/b').", "save") from None
        self._record(path)
        return path

    def _record(self, path):
        folder = os.path.dirname(os.path.abspath(path))
        kept = [p for p in _read_state(folder) if os.path.abspath(p) != os.path.abspath(path)]
        kept.append(path)
        if self.max_to_keep:
            while len(kept) > self.max_to_keep:
                old = kept.pop(0)
                if os.path.exists(old):
                    os.remove(old)
        _write_state(folder, kept)

    # -- restore -------------------------------------------------------------------------------
    def restore(self, sess, save_path):
        """Set every variable from the file ``save_path`` (as :meth:`save` returned it).

        All names, shapes and dtypes are checked before any value changes. A file entry
        that matches no variable is an error for a saver of the whole graph (``var_list``
        None: the file must describe this graph) and is ignored when ``var_list`` chose a
        subset.

        Args:
            sess: a Session or None (accepted for TensorFlow 1's signature).
            save_path: the checkpoint file.

        Raises:
            FileNotFoundError: when the file does not exist.
            SavingError: naming the variable that is missing from the file, unexpected in
                it, or saved with another shape or dtype; or for a damaged file.
        """
        path = os.fspath(save_path)
        if not os.path.exists(path) and os.path.exists(path + ".h5"):
            path += ".h5"
        with open_checked(path) as handle:
            if read_text(handle, "format", path, required=False) != FORMAT:
                raise SavingError(path, f"it is not a graph checkpoint written by Saver.save "
                                        f"(its 'format' attribute is not {FORMAT!r}).")
            saved = read_name_list(handle, "variable_names", path)
            missing = [n for n in self._variables if n not in saved]
            if missing:
                raise SavingError(path, f"it has no value for variable {missing[0]!r}"
                                        + (f" (nor for {len(missing) - 1} others)"
                                           if len(missing) > 1 else "")
                                        + f"; it holds {saved[:10]}"
                                        + ("..." if len(saved) > 10 else "") + ".")
            unexpected = [n for n in saved if n not in self._variables]
            if unexpected and self._whole_graph:
                raise SavingError(path, f"it holds variable {unexpected[0]!r}, which this "
                                        "graph does not have; restore into the graph it was "
                                        "saved from, or pass var_list to restore a subset.")
            values = {}
            for name, var in self._variables.items():
                dset = self._dataset(handle, name, path)
                if tuple(dset.shape) != tuple(var.shape):
                    raise SavingError(path, f"variable {name!r} has shape {tuple(var.shape)} "
                                            f"in the graph, but {tuple(dset.shape)} in the "
                                            "file.")
                if np.dtype(dset.dtype) != var.dtype:
                    raise SavingError(path, f"variable {name!r} has dtype {var.dtype.name} in "
                                            f"the graph, but {dset.dtype} in the file.")
                values[name] = read_array(dset, path, f"variable {name!r}")
        for name, value in values.items():
            self._variables[name].set_value(value)

    @staticmethod
    def _dataset(handle, name, path):
        try:
            dset = handle.get(name)
        except H5PY_ERRORS as exc:
            raise SavingError(path, f"variable {name!r} cannot be opened "
                                    f"({h5_message(exc)}).") from None
        if dset is None or not isinstance(dset, h5py.Dataset):
            raise SavingError(path, f"it lists variable {name!r} but has no dataset for it.")
        return dset


def _state_path(folder):
    return os.path.join(folder, STATE_FILE)


def _read_state(folder):
    path = _state_path(folder)
    if not os.path.exists(path):
        return []
    try:
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError) as exc:
        raise SavingError(path, f"it is not a readable checkpoint list ({exc}).") from None
    paths = state.get("all_checkpoints") if isinstance(state, dict) else None
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise SavingError(path, "it should be {\"all_checkpoints\": [file names]}.")
    # Names are stored relative to the folder, so that the folder can move.
    return [os.path.join(folder, p) for p in paths]


def _write_state(folder, paths):
    names = [os.path.relpath(os.path.abspath(p), os.path.abspath(folder)) for p in paths]
    with atomic_write(_state_path(folder), "w", encoding="utf-8") as handle:
        json.dump({"latest": names[-1] if names else None, "all_checkpoints": names}, handle)


def latest_checkpoint(checkpoint_dir):
    """The path of the newest checkpoint :meth:`Saver.save` recorded in ``checkpoint_dir``,
    or None when there is none (as ``tf.train.latest_checkpoint``).

    Raises:
        SavingError: when the folder's ``checkpoint.json`` is damaged.
    """
    folder = os.fspath(checkpoint_dir)
    paths = _read_state(folder)
    return paths[-1] if paths else None


__all__ = ["Saver", "latest_checkpoint"]
