"""The optimizer steps in NumPy, one function per rule of `nncore.optim`.

    state = nncore.optim.new_state(opt, n, dtype)        # t = 0, zero buffers
    update(opt, params, grads, state, lr, weight_mask)   # one step, in place

`params` and `grads` are the flat arenas (1-D, same layout), `lr` is this
epoch's learning rate (from the schedule), `weight_mask` marks the 'weight'
parameters (used by Adam's decoupled weight decay). Every step first
increments t, then updates, elementwise and in the order the spec's docstring
writes it.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from numpy.typing import NDArray

from ..checks import FloatArray
from ..optim import Optimizer, OptimizerState


def _sgd(opt: Optimizer, params: FloatArray, g: FloatArray, state: OptimizerState,
         lr: float, weight_mask: Optional[NDArray[np.bool_]]) -> None:
    params -= lr * g


def _momentum(opt: Optimizer, params: FloatArray, g: FloatArray, state: OptimizerState,
              lr: float, weight_mask: Optional[NDArray[np.bool_]]) -> None:
    gamma, m = opt.gamma, state["m"]  # m (ema) or the velocity v (classic, nesterov)
    assert m is not None  # new_state gives Momentum its buffer
    if opt.form == "ema":
        m[:] = gamma * m + (1 - gamma) * g
        params -= lr * m
    elif opt.form == "classic":
        m[:] = gamma * m + g
        params -= lr * m
    else:  # nesterov
        m[:] = gamma * m + g
        params -= lr * (g + gamma * m)


def _rmsprop(opt: Optimizer, params: FloatArray, g: FloatArray, state: OptimizerState,
             lr: float, weight_mask: Optional[NDArray[np.bool_]]) -> None:
    gamma, eps, v = opt.gamma, opt.eps, state["v"]  # v: running average of g²
    assert v is not None  # new_state gives RMSprop its buffer
    v[:] = gamma * v + (1 - gamma) * g * g
    if opt.eps_inside:
        params -= lr * g / np.sqrt(v + eps)
    else:
        params -= lr * g / (np.sqrt(v) + eps)


def _adam(opt: Optimizer, params: FloatArray, g: FloatArray, state: OptimizerState,
          lr: float, weight_mask: Optional[NDArray[np.bool_]]) -> None:
    b1, b2, t = opt.beta1, opt.beta2, state["t"]
    if opt.weight_decay:
        w = slice(None) if weight_mask is None else weight_mask
        params[w] -= lr * opt.weight_decay * params[w]
    m, v = state["m"], state["v"]  # first moment (mean of g), second (mean of g²)
    assert m is not None and v is not None  # new_state gives Adam both buffers
    m[:] = b1 * m + (1 - b1) * g
    v[:] = b2 * v + (1 - b2) * g * g
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    # eps_inside (scikit-learn's form √(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε)) is ε/√(1−β₂ᵗ) here
    eps = opt.eps / np.sqrt(1 - b2 ** t) if opt.eps_inside else opt.eps
    params -= lr * m_hat / (np.sqrt(v_hat) + eps)


_RULES = {"sgd": _sgd, "momentum": _momentum, "rmsprop": _rmsprop, "adam": _adam}


def update(optimizer: Optimizer, params: FloatArray, grads: FloatArray, state: OptimizerState,
           lr: Optional[float] = None, weight_mask: Optional[NDArray[np.bool_]] = None) -> None:
    """One step θ ← θ − … of `optimizer`'s rule on the flat arrays, in place; t ← t + 1 first.

    lr defaults to optimizer.lr; weight_mask (bool, like params) marks weights.
    """
    lr = optimizer.lr if lr is None else lr
    state["t"] += 1  # step counter, incremented before the update
    _RULES[optimizer.kind](optimizer, params, grads, state, lr, weight_mask)
