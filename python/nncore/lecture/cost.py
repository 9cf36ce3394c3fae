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
    width_exponent: float     # fitted: training time ∝ width^exponent
    depth_r2: float           # straight line through training time against depth


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


WIDTHS_QUICK, WIDTHS = (128, 256, 512), (128, 256, 512, 1024)
DEPTHS_QUICK, DEPTHS = (1, 2, 4), (1, 2, 3, 5)
DEPTH_WIDTH = 256


def width_arch(w: int) -> list[int]:
    return [64, w, w, 10]


def depth_arch(layers: int) -> list[int]:
    return [64] + [DEPTH_WIDTH] * layers + [10]


def scaling(quick: bool = False) -> list[ScalingRow]:
    """Measured time per sample of ReLU networks 64-w-w-10 (the width sweep) and
    64-256×L-10 (the depth sweep). Rows (architecture, weights, forward MACs, backward
    MACs, forward µs/sample, train µs/sample)."""
    archs = [width_arch(w) for w in (WIDTHS_QUICK if quick else WIDTHS)]
    archs += [a for a in (depth_arch(L) for L in (DEPTHS_QUICK if quick else DEPTHS))
              if a not in archs]
    rows: list[ScalingRow] = []
    for w in archs:
        m = mlp(w)
        c = count_macs(m)
        t = measure(m, n=1024 if quick else 2048, repeats=2 if quick else 3)
        rows.append(("-".join(map(str, w)), c["weights"], c["forward"], c["backward"],
                     1e6 * t["forward_s"], 1e6 * t["train_s"]))
    return rows


class CostLaw(TypedDict):
    widths: list[int]
    width_rows: list[ScalingRow]
    width_exponent_time: float       # slope of log(train time) against log(width)
    width_exponent_macs: float       # the same for the counted multiply-adds
    doubling_macs: list[float]       # MAC ratio for each doubling of the width
    depths: list[int]
    depth_rows: list[ScalingRow]
    depth_slope_us: float            # train µs/sample added per layer (straight-line fit)
    depth_intercept_us: float
    depth_r2: float                  # of that straight line


def cost_law(rows: Sequence[ScalingRow]) -> CostLaw:
    """Fit the width exponent (log-log slope) and the depth line from scaling()'s rows."""
    by_name = {r[0]: r for r in rows}
    widths = [w for w in WIDTHS if "-".join(map(str, width_arch(w))) in by_name]
    wr = [by_name["-".join(map(str, width_arch(w)))] for w in widths]
    depths = [L for L in DEPTHS + DEPTHS_QUICK if "-".join(map(str, depth_arch(L))) in by_name]
    depths = sorted(set(depths))
    dr = [by_name["-".join(map(str, depth_arch(L)))] for L in depths]
    lw = np.log(np.array(widths, dtype=float))
    macs = np.array([r[2] + r[3] for r in wr], dtype=float)
    t_w = np.array([r[5] for r in wr])
    t_d = np.array([r[5] for r in dr])
    d = np.array(depths, dtype=float)
    slope, icpt = np.polyfit(d, t_d, 1)
    fit = slope * d + icpt
    ss = float(np.sum((t_d - t_d.mean()) ** 2))
    return {"widths": widths, "width_rows": wr,
            "width_exponent_time": float(np.polyfit(lw, np.log(t_w), 1)[0]),
            "width_exponent_macs": float(np.polyfit(lw, np.log(macs), 1)[0]),
            "doubling_macs": [float(b / a) for a, b in zip(macs[:-1], macs[1:])],
            "depths": depths, "depth_rows": dr, "depth_slope_us": float(slope),
            "depth_intercept_us": float(icpt),
            "depth_r2": float(1 - np.sum((t_d - fit) ** 2) / ss) if ss > 0 else 1.0}


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
    ctx.sub("scaling: 'Kosten sind quadratisch in der Zahl der Neuronen pro Schicht, linear "
            "in der Zahl der Schichten' — width sweep 64-w-w-10, depth sweep 64-256×L-10",
            de="Daraus folgt: „Kosten sind linear in der Zahl der Schichten“, „Kosten sind "
               "quadratisch in der Zahl der Neuronen pro Schicht“ — Breite 64-w-w-10, Tiefe "
               "64-256×L-10")
    rows = scaling(ctx.quick)
    ctx.table(["architecture", "weights", "fwd MACs", "bwd MACs", "fwd µs/sample",
               "train µs/sample"],
              [(a, w, f, b, f"{tf:.2f}", f"{tt:.2f}") for a, w, f, b, tf, tt in rows])
    law = cost_law(rows)
    ctx.say(f"  width: training time ∝ w^{law['width_exponent_time']:.2f} measured, "
            f"multiply-adds ∝ w^{law['width_exponent_macs']:.2f} counted (fitted over w = "
            f"{', '.join(map(str, law['widths']))})",
            "  why not w²: the weights are 64·w + w·w + 10·w — the w×w layer grows ×4 per "
            "doubling, the input and output layers only ×2; doubling w multiplies the "
            "multiply-adds by " + ", ".join(f"{x:.2f}" for x in law["doubling_macs"])
            + " (→ 4 as w ≫ 74)",
            f"  depth: training time ≈ {law['depth_intercept_us']:.2f} + "
            f"{law['depth_slope_us']:.2f}·L µs/sample for L hidden layers of 256 (straight "
            f"line, R² = {law['depth_r2']:.3f}): linear in the depth (each layer past the first "
            "adds a 256×256 matrix; L = 1 has none, hence the intercept)")
    summary: CostSummary = {"forward_macs": c["forward"], "backward_macs": c["backward"],
                            "weights": c["weights"], "forward_us": 1e6 * t["forward_s"],
                            "train_us": 1e6 * t["train_s"], "scaling": rows,
                            "width_exponent": law["width_exponent_time"],
                            "depth_r2": law["depth_r2"]}
    ctx.results["cost"] = summary
    if ctx.can_plot("08_cost.png", "cost against width and depth"):
        ctx.save(plot_cost(law, ctx.pyplot()), "08_cost.png",
                 "measured time per sample against width (log-log) and depth (linear)")
    return summary


def plot_cost(law: CostLaw, plt: ModuleType) -> Figure:
    fig: Figure
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    w = np.array(law["widths"], dtype=float)
    for k, (name, color, mk) in enumerate((("forward (predict)", "tab:blue", "o"),
                                            ("training step (fit)", "tab:orange", "s"))):
        t = np.array([r[4 + k] for r in law["width_rows"]])
        e, c0 = np.polyfit(np.log(w), np.log(t), 1)
        ax.plot(w, t, mk, color=color, ms=8, label=f"{name}: ∝ w^{e:.2f}")
        ax.plot(w, np.exp(c0) * w ** e, "-", color=color, lw=1, alpha=0.6)
    macs = np.array([r[2] + r[3] for r in law["width_rows"]], dtype=float)
    t_train = np.array([r[5] for r in law["width_rows"]])
    ax.plot(w, macs * (t_train[-1] / macs[-1]), ":", color="gray",
            label=f"multiply-adds (scaled): ∝ w^{law['width_exponent_macs']:.2f}")
    ax.plot(w, t_train[0] * (w / w[0]) ** 2, "--", color="k", lw=0.8, label="∝ w² (reference)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(w, [str(int(v)) for v in w])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set(xlabel="width w of the two hidden layers (64-w-w-10)", ylabel="µs per sample",
           title="Width: close to quadratic")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    d = np.array(law["depths"], dtype=float)
    for k, (name, color, mk) in enumerate((("forward (predict)", "tab:blue", "o"),
                                            ("training step (fit)", "tab:orange", "s"))):
        t = np.array([r[4 + k] for r in law["depth_rows"]])
        sl, ic = np.polyfit(d, t, 1)
        ax2.plot(d, t, mk, color=color, ms=8, label=f"{name}: {ic:.1f} + {sl:.1f}·L µs")
        ax2.plot(d, sl * d + ic, "-", color=color, lw=1, alpha=0.6)
    ax2.set_xticks(d, [str(int(v)) for v in d])
    ax2.set(xlabel="hidden layers L of width 256 (64-256×L-10)", ylabel="µs per sample",
            title="Depth: linear", ylim=(0, None))
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=8)
    fig.suptitle("Section 8 — The cost law measured: quadratic in the width, linear in the "
                 "depth", y=1.02)
    fig.tight_layout()
    return fig
