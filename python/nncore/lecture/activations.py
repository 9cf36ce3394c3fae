"""Section 2 — Why activation functions (lecture "Warum benötigt man die Aktivierungsfunktion?").

Two linear layers without bias, f⁽¹⁾(x) = Wᵀx and f⁽²⁾(h) = hᵀw, give
f(x) = xᵀW w = xᵀw′ with w′ = W w: one linear model. `linear_collapse()` shows
it numerically with an nncore network; `activation_curves()` evaluates every
activation of the lecture and its derivative (with the reference layers'
forward/backward, the same formulas the core uses).
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Mapping, TypedDict

import numpy as np
from numpy.typing import ArrayLike

import nncore as nc
from nncore.reference import layers as rl

from ._report import Context
from .data import Float64Array, FloatingArray

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "prelu", "maxout", "step")
TITLES = {"sigmoid": "Sigmoid  σ(a) = 1/(1+e^−a)", "tanh": "tanh(a)", "relu": "ReLU  max(0, a)",
          "leaky_relu": "Leaky ReLU  max(0.1a, a)", "elu": "ELU  (α = 1)",
          "prelu": "PReLU  max(αa, a), α learned (0.25)",
          "maxout": "Maxout  max(w₁a + b₁, w₂a + b₂) = max(a, −0.5a − 0.5)", "step": "step(a) (XOR example)"}

# (a, h(a), h′(a)), each (len(a),)
Curve = tuple[Float64Array, FloatingArray, FloatingArray]


class LinearCollapse(TypedDict):
    X: Float64Array
    W: FloatingArray
    w: FloatingArray
    w_prime: FloatingArray
    f_network: FloatingArray
    f_linear: FloatingArray
    max_abs_diff: float
    single_layer_diff: float


class ActivationsSummary(TypedDict):
    max_abs_diff: float
    single_layer_diff: float


def linear_collapse(n_in: int = 3, n_hidden: int = 4, n_samples: int = 5,
                    seed: int = 0) -> LinearCollapse:
    """A network of two linear layers (no activation, zero biases) equals one linear map.

    Returns {"X", "W", "w", "w_prime", "f_network", "f_linear", "max_abs_diff",
    "single_layer_diff"}: f_network from the 2-layer nncore model, f_linear = X·w′
    with w′ = W·w, and the difference to a 1-layer nncore model with weights w′.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_in))
    deep = nc.Sequential(nc.Dense(n_in, n_hidden), nc.Identity(), nc.Dense(n_hidden, 1), seed=seed)
    p = deep.named_parameters()
    W, w = p["0.W"].copy(), p["2.W"].copy()  # biases start at zero
    w_prime = W @ w
    f_net = deep.predict(X).ravel()
    f_lin = (X @ w_prime).ravel()
    single = nc.Sequential(nc.Dense(n_in, 1), seed=seed)
    single.named_parameters()["0.W"][...] = w_prime
    f_single = single.predict(X).ravel()
    return {"X": X, "W": W, "w": w.ravel(), "w_prime": w_prime.ravel(), "f_network": f_net,
            "f_linear": f_lin, "max_abs_diff": float(np.max(np.abs(f_net - f_lin))),
            "single_layer_diff": float(np.max(np.abs(f_net - f_single)))}


def _maxout_layer() -> rl.Maxout:
    layer = rl.Maxout(1, 1, k=2)
    W = np.array([[[1.0]], [[-0.5]]])
    b = np.array([[0.0], [-0.5]])
    layer.bind({"W": W, "b": b}, {"W": np.zeros_like(W), "b": np.zeros_like(b)})
    return layer


def activation_curves(a: ArrayLike | None = None) -> dict[str, Curve]:
    """{name: (a, h(a), h'(a))} for the lecture's activations.

    h and h′ come from nncore.reference's layers (forward, then backward of ones:
    h′ element-wise). Step has no gradient in nncore (h′ = 0 almost everywhere,
    undefined at 0); its derivative is returned as zeros. Maxout is shown for a
    scalar input with pieces w = (1, −0.5), b = (0, −0.5).
    """
    a = np.linspace(-4, 4, 801) if a is None else np.asarray(a, dtype=np.float64)
    col = a.reshape(-1, 1)
    out: dict[str, Curve] = {}
    for name in ACTIVATION_NAMES:
        layer: rl.ReferenceLayer
        if name == "maxout":
            layer = _maxout_layer()
        elif name == "prelu":
            layer = rl.PReLU()
            layer.bind({"alpha": np.array([0.25])}, {"alpha": np.zeros(1)})
        else:  # a parameter-free activation (the registry also holds Dense and Maxout)
            cls: type[rl.ReferenceLayer] = rl.REFERENCE_LAYERS[name]
            layer = cls()
        h = layer.forward(col)
        d: FloatingArray
        if name == "step":
            d = np.zeros_like(col)
        else:
            d = layer.backward(np.ones_like(col))
        out[name] = (a, h.ravel().copy(), d.ravel().copy())
    return out


def run(ctx: Context) -> ActivationsSummary:
    ctx.heading(2, "Why activation functions? Linear layers collapse")
    r = linear_collapse()
    ctx.say("  2-layer nncore network without activation (3 → 4 → 1, biases 0): f(x) = xᵀW w",
            "  w′ = W w = [" + ", ".join(f"{v:+.4f}" for v in r["w_prime"]) + "]")
    ctx.table(["sample", "network f(x)", "xᵀw′", "|difference|"],
              [(i, f"{a:+.6f}", f"{b:+.6f}", f"{abs(a - b):.1e}")
               for i, (a, b) in enumerate(zip(r["f_network"], r["f_linear"]))])
    ctx.say(f"  max |f(x) − xᵀw′| = {r['max_abs_diff']:.1e};  a 1-layer nncore model with "
            f"weights w′ differs by {r['single_layer_diff']:.1e}: the hidden layer adds nothing "
            "without a non-linearity")
    curves = activation_curves(np.array([-2.0, -0.5, 0.5, 2.0]))
    ctx.sub("activations h(a) and derivatives h′(a) at a = −2, −0.5, 0.5, 2",
            de="Aktivierungsfunktionen h(a) und ihre Ableitungen h′(a) bei a = −2, −0.5, 0.5, 2")
    ctx.table(["activation", "h(−2)", "h(−0.5)", "h(0.5)", "h(2)", "h′(−2)", "h′(−0.5)",
               "h′(0.5)", "h′(2)"],
              [(name, *[f"{v:.3f}" for v in h], *[f"{v:.3f}" for v in d])
               for name, (_, h, d) in curves.items()])
    summary: ActivationsSummary = {"max_abs_diff": r["max_abs_diff"],
                                   "single_layer_diff": r["single_layer_diff"]}
    ctx.results["activations"] = summary
    if ctx.can_plot("02_activations.png", "activation functions and derivatives"):
        ctx.save(plot_activations(activation_curves(), ctx.pyplot()), "02_activations.png",
                 "8 activation functions (solid) with their derivatives (dashed)")
    return summary


def plot_activations(curves: Mapping[str, Curve], plt: ModuleType) -> Figure:
    fig: Figure
    fig, axes = plt.subplots(2, 4, figsize=(15, 6.8), sharex=True)
    for ax, (name, (a, h, d)) in zip(axes.ravel(), curves.items()):
        ax.axhline(0, color="#999999", lw=0.6)
        ax.axvline(0, color="#999999", lw=0.6)
        ax.plot(a, h, color="tab:blue", lw=2, label="h(a)")
        if name == "step":
            ax.plot(a, d, color="tab:orange", lw=1.6, ls="--", label="h′(a) = 0 (no gradient)")
        else:
            dd = d.copy()
            jumps = np.flatnonzero(np.abs(np.diff(dd)) > 0.2)  # don't draw vertical jumps
            dd[jumps] = np.nan
            ax.plot(a, dd, color="tab:orange", lw=1.6, ls="--", label="h′(a)")
        ax.set_title(TITLES[name], fontsize=10)
        ax.set_ylim(-1.6, 2.6)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    for ax in axes[1]:
        ax.set_xlabel("pre-activation a")
    for ax in axes[:, 0]:
        ax.set_ylabel("h(a), h′(a)")
    fig.suptitle("Section 2 — Activation functions (solid) and their derivatives (dashed)")
    fig.tight_layout()
    return fig
