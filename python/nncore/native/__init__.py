"""The native model: `Sequential` whose numbers live in the C++ core (`nncore._core`).

    model.py     Sequential: the arena is the core's buffer; predict, loss_and_grad
    training.py  fit / train_step / evaluate: validate, then one native call
    threads.py   the core's OpenMP thread count

The only floor that imports the compiled core.
"""
from __future__ import annotations

from .model import Sequential, load
from .threads import get_num_threads, requested_num_threads, set_num_threads

__all__ = ["Sequential", "load", "get_num_threads", "requested_num_threads", "set_num_threads"]
