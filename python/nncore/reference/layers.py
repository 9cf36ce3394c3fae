"""Layers with NumPy forward and backward passes, written from the lecture.

Each class is the layer spec of `nncore.layers` plus two methods:

    forward(x)      -> h        keeps what backward needs (x, a or h)
    backward(delta) -> delta_in  delta = ∂J/∂h for this layer's output
                                 delta_in = ∂J/∂x for its input; parameter
                                 gradients are ADDED to the model's gradient arena

Lecture (Vorlesung 5, "Neuronale Netze: Backpropagation"): backpropagation is
the chain rule ∂J/∂θ¹ = ∂J/∂h² · ∂h²/∂a² · ∂a²/∂h¹ · ∂h¹/∂a¹ · ∂a¹/∂θ¹,
evaluated from the output back to the input; each layer contributes one
factor. Rows of x are samples: a batch of m samples is an (m, width) array.
"""
from __future__ import annotations

from typing import Mapping, Optional, TypeVar, Union

import numpy as np
from numpy.typing import NDArray

from .. import layers as spec
from ..checks import FloatArray

_T = TypeVar("_T")


class ReferenceLayer(spec.Layer):
    """Mixin after the spec, as in Dense(spec.Dense, ReferenceLayer): parameter views and
    the forward/backward protocol. It derives from spec.Layer so that a reference layer
    is a Layer to the type checker as well; it overrides nothing of the spec.

    `bind` is called by the model before every pass: it hands the layer views
    into the model's parameter arena (`self.W`, `self.b`, `self.alpha`) and
    gradient arena (`self.dW`, `self.db`, `self.dalpha`).
    """

    def bind(self, params: Mapping[str, FloatArray], grads: Mapping[str, FloatArray]) -> None:
        for name in params:
            setattr(self, name, params[name])
            setattr(self, "d" + name, grads[name])

    def forward(self, x: FloatArray) -> FloatArray:
        raise NotImplementedError

    def backward(self, delta: FloatArray) -> FloatArray:
        raise NotImplementedError


# -- affine layers -------------------------------------------------------------

class Dense(spec.Dense, ReferenceLayer):
    """a = θᵀx + b (lecture "Neuronales Netz": a¹(x) = (θ¹)ᵀx), batched A = X·W + b.

    Backward (lecture "Computational cost": matrix product and outer product),
    with δ = ∂J/∂A of shape (m, out):
        ∂J/∂W = Xᵀδ      (sum of the outer products x⁽ⁱ⁾δ⁽ⁱ⁾ᵀ over the batch)
        ∂J/∂b = Σᵢ δ⁽ⁱ⁾   (bias=False: no b, a = XW exactly as on the slides)
        ∂J/∂X = δWᵀ
    """

    W: FloatArray       # views into the model's arenas (bind)
    b: FloatArray
    dW: FloatArray
    db: FloatArray
    x: FloatArray       # the input of the last forward

    def forward(self, x: FloatArray) -> FloatArray:
        self.x = x
        a: FloatArray = x @ self.W
        return a + self.b if self.bias else a

    def backward(self, delta: FloatArray) -> FloatArray:
        self.dW += self.x.T @ delta
        if self.bias:
            self.db += delta.sum(axis=0)
        delta_in: FloatArray = delta @ self.W.T
        return delta_in


class Maxout(spec.Maxout, ReferenceLayer):
    """h = max_j (xᵀW[j] + b[j]), j = 0..k−1 (lecture "Maxout": max(w₁ᵀx + b₁, w₂ᵀx + b₂)).

    Only the winning piece j* (the lowest j on ties) depends on its parameters
    near x, so with δ = ∂J/∂h and δⱼ = δ where j won, 0 elsewhere:
        ∂J/∂W[j] = Xᵀδⱼ,   ∂J/∂b[j] = Σᵢ δⱼ,   ∂J/∂X = Σⱼ δⱼ W[j]ᵀ
    """

    W: FloatArray       # views into the model's arenas (bind)
    b: FloatArray
    dW: FloatArray
    db: FloatArray
    x: FloatArray       # the input of the last forward
    winner: NDArray[np.intp]  # the winning piece j per output

    def forward(self, x: FloatArray) -> FloatArray:
        self.x = x
        pieces = np.stack([x @ self.W[j] + self.b[j] for j in range(self.k)])  # (k, m, out)
        self.winner = np.argmax(pieces, axis=0)  # argmax returns the first (lowest) j on ties
        h: FloatArray = np.take_along_axis(pieces, self.winner[None], axis=0)[0]
        return h

    def backward(self, delta: FloatArray) -> FloatArray:
        delta_in = np.zeros_like(self.x)
        for j in range(self.k):
            delta_j = np.where(self.winner == j, delta, 0)
            self.dW[j] += self.x.T @ delta_j
            self.db[j] += delta_j.sum(axis=0)
            delta_in += delta_j @ self.W[j].T
        return delta_in


# -- element-wise activations: delta_in = delta · h'(a) ---------------------------

class Identity(spec.Identity, ReferenceLayer):
    """h = a, h'(a) = 1."""

    def forward(self, x: FloatArray) -> FloatArray:
        return x

    def backward(self, delta: FloatArray) -> FloatArray:
        return delta


def sigmoid(a: FloatArray) -> FloatArray:
    """σ(a) = 1/(1 + e^{−a}) without overflow: e^{−|a|} ≤ 1 in both branches."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(spec.Sigmoid, ReferenceLayer):
    """h = σ(a) = 1/(1 + exp(−a)), σ'(a) = σ(a)(1 − σ(a)) = h(1 − h) (lecture "Sigmoid")."""

    h: FloatArray       # the output of the last forward

    def forward(self, x: FloatArray) -> FloatArray:
        self.h = sigmoid(x)
        return self.h

    def backward(self, delta: FloatArray) -> FloatArray:
        return delta * self.h * (1 - self.h)


class Tanh(spec.Tanh, ReferenceLayer):
    """h = tanh(a), tanh'(a) = 1 − h² (lecture "Tangens hyperbolicus")."""

    h: FloatArray       # the output of the last forward

    def forward(self, x: FloatArray) -> FloatArray:
        self.h = np.tanh(x)
        return self.h

    def backward(self, delta: FloatArray) -> FloatArray:
        return delta * (1 - self.h ** 2)


class ReLU(spec.ReLU, ReferenceLayer):
    """h = max(0, a), h'(a) = 1 if a > 0 else 0 (0 at the kink) (lecture "ReLU")."""

    a: FloatArray       # the input of the last forward

    def forward(self, x: FloatArray) -> FloatArray:
        self.a = x
        return np.maximum(x, 0)

    def backward(self, delta: FloatArray) -> FloatArray:
        return np.where(self.a > 0, delta, 0)


class LeakyReLU(spec.LeakyReLU, ReferenceLayer):
    """h = max(0.1a, a) in the lecture ("Leaky ReLU"); here a if a > 0 else slope·a.

    h'(a) = 1 if a > 0 else slope (the slope at the kink).
    """

    a: FloatArray       # the input of the last forward

    def forward(self, x: FloatArray) -> FloatArray:
        self.a = x
        return np.where(x > 0, x, self.slope * x)

    def backward(self, delta: FloatArray) -> FloatArray:
        return np.where(self.a > 0, delta, self.slope * delta)


class PReLU(spec.PReLU, ReferenceLayer):
    """h = max(αa, a) with α learned (lecture "Parametric Rectifier (PReLU)").

    Here h = a if a > 0 else α·a, so
        ∂h/∂a = 1 if a > 0 else α,     ∂h/∂α = min(a, 0)
        ∂J/∂α = Σ over rows (and over units, if α is shared) of δ·min(a, 0)
    """

    alpha: FloatArray   # views into the model's arenas (bind)
    dalpha: FloatArray
    a: FloatArray       # the input of the last forward

    def forward(self, x: FloatArray) -> FloatArray:
        self.a = x
        return np.where(x > 0, x, self.alpha * x)  # alpha (1,) or (width,) broadcasts over rows

    def backward(self, delta: FloatArray) -> FloatArray:
        per_unit = (delta * np.minimum(self.a, 0)).sum(axis=0)  # (width,)
        self.dalpha += per_unit.sum(keepdims=True) if self.num_parameters == 1 else per_unit
        return np.where(self.a > 0, delta, self.alpha * delta)


class ELU(spec.ELU, ReferenceLayer):
    """h = a if a > 0 else α(eᵃ − 1) (lecture "Exponential Linear Unit").

    h'(a) = 1 if a > 0 else α·eᵃ (= α at the kink, the left limit).
    """

    a: FloatArray       # the input of the last forward

    def forward(self, x: FloatArray) -> FloatArray:
        self.a = x
        # expm1 only of the non-positive part: no overflow in the unused branch
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def backward(self, delta: FloatArray) -> FloatArray:
        return np.where(self.a > 0, delta, delta * self.alpha * np.exp(np.minimum(self.a, 0)))


class Step(spec.Step, ReferenceLayer):
    """h = 1 if a > 0 else 0 (lecture "Beispiel: XOR", only as an example).

    Its derivative is 0 almost everywhere and undefined at 0: no gradient flows.
    """

    def forward(self, x: FloatArray) -> FloatArray:
        return (x > 0).astype(x.dtype)

    def backward(self, delta: FloatArray) -> FloatArray:
        raise ValueError("Step has no gradient (its derivative is 0 or undefined); it can be "
                         "used for prediction only - use Sigmoid or Tanh to train")


def softmax(a: FloatArray) -> FloatArray:
    """h_j = e^{a_j} / Σ_k e^{a_k} per row, shifted by max_k a_k (same value, no overflow)."""
    e = np.exp(a - a.max(axis=1, keepdims=True))
    h: FloatArray = e / e.sum(axis=1, keepdims=True)
    return h


class Softmax(spec.Softmax, ReferenceLayer):
    """h = softmax(a) per row (the output layer for classification).

    Jacobian ∂h_j/∂a_k = h_j(δ_jk − h_k); its product with δ (lecture
    "Backpropagation aus computational graph": ∇ₓz = (∂y/∂x)ᵀ ∇_y z):
        ∂J/∂a_k = h_k (δ_k − Σ_j δ_j h_j)
    With loss="ce" the model skips this and uses the fused δ = (h − c)/m.
    """

    h: FloatArray       # the output of the last forward

    def forward(self, x: FloatArray) -> FloatArray:
        self.h = softmax(x)
        return self.h

    def backward(self, delta: FloatArray) -> FloatArray:
        delta_in: FloatArray = self.h * (delta - (delta * self.h).sum(axis=1, keepdims=True))
        return delta_in


class Exp(spec.Exp, ReferenceLayer):
    """h = eᵃ (the log link's inverse); h'(a) = eᵃ = h. With loss="poisson" the model skips
    this and uses the fused δ = (h − c)/m."""

    h: FloatArray       # the output of the last forward

    def forward(self, x: FloatArray) -> FloatArray:
        self.h = np.exp(x)
        return self.h

    def backward(self, delta: FloatArray) -> FloatArray:
        return delta * self.h


# -- dropout: the counter-based mask of the core, in NumPy ------------------------

_U64 = np.uint64


def _mix64(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64's output function on uint64 arrays (arithmetic mod 2⁶⁴)."""
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    out: NDArray[np.uint64] = z ^ (z >> _U64(31))
    return out


def dropout_keep(seed: int, step: int, layer: int, ids: NDArray[np.int64], width: int,
                 p: float) -> NDArray[np.bool_]:
    """Keep mask (len(ids), width) of Dropout layer `layer` at optimizer step `step`.

    key = mix(mix(mix(mix(seed ⊕ 0xD6E8FEB86659FD93) + step) + layer) + id) per sample,
    unit j kept iff ⌊mix(key + j) / 2¹¹⌋ · 2⁻⁵³ ≥ p (exact in float64): the same
    function as the core's (cpp/include/nncore/dropout.hpp), all arithmetic mod 2⁶⁴.
    """
    with np.errstate(over="ignore"):
        k = _mix64(np.array([seed], dtype=_U64) ^ _U64(0xD6E8FEB86659FD93))
        k = _mix64(k + np.array([step], dtype=_U64))
        k = _mix64(k + np.array([layer], dtype=_U64))
        rows = _mix64(k + np.asarray(ids, dtype=np.int64).astype(_U64))
        bits = _mix64(rows[:, None] + np.arange(width, dtype=_U64)[None, :])
    keep: NDArray[np.bool_] = (bits >> _U64(11)).astype(np.float64) * 2.0**-53 >= p
    return keep


class Dropout(spec.Dropout, ReferenceLayer):
    """Inverted dropout: h = x·m/(1 − p) while training, h = x otherwise.

    The model sets `mask` (a boolean keep mask for this batch) before a training
    pass and None otherwise. Backward: ∂J/∂x = δ·m/(1 − p), the same mask.
    """

    mask: Optional[NDArray[np.bool_]] = None  # set by the model per training pass

    def forward(self, x: FloatArray) -> FloatArray:
        if self.mask is None:
            return x
        scale = x.dtype.type(1.0 / (1.0 - self.p))
        h: FloatArray = np.where(self.mask, x * scale, x.dtype.type(0))
        return h

    def backward(self, delta: FloatArray) -> FloatArray:
        if self.mask is None:
            return delta
        scale = delta.dtype.type(1.0 / (1.0 - self.p))
        delta_in: FloatArray = np.where(self.mask, delta * scale, delta.dtype.type(0))
        return delta_in


REFERENCE_LAYERS: dict[str, type[ReferenceLayer]] = {
    cls.kind: cls for cls in (Dense, Maxout, Identity, Sigmoid, Tanh, ReLU, LeakyReLU, PReLU, ELU,
                              Step, Softmax, Exp, Dropout)}


def as_reference(layer: _T) -> Union[_T, ReferenceLayer]:
    """The reference twin of a layer spec (e.g. an `nncore.Dense`), same hyperparameters.

    Reference layers are returned as they are; so `reference.Sequential` also
    accepts the layers of a C++-backed model.
    """
    cls = REFERENCE_LAYERS.get(str(getattr(layer, "kind", "")))
    if isinstance(layer, ReferenceLayer) or not isinstance(layer, spec.Layer) or cls is None:
        return layer  # non-layers and unknown kinds are refused by the model, clearly
    twin = cls.__new__(cls)
    twin.__dict__.update(layer.__dict__)
    return twin
