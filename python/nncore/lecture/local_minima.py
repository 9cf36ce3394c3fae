"""Section 10 — Local minima, honestly (lecture "Gradient descent": "Nicht konvex: Viele
lokale Optima", "Gradient descent funktioniert hier häufig nicht ‚einfach so'").

Section 1 learns XOR from random weights with seed 0. That is one seed. Here the same
2-2-1 network is trained from 30 seeds (and more configurations the same way):

- `xor_seed_study(...)` trains one configuration for every seed and counts the runs
  that do not classify all four points (accuracy < 100 %);
- `stuck_vs_success()` puts a stuck run beside a successful one: in the stuck run an
  XOR = 0 point and an XOR = 1 point land on the *same* hidden vector h, so no output
  layer can separate them, and the gradient there is ≈ 0 (a local minimum, not a slow
  start: 10× more epochs do not get it out);
- `what_helps()` measures each remedy (more hidden units, another initialisation,
  momentum, another activation, restarts) over the same seeds.
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any, Sequence, TypedDict

import numpy as np

from ._report import Context, pct
from .data import Float64Array, FloatingArray, xor_data
from .xor import HiddenActivation, XorLearned, XorOptimizer, xor_learned

if TYPE_CHECKING:
    from matplotlib.figure import Figure

N_SEEDS = 30


class SeedStudy(TypedDict):
    label: str
    seeds: list[int]
    accuracy: list[float]         # per seed
    loss: list[float]             # final training loss per seed
    failed: list[int]             # seeds with accuracy < 100 %
    failure_rate: float


class StuckVsSuccess(TypedDict):
    stuck: XorLearned
    success: XorLearned
    stuck_gap: float              # smallest ‖h_i − h_j‖ between points of different class
    success_gap: float
    stuck_grad_norm: float        # ‖∇J‖ at the end of training
    success_grad_norm: float
    stuck_loss_after_10x: float   # the stuck seed trained 10× longer


class LocalMinimaSummary(TypedDict):
    rows: list[tuple[str, int, int]]   # (configuration, failed, seeds)
    stuck_seed: int
    success_seed: int
    stuck_gap: float
    stuck_grad_norm: float


# (label, activation, hidden units, keyword arguments of xor_learned)
Config = tuple[str, HiddenActivation, int, dict[str, Any]]
CONFIGS: tuple[Config, ...] = (
    ("tanh, 2 hidden (section 1), Adam lr 0.1, 300 epochs", "tanh", 2, {}),
    ("  … 3000 epochs (10× longer)", "tanh", 2, {"epochs": 3000}),
    ("  … Adam lr 0.01, 3000 epochs", "tanh", 2, {"lr": 0.01, "epochs": 3000}),
    ("  … init N(0, 0.01²) (small weights)", "tanh", 2, {"init": "normal"}),
    ("  … He-normal init (larger weights)", "tanh", 2, {"init": "he_normal"}),
    ("  … momentum γ 0.9 (lecture form) lr 1, 1000 ep.", "tanh", 2,
     {"optimizer": "momentum", "lr": 1.0, "epochs": 1000}),
    ("tanh, 3 hidden", "tanh", 3, {}),
    ("tanh, 8 hidden", "tanh", 8, {}),
    ("sigmoid, 2 hidden", "sigmoid", 2, {}),
    ("ReLU, 2 hidden (He-normal init)", "relu", 2, {}),
    ("  … Glorot init", "relu", 2, {"init": "glorot_uniform"}),
    ("  … momentum γ 0.9 lr 1, 1000 ep.", "relu", 2,
     {"optimizer": "momentum", "lr": 1.0, "epochs": 1000}),
    ("ReLU, 4 hidden", "relu", 4, {}),
    ("ReLU, 8 hidden", "relu", 8, {}),
    ("Leaky ReLU (0.1), 2 hidden", "leaky_relu", 2, {}),
    ("Leaky ReLU (0.1), 8 hidden", "leaky_relu", 8, {}),
    ("ELU, 2 hidden", "elu", 2, {}),
    ("ELU, 8 hidden", "elu", 8, {}),
)


def xor_seed_study(activation: HiddenActivation = "tanh", hidden: int = 2,
                   seeds: Sequence[int] = range(N_SEEDS), label: str = "",
                   epochs: int = 300, lr: float = 0.1, optimizer: XorOptimizer = "adam",
                   init: str | None = None) -> SeedStudy:
    """Train xor_learned(...) once per seed. Returns {"label", "seeds", "accuracy",
    "loss", "failed" (seeds below 100 %), "failure_rate"}."""
    acc: list[float] = []
    loss: list[float] = []
    for s in seeds:
        r = xor_learned(hidden=hidden, activation=activation, seed=s, epochs=epochs, lr=lr,
                        optimizer=optimizer, init=init)
        acc.append(r["accuracy"])
        loss.append(r["loss"])
    failed = [s for s, a in zip(seeds, acc) if a < 1.0]
    return {"label": label or f"{activation}, {hidden} hidden", "seeds": list(seeds),
            "accuracy": acc, "loss": loss, "failed": failed,
            "failure_rate": len(failed) / max(1, len(acc))}


def what_helps(seeds: Sequence[int] = range(N_SEEDS),
               configs: Sequence[Config] = CONFIGS) -> list[SeedStudy]:
    """Every configuration of CONFIGS over the same seeds, plus "best of 3 restarts"
    (the lowest training loss of seeds 3k, 3k+1, 3k+2; tanh, 2 hidden)."""
    studies = [xor_seed_study(act, hidden, seeds, label, **kw)
               for label, act, hidden, kw in configs]
    n = len(seeds)
    more = xor_seed_study("tanh", 2, range(3 * n))
    acc, loss, failed = [], [], []
    for k in range(n):
        group = range(3 * k, 3 * k + 3)
        best = min(group, key=lambda s: more["loss"][s])
        acc.append(more["accuracy"][best])
        loss.append(more["loss"][best])
        if acc[-1] < 1.0:
            failed.append(k)
    studies.append({"label": "tanh, 2 hidden, best of 3 restarts (lowest loss)",
                    "seeds": list(range(n)), "accuracy": acc, "loss": loss, "failed": failed,
                    "failure_rate": len(failed) / n})
    return studies


def smallest_class_gap(hidden: FloatingArray) -> float:
    """min ‖h_i − h_j‖ over pairs of points with different XOR labels: 0 means the hidden
    layer maps a 0-point and a 1-point onto the same vector (then nothing can separate
    them)."""
    _, y = xor_data()
    return float(min(np.linalg.norm(hidden[i] - hidden[j])
                     for i in range(4) for j in range(4) if y[i] != y[j]))


def grad_norm(r: XorLearned) -> float:
    X, y = xor_data()
    _, g = r["model"].loss_and_grad(X, y, loss="bce")
    return float(np.sqrt(sum(float(np.sum(np.square(v))) for v in g.values())))


def stuck_vs_success(seeds: Sequence[int] = range(N_SEEDS)) -> StuckVsSuccess:
    """The first failing and the first successful seed of section 1's configuration."""
    runs = [xor_learned(seed=s) for s in seeds]
    stuck = next(r for r in runs if r["accuracy"] < 1.0)
    success = next(r for r in runs if r["accuracy"] == 1.0)
    longer = xor_learned(seed=stuck["seed"], epochs=10 * stuck["epochs"])
    return {"stuck": stuck, "success": success,
            "stuck_gap": smallest_class_gap(stuck["hidden"]),
            "success_gap": smallest_class_gap(success["hidden"]),
            "stuck_grad_norm": grad_norm(stuck), "success_grad_norm": grad_norm(success),
            "stuck_loss_after_10x": longer["loss"]}


def run(ctx: Context) -> LocalMinimaSummary:
    ctx.heading(10, "Local minima, honestly: XOR from 30 random starts")
    ctx.say("  lecture: 'Nicht konvex: Viele lokale Optima' — 'Gradient descent funktioniert hier "
            "häufig nicht einfach so'", "  each row: the XOR network of section 1 trained from "
            f"seeds 0–{N_SEEDS - 1} (full batch, BCE); failed = not all 4 points right")
    # the quick run leaves out the two 3000-epoch rows (most of the section's time)
    studies = what_helps(configs=[c for c in CONFIGS if not (ctx.quick and
                                                             c[3].get("epochs") == 3000)])
    rows = [(s["label"], len(s["failed"]), len(s["seeds"])) for s in studies]
    ctx.table(["configuration", "failed", "of", "failure rate", "loss of failed runs"],
              [(s["label"], len(s["failed"]), len(s["seeds"]), pct(s["failure_rate"]),
                ", ".join(sorted({f"{l:.3f}" for l, a in zip(s["loss"], s["accuracy"])
                                  if a < 1.0})[:3]) or "-")
               for s in studies])
    sv = stuck_vs_success()
    st, ok = sv["stuck"], sv["success"]
    ctx.sub(f"a stuck run (seed {st['seed']}) beside a successful one (seed {ok['seed']})",
            de=f"„Nicht konvex: viele lokale Optima“ — ein steckengebliebener Lauf (Seed "
               f"{st['seed']}) neben einem erfolgreichen (Seed {ok['seed']})")
    X, y = xor_data()
    ctx.table(["x", "target", f"p stuck (seed {st['seed']})", "h stuck",
               f"p success (seed {ok['seed']})", "h success"],
              [(str(x.astype(int).tolist()), int(t), f"{ps:.3f}", _vec(hs), f"{po:.3f}",
                _vec(ho))
               for x, t, ps, hs, po, ho in zip(X, y, st["probabilities"], st["hidden"],
                                               ok["probabilities"], ok["hidden"])])
    ctx.say(f"  stuck: smallest distance in h between a 0-point and a 1-point "
            f"{sv['stuck_gap']:.3f} (success: {sv['success_gap']:.3f}) — the hidden layer has "
            "merged points of different class, so no output line can separate them",
            f"  stuck: ‖∇J‖ = {sv['stuck_grad_norm']:.1e} at loss {st['loss']:.4f}; after "
            f"{10 * st['epochs']} epochs the loss is {sv['stuck_loss_after_10x']:.4f} "
            "(a local minimum, not a slow start)",
            "  what helps, measured (failed of 30): " + _what_helps_line(studies))
    summary: LocalMinimaSummary = {"rows": rows, "stuck_seed": st["seed"],
                                   "success_seed": ok["seed"], "stuck_gap": sv["stuck_gap"],
                                   "stuck_grad_norm": sv["stuck_grad_norm"]}
    ctx.results["local-minima"] = summary
    if ctx.can_plot("10_local_minima.png", "stuck vs successful XOR run, failure rates"):
        ctx.save(plot_local_minima(sv, studies, ctx.pyplot()), "10_local_minima.png",
                 "XOR: a stuck and a successful run (input and hidden space), failure rates")
    return summary


def _what_helps_line(studies: Sequence[SeedStudy]) -> str:
    n = {s["label"].strip(" …"): len(s["failed"]) for s in studies}

    def get(label: str) -> str:
        return str(n[label]) if label in n else "-"
    return (f"section 1's network {get('tanh, 2 hidden (section 1), Adam lr 0.1, 300 epochs')}"
            f"; 3 hidden units {get('tanh, 3 hidden')}, 8: {get('tanh, 8 hidden')}; small "
            f"initial weights {get('init N(0, 0.01²) (small weights)')}; best of 3 restarts "
            f"{get('tanh, 2 hidden, best of 3 restarts (lowest loss)')}; momentum "
            f"{get('momentum γ 0.9 (lecture form) lr 1, 1000 ep.')}; 10× longer "
            f"{get('3000 epochs (10× longer)')}. ReLU with 2 units "
            f"{get('ReLU, 2 hidden (He-normal init)')} (units die: h = 0 for several points), "
            f"with 8 units {get('ReLU, 8 hidden')}")


def _vec(v: FloatingArray) -> str:
    return "[" + ", ".join(f"{x:+.2f}" for x in v) + "]"


def plot_local_minima(sv: StuckVsSuccess, studies: Sequence[SeedStudy],
                      plt: ModuleType) -> Figure:
    X, y = xor_data()
    fig: Figure = plt.figure(figsize=(16, 8.5))
    grid = fig.add_gridspec(2, 3, width_ratios=[1, 1, 1.5])
    g = np.linspace(-0.5, 1.5, 150)
    G1, G2 = np.meshgrid(g, g)
    for row, (name, r) in enumerate((("stuck", sv["stuck"]), ("successful", sv["success"]))):
        model = r["model"]
        ax = fig.add_subplot(grid[row, 0])
        P = model.predict(np.c_[G1.ravel(), G2.ravel()]).reshape(G1.shape)
        ax.contourf(G1, G2, P, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
        ax.contour(G1, G2, P, levels=[0.5], colors="k", linewidths=1.2)
        _points(ax, X, y, r["probabilities"])
        ax.set(title=f"{name} run (seed {r['seed']}), input space\nloss {r['loss']:.3f}, "
                     f"accuracy {100 * r['accuracy']:.0f} %  (colour: p(y=1))",
               xlabel="x1", ylabel="x2", xlim=(-0.5, 1.5), ylim=(-0.5, 1.5))
        ax = fig.add_subplot(grid[row, 1])
        H = r["hidden"]
        _points(ax, H, y, None)
        p = model.named_parameters()
        w, b = p["2.W"].ravel(), float(p["2.b"][0])
        t = np.linspace(-1.3, 1.3, 10)
        if abs(w[1]) > 1e-12:
            ax.plot(t, -(w[0] * t + b) / w[1], "k--", lw=1.2, label="output layer: wᵀh + b = 0")
        ax.set(title=f"{name} run: hidden space h = tanh(xW + c)\n"
                     f"smallest 0↔1 distance {smallest_class_gap(H):.2f}",
               xlabel="hidden unit 1", ylabel="hidden unit 2", xlim=(-1.3, 1.3),
               ylim=(-1.3, 1.3))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=7)
    ax = fig.add_subplot(grid[:, 2])
    labels = [s["label"].replace("  … ", "   … ") for s in studies]
    rates = [100 * s["failure_rate"] for s in studies]
    ypos = np.arange(len(studies))[::-1]
    ax.barh(ypos, rates, color=["tab:red" if q > 30 else "tab:orange" if q > 5 else "tab:green"
                                for q in rates])
    for yy, q, s in zip(ypos, rates, studies):
        ax.text(q + 1, yy, f"{len(s['failed'])}/{len(s['seeds'])}", va="center", fontsize=8)
    ax.set_yticks(ypos, labels, fontsize=8)
    ax.set(xlim=(0, 110), xlabel="failed runs (%), XOR not learned",
           title=f"Failure rate over {len(studies[0]['seeds'])} seeds")
    ax.grid(axis="x", alpha=0.3)
    fig.suptitle("Section 10 — Local minima: the same XOR network from different random starts",
                 y=1.0)
    fig.tight_layout()
    return fig


def _points(ax: Any, P: FloatingArray, y: Float64Array, prob: FloatingArray | None) -> None:
    X, _ = xor_data()
    for cls, col, lab in ((0, "tab:blue", "XOR = 0"), (1, "tab:red", "XOR = 1")):
        sel = y == cls
        ax.scatter(P[sel, 0], P[sel, 1], s=130, c=col, edgecolor="k", zorder=3, label=lab)
    done: list[int] = []  # one label per spot: points that coincide share it
    for i, p in enumerate(P):
        if any(np.linalg.norm(p - P[j]) < 0.1 for j in done):
            continue
        same = [j for j in range(len(P)) if np.linalg.norm(p - P[j]) < 0.1]
        done.append(i)
        text = " & ".join(f"({X[j, 0]:.0f},{X[j, 1]:.0f})" for j in same)
        if prob is not None:
            text += f"  p={prob[i]:.2f}"
        right = prob is None and p[0] > 0.6  # hidden space: keep labels inside
        ax.annotate(text, p, textcoords="offset points", xytext=(-8 if right else 8, -15),
                    ha="right" if right else "left", fontsize=8)
