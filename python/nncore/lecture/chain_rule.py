"""Section 13 — The chain rule as the slides write it (lecture "Neuronale Netze:
Backpropagation", "Backpropagation aus computational graph": "Einfaches Beispiel",
"Etwas komplizierter", "Neuronales Netz").

- `scalar_chain()`: the slide's network with one unit per layer,
      x → a¹ = θ¹x → h¹ = σ(a¹) → a² = θ²h¹ → h² = σ(a²),   J = ½(h² − c)²
  (regression, m = 1; no bias, as on the slides: Dense(1, 1, bias=False)),
  every factor of ∂J/∂θ¹ = ∂J/∂h² · ∂h²/∂a² · ∂a²/∂h¹ · ∂h¹/∂a¹ · ∂a¹/∂θ¹ as a number,
  their product, and the core's loss_and_grad for the same network; `depth=3` gives the
  slide's three-layer product.
- `jacobian_example()`: x ∈ ℝ³, y = g(x) = tanh(Ax) ∈ ℝ², z = f(y) = y₁² + 3y₂:
  ∇ₓz = (∂y/∂x)ᵀ ∇_y z with the 2×3 Jacobian written out, against central differences.
- `sum_over_paths()`: in L = J + λ·penalty the weight W¹ reaches L on two paths (through
  the data term and through the penalty); ∂L/∂W¹ is the sum of the two contributions
  (Graph.contributions), equal to the core's gradient.
"""
from __future__ import annotations

from typing import Sequence, TypedDict

import numpy as np

import nncore as nc
from nncore.layers import Layer

from ._report import Context
from .data import Float64Array
from .graphs import network_graph


def _sigmoid(a: float) -> float:
    return float(1 / (1 + np.exp(-a)))


class ScalarChain(TypedDict):
    x: float
    c: float
    thetas: list[float]
    a: list[float]                  # a¹ … a^L
    h: list[float]                  # h¹ … h^L
    loss: float
    factors: list[tuple[str, float]]   # (∂J/∂h^L, …, ∂a¹/∂θ¹) in the slide's order
    product: float
    core: float                     # the core's ∂J/∂θ¹ (loss_and_grad, "mse")
    core_last: float                # the core's ∂J/∂θ^L
    product_last: float             # ∂J/∂h^L · ∂h^L/∂a^L · ∂a^L/∂θ^L


def scalar_chain_model(thetas: Sequence[float]) -> nc.Sequential:
    """Dense(1, 1, bias=False)→σ per weight, weights θ¹, θ², … (the slide's a = θᵀh)."""
    layers: list[Layer] = []
    for _ in thetas:
        layers += [nc.Dense(1, 1, bias=False), nc.Sigmoid()]
    model = nc.Sequential(*layers, seed=0)
    p = model.named_parameters()
    for k, t in enumerate(thetas):
        p[f"{2 * k}.W"][...] = t
    return model


def scalar_chain(x: float = 1.5, c: float = 1.0,
                 thetas: Sequence[float] = (0.8, -1.2)) -> ScalarChain:
    """The 1-1-…-1 sigmoid network with weights `thetas` (θ¹, θ², …), factor by factor."""
    L = len(thetas)
    model = scalar_chain_model(thetas)
    a: list[float] = []
    h: list[float] = []
    inp = x
    for t in thetas:
        a.append(t * inp)
        h.append(_sigmoid(a[-1]))
        inp = h[-1]
    top = str(L)
    factors: list[tuple[str, float]] = [(f"∂J/∂h{top}", h[-1] - c)]
    for k in range(L, 1, -1):   # layers L … 2: ∂h^k/∂a^k, ∂a^k/∂h^(k−1)
        factors.append((f"∂h{k}/∂a{k}", h[k - 1] * (1 - h[k - 1])))
        factors.append((f"∂a{k}/∂h{k - 1}", float(thetas[k - 1])))
    factors.append(("∂h1/∂a1", h[0] * (1 - h[0])))
    factors.append(("∂a1/∂θ1", x))
    product = float(np.prod([v for _, v in factors]))
    loss, grads = model.loss_and_grad(np.array([[x]]), np.array([c]), loss="mse")
    product_last = (h[-1] - c) * h[-1] * (1 - h[-1]) * (h[-2] if L > 1 else x)
    return {"x": x, "c": c, "thetas": [float(t) for t in thetas], "a": a, "h": h,
            "loss": float(loss), "factors": factors, "product": product,
            "core": float(np.ravel(grads["0.W"])[0]),
            "core_last": float(np.ravel(grads[f"{2 * (L - 1)}.W"])[0]),
            "product_last": float(product_last)}


class JacobianExample(TypedDict):
    x: Float64Array
    A: Float64Array
    y: Float64Array
    z: float
    jacobian: Float64Array          # ∂y/∂x, (2, 3)
    grad_y: Float64Array            # ∇_y z, (2,)
    grad_x: Float64Array            # (∂y/∂x)ᵀ ∇_y z, (3,)
    by_sum: Float64Array            # Σ_j ∂z/∂y_j ∂y_j/∂x_i, (3,)
    numeric: Float64Array           # central differences of z(x), (3,)


def _z_of_x(A: Float64Array, x: Float64Array) -> float:
    y = np.tanh(A @ x)
    return float(y[0] ** 2 + 3 * y[1])


def jacobian_example(x: Sequence[float] = (0.5, -1.0, 2.0),
                     A: Sequence[Sequence[float]] = ((0.3, -0.2, 0.1),
                                                     (0.4, 0.5, -0.3))) -> JacobianExample:
    """y = tanh(Ax), z = y₁² + 3y₂: the slide's ∇ₓz = (∂y/∂x)ᵀ ∇_y z in numbers."""
    xv = np.asarray(x, dtype=np.float64)
    Am = np.asarray(A, dtype=np.float64)
    y = np.tanh(Am @ xv)
    J = (1 - y ** 2)[:, None] * Am            # ∂y_j/∂x_i = (1 − y_j²) A_ji
    gy = np.array([2 * y[0], 3.0])            # ∂z/∂y_j
    by_sum = np.array([sum(gy[j] * J[j, i] for j in range(2)) for i in range(3)])
    eps = 1e-6
    num = np.array([(_z_of_x(Am, xv + eps * e) - _z_of_x(Am, xv - eps * e)) / (2 * eps)
                    for e in np.eye(3)])
    return {"x": xv, "A": Am, "y": y, "z": _z_of_x(Am, xv), "jacobian": J, "grad_y": gy,
            "grad_x": J.T @ gy, "by_sum": by_sum, "numeric": num}


class PathSum(TypedDict):
    parameter: str
    paths: list[tuple[str, Float64Array]]   # (path through consumer, contribution)
    total: Float64Array                     # the graph's ∂L/∂W
    core: Float64Array                      # the core's loss_and_grad
    max_diff: float                         # max |Σ paths − core|


def sum_over_paths(seed: int = 0) -> list[PathSum]:
    """∂L/∂W¹ and ∂L/∂W² of section 9's 2-3-1 network (BCE + l2 0.01) as sums over paths."""
    r = network_graph(seed=seed)
    g = r["graph"]
    model = r["model"]
    X, c = g["x"].value, g["c"].value
    assert X is not None and c is not None
    _, core = model.loss_and_grad(X, c, loss="bce", l2=0.01)
    out: list[PathSum] = []
    for leaf, param in (("W1", "0.W"), ("W2", "2.W")):
        parts = g.contributions(leaf)
        total = g[leaf].grad
        assert total is not None
        paths = [(f"{'data term J' if n.name.startswith('m') else 'penalty λΣW²'} "
                  f"(via {n.name})", v) for n, v in parts]
        summed = np.sum([v for _, v in parts], axis=0)
        out.append({"parameter": leaf, "paths": paths, "total": total,
                    "core": np.asarray(core[param], dtype=np.float64),
                    "max_diff": float(np.max(np.abs(summed - core[param])))})
    return out


class ChainRuleSummary(TypedDict):
    factors: list[tuple[str, float]]
    product: float
    core: float
    three_layer_product: float
    three_layer_core: float
    jacobian_grad: list[float]
    path_sum_max_diff: float


def _row(v: Float64Array) -> str:
    return "[" + ", ".join(f"{x:+.5f}" for x in np.ravel(v)) + "]"


def run(ctx: Context) -> ChainRuleSummary:
    ctx.heading(13, "The chain rule as the slides write it: factor by factor, Jacobian, paths")
    s = scalar_chain()
    ctx.say(f"  x → a1 = θ1·x → h1 = σ(a1) → a2 = θ2·h1 → h2 = σ(a2),  J = ½(h2 − c)²;  "
            f"x = {s['x']:g}, c = {s['c']:g}, θ1 = {s['thetas'][0]:g}, θ2 = {s['thetas'][1]:g}"
            " (an nncore network Dense(1, 1, bias=False)→σ→Dense(1, 1, bias=False)→σ: no bias, as "
            "on the slide)",
            f"  forward: a1 = {s['a'][0]:.5f}, h1 = {s['h'][0]:.5f}, a2 = {s['a'][1]:.5f}, "
            f"h2 = {s['h'][1]:.5f}, J = {s['loss']:.6f}")
    ctx.table(["factor", "formula", "value"],
              [(n, f, f"{v:+.6f}") for (n, v), f in zip(s["factors"], (
                  "h2 − c", "σ(a2)(1 − σ(a2)) = h2(1 − h2)", "θ2", "h1(1 − h1)", "x"))])
    ctx.say(f"  ∂J/∂θ1 = product of the five factors = {s['product']:+.10f}",
            f"  the core's loss_and_grad (mse = 1/(2m) Σ (h − c)²): ∂J/∂θ1 = {s['core']:+.10f}"
            f"  (|Δ| {abs(s['product'] - s['core']):.1e})",
            f"  ∂J/∂θ2 = ∂J/∂h2 · ∂h2/∂a2 · ∂a2/∂θ2 = {s['product_last']:+.10f};  core "
            f"{s['core_last']:+.10f}")
    s3 = scalar_chain(thetas=(0.8, -1.2, 1.5))
    ctx.say(f"  three layers (θ3 = 1.5), the slide's seven factors: "
            + " · ".join(f"{v:+.4f}" for _, v in s3["factors"])
            + f" = {s3['product']:+.10f};  core {s3['core']:+.10f}")
    ctx.sub("'Etwas komplizierter': x ∈ ℝ³, y = g(x) = tanh(Ax) ∈ ℝ², z = f(y) = y1² + 3·y2",
            de="Etwas komplizierter: x ∈ ℝ³, y = g(x) = tanh(Ax) ∈ ℝ², z = f(y) = y1² + 3·y2 "
               "— Jacobi-Matrix, Gradient")
    j = jacobian_example()
    ctx.say(f"  x = {_row(j['x'])},  y = {_row(j['y'])},  z = {j['z']:.6f}",
            "  Jacobian ∂y/∂x (row j, column i: ∂y_j/∂x_i = (1 − y_j²)·A_ji):",
            *[f"    {_row(r)}" for r in j["jacobian"]],
            f"  ∇_y z = (2·y1, 3) = {_row(j['grad_y'])}",
            f"  ∇_x z = (∂y/∂x)ᵀ ∇_y z            = {_row(j['grad_x'])}",
            f"  Σ_j ∂z/∂y_j · ∂y_j/∂x_i, i = 1..3 = {_row(j['by_sum'])}",
            f"  central differences of z(x)      = {_row(j['numeric'])}  (max |Δ| "
            f"{np.abs(j['grad_x'] - j['numeric']).max():.1e})")
    ctx.sub("the sum over paths: L = J + λ Σ W², so W reaches L through J and through the "
            "penalty; ∂L/∂W adds the contribution of each path (section 9's 2-3-1 network, "
            "λ = 0.01)",
            de="Kettenregel, Summe über die Pfade: L = J + λ Σ W², W erreicht L über J und über "
               "die Regularisierung; ∂L/∂W addiert den Beitrag jedes Pfades (das 2-3-1-Netz "
               "aus Abschnitt 9, λ = 0.01)")
    ps = sum_over_paths()
    rows: list[tuple[str, str, str, str]] = []
    for p in ps:
        for name, v in p["paths"]:
            rows.append((f"∂L/∂{p['parameter']}", f"+ {name}", _row(v[0]), f"{np.linalg.norm(v):.5f}"))
        rows.append((f"∂L/∂{p['parameter']}", "= sum of the paths", _row(p["total"][0]),
                     f"{np.linalg.norm(p['total']):.5f}"))
    ctx.table(["gradient", "path", "first row", "‖·‖"], rows)
    ctx.say("  the sums equal the core's loss_and_grad: max |Δ| "
            + ", ".join(f"{p['parameter']} {p['max_diff']:.1e}" for p in ps))
    summary: ChainRuleSummary = {
        "factors": s["factors"], "product": s["product"], "core": s["core"],
        "three_layer_product": s3["product"], "three_layer_core": s3["core"],
        "jacobian_grad": [float(v) for v in j["grad_x"]],
        "path_sum_max_diff": max(p["max_diff"] for p in ps)}
    ctx.results["chain-rule"] = summary
    if ctx.can_plot("13_chain_rule_graph.png", "graph of the 1-1-1 network with its numbers"):
        model = scalar_chain_model(s["thetas"])
        g = model.graph(np.array([[s["x"]]]), np.array([s["c"]]), loss="mse")
        g.title = "x → θ1 → σ → θ2 → σ → J = ½(h2 − c)²  (no biases, as on the slide)"
        g.backward()
        from matplotlib.figure import Figure   # can_plot: matplotlib is there
        fig = g.draw()
        assert isinstance(fig, Figure)   # draw() without ax makes its own figure
        ctx.save(fig, "13_chain_rule_graph.png",
                 "computational graph of the 1-1-1 network: each node's value and ∂J/∂node")
    return summary
