"""Section 4 — Symmetric initialisation (lecture "Welche Gewichte nutzen wir?").

If every weight starts at the same value, all hidden units compute the same
function, receive the same gradient and stay identical for ever: the network
behaves like one with a single hidden unit. Random initial weights break the
symmetry. `symmetry_experiment()` trains the same 2-4-1 network both ways and
records every hidden unit's incoming weights after each epoch.
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Callable, Mapping, TypedDict, Union

import numpy as np
from numpy.typing import ArrayLike

import nncore as nc

from ._report import Context, pct
from .classification import accuracy
from .data import FloatingArray, MoonsSplit, moons_split

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# A layer's `init=`: a name, or f(shape, fan_in, fan_out, rng) -> values, or None for the
# default (docs/design.md, "Initialisation").
Init = Union[str, Callable[[tuple[int, ...], int, int, np.random.Generator], ArrayLike], None]


class Recording(TypedDict):
    model: nc.Sequential
    W_history: FloatingArray    # (epochs+1, 2, 4)
    b_history: FloatingArray    # (epochs+1, 4)
    spread: FloatingArray       # (epochs+1,)
    train_acc: float
    test_acc: float


class SymmetrySummary(TypedDict):
    constant_spread: float
    random_spread: float
    constant_train_acc: float
    random_train_acc: float
    constant_test_acc: float
    random_test_acc: float


def _model(init: Init, seed: int) -> nc.Sequential:
    return nc.Sequential(nc.Dense(2, 4, init=init), nc.Tanh(), nc.Dense(4, 1, init=init),
                         nc.Sigmoid(), seed=seed)


def train_recording(init: Init, epochs: int = 300, seed: int = 0,
                    data: MoonsSplit | None = None) -> Recording:
    """Train a 2-4-1 tanh network from `init` (full batch, Adam lr 0.05, BCE) and record
    the hidden layer after every epoch. Returns {"model", "W_history" (epochs+1, 2, 4),
    "b_history" (epochs+1, 4), "spread" (max over units of the distance to unit 0's
    weights and bias, per epoch), "train_acc", "test_acc"}."""
    (X, y), (Xt, yt) = data or moons_split()
    m = _model(init, seed)
    Ws = [m.named_parameters()["0.W"].copy()]
    bs = [m.named_parameters()["0.b"].copy()]

    def record(epoch: int, logs: Mapping[str, float]) -> None:
        p = m.named_parameters()
        Ws.append(p["0.W"].copy())
        bs.append(p["0.b"].copy())
    m.fit(X, y, loss="bce", optimizer=nc.Adam(lr=0.05), epochs=epochs, batch_size=len(y),
          verbose=0, callbacks=[record])
    W, b = np.array(Ws), np.array(bs)
    spread = np.maximum(np.abs(W - W[:, :, :1]).max(axis=(1, 2)), np.abs(b - b[:, :1]).max(axis=1))
    return {"model": m, "W_history": W, "b_history": b, "spread": spread,
            "train_acc": accuracy(m, X, y), "test_acc": accuracy(m, Xt, yt)}


def symmetry_experiment(epochs: int = 300, seed: int = 0,
                        constant: float = 0.5) -> dict[str, Recording]:
    """Constant init (every weight = `constant`, biases 0) vs the default random init.
    Returns {"constant": train_recording(...), "random": train_recording(...)}."""
    data = moons_split()
    return {"constant": train_recording(nc.init.constant(constant), epochs, seed, data),
            "random": train_recording(None, epochs, seed, data)}


def run(ctx: Context) -> SymmetrySummary:
    ctx.heading(4, "Symmetric initialisation: identical hidden units stay identical")
    epochs = 150 if ctx.quick else 300
    r = symmetry_experiment(epochs)
    ctx.lead(f"  2-4-1 tanh network on the section-3 data, full-batch Adam (lr 0.05), {epochs} "
             "epochs",
             de=f"  2-4-1-Netz mit tanh auf den Daten aus Abschnitt 3, Adam (lr 0.05) über alle "
                f"Punkte, {epochs} Epochen: „Welche Gewichte nutzen wir?“ — alle gleich oder "
                "zufällig")
    rows: list[tuple[str, str, str, str, str]] = []
    for name, label in (("constant", "constant 0.5 (all weights equal)"),
                        ("random", "random (Glorot uniform)")):
        d = r[name]
        rows.append((label, f"{d['spread'][0]:.3g}", f"{d['spread'][-1]:.3g}",
                     pct(d["train_acc"]), pct(d["test_acc"])))
    ctx.table(["initialisation", "unit spread at start", "after training", "train acc",
               "test acc"], rows)
    c = r["constant"]
    ctx.say("  spread = max |θ_j − θ_1| over hidden units j (incoming weights and bias)",
            "  constant init, hidden weights W¹ after training (columns = hidden units):")
    ctx.say(*["    " + "  ".join(f"{v:+.6f}" for v in row) for row in c["W_history"][-1]])
    ctx.say(f"  -> the four units are still one unit repeated (spread {c['spread'][-1]:.1e}); "
            f"the network acts like a 2-1-1 network. Random init: spread "
            f"{r['random']['spread'][-1]:.2f}, the units learned different features.")
    summary: SymmetrySummary = {"constant_spread": float(c["spread"].max()),
                                "random_spread": float(r["random"]["spread"][-1]),
                                "constant_train_acc": c["train_acc"],
                                "random_train_acc": r["random"]["train_acc"],
                                "constant_test_acc": c["test_acc"],
                                "random_test_acc": r["random"]["test_acc"]}
    ctx.results["symmetry"] = summary
    if ctx.can_plot("04_symmetry.png", "hidden weights during training"):
        ctx.save(plot_symmetry(r, ctx.pyplot()), "04_symmetry.png",
                 "hidden units' weights during training: constant vs random init")
    return summary


def plot_symmetry(r: Mapping[str, Recording], plt: ModuleType) -> Figure:
    from matplotlib.lines import Line2D
    fig: Figure
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=False)
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    styles = ["-", "--", "-.", ":"]
    for ax, (name, title) in zip(axes, (("constant", "Constant init: all 4 units coincide"),
                                        ("random", "Random init: the symmetry is broken"))):
        W = r[name]["W_history"]
        ep = np.arange(W.shape[0])
        for j in range(W.shape[2]):
            ax.plot(ep, W[:, 0, j], color=colors[j], ls=styles[j], lw=2.2)
            ax.plot(ep, W[:, 1, j], color=colors[j], ls=styles[j], lw=1.0)
        ax.set(title=f"{title}\ntrain accuracy {pct(r[name]['train_acc'])}", xlabel="epoch",
               ylabel="incoming weight of hidden unit")
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=c, ls=st, lw=2, label=f"hidden unit {j + 1}")
               for j, (c, st) in enumerate(zip(colors, styles))]
    handles += [Line2D([], [], color="k", lw=2.2, label="thick: weight from x1"),
                Line2D([], [], color="k", lw=1.0, label="thin: weight from x2")]
    fig.legend(handles=handles, loc="lower center", ncol=6, fontsize=9, frameon=False)
    fig.suptitle("Section 4 — Hidden-unit weights during training (2-4-1 network)")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig
