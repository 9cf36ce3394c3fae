"""Optimizers: hyperparameter specs plus a NumPy reference step.

An optimizer object holds ONLY hyperparameters, so one spec can drive both
`nncore.Sequential` (the C++ core reads the attributes) and
`nncore.reference.Sequential`. The mutable state — buffers m, v and the step
counter t — lives in a plain dict that each model keeps per optimizer:

    state = {}                                       # start: buffers zero, t = 0
    opt.update(params, grads, state, lr, weight_mask)   # one step, in place

`params` and `grads` are the flat arenas (1-D, same layout), `lr` is this
epoch's learning rate (from the schedule), `weight_mask` marks the 'weight'
parameters (Dense/Maxout W; used by Adam's decoupled weight decay).
Every step first increments t, then updates, elementwise and in the order the
class docstring writes it (docs/design.md, "Optimizers").

Every class has every hyperparameter attribute (neutral values where unused)
plus `kind`, so a binding can read one flat record.
"""
from __future__ import annotations

import numbers

import numpy as np


def _real(cls, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{cls}: {name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{cls}: {name} must be finite, got {value!r}")
    return value


def _positive(cls, name, value):
    v = _real(cls, name, value)
    if not v > 0:
        raise ValueError(f"{cls}: {name} must be > 0, got {value!r}")
    return v


def _non_negative(cls, name, value):
    v = _real(cls, name, value)
    if v < 0:
        raise ValueError(f"{cls}: {name} must be >= 0, got {value!r}")
    return v


def _decay_rate(cls, name, value):
    v = _real(cls, name, value)
    if not 0 <= v < 1:
        raise ValueError(f"{cls}: {name} must be in [0, 1), got {value!r}")
    return v


def _buffer(state, key, params):
    """The state buffer `key`, created as zeros like params on first use."""
    if key not in state:
        state[key] = np.zeros_like(params)
    return state[key]


class Optimizer:
    """Base of the optimizer specs. Subclasses implement `_step`."""

    kind = "optimizer"
    # Every hyperparameter, with a neutral value where a class does not use it.
    lr = 0.01
    gamma = 0.0
    beta1 = 0.0
    beta2 = 0.0
    eps = 0.0
    form = "ema"
    eps_inside = True
    weight_decay = 0.0
    _hyper_names = ("lr",)

    def hyperparameters(self):
        """{name: value} of the hyperparameters this optimizer uses."""
        return {name: getattr(self, name) for name in self._hyper_names}

    def update(self, params, grads, state, lr=None, weight_mask=None):
        """One step θ ← θ − … on the flat arrays, in place; t ← t + 1 first.

        lr defaults to self.lr; weight_mask (bool, like params) marks weights.
        """
        lr = self.lr if lr is None else lr
        state["t"] = state.get("t", 0) + 1  # step counter, incremented before the update
        self._step(params, grads, state, lr, weight_mask)

    def _step(self, params, grads, state, lr, weight_mask):
        raise NotImplementedError

    def __repr__(self):
        inner = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({inner})"


class SGD(Optimizer):
    """Gradient descent (lecture "Gradient descent"): θ ← θ − η g.

    Hyperparameters: lr = η > 0.
    """

    kind = "sgd"

    def __init__(self, lr=0.01):
        self.lr = _positive("SGD", "lr", lr)

    def _step(self, params, grads, state, lr, weight_mask):
        params -= lr * grads


class Momentum(Optimizer):
    """Gradient descent with momentum (lecture "Verbesserung: Momentum").

    form="ema" (lecture: moving average of the gradient, m₀ = 0):
        m ← γm + (1 − γ)g,   θ ← θ − η m          (γ = 0: plain gradient descent)
    form="classic" (PyTorch SGD(momentum=γ), Keras SGD(momentum=γ)):
        v ← γv + g,          θ ← θ − η v
    form="nesterov" (PyTorch SGD(momentum=γ, nesterov=True)):
        v ← γv + g,          θ ← θ − η(g + γv)

    "ema" steps are (1 − γ) times the size of "classic" ones for the same η.
    Hyperparameters: lr = η > 0, gamma = γ in [0, 1), form.
    """

    kind = "momentum"
    FORMS = ("ema", "classic", "nesterov")
    _hyper_names = ("lr", "gamma", "form")

    def __init__(self, lr=0.01, gamma=0.9, form="ema"):
        self.lr = _positive("Momentum", "lr", lr)
        self.gamma = _decay_rate("Momentum", "gamma", gamma)
        if form not in self.FORMS:
            raise ValueError(f"Momentum: form must be one of {self.FORMS}, got {form!r}")
        self.form = form

    def _step(self, params, grads, state, lr, weight_mask):
        g, gamma = grads, self.gamma
        m = _buffer(state, "m", params)  # m (ema) or velocity v (classic, nesterov)
        if self.form == "ema":
            m[:] = gamma * m + (1 - gamma) * g
            params -= lr * m
        elif self.form == "classic":
            m[:] = gamma * m + g
            params -= lr * m
        else:  # nesterov
            m[:] = gamma * m + g
            params -= lr * (g + gamma * m)


class RMSprop(Optimizer):
    """Gradient normalisation (lecture "Gradient Normalization", RMSprop).

    v ← γv + (1 − γ)g²                    (running average of the squared gradient)
    eps_inside=True (lecture):   θ ← θ − α g / √(v + ε)
    eps_inside=False (PyTorch, Keras):  θ ← θ − α g / (√v + ε)

    Hyperparameters: lr = α > 0, gamma = γ in [0, 1) (PyTorch calls it alpha,
    Keras rho), eps = ε > 0, eps_inside.
    """

    kind = "rmsprop"
    _hyper_names = ("lr", "gamma", "eps", "eps_inside")

    def __init__(self, lr=0.001, gamma=0.9, eps=1e-8, eps_inside=True):
        self.lr = _positive("RMSprop", "lr", lr)
        self.gamma = _decay_rate("RMSprop", "gamma", gamma)
        self.eps = _positive("RMSprop", "eps", eps)
        if not isinstance(eps_inside, (bool, np.bool_)):
            raise TypeError(f"RMSprop: eps_inside must be True or False, got {eps_inside!r}")
        self.eps_inside = bool(eps_inside)

    def _step(self, params, grads, state, lr, weight_mask):
        g, gamma, eps = grads, self.gamma, self.eps
        v = _buffer(state, "v", params)  # running average of g²
        v[:] = gamma * v + (1 - gamma) * g * g
        if self.eps_inside:
            params -= lr * g / np.sqrt(v + eps)
        else:
            params -= lr * g / (np.sqrt(v) + eps)


class Adam(Optimizer):
    """Adaptive momentum (lecture "Adaptive Momentum (Adam)": momentum + gradient normalisation).

    With t the step number (1, 2, …):
        m ← β₁m + (1 − β₁)g                 (momentum, as Momentum(form="ema"))
        v ← β₂v + (1 − β₂)g²                (as RMSprop)
        m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ)   (bias correction: m, v start at 0)
        θ ← θ − η m̂/(√v̂ + ε)
    weight_decay=λ > 0 (AdamW, decoupled): before the Adam step,
        θ ← θ − ηλθ on weights only (not biases, not PReLU α).
    This is not the l2 penalty of `fit(l2=...)`, which enters g.

    Hyperparameters: lr = η > 0, beta1, beta2 in [0, 1), eps = ε > 0,
    weight_decay = λ ≥ 0.
    """

    kind = "adam"
    _hyper_names = ("lr", "beta1", "beta2", "eps", "weight_decay")

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        self.lr = _positive("Adam", "lr", lr)
        self.beta1 = _decay_rate("Adam", "beta1", beta1)
        self.beta2 = _decay_rate("Adam", "beta2", beta2)
        self.eps = _positive("Adam", "eps", eps)
        self.weight_decay = _non_negative("Adam", "weight_decay", weight_decay)

    def _step(self, params, grads, state, lr, weight_mask):
        g, b1, b2, t = grads, self.beta1, self.beta2, state["t"]
        if self.weight_decay:
            w = slice(None) if weight_mask is None else weight_mask
            params[w] -= lr * self.weight_decay * params[w]
        m = _buffer(state, "m", params)  # first moment (mean of g)
        v = _buffer(state, "v", params)  # second moment (mean of g²)
        m[:] = b1 * m + (1 - b1) * g
        v[:] = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        params -= lr * m_hat / (np.sqrt(v_hat) + self.eps)


OPTIMIZERS = {cls.kind: cls for cls in (SGD, Momentum, RMSprop, Adam)}
