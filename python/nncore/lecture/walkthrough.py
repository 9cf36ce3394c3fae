"""Run the lecture's sections in order and print the report (`python -m nncore`)."""
from __future__ import annotations

import contextlib
import os
import time
from types import ModuleType
from typing import ContextManager, Sequence, TextIO, cast

import nncore as nc

import importlib

from ._report import DEMO_HINT, Context
from .slides import BANNER_DE, SUMMARY_DE

# name -> (number, module name in nncore.lecture, title). Modules are looked up by name:
# the package rebinds some of these names (e.g. `digits`) to the section functions.
SECTIONS: dict[str, tuple[int, str, str]] = {
    "xor": (1, "xor", "XOR by hand, then learned"),
    "activations": (2, "activations", "why activations; activation functions"),
    "classification": (3, "classification", "2-D classification vs linear/logistic regression"),
    "symmetry": (4, "symmetry", "symmetric initialisation"),
    "optimizers": (5, "optimizers", "optimizers, loss curves and the valley"),
    "activation-choice": (6, "activation_choice", "activation choice in practice"),
    "digits": (7, "digits", "digits data set (scikit-learn)"),
    "cost": (8, "cost", "computational cost"),
    "graph": (9, "graphs", "computational graphs"),
    "local-minima": (10, "local_minima", "local minima: XOR from 30 random starts"),
    "learning-rate": (11, "learning_rate", "the learning rate: too small, good, too large"),
    "momentum": (12, "momentum", "momentum on a double well and a saddle point"),
    "chain-rule": (13, "chain_rule", "the chain rule factor by factor, Jacobian, paths"),
    "width-depth": (14, "width_depth", "width and depth at equal parameter budgets"),
    "activation-costs": (15, "activation_costs", "what each activation costs"),
    "feature-space": (16, "feature_space", "feature space: input space → feature space"),
    "alternatives": (17, "backprop_alternatives",
                     "without a backward pass: forward gradient, weight perturbation"),
    "dropout": (18, "dropout", "dropout and the overfitting curve"),
}


def section_module(key: str) -> ModuleType:
    return importlib.import_module(f"{__package__}.{SECTIONS[key][1]}")
ALIASES = {"activation_choice": "activation-choice", "graphs": "graph",
           "local_minima": "local-minima", "minima": "local-minima",
           "learning_rate": "learning-rate", "lr": "learning-rate",
           "chain_rule": "chain-rule", "width_depth": "width-depth",
           "activation_costs": "activation-costs", "feature_space": "feature-space",
           "backprop_alternatives": "alternatives", "forward-gradient": "alternatives"}


def resolve_section(name: str | int) -> str:
    """Section key from a name, alias or number ("3", "classification")."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key in SECTIONS:
        return key
    for k, (num, _, _) in SECTIONS.items():
        if key == str(num):
            return k
    raise ValueError(f"unknown section {name!r}; choose one of "
                     + ", ".join(f"{k} ({n})" for k, (n, _, _) in SECTIONS.items()))


def run_all(out: str | os.PathLike[str] | None = "nncore-out", quick: bool = False,
            only: str | int | None = None, plots: bool = True,
            threads: int | None = 1, echo: bool = True,
            stream: TextIO | None = None, lang: str = "en") -> Context:
    """Run the walkthrough (all sections, or `only` one name/number). Returns the Context
    (ctx.results: the numbers per section; ctx.pictures; ctx.skipped; ctx.lines).
    lang="de" prints the section headings as the slides title them (German)."""
    keys = list(SECTIONS) if only is None else [resolve_section(only)]
    ctx = Context(out=out, quick=quick, plots=plots, echo=echo, stream=stream, lang=lang)
    old_threads = nc.get_num_threads()
    if threads:
        nc.set_num_threads(int(threads))
    t_start = time.perf_counter()
    try:
        ctx.say(BANNER_DE if lang == "de" else
                "nncore — the lecture 'Neuronale Netze, Backpropagation' (Vorlesung 5), runnable",
                f"  mode: {'quick (smoke run)' if quick else 'full'};  output folder: {ctx.out};  "
                f"core threads: {nc.get_num_threads()};  nncore {nc.__version__}")
        if ctx.plt is None:
            ctx.say(f"  pictures are skipped: {ctx.no_plot_reason} ({DEMO_HINT})")
        with _figure_dpi(ctx):
            for key in keys:
                module = section_module(key)
                ctx.section = key
                t0 = time.perf_counter()
                module.run(ctx)
                ctx.timings[key] = time.perf_counter() - t0
        ctx.section = None
    finally:
        nc.set_num_threads(old_threads)
    total = time.perf_counter() - t_start
    _summary(ctx, keys, total)
    if ctx.out is not None:
        os.makedirs(ctx.out, exist_ok=True)
        with open(os.path.join(ctx.out, "report.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(ctx.lines) + "\n")
    ctx.total_seconds = total
    return ctx


def _figure_dpi(ctx: Context) -> ContextManager[object]:
    """New figures at the pictures' dpi while the sections run (see Context.dpi)."""
    if ctx.plt is None:
        return contextlib.nullcontext()
    return cast("ContextManager[object]", ctx.plt.rc_context({"figure.dpi": ctx.dpi}))


def _summary(ctx: Context, keys: Sequence[str], total: float) -> None:
    title = SUMMARY_DE if ctx.lang == "de" else "Summary"
    ctx.say("", f"== {title} " + "=" * (77 - len(title)))
    ctx.table(["section", "seconds"],
              [(f"{SECTIONS[k][0]}. {k}", f"{ctx.timings.get(k, 0):.1f}") for k in keys]
              + [("total", f"{total:.1f}")])
    ctx.say(f"  pictures written: {len(ctx.pictures)}"
            + (f" (in {ctx.out})" if ctx.pictures else ""))
    if ctx.skipped:
        ctx.say(f"  skipped: {len(ctx.skipped)}")
        for section, what, reason in ctx.skipped:
            ctx.say(f"    - [{section}] {what}: {reason}")
        if any("is not installed" in r for _, _, r in ctx.skipped):
            ctx.say(f"  to enable them: {DEMO_HINT}")
    if ctx.out is not None:
        ctx.say(f"  report text: {os.path.join(ctx.out, 'report.txt')}")
