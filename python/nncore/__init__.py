"""nncore: dense neural networks from the backpropagation lecture, with a C++ core.

    import numpy as np, nncore as nc
    model = nc.Sequential(nc.Dense(2, 10), nc.Tanh(), nc.Dense(10, 1), nc.Sigmoid(), seed=0)
    loss, grads = model.loss_and_grad(X, y, loss="bce", l2=1e-3)

`nncore.reference` is the same library in readable NumPy, for checking and learning.
The floors of the package (docs/design.md; import-linter contracts in pyproject.toml):
specs (layers, optim, schedules, checks, ...) → graph/onnx tools → model base and
file → {native model, reference} → adapters (sklearn, lecture, CLI).
"""
from __future__ import annotations

from . import init, reference
from ._version import __version__ as __version__  # re-exported (not in __all__)
from .gradcheck import check_gradients
from .callbacks import Callback, CSVLogger, EarlyStopping, ModelCheckpoint
from .history import History
from .layers import (ELU, Dense, Dropout, Exp, Identity, LeakyReLU, Maxout, PReLU, ReLU,
                     Sigmoid, Softmax, Step, Tanh)
from .optim import SGD, Adam, Momentum, Optimizer, RMSprop
from .schedules import (CosineDecay, ExponentialDecay, ReduceOnPlateau, Schedule,
                        StepDecay)

_NATIVE = ("Sequential", "load", "set_num_threads", "get_num_threads", "from_torch",
           "from_sklearn", "show_config", "SerialBuildWarning")
try:
    from .native import (SerialBuildWarning, Sequential, get_num_threads, load, set_num_threads,
                         show_config)
except ImportError as _e:
    if _e.name != "nncore._core" and "_core" not in str(_e):
        raise
    # Only without a build: the specs, the tools and the NumPy twin still work.
    _CORE_ERROR: ImportError | None = _e
else:
    _CORE_ERROR = None
    from_torch = Sequential.from_torch
    from_sklearn = Sequential.from_sklearn


def __getattr__(name: str) -> object:
    # The import guard: native names say how to build when the compiled core is missing.
    if name in _NATIVE and _CORE_ERROR is not None:
        raise ImportError(
            f"nncore.{name} needs nncore's compiled core (nncore._core), which is missing "
            f"({_CORE_ERROR}). Install the package with `pip install .` from the repository "
            "root (it builds the C++ core with CMake). nncore.reference works without it."
        ) from _CORE_ERROR
    raise AttributeError(f"module 'nncore' has no attribute {name!r}")


__all__ = [
    "Sequential", "Dense", "Maxout", "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU",
    "PReLU", "ELU", "Step", "Softmax", "Exp", "Dropout", "check_gradients", "init", "reference",
    "set_num_threads", "get_num_threads", "load", "Optimizer", "SGD", "Momentum", "RMSprop",
    "Adam", "Schedule", "StepDecay", "ExponentialDecay", "CosineDecay", "ReduceOnPlateau",
    "EarlyStopping", "ModelCheckpoint", "CSVLogger", "Callback", "History", "from_torch", "from_sklearn", "show_config", "SerialBuildWarning",
]
