#!/usr/bin/env bash
# The GPU check of issue 8, in one command: the whole test suite on the CuPy backend, then
# the benchmark suite on CuPy against PyTorch on CUDA. Written for a session's one short
# window on a lent GPU machine (python3 there holds CuPy and PyTorch; hilayers is not
# installed, so PYTHONPATH points at this checkout; nothing can be downloaded).
#
# Before the call, on the developer's machine, in the repository root (once per checkout):
#
#     mkdir -p .gpu-data && cp -r ../shared/datasets/mnist .gpu-data/
#     grep -qx '/.gpu-data/' .git/info/exclude || echo /.gpu-data/ >> .git/info/exclude
#
# (../shared does not travel; the copy, 11 MB, travels when `carry` names it.) Then:
#
#     run(command="bash benchmarks/gpu_check.sh", carry=[".gpu-data"], timeout_s=600)
#
# What comes back under $OUT (at most 8 files may): gpu_env.log (GPU, driver and library
# versions), tests_cupy.log (pytest), bench_cupy.log (the benchmark's table), results.json
# (written after each workload, so a run cut short keeps what it measured) and results.png.
#
# Time: the script ends within about 9 minutes: GPU_CHECK_TEST_SECONDS (default 240) for the
# tests, GPU_CHECK_BENCH_SECONDS (default 270) for the benchmark, and a few seconds around
# them. Environment variables (all optional):
#
#     GPU_CHECK_DATA           the MNIST folder (default .gpu-data/mnist in this checkout)
#     GPU_CHECK_PER_TEST       seconds allowed to one test (default 90)
#     GPU_CHECK_PYTEST_ARGS    replaces the default "--maxfail=20" (which shows many CuPy
#                              failures in one window; "-x" stops at the first, or
#                              "tests/backend" runs part of the suite)
#     GPU_CHECK_BENCH_ARGS     more arguments for benchmarks/run.py (e.g. "--repeats 1" or
#                              "--only mlp lenet5 convnet")
#     GPU_CHECK_PYTHON         the interpreter (default python3)
#
# Exit status: 0 when the tests and the benchmark both passed; 1 when the tests failed (or
# ran out of time), 2 when the benchmark failed, 3 when both did; 10 when CuPy or a GPU is
# missing (then nothing else runs: the check stops within seconds).
set -u
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 10
if [ -z "${OUT:-}" ]; then
    echo "gpu_check.sh: OUT is not set; set it to a folder for the logs (the device tool" \
         "sets it): OUT=/tmp/gpu-out bash benchmarks/gpu_check.sh" >&2
    exit 10
fi
mkdir -p "$OUT" || exit 10
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
DATA="${GPU_CHECK_DATA:-$ROOT/.gpu-data/mnist}"
[ -d "$DATA" ] && DATA="$(cd "$DATA" && pwd)"
PYTHON="${GPU_CHECK_PYTHON:-python3}"
TEST_SECONDS="${GPU_CHECK_TEST_SECONDS:-240}"
BENCH_SECONDS="${GPU_CHECK_BENCH_SECONDS:-270}"
PER_TEST="${GPU_CHECK_PER_TEST:-90}"
PYTEST_ARGS="${GPU_CHECK_PYTEST_ARGS:---maxfail=20}"
BENCH_ARGS="${GPU_CHECK_BENCH_ARGS:-}"

echo "== gpu_check.sh: $(date '+%Y-%m-%d %H:%M:%S'), checkout $ROOT" | tee "$OUT/gpu_env.log"
# 1. What is there; stop at once without CuPy, a GPU, or hilayers' cupy backend.
HILAYERS_BACKEND=cupy timeout 120 "$PYTHON" - <<'PY' 2>&1 | tee -a "$OUT/gpu_env.log"
import platform, subprocess, sys
print(f"python {platform.python_version()} ({sys.executable})")
import numpy
print(f"numpy {numpy.__version__}")
try:
    import cupy
except ImportError as exc:
    sys.exit(f"gpu_check.sh: CuPy cannot be imported ({exc}); this check needs a machine "
             "with an NVIDIA GPU and CuPy (pip install 'hilayers[gpu]').")
try:
    count = cupy.cuda.runtime.getDeviceCount()
except Exception as exc:  # CuPy's CUDARuntimeError and its driver errors
    sys.exit(f"gpu_check.sh: CuPy {cupy.__version__} is installed but no CUDA device can be "
             f"used ({type(exc).__name__}: {exc}).")
if count == 0:
    sys.exit(f"gpu_check.sh: CuPy {cupy.__version__} is installed but sees no CUDA device.")
props = cupy.cuda.runtime.getDeviceProperties(0)
name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
print(f"GPU 0 of {count}: {name}, {props['totalGlobalMem'] / 2**30:.1f} GiB, "
      f"{props['multiProcessorCount']} multiprocessors, compute capability "
      f"{props['major']}.{props['minor']}")
print(f"cupy {cupy.__version__}; CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}, "
      f"driver {cupy.cuda.runtime.driverGetVersion()}")
try:
    import torch
    print(f"torch {torch.__version__} (CUDA {torch.version.cuda}, cuDNN "
          f"{torch.backends.cudnn.version()}), torch.cuda.is_available() = "
          f"{torch.cuda.is_available()}")
except ImportError as exc:
    print(f"torch: not importable ({exc}); the benchmark runs hilayers alone")
from hilayers import backend as K
try:
    K.set_backend("cupy")
except K.BackendUnavailableError as exc:
    sys.exit(f"gpu_check.sh: hilayers' cupy backend is not available: {exc}")
print(f"hilayers backend: {K.backend()}")
try:
    print(subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True,
                         timeout=20).stdout.strip())
except (OSError, subprocess.SubprocessError):
    print("nvidia-smi: not available")
PY
preflight=$?
if [ "$preflight" -ne 0 ]; then
    echo "gpu_check.sh: stopped (status $preflight): no usable GPU for hilayers' cupy" \
         "backend here; the tests and the benchmark were not run." | tee -a "$OUT/gpu_env.log"
    exit 10
fi

# The tests look for MNIST at ../shared/datasets/mnist; point that at the carried copy.
if [ -d "$DATA" ] && [ ! -e "$ROOT/../shared/datasets/mnist" ]; then
    if mkdir -p "$ROOT/../shared/datasets" 2>/dev/null \
            && ln -s "$DATA" "$ROOT/../shared/datasets/mnist" 2>/dev/null; then
        echo "linked $ROOT/../shared/datasets/mnist -> $DATA (for the MNIST tests)" \
            | tee -a "$OUT/gpu_env.log"
    fi
fi

# 2. The whole test suite on CuPy.
echo "== tests: HILAYERS_BACKEND=cupy pytest $PYTEST_ARGS (per test ${PER_TEST} s," \
     "all ${TEST_SECONDS} s)"
# shellcheck disable=SC2086  # PYTEST_ARGS holds several words on purpose
HILAYERS_BACKEND=cupy timeout --kill-after=15 "$TEST_SECONDS" \
    "$PYTHON" -m pytest -q -p no:cacheprovider --timeout="$PER_TEST" $PYTEST_ARGS 2>&1 \
    | tee "$OUT/tests_cupy.log"
tests=$?
[ "$tests" -eq 124 ] && echo "gpu_check.sh: the tests ran out of their ${TEST_SECONDS} s" \
    | tee -a "$OUT/tests_cupy.log"

# 3. The benchmark suite: hilayers on CuPy against PyTorch on CUDA.
only=()
if [ ! -d "$DATA" ]; then
    echo "gpu_check.sh: WARNING: no MNIST folder at $DATA (see this script's header for how" \
         "to carry it); the MNIST workloads 1-4 are left out of the benchmark"
    only=(--only dispatch conv)
fi
echo "== benchmark: run.py --backend cupy (all ${BENCH_SECONDS} s)"
# shellcheck disable=SC2086
timeout --kill-after=15 "$BENCH_SECONDS" "$PYTHON" benchmarks/run.py --backend cupy \
    --data "$DATA" --out "$OUT" ${only[@]+"${only[@]}"} $BENCH_ARGS 2>&1 | tee "$OUT/bench_cupy.log"
bench=$?
[ "$bench" -eq 124 ] && echo "gpu_check.sh: the benchmark ran out of its ${BENCH_SECONDS} s;" \
    "results.json holds the workloads it finished" | tee -a "$OUT/bench_cupy.log"
rm -f "$OUT/results.json.part"

echo "== gpu_check.sh: tests status $tests, benchmark status $bench" \
     "($(date '+%H:%M:%S'))" | tee -a "$OUT/gpu_env.log"
exit $(( (tests != 0) + 2 * (bench != 0) ))
