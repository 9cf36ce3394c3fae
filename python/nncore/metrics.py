"""The metrics `fit(metrics=...)` and `evaluate(metrics=...)` report, from outputs and targets.

    accuracy                      classification (bce: per element at ½; ce: argmax)
    precision, recall, f1, auc    binary classification: loss="bce" with one output, or
                                  loss="ce" with two classes; the positive class is 1
    mae, mse, r2                  regression (loss="mse" or "mse_mean")

Values agree with sklearn.metrics (accuracy_score, precision_score, recall_score, f1_score,
roc_auc_score, mean_absolute_error, mean_squared_error, r2_score; averages over outputs
uniform) with two choices where scikit-learn warns or raises: precision, recall and F1
with a zero denominator are 0 (scikit-learn's zero_division=0), and AUC of targets with a
single class is NaN. Metrics are unweighted (sample_weight weighs the loss only).
`mse` is the plain mean of squared errors, whatever the loss's ½ or mean convention.

Ground floor: NumPy only. Both models' loops compute training metrics from the outputs
each batch had before its update (as the training accuracy, and Keras' running metrics),
validation metrics from the outputs after the epoch.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

import numpy as np
from numpy.typing import NDArray

# name → "max" if larger is better, "min" if smaller is (the losses are "min").
MODES = {"accuracy": "max", "precision": "max", "recall": "max", "f1": "max", "auc": "max",
         "mae": "min", "mse": "min", "r2": "max"}
CLASSIFICATION = ("accuracy", "precision", "recall", "f1", "auc")
BINARY = ("precision", "recall", "f1", "auc")
REGRESSION = ("mae", "mse", "r2")

Array = NDArray[Any]


def mode_of(monitor: str) -> str:
    """"min" or "max" for a logged quantity: loss, val_loss, accuracy, val_f1, ..."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss":
        return "min"
    if name not in MODES:
        raise ValueError(f"cannot tell whether {monitor!r} should go up or down; "
                         "pass mode='min' or mode='max'")
    return MODES[name]


def check_metrics(metrics: Optional[Iterable[str]], loss: str, n_outputs: int,
                  fn: str) -> tuple[str, ...]:
    """The requested metric names, each checked against the task; errors name `fn`."""
    if metrics is None:
        return ()
    if isinstance(metrics, str):
        metrics = (metrics,)
    try:
        names = tuple(metrics)
    except TypeError:
        raise TypeError(f"{fn}: metrics must be a list of names such as ['accuracy', 'f1'], "
                        f"got {metrics!r}") from None
    classification = loss in ("bce", "ce")
    binary = (loss == "bce" and n_outputs == 1) or (loss == "ce" and n_outputs == 2)
    out: list[str] = []
    for name in names:
        if not isinstance(name, str) or name not in MODES:
            raise ValueError(f"{fn}: unknown metric {name!r}; choose from {sorted(MODES)}")
        if classification and name in REGRESSION:
            raise ValueError(f"{fn}: metric {name!r} is for regression, not loss={loss!r}; "
                             f"classification has {list(CLASSIFICATION)}")
        if not classification and name in CLASSIFICATION:
            raise ValueError(f"{fn}: metric {name!r} is for classification, not loss={loss!r}; "
                             f"regression has {list(REGRESSION)}")
        if name in BINARY and not binary:
            raise ValueError(f"{fn}: metric {name!r} is for binary classification "
                             "(loss='bce' with one output, or 'ce' with two classes); this "
                             f"model has {n_outputs} outputs with loss={loss!r}")
        if name not in out:
            out.append(name)
    return tuple(out)


def _labels(Y: Optional[Array], labels: Optional[Array]) -> Array:
    """ce targets as class indices: the labels, or the argmax of one-hot rows."""
    if labels is not None:
        return labels
    assert Y is not None  # check_y returns targets or labels
    return np.asarray(np.argmax(Y, axis=1))


def _truth_and_score(h: Array, Y: Optional[Array], labels: Optional[Array],
                     loss: str) -> tuple[Array, Array]:
    """Binary tasks: (truth in {0, 1}, score of class 1)."""
    if loss == "bce":
        assert Y is not None
        return (Y[:, 0] > 0.5).astype(np.int64), h[:, 0]
    return np.asarray(_labels(Y, labels), dtype=np.int64), h[:, 1]


def accuracy(h: Array, Y: Optional[Array], labels: Optional[Array], loss: str) -> float:
    if loss == "bce":
        assert Y is not None
        return float(np.mean((h > 0.5) == (Y > 0.5)))
    return float(np.mean(np.argmax(h, axis=1) == _labels(Y, labels)))


def _counts(h: Array, Y: Optional[Array], labels: Optional[Array],
            loss: str) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of the binary prediction: class 1
    when its output exceeds ½ (bce) or is the larger one (ce), as the accuracy counts."""
    truth, score = _truth_and_score(h, Y, labels, loss)
    pred = score > 0.5 if loss == "bce" else np.argmax(h, axis=1) == 1
    t = truth == 1
    return int(np.sum(pred & t)), int(np.sum(pred & ~t)), int(np.sum(~pred & t))


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else 0.0


def precision(h: Array, Y: Optional[Array], labels: Optional[Array], loss: str) -> float:
    tp, fp, _ = _counts(h, Y, labels, loss)
    return _ratio(tp, tp + fp)


def recall(h: Array, Y: Optional[Array], labels: Optional[Array], loss: str) -> float:
    tp, _, fn = _counts(h, Y, labels, loss)
    return _ratio(tp, tp + fn)


def f1(h: Array, Y: Optional[Array], labels: Optional[Array], loss: str) -> float:
    tp, fp, fn = _counts(h, Y, labels, loss)
    return _ratio(2 * tp, 2 * tp + fp + fn)


def auc(h: Array, Y: Optional[Array], labels: Optional[Array], loss: str) -> float:
    """Area under the ROC curve = P(score of a positive > score of a negative), ties ½
    (the Mann–Whitney statistic, what roc_auc_score computes): the negatives' scores
    sorted once, each positive's place among them found by binary search."""
    truth, score = _truth_and_score(h, Y, labels, loss)
    is_pos = truth == 1
    pos, neg = np.sort(score[is_pos]), np.sort(score[~is_pos])  # sorted: cache-friendly search
    if pos.shape[0] == 0 or neg.shape[0] == 0:
        return float("nan")
    below = np.searchsorted(neg, pos, side="left")       # negatives scored lower
    tied = np.searchsorted(neg, pos, side="right") - below
    wins = np.sum(below, dtype=np.float64) + 0.5 * np.sum(tied, dtype=np.float64)
    return float(wins / (float(pos.shape[0]) * float(neg.shape[0])))


def mae(h: Array, Y: Optional[Array], labels: Optional[Array], loss: str) -> float:
    assert Y is not None
    return float(np.mean(np.abs(h.astype(np.float64) - Y)))


def mse(h: Array, Y: Optional[Array], labels: Optional[Array], loss: str) -> float:
    assert Y is not None
    return float(np.mean(np.square(h.astype(np.float64) - Y)))


def r2(h: Array, Y: Optional[Array], labels: Optional[Array], loss: str) -> float:
    """1 − SS_res/SS_tot per output, averaged; an output with SS_tot = 0 scores 1 if it is
    predicted exactly, else 0 (scikit-learn's force_finite)."""
    assert Y is not None
    Yd = Y.astype(np.float64)
    ss_res = np.sum(np.square(Yd - h), axis=0)
    ss_tot = np.sum(np.square(Yd - Yd.mean(axis=0)), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(per))


FUNCTIONS = {"accuracy": accuracy, "precision": precision, "recall": recall, "f1": f1,
             "auc": auc, "mae": mae, "mse": mse, "r2": r2}


def compute(names: Iterable[str], h: Array, Y: Optional[Array], labels: Optional[Array],
            loss: str, prefix: str = "") -> dict[str, float]:
    """{prefix + name: value} for outputs h (rows × outputs) against targets Y or labels."""
    return {prefix + n: FUNCTIONS[n](h, Y, labels, loss) for n in names}
