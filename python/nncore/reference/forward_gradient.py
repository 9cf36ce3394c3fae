"""Gradients without a backward pass, in NumPy (the twin of cpp/src/train/forward_gradient.cpp).

Lecture, "Sollten wir immer Backpropagation nutzen?": backpropagation is not the
only way to a descent direction. Both estimates here draw k tangents
v ~ N(0, I) over the parameter arena (`nncore.tangents`, shared with the core)
and use g = (1/k) Σⱼ dⱼ·vⱼ, where dⱼ is the slope of L along vⱼ:

forward gradient (Baydin et al. 2022, "Gradients without Backpropagation")
    dⱼ = ∇L·vⱼ exactly, from ONE forward pass that carries next to every value a
    its tangent ȧ = (∂a/∂θ)·v (forward-mode differentiation, dual numbers):
        Dense   ȧ = ẋ·θ + x·θ̇ + ḃ            Maxout  ḣ = ẋ·θ_{j*} + x·θ̇_{j*} + ḃ_{j*}
        σ       ḣ = σ′(a)·ȧ                  PReLU   ḣ = ȧ if a > 0 else α·ȧ + α̇·a
        Softmax ḣ = h ⊙ (ȧ − ⟨ȧ, h⟩)          loss    d = Σ δ ⊙ ż  (δ = ∂L/∂z, z its input)
    (θ̇, ḃ, α̇: v's views of the layer's parameters; ẋ = 0 for the data.) For the
    element-wise activations and the softmax the Jacobian is symmetric, so ḣ is
    what their backward computes from ȧ. E[v·vᵀ] = I gives E[g] = ∇L: unbiased,
    but each component of g has variance ‖∇L‖² + (∇L)ᵢ² (k = 1), which grows with
    the number of parameters P — the price of never going backwards.

weight perturbation (SPSA, finite differences along random directions)
    dⱼ = (L(θ + ε·vⱼ) − L(θ − ε·vⱼ)) / (2ε): two plain forward passes, no
    derivative of any layer (Step trains too); biased by O(ε²).

The penalty's slope along v is added to d (the forward gradient) or is inside L
(perturbation). In the core the same sums run in the same order, so core and
reference agree to rounding (float64: ~1e-14).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from ..checks import FloatArray, LabelArray
from ..fit_args import GradientSpec
from ..tangents import tangent
from .layers import Dense, Maxout, PReLU, ReferenceLayer
from .losses import LOSSES, one_hot, penalty, weighted

if TYPE_CHECKING:
    from .model import Sequential


def _ordered_sum(x: FloatArray) -> float:
    """x summed left to right in float64, as the core's loop does."""
    return float(np.cumsum(x.astype(np.float64))[-1]) if x.size else 0.0


def _views(model: Sequential, i: int, v: FloatArray) -> dict[str, FloatArray]:
    """Layer i's parameters' parts of the arena-shaped vector v (θ̇, ḃ, α̇)."""
    out = {}
    for pname, _, _ in model.layers[i].param_specs():
        s = model._slots[f"{i}.{pname}"]
        out[pname] = v[s.offset:s.offset + s.size].reshape(s.shape)
    return out


def layer_tangent(layer: ReferenceLayer, x: FloatArray, xdot: Optional[FloatArray],
                  pdot: dict[str, FloatArray]) -> FloatArray:
    """The tangent of the layer's output from its input x (tangent xdot, None for the
    data) and its parameters' tangents, after its forward(x) ran."""
    if isinstance(layer, Dense):
        a = x @ pdot["W"] if xdot is None else xdot @ layer.W + x @ pdot["W"]
        return a + pdot["b"] if "b" in pdot else a   # Dense(bias=False): no ḃ
    if isinstance(layer, Maxout):
        pieces = [(x @ pdot["W"][j] if xdot is None else xdot @ layer.W[j] + x @ pdot["W"][j])
                  + pdot["b"][j] for j in range(layer.k)]
        z = np.stack(pieces)                                       # (k, m, out)
        out: FloatArray = np.take_along_axis(z, layer.winner[None], axis=0)[0]
        return out
    assert xdot is not None  # only Dense and Maxout may come first
    if isinstance(layer, PReLU):
        return np.where(x > 0, xdot, layer.alpha * xdot + pdot["alpha"] * x)
    # element-wise activations and softmax: symmetric Jacobian, ḣ = J·ȧ = Jᵀ·ȧ
    return layer.backward(xdot)


def _primal(model: Sequential, X: FloatArray, Y: Optional[FloatArray],
            labels: Optional[LabelArray], loss: str, w: Optional[FloatArray]
            ) -> tuple[float, FloatArray, list[FloatArray], list[ReferenceLayer]]:
    """Forward pass (layers keep their state) and the loss: (value, δ, inputs, body)."""
    model._bind()
    loss_fn, from_logits = LOSSES[loss]
    body = model.layers[:-1] if from_logits else model.layers
    inputs, out = [], X
    for layer in body:
        inputs.append(out)
        out = layer.forward(out)
    if labels is not None:
        Y = one_hot(labels, model.n_outputs, model.dtype)
    assert Y is not None
    value, delta = loss_fn(out, Y) if w is None else weighted(loss_fn, out, Y, w)
    return value, delta, inputs, list(body)


def directional_derivative(model: Sequential, X: FloatArray, Y: Optional[FloatArray],
                           labels: Optional[LabelArray], loss: str, l1: float, l2: float,
                           v: FloatArray, w: Optional[FloatArray] = None) -> tuple[float, float]:
    """(L(θ), ∇L·v) from one forward pass carrying tangents (v in arena order)."""
    value, delta, inputs, body = _primal(model, X, Y, labels, loss, w)
    value += penalty(model._arena, model._weight_mask, l1, l2)[0] if (l1 or l2) else 0.0
    return value, _slope(model, delta, inputs, body, l1, l2, v)


def _slope(model: Sequential, delta: FloatArray, inputs: list[FloatArray],
           body: list[ReferenceLayer], l1: float, l2: float, v: FloatArray) -> float:
    zdot: Optional[FloatArray] = None
    for i, layer in enumerate(body):
        zdot = layer_tangent(layer, inputs[i], zdot, _views(model, i, v))
    assert zdot is not None
    rows = delta[:, 0].astype(np.float64) * zdot[:, 0]      # Σ over outputs, in order
    for o in range(1, delta.shape[1]):
        rows = rows + delta[:, o].astype(np.float64) * zdot[:, o]
    d = _ordered_sum(rows)
    if l1 or l2:
        d += _ordered_sum(penalty(model._arena, model._weight_mask, l1, l2)[1] * v)
    return d


def estimate(model: Sequential, X: FloatArray, Y: Optional[FloatArray],
             labels: Optional[LabelArray], loss: str, l1: float, l2: float,
             spec: GradientSpec, seed: int, step: int,
             w: Optional[FloatArray] = None) -> tuple[float, FloatArray]:
    """(L(θ), g): g = (1/k) Σⱼ dⱼ·vⱼ with vⱼ = tangent(seed, step, j) (module docstring)."""
    n, dtype = model.num_parameters, model.dtype
    g = np.zeros(n, dtype=dtype)
    if spec.kind == "forward":
        value, delta, inputs, body = _primal(model, X, Y, labels, loss, w)
        if l1 or l2:
            value += penalty(model._arena, model._weight_mask, l1, l2)[0]
        if not np.isfinite(value):
            return value, g
        for j in range(spec.tangents):
            v = tangent(seed, step, j, n).astype(dtype)
            g += dtype(_slope(model, delta, inputs, body, l1, l2, v)) * v
    else:
        theta, eps = model._arena.copy(), dtype(spec.epsilon)
        for j in range(spec.tangents):
            v = tangent(seed, step, j, n).astype(dtype)
            model._arena[:] = theta + eps * v
            plus = model._loss_and_grad(X, Y, labels, loss, l1, l2, want_grad=False, w=w)[0]
            model._arena[:] = theta - eps * v
            minus = model._loss_and_grad(X, Y, labels, loss, l1, l2, want_grad=False, w=w)[0]
            g += dtype((plus - minus) / (2 * spec.epsilon)) * v
        model._arena[:] = theta
        value = model._loss_and_grad(X, Y, labels, loss, l1, l2, want_grad=False, w=w)[0]
    if spec.tangents > 1:
        g /= dtype(spec.tangents)
    return float(value), g
