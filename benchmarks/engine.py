"""Engine micro-benchmarks: dispatch overhead per op, and matmul through the engine.

Prints:
  * the per-op overhead of a compiled function running a chain of 100 elementwise ops on a
    one-element tensor (µs per op; the target is at most 5);
  * a 1024×1024 float32 matmul run through the engine against NumPy called directly
    (ratio = NumPy time / engine time; the target is at least 0.95). The two alternate, so
    with hilayers' kernel threads on, each engine run starts while OpenBLAS's threads are
    still spinning after NumPy's product: docs/performance.md has the figures with and
    without (``HILAYERS_NUM_THREADS=1``).

Run: python benchmarks/engine.py [--repeats 7]
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

from hilayers import backend as K

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402  (benchmarks/workloads.py, beside this file)


def _median_time(fn, repeats, inner):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - start) / inner)
    return statistics.median(times), min(times), max(times)


def dispatch_overhead(repeats, chain=100):
    call = workloads.hilayers_dispatch_chain(chain)
    call()
    per_call, low, high = _median_time(call, repeats, inner=2000)
    return {"us_per_op": per_call / chain * 1e6, "min": low / chain * 1e6,
            "max": high / chain * 1e6}


def matmul_ratio(repeats, n=1024):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    graph = K.Graph(seed=0)
    with graph.as_default():
        pa = K.placeholder((n, n), name="a")
        pb = K.placeholder((n, n), name="b")
        f = K.function([pa, pb], K.matmul(pa, pb))
    f([a, b])
    np.matmul(a, b)
    engine, numpy_ = [], []
    for _ in range(repeats):          # alternate the two so that drift hits both alike
        engine.append(_median_time(lambda: f([a, b]), 1, inner=10)[0])
        numpy_.append(_median_time(lambda: np.matmul(a, b), 1, inner=10)[0])
    e, p = statistics.median(engine), statistics.median(numpy_)
    return {"engine_ms": e * 1e3, "numpy_ms": p * 1e3, "ratio": p / e,
            "gflops_engine": 2 * n ** 3 / e / 1e9}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    d = dispatch_overhead(args.repeats)
    m = matmul_ratio(args.repeats)
    print(f"backend: {K.backend()}, numpy {np.__version__}")
    print(f"dispatch overhead: {d['us_per_op']:.2f} µs per op "
          f"(min {d['min']:.2f}, max {d['max']:.2f}; chain of 100 ops on a 1-element tensor)")
    print(f"matmul 1024x1024 float32: engine {m['engine_ms']:.2f} ms, NumPy {m['numpy_ms']:.2f} "
          f"ms, ratio NumPy/engine {m['ratio']:.3f} ({m['gflops_engine']:.0f} GFLOP/s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"dispatch": d, "matmul": m}, handle, indent=2)


if __name__ == "__main__":
    main()
