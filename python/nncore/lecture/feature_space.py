"""Section 16 — Feature space (lecture "Allgemeiner: Representation Learning",
y = φ(x; θ)ᵀw, and the summary picture "Input space → Feature space").

The 2-D example's network is a non-linear map φ (the hidden layer) followed by a linear
model (the output layer). `feature_space()` trains section 3's network with 3 hidden
units (so the feature space can be drawn in 3-D) and with the lecture's 10, and returns
the hidden representation h = φ(x) of the training points with the output layer's
separating plane wᵀh + b = 0: curved classes in the input space, a flat plane in the
feature space. The 10-D space is shown along w (the signed distance to the plane) and
the direction of largest spread orthogonal to w.
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, TypedDict

import numpy as np

import nncore as nc

from ._report import Context, pct
from .classification import NN_EPOCHS, NN_LR, accuracy, network
from .data import Float64Array, moons_split

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class FeatureSpace(TypedDict):
    hidden: int
    model: nc.Sequential
    X: Float64Array
    y: Float64Array
    h: Float64Array                 # φ(x) of the training points, (n, hidden)
    w: Float64Array                 # output layer weights, (hidden,)
    b: float
    plane_acc: float                # sign(wᵀh + b) vs the labels, training points
    train_acc: float
    test_acc: float
    distance: Float64Array          # (wᵀh + b)/‖w‖ per training point
    spread: Float64Array            # coordinate along the top principal direction ⟂ w


def feature_space(hidden: int = 3, seed: int = 0, epochs: int = NN_EPOCHS) -> FeatureSpace:
    """Section 3's network with `hidden` tanh units, trained as there (full-batch Adam)."""
    (X, y), (Xt, yt) = moons_split()
    m = network(hidden, seed)
    m.fit(X, y, loss="bce", optimizer=nc.Adam(lr=NN_LR), epochs=epochs, batch_size=len(X),
          verbose=0)
    h = np.asarray(m.forward_trace(X)[1], dtype=np.float64)
    p = m.named_parameters()
    w = np.asarray(p["2.W"], dtype=np.float64).ravel()
    b = float(np.ravel(p["2.b"])[0])
    logit = h @ w + b
    unit = w / np.linalg.norm(w)
    rest = h - np.outer(h @ unit, unit)          # the part of h orthogonal to w
    rest -= rest.mean(axis=0)
    top = np.linalg.svd(rest, full_matrices=False)[2][0]
    return {"hidden": hidden, "model": m, "X": X, "y": y, "h": h, "w": w, "b": b,
            "plane_acc": float(np.mean((logit > 0) == (y > 0.5))),
            "train_acc": accuracy(m, X, y), "test_acc": accuracy(m, Xt, yt),
            "distance": logit / np.linalg.norm(w), "spread": rest @ top}


class FeatureSpaceSummary(TypedDict):
    plane_acc: dict[int, float]
    test_acc: dict[int, float]


def run(ctx: Context) -> FeatureSpaceSummary:
    ctx.heading(16, "Feature space: the hidden layer makes the classes linearly separable")
    epochs = 500 if ctx.quick else NN_EPOCHS
    small = feature_space(3, epochs=epochs)
    full = feature_space(10, epochs=epochs)
    ctx.lead("  y = φ(x; θ)ᵀw + b: φ = the hidden layer (non-linear), then a linear model; "
             f"section 3's network and training ({epochs} full-batch Adam epochs)",
             de="  Representation learning: y = φ(x; θ)ᵀw + b, φ = die versteckte Schicht "
                "(nichtlinear), danach ein lineares Modell; Netz und Training aus Abschnitt 3 "
                f"({epochs} Epochen Adam über alle Punkte)")
    ctx.table(["network", "points on the right side of the plane wᵀh + b = 0", "train acc",
               "test acc"],
              [(f"2-{r['hidden']}-1 (tanh)", pct(r["plane_acc"]), pct(r["train_acc"]),
                pct(r["test_acc"])) for r in (small, full)])
    ctx.say("  the moons are curved in the input space; in the feature space one flat plane "
            "separates them (the same count: the output layer is that plane)")
    summary: FeatureSpaceSummary = {
        "plane_acc": {r["hidden"]: r["plane_acc"] for r in (small, full)},
        "test_acc": {r["hidden"]: r["test_acc"] for r in (small, full)}}
    ctx.results["feature-space"] = summary
    if ctx.can_plot("16_feature_space.png", "input space → feature space"):
        ctx.save(plot_feature_space(small, full, ctx.pyplot()), "16_feature_space.png",
                 "input space → feature space (3-D hidden layer with its plane; 10-D along w)")
    return summary


def plot_feature_space(small: FeatureSpace, full: FeatureSpace, plt: ModuleType) -> Figure:
    fig: Figure = plt.figure(figsize=(17, 5.4))
    X, y = small["X"], small["y"]
    ax = fig.add_subplot(1, 3, 1)
    g1, g2 = np.meshgrid(np.linspace(-1.5, 2.5, 160), np.linspace(-1.0, 1.5, 120))
    P = small["model"].predict(np.c_[g1.ravel(), g2.ravel()]).reshape(g1.shape)
    ax.contourf(g1, g2, P, levels=[0, 0.5, 1], colors=["#cfe0f3", "#f6d0cd"], alpha=0.8)
    ax.contour(g1, g2, P, levels=[0.5], colors="k", linewidths=1.2)
    for cls, c in ((0, "tab:blue"), (1, "tab:red")):
        ax.scatter(X[y == cls, 0], X[y == cls, 1], c=c, s=22, edgecolor="k", lw=0.4,
                   label=f"class {cls}")
    ax.set(title="Input space x: a curved boundary\n(2-3-1 network's decision)",
           xlabel="x1", ylabel="x2")
    ax.legend(fontsize=8, loc="lower left")
    ax = fig.add_subplot(1, 3, 2, projection="3d")
    h, w, b = small["h"], small["w"], small["b"]
    for cls, c in ((0, "tab:blue"), (1, "tab:red")):
        ax.scatter(h[y == cls, 0], h[y == cls, 1], h[y == cls, 2], c=c, s=16,
                   edgecolor="k", lw=0.3)
    k = int(np.argmax(np.abs(w)))           # solve the plane for its largest coordinate
    others = [i for i in range(3) if i != k]
    u, v = np.meshgrid(np.linspace(-1, 1, 12), np.linspace(-1, 1, 12))
    third = -(b + w[others[0]] * u + w[others[1]] * v) / w[k]
    third = np.where(np.abs(third) <= 1.05, third, np.nan)
    coords: list[Float64Array] = [np.zeros_like(u)] * 3
    coords[others[0]], coords[others[1]], coords[k] = u, v, third
    ax.plot_surface(coords[0], coords[1], coords[2], color="gray", alpha=0.35)
    ax.set(title="Feature space h = tanh(xW + c), 3 units:\na flat plane wᵀh + b = 0 separates",
           xlabel="h1", ylabel="h2", zlabel="h3")
    ax.view_init(elev=20, azim=-60)
    ax = fig.add_subplot(1, 3, 3)
    yf = full["y"]
    for cls, c in ((0, "tab:blue"), (1, "tab:red")):
        ax.scatter(full["distance"][yf == cls], full["spread"][yf == cls], c=c, s=22,
                   edgecolor="k", lw=0.4, label=f"class {cls}")
    ax.axvline(0, color="k", ls="--", lw=1.2, label="the plane wᵀh + b = 0")
    ax.set(title="Feature space of the 2-10-1 network (10-D), seen along w",
           xlabel="signed distance to the plane (wᵀh + b)/‖w‖",
           ylabel="largest spread orthogonal to w")
    ax.legend(fontsize=8)
    fig.suptitle("Section 16 — Input space → Feature space (representation learning)", y=1.02)
    fig.tight_layout()
    return fig
