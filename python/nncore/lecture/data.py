"""Seeded data for the walkthrough, generated with NumPy (nothing is downloaded).

    X, y = make_moons(100, noise=0.1, seed=3)      # two interleaved half-circles
    X, y = xor_data()                              # the lecture's four XOR points
    (Xtr, ytr), (Xte, yte) = load_digits_split()   # scikit-learn's bundled 8×8 digits
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

# The 2-D classification example (section 3): 100 training points, 1000 held-out
# test points, Gaussian noise 0.1 around the half-circles. With this noise the two
# classes do not overlap much, so 100 % on the training set and > 98 % on the test
# set are attainable and honest (see lecture.classification for the check).
MOONS_NOISE = 0.1
MOONS_TRAIN_SEED = 3
MOONS_TEST_SEED = 1003
MOONS_N_TRAIN = 100
MOONS_N_TEST = 1000

Float64Array = NDArray[np.float64]          # arrays the lecture makes itself
FloatingArray = NDArray[np.floating[Any]]   # float32 or float64: what a model hands back
LabelArray = NDArray[np.int64]
XY = tuple[Float64Array, Float64Array]      # (X (n, features), y (n,))
MoonsSplit = tuple[XY, XY]                  # ((X_train, y_train), (X_test, y_test))
DigitsXY = tuple[Float64Array, LabelArray]  # (X (n, 64) in [0, 1], y (n,) int labels)


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> XY:
    """Two interleaved half-circles (as scikit-learn's make_moons), labels 0/1.

    Class 0: (cos t, sin t); class 1: (1 − cos t, 0.5 − sin t), t ~ U(0, π),
    plus N(0, noise²) on both coordinates; rows shuffled. Returns X (n, 2)
    float64 and y (n,) float64.
    """
    if n < 2:
        raise ValueError(f"make_moons: n must be >= 2, got {n}")
    rng = np.random.default_rng(seed)
    n0 = n // 2
    n1 = n - n0
    t0 = rng.uniform(0, np.pi, n0)
    t1 = rng.uniform(0, np.pi, n1)
    X = np.concatenate([np.c_[np.cos(t0), np.sin(t0)],
                        np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    X = X + rng.normal(0.0, noise, X.shape)
    order = rng.permutation(n)
    return X[order], y[order]


def moons_split(n_train: int = MOONS_N_TRAIN, n_test: int = MOONS_N_TEST,
                noise: float = MOONS_NOISE, seed: int = MOONS_TRAIN_SEED,
                test_seed: int = MOONS_TEST_SEED) -> MoonsSplit:
    """The section-3 data: ((X_train, y_train), (X_test, y_test)), independent draws."""
    return make_moons(n_train, noise, seed), make_moons(n_test, noise, test_seed)


def xor_data() -> XY:
    """The lecture's XOR table: X = [[0,0],[0,1],[1,0],[1,1]], y = [0,1,1,0]."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0], dtype=np.float64)
    return X, y


def have_sklearn() -> bool:
    """Whether scikit-learn is installed (found, not imported: importing it costs ~1.5 s
    of CPU, more than the quick walkthrough's whole digits section)."""
    import importlib.util
    return importlib.util.find_spec("sklearn") is not None


def _digits_arrays() -> tuple[Float64Array, NDArray[np.int64]]:
    """The 1797 digits as (pixels 0..16, labels): read straight from the file scikit-learn
    ships (sklearn/datasets/data/digits.csv.gz, what load_digits reads) without importing
    scikit-learn; through load_digits where that file is not at that place."""
    import importlib.util
    import os
    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        raise ImportError("the digits data set comes with scikit-learn: "
                          "pip install 'nncore[demo]' (or pip install scikit-learn)")
    for folder in spec.submodule_search_locations or ():
        path = os.path.join(folder, "datasets", "data", "digits.csv.gz")
        if os.path.isfile(path):
            raw = np.loadtxt(path, delimiter=",", dtype=np.float64)
            if raw.shape == (1797, 65):
                return raw[:, :-1], raw[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits
    d = load_digits()
    return np.asarray(d.data, dtype=np.float64), np.asarray(d.target, dtype=np.int64)


def load_digits_split(test_fraction: float = 0.25,
                      seed: int = 0) -> tuple[DigitsXY, DigitsXY]:
    """scikit-learn's bundled digits (1797 8×8 images, shipped with scikit-learn,
    no download), scaled to [0, 1], split per class (stratified) with a seeded
    permutation. Returns ((X_train, y_train), (X_test, y_test)); y are int labels.
    Raises ImportError with instructions without scikit-learn."""
    pixels, y = _digits_arrays()
    X = pixels / 16.0
    rng = np.random.default_rng(seed)
    train: list[np.intp] = []
    test: list[np.intp] = []
    for k in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == k))
        n_test = int(round(test_fraction * idx.size))
        test.extend(idx[:n_test])
        train.extend(idx[n_test:])
    train_rows = rng.permutation(np.array(train))
    test_rows = rng.permutation(np.array(test))
    return (X[train_rows], y[train_rows]), (X[test_rows], y[test_rows])
