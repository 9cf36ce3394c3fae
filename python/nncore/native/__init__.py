"""The native model: `Sequential` whose numbers live in the C++ core (`nncore._core`).

    model.py     Sequential: the arena is the core's buffer; predict, loss_and_grad
    training.py  fit / train_step / evaluate: validate, then one native call
    threads.py   the core's OpenMP thread count
    config.py    what the core was built with (show_config); warns if it is serial

The only floor that imports the compiled core.
"""
from __future__ import annotations

from .._core import has_openmp
from .config import SerialBuildWarning, show_config, warn_if_serial
from .model import Sequential, load
from .threads import get_num_threads, requested_num_threads, set_num_threads

warn_if_serial(has_openmp)

__all__ = ["Sequential", "load", "get_num_threads", "requested_num_threads", "set_num_threads",
           "show_config", "SerialBuildWarning"]
