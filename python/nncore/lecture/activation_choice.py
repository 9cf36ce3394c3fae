"""Section 6 — Choosing the activation in practice (lecture "Aktivierungsfunktionen: Auswahl").

"Use ReLU (tune the learning rate and initialisation), try Leaky ReLU and ELU,
try tanh but don't expect too much, don't use sigmoid (except as the output)."
`activation_choice()` trains the same 2-32-32-1 network with each hidden
activation on one task (noisier half-circles), same optimizer, same data,
several seeds, and reports final accuracy and epochs to reach a target
training accuracy.
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Callable, Optional, Sequence, TypedDict

import numpy as np

import nncore as nc
from nncore.layers import Layer

from ._report import Context, pct
from .classification import accuracy
from .data import Float64Array, MoonsSplit, make_moons

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class Task(TypedDict):
    n_train: int
    n_test: int
    noise: float
    seed: int
    test_seed: int


# (activation, mean final train acc, mean test acc, median epochs to the target train acc
# or None if a seed never got there, runs that reached it)
ChoiceRow = tuple[str, float, float, Optional[int], int]


class ActivationChoice(TypedDict):
    rows: list[ChoiceRow]
    curves: dict[str, Float64Array]   # activation -> mean train accuracy per epoch
    target: float
    epochs: int
    seeds: Sequence[int]
    lr: float
    batch_size: int


class ActivationChoiceSummary(TypedDict):
    rows: list[ChoiceRow]


ACTIVATIONS: tuple[tuple[str, Callable[[], Layer]], ...] = (
    ("ReLU", nc.ReLU), ("Leaky ReLU (0.1)", nc.LeakyReLU), ("ELU", nc.ELU), ("tanh", nc.Tanh),
    ("sigmoid", nc.Sigmoid))
TASK: Task = {"n_train": 300, "n_test": 1000, "noise": 0.2, "seed": 11, "test_seed": 1011}


def task_data() -> MoonsSplit:
    X, y = make_moons(TASK["n_train"], TASK["noise"], TASK["seed"])
    Xt, yt = make_moons(TASK["n_test"], TASK["noise"], TASK["test_seed"])
    return (X, y), (Xt, yt)


def activation_choice(epochs: int = 150, seeds: Sequence[int] = (0, 1, 2), target: float = 0.95,
                      lr: float = 0.05, batch_size: int = 32) -> ActivationChoice:
    """For each activation: 2-32-32-1 (sigmoid output, BCE), plain minibatch SGD with
    the same lr, default init (He for ReLU-like, Glorot otherwise). Returns {"rows":
    [(name, mean final train acc, mean test acc, median epochs to target train acc
    (None if a seed never got there), runs that reached it)], "curves": {name: mean
    train-accuracy curve}, ...}."""
    (X, y), (Xt, yt) = task_data()
    rows: list[ChoiceRow] = []
    curves: dict[str, Float64Array] = {}
    for name, act in ACTIVATIONS:
        accs: list[float] = []
        tests: list[float] = []
        hits: list[int | None] = []
        curve: list[Float64Array] = []
        for s in seeds:
            m = nc.Sequential(nc.Dense(2, 32), act(), nc.Dense(32, 32), act(), nc.Dense(32, 1),
                              nc.Sigmoid(), seed=s)
            h = m.fit(X, y, loss="bce", optimizer=nc.SGD(lr=lr), epochs=epochs,
                      batch_size=batch_size, verbose=0)
            acc = np.array(h.history["accuracy"])
            curve.append(acc)
            hit = np.flatnonzero(acc >= target)
            hits.append(int(hit[0]) + 1 if hit.size else None)
            accs.append(float(acc[-1]))
            tests.append(accuracy(m, Xt, yt))
        reached = [v for v in hits if v is not None]
        med = int(np.median(reached)) if len(reached) == len(hits) else None
        rows.append((name, float(np.mean(accs)), float(np.mean(tests)), med, len(reached)))
        curves[name] = np.mean(curve, axis=0)
    return {"rows": rows, "curves": curves, "target": target, "epochs": epochs, "seeds": seeds,
            "lr": lr, "batch_size": batch_size}


def run(ctx: Context) -> ActivationChoiceSummary:
    ctx.heading(6, "Activation choice in practice")
    epochs = 60 if ctx.quick else 150
    seeds = (0,) if ctx.quick else (0, 1, 2)
    r = activation_choice(epochs=epochs, seeds=seeds)
    ctx.lead(f"  task: half-circles with noise {TASK['noise']}, {TASK['n_train']} training / "
             f"{TASK['n_test']} test points; 2-32-32-1 network, sigmoid output, plain SGD lr "
             f"{r['lr']}, batch {r['batch_size']}, {epochs} epochs, seeds {list(seeds)} (mean)",
             de=f"  Praktisches Vorgehen — Aufgabe: Halbkreise mit Rauschen {TASK['noise']}, "
                f"{TASK['n_train']} Trainings- / {TASK['n_test']} Testpunkte; Netz 2-32-32-1, "
                f"Sigmoid-Output, einfaches SGD lr {r['lr']}, Batch {r['batch_size']}, "
                f"{epochs} Epochen, Seeds {list(seeds)} (Mittelwert)")
    ctx.table(["hidden activation", "final train acc", "test acc",
               f"epochs to {pct(r['target'])} train acc"],
              [(n, pct(a), pct(t), "not reached" if e is None else
                (f"{e}" + (f" (median of {k})" if k > 1 else ""))) for n, a, t, e, k in r["rows"]])
    ranked = sorted(r["rows"], key=lambda row: (row[3] is None, row[3] or 0))
    ctx.say("  fastest to the target: " + ", ".join(
        f"{n} ({'-' if e is None else e})" for n, _, _, e, _ in ranked) +
        "  (lecture: ReLU family first, tanh next, sigmoid last)")
    summary: ActivationChoiceSummary = {"rows": r["rows"]}
    ctx.results["activation_choice"] = summary
    if ctx.can_plot("06_activation_choice.png", "training accuracy per activation"):
        ctx.save(plot_choice(r, ctx.pyplot()), "06_activation_choice.png",
                 "training accuracy per epoch for each hidden activation")
    return summary


def plot_choice(r: ActivationChoice, plt: ModuleType) -> Figure:
    fig: Figure
    fig, ax = plt.subplots(figsize=(8.5, 5))
    for (name, curve), c in zip(r["curves"].items(),
                                ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")):
        ax.plot(np.arange(1, curve.size + 1), 100 * curve, lw=1.8, color=c, label=name)
    ax.axhline(100 * r["target"], color="gray", ls=":", label=f"target {pct(r['target'])}")
    ax.set(xlabel="epoch", ylabel="training accuracy [%]", ylim=(40, 101),
           title="Section 6 — Same network and optimizer, different hidden activations\n"
                 f"(2-32-32-1, SGD lr {r['lr']}, mean over seeds {list(r['seeds'])})")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
