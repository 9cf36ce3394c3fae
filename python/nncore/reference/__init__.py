"""nncore.reference: the whole library in readable NumPy, for checking and learning.

    import numpy as np, nncore.reference as ref
    m = ref.Sequential(ref.Dense(2, 10), ref.Tanh(), ref.Dense(10, 1), ref.Sigmoid(), seed=0)
    loss, grads = m.loss_and_grad(X, y, loss="bce", l2=1e-3)
    hist = m.fit(X, y, loss="bce", optimizer=ref.Adam(lr=1e-2), epochs=100)

Same API, parameter layout, initial weights and training loop as the C++-backed
`nncore.Sequential` (docs/design.md); the tests hold the two together.

    layers.py     forward/backward of every layer (the lecture's formulas)
    losses.py     loss values, δ at the output, the l1/l2 penalty
    model.py      Sequential: forward pass and backpropagation
    optim.py      the NumPy step of SGD, Momentum, RMSprop, Adam
    training.py   fit / train_step: the epoch and batch loop

The specs it shares with the native model (optimizers, schedules, History,
argument checks) come from nncore's ground floor and are re-exported here.
Nothing here needs the compiled core: `import nncore.reference` works
without it.
"""
from .layers import (ELU, Dense, Dropout, Exp, Identity, LeakyReLU, Maxout, PReLU, ReLU,
                     Sigmoid, Softmax, Step, Tanh)
from ..history import History
from ..optim import SGD, Adam, Momentum, Optimizer, RMSprop
from ..schedules import CosineDecay, ExponentialDecay, ReduceOnPlateau, Schedule, StepDecay
from .model import Sequential

__all__ = [
    "Sequential", "Dense", "Maxout", "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU",
    "PReLU", "ELU", "Step", "Softmax", "Exp", "Dropout",
    "Optimizer", "SGD", "Momentum", "RMSprop", "Adam",
    "Schedule", "StepDecay", "ExponentialDecay", "CosineDecay", "ReduceOnPlateau",
    "History",
]
