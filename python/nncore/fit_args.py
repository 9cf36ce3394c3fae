"""fit's and train_step's arguments, checked once for both models.

`nncore.Sequential` (native loop) and `nncore.reference.Sequential` (NumPy loop)
call the same functions here, so they accept exactly the same arguments and
refuse the rest with the same messages.

Ground floor: pure Python and NumPy, no compiled core.
"""
from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from typing import (Any, Callable, Mapping, Optional, Protocol, Sequence, SupportsInt, Tuple,
                    Union, cast)

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .checks import (INT64_MAX, FloatArray, LabelArray, boolean, check_sample_weight, check_X,
                     check_y, non_negative, positive, positive_int)
from .checks import seed as check_seed
from .layers import Layer
from .metrics import check_metrics
from .optim import Adam, Optimizer
from .schedules import LrSchedule, Schedule

# (X, Y, labels) of a training or validation set: Y for targets, labels for 1-D "ce" targets.
Batch = Tuple[FloatArray, Optional[FloatArray], Optional[LabelArray]]
# ModelBase._check_targets: (X, Y, labels, loss, l1, l2), checked and converted.
Targets = Tuple[FloatArray, Optional[FloatArray], Optional[LabelArray], str, float, float]


class FitModel(Protocol):
    """What these checks need from a model. Both nncore.Sequential and
    nncore.reference.Sequential have it (their ModelBase is a floor above)."""

    @property
    def layers(self) -> Sequence[Layer]: ...
    @property
    def seed(self) -> int: ...
    @property
    def _epochs_done(self) -> int: ...
    @property
    def n_features(self) -> int: ...
    @property
    def n_outputs(self) -> int: ...
    @property
    def dtype(self) -> type[np.floating[Any]]: ...
    def _last_optimizer(self) -> Optional[Optimizer]: ...
    def _check_targets(self, X: ArrayLike, y: ArrayLike, loss: str, l1: float, l2: float,
                       fn: str) -> Targets: ...
    def _check_differentiable(self, fn: str) -> None: ...


class StoppingSpec(Protocol):
    """early_stopping as an object (nncore.EarlyStopping, or anything with these)."""

    @property
    def patience(self) -> int: ...
    @property
    def min_delta(self) -> float: ...
    @property
    def restore_best(self) -> bool: ...


def default_loss(model: FitModel) -> str:
    """bce after a final Sigmoid, ce after a final Softmax, poisson after a final Exp, mse
    otherwise."""
    return {"sigmoid": "bce", "softmax": "ce", "exp": "poisson"}.get(model.layers[-1].kind,
                                                                      "mse")


def choose_optimizer(model: FitModel, optimizer: Optional[Optimizer], fn: str) -> Optimizer:
    """optimizer=None: the one used last on this model, else Adam() (as nncore.Sequential)."""
    if optimizer is None:
        last = model._last_optimizer()
        optimizer = last if last is not None else Adam()
    return check_optimizer(optimizer, fn)


def check_optimizer(optimizer: object, fn: str) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{fn}: optimizer must be an optimizer such as nncore.SGD(lr=0.1) or "
                        f"nncore.Adam(), got {optimizer!r}")
    return optimizer.check()


def stopping_in_python(early_stopping: object) -> bool:
    """True for an EarlyStopping watching something other than the loss the core watches
    (val_loss with validation data, else loss): it runs as a callback (nncore.callbacks)."""
    return getattr(early_stopping, "monitor", None) is not None


def check_early_stopping(early_stopping: Union[None, int, StoppingSpec],
                         fn: str) -> Optional[tuple[int, float, bool]]:
    """None, an int patience, or an object with patience, min_delta, restore_best
    (nncore.EarlyStopping). Returns (patience, min_delta, restore_best) or None (also for
    an EarlyStopping with a monitor=: that one runs as a callback)."""
    if early_stopping is None or stopping_in_python(early_stopping):
        return None
    if not isinstance(early_stopping, bool) and isinstance(early_stopping, numbers.Integral):
        return positive_int(early_stopping, fn, "early_stopping"), 0.0, True
    # Anything else is read by its attributes (AttributeError becomes the TypeError below).
    spec = cast(StoppingSpec, early_stopping)
    try:
        return (positive_int(spec.patience, fn, "early_stopping.patience"),
                float(spec.min_delta), bool(spec.restore_best))
    except AttributeError:
        raise TypeError(f"{fn}: early_stopping must be None, an int patience or "
                        f"nncore.EarlyStopping(...), got {early_stopping!r}") from None


def split_validation(X: FloatArray, Y: Optional[FloatArray], labels: Optional[LabelArray],
                     validation_split: object, fn: str) -> tuple[Batch, Batch]:
    """The last round(n·split) rows, before any shuffling (as Keras)."""
    # The ignore: typeshed's numbers.Real has __lt__ but no __gt__, which `0 < x` needs.
    if not isinstance(validation_split, numbers.Real) \
            or not 0 < validation_split < 1:  # type: ignore[operator]
        raise ValueError(f"{fn}: validation_split must be in (0, 1), got {validation_split!r}")
    n = X.shape[0]
    n_val = int(round(n * validation_split))
    if n_val < 1 or n_val >= n:
        raise ValueError(f"{fn}: validation_split={validation_split} leaves "
                         f"{n_val} of {n} samples for validation")
    cut = n - n_val
    rows: Callable[[Optional[NDArray[Any]], slice], Optional[NDArray[Any]]] = \
        lambda a, sl: None if a is None else a[sl]  # noqa: E731
    train = (X[:cut], rows(Y, slice(None, cut)), rows(labels, slice(None, cut)))
    val = (X[cut:], rows(Y, slice(cut, None)), rows(labels, slice(cut, None)))
    return train, val


def _classes(Y: Optional[FloatArray], labels: Optional[LabelArray]) -> set[object]:
    """The classes a target block holds: labels, one-hot/probability argmax, or per-output
    binary values (output j, 0 or 1) for sigmoid outputs."""
    if labels is not None:
        return set(np.unique(labels).tolist())
    assert Y is not None  # check_y returns targets or labels
    if Y.shape[1] == 1:
        return set(np.unique(np.round(Y[:, 0])).tolist())
    return {(j, v) for j in range(Y.shape[1]) for v in np.unique(np.round(Y[:, j])).tolist()}


def warn_if_unrepresentative(Y: Optional[FloatArray], labels: Optional[LabelArray],
                             Yv: Optional[FloatArray], lv: Optional[LabelArray],
                             fn: str) -> None:
    """validation_split holds out the LAST rows (as Keras); on data sorted by label they
    miss classes and the validation scores mean little. Say so instead of staying silent."""
    train, val = _classes(Y, labels), _classes(Yv, lv)
    if train != val:
        warnings.warn(
            f"{fn}: validation_split holds out the last rows before shuffling (as Keras), and "
            f"they are not representative: classes only in training {sorted(train - val, key=str)[:10]}, "
            f"only in validation {sorted(val - train, key=str)[:10]}. Shuffle X and y first "
            "(or pass validation_data=...).", UserWarning, stacklevel=4)


# fit(gradient=...): backpropagation, or an estimate from forward passes only
# (nncore.tangents; docs/design.md, "Training without a backward pass").
GRADIENTS = ("backprop", "forward", "perturbation")
MAX_TANGENTS = 1 << 20  # a step runs its tangents without a Ctrl-C check in between


@dataclass(frozen=True)
class GradientSpec:
    """How fit gets each step's gradient: `kind` in GRADIENTS; k `tangents` averaged per
    step (forward, perturbation); the perturbation's `epsilon` (θ ± ε·v)."""
    kind: str = "backprop"
    tangents: int = 1
    epsilon: float = 1e-3


def check_gradient(gradient: object, tangents: object, epsilon: object,
                   fn: str) -> GradientSpec:
    """gradient="backprop" | "forward" | "perturbation"; tangents (k ≥ 1) only with an
    estimate, epsilon (> 0) only with "perturbation" (None: their defaults)."""
    if not isinstance(gradient, str) or gradient not in GRADIENTS:
        raise ValueError(f"{fn}: gradient must be one of {', '.join(map(repr, GRADIENTS))}, "
                         f"got {gradient!r}")
    if tangents is not None and gradient == "backprop":
        raise ValueError(f"{fn}: tangents applies to gradient='forward' or 'perturbation', "
                         "not to backpropagation")
    if epsilon is not None and gradient != "perturbation":
        raise ValueError(f"{fn}: epsilon applies to gradient='perturbation' only, "
                         f"not to gradient={gradient!r}")
    k = 1 if tangents is None else positive_int(tangents, fn, "tangents", maximum=MAX_TANGENTS)
    eps = 1e-3 if epsilon is None else positive(epsilon, fn, "epsilon")
    return GradientSpec(gradient, k, eps)


def check_step_arguments(
        model: FitModel, X: ArrayLike, y: ArrayLike, loss: Optional[str],
        optimizer: Optional[Optimizer], l1: float, l2: float, lr: Optional[float],
        clip_norm: Optional[float], fn: str = "train_step",
) -> tuple[FloatArray, Optional[FloatArray], Optional[LabelArray], str, Optimizer, float, float,
           float, Optional[float]]:
    """train_step's arguments, checked once (shared by nncore and the reference)."""
    loss = default_loss(model) if loss is None else loss
    X, Y, labels, loss, l1, l2 = model._check_targets(X, y, loss, l1, l2, fn)
    model._check_differentiable(fn)
    optimizer = choose_optimizer(model, optimizer, fn)
    lr = optimizer.lr if lr is None else positive(lr, fn, "lr")
    if clip_norm is not None:
        clip_norm = positive(clip_norm, fn, "clip_norm")
    return X, Y, labels, loss, optimizer, l1, l2, lr, clip_norm


def check_weights(model: FitModel, X: FloatArray, sample_weight: Optional[ArrayLike],
                  penalty_per_sample: bool, l1: float, l2: float, fn: str
                  ) -> tuple[Optional[FloatArray], float, float]:
    """train_step's sample weights and penalty: (w or None, l1, l2), where with
    penalty_per_sample the penalty's λ are divided by the batch's weight sum (its rows)."""
    w = check_sample_weight(sample_weight, X.shape[0], model.dtype, fn)
    if boolean(penalty_per_sample, fn, "penalty_per_sample"):
        total = X.shape[0] if w is None else float(np.sum(w, dtype=np.float64))
        l1, l2 = l1 / total, l2 / total
    return w, l1, l2


@dataclass
class FitArguments:
    """fit's arguments, checked and converted (shared by nncore and the reference)."""
    X: FloatArray
    Y: Optional[FloatArray]
    labels: Optional[LabelArray]
    loss: str
    l1: float
    l2: float
    optimizer: Optimizer
    epochs: int
    batch_size: int
    shuffle: bool
    seed: int
    lr_schedule: LrSchedule
    clip_norm: Optional[float]
    stopping: Optional[tuple[int, float, bool]]  # None or (patience, min_delta, restore_best)
    validation: Optional[Batch]                 # None or (X_val, Y_val, labels_val)
    w: Optional[FloatArray] = None              # the training rows' sample weights
    penalty_per_sample: bool = False            # l1, l2 per unit of weight (÷ each batch's Σw)
    metrics: tuple[str, ...] = ()               # metric names (nncore.metrics)
    # callbacks run besides the user's: an EarlyStopping with a monitor= (not the core's)
    extra_callbacks: tuple[object, ...] = ()
    gradient: GradientSpec = GradientSpec()     # backprop, or a forward-only estimate
    val_w: Optional[FloatArray] = None          # the validation rows' sample weights


def class_sample_weights(class_weight: Union[str, Mapping[Any, float]],
                         Y: Optional[FloatArray], labels: Optional[LabelArray], loss: str,
                         dtype: Any, fn: str,
                         sample_weight: Optional[FloatArray] = None) -> FloatArray:
    """Per-sample weights from class weights (Keras' and scikit-learn's class_weight):
    {class: weight} or "balanced" (Σw / (k · the class's Σw), k the classes present;
    unweighted: n / (k · count), so an integer sample weight still equals repeated rows,
    as scikit-learn's compute_class_weight with sample_weight). Classes are the
    labels for ce (integers, or the argmax of one-hot rows) and 0/1 for a single bce
    output; classes missing from the dict weigh 1."""
    if loss == "ce":
        cls = labels if labels is not None else np.argmax(cast(FloatArray, Y), axis=1)
    elif loss == "bce" and Y is not None and Y.shape[1] == 1:
        if not np.all((Y == 0) | (Y == 1)):
            raise ValueError(f"{fn}: class_weight needs hard 0/1 targets for loss='bce'")
        cls = Y[:, 0].astype(np.int64)
    else:
        raise ValueError(f"{fn}: class_weight applies to classification with one label per "
                         f"sample (loss='ce', or 'bce' with one output), not loss={loss!r} with "
                         "these targets; pass sample_weight=... instead")
    present, where = np.unique(cls, return_inverse=True)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"{fn}: class_weight must be a dict {{class: weight}} or "
                             f"'balanced', got {class_weight!r}")
        sw = np.ones(len(cls)) if sample_weight is None else sample_weight.astype(np.float64)
        counts = np.bincount(where.ravel(), weights=sw, minlength=len(present))
        # A class whose rows all weigh 0 keeps weight 1: its rows contribute nothing anyway.
        table = {int(c): float(sw.sum()) / (len(present) * n) if n > 0 else 1.0
                 for c, n in zip(present, counts)}
    elif isinstance(class_weight, Mapping):
        table = {}
        for c, v in class_weight.items():
            if isinstance(c, bool) or not isinstance(c, (numbers.Integral, np.integer)):
                raise TypeError(f"{fn}: class_weight keys must be integer classes, got {c!r}")
            table[int(c)] = non_negative(v, fn, f"class_weight[{c!r}]")
    else:
        raise TypeError(f"{fn}: class_weight must be a dict {{class: weight}} or 'balanced', "
                        f"got {type(class_weight).__name__}")
    w = np.array([table.get(int(c), 1.0) for c in cls], dtype=dtype)
    if not float(w.sum()) > 0:
        raise ValueError(f"{fn}: class_weight gives every sample weight 0")
    return w


def check_fit_arguments(
        model: FitModel, X: ArrayLike, y: ArrayLike, loss: Optional[str],
        optimizer: Optional[Optimizer], epochs: int, batch_size: int, shuffle: bool,
        seed: Optional[SupportsInt], l1: float, l2: float,
        validation_data: Optional[Sequence[ArrayLike]], validation_split: float,
        lr_schedule: LrSchedule, clip_norm: Optional[float],
        early_stopping: Union[None, int, StoppingSpec], fn: str = "fit",
        sample_weight: Optional[ArrayLike] = None,
        penalty_per_sample: bool = False,
        class_weight: Union[None, str, Mapping[Any, float]] = None,
        metrics: Optional[Sequence[str]] = None,
        gradient: str = "backprop", tangents: Optional[int] = None,
        epsilon: Optional[float] = None) -> FitArguments:
    """Validate every argument of fit once; errors name `fn` and the argument."""
    estimator = check_gradient(gradient, tangents, epsilon, fn)
    if estimator.kind != "backprop":
        dropping = [i for i, layer in enumerate(model.layers)
                    if layer.kind == "dropout" and getattr(layer, "p", 0.0) > 0]
        if dropping:
            # the estimators' forward passes do not draw Dropout masks (yet): refuse rather
            # than silently train a different network
            raise ValueError(f"{fn}: gradient={gradient!r} does not support Dropout (layer "
                             f"{dropping[0]}); use gradient='backprop', or Dropout(p=0)")
    loss = default_loss(model) if loss is None else loss
    X, Y, labels, loss, l1, l2 = model._check_targets(X, y, loss, l1, l2, fn)
    w = check_sample_weight(sample_weight, X.shape[0], model.dtype, fn)
    if class_weight is not None:
        cw = class_sample_weights(class_weight, Y, labels, loss, model.dtype, fn, w)
        w = cw if w is None else w * cw
    per_sample = boolean(penalty_per_sample, fn, "penalty_per_sample")
    if estimator.kind != "perturbation":  # perturbation needs no derivative (Step trains)
        model._check_differentiable(fn)
    optimizer = choose_optimizer(model, optimizer, fn)
    # Epochs are numbered on from earlier fits; the last number must fit an int64.
    epochs = positive_int(epochs, fn, "epochs", maximum=INT64_MAX - model._epochs_done)
    batch_size = positive_int(batch_size, fn, "batch_size")
    shuffle = boolean(shuffle, fn, "shuffle")
    seed = model.seed if seed is None else check_seed(seed, fn, none_ok=True)
    if clip_norm is not None:
        clip_norm = positive(clip_norm, fn, "clip_norm")
    if lr_schedule is not None and not isinstance(lr_schedule, Schedule) \
            and not callable(lr_schedule):
        raise TypeError(f"{fn}: lr_schedule must be None, a schedule such as "
                        "nncore.StepDecay(step_size=10), or a callable (epoch, lr) -> new lr, "
                        f"got {lr_schedule!r}")
    if isinstance(lr_schedule, Schedule):
        lr_schedule.check()
    stopping = check_early_stopping(early_stopping, fn)
    extra = (early_stopping,) if stopping_in_python(early_stopping) else ()
    metric_names = check_metrics(metrics, loss, model.n_outputs, fn)
    validation, val_w = None, None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise TypeError(f"{fn}: validation_data must be a pair (X_val, y_val) or a triple "
                            "(X_val, y_val, sample_weight_val)")
        vfn = "fit: validation_data"
        Xv = check_X(validation_data[0], model.n_features, model.dtype, vfn)
        validation = (Xv, *check_y(validation_data[1], Xv.shape[0], model.n_outputs, loss,
                                   model.dtype, vfn))
        if len(validation_data) == 3:
            val_w = check_sample_weight(validation_data[2], Xv.shape[0], model.dtype, vfn)
    elif validation_split:
        n = X.shape[0]
        (X, Y, labels), validation = split_validation(X, Y, labels, validation_split, fn)
        if w is not None:  # the held-out rows keep their weights for the validation loss
            w, val_w = w[:X.shape[0]], w[X.shape[0]:]
            for part, name in ((w, "training"), (val_w, "validation")):
                if not float(np.sum(part, dtype=np.float64)) > 0:
                    raise ValueError(
                        f"{fn}: validation_split={validation_split} leaves {name} rows whose "
                        f"sample weights sum to 0 (the last {n - X.shape[0]} of {n} rows are "
                        "held out); shuffle the data or pass validation_data=(X_val, y_val, "
                        "w_val)")
        if loss in ("bce", "ce"):
            warn_if_unrepresentative(Y, labels, validation[1], validation[2], fn)

    return FitArguments(X, Y, labels, loss, l1, l2, optimizer, epochs, batch_size, bool(shuffle),
                        int(seed), lr_schedule, clip_norm, stopping, validation, w, per_sample,
                        metric_names, extra, estimator, val_w)
