"""What this nncore was built with and what it runs with: `nc.show_config()`.

    >>> import nncore as nc
    >>> nc.show_config()          # doctest: +SKIP
    nncore 0.1.0
      compiler:        GNU 12.2.0 (Release)
      OpenMP:          201511 (gomp;pthread)
      GEMM kernels:    generic,avx2,avx512 (selected: avx512)
      SIMD clones:     x86-64-v4,x86-64-v3,default (selected: avx512)
      threads:         2 (default: all cores OpenMP sees)

A build without OpenMP runs the core on one thread; importing it warns once
with `SerialBuildWarning` (see `warn_if_serial`).
"""
from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Dict, Optional, TextIO

from .._core import (build_type, compiler, gemm_kernel_name, gemm_kernels_compiled,
                     get_num_threads, has_openmp, openmp_libraries, openmp_version,
                     requested_num_threads, simd_clone_selected, simd_clones_compiled)
from .._version import __version__


class SerialBuildWarning(UserWarning):
    """This nncore was compiled without OpenMP: the core runs on one thread.

    Emitted once, when nncore is imported. Silence it before the import with
    ``warnings.filterwarnings("ignore", message="nncore was built without OpenMP")``.
    """


SERIAL_MESSAGE = (
    "nncore was built without OpenMP, so its C++ core runs on one thread "
    "(set_num_threads has no effect). Rebuild with an OpenMP-capable compiler "
    "(e.g. on macOS: brew install libomp) to use every core.")


def warn_if_serial(has_openmp: bool) -> bool:
    """Warn (SerialBuildWarning) when `has_openmp` is false; True if it warned."""
    if has_openmp:
        return False
    warnings.warn(SERIAL_MESSAGE, SerialBuildWarning, stacklevel=2)
    return True


def _thread_source() -> str:
    if not has_openmp:
        return "serial build"
    if requested_num_threads() > 0:
        return "set_num_threads"
    if os.environ.get("OMP_NUM_THREADS"):
        return f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}"
    return "default: all cores OpenMP sees"


def build_info() -> Dict[str, Any]:
    """The facts `show_config` prints, as a dict (stable keys, plain values)."""
    return {
        "version": __version__,
        "compiler": str(compiler),
        "build_type": str(build_type),
        "openmp": bool(has_openmp),
        "openmp_version": int(openmp_version),
        "openmp_libraries": str(openmp_libraries),
        "gemm_kernels_compiled": str(gemm_kernels_compiled),
        "gemm_kernel": gemm_kernel_name(),
        "simd_clones_compiled": str(simd_clones_compiled),
        "simd_clone": simd_clone_selected(),
        "threads": get_num_threads(),
        "threads_from": _thread_source(),
    }


def show_config(file: Optional[TextIO] = None) -> None:
    """Print the version, compiler, OpenMP runtime, SIMD paths and thread count.

    Parameters
    ----------
    file : text stream, optional
        Where to print (default: ``sys.stdout``).
    """
    i = build_info()
    omp = (f"{i['openmp_version']} ({i['openmp_libraries'] or 'runtime of the compiler'})"
           if i["openmp"] else "none: serial build (one thread)")
    clones = (f"{i['simd_clones_compiled']} (selected: {i['simd_clone']})"
              if i["simd_clones_compiled"] else "none: the build's baseline ISA")
    build = f" ({i['build_type']})" if i["build_type"] else ""
    lines = [
        f"nncore {i['version']}",
        f"  compiler:        {i['compiler']}{build}",
        f"  OpenMP:          {omp}",
        f"  GEMM kernels:    {i['gemm_kernels_compiled'] or 'generic'} "
        f"(selected: {i['gemm_kernel']})",
        f"  SIMD clones:     {clones}",
        f"  threads:         {i['threads']} ({i['threads_from']})",
        f"  Python:          {sys.version.split()[0]} ({sys.platform})",
    ]
    print("\n".join(lines), file=file if file is not None else sys.stdout)
