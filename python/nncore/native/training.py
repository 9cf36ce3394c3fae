"""fit / train_step / evaluate for `nncore.Sequential`: validate, then one native call.

The loop itself (docs/design.md, "Training") runs in C++ (cpp/src/trainer.cpp)
with the GIL released; it calls back into Python only to report an epoch
(progress bar, callbacks) and, every ~50 ms, to check for Ctrl-C.
The optimizer and schedule specs are shared with `nncore.reference`.
"""
from __future__ import annotations


import numpy as np

from .._core import (FitConfig, LossKind, MomentumForm, OptimizerConfig, OptimizerKind,
                     ScheduleConfig, ScheduleKind)
from .._core import evaluate as core_evaluate
from .._core import fit as core_fit
from .._core import train_step as core_train_step
from ..checks import check_sample_weight, positive_int
from ..fit_args import check_fit_arguments, check_step_arguments, check_weights, default_loss
from ..history import History
from ..progress import check_verbose, progress_for


def optimizer_config(opt):
    c = OptimizerConfig()
    c.kind = OptimizerKind.__members__[opt.kind]
    c.gamma = opt.beta1 if opt.kind == "adam" else opt.gamma
    c.beta2 = opt.beta2
    c.eps = opt.eps
    c.form = MomentumForm.__members__[opt.form]
    c.eps_inside = opt.eps_inside
    c.weight_decay = opt.weight_decay
    return c


def schedule_config(s):
    c = ScheduleConfig()
    if s is None:
        return c
    c.kind = ScheduleKind.__members__[s.kind]
    c.step_size, c.gamma, c.t_max = s.step_size, s.gamma, s.t_max
    c.min_lr, c.factor, c.patience, c.threshold = s.min_lr, s.factor, s.patience, s.threshold
    return c


def _fit_config(model, loss, l1, l2):
    c = FitConfig()
    c.loss, c.l1, c.l2 = LossKind.__members__[loss], l1, l2
    return c


def _split_callbacks(callbacks, fn):
    """Epoch callbacks (cb(epoch, logs) or obj.on_epoch_end) and batch callbacks
    (obj.on_batch_end(batch, logs)); returning False from either stops fit."""
    epoch_cbs, batch_cbs = [], []
    for cb in callbacks or ():
        if hasattr(cb, "on_epoch_end") or hasattr(cb, "on_batch_end"):
            if hasattr(cb, "on_epoch_end"):
                epoch_cbs.append(cb.on_epoch_end)
            if hasattr(cb, "on_batch_end"):
                batch_cbs.append(cb.on_batch_end)
        elif callable(cb):
            epoch_cbs.append(cb)
        else:
            raise TypeError(f"{fn}: callback {cb!r} is neither callable nor has "
                            "on_epoch_end(epoch, logs) / on_batch_end(batch, logs)")
    return epoch_cbs, batch_cbs


def fit(model, X, y, loss=None, optimizer=None, epochs=1, batch_size=32, shuffle=True,
        seed=None, l1=0.0, l2=0.0, validation_data=None, validation_split=0.0,
        lr_schedule=None, clip_norm=None, early_stopping=None, callbacks=(), verbose="auto",
        callback_every_batches=None, sample_weight=None, penalty_per_sample=False):
    a = check_fit_arguments(model, X, y, loss, optimizer, epochs, batch_size, shuffle, seed, l1,
                            l2, validation_data, validation_split, lr_schedule, clip_norm,
                            early_stopping, sample_weight=sample_weight,
                            penalty_per_sample=penalty_per_sample)
    X, Y, labels, loss, optimizer, val = a.X, a.Y, a.labels, a.loss, a.optimizer, a.validation
    cbs, batch_cbs = _split_callbacks(callbacks, "fit")
    if callback_every_batches is not None:
        callback_every_batches = positive_int(callback_every_batches, "fit",
                                               "callback_every_batches")
    verbose = check_verbose(verbose, "fit")

    previous = model._opt
    st = model._optimizer_state(optimizer)
    t0 = st["t"]
    batches_per_epoch = -(-X.shape[0] // a.batch_size)
    cfg = _fit_config(model, loss, a.l1, a.l2)
    cfg.epochs, cfg.batch_size, cfg.shuffle, cfg.seed = a.epochs, a.batch_size, a.shuffle, a.seed
    cfg.first_epoch = model._epochs_done
    cfg.lr = optimizer.lr
    cfg.clip_norm = a.clip_norm or 0.0
    cfg.penalty_per_weight = a.penalty_per_sample
    cfg.schedule = schedule_config(a.lr_schedule)
    if a.stopping is not None:
        cfg.patience, cfg.min_delta, cfg.restore_best = a.stopping
    bar = progress_for(verbose, a.epochs, model._epochs_done, X.shape[0])
    cfg.report_seconds = 0.1 if verbose == 1 else 0.0
    cfg.report_every_epochs = 1 if cbs or verbose == 2 else 0
    # Batch callbacks only when asked: otherwise the loop never enters Python mid-epoch.
    on_batch = None
    if batch_cbs and callback_every_batches:
        cfg.report_every_batches = callback_every_batches

        def on_batch(logs):
            # The epoch in progress is not done; t counts every step taken so far.
            done = logs["epoch"] - cfg.first_epoch
            st["t"] = t0 + done * batches_per_epoch + logs["batch"] + 1
            model._epochs_done = logs["epoch"]
            keep_going = True
            for cb in batch_cbs:
                if _stops(cb(logs["batch"], logs)):
                    keep_going = False
            return keep_going

    def on_report(raw_logs):
        logs = _epoch_logs(raw_logs)
        # Written back before any callback runs: a checkpoint saved there is the
        # state after this epoch (m, v and the weights are the core's own buffers).
        st["t"] = t0 + (logs["epoch"] + 1 - cfg.first_epoch) * batches_per_epoch
        model._epochs_done = logs["epoch"] + 1
        if bar:
            bar.update(logs)
        keep_going = True
        for cb in cbs:
            if _stops(cb(logs["epoch"], logs)):
                keep_going = False
        return keep_going

    Xv, Yv, lv = val if val is not None else (None, None, None)
    report = on_report if (bar or cbs) else None
    try:
        raw, st["t"], error = core_fit(model._net, X, Y, labels, Xv, Yv, lv, cfg,
                                        optimizer_config(optimizer), st["m"], st["v"], t0,
                                        report, True, on_batch, a.w)
    except BaseException:
        if st is not previous:  # the core refused before a step: keep the old state
            model._opt = previous
        model._epochs_done = cfg.first_epoch
        raise
    finally:
        if bar:
            bar.close()
    hist = _history(raw, val is not None, loss, cfg.first_epoch)
    model._epochs_done = cfg.first_epoch + raw["epochs_run"]
    model.history_ = hist
    if error is not None:
        raise error  # Ctrl-C or an exception in a callback; the weights are valid
    if raw["stop_reason"] == "non_finite":
        raise FloatingPointError(
            f"fit: the loss or an update became non-finite in epoch "
            f"{cfg.first_epoch + raw['epochs_run']}; training stopped and the weights were left "
            "at their last finite values (lower the learning rate, add clip_norm=..., or scale X)")
    return hist


def _stops(result):
    """A callback's answer: False (Python's or NumPy's) stops fit; None and True go on."""
    return isinstance(result, (bool, np.bool_)) and not result


def _epoch_logs(raw):
    """The core's epoch report with History's names (accuracy, val_accuracy, time)."""
    names = {"metric": "accuracy", "val_metric": "val_accuracy", "seconds": "time"}
    return {names.get(k, k): v for k, v in raw.items()}


def _history(raw, has_val, loss, first_epoch):
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


def train_step(model, X, y, loss=None, optimizer=None, l1=0.0, l2=0.0, lr=None, clip_norm=None,
               sample_weight=None, penalty_per_sample=False):
    X, Y, labels, loss, optimizer, l1, l2, lr, clip_norm = check_step_arguments(
        model, X, y, loss, optimizer, l1, l2, lr, clip_norm)
    w, l1, l2 = check_weights(model, X, sample_weight, penalty_per_sample, l1, l2, "train_step")
    previous = model._opt
    st = model._optimizer_state(optimizer)
    cfg = _fit_config(model, loss, l1, l2)
    cfg.clip_norm = clip_norm or 0.0
    try:
        value, st["t"] = core_train_step(model._net, X, Y, labels, cfg,
                                          optimizer_config(optimizer), st["m"], st["v"],
                                          st["t"], lr, w)
    except ValueError as e:  # the core's domain_error: weights and state unchanged
        model._opt = previous
        raise FloatingPointError(str(e)) from None
    return value


def evaluate(model, X, y, loss=None, l1=0.0, l2=0.0, sample_weight=None):
    """{"loss": L, ...} plus "accuracy" (bce/ce) or "mse" and "r2" (regression); the loss is
    weighted by sample_weight (accuracy, mse and r2 are not)."""
    fn = "evaluate"
    loss = default_loss(model) if loss is None else loss
    X, Y, labels, loss, l1, l2 = model._check_targets(X, y, loss, l1, l2, fn)
    w = check_sample_weight(sample_weight, X.shape[0], model.dtype, fn)
    value, metric = core_evaluate(model._net, X, Y, labels, LossKind.__members__[loss], l1, l2,
                                  w)
    out = {"loss": float(value)}
    if loss in ("bce", "ce"):
        out["accuracy"] = float(metric)
    else:
        pred = model.predict(X).astype(np.float64)
        Yd = Y.astype(np.float64)
        out["mse"] = float(np.mean((pred - Yd) ** 2))
        ss_tot = np.sum((Yd - Yd.mean(axis=0)) ** 2, axis=0)
        ss_res = np.sum((Yd - pred) ** 2, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1 - ss_res / ss_tot, 0.0)
        out["r2"] = float(np.mean(r2))
    return out
