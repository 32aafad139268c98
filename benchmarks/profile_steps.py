"""Where a training step's time goes: CPU time per op of the compiled plan, by op and shape.

Trains the MLP (784-512-512-10) or LeNet-5 on the first ``--images`` MNIST images, batch 128,
Adam, with the plan's run loop replaced by one that reads the thread's CPU clock around every
kernel. Each op type and output shape gets the smallest total over ``--repeats`` passes (the
least disturbed by other processes), divided by the number of steps. The last lines give the
kernels' sum, the whole ``fit`` and the difference, which is the engine's own Python work
(feeding, the run loop, metrics, callbacks).

CPU time of this thread ignores BLAS worker threads and hilayers' kernel threads: set
OPENBLAS_NUM_THREADS=1 and HILAYERS_NUM_THREADS=1 so that all work is counted, as the figures
in docs/performance.md were.

Run: OPENBLAS_NUM_THREADS=1 HILAYERS_NUM_THREADS=1 python benchmarks/profile_steps.py lenet5
     [--images 5120]
     [--repeats 3] [--top 25]
"""
import argparse
import collections
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

BATCH = 128


def _timed_run_steps(totals, counts, clock):
    """A replacement of ``Plan._run_steps`` that adds each kernel's time on ``clock`` to
    ``totals``."""

    def run_steps(plan, *args):
        # (ctx, vals) here; (vals,) in the engine before the workspace existed.
        ctx, vals = args if len(args) == 2 else (plan.ctx, args[0])
        for kernel, op, ins, outs, frees, node in plan.steps:
            start = clock()
            if len(outs) == 1:
                vals[outs[0]] = kernel(ctx, op, *[vals[i] for i in ins])
            else:
                for slot, value in zip(outs, kernel(ctx, op, *[vals[i] for i in ins])):
                    vals[slot] = value
            for slot in frees:
                vals[slot] = None
            key = (type(op).__name__, node.outputs[0].shape if node.outputs else ())
            totals[key] += clock() - start
            counts[key] += 1
    return run_steps


def profile(workload, images, repeats, data_dir, clock=time.thread_time):
    """Return ``(rows, steps, kernels_s, fit_s)``; rows are ``(op, shape, calls, s/step)``."""
    from hilayers.backend import compiler
    import workloads
    setup = workloads.Setup(data_dir=data_dir or workloads.default_data_dir(),
                            train_images=images)
    (x, y), _ = setup.mnist(flat=(workload == "mlp"))
    model = workloads.hilayers_model(workload)
    model.train_on_batch(x[:BATCH], y[:BATCH])
    steps = -(-len(x) // BATCH)
    best, best_fit, calls = None, None, None
    original = compiler.Plan._run_steps
    try:
        for _ in range(repeats):
            totals, counts = collections.defaultdict(float), collections.Counter()
            compiler.Plan._run_steps = _timed_run_steps(totals, counts, clock)
            start = clock()
            model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
            fit_s = clock() - start
            if best is None:
                best, calls = dict(totals), counts
            else:
                best = {k: min(v, totals[k]) for k, v in best.items()}
            best_fit = fit_s if best_fit is None else min(best_fit, fit_s)
    finally:
        compiler.Plan._run_steps = original
    rows = sorted(((name, shape, calls[(name, shape)] // steps or 1,
                    total / steps) for (name, shape), total in best.items()),
                  key=lambda r: -r[3])
    return rows, steps, sum(best.values()) / steps, best_fit / steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=["mlp", "lenet5"])
    parser.add_argument("--images", type=int, default=5120)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--data", default=None, help="the MNIST folder")
    parser.add_argument("--wall", action="store_true",
                        help="wall-clock time instead of this thread's CPU time (for runs "
                             "with several threads; more disturbed by other processes)")
    args = parser.parse_args(argv)
    clock = time.perf_counter if args.wall else time.thread_time
    rows, steps, kernels_s, fit_s = profile(args.workload, args.images, args.repeats,
                                            args.data, clock)
    print(f"{args.workload}: {steps} steps of batch {BATCH}; "
          f"{'wall-clock' if args.wall else 'thread CPU'} ms per step, the least of "
          f"{args.repeats} passes")
    print(f"{'ms/step':>8} {'calls':>5}  op (output shape)")
    for name, shape, count, seconds in rows[:args.top]:
        print(f"{seconds * 1e3:8.3f} {count:5d}  {name} {shape}")
    rest = sum(r[3] for r in rows[args.top:])
    print(f"{rest * 1e3:8.3f}        the other {max(0, len(rows) - args.top)} op kinds")
    print(f"{kernels_s * 1e3:8.3f}        all kernels")
    print(f"{fit_s * 1e3:8.3f}        the whole fit() per step")
    print(f"{(fit_s - kernels_s) * 1e3:8.3f}        outside the kernels (engine and fit loop)")


if __name__ == "__main__":
    main()
