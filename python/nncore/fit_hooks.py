"""What both fit loops do at epoch boundaries, in Python: the learning rate of the next
epoch, the metrics, the callbacks.

`nncore.Sequential` (its loop in C++ calls back here through the binding) and
`nncore.reference.Sequential` (its loop in NumPy) use the same FitHooks, so a callable
lr_schedule, an lr changed by a callback, metrics= and the callbacks behave alike.

The learning rate of epoch e (docs/design.md, "Training"):
  * the loop's own: lr_schedule.lr_at(e, optimizer.lr) for a built-in schedule (for
    ReduceOnPlateau its current rate), else optimizer.lr;
  * a callable lr_schedule(epoch, lr) -> new lr (Keras' LearningRateScheduler): lr is the
    rate of the previous epoch (optimizer.lr before the first); the answer must be a
    finite number > 0;
  * optimizer.lr changed during fit (by a callback, after any epoch or batch) takes effect
    from the next epoch: as the new base of a built-in schedule, as ReduceOnPlateau's current
    rate, as the lr a callable schedule is given. The rate in effect is logs["lr"].
Any other optimizer hyperparameter changed during fit raises (the loop would not see it).

Ground floor: pure Python and NumPy, no compiled core.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import numpy as np

from . import metrics as metric_fns
from .optim import Optimizer
from .schedules import LrSchedule, ReduceOnPlateau, Schedule
Callback = Callable[..., object]


def stops(result: object) -> bool:
    """A callback's answer: False (Python's or NumPy's) stops fit; None and True go on."""
    return isinstance(result, (bool, np.bool_)) and not result


def split_callbacks(callbacks: Optional[Iterable[object]],
                    fn: str) -> tuple[list[object], list[Callback], list[Callback]]:
    """(every callback object, epoch callbacks cb(epoch, logs) / obj.on_epoch_end,
    batch callbacks obj.on_batch_end(batch, logs))."""
    objects: list[object] = []
    epoch_cbs: list[Callback] = []
    batch_cbs: list[Callback] = []
    if callbacks is None:
        callbacks = ()
    try:
        items = list(callbacks)
    except TypeError:
        raise TypeError(f"{fn}: callbacks must be a list, got {callbacks!r}") from None
    for cb in items:
        hooks = [getattr(cb, name, None) for name in ("on_epoch_end", "on_batch_end",
                                                      "on_train_begin", "on_train_end")]
        if any(h is not None for h in hooks):
            objects.append(cb)
            if hooks[0] is not None:
                epoch_cbs.append(hooks[0])
            if hooks[1] is not None:
                batch_cbs.append(hooks[1])
        elif callable(cb):
            epoch_cbs.append(cb)
        else:
            raise TypeError(f"{fn}: callback {cb!r} is neither callable nor has "
                            "on_epoch_end(epoch, logs) / on_batch_end(batch, logs)")
    return objects, epoch_cbs, batch_cbs


def check_lr(value: object, fn: str, what: str) -> float:
    """A learning rate from a callable schedule or a callback: a finite number > 0."""
    ok = isinstance(value, (numbers.Real, np.floating, np.integer)) \
        and not isinstance(value, (bool, np.bool_))
    lr = float(value) if ok else math.nan  # type: ignore[arg-type]
    if not (ok and math.isfinite(lr) and lr > 0):
        raise ValueError(f"{fn}: {what} must be a finite number > 0, got {value!r}")
    return lr


class FitHooks:
    """One fit's epoch-boundary work. Loops call lr_for before each epoch, epoch_end after
    it (after their own History entries), batch_end with batch reports, and begin/end."""

    def __init__(self, model: Any, optimizer: Optimizer, lr_schedule: LrSchedule,
                 callbacks: Optional[Iterable[object]], metrics: Sequence[str], loss: str,
                 train: tuple[Any, Any], validation: Optional[tuple[Any, Any]],
                 fn: str = "fit") -> None:
        self.model, self.opt, self.schedule, self.fn = model, optimizer, lr_schedule, fn
        self.objects, self.epoch_cbs, self.batch_cbs = split_callbacks(callbacks, fn)
        self.metrics, self.loss = tuple(metrics), loss
        self.train, self.validation = train, validation
        self.base = optimizer.lr          # optimizer.lr as last seen
        self.current = optimizer.lr       # the rate of the last epoch (callable schedules)
        self.base_changed = False
        self.frozen = {k: v for k, v in optimizer.hyperparameters().items() if k != "lr"}
        # metric name → per-epoch values, for the History
        self.history: dict[str, list[float]] = {}

    @property
    def callable_schedule(self) -> bool:
        return self.schedule is not None and not isinstance(self.schedule, Schedule)

    @property
    def lr_can_change(self) -> bool:
        """Whether anything may change the rate during fit (else the loop needs no lr_for)."""
        return self.callable_schedule or bool(self.epoch_cbs or self.batch_cbs)

    def lr_for(self, epoch: int, lr: float) -> float:
        """The rate of epoch `epoch`, given the one the loop would use."""
        self._check_frozen()
        changed = self.opt.lr != self.base
        if changed:
            self.base = check_lr(self.opt.lr, self.fn, "optimizer.lr set during fit")
            self.current, self.base_changed = self.base, True
            if isinstance(self.schedule, ReduceOnPlateau):
                lr = self.base  # carried on by the loop: the plateau continues from it
        if self.callable_schedule:
            assert callable(self.schedule)
            self.current = check_lr(self.schedule(epoch, self.current), self.fn,
                                    f"lr_schedule({epoch}, {self.current!r})")
            return self.current
        if self.base_changed and not isinstance(self.schedule, ReduceOnPlateau):
            lr = (self.schedule.lr_at(epoch, self.base) if isinstance(self.schedule, Schedule)
                  else self.base)
        return float(lr)

    def _check_frozen(self) -> None:
        for name, value in self.opt.hyperparameters().items():
            if name != "lr" and value != self.frozen[name]:
                raise ValueError(f"{self.fn}: optimizer.{name} changed during fit "
                                 f"({self.frozen[name]!r} -> {value!r}); only lr takes effect "
                                 "mid-fit (from the next epoch). Change it between fits.")

    def begin(self) -> None:
        for cb in self.objects:
            if hasattr(cb, "set_model"):
                cb.set_model(self.model)
        for cb in self.objects:
            if hasattr(cb, "on_train_begin"):
                cb.on_train_begin({})

    def add_metrics(self, logs: dict[str, Any], train_out: Optional[Any],
                    val_out: Optional[Any]) -> None:
        """The metrics of an epoch, from the outputs the loop kept, into logs and history.
        A metric the loop logged itself (the core's accuracy) is kept as it is."""
        if not self.metrics:
            return
        values: dict[str, float] = {}
        if train_out is not None:
            values.update(metric_fns.compute(self.metrics, train_out, *self.train, self.loss))
        if val_out is not None and self.validation is not None:
            values.update(metric_fns.compute(self.metrics, val_out, *self.validation, self.loss,
                                             prefix="val_"))
        for k, v in values.items():
            v = float(logs.get(k, v))
            logs[k] = v
            self.history.setdefault(k, []).append(v)

    def epoch_end(self, epoch: int, logs: Mapping[str, Any]) -> bool:
        """Run the epoch callbacks; False when one of them stops fit."""
        keep_going = True
        for cb in self.epoch_cbs:
            if stops(cb(epoch, logs)):
                keep_going = False
        return keep_going

    def batch_end(self, batch: int, logs: Mapping[str, Any]) -> bool:
        keep_going = True
        for cb in self.batch_cbs:
            if stops(cb(batch, logs)):
                keep_going = False
        return keep_going

    def end(self, history: Any) -> None:
        """After the loop (also when it raised): metrics into the History, on_train_end,
        and an EarlyStopping callback's verdict."""
        if history is not None:
            for k, v in self.history.items():
                history.history[k] = v[:len(history.epoch)]
        for cb in self.objects:
            if hasattr(cb, "on_train_end"):
                cb.on_train_end({})
            if history is not None and getattr(cb, "stopped", False) and \
                    hasattr(cb, "best_epoch") and history.stop_reason in ("callback", "completed"):
                history.stop_reason = "early_stopping"
                history.best_epoch = cb.best_epoch
