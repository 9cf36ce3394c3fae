"""Benchmark plumbing shared by run.py and scaling.py: environment, threads, timing.

Nothing here knows about workloads; see workloads.py (data, networks) and
peers.py (one adapter per library).
"""
from __future__ import annotations

import datetime
import gc
import json
import os
import platform
import statistics
import sys
import time

# OpenBLAS variables that slow a current NumPy (workloads.md): the benchmark
# process runs without them (run.py re-executes itself, see strip_openblas_env).
STRIPPED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_REEXEC_MARK = "NNCORE_BENCH_STRIPPED_ENV"


def strip_openblas_env():
    """Re-exec this script without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE.

    OpenBLAS reads them when it is loaded, so they must be gone before NumPy is
    imported: call this first thing, before any numpy import. Returns the
    {name: value} that were removed (empty if none were set).
    """
    if _REEXEC_MARK in os.environ:
        return json.loads(os.environ[_REEXEC_MARK])
    removed = {k: os.environ[k] for k in STRIPPED_ENV if k in os.environ}
    if not removed:
        return {}
    env = {k: v for k, v in os.environ.items() if k not in STRIPPED_ENV}
    env[_REEXEC_MARK] = json.dumps(removed)
    argv = getattr(sys, "orig_argv", None)
    args = [sys.executable] + (argv[1:] if argv else sys.argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, args, env)
    raise AssertionError("unreachable")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def core_count():
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return usable, os.cpu_count()


def now():
    return datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


# -- threads ------------------------------------------------------------------------
class Threads:
    """Set every library's thread count to n: nncore (its OpenMP pool), torch,
    and through threadpoolctl the BLAS/OpenMP pools NumPy/scikit-learn use.

    Use as a context manager; `check()` reports what each library says it uses.
    """

    def __init__(self, n, torch=None):
        self.n, self.torch = n, torch
        self._limits = None

    def __enter__(self):
        import nncore as nc
        try:
            from threadpoolctl import threadpool_limits
            self._limits = threadpool_limits(limits=self.n)
        except ImportError:
            self._limits = None
        nc.set_num_threads(self.n)
        if self.torch is not None:
            self.torch.set_num_threads(self.n)
        return self

    def __exit__(self, *exc):
        if self._limits is not None:
            self._limits.restore_original_limits()
        return False

    def check(self):
        """{library: threads it reports}; BLAS entries only with threadpoolctl."""
        import nncore as nc
        out = {"nncore": nc.get_num_threads()}
        if self.torch is not None:
            out["torch"] = self.torch.get_num_threads()
        for info in blas_info():
            out[f"blas:{info['prefix']}"] = info["num_threads"]
        return out


def blas_info():
    """threadpoolctl's entries for the BLAS libraries (OpenBLAS kernel = 'architecture')."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [i for i in threadpool_info() if i.get("user_api") == "blas"]


# -- timing -------------------------------------------------------------------------
class Timer:
    """`with Timer() as t: ...` → t.seconds; the garbage collector is off inside."""

    def __enter__(self):
        self._gc = gc.isenabled()
        gc.disable()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        if self._gc:
            gc.enable()
        return False


def summarize(values):
    """(median, min, max) of a non-empty list."""
    return statistics.median(values), min(values), max(values)


def gemm_gflops(n, dtype, repeats=3):
    """GFLOP/s of a NumPy n×n matmul (the GEMM peak of workloads.md), median of
    `repeats` after one warm-up, at whatever thread limit is current."""
    import numpy as np
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    c = np.empty((n, n), dtype=dtype)
    np.matmul(a, b, out=c)
    samples = []
    for _ in range(repeats):
        with Timer() as t:
            np.matmul(a, b, out=c)
        samples.append(2.0 * n ** 3 / t.seconds / 1e9)
    return samples


class BusyProcess:
    """One other process spinning on a core for the duration of a block (run.py --load):
    the busy-machine scenario. Started and ended by its own pid."""

    def __init__(self, active=True):
        self.active, self.proc = active, None

    def __enter__(self):
        if self.active:
            import subprocess
            self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            time.sleep(0.2)  # let it reach the scheduler's steady state
        return self

    def __exit__(self, *exc):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None
