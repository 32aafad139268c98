"""Launching ``mpiexec -n 2`` from the tests, and skipping (with the reason) where MPI is
missing. CI installs mpi4py and the MPICH wheel (the dev extra), so there these tests run."""
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKER = pathlib.Path(__file__).with_name("mpi_worker.py")


def find_mpiexec():
    """``mpiexec`` beside this Python (a virtual environment's, from the MPICH wheel), else on
    PATH; None when there is none."""
    beside = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = find_mpiexec()
HAVE_MPI4PY = importlib.util.find_spec("mpi4py") is not None
needs_mpi = pytest.mark.skipif(
    not (HAVE_MPI4PY and MPIEXEC),
    reason="needs mpi4py and mpiexec: pip install -e '.[dev]' installs both (mpi4py and the "
           "mpich wheel)" + ("" if HAVE_MPI4PY else "; mpi4py is missing")
    + ("" if MPIEXEC else "; mpiexec is missing"))


class Run:
    """A finished launch: return code, output, seconds taken."""

    def __init__(self, completed, seconds):
        self.returncode = completed.returncode
        self.output = completed.stdout + completed.stderr
        self.seconds = seconds

    def __repr__(self):
        return f"<Run rc={self.returncode} {self.seconds:.1f}s>\n{self.output[-3000:]}"


def launch(command, processes=2, timeout=180, env=None, cwd=None):
    """Run ``command`` (a list after ``python``) under ``mpiexec -n processes``, from ``cwd``
    (default the project); with ``processes=None``, as a plain ``python`` process."""
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("PMI_", "HYDRA_", "MPIR_", "MPICH_"))}
    environment.update(PYTHONPATH=str(ROOT), HILAYERS_BACKEND="numpy", **(env or {}))
    prefix = [] if processes is None else [MPIEXEC, "-n", str(processes)]
    start = time.monotonic()
    completed = subprocess.run(prefix + [sys.executable] + [str(c) for c in command],
                               capture_output=True, text=True, timeout=timeout,
                               env=environment, cwd=str(cwd or ROOT))
    return Run(completed, time.monotonic() - start)


def worker(scenario, out, processes=2, timeout=180, env=None):
    """Launch one scenario of ``mpi_worker.py`` writing into ``out``."""
    return launch([WORKER, scenario, out], processes, timeout, env)
