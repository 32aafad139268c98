"""Saving benchmark: hilayers' HDF5 files against h5py alone, for a 10-million-parameter model.

The model is an MLP 1000-2000-2000-2000-10 (10.0 M parameters) compiled with Adam and
trained one batch, so that the optimizer holds two slots per weight (30 M numbers in all).
For each operation the script prints the median time over ``--repeats`` runs and the file
size, next to h5py writing and reading the same arrays with no layout, checks or atomic
rename around them:

  model.save / load_model       weights + optimizer state + configs (load_model compiles)
  save_weights / load_weights   weights only
  h5py write / read            the same arrays, one dataset each, read back with read_direct
  ... with gzip                 the same, compressed (gzip level 4 + shuffle, both sides)

hilayers' writes include an fsync of the file and the rename into place (see
hilayers.saving.atomic); the "h5py write + fsync" line shows what the fsync alone costs.
Figures depend on the disk and the page cache: a second read of a file comes from memory.

Run: python benchmarks/saving.py [--repeats 3] [--folder /tmp] [--json out.json]
"""
import argparse
import json
import os
import statistics
import tempfile
import time

import h5py
import numpy as np

from hilayers import Sequential, layers
from hilayers import backend as K
from hilayers.saving import load_model


def build_model():
    """The 10 M-parameter MLP, with its Adam state created by one training step."""
    K.reset_default_graph(seed=0)
    model = Sequential([layers.Dense(2000, activation="relu", input_shape=(1000,)),
                        layers.Dense(2000, activation="relu"),
                        layers.Dense(2000, activation="relu"),
                        layers.Dense(10)])
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    model.train_on_batch(rng.normal(size=(8, 1000)).astype("float32"),
                         rng.normal(size=(8, 10)).astype("float32"))
    return model


def median_time(action, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def h5py_write(path, arrays, compression=None, fsync=False):
    options = {"compression": "gzip", "compression_opts": 4, "shuffle": True} \
        if compression else {}
    with h5py.File(path, "w") as handle:
        for index, value in enumerate(arrays):
            handle.create_dataset(f"a{index}", data=value, **options)
    if fsync:
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())


def h5py_read(path):
    out = []
    with h5py.File(path, "r") as handle:
        for index in range(len(handle)):
            dset = handle[f"a{index}"]
            value = np.empty(dset.shape, dset.dtype)
            if value.size:
                dset.read_direct(value)
            out.append(value)
    return out


def run(folder, repeats):
    model = build_model()
    weights = model.get_weights()
    everything = weights + model.optimizer.get_weights()
    params = sum(w.size for w in weights)
    paths = {name: os.path.join(folder, f"bench_{name}.h5") for name in (
        "model", "weights", "weights_gz", "h5_all", "h5_weights", "h5_weights_gz")}
    twin = build_model()
    rows = []

    def add(what, seconds, path, numbers):
        size = os.path.getsize(path)
        rows.append({"operation": what, "seconds": seconds, "file_mb": size / 1e6,
                     "numbers_m": numbers / 1e6})

    n_all, n_w = sum(a.size for a in everything), params
    add("model.save (weights + Adam state)",
        median_time(lambda: model.save(paths["model"]), repeats), paths["model"], n_all)
    add("h5py write, same arrays", median_time(
        lambda: h5py_write(paths["h5_all"], everything), repeats), paths["h5_all"], n_all)
    add("h5py write + fsync, same arrays", median_time(
        lambda: h5py_write(paths["h5_all"], everything, fsync=True), repeats),
        paths["h5_all"], n_all)
    add("load_model (compile=True)", median_time(
        lambda: (K.reset_default_graph(seed=0), load_model(paths["model"])), repeats),
        paths["model"], n_all)
    add("h5py read, same arrays", median_time(lambda: h5py_read(paths["h5_all"]), repeats),
        paths["h5_all"], n_all)
    add("save_weights", median_time(lambda: model.save_weights(paths["weights"]), repeats),
        paths["weights"], n_w)
    add("h5py write, weights", median_time(
        lambda: h5py_write(paths["h5_weights"], weights), repeats), paths["h5_weights"], n_w)
    add("load_weights", median_time(lambda: twin.load_weights(paths["weights"]), repeats),
        paths["weights"], n_w)
    add("h5py read, weights", median_time(lambda: h5py_read(paths["h5_weights"]), repeats),
        paths["h5_weights"], n_w)
    add("save_weights(compression='gzip')", median_time(
        lambda: model.save_weights(paths["weights_gz"], compression="gzip"), repeats),
        paths["weights_gz"], n_w)
    add("h5py write gzip, weights", median_time(
        lambda: h5py_write(paths["h5_weights_gz"], weights, compression=True), repeats),
        paths["h5_weights_gz"], n_w)
    add("load_weights, gzip file", median_time(
        lambda: twin.load_weights(paths["weights_gz"]), repeats), paths["weights_gz"], n_w)
    add("h5py read gzip, weights", median_time(
        lambda: h5py_read(paths["h5_weights_gz"]), repeats), paths["h5_weights_gz"], n_w)
    for path in paths.values():
        os.remove(path)
    return params, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folder", default=None, help="where to write (default: a temp dir)")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args()
    folder = args.folder or tempfile.mkdtemp(prefix="hilayers_bench_")
    params, rows = run(folder, args.repeats)
    print(f"MLP of {params / 1e6:.2f} M parameters, median of {args.repeats} runs, "
          f"files in {folder}")
    print(f"{'operation':<38}{'numbers':>10}{'time':>10}{'file':>11}{'MB/s':>9}")
    for row in rows:
        rate = row["numbers_m"] * 4 / row["seconds"]
        print(f"{row['operation']:<38}{row['numbers_m']:>8.1f} M{row['seconds']:>9.3f}s"
              f"{row['file_mb']:>8.1f} MB{rate:>9.0f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"parameters": params, "rows": rows}, handle, indent=2)


if __name__ == "__main__":
    main()
