"""The shared shuffle: one permutation per (seed, epoch), identical in C++ and Python.

`nncore` (C++) and `nncore.reference` (NumPy) must visit the training rows
in the same order, so neither uses its own RNG for shuffling. Both follow
docs/design.md, "The shared shuffle":

SplitMix64 (all arithmetic mod 2⁶⁴)::

    state += 0x9E3779B97F4A7C15
    z = state
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    return z ^ (z >> 31)

with initial state (seed · 0xD1B54A32D192ED03 + epoch) mod 2⁶⁴, and
Fisher–Yates::

    perm = [0, 1, ..., n−1]
    for i = n−1 down to 1:
        j = (next() · (i+1)) >> 64          # uniform in [0, i]
        swap perm[i], perm[j]

`permutation_spec` is that text in plain Python integers (the readable
specification); `permutation` computes the same numbers with NumPy uint64
arithmetic and is what the library uses.
"""
from __future__ import annotations

import numbers
from typing import SupportsInt

import numpy as np
from numpy.typing import NDArray

MASK64 = (1 << 64) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15   # SplitMix64 increment
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
SEED_MULT = 0xD1B54A32D192ED03      # spreads neighbouring seeds apart


def _check(seed: SupportsInt, epoch: SupportsInt, n: SupportsInt) -> tuple[int, int, int]:
    for value, what in ((seed, "seed"), (epoch, "epoch"), (n, "n")):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"permutation: {what} must be a non-negative integer, got {value!r}")
    return int(seed), int(epoch), int(n)


def initial_state(seed: int, epoch: int) -> int:
    """SplitMix64 start state (seed · 0xD1B54A32D192ED03 + epoch) mod 2⁶⁴."""
    return (seed * SEED_MULT + epoch) & MASK64


def splitmix64(state: int) -> tuple[int, int]:
    """One SplitMix64 step on Python ints: returns (new state, 64-bit output)."""
    state = (state + GOLDEN_GAMMA) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return state, z ^ (z >> 31)


def permutation_spec(seed: int, epoch: int, n: int) -> NDArray[np.int64]:
    """The specification, line by line in Python ints (slow: for tests and reading)."""
    seed, epoch, n = _check(seed, epoch, n)
    state = initial_state(seed, epoch)
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        state, r = splitmix64(state)
        j = (r * (i + 1)) >> 64
        perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, dtype=np.int64)


def _splitmix64_outputs(state0: int, count: int) -> NDArray[np.uint64]:
    """The first `count` SplitMix64 outputs from `state0`, vectorised.

    The k-th call (k = 1, 2, ...) sees state0 + k·GOLDEN_GAMMA; numpy uint64
    arrays wrap mod 2⁶⁴ on + and *, exactly like the C++ uint64_t.
    """
    k = np.arange(1, count + 1, dtype=np.uint64)
    z = np.uint64(state0) + k * np.uint64(GOLDEN_GAMMA)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    out: NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return out


def _mulhi64(r: NDArray[np.uint64], s: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """(r · s) >> 64 for uint64 r and s < 2³², via 32-bit halves.

    r = rh·2³² + rl, so r·s / 2⁶⁴ = (rh·s + rl·s / 2³²) / 2³² and
    floor of it = (rh·s + (rl·s >> 32)) >> 32. Neither product nor the sum
    overflows 64 bits: rh·s ≤ (2³²−1)² and (rl·s >> 32) < 2³².
    """
    low = np.uint64(0xFFFFFFFF)
    rh, rl = r >> np.uint64(32), r & low
    hi: NDArray[np.uint64] = (rh * s + ((rl * s) >> np.uint64(32))) >> np.uint64(32)
    return hi


def permutation(seed: int, epoch: int, n: int) -> NDArray[np.int64]:
    """Row order for `epoch` of a fit with `seed`: a permutation of 0..n−1 (int64).

    Same numbers as `permutation_spec` (and as the C++ core): the n−1 random
    draws and the indices j are computed with NumPy, the swaps in a Python loop.
    """
    seed, epoch, n = _check(seed, epoch, n)
    if n >= 1 << 32:  # the 32-bit split in _mulhi64 needs i+1 < 2³²
        return permutation_spec(seed, epoch, n)
    r = _splitmix64_outputs(initial_state(seed, epoch), max(n - 1, 0))
    ii = np.arange(n - 1, 0, -1, dtype=np.uint64)       # i = n−1 down to 1
    js = _mulhi64(r, ii + np.uint64(1)).tolist()          # j uniform in [0, i]
    perm = list(range(n))
    for i, j in zip(range(n - 1, 0, -1), js):
        perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, dtype=np.int64)
