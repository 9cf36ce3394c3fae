"""The training loop of docs/design.md, "Training", written out step by step.

The C++ core runs the same loop; with the same seed, optimizer and data both
produce the same parameter trajectory (up to rounding).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .._validation import check_X, check_y
from ..shuffle import permutation
from .optim import Optimizer
from .schedules import Schedule


class History:
    """What `fit` returns: `history` = {"loss": [...], "val_loss": [...], "lr": [...]}, one
    entry per epoch ("val_loss" only with validation data); `epoch` = [0, 1, ...]."""

    def __init__(self, validation):
        self.history = {"loss": [], "lr": []}
        if validation:
            self.history["val_loss"] = []
        self.epoch = []
        self.stop_reason = "completed"   # or "early_stopping"
        self.best_epoch = None           # with early_stopping: the epoch of the best loss

    def __repr__(self):
        last = {k: v[-1] for k, v in self.history.items() if v}
        return f"History(epochs={len(self.epoch)}, last={last})"


def default_loss(model):
    """bce after a final Sigmoid, ce after a final Softmax, mse otherwise."""
    return {"sigmoid": "bce", "softmax": "ce"}.get(model.layers[-1].kind, "mse")


def _choose_optimizer(model, optimizer, fn):
    """optimizer=None: the one used last on this model, else Adam() (as nncore.Sequential)."""
    if optimizer is None:
        from .optim import Adam
        last = model._last_optimizer()
        optimizer = last if last is not None else Adam()
    return _check_optimizer(optimizer, fn)


def _check_optimizer(optimizer, fn):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{fn}: optimizer must be an optimizer such as nncore.SGD(lr=0.1) or "
                        f"nncore.Adam(), got {optimizer!r}")
    return optimizer


def _positive_int(value, fn, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{fn}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _positive_float(value, fn, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{fn}: {name} must be a finite number > 0, got {value!r}")
    return float(value)


def clip_by_global_norm(grads, clip_norm):
    """g ← g·min(1, c/‖g‖₂), ‖g‖₂ over ALL parameters (in place)."""
    norm = float(np.sqrt(np.sum(np.square(grads, dtype=np.float64))))
    if norm > clip_norm:  # min(1, c/‖g‖) < 1 exactly then (and ‖g‖ = 0 needs no care)
        grads *= clip_norm / norm


def _check_early_stopping(early_stopping, fn):
    """None, an int patience, or an object with patience, min_delta, restore_best
    (nncore.EarlyStopping). Returns (patience, min_delta, restore_best) or None."""
    if early_stopping is None:
        return None
    if isinstance(early_stopping, numbers.Integral) and not isinstance(early_stopping, bool):
        return _positive_int(early_stopping, fn, "early_stopping"), 0.0, True
    try:
        return (_positive_int(early_stopping.patience, fn, "early_stopping.patience"),
                float(early_stopping.min_delta), bool(early_stopping.restore_best))
    except AttributeError:
        raise TypeError(f"{fn}: early_stopping must be None, an int patience or "
                        f"nncore.EarlyStopping(...), got {early_stopping!r}") from None


def _split_validation(X, Y, labels, validation_split, fn):
    """The last round(n·split) rows, before any shuffling (as Keras)."""
    if not isinstance(validation_split, numbers.Real) or not 0 < validation_split < 1:
        raise ValueError(f"{fn}: validation_split must be in (0, 1), got {validation_split!r}")
    n = X.shape[0]
    n_val = int(round(n * validation_split))
    if n_val < 1 or n_val >= n:
        raise ValueError(f"{fn}: validation_split={validation_split} leaves "
                         f"{n_val} of {n} samples for validation")
    cut = n - n_val
    rows = lambda a, sl: None if a is None else a[sl]  # noqa: E731
    train = (X[:cut], rows(Y, slice(None, cut)), rows(labels, slice(None, cut)))
    val = (X[cut:], rows(Y, slice(cut, None)), rows(labels, slice(cut, None)))
    return train, val


def _step(model, X, Y, labels, loss, optimizer, l1, l2, lr, clip_norm):
    """Steps 3 of the loop for one batch: gradient, clipping, optimizer update. Returns L."""
    value, grads = model._loss_and_grad(X, Y, labels, loss, l1, l2, want_grad=True)
    if clip_norm is not None:
        clip_by_global_norm(grads, clip_norm)
    optimizer.update(model._arena, grads, model._optimizer_state(optimizer), lr,
                     model._weight_mask)
    return float(value)


def train_step(model, X, y, loss=None, optimizer=None, l1=0.0, l2=0.0, lr=None, clip_norm=None):
    """One step on one batch: (L, g) = loss_and_grad, optional clipping, then the optimizer
    with lr (default: the optimizer's lr). Returns L, measured before the step."""
    X, Y, labels, loss, optimizer, l1, l2, lr, clip_norm = check_step_arguments(
        model, X, y, loss, optimizer, l1, l2, lr, clip_norm)
    return _step(model, X, Y, labels, loss, optimizer, l1, l2, lr, clip_norm)


def check_step_arguments(model, X, y, loss, optimizer, l1, l2, lr, clip_norm, fn="train_step"):
    """train_step's arguments, checked once (shared by nncore and the reference)."""
    loss = default_loss(model) if loss is None else loss
    X, Y, labels, loss, l1, l2 = model._check_targets(X, y, loss, l1, l2, fn)
    model._check_differentiable(fn)
    optimizer = _choose_optimizer(model, optimizer, fn)
    lr = optimizer.lr if lr is None else _positive_float(lr, fn, "lr")
    if clip_norm is not None:
        clip_norm = _positive_float(clip_norm, fn, "clip_norm")
    return X, Y, labels, loss, optimizer, l1, l2, lr, clip_norm


@dataclass
class FitArguments:
    """fit's arguments, checked and converted (shared by nncore and the reference)."""
    X: np.ndarray
    Y: object
    labels: object
    loss: str
    l1: float
    l2: float
    optimizer: Optimizer
    epochs: int
    batch_size: int
    shuffle: bool
    seed: int
    lr_schedule: object
    clip_norm: object
    stopping: object      # None or (patience, min_delta, restore_best)
    validation: object    # None or (X_val, Y_val, labels_val)


def check_fit_arguments(model, X, y, loss, optimizer, epochs, batch_size, shuffle, seed, l1, l2,
                        validation_data, validation_split, lr_schedule, clip_norm,
                        early_stopping, fn="fit"):
    """Validate every argument of fit once; errors name `fn` and the argument."""
    loss = default_loss(model) if loss is None else loss
    X, Y, labels, loss, l1, l2 = model._check_targets(X, y, loss, l1, l2, fn)
    model._check_differentiable(fn)
    optimizer = _choose_optimizer(model, optimizer, fn)
    epochs = _positive_int(epochs, fn, "epochs")
    batch_size = _positive_int(batch_size, fn, "batch_size")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"{fn}: shuffle must be True or False, got {shuffle!r}")
    if seed is None:
        seed = model.seed
    elif isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{fn}: seed must be None or a non-negative integer, got {seed!r}")
    if clip_norm is not None:
        clip_norm = _positive_float(clip_norm, fn, "clip_norm")
    if lr_schedule is not None and not isinstance(lr_schedule, Schedule):
        raise TypeError(f"{fn}: lr_schedule must be None or a schedule such as "
                        f"nncore.StepDecay(step_size=10), got {lr_schedule!r}")
    stopping = _check_early_stopping(early_stopping, fn)
    validation = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError(f"{fn}: validation_data must be a pair (X_val, y_val)")
        vfn = "fit: validation_data"
        Xv = check_X(validation_data[0], model.n_features, model.dtype, vfn)
        validation = (Xv, *check_y(validation_data[1], Xv.shape[0], model.n_outputs, loss,
                                   model.dtype, vfn))
    elif validation_split:
        (X, Y, labels), validation = _split_validation(X, Y, labels, validation_split, fn)

    return FitArguments(X, Y, labels, loss, l1, l2, optimizer, epochs, batch_size, bool(shuffle),
                        int(seed), lr_schedule, clip_norm, stopping, validation)


def fit(model, X, y, loss=None, optimizer=None, epochs=1, batch_size=32, shuffle=True,
        seed=None, l1=0.0, l2=0.0, validation_data=None, validation_split=0.0,
        lr_schedule=None, clip_norm=None, early_stopping=None):
    """Minibatch training (lecture "Training: Gradient Descent plus Tricks").

    Epochs are numbered on from earlier fits of the model: E = epochs done before
    this call (as nncore.Sequential). Per epoch e = E, E+1, …, E+epochs−1:
      1. lr_e from lr_schedule (from the optimizer's base lr), else the base lr.
      2. Row order perm = nncore.shuffle.permutation(seed, e, n) if shuffle, else
         0..n−1; seed=None means the model's seed. Batches are consecutive
         slices of perm of batch_size rows; the last may be smaller.
      3. Per batch b: (L_b, g) = loss_and_grad(batch) including the l1/l2 penalty;
         if clip_norm = c: g ← g·min(1, c/‖g‖₂); optimizer step with lr_e
         (its step counter t += 1).
      4. Epoch loss = Σ_b L_b·m_b / n (m_b the batch size). With validation data:
         val_loss = L (penalty included) on the whole validation set.
      5. The monitored loss (val_loss if validating, else loss) goes to
         ReduceOnPlateau and to early stopping: stop once it has not fallen
         below best − min_delta for `patience` epochs; restore_best puts back the
         weights of the best epoch at the end.
    The optimizer state (m, v, t) carries over to later fit/train_step calls
    with the same optimizer object; a different one starts from zero.
    """
    a = check_fit_arguments(model, X, y, loss, optimizer, epochs, batch_size, shuffle, seed, l1,
                            l2, validation_data, validation_split, lr_schedule, clip_norm,
                            early_stopping)
    X, Y, labels, loss, l1, l2 = a.X, a.Y, a.labels, a.loss, a.l1, a.l2
    optimizer, epochs, batch_size, shuffle, seed = (a.optimizer, a.epochs, a.batch_size,
                                                    a.shuffle, a.seed)
    lr_schedule, clip_norm, stopping, validation = (a.lr_schedule, a.clip_norm, a.stopping,
                                                    a.validation)

    n = X.shape[0]
    first_epoch = model._epochs_done
    schedule_state = {}
    history = History(validation is not None)
    best_loss, wait, best_params = float("inf"), 0, None
    for e in range(first_epoch, first_epoch + epochs):
        # 1. this epoch's learning rate
        lr = optimizer.lr if lr_schedule is None else lr_schedule.lr_at(e, optimizer.lr,
                                                                          schedule_state)
        # 2. row order
        order = permutation(seed, e, n) if shuffle else np.arange(n)
        # 3. one optimizer step per batch
        total = 0.0
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            Yb = None if Y is None else Y[rows]
            lb = None if labels is None else labels[rows]
            total += _step(model, X[rows], Yb, lb, loss, optimizer, l1, l2, lr,
                           clip_norm) * rows.shape[0]
        model._epochs_done += 1
        # 4. epoch metrics
        history.epoch.append(e)
        history.history["lr"].append(float(lr))
        history.history["loss"].append(total / n)
        monitored = total / n
        if validation is not None:
            val_loss = float(model._loss_and_grad(*validation, loss, l1, l2, want_grad=False)[0])
            history.history["val_loss"].append(val_loss)
            monitored = val_loss
        # 5. the schedule and early stopping see the monitored loss
        if lr_schedule is not None:
            lr_schedule.end_epoch(monitored, schedule_state)
        if stopping is not None:
            patience, min_delta, restore_best = stopping
            if monitored < best_loss - min_delta:
                best_loss, wait, history.best_epoch = monitored, 0, e
                if restore_best:
                    best_params = model.get_flat_parameters()
            else:
                wait += 1
                if wait >= patience:
                    history.stop_reason = "early_stopping"
                    break
    if best_params is not None:
        model.set_flat_parameters(best_params)
    return history
