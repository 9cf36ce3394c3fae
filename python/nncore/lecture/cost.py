"""Section 8 — Computational cost (lecture "Neuronale Netze: Computational cost").

Forward: a = Wᵀx + b is a matrix-vector product, ≈ 1 multiply-add per weight.
Backward: ∂J/∂W = x δᵀ (outer product) and ∂J/∂x = W δ (matrix-vector), ≈ 2
multiply-adds per weight (the first layer needs no ∂J/∂x: the input is data).
`count_macs()` counts them on the model's computational graph (its matmul
nodes); `measure()` times real nncore predict and fit calls.
"""
from __future__ import annotations

import time
from types import ModuleType
from typing import TYPE_CHECKING, Callable, Sequence, TypedDict

import numpy as np
from numpy.typing import NDArray

import nncore as nc
from nncore.layers import Layer

from ._report import Context

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MacRow = tuple[str, int, int, int]   # (matmul node, weights, forward MACs, backward MACs)
# (architecture, weights, forward MACs, backward MACs, forward µs/sample, train µs/sample)
ScalingRow = tuple[str, int, int, int, float, float]


class MacCount(TypedDict):
    """Multiply-adds per sample."""
    layers: list[MacRow]
    forward: int
    backward: int
    weights: int
    other_forward: int
    parameters: int


class Timing(TypedDict):
    """Seconds per sample."""
    forward_s: float
    train_s: float
    ratio: float


class CostSummary(TypedDict):
    forward_macs: int
    backward_macs: int
    weights: int
    forward_us: float
    train_us: float
    scaling: list[ScalingRow]


def count_macs(model: nc.Sequential) -> MacCount:
    """Multiply-adds per sample, counted on the model's computational graph.

    Every matmul node m = h·W with h (1, i), W (i, o) costs i·o forward;
    backward it costs i·o for ∂L/∂W = hᵀ·∂L/∂m and another i·o for
    ∂L/∂h = ∂L/∂m·Wᵀ when h needs a gradient (not for the input x).
    Maxout layers are counted per piece. Returns {"layers": [(name, weights,
    forward, backward)], "forward", "backward", "weights", "other_forward"}
    where other_forward counts the element-wise operations (bias adds, activations).
    """
    X = np.zeros((1, model.n_features))
    kind = model.layers[-1].kind
    loss = {"sigmoid": "bce", "softmax": "ce"}.get(kind, "mse")
    y = np.zeros(1, dtype=np.int64) if loss == "ce" else np.zeros((1, model.n_outputs))
    g = model.graph(X, y, loss=loss)
    rows: list[MacRow] = []
    fwd, bwd, other = 0, 0, 0
    for node in g.nodes:  # model.graph ran the forward pass: every node has its value
        if node.op in ("matmul", "maxout"):
            h, W = node.inputs[0], node.inputs[1]
            assert W.value is not None
            per = int(np.prod(W.value.shape))  # i·o, times k for maxout
            f = per
            b = per + (per if h.requires_grad or not h.is_leaf else 0)
            rows.append((f"{node.name}: {h.name}·{W.name} {tuple(W.value.shape)}", per, f, b))
            fwd += f
            bwd += b
        elif not node.is_leaf and node.op not in ("loss", "total", "penalty"):
            assert node.value is not None
            other += int(node.value.size)
    weights = sum(r[1] for r in rows)
    return {"layers": rows, "forward": fwd, "backward": bwd, "weights": weights,
            "other_forward": other, "parameters": model.num_parameters}


def _best_time(fn: Callable[[], object], repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def measure(model: nc.Sequential, n: int = 4096, batch_size: int = 64, repeats: int = 5,
            seed: int = 0) -> Timing:
    """Seconds per sample for a forward pass (predict on n samples) and for training
    (one fit epoch over n samples: forward, backward and the SGD update), best of
    `repeats`. Returns {"forward_s", "train_s", "ratio"}."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, model.n_features))
    kind = model.layers[-1].kind
    y: NDArray[np.int64] | NDArray[np.float64]
    if kind == "softmax":
        y = rng.integers(0, model.n_outputs, n)
    elif kind == "sigmoid":
        y = (rng.random((n, model.n_outputs)) > 0.5).astype(float)
    else:
        y = rng.normal(size=(n, model.n_outputs))
    state = model.state_dict()
    opt = nc.SGD(lr=1e-6)
    model.predict(X[:batch_size])  # warm up
    fwd = _best_time(lambda: model.predict(X), repeats) / n
    train = _best_time(lambda: model.fit(X, y, optimizer=opt, epochs=1, batch_size=batch_size,
                                         shuffle=False, verbose=0), repeats) / n
    model.load_state_dict(state)
    return {"forward_s": fwd, "train_s": train, "ratio": train / fwd}


def mlp(widths: Sequence[int], seed: int = 0) -> nc.Sequential:
    layers: list[Layer] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nc.Dense(a, b))
        if i < len(widths) - 2:
            layers.append(nc.ReLU())
    layers.append(nc.Softmax())
    return nc.Sequential(*layers, seed=seed)


def scaling(quick: bool = False) -> list[ScalingRow]:
    """Measured forward time per sample against the width (quadratic) and the depth
    (linear) of ReLU networks. Returns rows (architecture, weights, forward MACs, µs)."""
    archs = ([[64, 128, 10], [64, 256, 256, 10], [64, 512, 512, 10]] if quick else
             [[64, 128, 128, 10], [64, 256, 256, 10], [64, 512, 512, 10], [64, 1024, 1024, 10],
              [64, 256, 10], [64, 256, 256, 256, 10], [64, 256, 256, 256, 256, 256, 10]])
    rows: list[ScalingRow] = []
    for w in archs:
        m = mlp(w)
        c = count_macs(m)
        t = measure(m, n=1024 if quick else 4096, repeats=2 if quick else 4)
        rows.append(("-".join(map(str, w)), c["weights"], c["forward"], c["backward"],
                     1e6 * t["forward_s"], 1e6 * t["train_s"]))
    return rows


def run(ctx: Context) -> CostSummary:
    ctx.heading(8, "Computational cost: multiply-adds per weight, time per sample")
    m = mlp([64, 128, 64, 10])
    c = count_macs(m)
    ctx.say(f"  network 64-128-64-10 (the digits network), {c['parameters']} parameters, "
            f"{c['weights']} weights; multiply-adds per sample counted on its graph:")
    ctx.table(["matmul", "weights", "forward MACs", "backward MACs"],
              [*c["layers"], ("total", c["weights"], c["forward"], c["backward"])])
    ctx.say(f"  forward {c['forward'] / c['weights']:.2f} per weight (lecture ≈ 1), backward "
            f"{c['backward'] / c['weights']:.2f} per weight (lecture ≈ 2: exactly 2 for every layer "
            f"but the first, whose ∂J/∂x is not needed since x is data; with it: "
            f"{(c['backward'] + c['layers'][0][1]) / c['weights']:.2f}); element-wise ops (bias, activations): "
            f"{c['other_forward']} per sample, {100 * c['other_forward'] / c['forward']:.1f} % of "
            "the forward MACs")
    t = measure(m, n=2048 if ctx.quick else 8192, repeats=3 if ctx.quick else 5)
    threads = nc.get_num_threads()
    ctx.say(f"  measured ({threads} thread{'s' if threads > 1 else ''}): forward "
            f"{1e6 * t['forward_s']:.2f} µs/sample (predict, 8192 samples), training "
            f"{1e6 * t['train_s']:.2f} µs/sample (fit, batch 64: forward + backward + update); "
            f"ratio {t['ratio']:.1f} (MAC count predicts ≈ "
            f"{(c['forward'] + c['backward']) / c['forward']:.1f})")
    ctx.sub("scaling: cost is quadratic in the width and linear in the depth")
    rows = scaling(ctx.quick)
    ctx.table(["architecture", "weights", "fwd MACs", "bwd MACs", "fwd µs/sample",
               "train µs/sample"],
              [(a, w, f, b, f"{tf:.2f}", f"{tt:.2f}") for a, w, f, b, tf, tt in rows])
    summary: CostSummary = {"forward_macs": c["forward"], "backward_macs": c["backward"],
                            "weights": c["weights"], "forward_us": 1e6 * t["forward_s"],
                            "train_us": 1e6 * t["train_s"], "scaling": rows}
    ctx.results["cost"] = summary
    if ctx.can_plot("08_cost.png", "time per sample vs multiply-adds"):
        ctx.save(plot_cost(rows, ctx.pyplot()), "08_cost.png",
                 "measured time per sample against counted multiply-adds")
    return summary


def plot_cost(rows: Sequence[ScalingRow], plt: ModuleType) -> Figure:
    fig: Figure
    fig, ax = plt.subplots(figsize=(8.5, 5.2))
    f = np.array([r[2] for r in rows], dtype=float)
    b = np.array([r[3] for r in rows], dtype=float)
    tf = np.array([r[4] for r in rows])
    tt = np.array([r[5] for r in rows])
    ax.plot(f, tf, "o", color="tab:blue", ms=8, label="forward (predict)")
    ax.plot(f + b, tt, "s", color="tab:orange", ms=8, label="training step (fit)")
    for i, (r, x, y) in enumerate(zip(rows, f, tf)):
        ax.annotate(r[0], (x, y), textcoords="offset points", fontsize=7,
                    xytext=(6, -12) if i % 2 == 0 else (-6, 8), ha="left" if i % 2 == 0 else "right")
    xs = np.geomspace(min(f.min(), (f + b).min()) * 0.7, (f + b).max() * 1.4, 10)
    slope = np.median(tf / f)
    ax.plot(xs, slope * xs, ":", color="gray", label="time ∝ multiply-adds")
    ax.set(xscale="log", yscale="log", xlabel="multiply-adds per sample (counted on the graph)",
           ylabel="measured µs per sample",
           title="Section 8 — Measured cost follows the multiply-add count")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    return fig
