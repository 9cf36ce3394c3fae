"""Optimizer specs: hyperparameters, their checks and the lecture's update equations.

An optimizer object holds ONLY hyperparameters; one spec drives both
`nncore.Sequential` (the C++ core reads the attributes) and
`nncore.reference.Sequential` (NumPy, `nncore.reference.optim.update`). Each
class docstring is the update rule both implement, elementwise, in the order
written; the tests hold them to it. The mutable state of a model's training
with an optimizer is one dict of one shape for both models
(`new_state`): {"optimizer": spec, "t": steps taken, "m": buffer or None,
"v": buffer or None}; every step first increments t, then updates.

Every class has every hyperparameter attribute (neutral values where unused)
plus `kind`, so a binding can read one flat record.

Ground floor: pure Python and NumPy, no compiled core.
"""
from __future__ import annotations

from typing import Optional, TypedDict

import numpy as np
from numpy.typing import DTypeLike

from .checks import FloatArray, boolean, decay_rate, non_negative, positive
from .hyperparams import HyperSpec


class Optimizer(HyperSpec):
    """Base of the optimizer specs."""

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
    _hyper_names: tuple[str, ...] = ("lr",)

    # Which state buffers the update rule keeps (see new_state).
    uses_m = False
    uses_v = False


class SGD(Optimizer):
    """Gradient descent (lecture "Gradient descent"): θ ← θ − η g.

    Hyperparameters: lr = η > 0.
    """

    kind = "sgd"

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = positive(lr, "SGD", "lr")



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
    uses_m = True
    FORMS = ("ema", "classic", "nesterov")
    _hyper_names = ("lr", "gamma", "form")

    def __init__(self, lr: float = 0.01, gamma: float = 0.9, form: str = "ema") -> None:
        self.lr = positive(lr, "Momentum", "lr")
        self.gamma = decay_rate(gamma, "Momentum", "gamma")
        if form not in self.FORMS:
            raise ValueError(f"Momentum: form must be one of {self.FORMS}, got {form!r}")
        self.form = form



class RMSprop(Optimizer):
    """Gradient normalisation (lecture "Gradient Normalization", RMSprop).

    v ← γv + (1 − γ)g²                    (running average of the squared gradient)
    eps_inside=True (lecture):   θ ← θ − α g / √(v + ε)
    eps_inside=False (PyTorch, Keras):  θ ← θ − α g / (√v + ε)

    Hyperparameters: lr = α > 0, gamma = γ in [0, 1) (PyTorch calls it alpha,
    Keras rho), eps = ε > 0, eps_inside.
    """

    kind = "rmsprop"
    uses_v = True
    _hyper_names = ("lr", "gamma", "eps", "eps_inside")

    def __init__(self, lr: float = 0.001, gamma: float = 0.9, eps: float = 1e-8,
                 eps_inside: bool = True) -> None:
        self.lr = positive(lr, "RMSprop", "lr")
        self.gamma = decay_rate(gamma, "RMSprop", "gamma")
        self.eps = positive(eps, "RMSprop", "eps")
        self.eps_inside = boolean(eps_inside, "RMSprop", "eps_inside")



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
    eps_inside=True (scikit-learn's MLP, TensorFlow; the paper's "efficient" form):
        θ ← θ − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ)·m/(√v + ε)
    i.e. the rule above with ε/√(1 − β₂ᵗ) in place of ε.

    Hyperparameters: lr = η > 0, beta1, beta2 in [0, 1), eps = ε > 0,
    weight_decay = λ ≥ 0, eps_inside (default False: PyTorch, the paper's Algorithm 1).
    """

    kind = "adam"
    uses_m = uses_v = True
    _hyper_names = ("lr", "beta1", "beta2", "eps", "weight_decay", "eps_inside")

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0, eps_inside: bool = False) -> None:
        self.lr = positive(lr, "Adam", "lr")
        self.beta1 = decay_rate(beta1, "Adam", "beta1")
        self.beta2 = decay_rate(beta2, "Adam", "beta2")
        self.eps = positive(eps, "Adam", "eps")
        self.weight_decay = non_negative(weight_decay, "Adam", "weight_decay")
        self.eps_inside = boolean(eps_inside, "Adam", "eps_inside")



OPTIMIZERS = {cls.kind: cls for cls in (SGD, Momentum, RMSprop, Adam)}


class OptimizerState(TypedDict):
    """A model's training state with one optimizer (see new_state); one shape for both models."""
    optimizer: Optimizer
    t: int                      # steps taken
    m: Optional[FloatArray]     # momentum / Adam's first moment, if the rule keeps it
    v: Optional[FloatArray]     # RMSprop / Adam's second moment, if the rule keeps it


def new_state(optimizer: Optimizer, num_parameters: int, dtype: DTypeLike) -> OptimizerState:
    """A model's fresh training state with `optimizer`: t = 0 and zero buffers for the
    ones its rule keeps (m: momentum / Adam's first moment, v: RMSprop / Adam's second)."""
    return {"optimizer": optimizer, "t": 0,
            "m": np.zeros(num_parameters, dtype) if optimizer.uses_m else None,
            "v": np.zeros(num_parameters, dtype) if optimizer.uses_v else None}
