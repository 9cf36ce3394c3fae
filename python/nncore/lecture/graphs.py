"""Section 9 — Computational graphs (lecture "Backpropagation durch Darstellung des
computational graphs").

The lecture's three small graphs, runnable:
    z = x·y                                   product_graph()
    ŷ = σ(xᵀw + b) with its loss              logistic_regression_graph()
    xᵀw with the penalty λ Σ w²               linear_regression_graph()
and the graph of a real network, `model.graph(X, y, loss=..., l2=...)`.
Each result has the chain rule per node and the gradients next to central
differences (and, for models, `nncore.check_gradients` and the core's own
`loss_and_grad`).
"""
from __future__ import annotations

from typing import Literal, Mapping, Sequence, TypedDict, Union

import numpy as np
from numpy.typing import ArrayLike

import nncore as nc
from nncore.graph import Graph, GraphvizUnavailable

from ._report import Context
from .data import Float64Array, FloatingArray

LossName = Literal["mse", "mse_mean", "bce", "ce"]
# A gradient per leaf: a number for the scalar graphs, an array shaped like the parameter
# for a model's graph.
Gradient = Union[float, FloatingArray]


class _GraphResultBase(TypedDict):
    graph: Graph
    grads: Mapping[str, Gradient]     # leaf -> ∂L/∂leaf from the graph's backward pass
    numeric: Mapping[str, Gradient]   # leaf -> central differences
    errors: dict[str, float]          # leaf -> relative error between the two


class GraphResult(_GraphResultBase, total=False):
    """The keys of a model's graph (not of product_graph)."""
    model: nc.Sequential
    check_gradients: dict[str, float]   # nncore.check_gradients per parameter
    vs_model: dict[str, float]          # max |graph − core loss_and_grad| per parameter


class GraphSummary(TypedDict):
    max_error: float
    vs_model: float | None


def product_graph(x: float = 3.0, y: float = -2.0) -> GraphResult:
    """z = x·y: ∂z/∂x = y, ∂z/∂y = x. Returns {"graph", "grads", "numeric", "errors"}."""
    g = Graph(title="z = x·y")
    xn = g.leaf("x", x, op="input")
    yn = g.leaf("y", y, op="input")
    g.op("z", "mul", [xn, yn], lambda a, b: a * b, lambda gr, out, a, b: [gr * b, gr * a],
         formula="z = x·y", rules=["∂z/∂x = y", "∂z/∂y = x"])
    grads = g.backward()
    numeric = g.numeric_gradients()
    errors = g.check()
    return {"graph": g, "grads": {k: float(v) for k, v in grads.items()},
            "numeric": {k: float(v) for k, v in numeric.items()}, "errors": errors}


def _model_graph_result(model: nc.Sequential, X: Float64Array, y: Float64Array,
                        loss: LossName, l2: float = 0.0) -> GraphResult:
    g = model.graph(X, y, loss=loss, l2=l2)
    grads = g.backward()
    return {"graph": g, "model": model, "grads": grads, "numeric": g.numeric_gradients(),
            "errors": g.check(),
            "check_gradients": nc.check_gradients(model, X, y, loss=loss, l2=l2),
            "vs_model": g.compare_with_model()}


def logistic_regression_graph(x: Sequence[float] = (1.0, 2.0), c: float = 1.0,
                              w: Sequence[float] = (0.5, -0.3), b: float = 0.1) -> GraphResult:
    """ŷ = σ(xᵀw + b), J = −[c log ŷ + (1 − c) log(1 − ŷ)] for one sample, as an nncore
    model Dense(2, 1) → Sigmoid with these weights."""
    model = nc.Sequential(nc.Dense(len(x), 1), nc.Sigmoid(), seed=0)
    p = model.named_parameters()
    p["0.W"][:, 0] = w
    p["0.b"][...] = b
    return _model_graph_result(model, np.array([x], dtype=float), np.array([c], dtype=float),
                               "bce")


def linear_regression_graph(X: ArrayLike = ((1.0, 2.0), (0.5, -1.0), (-1.5, 0.5)),
                            c: ArrayLike = (1.0, -0.5, 0.25), w: Sequence[float] = (0.3, -0.2),
                            lam: float = 0.1) -> GraphResult:
    """ŷ = xᵀw, L = 1/(2m) Σ (ŷ − c)² + λ Σ w², as on the slide: Dense(bias=False), so
    the graph has no bias node."""
    X = np.asarray(X, dtype=float)
    model = nc.Sequential(nc.Dense(X.shape[1], 1, bias=False), seed=0)
    model.named_parameters()["0.W"][:, 0] = w
    return _model_graph_result(model, X, np.asarray(c, dtype=float), "mse", l2=lam)


def network_graph(seed: int = 0) -> GraphResult:
    """The graph of a real 2-3-1 network (tanh, sigmoid, BCE, l2 = 0.01) on 4 points."""
    from .data import make_moons
    X, y = make_moons(4, 0.1, seed)
    model = nc.Sequential(nc.Dense(2, 3), nc.Tanh(), nc.Dense(3, 1), nc.Sigmoid(), seed=seed)
    return _model_graph_result(model, X, y, "bce", l2=0.01)


def _grad_rows(r: GraphResult) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for name, g in r["grads"].items():
        n = r["numeric"][name]
        g, n = np.ravel(g), np.ravel(n)
        rows.append((name, "[" + ", ".join(f"{v:+.5f}" for v in g[:4]) + (" …" if g.size > 4 else "") + "]",
                     "[" + ", ".join(f"{v:+.5f}" for v in n[:4]) + (" …" if n.size > 4 else "") + "]",
                     f"{r['errors'][name]:.1e}",
                     f"{r['check_gradients'][name]:.1e}" if "check_gradients" in r else "-"))
    return rows


# The sub-headlines with --lang de, in the slides' words ("Einfaches Beispiel",
# "mit Regularisierung λ Σ wᵢ²", "Neuronales Netz").
TITLES_DE = {"product": "Einfaches Beispiel: z = x·y  (x = 3, y = −2)",
             "logistic": "Logistische Regression ŷ = σ(xᵀw + b), BCE, x = (1, 2), c = 1",
             "linear": "Lineare Regression xᵀw mit Regularisierung λ Σ w², λ = 0.1, 3 Datenpunkte",
             "network": "Neuronales Netz: model.graph eines 2-3-1-Netzes (tanh, Sigmoid, BCE, "
                        "l2 = 0.01), 4 Punkte"}


def run(ctx: Context) -> dict[str, GraphSummary]:
    ctx.heading(9, "Computational graphs: the lecture's examples and a real model's graph")
    results = {"product": product_graph(), "logistic": logistic_regression_graph(),
               "linear": linear_regression_graph(), "network": network_graph()}
    titles = {"product": "z = x·y  (x = 3, y = −2)",  # English; --lang de: TITLES_DE
              "logistic": "logistic regression ŷ = σ(xᵀw + b), BCE, x = (1, 2), c = 1",
              "linear": "linear regression xᵀw + λ Σ w², λ = 0.1, 3 samples",
              "network": "model.graph of a 2-3-1 network (tanh, sigmoid, BCE, l2 = 0.01), 4 points"}
    summary: dict[str, GraphSummary] = {}
    graphviz_noted = False   # say once that Graphviz is missing
    for key, r in results.items():
        g = r["graph"]
        ctx.sub(titles[key], de=TITLES_DE[key])
        if key == "network":
            ctx.say(*["  " + l for l in g.table().split("\n")])
        ctx.say("  chain rule, node by node (from the output back):")
        ctx.say(*["    " + l for l in g.chain_rule()])
        ctx.table(["leaf", "graph ∂L/∂leaf", "central differences", "rel. error",
                   "check_gradients"], _grad_rows(r))
        worst = max(r["errors"].values())
        line = f"  max relative error vs central differences {worst:.1e}"
        if "vs_model" in r:
            line += (f"; vs the core's loss_and_grad: max |Δ| "
                     f"{max(r['vs_model'].values()):.1e}")
        ctx.say(line)
        summary[key] = {"max_error": worst,
                        "vs_model": max(r["vs_model"].values()) if "vs_model" in r else None}
        if ctx.out is not None:
            ctx.write_text(f"09_graph_{key}.dot", g.to_dot(), "Graphviz DOT text")
            try:
                path = g.render(f"{ctx.out}/09_graph_{key}_graphviz.png")
                ctx.pictures.append((ctx.section, path, f"graph {key} (Graphviz)"))
                ctx.say(f"  picture: {path}  (rendered with Graphviz)")
            except GraphvizUnavailable:
                if not graphviz_noted:
                    ctx.skip("Graphviz rendering of the DOT files",
                             "Graphviz (`dot`) not found; install it (apt install graphviz) "
                             "for SVG/PNG from the .dot files — drawing with matplotlib instead")
                    graphviz_noted = True
            if ctx.can_plot(f"09_graph_{key}.png", "graph drawn with matplotlib"):
                from matplotlib.figure import Figure   # can_plot: matplotlib is there
                fig = g.draw()
                assert isinstance(fig, Figure)   # draw() without ax makes its own figure
                ctx.save(fig, f"09_graph_{key}.png", f"computational graph: {titles[key]}")
    ctx.results["graphs"] = summary
    return summary
