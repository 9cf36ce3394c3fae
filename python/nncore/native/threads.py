"""Thread count of the core's OpenMP pool.

`set_num_threads(n)` applies to every Python thread (OpenMP's own setting is
per calling thread) and also sets OpenMP's, which threadpoolctl reads; the
core uses the smaller of the two, so `threadpoolctl.threadpool_limits(1)`
still limits it. `set_num_threads(None)` forgets the request again.

`MAX_THREADS` (1024) is the most threads the core ever starts: larger
requests made through OMP_NUM_THREADS or threadpoolctl are capped to it (a
libgomp team of 10^6 threads overflows the launching thread's stack), and
`set_num_threads` refuses them with a ValueError.
"""
from __future__ import annotations

import os

from .._core import get_num_threads as core_get_num_threads
from .._core import max_threads_limit
from .._core import requested_num_threads as core_requested_num_threads
from .._core import set_num_threads as core_set_num_threads
from ..checks import positive_int

MAX_THREADS: int = int(max_threads_limit)


def set_num_threads(n: int | None) -> None:
    """Use n threads in the C++ core (1 ≤ n ≤ MAX_THREADS); None goes back to
    OMP_NUM_THREADS / all cores."""
    if n is None:
        core_set_num_threads(1 if _forked_child else 0)
        return
    n = positive_int(n, "set_num_threads", "n", maximum=MAX_THREADS)
    core_set_num_threads(1 if _forked_child else n)  # see "fork safety" below


def get_num_threads() -> int:
    """Threads the core will use for large enough work from this Python thread."""
    return int(core_get_num_threads())


def requested_num_threads() -> int | None:
    """The count set by set_num_threads (None if none is set)."""
    n = int(core_requested_num_threads())
    return n if n > 0 else None


# -- fork safety -------------------------------------------------------------------
# libgomp's thread pool does not survive fork(): a child whose parent had used the
# pool hangs in its first parallel region. So a forked child (multiprocessing's
# "fork" start method) runs the core serially; set_num_threads cannot raise that
# again there. Children made with "spawn" or "forkserver" start clean and use
# threads as usual.
_forked_child = False


def _serial_after_fork() -> None:
    global _forked_child
    _forked_child = True
    core_set_num_threads(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_serial_after_fork)
