"""Section 14 — Width and depth (lecture "Warum mehr als ein Layer?": the Universal
Approximation Theorem — one hidden layer can approximate every function, "praktisch sind
dafür aber sehr viele Neuronen notwendig" — and "tiefere neuronale Netze können mit
weniger Parametern bessere Modelle liefern … aber: eventuell schwieriger zu optimieren").

`width_depth()` fits the 1-D function f(x) = sin(3x) + 0.5·sin(7x) on [−π, π] with tanh
networks of 1 to 4 hidden layers at the same parameter budgets (the width is chosen so
the parameter count is as close to the budget as it gets), each from several seeds, and
reports the test error (mean squared error on 1000 fresh points) and how often a run
trains (test MSE below `trained_below`). Every network's first layer is He-normal
initialised so that its units spread over the whole input range (with the default Glorot
init a wide single layer starts almost linear on [−π, π] and trains far worse — that
would be an init effect, not the theorem).
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Sequence, TypedDict

import numpy as np

import nncore as nc
from nncore.layers import Layer

from ._report import Context
from .data import Float64Array, FloatingArray

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def target(x: FloatingArray) -> Float64Array:
    return np.asarray(np.sin(3 * x) + 0.5 * np.sin(7 * x), dtype=np.float64)


def n_params(depth: int, width: int) -> int:
    """1 → width (→ width)^(depth−1) → 1 with biases."""
    return 2 * width + (depth - 1) * (width * width + width) + width + 1


def width_for(depth: int, budget: int) -> int:
    return min(range(1, 2 * budget), key=lambda w: (abs(n_params(depth, w) - budget), w))


def network(depth: int, width: int, seed: int) -> nc.Sequential:
    layers: list[Layer] = [nc.Dense(1, width, init="he_normal"), nc.Tanh()]
    for _ in range(depth - 1):
        layers += [nc.Dense(width, width), nc.Tanh()]
    return nc.Sequential(*layers, nc.Dense(width, 1), seed=seed)


class Run(TypedDict):
    depth: int
    width: int
    params: int
    budget: int
    seed: int
    test_mse: float


class WidthDepth(TypedDict):
    budgets: list[int]
    depths: list[int]
    seeds: list[int]
    epochs: int
    trained_below: float
    runs: list[Run]
    x_test: Float64Array
    best_curves: dict[int, Float64Array]   # depth -> prediction of its best run at the top budget


def data(n_train: int = 256, n_test: int = 1000,
         seed: int = 1) -> tuple[Float64Array, Float64Array, Float64Array, Float64Array]:
    x = np.linspace(-np.pi, np.pi, n_train)[:, None]
    xt = np.sort(np.random.default_rng(seed).uniform(-np.pi, np.pi, (n_test, 1)), axis=0)
    return x, target(x).ravel(), xt, target(xt).ravel()


def width_depth(budgets: Sequence[int] = (25, 50, 100, 200, 400),
                depths: Sequence[int] = (1, 2, 3, 4), seeds: Sequence[int] = (0, 1, 2),
                epochs: int = 1500, trained_below: float = 0.01) -> WidthDepth:
    """Every (budget, depth, seed): Adam lr 0.01, minibatches of 64, MSE."""
    x, y, xt, yt = data()
    runs: list[Run] = []
    best: dict[int, tuple[float, Float64Array]] = {}
    for budget in budgets:
        for depth in depths:
            width = width_for(depth, budget)
            for seed in seeds:
                m = network(depth, width, seed)
                m.fit(x, y, loss="mse", optimizer=nc.Adam(lr=0.01), epochs=epochs,
                      batch_size=64, verbose=0)
                pred = np.asarray(m.predict(xt), dtype=np.float64).ravel()
                err = float(np.mean((pred - yt) ** 2))
                runs.append({"depth": depth, "width": width, "params": n_params(depth, width),
                             "budget": budget, "seed": seed, "test_mse": err})
                if budget == budgets[-1] and (depth not in best or err < best[depth][0]):
                    best[depth] = (err, pred)
    return {"budgets": list(budgets), "depths": list(depths), "seeds": list(seeds),
            "epochs": epochs, "trained_below": trained_below, "runs": runs, "x_test": xt,
            "best_curves": {d: p for d, (_, p) in best.items()}}


def cell(r: WidthDepth, budget: int, depth: int) -> list[Run]:
    return [u for u in r["runs"] if u["budget"] == budget and u["depth"] == depth]


class WidthDepthSummary(TypedDict):
    median_mse: dict[str, float]        # "budget/depth" -> median test MSE over seeds
    trained: dict[str, int]             # "budget/depth" -> runs below trained_below


def run(ctx: Context) -> WidthDepthSummary:
    ctx.heading(14, "Width and depth: one wide hidden layer vs deeper nets, same parameters")
    r = (width_depth(budgets=(50, 400), seeds=(0, 1), epochs=600) if ctx.quick
         else width_depth())
    ctx.lead("  f(x) = sin(3x) + 0.5·sin(7x) on [−π, π], 256 training points, test MSE on 1000 "
             f"fresh points; tanh layers, Adam lr 0.01, {r['epochs']} epochs, seeds "
             f"{r['seeds']}; 'trained' = test MSE < {r['trained_below']}",
             de="  Universal Approximation Theorem („ein hidden layer kann alle Funktionen "
                "approximieren“) gegen „Tiefere neuronale Netze können mit weniger Parametern "
                "bessere Modelle liefern … eventuell schwieriger zu optimieren“: f(x) = sin(3x) + 0.5·sin(7x) auf [−π, π], "
                "256 Trainingspunkte, Test-MSE auf 1000 neuen Punkten; tanh-Schichten, Adam "
                f"lr 0.01, {r['epochs']} Epochen, Seeds {r['seeds']}; „trainiert“ = Test-MSE "
                f"< {r['trained_below']}")
    headers = ["parameters (budget)"] + [f"{d} hidden layer{'s' if d > 1 else ''}"
                                         for d in r["depths"]]
    rows = []
    median: dict[str, float] = {}
    trained: dict[str, int] = {}
    for b in r["budgets"]:
        cells = [str(b)]
        for d in r["depths"]:
            runs = cell(r, b, d)
            med = float(np.median([u["test_mse"] for u in runs]))
            ok = sum(u["test_mse"] < r["trained_below"] for u in runs)
            median[f"{b}/{d}"], trained[f"{b}/{d}"] = med, ok
            cells.append(f"w {runs[0]['width']}: {med:.4f} ({ok}/{len(runs)})")
        rows.append(cells)
    ctx.table(headers, rows)
    ctx.say("  cell: width, median test MSE over the seeds, (runs trained / runs)",
            *reading(r, median))
    summary: WidthDepthSummary = {"median_mse": median, "trained": trained}
    ctx.results["width-depth"] = summary
    if ctx.can_plot("14_width_depth.png", "test error against parameters per depth"):
        ctx.save(plot_width_depth(r, ctx.pyplot()), "14_width_depth.png",
                 "test error vs parameters for 1-4 hidden layers; best fits at the top budget")
    return summary


def reading(r: WidthDepth, median: dict[str, float]) -> list[str]:
    """What the table shows, in words computed from it."""
    top, small = r["budgets"][-1], r["budgets"][0]
    deep = [d for d in r["depths"] if d > 1]
    best = min(deep, key=lambda d: median[f"{top}/{d}"])
    one = [median[f"{b}/1"] for b in r["budgets"]]
    worst_small = max(r["depths"], key=lambda d: median[f"{small}/{d}"])
    return [
        f"  at {top} parameters: 1 hidden layer {median[f'{top}/1']:.4f}, {best} hidden layers "
        f"{median[f'{top}/{best}']:.4f} — {median[f'{top}/1'] / median[f'{top}/{best}']:.0f}× "
        "smaller error with the same parameters ('tiefere Netze … weniger Parameter')",
        f"  at {small} parameters the worst is {worst_small} hidden layer(s) "
        f"({median[f'{small}/{worst_small}']:.4f}, width {width_for(worst_small, small)}): "
        "deep and very narrow nets are hard to train ('schwieriger zu optimieren')",
        "  one wide layer over the budgets: " + " → ".join(f"{v:.4f}" for v in one)
        + " — it could approximate f (Universal Approximation) but does not get there "
        "with this training; more width alone does not help"]


COLORS = ("tab:red", "tab:blue", "tab:green", "tab:purple")


def plot_width_depth(r: WidthDepth, plt: ModuleType) -> Figure:
    fig: Figure
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, 5.2))
    for d, c in zip(r["depths"], COLORS):
        for b in r["budgets"]:
            errs = [u["test_mse"] for u in cell(r, b, d)]
            p = cell(r, b, d)[0]["params"]
            ax.scatter([p] * len(errs), errs, color=c, s=18, alpha=0.5)
        med = [np.median([u["test_mse"] for u in cell(r, b, d)]) for b in r["budgets"]]
        ps = [cell(r, b, d)[0]["params"] for b in r["budgets"]]
        ax.plot(ps, med, "o-", color=c, lw=2, label=f"{d} hidden layer{'s' if d > 1 else ''}")
    ax.axhline(r["trained_below"], color="gray", ls=":", lw=1, label="'trained' threshold")
    ax.set(xscale="log", yscale="log", xlabel="parameters", ylabel="test MSE (log scale)",
           title="Same parameter budget, different depth\n(dots: seeds, line: median)")
    ax.set_xticks(r["budgets"], [str(b) for b in r["budgets"]])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    xt = r["x_test"].ravel()
    ax2.plot(xt, target(xt), "k-", lw=3, alpha=0.35, label="f(x) = sin 3x + 0.5 sin 7x")
    for d, c in zip(r["depths"], COLORS):
        ax2.plot(xt, r["best_curves"][d], color=c, lw=1.3,
                 label=f"{d} hidden, w {width_for(d, r['budgets'][-1])}")
    ax2.set(xlabel="x", ylabel="f(x)",
            title=f"Best run per depth at ≈ {r['budgets'][-1]} parameters")
    ax2.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
    fig.suptitle("Section 14 — Universal Approximation vs depth (tanh networks, equal "
                 "parameter budgets)", y=1.02)
    fig.tight_layout()
    return fig
