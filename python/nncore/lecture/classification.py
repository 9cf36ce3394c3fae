"""Section 3 — The 2-D classification example (lecture "Neuronale Netze: Ergebnisse").

A 2-10-1 network (tanh hidden layer, sigmoid output: 41 parameters) and the slide's
network exactly (σ hidden layer, σ output a² = θ²ᵀh¹ without a bias: "40 Parameter",
`slide_network()`) on 100 training points of two interleaved half-circles,
evaluated on 1000 held-out points; beside them linear regression (least squares
on the 0/1 labels, class = [ŷ > 0.5]) and logistic regression, both nncore
models without a hidden layer, fitted on the same data.
`overfitting_curve()` answers the slide's "→ Overfitting?" by growing the
hidden width.
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Sequence, TypedDict

import numpy as np

import nncore as nc

from ._report import Context, pct
from .data import MOONS_N_TEST, MOONS_N_TRAIN, MOONS_NOISE, MOONS_TEST_SEED, MOONS_TRAIN_SEED
from .data import Float64Array, MoonsSplit, moons_split

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NN_EPOCHS = 1500
NN_LR = 0.02

ModelRow = tuple[str, int, float, float]   # (name, parameters, train acc, test acc)
SLIDE_NAME = "slide's network 2-10-1: σ, no output bias"


class FitModels(TypedDict):
    data: MoonsSplit
    models: dict[str, nc.Sequential]
    rows: list[ModelRow]


class OverfittingCurve(TypedDict):
    """One entry per hidden width."""
    widths: list[int]
    parameters: list[int]
    train_acc: list[float]
    test_acc: list[float]
    train_loss: list[float]
    test_loss: list[float]


class ClassificationSummary(TypedDict):
    rows: list[ModelRow]
    nn_parameters: int
    nn_train: float
    nn_test: float
    slide_parameters: int
    slide_train: float
    slide_test: float
    overfitting: OverfittingCurve
    noise: float
    train_seed: int


def network(hidden: int = 10, seed: int = 0) -> nc.Sequential:
    """The lecture's network: a¹ = θ¹ᵀx, h¹ = tanh(a¹), f(x) = σ(θ²ᵀh¹) (with biases)."""
    return nc.Sequential(nc.Dense(2, hidden), nc.Tanh(), nc.Dense(hidden, 1), nc.Sigmoid(),
                         seed=seed)


def slide_network(hidden: int = 10, seed: int = 0) -> nc.Sequential:
    """The slide's network as written: a¹ = θ¹ᵀx (+ b¹), h¹ = σ(a¹), f(x) = σ(θ²ᵀh¹).

    "40 Parameter" for 2-10-1: θ¹ (20) and a hidden bias (10), θ² (10) and no output
    bias (with no bias at all it would be 30)."""
    return nc.Sequential(nc.Dense(2, hidden), nc.Sigmoid(), nc.Dense(hidden, 1, bias=False),
                         nc.Sigmoid(), seed=seed)


def accuracy(model: nc.Sequential, X: Float64Array, y: Float64Array,
             threshold: float = 0.5) -> float:
    return float(np.mean((model.predict(X).ravel() > threshold) == (y > 0.5)))


def fit_models(data: MoonsSplit | None = None, seed: int = 0,
               epochs: int = NN_EPOCHS) -> FitModels:
    """Fit the three models of the slide. Returns {"data", "models": {name: model},
    "rows": [(name, parameters, train acc, test acc)]}.

    neural network: 2-10-1 tanh/sigmoid, BCE, full-batch Adam (lr 0.02, 1500 epochs)
    the slide's network: `slide_network()` (σ/σ, no output bias, 40 parameters), trained
        the same way
    logistic regression: Dense(2, 1) + Sigmoid, BCE, full-batch Adam (lr 0.05, 1500 epochs)
    linear regression: Dense(2, 1), MSE on the 0/1 labels, full-batch Adam (lr 0.05, 1500
        epochs; converges to the least-squares solution), class = [ŷ > 0.5]
    """
    (X, y), (Xt, yt) = data or moons_split()
    n = X.shape[0]
    nn = network(10, seed)
    nn.fit(X, y, loss="bce", optimizer=nc.Adam(lr=NN_LR), epochs=epochs, batch_size=n,
           verbose=0)
    logreg = nc.Sequential(nc.Dense(2, 1), nc.Sigmoid(), seed=seed)
    logreg.fit(X, y, loss="bce", optimizer=nc.Adam(lr=0.05), epochs=epochs, batch_size=n,
               verbose=0)
    linreg = nc.Sequential(nc.Dense(2, 1), seed=seed)
    linreg.fit(X, y, loss="mse", optimizer=nc.Adam(lr=0.05), epochs=epochs, batch_size=n,
               verbose=0)
    slide = slide_network(10, seed)
    slide.fit(X, y, loss="bce", optimizer=nc.Adam(lr=NN_LR), epochs=epochs, batch_size=n,
              verbose=0)
    models = {"linear regression": linreg, "logistic regression": logreg,
              "neural network 2-10-1, tanh": nn, SLIDE_NAME: slide}
    rows = [(name, m.num_parameters, accuracy(m, X, y), accuracy(m, Xt, yt))
            for name, m in models.items()]
    return {"data": ((X, y), (Xt, yt)), "models": models, "rows": rows}


def overfitting_curve(widths: Sequence[int] = (1, 2, 3, 5, 10, 20, 50, 100),
                      data: MoonsSplit | None = None, seed: int = 0,
                      epochs: int = NN_EPOCHS) -> OverfittingCurve:
    """Train and test accuracy and BCE loss of 2-w-1 networks as the width w grows.
    Returns {"widths", "parameters", "train_acc", "test_acc", "train_loss", "test_loss"}."""
    (X, y), (Xt, yt) = data or moons_split()
    out: OverfittingCurve = {"widths": [], "parameters": [], "train_acc": [], "test_acc": [],
                             "train_loss": [], "test_loss": []}
    for w in widths:
        m = network(w, seed)
        m.fit(X, y, loss="bce", optimizer=nc.Adam(lr=NN_LR), epochs=epochs, batch_size=len(y),
              verbose=0)
        out["widths"].append(w)
        out["parameters"].append(m.num_parameters)
        out["train_acc"].append(accuracy(m, X, y))
        out["test_acc"].append(accuracy(m, Xt, yt))
        out["train_loss"].append(m.loss(X, y, loss="bce"))
        out["test_loss"].append(m.loss(Xt, yt, loss="bce"))
    return out


def overfitting_answer(oc: OverfittingCurve) -> str:
    """The slide's question answered from the numbers of `overfitting_curve`."""
    w = np.array(oc["widths"])
    big = w >= 10
    te = 100 * np.array(oc["test_acc"])[big]
    tl = np.array(oc["test_loss"])
    best = int(np.argmin(tl))
    perfect = [int(v) for v, a in zip(w, oc["train_acc"]) if a == 1.0]
    text = (f"answer: not in accuracy. From width {perfect[0] if perfect else '-'} on every network "
            f"fits the 100 training points perfectly, and for widths {w[big].min()}–{w[big].max()} "
            f"({np.array(oc['parameters'])[big].min()}–{np.array(oc['parameters'])[big].max()} "
            f"parameters) the test accuracy stays between {te.min():.1f} % and {te.max():.1f} %. ")
    if tl[-1] > 1.15 * tl[best]:
        text += (f"The test loss is lowest at width {w[best]} ({tl[best]:.4f}) and higher at width "
                 f"{w[-1]} ({tl[-1]:.4f}) while the train loss keeps falling: overconfidence, the "
                 "first sign of overfitting, without a cost in accuracy on this well-separated data.")
    else:
        text += (f"The test loss stays near its minimum ({tl[best]:.4f} at width {w[best]}) "
                 "for the wide networks as well.")
    return text


def run(ctx: Context) -> ClassificationSummary:
    ctx.heading(3, "The 2-D classification example: network vs linear and logistic regression")
    ctx.say(f"  data: two interleaved half-circles (make_moons), noise σ = {MOONS_NOISE}, "
            f"{MOONS_N_TRAIN} training points (seed {MOONS_TRAIN_SEED}), "
            f"{MOONS_N_TEST} held-out test points (seed {MOONS_TEST_SEED})")
    r = fit_models()
    ctx.table(["model", "parameters", "train accuracy", "test accuracy"],
              [(name, p, pct(a), pct(b)) for name, p, a, b in r["rows"]])
    _, _, nn_train, nn_test = r["rows"][2]
    _, sl_params, sl_train, sl_test = r["rows"][3]
    as_slide = sl_params == 40 and sl_train == 1.0 and sl_test > 0.98
    ctx.say(f"  lecture: σ hidden, 40 parameters, training 100 %, test > 98 %  ->  the slide's "
            f"network here (Dense(2, 10), Sigmoid, Dense(10, 1, bias=False), Sigmoid): "
            f"{sl_params} parameters, training {pct(sl_train)}, test {pct(sl_test)}  "
            f"({'as on the slide' if as_slide else 'NOT as on the slide'})",
            f"  beside it the tanh network with an output bias: "
            f"{r['rows'][2][1]} parameters, training {pct(nn_train)}, test {pct(nn_test)}")
    widths = (1, 2, 3, 5, 10, 50) if ctx.quick else (1, 2, 3, 5, 10, 20, 50, 100, 200)
    oc = overfitting_curve(widths, data=r["data"], epochs=600 if ctx.quick else NN_EPOCHS)
    ctx.sub("Overfitting? train vs test as the hidden width grows (same data, same training)",
            de="→ Overfitting? Training und Test bei wachsender Breite der versteckten Schicht "
               "(gleiche Daten, gleiches Training)")
    ctx.table(["hidden width", "parameters", "train acc", "test acc", "train BCE", "test BCE"],
              [(w, p, pct(a), pct(b), f"{c:.4f}", f"{d:.4f}") for w, p, a, b, c, d in
               zip(oc["widths"], oc["parameters"], oc["train_acc"], oc["test_acc"],
                   oc["train_loss"], oc["test_loss"])])
    ctx.say("  " + overfitting_answer(oc))
    summary: ClassificationSummary = {
        "rows": [(n, p, a, b) for n, p, a, b in r["rows"]], "nn_parameters": r["rows"][2][1],
        "nn_train": nn_train, "nn_test": nn_test, "slide_parameters": sl_params,
        "slide_train": sl_train, "slide_test": sl_test, "overfitting": oc,
        "noise": MOONS_NOISE, "train_seed": MOONS_TRAIN_SEED}
    ctx.results["classification"] = summary
    if ctx.can_plot("03_decision_boundaries.png", "decision boundaries"):
        ctx.save(plot_boundaries(r, ctx.pyplot()), "03_decision_boundaries.png",
                 "decision boundaries: linear regression, logistic regression, network")
    if ctx.can_plot("03_overfitting.png", "train vs test as width grows"):
        ctx.save(plot_overfitting(oc, ctx.pyplot()), "03_overfitting.png",
                 "train vs test accuracy and loss against hidden width")
    return summary


def plot_boundaries(r: FitModels, plt: ModuleType) -> Figure:
    (X, y), (Xt, yt) = r["data"]
    fig: Figure
    n = len(r["models"])
    fig, axes = plt.subplots(1, n, figsize=(5 * n, 4.8), sharey=True)
    lo = np.minimum(X.min(0), Xt.min(0)) - 0.4
    hi = np.maximum(X.max(0), Xt.max(0)) + 0.4
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
    grid = np.c_[g1.ravel(), g2.ravel()]
    for ax, (name, model), row in zip(axes, r["models"].items(), r["rows"]):
        P = model.predict(grid).reshape(g1.shape)
        ax.contourf(g1, g2, P > 0.5, levels=[-0.5, 0.5, 1.5], colors=["#cfe0f3", "#f6d0cd"])
        ax.contour(g1, g2, P, levels=[0.5], colors="k", linewidths=1.5)
        ax.scatter(Xt[:, 0], Xt[:, 1], c=np.where(yt > 0.5, "tab:red", "tab:blue"), s=5,
                   alpha=0.25, label="test points (1000)")
        for cls, col in ((0, "tab:blue"), (1, "tab:red")):
            sel = y == cls
            ax.scatter(X[sel, 0], X[sel, 1], c=col, edgecolor="k", s=30,
                       label=f"training, class {cls}")
        ax.plot([], [], "k-", label="decision boundary")
        ax.set_title(f"{name}\n{row[1]} parameters · train {pct(row[2])} · test {pct(row[3])}",
                     fontsize=10)
        ax.set_xlabel("x1")
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
    axes[0].set_ylabel("x2")
    axes[0].legend(loc="lower left", fontsize=8, framealpha=0.9)
    fig.suptitle("Section 3 — Decision boundaries on the same 100 training points", y=1.0)
    fig.tight_layout()
    return fig


def plot_overfitting(oc: OverfittingCurve, plt: ModuleType) -> Figure:
    fig: Figure
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.3))
    w = oc["widths"]
    a1.plot(w, 100 * np.array(oc["train_acc"]), "o-", label="train (100 points)")
    a1.plot(w, 100 * np.array(oc["test_acc"]), "s-", label="test (1000 points)")
    a1.axhline(98, color="gray", ls=":", label="98 % (lecture)")
    a1.set(xscale="log", xlabel="hidden width (log scale)", ylabel="accuracy [%]",
           title="Accuracy vs hidden width")
    a1.set_xticks(w)
    a1.set_xticklabels([str(v) for v in w])
    a1.legend()
    a1.grid(alpha=0.3)
    a2.plot(w, oc["train_loss"], "o-", label="train")
    a2.plot(w, oc["test_loss"], "s-", label="test")
    a2.set(xscale="log", yscale="log", xlabel="hidden width (log scale)",
           ylabel="binary cross-entropy (log scale)", title="Loss vs hidden width")
    a2.set_xticks(w)
    a2.set_xticklabels([str(v) for v in w])
    a2.axvline(10, color="gray", ls=":", lw=1)
    a2.text(10, a2.get_ylim()[1], " width 10\n (41 params)", va="top", fontsize=8)
    a2.legend()
    a2.grid(alpha=0.3)
    fig.suptitle("Section 3 — Overfitting? Train vs test as the network grows")
    fig.tight_layout()
    return fig
