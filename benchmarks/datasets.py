"""Time to load MNIST from the local IDX files (../shared/datasets/mnist by default).

Prints the median wall time of ``hilayers.datasets.mnist.load_data(path)`` over a few runs
(the files stay in the page cache after the first one, so this is decompression, validation
and copying, not disk speed), the time of each of the four files, and the rate in MB/s of
uncompressed data. Nothing is downloaded.

Run: python benchmarks/datasets.py [--repeats 5] [--data DIR] [--json FILE]
"""
import argparse
import json
import os
import statistics
import time

from hilayers.datasets import mnist
from hilayers.datasets.idx import read_idx

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                            "datasets", "mnist")


def _timed(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times), result


def main(argv=None):
    """Run the benchmark with command-line arguments ``argv``; return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data", default=DEFAULT_DATA, help="folder with the four IDX files")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    data = os.path.normpath(args.data)
    if not os.path.isdir(data):
        parser.exit(1, f"error: no MNIST folder at {data!r}; pass --data DIR.\n")

    mnist.load_data(data)                                    # warm the page cache
    median, low, high, arrays = _timed(lambda: mnist.load_data(data), args.repeats)
    megabytes = sum(a.nbytes for pair in arrays for a in pair) / 1e6
    per_file = {}
    for key, (stem, shape) in mnist.FILES.items():
        path = os.path.join(data, stem + ".gz")
        per_file[stem + ".gz"] = _timed(lambda p=path, s=shape: read_idx(p, s), args.repeats)[0]

    print(f"MNIST load_data from {data}: median {median * 1e3:.0f} ms "
          f"(min {low * 1e3:.0f}, max {high * 1e3:.0f}; {args.repeats} runs), "
          f"{megabytes:.1f} MB of uint8 at {megabytes / median:.0f} MB/s")
    for name, seconds in per_file.items():
        print(f"  {name:28s} {seconds * 1e3:7.1f} ms")
    figures = {"mnist_load_s": {"median": median, "min": low, "max": high},
               "megabytes": megabytes, "per_file_s": per_file}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2)
    return figures


if __name__ == "__main__":
    main()
