"""Section 5 — Optimizers (lecture "Training: Gradient Descent plus Tricks").

`optimizer_comparison()` trains the same network from the same initial weights
with gradient descent, momentum, RMSprop, Adam and gradient descent with
learning-rate decay (real `model.fit` runs; loss per epoch from the History).
`valley_paths()` draws the lecture's valley picture: a linear regression with
two weights on strongly correlated features has an elongated, tilted valley as
its loss surface J(w₁, w₂); the gradient comes from an nncore model's
`loss_and_grad` (bias frozen at 0 on centred data) and each optimizer's own
update rule (`Optimizer.update`, the NumPy step the core mirrors) walks it.
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Callable, Optional, TypedDict

import numpy as np

import nncore as nc
from nncore.optim import new_state
from nncore.reference.optim import update

from ._report import Context, pct
from .classification import accuracy
from .data import Float64Array, FloatingArray, moons_split

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# (label, final loss, epochs to loss < target or None, train acc, test acc)
OptimizerRow = tuple[str, float, Optional[int], float, float]


class OptimizerComparison(TypedDict):
    labels: list[str]
    histories: dict[str, Float64Array]   # label -> loss per epoch
    lr: dict[str, Float64Array]          # label -> learning rate per epoch
    rows: list[OptimizerRow]
    target: float
    epochs: int
    batch_size: int


class ValleyPaths(TypedDict):
    model: nc.Sequential
    X: Float64Array
    y: Float64Array
    w_star: Float64Array
    paths: dict[str, Float64Array]       # label -> (steps+1, 2)
    losses: dict[str, Float64Array]      # label -> (steps+1,)
    start: Float64Array
    steps: int


class OptimizersSummary(TypedDict):
    rows: list[OptimizerRow]
    valley_final_loss: dict[str, float]


# (label, optimizer, schedule): one learning rate per method, from its usual range
OptimizerConfig = tuple[str, Callable[[], nc.Optimizer], Callable[[], Optional[nc.Schedule]]]
CONFIGS: tuple[OptimizerConfig, ...] = (
    ("gradient descent (SGD, lr 1)", lambda: nc.SGD(lr=1.0), lambda: None),
    ("momentum (γ 0.9, lr 1)", lambda: nc.Momentum(lr=1.0, gamma=0.9), lambda: None),
    ("RMSprop (γ 0.9, lr 0.01)", lambda: nc.RMSprop(lr=0.01, gamma=0.9), lambda: None),
    ("Adam (lr 0.02)", lambda: nc.Adam(lr=0.02), lambda: None),
    ("SGD lr 2, halved every 50 epochs", lambda: nc.SGD(lr=2.0),
     lambda: nc.StepDecay(step_size=50, gamma=0.5)),
)


def optimizer_comparison(epochs: int = 200, batch_size: int = 20, seed: int = 0,
                         target: float = 0.05) -> OptimizerComparison:
    """Train a 2-10-1 tanh network on the section-3 data with each optimizer of
    CONFIGS (same initial weights, same minibatch order: real `fit` runs).
    Returns {"labels", "histories": {label: loss per epoch}, "lr": {label: lr per
    epoch}, "rows": [(label, final loss, epochs to loss < target, train acc, test acc)]}."""
    (X, y), (Xt, yt) = moons_split()
    out: OptimizerComparison = {"labels": [], "histories": {}, "lr": {}, "rows": [],
                                "target": target, "epochs": epochs, "batch_size": batch_size}
    for label, make_opt, make_sched in CONFIGS:
        m = nc.Sequential(nc.Dense(2, 10), nc.Tanh(), nc.Dense(10, 1), nc.Sigmoid(), seed=seed)
        h = m.fit(X, y, loss="bce", optimizer=make_opt(), epochs=epochs, batch_size=batch_size,
                  lr_schedule=make_sched(), verbose=0)
        loss = np.array(h.history["loss"])
        hit = np.flatnonzero(loss < target)
        out["labels"].append(label)
        out["histories"][label] = loss
        out["lr"][label] = np.array(h.history["lr"])
        out["rows"].append((label, float(loss[-1]), int(hit[0]) + 1 if hit.size else None,
                            accuracy(m, X, y), accuracy(m, Xt, yt)))
    return out


# -- the valley ---------------------------------------------------------------------

def valley_problem(n: int = 200, rho: float = 0.95,
                   seed: int = 0) -> tuple[nc.Sequential, Float64Array, Float64Array,
                                           Float64Array]:
    """Linear regression y ≈ x₁w₁ + x₂w₂ with corr(x₁, x₂) = rho (centred data).
    Returns (model Dense(2, 1), X, y, w_star)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    X = np.c_[z[:, 0], rho * z[:, 0] + np.sqrt(1 - rho ** 2) * z[:, 1]]
    X -= X.mean(axis=0)
    w_true = np.array([1.0, 0.5])
    y = X @ w_true + 0.1 * rng.normal(size=n)
    y -= y.mean()
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    model = nc.Sequential(nc.Dense(2, 1), seed=seed)
    return model, X, y, w_star


def valley_loss(model: nc.Sequential, X: Float64Array, y: Float64Array,
                w: Float64Array) -> float:
    p = model.named_parameters()
    p["0.W"][:, 0] = w
    p["0.b"][...] = 0.0
    return model.loss(X, y, loss="mse")


def valley_grad(model: nc.Sequential, X: Float64Array, y: Float64Array,
                w: Float64Array) -> tuple[float, FloatingArray]:
    p = model.named_parameters()
    p["0.W"][:, 0] = w
    p["0.b"][...] = 0.0
    value, g = model.loss_and_grad(X, y, loss="mse")
    return value, g["0.W"][:, 0].copy()


# (label, optimizer, learning-rate decay factor per step or None)
VALLEY_CONFIGS: tuple[tuple[str, Callable[[], nc.Optimizer], float | None], ...] = (
    ("gradient descent (lr 0.95)", lambda: nc.SGD(lr=0.95), None),
    ("momentum (γ 0.9, lr 0.95)", lambda: nc.Momentum(lr=0.95, gamma=0.9), None),
    ("RMSprop (γ 0.9, lr 0.05)", lambda: nc.RMSprop(lr=0.05), None),
    ("Adam (lr 0.2)", lambda: nc.Adam(lr=0.2), None),
    ("gradient descent, lr 1.0 × 0.97 per step", lambda: nc.SGD(lr=1.0), 0.97),
)


def valley_paths(steps: int = 50,
                 start: tuple[float, float] = (-1.5, 2.5)) -> ValleyPaths:
    """Each optimizer's path on the valley, from `start`. Returns {"model", "X", "y",
    "w_star", "paths": {label: (steps+1, 2)}, "losses": {label: (steps+1,)}}."""
    model, X, y, w_star = valley_problem()
    paths: dict[str, Float64Array] = {}
    losses: dict[str, Float64Array] = {}
    for label, make_opt, decay in VALLEY_CONFIGS:
        opt = make_opt()
        w = np.array(start, dtype=np.float64)
        state = new_state(opt, w.size, np.float64)
        path = [w.copy()]
        ls: list[float] = []
        for t in range(steps):
            value, g = valley_grad(model, X, y, w)
            ls.append(value)
            lr = opt.lr * (decay ** t if decay else 1.0)
            update(opt, w, g, state, lr)
            path.append(w.copy())
        ls.append(valley_loss(model, X, y, w))
        paths[label], losses[label] = np.array(path), np.array(ls)
    return {"model": model, "X": X, "y": y, "w_star": w_star, "paths": paths, "losses": losses,
            "start": np.array(start), "steps": steps}


def run(ctx: Context) -> OptimizersSummary:
    ctx.heading(5, "Optimizers: gradient descent, momentum, RMSprop, Adam, learning-rate decay")
    epochs = 60 if ctx.quick else 200
    r = optimizer_comparison(epochs=epochs)
    ctx.say(f"  2-10-1 tanh network, section-3 data, minibatches of {r['batch_size']}, {epochs} "
            "epochs, same initial weights and batch order for all (nncore fit runs); one "
            "learning rate per method from its usual range (the ranking depends on it)")
    ctx.table(["optimizer", "final loss", f"epochs to loss < {r['target']}", "train acc",
               "test acc"],
              [(l, f"{f:.4f}", "-" if e is None else e, pct(a), pct(b))
               for l, f, e, a, b in r["rows"]])
    v = valley_paths()
    ctx.sub(f"the valley: linear regression with 2 weights on features with correlation 0.95 "
            f"(loss surface J(w1, w2), minimum at w* = ({v['w_star'][0]:.3f}, {v['w_star'][1]:.3f})), "
            f"{v['steps']} steps from ({v['start'][0]}, {v['start'][1]})",
            de=f"Das Tal: lineare Regression mit 2 Gewichten auf Merkmalen mit Korrelation "
               f"0.95 (Verlustfläche J(w1, w2), Minimum bei w* = ({v['w_star'][0]:.3f}, "
               f"{v['w_star'][1]:.3f})), {v['steps']} Schritte ab ({v['start'][0]}, "
               f"{v['start'][1]})")
    ctx.table(["optimizer", "J after 10 steps", f"J after {v['steps']} steps",
               "distance to w*"],
              [(l, f"{v['losses'][l][10]:.4f}", f"{v['losses'][l][-1]:.5f}",
                f"{np.linalg.norm(v['paths'][l][-1] - v['w_star']):.4f}") for l in v["paths"]])
    summary: OptimizersSummary = {"rows": r["rows"],
                                  "valley_final_loss": {l: float(v["losses"][l][-1])
                                                        for l in v["paths"]}}
    ctx.results["optimizers"] = summary
    if ctx.can_plot("05_optimizer_loss_curves.png", "loss curves"):
        ctx.save(plot_loss_curves(r, ctx.pyplot()), "05_optimizer_loss_curves.png",
                 "training loss per epoch for each optimizer")
    if ctx.can_plot("05_optimizer_valley.png", "loss surface with optimizer paths"):
        ctx.save(plot_valley(v, ctx.pyplot()), "05_optimizer_valley.png",
                 "2-D loss surface (valley) with each optimizer's path")
    return summary


COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


def plot_loss_curves(r: OptimizerComparison, plt: ModuleType) -> Figure:
    fig: Figure
    fig, ax = plt.subplots(figsize=(8.5, 5))
    for label, c in zip(r["labels"], COLORS):
        loss = r["histories"][label]
        ax.plot(np.arange(1, loss.size + 1), loss, color=c, lw=1.8, label=label)
    ax.axhline(r["target"], color="gray", ls=":", lw=1, label=f"target loss {r['target']}")
    ax.set(yscale="log", xlabel="epoch", ylabel="training loss (BCE, log scale)",
           title="Section 5 — The same 2-10-1 network trained with different optimizers\n"
                 f"(minibatch {r['batch_size']}, same initial weights)")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_valley(v: ValleyPaths, plt: ModuleType) -> Figure:
    model, X, y, w_star = v["model"], v["X"], v["y"], v["w_star"]
    allp = np.concatenate(list(v["paths"].values()))
    lo = np.minimum(allp.min(0), w_star) - 0.3
    hi = np.maximum(allp.max(0), w_star) + 0.3
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 110), np.linspace(lo[1], hi[1], 110))
    J = np.array([valley_loss(model, X, y, w) for w in np.c_[g1.ravel(), g2.ravel()]])
    J = J.reshape(g1.shape)
    levels = np.geomspace(max(J.min(), 1e-3) * 1.05, J.max(), 16)
    fig: Figure
    fig, axes = plt.subplots(2, 3, figsize=(15, 9.2))
    for ax, (label, path), c in zip(axes.ravel(), v["paths"].items(), COLORS):
        ax.contourf(g1, g2, J, levels=levels, cmap="Greys", alpha=0.45)
        ax.contour(g1, g2, J, levels=levels, colors="#888888", linewidths=0.5)
        ax.plot(path[:, 0], path[:, 1], "o-", color=c, ms=3, lw=1.6, label="path")
        ax.plot(*v["start"], "ks", ms=8, label="start")
        ax.plot(*w_star, "*", color="gold", mec="k", ms=16, label="minimum w*")
        ax.set(title=f"{label}\nJ after {v['steps']} steps: {v['losses'][label][-1]:.4f}",
               xlabel="weight w1", ylabel="weight w2", xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
        ax.legend(loc="upper right", fontsize=8)
    ax = axes.ravel()[-1]
    for (label, ls), c in zip(v["losses"].items(), COLORS):
        ax.plot(np.arange(ls.size), ls, color=c, lw=1.6, label=label)
    ax.set(yscale="log", xlabel="step", ylabel="loss J(w) (log scale)", title="Loss per step")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    fig.suptitle("Section 5 — Optimizer paths in the valley of a 2-weight linear regression "
                 "(features correlated 0.95; contours = loss surface)", y=1.0)
    fig.tight_layout()
    return fig
