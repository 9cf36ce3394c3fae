"""Gradient check by central differences (lecture: ∂L/∂θ, computed numerically).

    errors = nc.check_gradients(model, X, y, loss="bce", l2=1e-3)
    # {"0.W": 3e-10, "0.b": 1e-10, ...}: relative error per parameter

Works for `nncore.Sequential` and `nncore.reference.Sequential`; a float32
model is checked through a float64 copy (differences need float64).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Protocol, Sequence, TypeVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .checks import FloatArray
from .layers import Layer


class GradModel(Protocol):
    """What check_gradients needs: nncore.Sequential and nncore.reference.Sequential
    (their ModelBase is a floor above)."""

    def __init__(self, *layers: Layer, dtype: DTypeLike = ..., seed: int = ...) -> None: ...
    @property
    def dtype(self) -> type[np.floating[Any]]: ...
    @property
    def layers(self) -> Sequence[Layer]: ...
    @property
    def seed(self) -> int: ...
    def state_dict(self) -> dict[str, FloatArray]: ...
    def load_state_dict(self, state_dict: Mapping[str, ArrayLike]) -> None: ...
    def named_parameters(self) -> dict[str, FloatArray]: ...
    def loss(self, X: ArrayLike, y: ArrayLike, loss: str = ..., l1: float = ...,
             l2: float = ..., sample_weight: Optional[ArrayLike] = ...,
             training: bool = ...) -> float: ...
    def loss_and_grad(self, X: ArrayLike, y: ArrayLike, loss: str = ..., l1: float = ...,
                      l2: float = ..., sample_weight: Optional[ArrayLike] = ...,
                      training: bool = ...) -> tuple[float, dict[str, FloatArray]]: ...


_M = TypeVar("_M", bound=GradModel)


def _float64_copy(model: _M) -> _M:
    if model.dtype == np.float64:
        return model
    twin = type(model)(*model.layers, dtype=np.float64, seed=model.seed)
    twin.load_state_dict(model.state_dict())
    return twin


def check_gradients(model: GradModel, X: ArrayLike, y: ArrayLike, loss: str = "mse",
                    l1: float = 0.0, l2: float = 0.0, eps: float = 1e-6,
                    max_entries: Optional[int] = None, seed: int = 0,
                    floor: float = 1e-12, training: bool = False) -> dict[str, float]:
    """Relative error max_i |g_i − ĝ_i| / max(max_i |g_i|, max_i |ĝ_i|, floor) per parameter.

    ĝ_i = (L(θ + ε e_i) − L(θ − ε e_i)) / 2ε. The error is relative to the
    largest gradient entry of the parameter, so entries that are nearly zero
    (where a difference quotient only measures rounding) do not dominate.
    With `max_entries`, a seeded
    random subset of at most that many entries per parameter is checked.
    The model's parameters are restored afterwards. training=True checks the
    gradient with Dropout on: every evaluation draws the same masks (those of the
    next training step of the model checked), so L is one smooth function of θ.
    """
    m = _float64_copy(model)
    _, grads = m.loss_and_grad(X, y, loss=loss, l1=l1, l2=l2, training=training)
    params = m.named_parameters()
    rng = np.random.default_rng(seed)
    errors: dict[str, float] = {}
    for name, p in params.items():
        flat = p.reshape(-1)
        g = grads[name].reshape(-1)
        idx = np.arange(flat.size)
        if max_entries is not None and flat.size > max_entries:
            idx = rng.choice(flat.size, size=max_entries, replace=False)
        num = np.empty(idx.size)
        for j, i in enumerate(idx):
            old = flat[i]
            flat[i] = old + eps
            up = m.loss(X, y, loss=loss, l1=l1, l2=l2, training=training)
            flat[i] = old - eps
            down = m.loss(X, y, loss=loss, l1=l1, l2=l2, training=training)
            flat[i] = old
            num[j] = (up - down) / (2 * eps)
        ana = g[idx]
        scale = max(np.abs(ana).max(), np.abs(num).max(), floor)
        errors[name] = float(np.abs(num - ana).max() / scale)
    return errors
