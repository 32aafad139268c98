"""The benchmark suite: hilayers against PyTorch (CPU) on seven workloads, in one command.

Workloads (benchmarks/workloads.py has the code of each):

1. MLP 784-512-512-10, one MNIST epoch, batch 128, Adam;
2. LeNet-5, one MNIST epoch, batch 128, Adam;
3. LeNet-5 inference, batch 1000, 10,000 images;
4. one LeNet-5 training step at batch 1 (latency);
5. engine dispatch overhead per op (a chain of 100 small ops);
6. conv2d forward, and forward with both gradients, at LeNet's two shapes and a 64-channel
   32x32 one;
7. peak resident memory while training LeNet-5 (each framework in a fresh child process).

Each workload runs ``--repeats`` times per framework, hilayers and PyTorch alternating (and
swapping which goes first every repetition), so that a slow spell of the machine hits both.
The table gives each framework's median and min-max, and the ratio of the medians
(hilayers / PyTorch: below 1 means hilayers is faster or smaller). PyTorch is optional:
without it the PyTorch columns say so and only hilayers runs. The figures are also written
as JSON and, when matplotlib is installed, as a PNG bar chart of the ratios.

``--quick`` runs every workload on a few hundred images, once, in seconds: it checks that
the suite works (CI runs it) and its figures mean nothing.

Run: python benchmarks/run.py [--quick] [--repeats 3] [--backend numpy] [--threads N]
                              [--data DIR] [--out benchmarks/results] [--only NAME ...]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _early_threads(argv):
    """Apply ``--threads N`` to the BLAS libraries (before NumPy loads them) and to
    hilayers' kernel threads."""
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--threads=") else (
            argv[i + 1] if arg == "--threads" and i + 1 < len(argv) else None)
        if value and value.isdigit():
            for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                         "HILAYERS_NUM_THREADS"):
                os.environ[name] = value


if __name__ == "__main__":
    _early_threads(sys.argv[1:])

import numpy as np                                        # noqa: E402

sys.path.insert(0, HERE)
import workloads                                          # noqa: E402

#: Targets of issue 7, as the largest allowed ratio hilayers / PyTorch (None: no target),
#: or for dispatch the largest allowed microseconds per op.
TARGETS = {"mlp_epoch": 1.0, "lenet5_epoch": 1.2, "lenet5_inference": 1.0,
           "peak_memory": 1.0}
DISPATCH_TARGET_US = 3.0


def _workload_table(setup, memory_steps, python):
    """``[(keys, labels, unit, measure(framework) -> tuple of figures)]``, in the order of
    the issue; a measure returns one figure per key."""
    def one(fn):
        return lambda fw: (fn(fw),)
    rows = [
        (("mlp_epoch",), ("1. MLP epoch",), "s",
         one(lambda fw: workloads.measure_epoch(fw, setup, "mlp"))),
        (("lenet5_epoch",), ("2. LeNet-5 epoch",), "s",
         one(lambda fw: workloads.measure_epoch(fw, setup, "lenet5"))),
        (("lenet5_inference",), (f"3. LeNet-5 inference ({setup.test_images} img)",), "s",
         one(lambda fw: workloads.measure_inference(fw, setup))),
        (("step_latency",), ("4. train step, batch 1",), "ms",
         one(lambda fw: workloads.measure_step_latency(fw, setup) * 1e3)),
        (("dispatch",), ("5. dispatch per op",), "us",
         one(lambda fw: workloads.measure_dispatch(fw, setup))),
    ]
    for i, name in enumerate(workloads.CONV_SHAPES):
        short = name.split(" k")[0]
        rows.append(((f"conv_fwd_{i}",), (f"6. conv fwd {short}",), "ms",
                     one(lambda fw, n=name: workloads.measure_conv(fw, setup, n, False))))
        rows.append(((f"conv_fwd_bwd_{i}",), (f"6. conv fwd+bwd {short}",), "ms",
                     one(lambda fw, n=name: workloads.measure_conv(fw, setup, n, True))))
    rows.append((("peak_memory", "memory_growth"),
                 ("7. peak RSS, LeNet-5 training", "7. RSS growth while training"), "MB",
                 lambda fw: _child_memory(fw, setup, memory_steps, python)))
    return rows


def _child_memory(framework, setup, steps, python):
    """``(peak_mb, growth_mb)`` of LeNet-5 training, measured in a fresh process."""
    command = [python, os.path.abspath(__file__), "--child-memory", framework,
               "--memory-steps", str(steps), "--train-images", str(setup.train_images),
               "--backend", os.environ.get("HILAYERS_BACKEND", "numpy")]
    if setup.data_dir:
        command += ["--data", setup.data_dir]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the memory measurement of {framework} failed:\n{done.stderr}")
    peak, growth = json.loads(done.stdout.strip().splitlines()[-1])
    return peak, growth


def torch_status():
    """``(version, threads)`` of an importable PyTorch, or ``(None, reason)``."""
    try:
        import torch
    except ImportError as exc:
        return None, f"PyTorch not installed ({exc}); pip install torch==2.13.0"
    return torch.__version__, torch.get_num_threads()


def run_suite(setup, repeats, frameworks, only=None, memory_steps=100, progress=print):
    """Measure every workload; return ``{key: {label, unit, framework: [figures]}}``."""
    results = {}
    for keys, labels, unit, measure in _workload_table(setup, memory_steps, sys.executable):
        if only and not any(word in key for key in keys for word in only):
            continue
        entries = []
        for key, label in zip(keys, labels):
            results[key] = {"label": label, "unit": unit}
            results[key].update({fw: [] for fw in frameworks})
            entries.append(results[key])
        for rep in range(repeats):
            order = frameworks if rep % 2 == 0 else frameworks[::-1]
            for fw in order:
                for entry, figure in zip(entries, measure(fw)):
                    entry[fw].append(figure)
        for entry in entries:
            progress(_row_text(entry, frameworks))
    return results


def _summary(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": list(values)}


def _fmt(value):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 1 else f"{value:.3f}"


def _ratio(entry):
    h, t = entry.get("hilayers"), entry.get("pytorch")
    if not h or not t:
        return None
    return statistics.median(h) / statistics.median(t)


HEADER = (f"{'workload':<38} {'unit':>4} {'hilayers':>9} {'PyTorch':>9} {'ratio':>6}  "
          f"{'hilayers min-max':>17}  {'PyTorch min-max':>17}")


def _row_text(entry, frameworks):
    h = entry.get("hilayers") or []
    t = entry.get("pytorch") or []
    ratio = _ratio(entry)
    h_range = f"{_fmt(min(h))}-{_fmt(max(h))}" if h else "-"
    t_range = f"{_fmt(min(t))}-{_fmt(max(t))}" if t else "-"
    return (f"{entry['label']:<38} {entry['unit']:>4} "
            f"{_fmt(statistics.median(h) if h else None):>9} "
            f"{_fmt(statistics.median(t) if t else None):>9} "
            f"{(f'{ratio:.2f}' if ratio is not None else '-'):>6}  {h_range:>17}  "
            f"{t_range:>17}")


def targets_report(results):
    """Lines saying which of issue 7's targets the figures meet."""
    lines = []
    for key, limit in TARGETS.items():
        if key not in results:
            continue
        ratio = _ratio(results[key])
        if ratio is None:
            lines.append(f"  {results[key]['label']}: target ratio <= {limit}: not judged "
                         "(no PyTorch figure)")
        else:
            verdict = "met" if ratio <= limit else "NOT met"
            lines.append(f"  {results[key]['label']}: ratio {ratio:.2f}, target <= {limit}: "
                         f"{verdict}")
    if "dispatch" in results and results["dispatch"].get("hilayers"):
        us = statistics.median(results["dispatch"]["hilayers"])
        verdict = "met" if us <= DISPATCH_TARGET_US else "NOT met"
        lines.append(f"  5. dispatch per op: {us:.2f} us, target <= {DISPATCH_TARGET_US} us: "
                     f"{verdict}")
    return lines


def machine_description():
    """One line: CPU model, cores, Python, NumPy and its BLAS."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    blas = "unknown BLAS"
    try:
        config = np.show_config(mode="dicts")
        info = config["Build Dependencies"]["blas"]
        blas = f"{info.get('name')} {info.get('version')}"
    except (TypeError, KeyError, AttributeError):
        pass
    return (f"{model}, {os.cpu_count()} logical CPUs; Python {platform.python_version()}, "
            f"NumPy {np.__version__} ({blas})")


def write_json(path, results, meta):
    payload = {"meta": meta, "results": {}}
    for key, entry in results.items():
        payload["results"][key] = {
            "label": entry["label"], "unit": entry["unit"], "ratio": _ratio(entry),
            "hilayers": _summary(entry.get("hilayers")),
            "pytorch": _summary(entry.get("pytorch"))}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)


def write_chart(path, results):
    """A horizontal bar chart of the ratios; returns a message when matplotlib is absent."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return "matplotlib is not installed: no chart (pip install matplotlib)"
    rows = [(e["label"], _ratio(e), TARGETS.get(k)) for k, e in results.items()]
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return "no PyTorch figures: no chart of ratios"
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.2))
    labels = [r[0] for r in rows][::-1]
    ratios = [r[1] for r in rows][::-1]
    colors = ["tab:green" if r <= (t or 1.0) else "tab:red" for _, r, t in rows][::-1]
    ax.barh(labels, ratios, color=colors)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.axvline(1.0, color="black", linewidth=1)
    for i, (_, ratio, target) in enumerate(rows[::-1]):
        ax.text(ratio, i, f" {ratio:.2f}", va="center", fontsize=8)
        if target is not None:
            ax.plot([target, target], [i - 0.4, i + 0.4], color="tab:blue", linewidth=2)
    ax.set_xlim(min(ratios + [0.5]) / 1.5, max(ratios + [1.2]) * 1.6)
    ax.set_xlabel("hilayers / PyTorch, ratio of medians\n(log scale; lower is better; "
                  "blue mark: issue 7's target)")
    ax.set_title("hilayers vs PyTorch 2.13 CPU")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return None


def _child_main(args):
    """``--child-memory FRAMEWORK``: print ``[peak_mb, growth_mb]`` as JSON."""
    from hilayers import backend as K
    K.set_backend(args.backend)
    setup = workloads.Setup(data_dir=args.data, train_images=args.train_images)
    print(json.dumps(workloads.measure_training_memory(args.child_memory, setup,
                                                       args.memory_steps)))


def _load():
    """The 1-, 5- and 15-minute load averages as text, or 'unknown'."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a few hundred images, one repetition: checks the suite runs")
    parser.add_argument("--repeats", type=int, default=None,
                        help="repetitions per framework (default 3; 1 with --quick)")
    parser.add_argument("--backend", default="numpy", choices=["numpy", "cupy"],
                        help="hilayers' kernel implementation (PyTorch always runs on CPU)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS, PyTorch and hilayers kernel threads (default: each "
                             "library's own choice; hilayers' follow HILAYERS_NUM_THREADS, "
                             "else its default)")
    parser.add_argument("--data", default=workloads.default_data_dir(),
                        help="the MNIST folder (default ../shared/datasets/mnist)")
    parser.add_argument("--out", default=os.path.join(HERE, "results"),
                        help="folder for results.json and results.png")
    parser.add_argument("--only", nargs="*", default=None,
                        help="run only workloads whose key contains one of these words "
                             "(mlp, lenet5, inference, latency, dispatch, conv, memory)")
    parser.add_argument("--no-torch", action="store_true", help="run hilayers only")
    parser.add_argument("--child-memory", choices=["hilayers", "pytorch"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--memory-steps", type=int, default=100, help=argparse.SUPPRESS)
    parser.add_argument("--train-images", type=int, default=60000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_memory:
        return _child_main(args)

    from hilayers import backend as K
    from hilayers.backend.kernels import _parallel
    try:
        K.set_backend(args.backend)
    except K.BackendUnavailableError as exc:
        parser.exit(2, f"run.py: --backend {args.backend} is not available here: {exc}\n")
    os.environ["HILAYERS_BACKEND"] = args.backend      # for the memory child processes

    quick = args.quick
    repeats = args.repeats or (1 if quick else 3)
    setup = workloads.Setup(data_dir=args.data)
    if quick:
        setup = workloads.Setup(data_dir=args.data, train_images=512, test_images=1000,
                                latency_steps=5, dispatch_calls=20, conv_calls=1)
    memory_steps = 3 if quick else 100

    frameworks = ["hilayers"]
    version, detail = (None, "not run (--no-torch)") if args.no_torch else torch_status()
    if version is not None:
        import torch
        if args.threads:
            torch.set_num_threads(args.threads)
        detail = f"{torch.get_num_threads()} threads"
        frameworks.append("pytorch")
    torch_line = (f"PyTorch {version} CPU ({detail})" if version
                  else f"PyTorch: {detail}")
    meta = {
        "command": " ".join([os.path.basename(sys.argv[0]) if argv is None else "run.py"]
                            + (sys.argv[1:] if argv is None else list(argv))),
        "machine": machine_description(), "backend": args.backend, "torch": torch_line,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "library default"),
        "hilayers_threads": (f"{_parallel.num_threads()}"
                             + ("" if os.environ.get("HILAYERS_NUM_THREADS")
                                else " (default)")),
        "repeats": repeats, "quick": quick,
        "train_images": setup.train_images, "test_images": setup.test_images,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"), "load_average_start": _load(),
    }
    print(f"hilayers benchmark suite{' (--quick: figures mean nothing)' if quick else ''}")
    print(f"date: {meta['date']}; load average at the start: {meta['load_average_start']}")
    print(f"machine: {meta['machine']}")
    print(f"hilayers backend: {args.backend}, kernel threads {meta['hilayers_threads']}; "
          f"{torch_line}; BLAS threads: {meta['blas_threads']}; medians of {repeats}, "
          "frameworks alternating")
    print(HEADER)
    start = time.perf_counter()
    results = run_suite(setup, repeats, frameworks, only=args.only,
                        memory_steps=memory_steps)
    meta["load_average_end"] = _load()
    print(f"ratio = hilayers median / PyTorch median (lower is better); "
          f"{time.perf_counter() - start:.0f} s in all; load average at the end: "
          f"{meta['load_average_end']}")
    print("targets of issue 7:")
    for line in targets_report(results) or ["  (no targeted workload was run)"]:
        print(line)
    os.makedirs(args.out, exist_ok=True)
    json_path = os.path.join(args.out, "results.json")
    write_json(json_path, results, meta)
    print(f"wrote {json_path}")
    message = write_chart(os.path.join(args.out, "results.png"), results)
    print(message or f"wrote {os.path.join(args.out, 'results.png')}")
    return results


if __name__ == "__main__":
    main()
