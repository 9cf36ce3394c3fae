"""Section 18 — Dropout and the overfitting curve (not on the slides: the regulariser
practitioners add to medium-sized MLPs, Srivastava et al. 2014).

`dropout_overfitting()` trains the same wide network (20-128-128-3, ReLU) on a small,
noisy classification problem (90 training points, three overlapping Gaussian classes in
20 dimensions) with and without `Dropout(p)` after each hidden layer, and records per
epoch the training loss (at inference, as `model.loss`; and as `fit` reports it, with the
masks on), the validation loss and the validation accuracy. Without dropout the training
loss goes to zero while the validation loss turns upwards after its minimum: overfitting.
The section prints what the runs measure: where each validation curve has its minimum and
where it ends.
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Sequence, TypedDict

import numpy as np

import nncore as nc
from nncore.layers import Layer

from ._report import Context
from .data import Float64Array

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FEATURES, CLASSES = 20, 3


def overfitting_data(n_train: int = 90, n_val: int = 500, noise: float = 1.6,
                     seed: int = 0) -> tuple[Float64Array, np.ndarray, Float64Array, np.ndarray]:
    """(X, y, X_val, y_val): class centres drawn once (seed 42), points = centre + noise."""
    centres = np.random.default_rng(42).normal(0.0, 1.0, (CLASSES, FEATURES))
    rng = np.random.default_rng(seed)

    def draw(n: int) -> tuple[Float64Array, np.ndarray]:
        y = rng.integers(0, CLASSES, n)
        return centres[y] + rng.normal(0.0, noise, (n, FEATURES)), y

    X, y = draw(n_train)
    Xv, yv = draw(n_val)
    return X, y, Xv, yv


def network(p: float, width: int, seed: int) -> nc.Sequential:
    layers: list[Layer] = [nc.Dense(FEATURES, width), nc.ReLU()]
    if p > 0:
        layers.append(nc.Dropout(p))
    layers += [nc.Dense(width, width), nc.ReLU()]
    if p > 0:
        layers.append(nc.Dropout(p))
    return nc.Sequential(*layers, nc.Dense(width, CLASSES), nc.Softmax(), seed=seed)


class Curves(TypedDict):
    p: float
    train_loss: Float64Array         # (seeds, epochs): CE on the training set, no masks
    train_loss_masked: Float64Array  # what fit reports: the batches' CE with the masks on
    val_loss: Float64Array
    val_acc: Float64Array


class Row(TypedDict):
    p: float
    best_val_loss: float   # of the mean curve over seeds
    best_epoch: int
    final_val_loss: float
    final_val_acc: float
    final_train_loss: float


class DropoutOverfitting(TypedDict):
    epochs: int
    width: int
    seeds: list[int]
    curves: list[Curves]
    rows: list[Row]


def dropout_overfitting(ps: Sequence[float] = (0.0, 0.5), seeds: Sequence[int] = (0, 1),
                        epochs: int = 300, width: int = 128, lr: float = 3e-4,
                        batch_size: int = 30) -> DropoutOverfitting:
    """Train vs validation loss per epoch for each dropout probability p (Adam, minibatches);
    the rows summarise the mean curves over `seeds`."""
    X, y, Xv, yv = overfitting_data()
    curves: list[Curves] = []
    rows: list[Row] = []
    for p in ps:
        runs: dict[str, list[list[float]]] = {k: [] for k in
                                              ("train", "masked", "val", "acc")}
        for seed in seeds:
            m = network(p, width, seed)
            train: list[float] = []
            h = m.fit(X, y, loss="ce", optimizer=nc.Adam(lr), epochs=epochs,
                      batch_size=batch_size, validation_data=(Xv, yv), verbose=0,
                      callbacks=[lambda e, logs, m=m, t=train: t.append(m.loss(X, y, loss="ce"))])
            runs["train"].append(train)
            runs["masked"].append(h.history["loss"])
            runs["val"].append(h.history["val_loss"])
            runs["acc"].append(h.history["val_accuracy"])
        c: Curves = {"p": float(p), "train_loss": np.array(runs["train"]),
                     "train_loss_masked": np.array(runs["masked"]),
                     "val_loss": np.array(runs["val"]), "val_acc": np.array(runs["acc"])}
        curves.append(c)
        val = c["val_loss"].mean(axis=0)
        rows.append({"p": float(p), "best_val_loss": float(val.min()),
                     "best_epoch": int(val.argmin()) + 1, "final_val_loss": float(val[-1]),
                     "final_val_acc": float(c["val_acc"][:, -1].mean()),
                     "final_train_loss": float(c["train_loss"][:, -1].mean())})
    return {"epochs": epochs, "width": width, "seeds": list(seeds), "curves": curves,
            "rows": rows}


def answer(r: DropoutOverfitting) -> str:
    """What the rows say, from their numbers."""
    base = next(row for row in r["rows"] if row["p"] == 0.0)
    parts = [f"without dropout the training loss falls to {base['final_train_loss']:.4f} while "
             f"the validation loss is lowest at epoch {base['best_epoch']} "
             f"({base['best_val_loss']:.3f}) and ends at {base['final_val_loss']:.3f}"]
    for row in r["rows"]:
        if row["p"] == 0.0:
            continue
        better = row["final_val_loss"] < base["final_val_loss"]
        parts.append(f"with p = {row['p']:g} it ends at {row['final_val_loss']:.3f} "
                     f"({'lower' if better else 'not lower'}; minimum {row['best_val_loss']:.3f} "
                     f"at epoch {row['best_epoch']}), validation accuracy "
                     f"{100 * row['final_val_acc']:.1f} % vs {100 * base['final_val_acc']:.1f} %")
    return "; ".join(parts)


class DropoutSummary(TypedDict):
    rows: list[Row]


def run(ctx: Context) -> DropoutSummary | None:
    ctx.heading(18, "Dropout: the overfitting curve with and without")
    if ctx.quick:
        # the runs take several seconds: no smoke-sized version shows the effect
        ctx.say("  skipped in --quick (several seconds of training); "
                "run `python -m nncore --only dropout`")
        ctx.results["dropout"] = None
        return None
    r = dropout_overfitting()
    ctx.say(f"  {FEATURES}-{r['width']}-{r['width']}-{CLASSES} ReLU network, 90 noisy training "
            f"points, Adam, {r['epochs']} epochs, seeds {r['seeds']} (mean curves); Dropout(p) "
            "after each hidden layer while training, the identity when predicting")
    ctx.table(["p", "train loss (end)", "val loss: min (epoch)", "val loss (end)",
               "val accuracy (end)"],
              [(f"{row['p']:g}", f"{row['final_train_loss']:.4f}",
                f"{row['best_val_loss']:.3f} ({row['best_epoch']})",
                f"{row['final_val_loss']:.3f}", f"{100 * row['final_val_acc']:.1f} %")
               for row in r["rows"]])
    ctx.say("  " + answer(r))
    summary: DropoutSummary = {"rows": r["rows"]}
    ctx.results["dropout"] = summary
    if ctx.can_plot("18_dropout.png", "train vs validation loss with and without dropout"):
        ctx.save(plot_dropout(r, ctx.pyplot()), "18_dropout.png",
                 "train vs validation loss with and without dropout")
    return summary


def plot_dropout(r: DropoutOverfitting, plt: ModuleType) -> Figure:
    fig: Figure
    fig, ax = plt.subplots(figsize=(8, 4.8))
    epochs = np.arange(1, r["epochs"] + 1)
    for c, colour in zip(r["curves"], ("tab:red", "tab:blue", "tab:green", "tab:purple")):
        label = "no dropout" if c["p"] == 0 else f"Dropout(p={c['p']:g})"
        ax.plot(epochs, c["train_loss"].mean(axis=0), color=colour, ls="--",
                label=f"{label}: train")
        ax.plot(epochs, c["val_loss"].mean(axis=0), color=colour, label=f"{label}: validation")
    ax.set(yscale="log", xlabel="epoch", ylabel="cross-entropy (mean over seeds)",
           title="Section 18 — the overfitting curve with and without dropout")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
