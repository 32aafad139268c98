"""Where datasets live on disk: the hilayers home, the datasets folder and the search order.

* ``hilayers_home()``: ``$HILAYERS_HOME``, else ``~/.hilayers``.
* ``datasets_dir()``: ``$HILAYERS_DATASETS``, else ``<hilayers home>/datasets``: downloads go
  into ``datasets_dir()/<dataset name>``.
* ``search_folders(name)``: where a loader looks for dataset ``name`` when no ``path`` is given.
"""
import os


def hilayers_home():
    """Return ``$HILAYERS_HOME`` when set, else ``~/.hilayers``.

    Example:
        >>> import os
        >>> os.path.basename(hilayers_home()) != ""
        True
    """
    return os.environ.get("HILAYERS_HOME") or os.path.join(os.path.expanduser("~"), ".hilayers")


def datasets_dir():
    """Return the folder that holds the datasets cache.

    ``$HILAYERS_DATASETS`` when set, else ``<hilayers home>/datasets``.

    Example:
        >>> import os
        >>> os.environ.get("HILAYERS_DATASETS", datasets_dir()) == datasets_dir()
        True
    """
    return os.environ.get("HILAYERS_DATASETS") or os.path.join(hilayers_home(), "datasets")


def search_folders(name):
    """Return the folders searched for dataset ``name``, in order, without duplicates.

    ``$HILAYERS_DATASETS/<name>`` and ``$HILAYERS_DATASETS`` itself when that variable is set,
    then ``<hilayers home>/datasets/<name>``. The first one is where a download is written
    (``datasets_dir()/<name>``).

    Args:
        name: the dataset's folder name, e.g. ``"mnist"``.

    Returns:
        A list of folder paths (they need not exist).

    Example:
        >>> search_folders("mnist")[0] == os.path.join(datasets_dir(), "mnist")
        True
    """
    folders = []
    env = os.environ.get("HILAYERS_DATASETS")
    if env:
        folders += [os.path.join(env, name), env]
    default = os.path.join(hilayers_home(), "datasets", name)
    if default not in folders:
        folders.append(default)
    return folders
