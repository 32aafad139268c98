"""The benchmark suite: hilayers against PyTorch on eight workloads, in one command.

Workloads (benchmarks/workloads.py has the code of each):

1. MLP 784-512-512-10, one MNIST epoch, batch 128, Adam;
2. LeNet-5, one MNIST epoch, batch 128, Adam;
3. LeNet-5 inference, batch 1000, 10,000 images;
4. one LeNet-5 training step at batch 1 (latency);
5. engine dispatch overhead per op (a chain of 100 small ops);
6. conv2d forward, and forward with both gradients, at LeNet's two shapes and a 64-channel
   32x32 one;
7. peak resident memory while training LeNet-5 (each framework in a fresh child process;
   CPU only: skipped with ``--backend cupy``);
8. convnet32: a VGG-like network (four 3x3 convolutions of 64-256 channels with batch
   normalization) trained on synthetic 32x32x3 images at batch 256, with its TFLOP/s against
   the float32 matrix-product rate of each framework's device (``convnet32.py``). It runs by
   default with ``--backend cupy`` only; on the CPU only when asked, ``--only convnet``.

Each workload runs ``--repeats`` times per framework, hilayers and PyTorch alternating (and
swapping which goes first every repetition), so that a slow spell of the machine hits both.
The table gives each framework's median and min-max, and the ratio of the medians
(hilayers / PyTorch: below 1 means hilayers is faster or smaller). PyTorch is optional:
without it the PyTorch columns say so and only hilayers runs. PyTorch runs on CUDA when
hilayers runs on CuPy and PyTorch sees a GPU (``--torch-device auto``), else on the CPU.
The figures are also written as JSON, after each workload (a run cut short keeps what it
measured), and, when matplotlib is installed, as a PNG bar chart of the ratios. A workload
that fails is reported as failed and the others still run; the exit status is then 1.

``--quick`` runs every workload on a few hundred images, once, in seconds: it checks that
the suite works (CI runs it) and its figures mean nothing.

Run: python benchmarks/run.py [--quick] [--repeats 3] [--backend numpy|cupy] [--threads N]
                              [--torch-device auto|cpu|cuda] [--convnet-images N]
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
import traceback

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
import convnet32                                          # noqa: E402
import devices                                            # noqa: E402
import workloads                                          # noqa: E402
from report import (GPU_TARGET, HEADER, format_figure, gpu_targets_report,  # noqa: E402
                    row_text, targets_report, write_chart, write_json)

#: Why workload 7 does not run on the GPU.
MEMORY_ON_GPU = ("7. peak RSS: skipped with --backend cupy (it measures the host memory of "
                 "a training process on the CPU)")


def convnet_wanted(backend, only):
    """Whether workload 8 runs: always on CuPy (unless ``--only`` leaves it out), on the
    CPU only when a word of ``--only`` names it (it takes minutes there)."""
    if backend == "cupy":
        return True
    return bool(only) and any("convnet" in word for word in only)


def _workload_table(setup, memory_steps, python, backend="numpy", only=None):
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
    if backend != "cupy":
        rows.append((("peak_memory", "memory_growth"),
                     ("7. peak RSS, LeNet-5 training", "7. RSS growth while training"), "MB",
                     lambda fw: _child_memory(fw, setup, memory_steps, python)))
    if convnet_wanted(backend, only):
        rows.append((("convnet32_epoch",), (f"8. convnet32 epoch ({setup.convnet_images} img)",),
                     "s", one(lambda fw: convnet32.measure_epoch(fw, setup))))
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


def run_suite(setup, repeats, frameworks, only=None, memory_steps=100, progress=print,
              backend="numpy", after_each=None):
    """Measure every workload; return ``{key: {label, unit, framework: [figures]}}``.

    A workload that raises gets ``"error"`` (the exception's type and message) in its
    entries, its traceback goes to stderr, and the next workload runs. ``after_each(results)``
    is called after each workload (run.py writes the JSON there).
    """
    results = {}
    table = _workload_table(setup, memory_steps, sys.executable, backend, only)
    for keys, labels, unit, measure in table:
        if only and not any(word in key for key in keys for word in only):
            continue
        entries, fw = [], frameworks[0]
        for key, label in zip(keys, labels):
            results[key] = {"label": label, "unit": unit}
            results[key].update({name: [] for name in frameworks})
            entries.append(results[key])
        try:
            for rep in range(repeats):
                order = frameworks if rep % 2 == 0 else frameworks[::-1]
                for fw in order:
                    for entry, figure in zip(entries, measure(fw)):
                        entry[fw].append(figure)
        except Exception as exc:     # noqa: BLE001  (reported below; the suite goes on)
            error = f"{fw}: {type(exc).__name__}: {exc}".splitlines()[0]
            traceback.print_exc()
            for entry in entries:
                entry["error"] = error
        for entry in entries:
            progress(row_text(entry, frameworks))
        if after_each is not None:
            after_each(results)
    return results


def convnet_throughput(results, frameworks, setup, progress=print):
    """Workload 8's TFLOP/s per framework (from its median time) beside the float32
    matrix-product rate of that framework's device (measured now); ``{}`` when workload 8
    did not run or failed.

    Returns:
        ``{"flops_per_image_training": int, "images": int, framework: {"tflops",
        "matmul_tflops", "matmul"}}``; ``matmul_tflops`` is None (and ``matmul`` says why)
        when the product could not be timed.
    """
    entry = results.get("convnet32_epoch")
    if not entry or "error" in entry:
        return {}
    images = setup.convnet_images
    report = {"flops_per_image_training": convnet32.training_flops(1), "images": images}
    parts = []
    for fw in frameworks:
        if not entry.get(fw):
            continue
        rate = convnet32.tflops(statistics.median(entry[fw]), images)
        try:
            matmul, where = devices.matmul_tflops(fw, setup.torch_device)
        except Exception as exc:     # noqa: BLE001  (the convnet figure stands without it)
            matmul, where = None, f"matmul rate not measured ({type(exc).__name__}: {exc})"
        report[fw] = {"tflops": rate, "matmul_tflops": matmul, "matmul": where}
        name = "hilayers" if fw == "hilayers" else "PyTorch"
        share = f"{rate / matmul:.0%} of " if matmul else ""
        parts.append(f"{name} {format_figure(rate)} TFLOP/s ({share}{where}"
                     + (f": {format_figure(matmul)} TFLOP/s)" if matmul else ")"))
    progress("8. convnet32 (3x forward FLOPs of the convolutions and dense layer, "
             f"{report['flops_per_image_training'] / 1e6:.1f} MFLOP per training image): "
             + "; ".join(parts))
    return report


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


def _torch_setup(args, parser):
    """``(frameworks, torch_device, torch_line)`` from ``--no-torch``, ``--torch-device`` and
    ``--threads``; exits with status 2 when the device asked for is not there."""
    if args.no_torch:
        return ["hilayers"], "cpu", "PyTorch: not run (--no-torch)"
    version, detail = torch_status()
    if version is None:
        if args.torch_device == "cuda":
            parser.exit(2, f"run.py: --torch-device cuda was asked for, but {detail}\n")
        return ["hilayers"], "cpu", f"PyTorch: {detail}"
    import torch
    try:
        device = devices.resolve_torch_device(args.torch_device, args.backend,
                                              torch.cuda.is_available(),
                                              devices.torch_build(torch))
    except devices.DeviceUnavailableError as exc:
        parser.exit(2, f"run.py: {exc}\n")
    if args.threads:
        torch.set_num_threads(args.threads)
    precision = f", {devices.torch_float32_strict(torch)}" if device != "cpu" else ""
    return (["hilayers", "pytorch"], device,
            f"PyTorch {version} on {devices.torch_description(torch, device)}{precision}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a few hundred images, one repetition: checks the suite runs")
    parser.add_argument("--repeats", type=int, default=None,
                        help="repetitions per framework (default 3; 1 with --quick)")
    parser.add_argument("--backend", default="numpy", choices=["numpy", "cupy"],
                        help="hilayers' kernel implementation")
    parser.add_argument("--torch-device", default="auto", choices=list(devices.TORCH_DEVICES),
                        help="where PyTorch runs (auto: cuda with --backend cupy when PyTorch "
                             "sees a GPU, else cpu)")
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
                             "(mlp, lenet5, inference, latency, dispatch, conv, memory, "
                             "convnet; on the CPU workload 8 runs only with 'convnet')")
    parser.add_argument("--convnet-images", type=int, default=None,
                        help="images of workload 8's epoch (default 25600; 32 with --quick)")
    parser.add_argument("--no-torch", action="store_true", help="run hilayers only")
    parser.add_argument("--child-memory", choices=["hilayers", "pytorch"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--memory-steps", type=int, default=100, help=argparse.SUPPRESS)
    parser.add_argument("--train-images", type=int, default=60000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_memory:
        return _child_main(args)
    if args.convnet_images is not None and args.convnet_images < 1:
        parser.error(f"--convnet-images must be at least 1; received {args.convnet_images}")

    from hilayers import backend as K
    from hilayers.backend.kernels import _parallel
    try:
        impl = K.set_backend(args.backend)
    except K.BackendUnavailableError as exc:
        parser.exit(2, f"run.py: --backend {args.backend} is not available here: {exc}\n")
    os.environ["HILAYERS_BACKEND"] = args.backend      # for the memory child processes
    frameworks, torch_device, torch_line = _torch_setup(args, parser)

    quick = args.quick
    repeats = args.repeats or (1 if quick else 3)
    sizes = {}
    if quick:
        sizes = dict(train_images=512, test_images=1000, latency_steps=5, dispatch_calls=20,
                     conv_calls=1, convnet_images=32)
    if args.convnet_images:
        sizes["convnet_images"] = args.convnet_images
    setup = workloads.Setup(data_dir=args.data, torch_device=torch_device, **sizes)
    memory_steps = 3 if quick else 100
    skipped = [MEMORY_ON_GPU] if args.backend == "cupy" and (
        not args.only or any(w in k for w in args.only for k in ("peak_memory",
                                                                   "memory_growth"))) else []
    hilayers_device = devices.hilayers_description(impl)
    meta = {
        "command": " ".join([os.path.basename(sys.argv[0]) if argv is None else "run.py"]
                            + (sys.argv[1:] if argv is None else list(argv))),
        "machine": machine_description(), "backend": args.backend,
        "hilayers_device": hilayers_device, "torch": torch_line,
        "torch_device": torch_device if "pytorch" in frameworks else None,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "library default"),
        "hilayers_threads": (f"{_parallel.num_threads()}"
                             + ("" if os.environ.get("HILAYERS_NUM_THREADS")
                                else " (default)")),
        "repeats": repeats, "quick": quick,
        "train_images": setup.train_images, "test_images": setup.test_images,
        "convnet_images": setup.convnet_images, "skipped": skipped,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"), "load_average_start": _load(),
    }
    print(f"hilayers benchmark suite{' (--quick: figures mean nothing)' if quick else ''}")
    print(f"date: {meta['date']}; load average at the start: {meta['load_average_start']}")
    print(f"machine: {meta['machine']}")
    print(f"hilayers backend: {args.backend} on {hilayers_device}, kernel threads "
          f"{meta['hilayers_threads']}; {torch_line}; BLAS threads: {meta['blas_threads']}; "
          f"medians of {repeats}, frameworks alternating")
    for line in skipped:
        print(line)
    print(HEADER)
    os.makedirs(args.out, exist_ok=True)
    json_path = os.path.join(args.out, "results.json")
    start = time.perf_counter()
    results = run_suite(setup, repeats, frameworks, only=args.only,
                        memory_steps=memory_steps, backend=args.backend,
                        after_each=lambda r: write_json(json_path, r, meta))
    meta["load_average_end"] = _load()
    print(f"ratio = hilayers median / PyTorch median (lower is better); "
          f"{time.perf_counter() - start:.0f} s in all; load average at the end: "
          f"{meta['load_average_end']}")
    throughput = convnet_throughput(results, frameworks, setup)
    if args.backend == "cupy":
        print(f"targets of issue 8 (GPU: at most {GPU_TARGET}x PyTorch's time):")
        for line in gpu_targets_report(results) or ["  (no workload was run)"]:
            print(line)
    else:
        print("targets of issue 7:")
        for line in targets_report(results) or ["  (no targeted workload was run)"]:
            print(line)
    failed = [entry["label"] for entry in results.values() if "error" in entry]
    if failed:
        print(f"FAILED workloads (tracebacks above): {', '.join(failed)}")
    write_json(json_path, results, meta, throughput)
    print(f"wrote {json_path}")
    title = f"hilayers ({args.backend}) vs {torch_line.split(' (')[0]}"
    targets = {key: GPU_TARGET for key in results} if args.backend == "cupy" else None
    message = write_chart(os.path.join(args.out, "results.png"), results, title, targets)
    print(message or f"wrote {os.path.join(args.out, 'results.png')}")
    return results


if __name__ == "__main__":
    outcome = main()
    sys.exit(1 if outcome and any("error" in entry for entry in outcome.values()) else 0)
