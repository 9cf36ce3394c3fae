"""The training loop of docs/design.md, "Training", written out step by step.

The C++ core runs the same loop; with the same seed, optimizer and data both
produce the same parameter trajectory (up to rounding). The arguments are
checked by `nncore.fit_args`, shared with the native model.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Sequence, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..checks import FloatArray, LabelArray, positive_int
from ..fit_args import (GradientSpec, StoppingSpec, check_fit_arguments, check_step_arguments,
                        check_weights)
from ..fit_hooks import FitHooks
from ..history import History
from ..optim import Optimizer
from ..schedules import LrSchedule, ReduceOnPlateau, Schedule, ScheduleState
from ..shuffle import permutation
from .forward_gradient import estimate
from .optim import update

if TYPE_CHECKING:
    from .model import Sequential


def clip_by_global_norm(grads: FloatArray, clip_norm: float) -> None:
    """g ← g·min(1, c/‖g‖₂), ‖g‖₂ over ALL parameters (in place)."""
    norm = float(np.sqrt(np.sum(np.square(grads, dtype=np.float64))))
    if norm > clip_norm:  # min(1, c/‖g‖) < 1 exactly then (and ‖g‖ = 0 needs no care)
        grads *= clip_norm / norm


def _step(model: Sequential, X: FloatArray, Y: Optional[FloatArray], labels: Optional[LabelArray],
          loss: str, optimizer: Optimizer, l1: float, l2: float, lr: float,
          clip_norm: Optional[float], w: Optional[FloatArray] = None,
          keep_output: bool = False, gradient: GradientSpec = GradientSpec(),
          seed: int = 0, ids: Optional[NDArray[np.int64]] = None) -> float:
    """Steps 3 of the loop for one batch: gradient, clipping, optimizer update. Returns L
    (with keep_output, the batch's output before the update is model._batch_output).
    Dropout masks are those of step t + 1 (the step taken here) for the samples `ids`
    (their rows in fit's data; default 0..m−1).

    gradient="forward" | "perturbation": g estimated from forward passes only
    (reference.forward_gradient), with the tangents of step t (the optimizer's count).
    """
    state = model._optimizer_state(optimizer)
    grads: Optional[FloatArray]
    if gradient.kind == "backprop":
        rows = np.arange(X.shape[0], dtype=np.int64) if ids is None else ids
        value, grads = model._loss_and_grad(X, Y, labels, loss, l1, l2, want_grad=True, w=w,
                                            keep_output=keep_output,
                                            dropout=(int(state["t"]) + 1, rows))
    else:
        if keep_output:  # the outputs at θ, as the core keeps them from its primal pass
            model._loss_and_grad(X, Y, labels, loss, l1, l2, want_grad=False, w=w,
                                 keep_output=True)
        value, grads = estimate(model, X, Y, labels, loss, l1, l2, gradient, seed,
                                int(state["t"]), w)
    assert grads is not None  # want_grad=True always returns the gradient
    if clip_norm is not None:
        clip_by_global_norm(grads, clip_norm)
    update(optimizer, model._arena, grads, state, lr, model._weight_mask)
    return float(value)


def train_step(model: Sequential, X: ArrayLike, y: ArrayLike, loss: Optional[str] = None,
               optimizer: Optional[Optimizer] = None, l1: float = 0.0, l2: float = 0.0,
               lr: Optional[float] = None, clip_norm: Optional[float] = None,
               sample_weight: Optional[ArrayLike] = None, penalty_per_sample: bool = False
               ) -> float:
    """One step on one batch: (L, g) = loss_and_grad, optional clipping, then the optimizer
    with lr (default: the optimizer's lr). Returns L, measured before the step."""
    X, Y, labels, loss, optimizer, l1, l2, lr, clip_norm = check_step_arguments(
        model, X, y, loss, optimizer, l1, l2, lr, clip_norm)
    w, l1, l2 = check_weights(model, X, sample_weight, penalty_per_sample, l1, l2, "train_step")
    return _step(model, X, Y, labels, loss, optimizer, l1, l2, lr, clip_norm, w)


def fit(model: Sequential, X: ArrayLike, y: ArrayLike, loss: Optional[str] = None,
        optimizer: Optional[Optimizer] = None, epochs: int = 1, batch_size: int = 32,
        shuffle: bool = True, seed: Optional[int] = None, l1: float = 0.0, l2: float = 0.0,
        validation_data: Optional[Sequence[ArrayLike]] = None, validation_split: float = 0.0,
        lr_schedule: LrSchedule = None, clip_norm: Optional[float] = None,
        early_stopping: Union[None, int, StoppingSpec] = None,
        sample_weight: Optional[ArrayLike] = None, penalty_per_sample: bool = False,
        class_weight: Union[None, str, Mapping[Any, float]] = None,
        callbacks: Optional[Iterable[object]] = (),
        callback_every_batches: Optional[int] = None,
        metrics: Optional[Sequence[str]] = None,
        gradient: str = "backprop", tangents: Optional[int] = None,
        epsilon: Optional[float] = None) -> History:
    """Minibatch training (lecture "Training: Gradient Descent plus Tricks").

    Epochs are numbered on from earlier fits of the model: E = epochs done before
    this call (as nncore.Sequential). Per epoch e = E, E+1, …, E+epochs−1:
      1. lr_e from lr_schedule (from the optimizer's base lr), else the base lr; then
         nncore.fit_hooks: a callable lr_schedule, or optimizer.lr changed by a callback.
      2. Row order perm = nncore.shuffle.permutation(seed, e, n) if shuffle, else
         0..n−1; seed=None means the model's seed. Batches are consecutive
         slices of perm of batch_size rows; the last may be smaller.
      3. Per batch b: (L_b, g) = loss_and_grad(batch) including the l1/l2 penalty
         (sample weights: L_b = Σ wᵢ·lossᵢ / Σ_b w + penalty; penalty_per_sample: the
         penalty's λ divided by Σ_b w, the batch's rows when unweighted);
         if clip_norm = c: g ← g·min(1, c/‖g‖₂); optimizer step with lr_e
         (its step counter t += 1).
      4. Epoch loss = Σ_b L_b·m_b / n (m_b the batch size). With validation data:
         val_loss = L (penalty included) on the whole validation set, weighted by its
         sample weights (validation_data's third element, or the held-out rows'
         share of sample_weight with validation_split).
      5. The monitored loss (val_loss if validating, else loss) goes to
         ReduceOnPlateau and to early stopping: stop once it has not fallen
         below best − min_delta for `patience` epochs; restore_best puts back the
         weights of the best epoch at the end.
      6. The metrics (from each batch's output before its update, and the validation
         outputs), then the callbacks cb(e, logs); one returning False stops.
    gradient="forward" | "perturbation" (tangents=k, epsilon=ε): in 3., g is the
    estimate of reference.forward_gradient.estimate from the k tangents
    nncore.tangents.tangent(seed, t, j), t the optimizer's step count before the step.
    The optimizer state (m, v, t) carries over to later fit/train_step calls
    with the same optimizer object; a different one starts from zero.
    """
    a = check_fit_arguments(model, X, y, loss, optimizer, epochs, batch_size, shuffle, seed, l1,
                            l2, validation_data, validation_split, lr_schedule, clip_norm,
                            early_stopping, sample_weight=sample_weight,
                            penalty_per_sample=penalty_per_sample, class_weight=class_weight,
                            metrics=metrics, gradient=gradient, tangents=tangents,
                            epsilon=epsilon)
    X, Y, labels, loss, l1, l2, w = a.X, a.Y, a.labels, a.loss, a.l1, a.l2, a.w
    optimizer, epochs, batch_size, shuffle, seed = (a.optimizer, a.epochs, a.batch_size,
                                                    a.shuffle, a.seed)
    lr_schedule, clip_norm, stopping, validation = (a.lr_schedule, a.clip_norm, a.stopping,
                                                    a.validation)
    schedule = lr_schedule if isinstance(lr_schedule, Schedule) else None
    every = (None if callback_every_batches is None else
             positive_int(callback_every_batches, "fit", "callback_every_batches"))
    hooks = FitHooks(model, optimizer, lr_schedule, [*(callbacks or ()), *a.extra_callbacks],
                     a.metrics, loss, (Y, labels),
                     None if validation is None else (validation[1], validation[2]))
    keep = bool(a.metrics)

    n = X.shape[0]
    first_epoch = model._epochs_done
    base_lr = optimizer.lr
    schedule_state: ScheduleState = {}
    history = History(validation is not None)
    best_params: Optional[FloatArray]
    best_loss, wait, best_params = float("inf"), 0, None
    outputs = np.empty((n, model.n_outputs), model.dtype) if keep else None
    batches_seen, t_start = 0, time.perf_counter()
    hooks.begin()
    try:
        for e in range(first_epoch, first_epoch + epochs):
            # 1. this epoch's learning rate
            lr = base_lr if schedule is None else schedule.lr_at(e, base_lr, schedule_state)
            lr = hooks.lr_for(e, lr)
            if isinstance(schedule, ReduceOnPlateau):
                schedule_state["lr"] = lr  # the plateau carries on from the rate in effect
            # 2. row order
            order = permutation(seed, e, n) if shuffle else np.arange(n)
            # 3. one optimizer step per batch
            total, stop = 0.0, ""
            for start in range(0, n, batch_size):
                rows = order[start:start + batch_size]
                Yb = None if Y is None else Y[rows]
                lb = None if labels is None else labels[rows]
                wb = None if w is None else w[rows]
                l1b, l2b = l1, l2
                if a.penalty_per_sample:
                    total_w = rows.shape[0] if wb is None else float(np.sum(wb, dtype=np.float64))
                    l1b, l2b = l1 / total_w, l2 / total_w
                value = _step(model, X[rows], Yb, lb, loss, optimizer, l1b, l2b, lr, clip_norm,
                              wb, keep_output=keep, gradient=a.gradient, seed=seed, ids=rows)
                if outputs is not None:
                    outputs[rows] = model._batch_output
                total += value * rows.shape[0]
                batches_seen += 1
                if every and batches_seen % every == 0 and not hooks.batch_end(
                        start // batch_size, {"epoch": e, "batch": start // batch_size,
                                              "size": rows.shape[0], "loss": value}):
                    stop = "callback"
                    break
            if stop and start + batch_size < n:
                history.stop_reason = stop
                break  # stopped mid-epoch: that epoch is not recorded (as the core)
            model._epochs_done += 1
            # 4. epoch metrics
            history.epoch.append(e)
            history.history["lr"].append(float(lr))
            history.history["loss"].append(total / n)
            logs: dict[str, Any] = {"epoch": e, "loss": total / n, "lr": float(lr)}
            monitored = total / n
            val_out = None
            if validation is not None:
                # weighted by the validation rows' sample weights, when they have them
                n_val = validation[0].shape[0] if a.val_w is None else float(
                    np.sum(a.val_w, dtype=np.float64))
                vl1, vl2 = (l1 / n_val, l2 / n_val) if a.penalty_per_sample else (l1, l2)
                val_loss = float(model._loss_and_grad(*validation, loss, vl1, vl2,
                                                      want_grad=False, w=a.val_w,
                                                      keep_output=keep)[0])
                val_out = model._batch_output if keep else None
                history.history["val_loss"].append(val_loss)
                logs["val_loss"] = monitored = val_loss
            logs["time"] = time.perf_counter() - t_start  # in logs only: History stays exact
            # 5. the schedule and early stopping see the monitored loss
            if schedule is not None:
                schedule.end_epoch(monitored, schedule_state)
            if stopping is not None:
                patience, min_delta, restore_best = stopping
                if monitored < best_loss - min_delta:
                    best_loss, wait, history.best_epoch = monitored, 0, e
                    if restore_best:
                        best_params = model.get_flat_parameters()
                else:
                    wait += 1
                    if wait >= patience:
                        stop = "early_stopping"
            # 6. metrics and callbacks
            hooks.add_metrics(logs, outputs, val_out)
            if not hooks.epoch_end(e, logs) and not stop:
                stop = "callback"
            if stop:
                history.stop_reason = stop
                break
        if best_params is not None:
            model.set_flat_parameters(best_params)
    finally:
        hooks.end(history)
    return history
