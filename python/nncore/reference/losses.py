"""Losses: value J (a mean over the m samples) and δ = ∂J/∂(loss input).

Each function takes the network output `out` (m, n_outputs) and targets `c`
of the same shape and returns (J as a Python float, δ as an array like out).
The sums for J are taken in float64; δ keeps the model's dtype.

"bce" and "ce" take the LOGITS z, the input of the final Sigmoid/Softmax,
not its output h (docs/design.md, "the logits path"): computed from z they stay
finite for saturated outputs, and the chain through σ' or the softmax Jacobian
collapses to δ_z = (h − c)/m.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ..checks import FloatArray, LabelArray
from .layers import sigmoid, softmax


def _f64_sum(x: ArrayLike) -> float:
    return float(np.sum(x, dtype=np.float64))


LossFn = Callable[[FloatArray, FloatArray], "tuple[float, FloatArray]"]


def weighted(loss: LossFn, out: FloatArray, c: FloatArray, w: FloatArray) -> tuple[float, FloatArray]:
    """`loss` with sample weights w (m,): the mean over rows becomes Σᵢ wᵢ·Jᵢ / Σw.

    Jᵢ is row i's loss as the unweighted formula computes it for a batch of that one row,
    so J = Σᵢ wᵢ·Jᵢ / Σw and δᵢ = wᵢ·δ(row i alone) / Σw; weights summing to 0 give
    J = 0 and δ = 0. All weights 1 give the unweighted J and δ.
    """
    w64 = np.asarray(w, dtype=np.float64)
    total = float(np.sum(w64))
    delta = np.zeros_like(out)
    if not total > 0:
        return 0.0, delta
    value = 0.0
    for i in range(out.shape[0]):
        j_i, d_i = loss(out[i:i + 1], c[i:i + 1])
        value += float(w64[i]) * j_i
        delta[i] = (w64[i] / total) * d_i[0]
    return value / total, delta


def mse(h: FloatArray, c: FloatArray) -> tuple[float, FloatArray]:
    """Lecture "Regression": J = 1/(2m) Σᵢ Σⱼ (hᵢⱼ − cᵢⱼ)²,  δ = (h − c)/m."""
    m = h.shape[0]
    diff = h - c
    return _f64_sum(np.square(diff, dtype=np.float64)) / (2 * m), diff / m


def mse_mean(h: FloatArray, c: FloatArray) -> tuple[float, FloatArray]:
    """PyTorch MSELoss / Keras mse: J = Σ (h − c)² / (m·out),  δ = 2(h − c)/(m·out)."""
    size = h.size
    diff = h - c
    return _f64_sum(np.square(diff, dtype=np.float64)) / size, 2 * diff / size


def bce_from_logits(z: FloatArray, c: FloatArray) -> tuple[float, FloatArray]:
    """Binary cross-entropy (lecture "Classification", as a mean over all m·out elements).

    With h = σ(z): −[c log h + (1 − c) log(1 − h)] = max(z, 0) − c·z + log(1 + e^{−|z|}),
    which never evaluates log(0) or e^{large}. Gradient w.r.t. z (σ' = h(1 − h)
    cancels the 1/(h(1 − h)) of the log terms):
        J = mean(max(z, 0) − c·z + log1p(e^{−|z|})),   δ_z = (σ(z) − c)/(m·out)
    """
    size = z.size
    z64, c64 = z.astype(np.float64), c.astype(np.float64)
    value = _f64_sum(np.maximum(z64, 0) - c64 * z64 + np.log1p(np.exp(-np.abs(z64)))) / size
    return value, (sigmoid(z) - c) / size


def ce_from_logits(z: FloatArray, c: FloatArray) -> tuple[float, FloatArray]:
    """Softmax cross-entropy: J = −1/m Σᵢ Σⱼ cᵢⱼ log hᵢⱼ with h = softmax(z).

    log hᵢⱼ = zᵢⱼ − logsumexp(zᵢ), so per row Σⱼ cᵢⱼ (logsumexp(zᵢ) − zᵢⱼ); for
    one-hot or probability targets (Σⱼ cᵢⱼ = 1) this is logsumexp(zᵢ) − Σⱼ cᵢⱼ zᵢⱼ.
        δ_z = (h·Σⱼ cⱼ − c)/m     (= (h − c)/m when Σⱼ cⱼ = 1)
    """
    m = z.shape[0]
    z64, c64 = z.astype(np.float64), c.astype(np.float64)
    zmax = z64.max(axis=1, keepdims=True)
    logsumexp = zmax + np.log(np.exp(z64 - zmax).sum(axis=1, keepdims=True))  # (m, 1)
    value = _f64_sum(c64 * (logsumexp - z64)) / m
    return value, (softmax(z) * c.sum(axis=1, keepdims=True) - c) / m


def poisson_from_log(z: FloatArray, c: FloatArray) -> tuple[float, FloatArray]:
    """Half the Poisson deviance with the log link h = e^z (scikit-learn's MLPRegressor
    loss="poisson"): summed over the outputs, a mean over the m rows,
        J = 1/m Σᵢ Σⱼ (c log(c/h) − c + h) = 1/m ΣΣ (c log c − c·z − c + e^z),
        δ_z = (e^z − c)/m      (c log c = 0 at c = 0; targets c ≥ 0)
    """
    m = z.shape[0]
    z64, c64 = z.astype(np.float64), c.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        clogc = np.where(c64 > 0, c64 * np.log(np.where(c64 > 0, c64, 1.0)), 0.0)
    value = _f64_sum(clogc - c64 * z64 - c64 + np.exp(z64)) / m
    return value, (np.exp(z) - c) / m


# name -> (function, takes the logits of the last layer?)
LOSSES = {
    "mse": (mse, False),
    "mse_mean": (mse_mean, False),
    "bce": (bce_from_logits, True),
    "ce": (ce_from_logits, True),
    "poisson": (poisson_from_log, True),
}


def one_hot(labels: LabelArray, n_classes: int, dtype: DTypeLike) -> FloatArray:
    """Integer labels (m,) -> targets c (m, n_classes) with cᵢ,labelᵢ = 1."""
    c = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    c[np.arange(labels.shape[0]), labels] = 1
    return c


def penalty(params: FloatArray, mask: NDArray[np.bool_], l1: float,
            l2: float) -> tuple[float, FloatArray]:
    """λ·penalty(θ) of the lecture's L = Σ l + λ·penalty(θ), on weights only (mask).

    value = l2·Σ W² + l1·Σ |W|,   gradient = 2·l2·W + l1·sign(W)   (sign(0) = 0)
    Returns (value, gradient over the whole arena; zero outside the mask).
    """
    w = np.where(mask, params, 0)
    value = l2 * _f64_sum(np.square(w, dtype=np.float64)) + l1 * _f64_sum(np.abs(w, dtype=np.float64))
    return value, 2 * l2 * w + l1 * np.sign(w)
