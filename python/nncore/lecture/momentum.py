"""Section 12 — Momentum where it matters (lecture "Verbesserung: Momentum", the pictures
"Local Minima" and "Saddle points").

The lecture's form, nncore.Momentum(form="ema"):
    m₀ = 0,  m_{t+1} = γ m_t + (1 − γ) g_t,  θ_{t+1} = θ_t − η m_{t+1}   (γ = 0: gradient descent)
Every step here is the library's own update rule (nncore.reference.optim.update, the
NumPy step the core mirrors) on two small functions with analytic gradients:

- a 1-D double well f(x) = (x² − 1)² + 0.3x: a local minimum at x ≈ 0.96 and the
  global one at x ≈ −1.04. From x₀ = 2 gradient descent stops in the local minimum;
  momentum arrives with "speed" m and rolls over the barrier (from x₀ = 1.5 it does not:
  the speed it gathers depends on the way down — shown too);
- the saddle f(x, y) = x² − y², started next to the saddle point (y₀ = 0.001). The escape
  along y is set by the step size; momentum's gain is that it stays stable at steps where
  plain gradient descent is not (heavy ball: stable iff η(1 − γ)λ < 2(1 + γ), gradient
  descent iff ηλ < 2), while at the same η the lecture form lags behind (m is an average of
  the growing gradient).
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Callable, Optional, Sequence, TypedDict

import numpy as np

import nncore as nc
from nncore.optim import new_state
from nncore.reference.optim import update

from ._report import Context
from .data import Float64Array

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TILT = 0.3
Grad = Callable[[Float64Array], Float64Array]


def double_well(x: Float64Array) -> Float64Array:
    return np.asarray((x ** 2 - 1) ** 2 + TILT * x, dtype=np.float64)


def double_well_grad(x: Float64Array) -> Float64Array:
    return np.asarray(4 * x ** 3 - 4 * x + TILT, dtype=np.float64)


def saddle(w: Float64Array) -> float:
    return float(w[0] ** 2 - w[1] ** 2)


def saddle_grad(w: Float64Array) -> Float64Array:
    return np.array([2 * w[0], -2 * w[1]], dtype=np.float64)


class Trajectory(TypedDict):
    label: str
    lr: float
    gamma: float
    path: Float64Array               # (steps+1, dim): θ_0 … θ_T
    grads: Float64Array              # (steps, dim): g_t
    velocity: Optional[Float64Array]  # (steps, dim): m_{t+1}, None for gradient descent


class DoubleWell(TypedDict):
    minima: tuple[float, float]      # (global, local) x
    runs: list[tuple[float, Trajectory, Trajectory]]   # (x0, gradient descent, momentum)


class Saddle(TypedDict):
    start: Float64Array
    steps: int
    runs: list[Trajectory]
    escape_step: list[Optional[int]]  # first step with |y| > 1


class MomentumSummary(TypedDict):
    double_well_final: dict[float, tuple[float, float]]   # x0 -> (GD final x, momentum final x)
    saddle_escape: dict[str, Optional[int]]


def descend(grad: Grad, start: Sequence[float], optimizer: nc.Optimizer, steps: int,
            label: str = "") -> Trajectory:
    """`steps` updates θ ← update(optimizer, θ, ∇f(θ)) from `start`; records θ, g and m."""
    w = np.array(start, dtype=np.float64)
    state = new_state(optimizer, w.size, np.float64)
    path, grads, ms = [w.copy()], [], []
    for _ in range(steps):
        g = grad(w)
        grads.append(g.copy())
        update(optimizer, w, g, state, optimizer.lr)
        path.append(w.copy())
        if state["m"] is not None:
            ms.append(state["m"].copy())
    gamma = float(getattr(optimizer, "gamma", 0.0))
    return {"label": label, "lr": float(optimizer.lr), "gamma": gamma, "path": np.array(path),
            "grads": np.array(grads), "velocity": np.array(ms) if ms else None}


def double_well_runs(starts: Sequence[float] = (2.0, 1.5), lr: float = 0.05,
                     gamma: float = 0.9, steps: int = 150) -> DoubleWell:
    """Gradient descent and momentum (lecture form, same η) from each start."""
    roots = np.roots([4.0, 0.0, -4.0, TILT]).real
    minima = sorted(r for r in roots if 12 * r ** 2 - 4 > 0)   # f'' > 0
    runs = [(x0, descend(double_well_grad, [x0], nc.SGD(lr=lr), steps,
                         f"gradient descent η {lr:g}"),
             descend(double_well_grad, [x0], nc.Momentum(lr=lr, gamma=gamma), steps,
                     f"momentum γ {gamma:g}, η {lr:g}"))
            for x0 in starts]
    return {"minima": (float(minima[0]), float(minima[1])), "runs": runs}


def saddle_runs(start: tuple[float, float] = (1.0, 1e-3), steps: int = 80,
                gamma: float = 0.9) -> Saddle:
    """Gradient descent and lecture-form momentum near the saddle point of x² − y²."""
    cfg: list[tuple[str, nc.Optimizer]] = [
        ("gradient descent η 0.1", nc.SGD(lr=0.1)),
        (f"momentum γ {gamma:g}, η 0.1", nc.Momentum(lr=0.1, gamma=gamma)),
        (f"momentum γ {gamma:g}, η 1", nc.Momentum(lr=1.0, gamma=gamma)),
        ("gradient descent η 1 (its limit along x)", nc.SGD(lr=1.0)),
    ]
    runs = [descend(saddle_grad, start, opt, steps, label) for label, opt in cfg]
    escape: list[Optional[int]] = []
    for r in runs:
        hit = np.flatnonzero(np.abs(r["path"][:, 1]) > 1)
        escape.append(int(hit[0]) if hit.size else None)
    return {"start": np.array(start, dtype=np.float64), "steps": steps, "runs": runs,
            "escape_step": escape}


def run(ctx: Context) -> MomentumSummary:
    ctx.heading(12, "Momentum where it matters: a double well and a saddle point")
    ctx.say("  lecture form: m₀ = 0, m_{t+1} = γ m_t + (1 − γ) g_t,  θ_{t+1} = θ_t − η m_{t+1}"
            "  (nncore.Momentum, form 'ema'; γ = 0 is gradient descent)")
    dw = double_well_runs()
    glob, loc = dw["minima"]
    f_glob, f_loc = float(double_well(np.array(glob))), float(double_well(np.array(loc)))
    ctx.sub(f"double well f(x) = (x² − 1)² + {TILT}x: global minimum x = {glob:.3f} "
            f"(f = {f_glob:.3f}), local minimum x = {loc:.3f} (f = {f_loc:.3f})",
            de=f"Local Minima: Doppelmulde f(x) = (x² − 1)² + {TILT}x, globales Minimum "
               f"x = {glob:.3f} (f = {f_glob:.3f}), lokales Minimum x = {loc:.3f} "
               f"(f = {f_loc:.3f})")
    rows = []
    final: dict[float, tuple[float, float]] = {}
    for x0, gd, mo in dw["runs"]:
        for r in (gd, mo):
            x = float(r["path"][-1, 0])
            where = "global" if abs(x - glob) < 0.05 else "local" if abs(x - loc) < 0.05 else "-"
            rows.append((f"x₀ = {x0:g}", r["label"], f"{x:+.3f}", where,
                         f"{float(double_well(np.array(x))):+.3f}"))
        final[x0] = (float(gd["path"][-1, 0]), float(mo["path"][-1, 0]))
    ctx.table(["start", "method", f"x after {len(dw['runs'][0][1]['grads'])} steps",
               "minimum", "f(x)"], rows)
    ctx.say("  from x₀ = 2 the way down is steep: m gathers speed and carries x over the "
            "barrier at x ≈ 0; from x₀ = 1.5 it does not — momentum is no guarantee")
    sd = saddle_runs()
    ctx.sub(f"saddle f(x, y) = x² − y² from ({sd['start'][0]:g}, {sd['start'][1]:g}), "
            f"{sd['steps']} steps: when does |y| exceed 1 (escaped)?",
            de=f"Saddle points: Sattel f(x, y) = x² − y² ab ({sd['start'][0]:g}, "
               f"{sd['start'][1]:g}), {sd['steps']} Schritte: wann wird |y| größer als 1 "
               "(entkommen)?")
    ctx.table(["method", "escaped at step", "x at that step", "stable along x (λ = 2)?"],
              [(r["label"], "-" if e is None else e,
                "-" if e is None else f"{r['path'][e, 0]:+.3f}",
                _stable(r["lr"], r["gamma"], 2.0)) for r, e in zip(sd["runs"], sd["escape_step"])])
    ctx.say("  at the same η the lecture form escapes later than gradient descent (m averages a "
            "gradient that grows along y); its gain is stability: heavy ball is stable iff "
            "η(1 − γ)λ < 2(1 + γ), gradient descent iff ηλ < 2, so the lecture form may take "
            "a 19× larger η here (γ 0.9): at η 1 it escapes in 19 steps while x still settles; "
            "gradient descent at η 1 escapes even sooner but x flips sign forever (its "
            "stability limit) and any larger η diverges")
    summary: MomentumSummary = {"double_well_final": final,
                                "saddle_escape": {r["label"]: e for r, e in
                                                  zip(sd["runs"], sd["escape_step"])}}
    ctx.results["momentum"] = summary
    if ctx.can_plot("12_momentum.png", "momentum on a double well and a saddle"):
        ctx.save(plot_momentum(dw, sd, ctx.pyplot()), "12_momentum.png",
                 "gradient descent vs momentum: double well, saddle, velocity m_t beside g_t")
    return summary


def _stable(lr: float, gamma: float, lam: float) -> str:
    """Heavy-ball stability on a quadratic with curvature lam: the lecture's form is the
    heavy ball with step η(1 − γ)."""
    value, limit = lr * (1 - gamma) * lam, 2 * (1 + gamma)
    if np.isclose(value, limit):
        return f"on the limit (η(1−γ)λ = {value:.2f} = 2(1+γ))"
    return (f"yes ({value:.2f} < {limit:.2f})" if value < limit
            else f"no ({value:.2f} > {limit:.2f})")


COLORS = ("tab:blue", "tab:red", "tab:green", "tab:gray")


def plot_momentum(dw: DoubleWell, sd: Saddle, plt: ModuleType) -> Figure:
    fig: Figure
    fig, axes = plt.subplots(2, 3, figsize=(16, 9.5))
    x0, gd, mo = dw["runs"][0]
    xs = np.linspace(-1.6, 2.1, 300)
    ax = axes[0, 0]
    ax.plot(xs, double_well(xs), "k-", lw=1.5, label="f(x) = (x² − 1)² + 0.3x")
    for r, c, mk in ((gd, COLORS[0], "o"), (mo, COLORS[1], "s")):
        p = r["path"][:40, 0]
        ax.plot(p, double_well(p), mk, color=c, ms=4, alpha=0.7, label=r["label"])
    ax.set(ylim=(-0.6, 6), xlabel="x", ylabel="f(x)",
           title=f"Double well from x₀ = {x0:g}: first 40 steps")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    for (x0_, gd_, mo_), ls in zip(dw["runs"], ("-", "--")):
        ax.plot(gd_["path"][:, 0], ls, color=COLORS[0], label=f"gradient descent, x₀ = {x0_:g}")
        ax.plot(mo_["path"][:, 0], ls, color=COLORS[1], label=f"momentum, x₀ = {x0_:g}")
    for xm, name in zip(dw["minima"], ("global minimum", "local minimum")):
        ax.axhline(xm, color="k", lw=0.8, ls=":")
        ax.text(len(gd["path"]) - 1, xm + 0.06, name, ha="right", fontsize=8)
    ax.set(xlabel="step t", ylabel="x_t", title="Position per step")
    ax.legend(fontsize=8, loc="center right")
    ax = axes[0, 2]
    assert mo["velocity"] is not None
    n = 60
    ax.plot(mo["grads"][:n, 0], color="tab:orange", lw=1.4, label="gradient g_t = f'(x_t)")
    ax.plot(mo["velocity"][:n, 0], color=COLORS[1], lw=2, label="velocity m_{t+1} (momentum)")
    ax.axhline(0, color="k", lw=0.6)
    ax.set(xlabel="step t", ylabel="value", ylim=(-6, 12),
           title=f"Momentum from x₀ = {x0:g}: m keeps its sign while g flips\n"
                 "(g clipped in view; the step is −η·m)")
    ax.legend(fontsize=8)
    # saddle
    ax = axes[1, 0]
    g1, g2 = np.meshgrid(np.linspace(-1.3, 1.3, 100), np.linspace(-1.5, 1.5, 100))
    ax.contour(g1, g2, g1 ** 2 - g2 ** 2, levels=15, colors="#999999", linewidths=0.6)
    for r, c in zip(sd["runs"], COLORS):
        p = r["path"]
        keep = np.abs(p[:, 1]) < 1.5
        ax.plot(p[keep, 0], p[keep, 1], "o-", color=c, ms=2.5, lw=1.2, label=r["label"])
    ax.plot(*sd["start"], "ks", ms=7)
    ax.set(xlabel="x", ylabel="y", title="Saddle f = x² − y²: paths (until |y| > 1.5)")
    ax.legend(fontsize=7, loc="lower left")
    ax = axes[1, 1]
    for r, c in zip(sd["runs"], COLORS):
        ax.plot(np.abs(r["path"][:, 1]), color=c, lw=1.5, label=r["label"])
    ax.axhline(1, color="k", ls=":", lw=0.8)
    ax.set(yscale="log", ylim=(1e-4, 1e3), xlabel="step t", ylabel="|y_t| (log scale)",
           title="Escape from the saddle along y")
    ax.legend(fontsize=7)
    ax = axes[1, 2]
    r = sd["runs"][2]
    assert r["velocity"] is not None
    ax.plot(r["grads"][:, 0], color="tab:orange", lw=1.2, label="g_t, x component")
    ax.plot(r["velocity"][:, 0], color=COLORS[2], lw=2, label="m_{t+1}, x component")
    ax.plot(r["grads"][:, 1], color="tab:purple", lw=1.2, ls="--", label="g_t, y component")
    ax.plot(r["velocity"][:, 1], color="k", lw=2, ls="--", label="m_{t+1}, y component")
    ax.set(xlim=(0, 25), ylim=(-4, 4), xlabel="step t", ylabel="value",
           title=f"{r['label']}: velocity vs gradient\n(m smooths the x zig-zag; along y both grow)")
    ax.axhline(0, color="k", lw=0.6)
    ax.legend(fontsize=7)
    fig.suptitle("Section 12 — Momentum (lecture form m ← γm + (1 − γ)g, θ ← θ − ηm) on a "
                 "double well and a saddle point", y=1.0)
    fig.tight_layout()
    return fig
