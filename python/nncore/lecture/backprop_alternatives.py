"""Section 17 — "Sollten wir immer Backpropagation nutzen?" (the lecture's closing slides).

Neural networks are only loosely inspired by biology; the brain has (probably) no
mechanism that computes errors and sends them backwards, and there are alternatives to
backpropagation — but so far backpropagation is *the* dominant training algorithm.
This section trains the same networks both ways and shows the price:

- backprop: the exact gradient from one forward and one backward pass;
- the forward gradient (Baydin et al. 2022, "Gradients without Backpropagation"):
  one forward pass that carries the directional derivative d = ∇L·v along a random
  v ~ N(0, I); g = d·v is unbiased (E[v vᵀ] = I), k directions averaged;
- weight perturbation (SPSA): d ≈ (L(θ + εv) − L(θ − εv))/(2ε), two plain forward
  passes, no derivative of any layer at all.

`alternatives()` returns, for XOR and the 2-D example (section 3's network and data),
the full-batch Adam steps and wall time to 100 % training accuracy per method and seed,
the test accuracy then, and the multiply-adds per step; `estimate_variance()` measures
E‖g − ∇L‖²/‖∇L‖² of one forward gradient against the number of parameters P (theory
P + 1: the estimate gets worse as the network grows — one random direction tells
little about a P-dimensional gradient).
"""
from __future__ import annotations

import time
from typing import TypedDict

import numpy as np

import nncore as nc
from nncore.fit_args import GradientSpec
from nncore.reference import Sequential as RefSequential
from nncore.reference.forward_gradient import estimate

from ._report import Context, pct
from .classification import NN_LR, accuracy, network
from .cost import count_macs
from .data import moons_split, xor_data

# (label, gradient, tangents)
METHODS: list[tuple[str, str, int]] = [
    ("backprop", "backprop", 1), ("forward gradient, k=1", "forward", 1),
    ("forward gradient, k=4", "forward", 4), ("forward gradient, k=16", "forward", 16),
    ("weight perturbation (ε=1e-3), k=1", "perturbation", 1)]
SEEDS = (0, 1, 2)
XOR_LR = 0.05
BUDGET = 20_000  # full-batch steps before giving up

REFERENCES = [
    "A. G. Baydin, B. A. Pearlmutter, D. Syme, F. Wood, P. Torr: Gradients without "
    "Backpropagation, arXiv:2202.08587 (2022) — the forward gradient used here",
    "arXiv:1901.09049 (cs), cited on the slide",
    "L. Manneschi, E. Vasilaki: An alternative to backpropagation through time, Nature "
    "Machine Intelligence 2, 155–156 (2020)",
    "A. Kag, V. Saligrama: Training Recurrent Neural Networks via Forward Propagation "
    "Through Time, ICML 2021, PMLR 139:5189–5200",
    "Z. Xue, T. Zhou, Z. Xu, S. Yu, Q. Dai, L. Fang: Fully forward mode training for "
    "optical neural networks, Nature 632, 280–286 (2024)",
]
CONCLUSION = ("Aber: Bisher ist Backpropagation *der* dominante Algorithmus fürs Training — "
              "one backward pass buys the exact gradient, which k random directions only "
              "approach at 1/√k and ever more slowly as P grows.")


class Run(TypedDict):
    task: str
    method: str
    seed: int
    steps: int            # full-batch steps until 100 % train accuracy (BUDGET if never)
    reached: bool
    seconds: float        # wall time of that fit
    test_acc: float


class MethodRow(TypedDict):
    task: str
    method: str
    steps: list[int]      # per seed
    median_ms: float      # median wall time to 100 %
    test_acc: float       # seed 0's test accuracy at 100 % train
    macs_per_sample: int  # multiply-adds per sample of one step
    macs_per_step: int    # the whole batch


def _until_full(epoch: int, logs: dict[str, float]) -> bool:
    return not logs.get("accuracy", 0.0) >= 1.0


def _model(task: str, seed: int) -> nc.Sequential:
    if task == "xor":
        return nc.Sequential(nc.Dense(2, 4), nc.Tanh(), nc.Dense(4, 1), nc.Sigmoid(), seed=seed)
    return network(10, seed)


def step_macs(model: nc.Sequential, gradient: str, k: int) -> int:
    """Multiply-adds per sample of one step (matmuls, as the cost section counts them).

    backprop: forward W + backward (∂θ: W, ∂x: W − W₁); forward gradient: the primal
    W plus per tangent x·θ̇ (W) and ẋ·θ (W − W₁) — the same as a backward pass;
    perturbation: 1 + 2k forward passes.
    """
    c = count_macs(model)
    if gradient == "backprop":
        return c["forward"] + c["backward"]
    if gradient == "forward":
        return c["forward"] + k * c["backward"]
    return (1 + 2 * k) * c["forward"]


def train_once(task: str, gradient: str, k: int, seed: int) -> Run:
    if task == "xor":
        X, y = xor_data()
        Xt, yt, lr = X, y, XOR_LR
    else:
        (X, y), (Xt, yt) = moons_split()
        lr = NN_LR
    m = _model(task, seed)
    t0 = time.perf_counter()
    h = m.fit(X, y, loss="bce", optimizer=nc.Adam(lr=lr), epochs=BUDGET, batch_size=len(X),
              callbacks=[_until_full], verbose=0, gradient=gradient,
              tangents=None if gradient == "backprop" else k)
    seconds = time.perf_counter() - t0
    return {"task": task, "method": gradient, "seed": seed, "steps": len(h.epoch),
            "reached": h.history["accuracy"][-1] >= 1.0, "seconds": seconds,
            "test_acc": accuracy(m, Xt, yt)}


def alternatives(tasks: tuple[str, ...] = ("xor", "moons"),
                 seeds: tuple[int, ...] = SEEDS) -> list[MethodRow]:
    """One row per (task, method): steps to 100 % train per seed, median wall time, test
    accuracy (seed 0), multiply-adds per step."""
    rows: list[MethodRow] = []
    for task in tasks:
        n = 4 if task == "xor" else len(moons_split()[0][0])
        for label, gradient, k in METHODS:
            runs = [train_once(task, gradient, k, s) for s in seeds]
            macs = step_macs(_model(task, 0), gradient, k)
            rows.append({"task": task, "method": label,
                         "steps": [r["steps"] if r["reached"] else -1 for r in runs],
                         "median_ms": float(np.median([r["seconds"] for r in runs])) * 1e3,
                         "test_acc": runs[0]["test_acc"], "macs_per_sample": macs,
                         "macs_per_step": macs * n})
    return rows


class VarianceRow(TypedDict):
    hidden: int
    parameters: int
    relative_variance: float   # E‖g − ∇L‖² / ‖∇L‖², measured
    theory: float              # P + 1
    mean_cosine: float         # E[cos(g, ∇L)]


def estimate_variance(hidden: tuple[int, ...] = (2, 8, 32, 128), tangents: int = 200,
                      seed: int = 0) -> list[VarianceRow]:
    """One forward gradient (k = 1) of section 3's 2-H-1 network at its initial weights on
    the 2-D example, `tangents` draws: its spread around the backprop gradient against P.

    For v ~ N(0, I): E[(∇·v)² v vᵀ] = ‖∇‖² I + 2∇∇ᵀ, so E‖g − ∇‖² = (P + 1)‖∇‖².
    """
    (X, y), _ = moons_split()
    rows: list[VarianceRow] = []
    for h in hidden:
        m = RefSequential(*network(h, seed).layers, seed=seed)
        _, grads = m.loss_and_grad(X, y, loss="bce")
        g = np.concatenate([grads[k].ravel() for k in m.param_names])
        Xc, Yc, lc, loss, _, _ = m._check_targets(X, y, "bce", 0.0, 0.0, "estimate_variance")
        errs, cos = [], []
        for step in range(tangents):
            _, est = estimate(m, Xc, Yc, lc, loss, 0.0, 0.0, GradientSpec("forward", 1),
                              seed=seed, step=step)
            errs.append(float(np.sum((est - g) ** 2)))
            cos.append(float(est @ g / (np.linalg.norm(est) * np.linalg.norm(g))))
        P = m.num_parameters
        rows.append({"hidden": h, "parameters": P,
                     "relative_variance": float(np.mean(errs)) / float(g @ g),
                     "theory": P + 1.0, "mean_cosine": float(np.mean(cos))})
    return rows


class AlternativesSummary(TypedDict):
    rows: list[MethodRow]
    variance: list[VarianceRow]


def run(ctx: Context) -> AlternativesSummary:
    ctx.heading(17, "Should we always use backpropagation? Forward gradients, weight "
                    "perturbation")
    ctx.say("  backprop is only loosely biological: the brain (probably) has no mechanism that "
            "computes errors and sends them backwards; there are alternatives. Two that need "
            "forward passes only, in nncore's core: fit(gradient=\"forward\", tangents=k) and "
            "fit(gradient=\"perturbation\", epsilon=ε)")
    seeds = SEEDS[:1] if ctx.quick else SEEDS  # the full run: ~1.5 s, quick ~0.5 s
    rows = alternatives(seeds=seeds)
    ctx.say(f"  full-batch Adam (XOR lr {XOR_LR}, 2-D example lr {NN_LR} as section 3) until "
            f"100 % train accuracy (at most {BUDGET} steps), model seeds {list(seeds)} "
            "(the tangents' seed is the model's)")
    ctx.table(["task", "method", "steps to 100 % (per seed)", "time (median)", "test acc",
               "MACs/sample", "MACs/step"],
              [(r["task"], r["method"], " / ".join(str(s) if s >= 0 else "never"
                                                   for s in r["steps"]),
                f"{r['median_ms']:.1f} ms", pct(r["test_acc"]), r["macs_per_sample"],
                r["macs_per_step"]) for r in rows])
    ctx.say("  MACs: multiply-adds of the matmuls as in section 8; a forward-gradient tangent "
            "costs what a backward pass costs (x·θ̇ and ẋ·θ), plus drawing P normal numbers; "
            "weight perturbation costs two forward passes per direction. With ε = 1e-3 it "
            "follows the k=1 forward gradient's path almost exactly (same tangents, O(ε²) "
            "apart).")
    variance = estimate_variance(tangents=50 if ctx.quick else 200)
    ctx.sub("why forward gradients get worse as networks grow: one estimate (k = 1) "
            "around the backprop gradient, 2-H-1 network at its initial weights",
            de="Warum Forward-Gradienten mit der Größe des Netzes schlechter werden: eine "
               "Schätzung (k = 1) um den Backpropagation-Gradienten, 2-H-1-Netz bei seinen "
               "Startgewichten")
    ctx.table(["hidden", "P", "E‖g − ∇L‖²/‖∇L‖²", "theory P + 1", "E[cos(g, ∇L)]"],
              [(v["hidden"], v["parameters"], f"{v['relative_variance']:.1f}",
                f"{v['theory']:.0f}", f"{v['mean_cosine']:.3f}") for v in variance])
    ctx.say("  the noise grows like P: k tangents divide it by k, so keeping the quality "
            "costs k ∝ P forward-mode passes — about P times the work of one backward pass")
    ctx.sub("references on the slide",
            de="„Es gibt Alternativen für Backpropagation (oft durch Biologie motiviert)“: die "
               "Quellen auf der Folie")
    for ref in REFERENCES:
        ctx.say(f"  - {ref}")
    ctx.say(f"  {CONCLUSION}")
    summary: AlternativesSummary = {"rows": rows, "variance": variance}
    ctx.results["alternatives"] = summary
    return summary
