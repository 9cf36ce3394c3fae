"""The playground's 2-D data sets: seeded NumPy draws, nothing downloaded.

    (X, y), (X_test, y_test) = make_split("moons", noise=0.1, seed=3)

"moons" is the lecture's half-circles (`nncore.lecture.data.make_moons`); the
others follow the pictures of TensorFlow Playground, scaled to about [-1, 1]²:
"xor" (quadrants), "circles" (a disc inside a ring), "spirals" (two arms) and
"blobs" (two Gaussian clouds). Labels are 0.0/1.0. Training and test points
are independent draws (seeds `seed` and `seed + TEST_SEED_OFFSET`).
"""
from __future__ import annotations

from typing import Callable, Dict, Tuple

import numpy as np

from ..lecture.data import make_moons

N_TRAIN = 100
N_TEST = 1000
TEST_SEED_OFFSET = 1000   # the lecture's moons: train seed 3, test seed 1003

Array = np.ndarray
Pair = Tuple[Array, Array]


def _shuffled(X: Array, y: Array, rng: np.random.Generator) -> Pair:
    order = rng.permutation(X.shape[0])
    return X[order], y[order]


def make_xor(n: int, noise: float, seed: int) -> Pair:
    """Points uniform in the four quadrants (kept 0.1 away from the axes); class 1 where
    x₁·x₂ > 0 (same sign), class 0 elsewhere; plus N(0, noise²) on both coordinates."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, 2))
    X += np.where(X >= 0, 0.1, -0.1)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.float64)
    return X + rng.normal(0.0, noise, X.shape), y


def make_circles(n: int, noise: float, seed: int) -> Pair:
    """Class 1 in the disc r < 0.5, class 0 in the ring 0.7 < r < 1."""
    rng = np.random.default_rng(seed)
    n1 = n // 2
    r = np.concatenate([rng.uniform(0.0, 0.5, n1), rng.uniform(0.7, 1.0, n - n1)])
    t = rng.uniform(0.0, 2 * np.pi, n)
    X = np.c_[r * np.cos(t), r * np.sin(t)]
    y = np.concatenate([np.ones(n1), np.zeros(n - n1)])
    X = X + rng.normal(0.0, noise, X.shape)
    return _shuffled(X, y, rng)


def make_spirals(n: int, noise: float, seed: int) -> Pair:
    """Two interleaved arms r = s, angle 1.75·2π·s (s uniform in [0, 1]), the second
    turned by π; class 0 and class 1."""
    rng = np.random.default_rng(seed)
    n0 = n // 2
    s = rng.uniform(0.05, 1.0, n)
    t = 1.75 * 2 * np.pi * s + np.where(np.arange(n) < n0, 0.0, np.pi)
    X = np.c_[s * np.sin(t), s * np.cos(t)]
    y = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    X = X + rng.normal(0.0, noise, X.shape)
    return _shuffled(X, y, rng)


def make_blobs(n: int, noise: float, seed: int) -> Pair:
    """Two Gaussian clouds around (−0.5, −0.5) (class 0) and (0.5, 0.5) (class 1) with
    standard deviation 0.2 + noise."""
    rng = np.random.default_rng(seed)
    n0 = n // 2
    centers = np.where((np.arange(n) < n0)[:, None], -0.5, 0.5)
    X = centers + rng.normal(0.0, 0.2 + noise, (n, 2))
    y = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    return _shuffled(X, y, rng)


def _moons(n: int, noise: float, seed: int) -> Pair:
    X, y = make_moons(n, noise, seed)
    return np.asarray(X), np.asarray(y)


DATASETS: Dict[str, Callable[[int, float, int], Pair]] = {
    "moons": _moons, "xor": make_xor, "circles": make_circles,
    "spirals": make_spirals, "blobs": make_blobs,
}
DEFAULT_NOISE = {"moons": 0.1, "xor": 0.0, "circles": 0.0, "spirals": 0.0, "blobs": 0.0}


def make_split(name: str, noise: float, seed: int) -> Tuple[Pair, Pair]:
    """((X_train, y_train), (X_test, y_test)): N_TRAIN and N_TEST points of data set `name`."""
    if name not in DATASETS:
        raise ValueError(f"playground: data set must be one of {sorted(DATASETS)}, got {name!r}")
    make = DATASETS[name]
    return make(N_TRAIN, noise, seed), make(N_TEST, noise, seed + TEST_SEED_OFFSET)


def view_box(*arrays: Array, pad: float = 0.1) -> Tuple[float, float, float, float]:
    """A square (x_min, x_max, y_min, y_max) around every point, `pad` of its size added."""
    pts = np.concatenate(arrays)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    center = (lo + hi) / 2
    half = float((hi - lo).max()) / 2 * (1 + pad)
    return (float(center[0] - half), float(center[0] + half),
            float(center[1] - half), float(center[1] + half))
