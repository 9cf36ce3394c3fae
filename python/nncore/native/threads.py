"""Thread count of the core's OpenMP pool.

`set_num_threads(n)` applies to every Python thread (OpenMP's own setting is
per calling thread) and also sets OpenMP's, which threadpoolctl reads; the
core uses the smaller of the two, so `threadpoolctl.threadpool_limits(1)`
still limits it. `set_num_threads(None)` forgets the request again.
"""
from .._core import get_num_threads as core_get_num_threads
from .._core import requested_num_threads as core_requested_num_threads
from .._core import set_num_threads as core_set_num_threads


def set_num_threads(n):
    """Use n threads in the C++ core; None goes back to OMP_NUM_THREADS / all cores."""
    if n is None:
        core_set_num_threads(0)
        return
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive integer or None, got {n!r}")
    core_set_num_threads(n)


def get_num_threads():
    """Threads the core will use for large enough work from this Python thread."""
    return core_get_num_threads()


def requested_num_threads():
    """The count set by set_num_threads (None if none is set)."""
    n = core_requested_num_threads()
    return n if n > 0 else None
