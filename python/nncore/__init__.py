"""nncore: dense neural networks from the backpropagation lecture, with a C++ core.

    import numpy as np, nncore as nc
    model = nc.Sequential(nc.Dense(2, 10), nc.Tanh(), nc.Dense(10, 1), nc.Sigmoid(), seed=0)
    loss, grads = model.loss_and_grad(X, y, loss="bce", l2=1e-3)

`nncore.reference` is the same library in readable NumPy, for checking and learning.
"""
try:
    from . import _core  # noqa: F401  (the import guard: fail early with how to build)
except ImportError as e:  # pragma: no cover - only without a build
    raise ImportError(
        "nncore's compiled core (nncore._core) is missing. Install the package with "
        "`pip install .` from the repository root (it builds the C++ core with CMake)."
    ) from e

from . import init, reference
from .gradcheck import check_gradients
from .io import load
from .reference.optim import SGD, Adam, Momentum, Optimizer, RMSprop
from .reference.schedules import (CosineDecay, ExponentialDecay, ReduceOnPlateau, Schedule,
                                  StepDecay)
from .training import EarlyStopping
from .layers import (ELU, Dense, Identity, LeakyReLU, Maxout, PReLU, ReLU, Sigmoid, Softmax,
                     Step, Tanh)
from .model import Sequential
from .threads import get_num_threads, set_num_threads

__version__ = "0.1.0"

__all__ = [
    "Sequential", "Dense", "Maxout", "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU",
    "PReLU", "ELU", "Step", "Softmax", "check_gradients", "init", "reference",
    "set_num_threads", "get_num_threads", "load", "Optimizer", "SGD", "Momentum", "RMSprop",
    "Adam", "Schedule", "StepDecay", "ExponentialDecay", "CosineDecay", "ReduceOnPlateau",
    "EarlyStopping",
]
