"""Section 11 — The learning rate (lecture "Training: Gradient Descent plus Tricks":
"Lernrate muss ‚gut' gewählt werden", the too-small / good / too-large picture).

On the valley of section 5 (a quadratic J(w) = 1/(2m)‖Xw − y‖²) gradient descent
w ← w − α∇J has an exact stability limit: along the Hessian's eigenvector with
eigenvalue λ the error is multiplied by (1 − αλ) per step, so it shrinks iff
α < 2/λ_max, and the best constant step is α* = 2/(λ_min + λ_max).
`valley_stability()` reads the Hessian off the core's gradients (the gradient is
linear in w) and checks it against XᵀX/m; `valley_lr_paths()` walks the valley with
too small / good / too large / diverging steps; `valley_fit_divergence()` trains the
same model with `fit` beyond the limit and catches the FloatingPointError nncore
raises when the loss becomes non-finite.
`network_lr_curves()` does the same for the 2-D network of section 3 (full batch):
with a sigmoid output and BCE a too-large step cannot overflow (the sigmoid
saturates, the loss stays finite but high), while the ReLU network does.
"""
from __future__ import annotations

import re
from types import ModuleType
from typing import TYPE_CHECKING, Optional, Sequence, TypedDict

import numpy as np

import nncore as nc

from ._report import Context
from .data import Float64Array, moons_split
from .optimizers import valley_grad, valley_loss, valley_problem

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class ValleyStability(TypedDict):
    hessian: Float64Array            # from the core's gradients
    hessian_formula: Float64Array    # XᵀX / m
    eigenvalues: Float64Array        # ascending
    limit: float                     # 2 / λ_max
    best: float                      # 2 / (λ_min + λ_max)


class ValleyLrPaths(TypedDict):
    stability: ValleyStability
    labels: list[str]
    lrs: list[float]
    paths: list[Float64Array]        # (steps+1, 2) each
    losses: list[Float64Array]       # (steps+1,) each
    w_star: Float64Array
    start: Float64Array


class FitOutcome(TypedDict):
    lr: float
    losses: list[float]              # per epoch (empty if fit raised)
    error: Optional[str]             # FloatingPointError message, or None
    error_epoch: Optional[int]


class NetworkLrCurves(TypedDict):
    activation: str
    epochs: int
    runs: list[FitOutcome]


class LearningRateSummary(TypedDict):
    eigenvalues: list[float]
    limit: float
    best: float
    valley_final: dict[str, float]
    valley_fit_error_epoch: Optional[int]
    network_final: dict[float, Optional[float]]
    relu_error_epoch: Optional[int]


def valley_stability() -> ValleyStability:
    """Hessian of the valley from the core's gradients (columns ∇J(eᵢ) − ∇J(0)), its
    eigenvalues, the stability limit 2/λ_max and the best step 2/(λ_min + λ_max)."""
    model, X, y, _ = valley_problem()
    g0 = valley_grad(model, X, y, np.zeros(2))[1]
    H = np.column_stack([valley_grad(model, X, y, e)[1] - g0 for e in np.eye(2)])
    H = np.asarray(H, dtype=np.float64)
    lam = np.linalg.eigvalsh(0.5 * (H + H.T))
    return {"hessian": H, "hessian_formula": X.T @ X / len(X), "eigenvalues": lam,
            "limit": float(2 / lam[-1]), "best": float(2 / (lam[0] + lam[-1]))}


def valley_lr_paths(steps: int = 50, start: tuple[float, float] = (-1.5, 2.5),
                    factors: Sequence[float] = (0.05, 0.99, 1.1)) -> ValleyLrPaths:
    """Gradient descent on the valley with α = factors[0]·limit (too small), α* (good),
    factors[1]·limit (too large: zig-zag), factors[2]·limit (diverging)."""
    st = valley_stability()
    model, X, y, w_star = valley_problem()
    lrs = [factors[0] * st["limit"], st["best"], factors[1] * st["limit"],
           factors[2] * st["limit"]]
    labels = [f"too small: α = {lrs[0]:.3f} ({factors[0]:g} × limit)",
              f"good: α* = 2/(λmin+λmax) = {lrs[1]:.3f}",
              f"too large: α = {lrs[2]:.3f} ({factors[1]:g} × limit)",
              f"diverging: α = {lrs[3]:.3f} ({factors[2]:g} × limit)"]
    paths, losses = [], []
    for lr in lrs:
        w = np.array(start, dtype=np.float64)
        path, ls = [w.copy()], []
        for _ in range(steps):
            value, g = valley_grad(model, X, y, w)
            ls.append(value)
            w = w - lr * np.asarray(g, dtype=np.float64)
            path.append(w.copy())
        ls.append(valley_loss(model, X, y, w))
        paths.append(np.array(path))
        losses.append(np.array(ls))
    return {"stability": st, "labels": labels, "lrs": lrs, "paths": paths, "losses": losses,
            "w_star": w_star, "start": np.array(start, dtype=np.float64)}


def _fit(model: nc.Sequential, X: Float64Array, y: Float64Array, loss: str, lr: float,
         epochs: int) -> FitOutcome:
    try:
        h = model.fit(X, y, loss=loss, optimizer=nc.SGD(lr=lr), epochs=epochs,
                      batch_size=len(X), shuffle=False, verbose=0)
    except FloatingPointError as e:
        m = re.search(r"epoch (\d+)", str(e))
        return {"lr": lr, "losses": [], "error": str(e),
                "error_epoch": int(m.group(1)) if m else None}
    return {"lr": lr, "losses": [float(v) for v in h.history["loss"]], "error": None,
            "error_epoch": None}


def valley_fit_divergence(factor: float = 1.1, epochs: int = 5000) -> FitOutcome:
    """`fit` the valley's Dense(2, 1) (full batch, MSE) with α = factor × limit."""
    model, X, y, _ = valley_problem()
    return _fit(model, X, y, "mse", factor * valley_stability()["limit"], epochs)


def network_lr_curves(lrs: Sequence[float] = (0.1, 3.0, 30.0, 1000.0), epochs: int = 200,
                      activation: str = "tanh", seed: int = 0) -> NetworkLrCurves:
    """The section-3 network 2-10-1 (`activation` hidden, sigmoid output, BCE) trained
    with full-batch gradient descent at each learning rate, same initial weights."""
    (X, y), _ = moons_split()
    act = {"tanh": nc.Tanh, "relu": nc.ReLU}[activation]
    runs = [_fit(nc.Sequential(nc.Dense(2, 10), act(), nc.Dense(10, 1), nc.Sigmoid(),
                               seed=seed), X, y, "bce", lr, epochs) for lr in lrs]
    return {"activation": activation, "epochs": epochs, "runs": runs}


def run(ctx: Context) -> LearningRateSummary:
    ctx.heading(11, "The learning rate: too small, good, too large, diverging")
    v = valley_lr_paths()
    st = v["stability"]
    lam = st["eigenvalues"]
    ctx.say("  the valley of section 5: J(w) = 1/(2m) ‖Xw − y‖², Hessian H read off the "
            "core's gradients (∇J(eᵢ) − ∇J(0)):",
            f"    H = [[{st['hessian'][0, 0]:.4f}, {st['hessian'][0, 1]:.4f}], "
            f"[{st['hessian'][1, 0]:.4f}, {st['hessian'][1, 1]:.4f}]]   (XᵀX/m: max |Δ| "
            f"{np.abs(st['hessian'] - st['hessian_formula']).max():.1e})",
            f"    eigenvalues λ_min = {lam[0]:.4f}, λ_max = {lam[-1]:.4f} (condition "
            f"{lam[-1] / lam[0]:.0f})",
            "    gradient descent multiplies the error along each eigenvector by (1 − αλ) "
            "per step:",
            f"    stable iff α < 2/λ_max = {st['limit']:.4f};  best constant α* = "
            f"2/(λ_min + λ_max) = {st['best']:.4f}")
    ctx.table(["learning rate", "J after 10 steps", f"J after {len(v['losses'][0]) - 1}",
               "|1 − αλ_max|", "|1 − αλ_min|"],
              [(lab, f"{ls[10]:.4g}", f"{ls[-1]:.4g}", f"{abs(1 - lr * lam[-1]):.3f}",
                f"{abs(1 - lr * lam[0]):.3f}")
               for lab, lr, ls in zip(v["labels"], v["lrs"], v["losses"])])
    fd = valley_fit_divergence()
    ctx.say(f"  model.fit on the valley with α = 1.1 × limit = {fd['lr']:.4f}: "
            + (f"FloatingPointError in epoch {fd['error_epoch']}: "
               f"\"{(fd['error'] or '').split(';')[0]}\"" if fd["error"]
               else f"no error, final loss {fd['losses'][-1]:.3g}"))
    net = network_lr_curves()
    relu = network_lr_curves(lrs=(1000.0,), activation="relu")
    ctx.sub(f"the 2-D network of section 3 (2-10-1, tanh, sigmoid output, BCE), full-batch "
            f"gradient descent, {net['epochs']} epochs, same initial weights",
            de=f"Das 2-D-Netz aus Abschnitt 3 (2-10-1, tanh, Sigmoid-Output, BCE), Gradient "
               f"Descent über alle Punkte, {net['epochs']} Epochen, gleiche Startgewichte")
    ctx.table(["learning rate", "loss epoch 1", "loss epoch 10", "final loss", "max loss",
               "outcome"],
              [(f"{r['lr']:g}",) + _curve_cells(r) for r in net["runs"]]
              + [(f"{r['lr']:g} (ReLU hidden)",) + _curve_cells(r) for r in relu["runs"]])
    ctx.say("  with tanh and a sigmoid output a huge step cannot overflow: the units saturate "
            "and the loss stays finite but high (no error is raised); the ReLU network's "
            "weights grow without bound until the loss is non-finite, and fit stops with "
            "FloatingPointError (weights left at their last finite values)")
    summary: LearningRateSummary = {
        "eigenvalues": [float(x) for x in lam], "limit": st["limit"], "best": st["best"],
        "valley_final": {lab: float(ls[-1]) for lab, ls in zip(v["labels"], v["losses"])},
        "valley_fit_error_epoch": fd["error_epoch"],
        "network_final": {r["lr"]: (r["losses"][-1] if r["losses"] else None)
                          for r in net["runs"]},
        "relu_error_epoch": relu["runs"][0]["error_epoch"]}
    ctx.results["learning-rate"] = summary
    if ctx.can_plot("11_learning_rate.png", "learning rates on the valley and the network"):
        ctx.save(plot_learning_rate(v, net, ctx.pyplot()), "11_learning_rate.png",
                 "gradient descent with four learning rates: valley paths, loss curves")
    return summary


def _curve_cells(r: FitOutcome) -> tuple[str, str, str, str, str]:
    if r["error"]:
        return ("-", "-", "-", "-", f"FloatingPointError in epoch {r['error_epoch']}")
    ls = r["losses"]
    outcome = ("slow" if ls[-1] > 0.2 else "bouncing, high" if ls[-1] > 1 or max(ls) > 5 * ls[0]
               else "good")
    if ls[-1] > ls[0]:
        outcome = "worse than the start"
    return (f"{ls[0]:.4f}", f"{ls[9]:.4f}", f"{ls[-1]:.4f}", f"{max(ls):.3g}", outcome)


COLORS = ("tab:blue", "tab:green", "tab:orange", "tab:red")


def plot_learning_rate(v: ValleyLrPaths, net: NetworkLrCurves, plt: ModuleType) -> Figure:
    model, X, y, w_star = valley_problem()
    lo, hi = np.array([-2.5, -1.5]), np.array([3.5, 3.5])
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 90), np.linspace(lo[1], hi[1], 90))
    # the same J as the core's loss (pinned by the tests), vectorised for the 8100 grid points
    W = np.c_[g1.ravel(), g2.ravel()]
    J = (0.5 * np.mean((X @ W.T - y[:, None]) ** 2, axis=0)).reshape(g1.shape)
    levels = np.geomspace(max(J.min(), 1e-3) * 1.05, J.max(), 14)
    fig: Figure
    fig, axes = plt.subplots(2, 3, figsize=(16, 9.5))
    for i, (ax, lab, path, c) in enumerate(zip(np.r_[axes[0], axes[1, :1]], v["labels"],
                                               v["paths"], COLORS)):
        ax.contourf(g1, g2, J, levels=levels, cmap="Greys", alpha=0.45)
        ax.contour(g1, g2, J, levels=levels, colors="#888888", linewidths=0.5)
        n = 25 if i < 3 else 8   # the diverging path leaves the picture after a few steps
        shown = path[:n + 1]
        ax.plot(shown[:, 0], shown[:, 1], "o-", color=c, ms=3, lw=1.3, label=f"first {n} steps")
        ax.plot(*v["start"], "ks", ms=8, label="start")
        ax.plot(*w_star, "*", color="gold", mec="k", ms=16, label="minimum w*")
        ax.set(title=lab, xlabel="weight w1", ylabel="weight w2", xlim=(lo[0], hi[0]),
               ylim=(lo[1], hi[1]))
        ax.legend(loc="lower right", fontsize=8)
    ax = axes[1, 1]
    for lab, ls, c in zip(v["labels"], v["losses"], COLORS):
        ax.plot(np.arange(ls.size), ls, color=c, lw=1.6, label=lab.split(":")[0])
    st = v["stability"]
    ax.set(yscale="log", xlabel="step", ylabel="J(w) (log scale)",
           title=f"valley: loss per step (limit 2/λmax = {st['limit']:.3f})")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    ax = axes[1, 2]
    for r, c in zip(net["runs"], COLORS):
        if r["losses"]:
            ax.plot(np.arange(1, len(r["losses"]) + 1), r["losses"], color=c, lw=1.5,
                    label=f"α = {r['lr']:g}")
    ax.set(yscale="log", xlabel="epoch", ylabel="training loss (BCE, log scale)",
           title="2-D network (2-10-1 tanh), full-batch gradient descent")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.suptitle("Section 11 — 'Lernrate muss gut gewählt werden': too small, good, "
                 "too large, diverging", y=1.0)
    fig.tight_layout()
    return fig
