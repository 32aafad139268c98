"""The loader shared by MNIST and Fashion-MNIST: four IDX files, found locally or downloaded.

A dataset is described by its folder name, its four files (key, file stem, shape), the
published hash of each ``.gz`` file and its mirrors (``IDXDataset``). ``load`` then:

1. with an explicit ``path``: reads that folder or ``.npz`` and nothing else (a mistyped
   path should be an error, not a silent download);
2. otherwise reads the first of ``search_folders(name)`` that holds all four files;
3. otherwise downloads the missing files into ``datasets_dir()/<name>`` and reads them.

Local files are validated by content (magic numbers, shapes, labels), not by hash, so a
valid copy with other bytes is accepted. A file of the download folder that fails
validation is corrupt: it is fetched again (``get_file`` re-downloads a file whose hash does
not match). In the other folders, an invalid file is an error naming it.
"""
import os
import warnings
from dataclasses import dataclass

import numpy as np

from .download import get_file
from .errors import DatasetFormatError, DownloadError
from .idx import read_idx
from .locations import search_folders

KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class IDXDataset:
    """What ``load`` needs to know about one dataset.

    Attributes:
        name: the folder name under the datasets folder (``"mnist"``).
        title: the name used in messages (``"MNIST"``).
        files: key (``x_train``, ``y_train``, ``x_test``, ``y_test``) -> ``(stem, shape)``.
        hashes: ``stem + ".gz"`` -> published sha256 or md5.
        num_classes: labels must be below this.
    """
    name: str
    title: str
    files: dict
    hashes: dict
    num_classes: int = 10

    def file_names(self):
        return [stem + ".gz" for stem, _ in self.files.values()]


def _find_file(folder, stem):
    """The file for ``stem`` in ``folder``: gzipped, plain, or with a dot before ``idx``."""
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        full = os.path.join(folder, name)
        if os.path.isfile(full):
            return full
    return None


def _read_checked(spec, key, path):
    _, shape = spec.files[key]
    array = read_idx(path, expected_shape=shape, expected_dtype=np.uint8)
    if key.startswith("y") and array.size and array.max() >= spec.num_classes:
        raise DatasetFormatError(f"{spec.title} labels file {path!r} holds the label "
                                 f"{int(array.max())}; expected labels 0 to "
                                 f"{spec.num_classes - 1}. The file is corrupt or mislabelled.")
    return array


def _check_arrays(spec, arrays, where):
    for key in KEYS:
        shape = spec.files[key][1]
        array = arrays[key]
        if array.shape != shape or array.dtype != np.uint8:
            raise DatasetFormatError(f"{spec.title} at {where!r}: {key} has shape {array.shape} "
                                     f"and dtype {array.dtype}; expected {shape} uint8.")
    for key in ("y_train", "y_test"):
        if arrays[key].size and arrays[key].max() >= spec.num_classes:
            raise DatasetFormatError(f"{spec.title} at {where!r}: {key} holds labels above "
                                     f"{spec.num_classes - 1}.")
    return arrays


def _load_npz(spec, path):
    with np.load(path, allow_pickle=False) as data:
        missing = [key for key in KEYS if key not in data]
        if missing:
            raise DatasetFormatError(f"{path!r} lacks the arrays {missing}; a {spec.title} .npz "
                                     f"holds {', '.join(KEYS)}.")
        return _check_arrays(spec, {key: data[key] for key in KEYS}, path)


def _load_explicit(spec, path):
    path = os.fspath(path)
    if os.path.isfile(path) and path.endswith(".npz"):
        return _load_npz(spec, path)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{spec.title}: path={path!r} is neither a folder nor an .npz "
                                "file. Pass the folder holding the four IDX files, or leave "
                                "path=None to search the usual places and download.")
    found = {key: _find_file(path, stem) for key, (stem, _) in spec.files.items()}
    missing = [spec.files[key][0] + ".gz" for key, where in found.items() if where is None]
    if missing:
        raise FileNotFoundError(f"{spec.title}: the folder {path!r} lacks {missing} (gzipped "
                                "or not). Put the four IDX files there, or leave path=None.")
    return {key: _read_checked(spec, key, where) for key, where in found.items()}


def _download(spec, folder, stem, mirrors):
    fname = stem + ".gz"
    urls = [base + fname for base in mirrors]
    if not urls:
        raise DownloadError(f"No mirror is configured for {fname}.")
    return get_file(fname, urls[0], file_hash=spec.hashes.get(fname), cache_dir=folder,
                    cache_subdir=None, mirrors=urls[1:])


def _load_cache(spec, folder, mirrors):
    """Read the download folder, fetching missing files and corrupt ones again."""
    arrays = {}
    for key, (stem, _) in spec.files.items():
        where = _find_file(folder, stem)
        if where is not None:
            try:
                arrays[key] = _read_checked(spec, key, where)
                continue
            except DatasetFormatError as exc:
                # Corrupt: remove it, so that get_file downloads instead of re-hashing it.
                warnings.warn(f"{exc} Fetching {stem}.gz again.", stacklevel=3)
                os.remove(where)
        arrays[key] = _read_checked(spec, key, _download(spec, folder, stem, mirrors))
    return arrays


def _offline_message(spec, folders, exc):
    names = ", ".join(spec.file_names())
    return (f"{spec.title} was not found and could not be downloaded.\n"
            f"Searched: {', '.join(folders)}.\n{exc}\n"
            f"To work offline, put the four files ({names}) in {folders[0]!r}, or in the "
            "folder named by HILAYERS_DATASETS, or pass load_data(path=...) with a folder or an "
            ".npz holding them.")


def load(spec, path, mirrors):
    """Return ``(x_train, y_train), (x_test, y_test)`` for ``spec`` (see the module docstring).

    Args:
        spec: an ``IDXDataset``.
        path: a folder or ``.npz`` to read instead of searching, or ``None``.
        mirrors: base URLs (ending in ``/``) tried in order for a download.

    Returns:
        Two pairs of uint8 arrays, images and labels.

    Raises:
        FileNotFoundError: when ``path`` is given and lacks the data.
        DatasetFormatError: when a file outside the download folder is invalid.
        DownloadError: when nothing is found locally and every mirror failed; the message
            says where to put the files.
    """
    if path is not None:
        arrays = _load_explicit(spec, path)
    else:
        folders = search_folders(spec.name)
        complete = [folder for folder in folders
                    if all(_find_file(folder, stem) for stem, _ in spec.files.values())]
        source = complete[0] if complete else folders[0]
        if source != folders[0]:
            arrays = {key: _read_checked(spec, key, _find_file(source, stem))
                      for key, (stem, _) in spec.files.items()}
        else:
            try:
                arrays = _load_cache(spec, source, mirrors)
            except DownloadError as exc:
                raise DownloadError(_offline_message(spec, folders, exc),
                                    exc.attempts) from exc
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
