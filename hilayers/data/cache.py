"""``Dataset.cache``: record the first complete pass, replay it afterwards.

In memory, the elements of a pass that ran to its end are kept in a list. On disk, a pass is
written into a temporary folder next to the target (``<name>.tmp-<pid>-<random>``) as ``.npz``
chunks plus a ``manifest.json``, and the folder is renamed to ``<name>`` only when the pass
ends. A folder under the final name is therefore always complete; a pass stopped early, or a
crash, leaves at most a temporary folder, which is never read (and is removed when the pass is
closed). Files are read with ``allow_pickle=False``; nothing is ever pickled.

Cached arrays are handed out read-only (``flags.writeable`` is False), so a later ``map`` that
wrote into its arguments would fail loudly instead of corrupting the next epoch.

Example:
    >>> import tempfile, os
    >>> from hilayers.data import Dataset
    >>> folder = os.path.join(tempfile.mkdtemp(), "squares")
    >>> ds = Dataset.range(4).map(lambda v: (v, v * v)).cache(folder)
    >>> [int(b) for _, b in ds]
    [0, 1, 4, 9]
    >>> sorted(os.listdir(folder))
    ['chunk-00000.npz', 'manifest.json']
    >>> [int(b) for _, b in Dataset.range(0).cache(folder)]     # read back, input unused
    [0, 1, 4, 9]
"""
import json
import os
import shutil
import threading
import uuid

import numpy as np

from .dataset import UnaryDataset
from .iterator import closing
from .structure import assert_same_structure, flatten, format_shape, pack_like

FORMAT = "hilayers.data.cache"
VERSION = 1
CHUNK_ELEMENTS = 4096          # a chunk file holds at most this many elements ...
CHUNK_BYTES = 32 * 2**20       # ... or about this many bytes


def _frozen(array):
    view = array.view()
    view.flags.writeable = False
    return view


def _freeze(element):
    return pack_like(element, [_frozen(leaf) for leaf in flatten(element)])


class CacheDataset(UnaryDataset):
    """Replays its input's first complete pass, from memory or from a folder."""

    def __init__(self, input_dataset, filename=""):
        super().__init__(input_dataset)
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"cache(): filename must be a path or ''; received "
                            f"{type(filename).__name__}.")
        filename = os.fspath(filename)
        self._store = _FileStore(filename) if filename else _MemoryStore()

    def _iterate(self, context):
        if self._store.complete():
            return self._store.read()
        upstream = self._input._iterate(context)
        if context.probe:
            return upstream
        return self._store.record(upstream)


class _MemoryStore:
    def __init__(self):
        self._elements = None
        self._lock = threading.Lock()

    def complete(self):
        return self._elements is not None

    def read(self):
        return (element for element in self._elements)

    def record(self, upstream):
        recorded = []
        with closing(upstream):
            for element in upstream:
                element = _freeze(element)
                recorded.append(element)
                yield element
        with self._lock:
            if self._elements is None:
                self._elements = recorded


# -- on disk -----------------------------------------------------------------------------------
def _structure_to_json(element):
    """The nesting of ``element`` as JSON (leaves numbered in flatten order)."""
    counter = iter(range(len(flatten(element))))

    def encode(node):
        if isinstance(node, dict):
            encoded = {key: encode(node[key]) for key in sorted(node)}
            return {"dict": [[key, encoded[key]] for key in node]}
        if isinstance(node, tuple):
            return {"tuple": [encode(item) for item in node]}
        return {"leaf": next(counter)}
    return encode(element)


def _structure_from_json(node):
    """A template with ``None`` leaves (namedtuples come back as plain tuples)."""
    if "dict" in node:
        return {key: _structure_from_json(child) for key, child in node["dict"]}
    if "tuple" in node:
        return tuple(_structure_from_json(child) for child in node["tuple"])
    return None


class _FileStore:
    def __init__(self, path):
        self._path = os.path.abspath(path)

    def _manifest_path(self):
        return os.path.join(self._path, "manifest.json")

    def complete(self):
        return os.path.isfile(self._manifest_path())

    def read(self):
        try:
            with open(self._manifest_path(), encoding="utf-8") as f:
                manifest = json.load(f)
        except (OSError, ValueError) as exc:
            raise ValueError(f"cache(): could not read the cache manifest "
                             f"{self._manifest_path()}: {exc}. Delete the folder to rebuild "
                             "it.") from exc
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise ValueError(f"cache(): {self._path} is not a hilayers cache of version "
                             f"{VERSION} (manifest says {manifest.get('format')!r} version "
                             f"{manifest.get('version')!r}). Delete the folder to rebuild it.")
        return self._replay(manifest)

    def _replay(self, manifest):
        template = _structure_from_json(manifest["structure"])
        for name in manifest["chunks"]:
            with np.load(os.path.join(self._path, name), allow_pickle=False) as chunk:
                arrays = {key: chunk[key] for key in chunk.files}
            count = arrays.pop("__count__").item()
            columns = []
            for leaf in range(manifest["leaves"]):
                stacked = arrays.get(f"stacked_{leaf}")
                columns.append([stacked[i, ...] for i in range(count)] if stacked is not None else
                               [arrays[f"leaf_{leaf}_{i}"] for i in range(count)])
            for leaves in zip(*columns):
                yield pack_like(template, [_frozen(a) for a in leaves])

    def record(self, upstream):
        parent = os.path.dirname(self._path)
        if not os.path.isdir(parent):
            raise FileNotFoundError(f"cache(): cannot write the cache {self._path}: the folder "
                                    f"{parent} does not exist.")
        if os.path.exists(self._path) and (not os.path.isdir(self._path)
                                           or os.listdir(self._path)):
            raise FileExistsError(f"cache(): {self._path} exists but is not a complete "
                                  "hilayers cache (no manifest.json); delete it or choose "
                                  "another filename.")
        temporary = f"{self._path}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        os.mkdir(temporary)
        writer = _ChunkWriter(temporary)
        try:
            with closing(upstream):
                for element in upstream:
                    writer.add(element)
                    yield _freeze(element)
            writer.finish()
            try:
                os.rename(temporary, self._path)
            except OSError:
                if not self.complete():       # not another pass finishing first: a real error
                    raise
        finally:
            if os.path.isdir(temporary):
                shutil.rmtree(temporary, ignore_errors=True)


class _ChunkWriter:
    """Writes elements into ``chunk-NNNNN.npz`` files, then the manifest."""

    def __init__(self, folder):
        self._folder = folder
        self._pending, self._bytes, self._chunks = [], 0, []
        self._template, self._count = None, 0

    def add(self, element):
        leaves = flatten(element)
        if self._template is None:
            self._template = element
        else:
            assert_same_structure(self._template, element)
        for leaf in leaves:
            if leaf.dtype.kind == "O":
                raise TypeError("cache(): cannot write object arrays to a file cache.")
        self._pending.append(leaves)
        self._bytes += sum(leaf.nbytes for leaf in leaves)
        self._count += 1
        if len(self._pending) >= CHUNK_ELEMENTS or self._bytes >= CHUNK_BYTES:
            self._flush()

    def _flush(self):
        if not self._pending:
            return
        arrays = {"__count__": np.array(len(self._pending))}
        for leaf, column in enumerate(zip(*self._pending)):
            if len({(a.shape, a.dtype) for a in column}) == 1:
                arrays[f"stacked_{leaf}"] = np.stack(column)
            else:
                arrays.update({f"leaf_{leaf}_{i}": a for i, a in enumerate(column)})
        name = f"chunk-{len(self._chunks):05d}.npz"
        np.savez(os.path.join(self._folder, name), **arrays)
        self._chunks.append(name)
        self._pending, self._bytes = [], 0

    def finish(self):
        self._flush()
        template = () if self._template is None else self._template   # () when empty
        manifest = {"format": FORMAT, "version": VERSION, "elements": self._count,
                    "leaves": len(flatten(template)),
                    "structure": _structure_to_json(template),
                    "shapes": [format_shape(a.shape) for a in flatten(template)],
                    "chunks": self._chunks}
        with open(os.path.join(self._folder, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1)
