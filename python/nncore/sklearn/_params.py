"""The estimators' hyperparameters: checked once, then turned into nncore specs.

scikit-learn's names keep scikit-learn's meaning (solver, learning_rate, momentum,
nesterovs_momentum, ...); nncore's extras (optimizer=, momentum_form, rho,
eps_inside, lr_schedule, dtype, num_threads) are checked here too.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from ..checks import boolean, decay_rate, non_negative, positive, positive_int, real
from ..layout import resolve_dtype
from ..optim import SGD, Adam, Momentum, Optimizer, RMSprop
from ..schedules import Schedule

ACTIVATIONS = ("identity", "logistic", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu",
               "maxout")
SOLVERS = ("adam", "sgd", "lbfgs")
LEARNING_RATES = ("constant", "invscaling", "adaptive")
OPTIMIZER_NAMES = ("sgd", "momentum", "rmsprop", "adam")


@dataclass
class Checked:
    """The hyperparameters after checking."""
    sizes: tuple[int, ...]
    dtype: Optional[type]           # None: follow X (float32 stays float32, else float64)
    n_iter_no_change: float         # an int, or inf
    lr_varies: bool                 # learning_rate "invscaling"/"adaptive" applies (sgd only)


def _choice(value: Any, choices: tuple[str, ...], owner: str, name: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {choices}, got {value!r}")
    return value


def _fraction(value: Any, owner: str, name: str, lo: float, hi: float) -> float:
    """A real number in [lo, hi]."""
    v = float(real(value, owner, name))
    if not lo <= v <= hi:
        raise ValueError(f"{owner}: {name} must be in [{lo}, {hi}], got {value!r}")
    return v


def check_params(est: Any) -> Checked:
    """Check every hyperparameter of `est`; errors name the estimator and the argument."""
    owner = type(est).__name__
    sizes = est.hidden_layer_sizes
    if isinstance(sizes, numbers.Integral):
        sizes = (sizes,)
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise TypeError(f"{owner}: hidden_layer_sizes must be an int or a sequence of ints, "
                        f"got {est.hidden_layer_sizes!r}") from None
    if any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1 for s in sizes):
        raise ValueError(f"{owner}: hidden_layer_sizes must be > 0, got {est.hidden_layer_sizes!r}")
    _choice(est.activation, ACTIVATIONS, owner, "activation")
    solver = _choice(est.solver, SOLVERS, owner, "solver")
    learning_rate = _choice(est.learning_rate, LEARNING_RATES, owner, "learning_rate")
    non_negative(est.alpha, owner, "alpha")
    if not (isinstance(est.batch_size, str) and est.batch_size == "auto"):
        positive_int(est.batch_size, owner, "batch_size ('auto' or an integer >= 1)")
    positive(est.learning_rate_init, owner, "learning_rate_init")
    non_negative(est.power_t, owner, "power_t")
    positive_int(est.max_iter, owner, "max_iter")
    positive_int(est.max_fun, owner, "max_fun")
    non_negative(est.tol, owner, "tol")
    _fraction(est.momentum, owner, "momentum", 0.0, 1.0)
    for name in ("shuffle", "warm_start", "early_stopping", "nesterovs_momentum", "eps_inside"):
        boolean(getattr(est, name), owner, name)
    v = _fraction(est.validation_fraction, owner, "validation_fraction", 0.0, 1.0)
    if est.early_stopping and not 0 < v < 1:
        raise ValueError(f"{owner}: validation_fraction must be in (0, 1) with "
                         f"early_stopping=True, got {est.validation_fraction!r}")
    decay_rate(est.beta_1, owner, "beta_1")
    decay_rate(est.beta_2, owner, "beta_2")
    positive(est.epsilon, owner, "epsilon")
    decay_rate(est.rho, owner, "rho")
    patience = est.n_iter_no_change
    if not (isinstance(patience, float) and patience == np.inf):
        patience = positive_int(patience, owner, "n_iter_no_change (an integer >= 1 or np.inf)")
    opt = est.optimizer
    if not (opt is None or isinstance(opt, Optimizer)
            or (isinstance(opt, str) and opt in OPTIMIZER_NAMES)):
        raise ValueError(f"{owner}: optimizer must be None (use solver=), one of "
                         f"{OPTIMIZER_NAMES} or an nncore optimizer such as "
                         f"nncore.RMSprop(lr=0.01), got {opt!r}")
    if opt is not None and solver == "lbfgs":
        raise ValueError(f"{owner}: optimizer={opt!r} is a stochastic optimizer and cannot be "
                         "combined with solver='lbfgs'; leave optimizer=None")
    if est.momentum_form not in Momentum.FORMS:
        raise ValueError(f"{owner}: momentum_form must be one of {Momentum.FORMS}, "
                         f"got {est.momentum_form!r}")
    if est.lr_schedule is not None and not isinstance(est.lr_schedule, Schedule):
        raise ValueError(f"{owner}: lr_schedule must be None or an nncore schedule "
                         f"(nncore.StepDecay(10), ...), got {est.lr_schedule!r}")
    dropout = real(est.dropout, owner, "dropout")
    if not 0 <= dropout < 1:
        raise ValueError(f"{owner}: dropout (the probability of dropping a hidden unit) must "
                         f"be in [0, 1), got {est.dropout!r}")
    if dropout > 0 and solver == "lbfgs":
        raise ValueError(f"{owner}: dropout={est.dropout!r} needs a stochastic solver ('adam' "
                         "or 'sgd'): solver='lbfgs' minimises one fixed function")
    lr_varies = solver == "sgd" and opt is None and learning_rate != "constant"
    if lr_varies and est.lr_schedule is not None:
        raise ValueError(f"{owner}: learning_rate={learning_rate!r} and lr_schedule= both set "
                         "the learning rate; use one of them")
    n = est.num_threads
    if n is not None:
        positive_int(n, owner, "num_threads")
    dtype = None
    if est.dtype is not None:
        try:
            dtype = resolve_dtype(est.dtype)
        except (TypeError, ValueError):
            raise ValueError(f"{owner}: dtype must be None (follow X), 'float64' or 'float32', "
                             f"got {est.dtype!r}") from None
    return Checked(tuple(int(s) for s in sizes), dtype, float(patience), lr_varies)


def make_optimizer(est: Any, scale: float) -> Optimizer:
    """A fresh optimizer spec for the stochastic solvers.

    `scale` s > 1 when the core's loss is 1/s of the estimator's (multi-label BCE: the
    core averages over labels, scikit-learn sums): the spec is adjusted so that its steps
    on the core's gradient g/s equal the estimator's steps on g (sgd/momentum: lr·s;
    Adam and RMSprop are scale-free except for ε: ε/s, or ε/s² inside the root).
    """
    opt: Union[str, Optimizer, None] = est.optimizer
    lr = float(est.learning_rate_init)
    if isinstance(opt, Optimizer):
        spec = type(opt)(**opt.hyperparameters())  # a copy: never share the parameter
    elif opt is None and est.solver == "sgd":
        if est.momentum == 0:
            spec = SGD(lr=lr)
        else:
            spec = Momentum(lr=lr, gamma=0.0,
                            form="nesterov" if est.nesterovs_momentum else "classic")
            # scikit-learn's v ← μv − η·g, θ ← θ + v (Nesterov: θ ← θ + μv − η·g) is
            # nncore's "classic"/"nesterov" form with v = −η·v'; μ = 1 is allowed there.
            spec.gamma = float(est.momentum)
    elif opt is None:  # scikit-learn's Adam: ε added before the bias correction
        spec = Adam(lr=lr, beta1=est.beta_1, beta2=est.beta_2, eps=est.epsilon, eps_inside=True)
    elif opt == "adam":
        spec = Adam(lr=lr, beta1=est.beta_1, beta2=est.beta_2, eps=est.epsilon)
    elif opt == "sgd":
        spec = SGD(lr=lr)
    elif opt == "momentum":
        spec = Momentum(lr=lr, gamma=est.momentum, form=est.momentum_form)
    else:
        spec = RMSprop(lr=lr, gamma=est.rho, eps=est.epsilon, eps_inside=est.eps_inside)
    if scale != 1.0:
        if spec.kind in ("sgd", "momentum"):
            spec.lr *= scale
        elif spec.kind == "adam":
            spec.eps /= scale
        else:
            spec.eps /= scale * scale if spec.eps_inside else scale
    return spec


def make_schedule(est: Any, optimizer: Optimizer, scale: float) -> Optional[Schedule]:
    """The lr_schedule for the core: a copy, with min_lr scaled like lr (see make_optimizer)."""
    s = est.lr_schedule
    if s is None:
        return None
    hp = s.hyperparameters()
    if "min_lr" in hp and optimizer.kind in ("sgd", "momentum"):
        hp["min_lr"] = hp["min_lr"] * scale
    out: Schedule = type(s)(**hp)
    return out


def batch_rows(batch_size: Union[str, int], n: int) -> int:
    """scikit-learn's batch: min(200, n) for "auto", else clipped to n."""
    return min(200, n) if batch_size == "auto" else min(int(batch_size), n)


def model_dtype(checked: Checked, X: np.ndarray) -> type:
    if checked.dtype is not None:
        return checked.dtype
    return np.float32 if X.dtype == np.float32 else np.float64
