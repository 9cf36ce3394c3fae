"""The shared tangent generator: random directions v ~ N(0, I) over the parameter arena.

Forward-gradient and weight-perturbation training (``fit(gradient="forward" |
"perturbation")``) draw, per optimizer step, k tangents over all parameters in
arena order. `nncore` (C++, ``cpp/include/nncore/tangent.hpp``) and
`nncore.reference` (NumPy) draw the same numbers, so their trajectories agree.
The generator is counter-based: element i depends only on (seed, step, j, i),
never on which thread draws it or what was drawn before, so the result is the
same for any thread count. All integer arithmetic mod 2⁶⁴::

    mix(z) = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27;
             z *= 0x94D049BB133111EB; z ^ (z >> 31)          (SplitMix64's finaliser)
    key    = mix(mix(seed · 0xD1B54A32D192ED03 + step) + j)
    r_c    = mix(key + c · 0x9E3779B97F4A7C15)   for c = 1, 2, ...
    pair p (elements 2p and 2p+1), Box–Muller in float64:
        u₁ = ((r_{2p+1} >> 11) + 1) · 2⁻⁵³ ∈ (0, 1],  u₂ = (r_{2p+2} >> 11) · 2⁻⁵³ ∈ [0, 1)
        ρ = √(−2 ln u₁),  v_{2p} = ρ·cos(2π u₂),  v_{2p+1} = ρ·sin(2π u₂)

`seed` is fit's seed (the model's seed by default), `step` the optimizer's step
count before the step (so a continued fit draws fresh tangents), j = 0..k−1.
The core rounds v to the model's dtype. It evaluates log/cos/sin with its own
vectorised polynomials (fdlibm's, < 1 ulp) and NumPy with its own, which may differ
in the last bit, so the two agree to ~1e-16, not bitwise.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .shuffle import GOLDEN_GAMMA, MASK64, MIX1, MIX2, SEED_MULT


def mix(z: int) -> int:
    """SplitMix64's finaliser on a Python int (mod 2⁶⁴)."""
    z &= MASK64
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return z ^ (z >> 31)


def tangent_key(seed: int, step: int, j: int) -> int:
    """The stream of tangent j of optimizer step `step` in a fit with `seed`."""
    return mix(mix(seed * SEED_MULT + step) + j)


def _mix_array(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    out: NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return out


def tangent(seed: int, step: int, j: int, n: int) -> NDArray[np.float64]:
    """Tangent j of step `step` for a fit with `seed`: n float64 values, ~ N(0, 1) each."""
    for value, what in ((seed, "seed"), (step, "step"), (j, "j"), (n, "n")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"tangent: {what} must be a non-negative integer, got {value!r}")
    key = np.uint64(tangent_key(int(seed), int(step), int(j)))
    pairs = (int(n) + 1) // 2
    c = np.arange(1, 2 * pairs + 1, dtype=np.uint64)      # counters 1 .. 2·pairs
    r = _mix_array(key + c * np.uint64(GOLDEN_GAMMA))      # uint64 arrays wrap mod 2⁶⁴
    u1 = ((r[0::2] >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0 ** -53
    u2 = (r[1::2] >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    rho = np.sqrt(-2.0 * np.log(u1))
    angle = 2 * np.pi * u2
    v = np.empty(2 * pairs, dtype=np.float64)
    v[0::2] = rho * np.cos(angle)
    v[1::2] = rho * np.sin(angle)
    return v[:n]
