"""fit / train_step / evaluate for `nncore.Sequential`: validate, then one native call.

The loop itself (docs/design.md, "Training") runs in C++ (cpp/src/trainer.cpp)
with the GIL released; it calls back into Python only to report an epoch
(progress bar, callbacks) and, every ~50 ms, to check for Ctrl-C.
The optimizer and schedule specs are shared with `nncore.reference`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional, Sequence, Union

import numpy as np
from numpy.typing import ArrayLike

from .._core import (FitConfig, GradientKind, LossKind, MomentumForm, OptimizerConfig,
                     OptimizerKind, ScheduleConfig, ScheduleKind)
from .._core import evaluate as core_evaluate
from .._core import fit as core_fit
from .._core import train_step as core_train_step
from ..checks import check_sample_weight, positive_int
from ..fit_args import check_fit_arguments, check_step_arguments, check_weights, default_loss
from ..fit_hooks import FitHooks
from ..history import History
from ..metrics import check_metrics, compute
from ..optim import Optimizer
from ..progress import check_verbose, progress_for
from ..schedules import LrSchedule, Schedule

if TYPE_CHECKING:
    from ..fit_args import StoppingSpec
    from .model import Sequential

def optimizer_config(opt: Optimizer) -> OptimizerConfig:
    c = OptimizerConfig()
    c.kind = OptimizerKind.__members__[opt.kind]
    c.gamma = opt.beta1 if opt.kind == "adam" else opt.gamma
    c.beta2 = opt.beta2
    c.eps = opt.eps
    c.form = MomentumForm.__members__[opt.form]
    c.eps_inside = opt.eps_inside
    c.weight_decay = opt.weight_decay
    return c


def schedule_config(s: Optional[Schedule]) -> ScheduleConfig:
    c = ScheduleConfig()
    if s is None:
        return c
    c.kind = ScheduleKind.__members__[s.kind]
    c.step_size, c.gamma, c.t_max = s.step_size, s.gamma, s.t_max
    c.min_lr, c.factor, c.patience, c.threshold = s.min_lr, s.factor, s.patience, s.threshold
    return c


def _fit_config(model: Sequential, loss: str, l1: float, l2: float) -> FitConfig:
    c = FitConfig()
    c.loss, c.l1, c.l2 = LossKind.__members__[loss], l1, l2
    c.dropout_seed = model.seed  # Dropout masks: (model seed, step t, layer, row, unit)
    return c


def fit(model: Sequential, X: ArrayLike, y: ArrayLike, loss: Optional[str] = None,
        optimizer: Optional[Optimizer] = None, epochs: int = 1, batch_size: int = 32,
        shuffle: bool = True, seed: Optional[int] = None, l1: float = 0.0, l2: float = 0.0,
        validation_data: Optional[Sequence[ArrayLike]] = None, validation_split: float = 0.0,
        lr_schedule: LrSchedule = None, clip_norm: Optional[float] = None,
        early_stopping: Union[None, int, StoppingSpec] = None,
        callbacks: Optional[Iterable[object]] = (), verbose: object = "auto",
        callback_every_batches: Optional[int] = None, sample_weight: Optional[ArrayLike] = None,
        penalty_per_sample: bool = False,
        class_weight: Union[None, str, Mapping[Any, float]] = None,
        metrics: Optional[Sequence[str]] = None,
        gradient: str = "backprop", tangents: Optional[int] = None,
        epsilon: Optional[float] = None) -> History:
    a = check_fit_arguments(model, X, y, loss, optimizer, epochs, batch_size, shuffle, seed, l1,
                            l2, validation_data, validation_split, lr_schedule, clip_norm,
                            early_stopping, sample_weight=sample_weight,
                            penalty_per_sample=penalty_per_sample, class_weight=class_weight,
                            metrics=metrics, gradient=gradient, tangents=tangents,
                            epsilon=epsilon)
    X, Y, labels, loss_name, opt, val = a.X, a.Y, a.labels, a.loss, a.optimizer, a.validation
    hooks = FitHooks(model, opt, a.lr_schedule, [*(callbacks or ()), *a.extra_callbacks],
                     a.metrics, loss_name, (Y, labels),
                     None if val is None else (val[1], val[2]))
    if callback_every_batches is not None:
        callback_every_batches = positive_int(callback_every_batches, "fit",
                                               "callback_every_batches")
    verbose = check_verbose(verbose, "fit")

    previous = model._opt
    st = model._optimizer_state(opt)
    t0 = st["t"]
    batches_per_epoch = -(-X.shape[0] // a.batch_size)
    cfg = _fit_config(model, loss_name, a.l1, a.l2)
    cfg.epochs, cfg.batch_size, cfg.shuffle, cfg.seed = a.epochs, a.batch_size, a.shuffle, a.seed
    cfg.first_epoch = model._epochs_done
    cfg.lr = opt.lr
    cfg.clip_norm = a.clip_norm or 0.0
    cfg.penalty_per_weight = a.penalty_per_sample
    cfg.schedule = schedule_config(a.lr_schedule if isinstance(a.lr_schedule, Schedule) else None)
    cfg.gradient = GradientKind.__members__[a.gradient.kind]
    cfg.tangents, cfg.epsilon = a.gradient.tangents, a.gradient.epsilon
    if a.stopping is not None:
        cfg.patience, cfg.min_delta, cfg.restore_best = a.stopping
    bar = progress_for(verbose, a.epochs, model._epochs_done, X.shape[0])
    cfg.report_seconds = 0.1 if verbose == 1 else 0.0
    every_epoch = bool(hooks.epoch_cbs or a.metrics) or verbose == 2
    cfg.report_every_epochs = 1 if every_epoch else 0
    # The epoch's outputs, kept by the core for the metrics (one buffer per fit).
    outputs = np.empty((X.shape[0], model.n_outputs), model.dtype) if a.metrics else None
    val_outputs = (np.empty((val[0].shape[0], model.n_outputs), model.dtype)
                   if a.metrics and val is not None else None)
    # Batch callbacks only when asked: otherwise the loop never enters Python mid-epoch.
    on_batch: Optional[Callable[[Mapping[str, Any]], bool]] = None
    if hooks.batch_cbs and callback_every_batches:
        cfg.report_every_batches = callback_every_batches

        def batch_report(logs: Mapping[str, Any]) -> bool:
            # The epoch in progress is not done; t counts every step taken so far.
            done = logs["epoch"] - cfg.first_epoch
            st["t"] = t0 + done * batches_per_epoch + logs["batch"] + 1
            model._epochs_done = logs["epoch"]
            return hooks.batch_end(logs["batch"], logs)

        on_batch = batch_report

    def on_report(raw_logs: Mapping[str, Any]) -> bool:
        logs = _epoch_logs(raw_logs)
        # Written back before any callback runs: a checkpoint saved there is the
        # state after this epoch (m, v and the weights are the core's own buffers).
        st["t"] = t0 + (logs["epoch"] + 1 - cfg.first_epoch) * batches_per_epoch
        model._epochs_done = logs["epoch"] + 1
        hooks.add_metrics(logs, outputs, val_outputs)
        if bar:
            bar.update(logs)
        return hooks.epoch_end(logs["epoch"], logs)

    Xv, Yv, lv = val if val is not None else (None, None, None)
    report = on_report if (bar or every_epoch) else None
    hist: Optional[History] = None
    try:
        hooks.begin()
        raw, st["t"], error = core_fit(model._net, X, Y, labels, Xv, Yv, lv, cfg,
                                        optimizer_config(opt), st["m"], st["v"], t0,
                                        report, True, on_batch, a.w,
                                        hooks.lr_for if hooks.lr_can_change else None,
                                        outputs, val_outputs, a.val_w)
        hist = _history(raw, val is not None, loss_name, cfg.first_epoch)
        model._epochs_done = cfg.first_epoch + raw["epochs_run"]
        model.history_ = hist
    except BaseException:
        if st is not previous:  # the core refused before a step: keep the old state
            model._opt = previous
        model._epochs_done = cfg.first_epoch
        raise
    finally:
        try:
            hooks.end(hist)
        finally:
            if bar:
                bar.close()
    if error is not None:
        raise error  # Ctrl-C or an exception in a callback; the weights are valid
    if raw["stop_reason"] == "non_finite":
        raise FloatingPointError(
            f"fit: the loss or an update became non-finite in epoch "
            f"{cfg.first_epoch + raw['epochs_run']}; training stopped and the weights were left "
            "at their last finite values (lower the learning rate, add clip_norm=..., or scale X)")
    return hist


def _epoch_logs(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The core's epoch report with History's names (accuracy, val_accuracy, time)."""
    names = {"metric": "accuracy", "val_metric": "val_accuracy", "seconds": "time"}
    return {names.get(k, k): v for k, v in raw.items()}


def _history(raw: Mapping[str, Any], has_val: bool, loss: str, first_epoch: int) -> History:
    h = History(has_val)
    n = raw["epochs_run"]
    h.epoch = list(range(first_epoch, first_epoch + n))
    h.history["loss"] = raw["loss"]
    h.history["lr"] = raw["lr"]
    h.history["time"] = raw["seconds"]
    if has_val:
        h.history["val_loss"] = raw["val_loss"]
    if loss in ("bce", "ce"):
        h.history["accuracy"] = raw["metric"]
        if has_val:
            h.history["val_accuracy"] = raw["val_metric"]
    h.stop_reason = raw["stop_reason"] or "completed"
    h.best_epoch = raw["best_epoch"] if raw["best_epoch"] >= 0 else None
    return h


def train_step(model: Sequential, X: ArrayLike, y: ArrayLike, loss: Optional[str] = None,
               optimizer: Optional[Optimizer] = None, l1: float = 0.0, l2: float = 0.0,
               lr: Optional[float] = None, clip_norm: Optional[float] = None,
               sample_weight: Optional[ArrayLike] = None,
               penalty_per_sample: bool = False) -> float:
    Xc, Y, labels, loss_name, opt, l1, l2, step_lr, clip = check_step_arguments(
        model, X, y, loss, optimizer, l1, l2, lr, clip_norm)
    w, l1, l2 = check_weights(model, Xc, sample_weight, penalty_per_sample, l1, l2, "train_step")
    previous = model._opt
    st = model._optimizer_state(opt)
    cfg = _fit_config(model, loss_name, l1, l2)
    cfg.clip_norm = clip or 0.0
    try:
        value, st["t"] = core_train_step(model._net, Xc, Y, labels, cfg, optimizer_config(opt),
                                          st["m"], st["v"], st["t"], step_lr, w)
    except ValueError as e:  # the core's domain_error: weights and state unchanged
        model._opt = previous
        raise FloatingPointError(str(e)) from None
    return float(value)


def evaluate(model: Sequential, X: ArrayLike, y: ArrayLike, loss: Optional[str] = None,
             l1: float = 0.0, l2: float = 0.0, sample_weight: Optional[ArrayLike] = None,
             metrics: Optional[Sequence[str]] = None) -> dict[str, float]:
    """{"loss": L, ...} plus "accuracy" (bce/ce) or "mse" and "r2" (regression), and the
    metrics= (nncore.metrics); the loss is weighted by sample_weight, the metrics are not."""
    fn = "evaluate"
    Xc, Y, labels, loss_name, l1, l2 = model._check_targets(
        X, y, default_loss(model) if loss is None else loss, l1, l2, fn)
    w = check_sample_weight(sample_weight, Xc.shape[0], model.dtype, fn)
    names = check_metrics(metrics, loss_name, model.n_outputs, fn)
    h = np.empty((Xc.shape[0], model.n_outputs), model.dtype)
    value, metric = core_evaluate(model._net, Xc, Y, labels, LossKind.__members__[loss_name],
                                  l1, l2, w, h)
    out = {"loss": float(value)}
    if loss_name in ("bce", "ce"):
        out["accuracy"] = float(metric)
    else:
        out.update(compute(("mse", "r2"), h, Y, labels, loss_name))
    out.update(compute([n for n in names if n not in out], h, Y, labels, loss_name))
    return out
