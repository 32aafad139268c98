"""Data-parallel throughput: LeNet-5 and the MNIST MLP on 1, 2, ... processes over MPI.

Weak scaling, as data-parallel training is used: each process keeps ``--batch`` images per
step, so N processes train on N x batch images per step. For each model and process count
the script launches ``mpiexec -n N`` on itself; every rank trains ``--warmup`` steps (not
timed: building and compiling the step), then ``--steps`` timed steps of ``fit``; each
launch is repeated ``--repeats`` times and the median kept. The table shows:

* ``img/s``: images per second over all ranks (the slowest rank's time);
* ``efficiency``: ``img/s(N) / (N x img/s(1))``;
* ``allreduce ms/step``, ``% of step``: time in the gradient allreduce (mean over ranks). It
  includes waiting for the slowest rank to arrive, so it measures imbalance as well as
  communication;
* ``bare allreduce ms``: the same allreduce alone, all ranks starting together after a
  barrier (median of 20): the communication cost without the waiting.

Each process runs NumPy's BLAS and hilayers' kernels on ``cores // N`` threads
(``--threads`` to set it), so that N processes do not oversubscribe the cores; the 1-process
row uses all of them.

Run: python benchmarks/distributed.py [--processes 1,2] [--models mlp,lenet5] [--steps 60]
         [--repeats 3] [--threads 1]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_DATA = os.path.join(ROOT, "..", "shared", "datasets", "mnist")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "HILAYERS_NUM_THREADS")


def worker(args):
    """One rank: train, then rank 0 prints a JSON line with the figures."""
    import time

    import numpy as np

    import hilayers.distribute as hd
    from hilayers import Sequential, layers, optimizers
    from hilayers.datasets import mnist
    from hilayers.utils import set_random_seed

    hd.init()
    set_random_seed(0)
    (x, y), _ = mnist.load_data(args.data)
    needed = (args.warmup + args.steps) * args.batch * hd.size()
    x, y = x[:needed], y[:needed]
    if args.model == "mlp":
        x = x.reshape(-1, 784).astype(np.float32) / 255.0
        model = Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                            layers.Dense(512, activation="relu"),
                            layers.Dense(10, activation="softmax")])
    else:
        from hilayers.applications import LeNet5
        x = x.reshape(-1, 28, 28, 1).astype(np.float32) / 255.0
        model = LeNet5(weights=None)
    x, y = hd.shard(x, y)
    model.compile(hd.DistributedOptimizer(optimizers.Adam(1e-3)),
                  "sparse_categorical_crossentropy")
    warm = args.warmup * args.batch
    model.fit(x[:warm], y[:warm], batch_size=args.batch, epochs=1, verbose=0, shuffle=False,
              callbacks=hd.default_callbacks())
    hd.barrier()
    hd.stats(reset=True)
    start = time.perf_counter()
    model.fit(x[warm:], y[warm:], batch_size=args.batch, epochs=1, verbose=0, shuffle=False,
              callbacks=hd.default_callbacks())
    elapsed = time.perf_counter() - start
    reduce_seconds = hd.stats().get("gradients", {"seconds": 0.0})["seconds"]
    slowest = float(hd.collectives.allreduce_max([elapsed])[0])
    bare = bare_allreduce_seconds(hd, model.count_params())
    mean_reduce = float(hd.allreduce_mean([np.array(reduce_seconds)], "benchmark")[0])
    if hd.is_root():
        print(json.dumps({"model": args.model, "processes": hd.size(), "batch": args.batch,
                          "steps": args.steps, "seconds": slowest,
                          "images_per_second": hd.size() * args.steps * args.batch / slowest,
                          "allreduce_seconds": mean_reduce, "bare_seconds": bare}),
              flush=True)


def bare_allreduce_seconds(hd, parameters, repeats=20):
    """The median time of the gradient allreduce alone (the model's float32 parameters and
    the check element), started together after a barrier: communication without waiting."""
    import time

    import numpy as np
    from hilayers.distribute import collectives
    context = hd.init()
    code = collectives.check_code("bare", parameters + 1)
    packed = np.ones(parameters + 1, dtype=np.float32)
    packed[-1] = code
    times = []
    for _ in range(repeats):
        hd.barrier()
        start = time.perf_counter()
        collectives.allreduce_sum_checked(context, packed, code, "bare", "a timed allreduce")
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def launch(args, model, processes):
    threads = args.threads or max(1, (os.cpu_count() or 1) // processes)
    env = dict(os.environ, PYTHONPATH=ROOT, **{v: str(threads) for v in THREAD_VARIABLES})
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.path.exists(mpiexec):
        mpiexec = "mpiexec"
    command = [mpiexec, "-n", str(processes), sys.executable, os.path.abspath(__file__),
               "--worker", "--model", model, "--batch", str(args.batch), "--steps",
               str(args.steps), "--warmup", str(args.warmup), "--data", args.data]
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{' '.join(command)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    result = json.loads(lines[-1])
    result["threads"] = threads
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="1,2", help="comma-separated process counts")
    parser.add_argument("--models", default="mlp,lenet5")
    parser.add_argument("--batch", type=int, default=64, help="images per process and step")
    parser.add_argument("--steps", type=int, default=60, help="timed steps")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="launches per row (median)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS and kernel threads per process "
                             "(default: cores // processes)")
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", default="mlp", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    counts = [int(p) for p in args.processes.split(",")]
    print(f"Weak scaling, {args.batch} images per process and step, {args.steps} timed steps, "
          f"Adam; {os.cpu_count()} cores")
    print(f"{'model':<7} {'procs':>5} {'threads':>7} {'img/s':>8} {'efficiency':>10} "
          f"{'allreduce ms/step':>17} {'% of step':>9} {'bare allreduce ms':>17}")
    for model in args.models.split(","):
        base = None
        for processes in counts:
            runs = sorted((launch(args, model, processes) for _ in range(args.repeats)),
                          key=lambda run: run["images_per_second"])
            r = runs[len(runs) // 2]
            base = base or r["images_per_second"] / r["processes"]
            efficiency = r["images_per_second"] / (r["processes"] * base)
            columns = ["-", "-", "-"]          # one process: no allreduce is run
            if processes > 1:
                columns = [f"{1e3 * r['allreduce_seconds'] / r['steps']:.2f}",
                           f"{100 * r['allreduce_seconds'] / r['seconds']:.1f}",
                           f"{1e3 * r['bare_seconds']:.2f}"]
            print(f"{model:<7} {processes:>5} {r['threads']:>7} {r['images_per_second']:>8.0f} "
                  f"{efficiency:>10.2f} {columns[0]:>17} {columns[1]:>9} {columns[2]:>17}",
                  flush=True)


if __name__ == "__main__":
    main()
