"""Thread count of the core's OpenMP pool."""
from . import _core


def set_num_threads(n):
    """Use n threads in the C++ core (default: OMP_NUM_THREADS or all cores)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive integer, got {n!r}")
    _core.set_num_threads(n)


def get_num_threads():
    return _core.get_num_threads()
