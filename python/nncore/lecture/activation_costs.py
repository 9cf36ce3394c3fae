"""Section 15 — What each activation costs (lecture "Aktivierungsfunktionen: Sigmoid / tanh /
ReLU / Leaky ReLU / ELU" and their "Probleme"), measured in nncore:

- saturation → no gradient: ‖∂J/∂W_k‖ per layer of a deep (6 hidden layers) network at
  initialisation and after training, for sigmoid, tanh, ReLU and ELU;
- "Output nicht um 0 zentriert": the mean activation of the first hidden layer at init;
- dead ReLU units (flat for small input: no gradient) after a too-large learning rate;
- "exp() ist aufwändig": time per element of each activation in the core
  (Dense(1, 256) + activation minus Dense(1, 256) alone, best of several repeats);
- "Parameter α muss/kann gelernt werden": PReLU's α before and after training, and Maxout
  trained on the same task.
"""
from __future__ import annotations

import time
from types import ModuleType
from typing import TYPE_CHECKING, Callable, Sequence, TypedDict

import numpy as np

import nncore as nc
from nncore.layers import Layer

from ._report import Context, pct
from .activation_choice import task_data
from .classification import accuracy
from .data import Float64Array

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ACTS: dict[str, Callable[[], Layer]] = {
    "sigmoid": nc.Sigmoid, "tanh": nc.Tanh, "ReLU": nc.ReLU, "ELU": nc.ELU}
DEPTH = 6
WIDTH = 32


def deep_network(act: Callable[[], Layer], seed: int = 0) -> nc.Sequential:
    layers: list[Layer] = [nc.Dense(2, WIDTH), act()]
    for _ in range(DEPTH - 1):
        layers += [nc.Dense(WIDTH, WIDTH), act()]
    return nc.Sequential(*layers, nc.Dense(WIDTH, 1), nc.Sigmoid(), seed=seed)


def layer_grad_norms(model: nc.Sequential, X: Float64Array, y: Float64Array) -> list[float]:
    """‖∂J/∂W_k‖ for the hidden layers k = 1 … DEPTH (BCE)."""
    _, g = model.loss_and_grad(X, y, loss="bce")
    return [float(np.linalg.norm(g[f"{2 * k}.W"])) for k in range(DEPTH)]


class GradientFlow(TypedDict):
    init: dict[str, list[float]]      # activation -> per-layer norm at init
    trained: dict[str, list[float]]   # after training
    train_acc: dict[str, float]
    mean_h1: dict[str, float]         # mean activation of layer 1 at init
    epochs: int


def gradient_flow(epochs: int = 100, seed: int = 0) -> GradientFlow:
    """Deep 2-32×6-1 networks (default init, SGD lr 0.05, minibatch 32) on section 6's task."""
    (X, y), _ = task_data()
    out: GradientFlow = {"init": {}, "trained": {}, "train_acc": {}, "mean_h1": {},
                         "epochs": epochs}
    for name, act in ACTS.items():
        m = deep_network(act, seed)
        out["init"][name] = layer_grad_norms(m, X, y)
        out["mean_h1"][name] = float(np.mean(m.forward_trace(X)[1]))
        m.fit(X, y, loss="bce", optimizer=nc.SGD(lr=0.05), epochs=epochs, batch_size=32,
              verbose=0)
        out["trained"][name] = layer_grad_norms(m, X, y)
        out["train_acc"][name] = accuracy(m, X, y)
    return out


class DeadUnits(TypedDict):
    rows: list[tuple[float, float, float]]   # (lr, fraction of dead hidden units, train acc)


def dead_relus(lrs: Sequence[float] = (0.05, 0.5, 2.0, 5.0), epochs: int = 50,
               seed: int = 0) -> DeadUnits:
    """2-32-32-1 ReLU network, plain SGD: a unit is dead when it outputs 0 for every
    training point (then its gradient is 0 too and it never comes back)."""
    (X, y), _ = task_data()
    rows = []
    for lr in lrs:
        m = nc.Sequential(nc.Dense(2, 32), nc.ReLU(), nc.Dense(32, 32), nc.ReLU(),
                          nc.Dense(32, 1), nc.Sigmoid(), seed=seed)
        try:
            m.fit(X, y, loss="bce", optimizer=nc.SGD(lr=lr), epochs=epochs, batch_size=32,
                  verbose=0)
        except FloatingPointError:
            pass   # the weights stay at their last finite values: count what is left
        trace = m.forward_trace(X)
        hidden = np.concatenate([np.asarray(trace[1]), np.asarray(trace[3])], axis=1)
        dead = float(np.mean(np.all(hidden <= 0, axis=0)))
        rows.append((lr, dead, accuracy(m, X, y)))
    return {"rows": rows}


def time_per_element(names: Sequence[str] = ("sigmoid", "tanh", "ReLU", "ELU"),
                     n: int = 256, repeats: int = 30) -> dict[str, float]:
    """Nanoseconds per element of each activation's forward pass in the core: n × n
    elements (256 × 256 float64 = 512 KiB stays in cache, so the arithmetic shows, not
    the memory traffic), best of `repeats`."""
    X = np.random.default_rng(0).normal(size=(n, 1))

    def best(model: nc.Sequential) -> float:
        model.predict(X)
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            model.predict(X)
            ts.append(time.perf_counter() - t0)
        return min(ts)

    base = best(nc.Sequential(nc.Dense(1, n), seed=0))
    return {name: max(0.0, best(nc.Sequential(nc.Dense(1, n), ACTS[name](), seed=0)) - base)
            / (n * n) * 1e9 for name in names}


class ReluGrid(TypedDict):
    lrs: list[float]
    inits: list[str]
    test_acc: dict[str, list[float]]   # init -> test accuracy per learning rate


def relu_grid(lrs: Sequence[float] = (0.001, 0.01, 0.1, 1.0),
              inits: Sequence[str] = ("normal", "glorot_uniform", "he_normal"),
              epochs: int = 50, seed: int = 0) -> ReluGrid:
    """'Benutze ReLU, aber justiere die Lernrate und die Initialisierung': the 2-32-32-1
    ReLU network, plain SGD (minibatch 32), every learning rate × hidden-layer init
    ("normal" = N(0, 0.01²))."""
    (X, y), (Xt, yt) = task_data()
    acc: dict[str, list[float]] = {}
    for init in inits:
        acc[init] = []
        for lr in lrs:
            m = nc.Sequential(nc.Dense(2, 32, init=init), nc.ReLU(),
                              nc.Dense(32, 32, init=init), nc.ReLU(), nc.Dense(32, 1),
                              nc.Sigmoid(), seed=seed)
            try:
                m.fit(X, y, loss="bce", optimizer=nc.SGD(lr=lr), epochs=epochs, batch_size=32,
                      verbose=0)
            except FloatingPointError:
                pass   # weights at their last finite values
            acc[init].append(accuracy(m, Xt, yt))
    return {"lrs": list(lrs), "inits": list(inits), "test_acc": acc}


class Learned(TypedDict):
    prelu_alpha_init: float
    prelu_alpha_trained: float
    rows: list[tuple[str, float, float]]   # (network, train acc, test acc)


def prelu_and_maxout(epochs: int = 150, seed: int = 0) -> Learned:
    (X, y), (Xt, yt) = task_data()
    nets = {
        "ReLU 2-32-32-1": nc.Sequential(nc.Dense(2, 32), nc.ReLU(), nc.Dense(32, 32),
                                        nc.ReLU(), nc.Dense(32, 1), nc.Sigmoid(), seed=seed),
        "PReLU 2-32-32-1 (one α per layer)": nc.Sequential(
            nc.Dense(2, 32), nc.PReLU(), nc.Dense(32, 32), nc.PReLU(), nc.Dense(32, 1),
            nc.Sigmoid(), seed=seed),
        "Maxout 2-32-32-1 (k = 2 pieces)": nc.Sequential(
            nc.Maxout(2, 32), nc.Maxout(32, 32), nc.Dense(32, 1), nc.Sigmoid(), seed=seed),
    }
    prelu = nets["PReLU 2-32-32-1 (one α per layer)"]
    a0 = float(np.ravel(prelu.named_parameters()["1.alpha"])[0])
    rows = []
    for name, m in nets.items():
        m.fit(X, y, loss="bce", optimizer=nc.Adam(lr=0.01), epochs=epochs, batch_size=32,
              verbose=0)
        rows.append((name, accuracy(m, X, y), accuracy(m, Xt, yt)))
    a1 = float(np.ravel(prelu.named_parameters()["1.alpha"])[0])
    return {"prelu_alpha_init": a0, "prelu_alpha_trained": a1, "rows": rows}


class ActivationCostsSummary(TypedDict):
    first_layer_grad_init: dict[str, float]
    mean_h1: dict[str, float]
    dead: list[tuple[float, float, float]]
    ns_per_element: dict[str, float]
    prelu_alpha: tuple[float, float]
    relu_grid: dict[str, list[float]]


def run(ctx: Context) -> ActivationCostsSummary:
    ctx.heading(15, "What each activation costs: saturation, centring, dead units, exp()")
    gf = gradient_flow(epochs=30 if ctx.quick else 100)
    ctx.say(f"  deep network 2-{WIDTH}×{DEPTH}-1 (sigmoid output, BCE), default init, section "
            f"6's task; ‖∂J/∂W_k‖ per hidden layer k (k = 1 is next to the input)")
    ctx.table(["activation", "when"] + [f"layer {k + 1}" for k in range(DEPTH)]
              + ["train acc"],
              [(n, w) + tuple(f"{v:.2e}" for v in gf[w][n])
               + ((pct(gf["train_acc"][n]),) if w == "trained" else ("",))
               for n in ACTS for w in ("init", "trained")])
    ratio = {n: gf["init"][n][0] / gf["init"][n][-1] for n in ACTS}
    ctx.say("  layer 1 / layer 6 gradient at init: "
            + ", ".join(f"{n} {r:.2g}" for n, r in ratio.items())
            + f"  (sigmoid: σ′ ≤ 0.25 per layer, the gradient fades towards the input; after "
            f"{gf['epochs']} epochs the sigmoid network is still at "
            f"{pct(gf['train_acc']['sigmoid'])})")
    ctx.say("  mean activation of hidden layer 1 at init (centring): "
            + ", ".join(f"{n} {v:+.3f}" for n, v in gf["mean_h1"].items()))
    dr = dead_relus()
    ctx.sub("dead ReLU units after plain SGD with a growing learning rate (2-32-32-1, 50 "
            "epochs): a unit that outputs 0 on every training point gets no gradient again",
            de="Tote ReLU-Einheiten nach einfachem SGD mit wachsender Lernrate (2-32-32-1, 50 "
               "Epochen): „Wenn Input klein: Flach → Kein Gradient“ — eine Einheit, die auf "
               "jedem Trainingspunkt 0 ausgibt, bekommt keinen Gradienten mehr")
    ctx.table(["learning rate", "dead hidden units", "train acc"],
              [(f"{lr:g}", pct(d), pct(a)) for lr, d, a in dr["rows"]])
    grid = relu_grid(epochs=25 if ctx.quick else 50)
    ctx.sub(f"'Benutze ReLU, aber justiere die Lernrate und die Initialisierung': test "
            f"accuracy of the ReLU 2-32-32-1 network, plain SGD, "
            f"{25 if ctx.quick else 50} epochs",
            de=f"„Benutze ReLU, aber justiere die Lernrate und die Initialisierung der "
               f"Parameter“: Testgenauigkeit des ReLU-Netzes 2-32-32-1, einfaches SGD, "
               f"{25 if ctx.quick else 50} Epochen")
    ctx.table(["init \\ learning rate"] + [f"{lr:g}" for lr in grid["lrs"]],
              [(init + (" (N(0, 0.01²))" if init == "normal" else ""),)
               + tuple(pct(a) for a in grid["test_acc"][init]) for init in grid["inits"]])
    ns = time_per_element(repeats=10 if ctx.quick else 30)
    ctx.sub("time per element in the core's forward pass (Dense(1, 256) + activation minus "
            "the Dense alone, 256 rows, best of the repeats; noisy on a shared machine)",
            de="„exp() ist aufwändig zu berechnen“, ReLU „sehr effizient zu berechnen“: Zeit "
               "pro Element im Vorwärtsdurchlauf des Kerns (Dense(1, 256) + Aktivierung minus "
               "Dense allein, 256 Zeilen, bester von mehreren Läufen; auf einem geteilten "
               "Rechner verrauscht)")
    ctx.table(["activation", "ns per element", "vs ReLU"],
              [(n, f"{v:.2f}", f"{v / ns['ReLU']:.1f}×" if ns["ReLU"] > 0 else "-")
               for n, v in ns.items()])
    pm = prelu_and_maxout(epochs=50 if ctx.quick else 150)
    ctx.sub("PReLU (α learned) and Maxout trained like the others (Adam lr 0.01)",
            de="Erweiterung: Parametric Rectifier (PReLU), „Parameter α muss/kann gelernt "
               "werden“, und Maxout, trainiert wie die anderen (Adam lr 0.01)")
    ctx.table(["network", "train acc", "test acc"],
              [(n, pct(a), pct(b)) for n, a, b in pm["rows"]])
    ctx.say(f"  PReLU α of the first hidden layer: {pm['prelu_alpha_init']:.3f} at init → "
            f"{pm['prelu_alpha_trained']:.3f} after training (a learned parameter, "
            "'1.alpha' in named_parameters)")
    summary: ActivationCostsSummary = {
        "first_layer_grad_init": {n: gf["init"][n][0] for n in ACTS},
        "mean_h1": gf["mean_h1"], "dead": dr["rows"], "ns_per_element": ns,
        "prelu_alpha": (pm["prelu_alpha_init"], pm["prelu_alpha_trained"]),
        "relu_grid": grid["test_acc"]}
    ctx.results["activation-costs"] = summary
    if ctx.can_plot("15_activation_costs.png", "gradient norm per layer, dead units"):
        ctx.save(plot_costs(gf, dr, ns, ctx.pyplot()), "15_activation_costs.png",
                 "gradient norm per layer at init and after training; dead ReLUs; ns/element")
    return summary


COLORS = {"sigmoid": "tab:red", "tanh": "tab:orange", "ReLU": "tab:blue", "ELU": "tab:green"}


def plot_costs(gf: GradientFlow, dr: DeadUnits, ns: dict[str, float],
               plt: ModuleType) -> Figure:
    fig: Figure
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    ax = axes[0]
    k = np.arange(1, DEPTH + 1)
    for n, c in COLORS.items():
        ax.plot(k, gf["init"][n], "o-", color=c, label=f"{n}, init")
        ax.plot(k, gf["trained"][n], "s--", color=c, alpha=0.6, label=f"{n}, trained")
    ax.set(yscale="log", xlabel="hidden layer k (1 = next to the input)",
           ylabel="‖∂J/∂W_k‖ (log scale)", title="Gradient per layer (saturation)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    ax = axes[1]
    lrs = [f"{lr:g}" for lr, _, _ in dr["rows"]]
    ax.bar(lrs, [100 * d for _, d, _ in dr["rows"]], color="tab:blue")
    for i, (_, d, a) in enumerate(dr["rows"]):
        ax.text(i, 100 * d + 1, f"{100 * d:.0f} % dead\nacc {100 * a:.0f} %", ha="center",
                fontsize=8)
    ax.set(ylim=(0, 110), xlabel="learning rate (plain SGD)", ylabel="dead hidden units (%)",
           title="Dead ReLU units after training")
    ax = axes[2]
    ax.bar(list(ns), list(ns.values()), color=[COLORS[n] for n in ns])
    ax.set(ylabel="ns per element", title="Forward time per element in the core")
    fig.suptitle("Section 15 — What each activation costs", y=1.02)
    fig.tight_layout()
    return fig
