"""Layer specifications: what each layer is, its parameters and hyperparameters.

These objects hold no numbers and do no arithmetic. `nncore.Sequential` hands
them to the C++ core; `nncore.reference` subclasses them with NumPy
`forward`/`backward` methods written from the lecture's formulas.
"""
from __future__ import annotations

from typing import Callable, Optional, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike

from .checks import positive_int, real

# (name, shape, role) of one parameter; role is 'weight', 'bias' or 'alpha'.
ParamSpec = Tuple[str, Tuple[int, ...], str]
# An initialiser as nncore.init takes it: a name or f(shape, fan_in, fan_out, rng).
InitArg = Union[str, Callable[[Tuple[int, ...], int, int, np.random.Generator], ArrayLike]]


class Layer:
    """Base of all layer specs.

    kind         -- registry name (also the C++ kind)
    in_features  -- inputs per sample (known after `build`)
    out_features -- outputs per sample
    """

    kind = "layer"
    has_gradient = True

    def __init__(self) -> None:
        self.in_features: Optional[int] = None
        self.out_features: Optional[int] = None

    def build(self, in_features: int) -> int:
        """Fix the input width (from the previous layer); return the output width."""
        self.in_features = in_features
        self.out_features = in_features
        return in_features

    def param_specs(self) -> list[ParamSpec]:
        """[(name, shape, role)] in arena order; role is 'weight', 'bias' or 'alpha'."""
        return []

    def hyper(self) -> float:
        """The layer's one scalar hyperparameter for the core (slope, alpha...)."""
        return 0.0

    @property
    def k(self) -> int:
        return 1

    def get_config(self) -> dict[str, object]:
        """Constructor arguments (JSON-able) that rebuild this layer."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Dense(Layer):
    """Affine layer a = θᵀx + b, batched as A = X·W + b with W of shape (in, out).

    bias=False drops b: a = θᵀx, the slides' own form (no "b" parameter, no ∂b).
    """

    kind = "dense"
    in_features: int
    out_features: int

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: Optional[InitArg] = None, bias_init: InitArg = "zeros") -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "Dense", "in_features")
        self.out_features = positive_int(out_features, "Dense", "out_features")
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"Dense: bias must be True or False, got {bias!r}")
        self.bias = bool(bias)
        self.init = init
        self.bias_init = bias_init

    def build(self, in_features: int) -> int:
        if in_features != self.in_features:
            raise ValueError(f"Dense({self.in_features}, {self.out_features}) receives "
                             f"{in_features} features from the previous layer")
        return self.out_features

    def param_specs(self) -> list[ParamSpec]:
        W: ParamSpec = ("W", (self.in_features, self.out_features), "weight")
        return [W, ("b", (self.out_features,), "bias")] if self.bias else [W]

    def get_config(self) -> dict[str, object]:
        # "bias" only when False: files of biased models stay as they were (and readable
        # by versions that knew no bias=False); a file without it has a bias.
        config: dict[str, object] = {"in_features": self.in_features,
                                     "out_features": self.out_features}
        if not self.bias:
            config["bias"] = False
        return config

    def __repr__(self) -> str:
        extra = "" if self.bias else ", bias=False"
        return f"Dense({self.in_features}, {self.out_features}{extra})"


class Maxout(Layer):
    """h = max_j (xᵀW[j] + b[j]) over k affine pieces (lecture: max(w1ᵀx+b1, w2ᵀx+b2))."""

    kind = "maxout"
    in_features: int
    out_features: int

    def __init__(self, in_features: int, out_features: int, k: int = 2,
                 init: Optional[InitArg] = None, bias_init: InitArg = "zeros") -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "Maxout", "in_features")
        self.out_features = positive_int(out_features, "Maxout", "out_features")
        self._k = positive_int(k, "Maxout", "k")
        self.init = init
        self.bias_init = bias_init

    @property
    def k(self) -> int:
        return self._k

    def build(self, in_features: int) -> int:
        if in_features != self.in_features:
            raise ValueError(f"Maxout({self.in_features}, {self.out_features}) receives "
                             f"{in_features} features from the previous layer")
        return self.out_features

    def param_specs(self) -> list[ParamSpec]:
        return [("W", (self._k, self.in_features, self.out_features), "weight"),
                ("b", (self._k, self.out_features), "bias")]

    def get_config(self) -> dict[str, object]:
        return {"in_features": self.in_features, "out_features": self.out_features, "k": self._k}

    def __repr__(self) -> str:
        return f"Maxout({self.in_features}, {self.out_features}, k={self._k})"


class Activation(Layer):
    """An element-wise h = σ(a) with the same width in and out."""


class Identity(Activation):
    """h = a."""
    kind = "identity"


class Sigmoid(Activation):
    """h = σ(a) = 1 / (1 + exp(−a)); σ'(a) = h(1 − h)."""
    kind = "sigmoid"


class Tanh(Activation):
    """h = tanh(a); tanh'(a) = 1 − h²."""
    kind = "tanh"


class ReLU(Activation):
    """h = max(0, a); derivative 1 for a > 0, else 0."""
    kind = "relu"


class LeakyReLU(Activation):
    """h = max(slope·a, a), lecture slope 0.1 (PyTorch default 0.01, Keras 0.3).

    Computed as h = a for a > 0, slope·a otherwise (identical for 0 ≤ slope ≤ 1).
    """
    kind = "leaky_relu"

    def __init__(self, slope: float = 0.1) -> None:
        super().__init__()
        self.slope = real(slope, "LeakyReLU", "slope")

    def hyper(self) -> float:
        return self.slope

    def get_config(self) -> dict[str, object]:
        return {"slope": self.slope}

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope})"


class PReLU(Activation):
    """h = max(α·a, a) with α learned (lecture: 'Parametric Rectifier').

    num_parameters=1 shares one α over all units; num_parameters=width gives
    one α per unit. α starts at `init` (0.25, as PyTorch) and is not penalised.
    """
    kind = "prelu"

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        self.num_parameters = positive_int(num_parameters, "PReLU", "num_parameters")
        self.alpha_init = real(init, "PReLU", "init")

    def build(self, in_features: int) -> int:
        if self.num_parameters not in (1, in_features):
            raise ValueError(f"PReLU: num_parameters must be 1 or the layer width "
                             f"{in_features}, got {self.num_parameters}")
        return super().build(in_features)

    def param_specs(self) -> list[ParamSpec]:
        return [("alpha", (self.num_parameters,), "alpha")]

    def get_config(self) -> dict[str, object]:
        return {"num_parameters": self.num_parameters, "init": self.alpha_init}

    def __repr__(self) -> str:
        return f"PReLU(num_parameters={self.num_parameters})"


class ELU(Activation):
    """h = a for a > 0, α(exp(a) − 1) otherwise."""
    kind = "elu"

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = real(alpha, "ELU", "alpha")

    def hyper(self) -> float:
        return self.alpha

    def get_config(self) -> dict[str, object]:
        return {"alpha": self.alpha}

    def __repr__(self) -> str:
        return f"ELU(alpha={self.alpha})"


class Step(Activation):
    """h = 1 for a > 0, else 0 (the lecture's XOR example). Forward only."""
    kind = "step"
    has_gradient = False


class Softmax(Activation):
    """h_j = exp(a_j) / Σ_k exp(a_k) per row. Only as the last layer."""
    kind = "softmax"


class Exp(Activation):
    """h = exp(a): the inverse of the log link, the output of Poisson regression
    (loss="poisson" is computed from its input a, as bce from Sigmoid's)."""
    kind = "exp"


class Dropout(Layer):
    """Inverted dropout: while training, h = x·m/(1 − p) with each mᵢⱼ ∈ {0, 1} kept
    with probability 1 − p; at inference (predict, evaluate) h = x.

    Training means `fit` and `train_step`, and `loss`/`loss_and_grad` with
    `training=True`. The mask of sample i (its row in the data given to fit, or in
    X for train_step and loss_and_grad), unit j, at optimizer step t is a pure
    function of (model seed, t, layer index, i, j): a counter-based hash (SplitMix64's
    mixer in a chain, docs/design.md "Dropout"), so it does not depend on the thread
    count or on how a batch is split, and `nncore.reference` draws the same masks.
    p = 0 is the identity; p must be in [0, 1) (PyTorch `nn.Dropout(p)`, Keras
    `Dropout(rate)`).
    """

    kind = "dropout"

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        value = real(p, "Dropout", "p")
        if not 0 <= value < 1:
            raise ValueError(f"Dropout: p (the probability of dropping a unit) must be in "
                             f"[0, 1), got {p!r}")
        self.p = value

    def hyper(self) -> float:
        return self.p

    def get_config(self) -> dict[str, object]:
        return {"p": self.p}

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


ACTIVATIONS = {cls.kind: cls for cls in
               (Identity, Sigmoid, Tanh, ReLU, LeakyReLU, PReLU, ELU, Step, Softmax, Exp)}
# Every layer by class name: the only classes a model file may name.
LAYERS = {cls.__name__: cls for cls in (Dense, Maxout, *ACTIVATIONS.values(), Dropout)}
# Every kind the models compute (a kernel in the core, a twin in the reference).
KINDS = frozenset(cls.kind for cls in LAYERS.values())
