"""Input-pipeline benchmark: does prefetch / parallel map overlap the stages?

A pipeline ``range -> map -> batch`` whose ``map`` takes a known time per element feeds a
training step that takes a known time per batch. Both are simulated with ``time.sleep``, which
releases the GIL as NumPy kernels and file reads do. Four configurations are timed:

  plain              map in the consumer's thread, no prefetch   expect  B*m + t  per batch
  prefetch           map in the consumer's thread, prefetch(2)   expect  max(B*m, t)
  parallel map       map on k threads, no prefetch               expect  B*m/k + t
  parallel+prefetch  map on k threads, prefetch(2)               expect  max(B*m/k, t)

(B elements per batch, m the map time per element, t the step time, k threads.) For each it
prints the time per batch, the throughput, and the time measured against the sum of the stages
and against the slower stage: overlapping stages run close to the slower one, not the sum.

It also prints the pipeline's own cost per element (``from_tensor_slices -> map -> batch``
with no sleeping), for a sense of when Python-level per-element work starts to matter.

Run: python benchmarks/pipeline.py [--batches 40] [--batch-size 16] [--map-ms 1.0]
                                   [--step-ms 12.0] [--threads 4] [--repeats 3]
                                   [--json out.json]
"""
import argparse
import json
import statistics
import time

import numpy as np

from hilayers.data import Dataset


def _sleep_map(seconds):
    def slow_map(value):
        time.sleep(seconds)
        return value
    return slow_map


def time_configuration(batches, batch_size, map_s, step_s, threads, prefetch):
    """Seconds to run ``batches`` training steps over the pipeline, pulled like ``fit``."""
    ds = Dataset.range(batches * batch_size).map(_sleep_map(map_s),
                                                  num_parallel_calls=threads)
    ds = ds.batch(batch_size)
    if prefetch:
        ds = ds.prefetch(2)
    start = time.perf_counter()
    count = 0
    for _ in ds:
        time.sleep(step_s)            # the training step
        count += 1
    elapsed = time.perf_counter() - start
    assert count == batches
    return elapsed


def pipeline_overhead(elements=20_000, batch_size=32, repeats=3):
    """Microseconds per element through from_tensor_slices -> map(identity) -> batch."""
    x = np.zeros((elements, 8), np.float32)
    y = np.zeros(elements, np.int64)
    ds = Dataset.from_tensor_slices((x, y)).map(lambda a, b: (a, b)).batch(batch_size)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in ds:
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times) / elements * 1e6


def run(batches=40, batch_size=16, map_ms=1.0, step_ms=12.0, threads=4, repeats=3,
        verbose=True):
    """Time the four configurations (median of ``repeats`` runs); return the figures."""
    map_s, step_s = map_ms / 1e3, step_ms / 1e3
    # Warm up the interpreter, NumPy and the thread machinery once.
    time_configuration(2, batch_size, map_s, step_s, threads, True)
    configs = [("plain", None, False), ("prefetch", None, True),
               ("parallel map", threads, False), ("parallel+prefetch", threads, True)]
    rows = []
    for name, k, prefetch in configs:
        producer = batch_size * map_s / (k or 1)          # the map stage, per batch
        expected_sum, expected_max = producer + step_s, max(producer, step_s)
        seconds = statistics.median(
            time_configuration(batches, batch_size, map_s, step_s, k, prefetch)
            for _ in range(repeats))
        per_batch = seconds / batches
        rows.append({"config": name, "threads": k or 1, "prefetch": prefetch,
                     "seconds": seconds, "ms_per_batch": per_batch * 1e3,
                     "elements_per_s": batches * batch_size / seconds,
                     "map_stage_ms": producer * 1e3, "step_ms": step_s * 1e3,
                     "vs_sum": per_batch / expected_sum, "vs_slower": per_batch / expected_max})
    overhead = pipeline_overhead()
    if verbose:
        print(f"{batches} batches of {batch_size}; map {map_ms:g} ms per element; "
              f"training step {step_ms:g} ms per batch; {threads} map threads when parallel; "
              f"median of {repeats} runs")
        print(f"{'config':<18} {'ms/batch':>8} {'elem/s':>7} {'map stage':>9} {'step':>5} "
              f"{'time/sum':>8} {'time/slower':>11}")
        for r in rows:
            print(f"{r['config']:<18} {r['ms_per_batch']:8.1f} {r['elements_per_s']:7.0f} "
                  f"{r['map_stage_ms']:7.1f}ms {r['step_ms']:3.0f}ms {r['vs_sum']:8.2f} "
                  f"{r['vs_slower']:11.2f}")
        print(f"pipeline overhead (from_tensor_slices -> map -> batch(32), no sleeping): "
              f"{overhead:.1f} µs per element")
    return {"configs": rows, "overhead_us_per_element": overhead}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--map-ms", type=float, default=1.0)
    parser.add_argument("--step-ms", type=float, default=12.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    figures = run(args.batches, args.batch_size, args.map_ms, args.step_ms, args.threads,
                  args.repeats)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2)
    return figures


if __name__ == "__main__":
    main()
