"""Learning-rate schedules (lecture "Learning rate decay": adapt the rate after k epochs).

A schedule is a hyperparameter spec like the optimizers; what changes during a
fit lives in a `state` dict owned by the loop:

    state = {}
    for e in range(epochs):
        lr_e = schedule.lr_at(e, base_lr, state)   # before epoch e
        ...train epoch e with lr_e...
        schedule.end_epoch(monitored_loss, state)  # after it (only ReduceOnPlateau uses it)

base_lr is the optimizer's `lr` (η₀). Every class has every hyperparameter
attribute (neutral values where unused) plus `kind`, for the C++ binding.

Ground floor: pure Python, no compiled core.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, Optional, Union

from .checks import non_negative, positive, positive_int, real
from .hyperparams import HyperSpec


# What one fit's schedule remembers between epochs (ReduceOnPlateau: lr, best, wait).
ScheduleState = Dict[str, float]


class Schedule(HyperSpec):
    """Base of the schedules: lr_e as a function of the epoch e and η₀."""

    kind = "schedule"
    step_size = 1
    gamma = 1.0
    t_max = 1
    min_lr = 0.0
    factor = 1.0
    patience = 0
    threshold = 0.0
    _hyper_names: tuple[str, ...] = ()

    def lr_at(self, epoch: int, base_lr: float, state: Optional[ScheduleState] = None) -> float:
        raise NotImplementedError

    def end_epoch(self, monitored_loss: float, state: ScheduleState) -> None:
        """Called after each epoch with the monitored loss; stateless schedules ignore it."""


class StepDecay(Schedule):
    """lr_e = η₀·γ^⌊e/k⌋: multiply by γ every k = step_size epochs (the lecture's decay).

    Hyperparameters: step_size = k ≥ 1, gamma = γ > 0.
    """

    kind = "step"
    _hyper_names = ("step_size", "gamma")

    def __init__(self, step_size: int, gamma: float = 0.5) -> None:
        self.step_size = positive_int(step_size, "StepDecay", "step_size")
        self.gamma = positive(gamma, "StepDecay", "gamma")

    def lr_at(self, epoch: int, base_lr: float, state: Optional[ScheduleState] = None) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialDecay(Schedule):
    """lr_e = η₀·γ^e. Hyperparameter: gamma = γ > 0."""

    kind = "exponential"
    _hyper_names = ("gamma",)

    def __init__(self, gamma: float) -> None:
        self.gamma = positive(gamma, "ExponentialDecay", "gamma")

    def lr_at(self, epoch: int, base_lr: float, state: Optional[ScheduleState] = None) -> float:
        return base_lr * self.gamma ** epoch


class CosineDecay(Schedule):
    """lr_e = min_lr + (η₀ − min_lr)·(1 + cos(π·min(e, t_max)/t_max))/2.

    From η₀ at e = 0 down to min_lr at e = t_max, then constant.
    Hyperparameters: t_max ≥ 1 (epochs), min_lr ≥ 0.
    """

    kind = "cosine"
    _hyper_names = ("t_max", "min_lr")

    def __init__(self, t_max: int, min_lr: float = 0.0) -> None:
        self.t_max = positive_int(t_max, "CosineDecay", "t_max")
        self.min_lr = non_negative(min_lr, "CosineDecay", "min_lr")

    def lr_at(self, epoch: int, base_lr: float, state: Optional[ScheduleState] = None) -> float:
        e = min(epoch, self.t_max)
        return self.min_lr + (base_lr - self.min_lr) * (1 + math.cos(math.pi * e / self.t_max)) / 2


class ReduceOnPlateau(Schedule):
    """Lower the rate when the monitored loss stops improving.

    Starts at lr = η₀. After each epoch, with L the monitored loss (the
    validation loss if there is validation data, else the training loss):
        if L < best − threshold·|best|:  best ← L, wait ← 0      (an improvement)
        else:                            wait ← wait + 1
        if wait = patience:              lr ← max(lr·factor, min_lr), wait ← 0
    best starts at +∞, so the first epoch always improves. With patience = p
    the rate drops after p epochs in a row without improvement (as Keras'
    ReduceLROnPlateau; PyTorch's drops after p + 1).

    Hyperparameters: factor in (0, 1), patience ≥ 1, min_lr ≥ 0, threshold ≥ 0.
    """

    kind = "plateau"
    _hyper_names = ("factor", "patience", "min_lr", "threshold")

    def __init__(self, factor: float = 0.1, patience: int = 10, min_lr: float = 0.0,
                 threshold: float = 1e-4) -> None:
        self.factor = real(factor, "ReduceOnPlateau", "factor")
        if not 0 < self.factor < 1:
            raise ValueError(f"ReduceOnPlateau: factor must be in (0, 1), got {factor!r}")
        self.patience = positive_int(patience, "ReduceOnPlateau", "patience")
        self.min_lr = non_negative(min_lr, "ReduceOnPlateau", "min_lr")
        self.threshold = non_negative(threshold, "ReduceOnPlateau", "threshold")

    def lr_at(self, epoch: int, base_lr: float, state: Optional[ScheduleState] = None) -> float:
        if state is None:
            raise ValueError("ReduceOnPlateau.lr_at needs the fit's state dict "
                             "(its rate depends on the losses seen so far)")
        state.setdefault("lr", base_lr)
        state.setdefault("best", math.inf)
        state.setdefault("wait", 0)
        return state["lr"]

    def end_epoch(self, monitored_loss: float, state: ScheduleState) -> None:
        best = state["best"]
        if math.isnan(monitored_loss):
            improved = False
        elif best == math.inf:  # the first epoch (avoids inf − inf)
            improved = True
        else:
            improved = monitored_loss < best - self.threshold * abs(best)
        if improved:
            state["best"], state["wait"] = monitored_loss, 0
        else:
            state["wait"] += 1
        if state["wait"] >= self.patience:
            state["lr"] = max(state["lr"] * self.factor, self.min_lr)
            state["wait"] = 0


# fit's lr_schedule: a schedule above, or a callable (epoch, lr) -> new lr (nncore.fit_hooks).
LrSchedule = Union[Schedule, Callable[[int, float], float], None]

SCHEDULES = {cls.kind: cls for cls in (StepDecay, ExponentialDecay, CosineDecay, ReduceOnPlateau)}
