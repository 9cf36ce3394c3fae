"""Printing and picture helpers shared by the walkthrough's sections.

A `Context` carries the options (quick mode, output folder) and collects what
was printed, which pictures were written and which were skipped (and why).
"""
from __future__ import annotations

import os
import sys
import time
from types import ModuleType
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Sequence, TextIO

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DEMO_HINT = "pip install 'nncore[demo]'  (matplotlib and scikit-learn)"

# The quick run's most expensive pictures (multi-panel figures, ~1 s of CPU each to lay
# out and draw: matplotlib's per-tick and per-label work, not the pixels), drawn only in
# the full run so that --quick stays a seconds-long smoke run. Their numbers are printed
# in both runs.
FULL_RUN_ONLY = frozenset({"10_local_minima.png", "11_learning_rate.png", "12_momentum.png",
                           "15_activation_costs.png"})
QUICK_REASON = "drawn in the full run only (python -m nncore without --quick)"

# (section, path, what) of a written picture; (section, what, reason) of a skipped one.
# The section is None when a section's run() is called on its own.
Picture = tuple[Optional[str], str, str]
Skipped = tuple[Optional[str], str, str]


def get_pyplot() -> ModuleType | None:
    """matplotlib.pyplot with the headless Agg backend, or None if matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def fmt_matrix(a: ArrayLike, decimals: int = 2) -> list[str]:
    """A small matrix as aligned text rows, like the slides."""
    m = np.atleast_2d(np.asarray(a, dtype=np.float64))
    cells = [[_num(v, decimals) for v in row] for row in m]
    width = max(len(c) for row in cells for c in row)
    return ["[ " + "  ".join(c.rjust(width) for c in row) + " ]" for row in cells]


def _num(v: float, decimals: int) -> str:
    if float(v).is_integer() and abs(v) < 1e6:
        return f"{v:.0f}" if decimals == 0 else f"{v:.{min(decimals, 1)}f}"
    return f"{v:.{decimals}f}"


def side_by_side(blocks: Sequence[tuple[str, Sequence[str]]], gap: int = 4) -> list[str]:
    """Print several (title, lines) blocks next to each other."""
    heights = max(len(lines) for _, lines in blocks)
    widths = [max(len(t), *(len(s) for s in lines)) for t, lines in blocks]
    out = ["".ljust(0) + (" " * gap).join(t.ljust(w) for (t, _), w in zip(blocks, widths))]
    for i in range(heights):
        out.append((" " * gap).join((lines[i] if i < len(lines) else "").ljust(w)
                                    for (_, lines), w in zip(blocks, widths)))
    return out


def fmt_table(headers: Sequence[object], rows: Iterable[Iterable[object]]) -> list[str]:
    """Rows of values as an aligned text table (first column left, others right)."""
    text = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in text) for i in range(len(headers))]

    def line(r: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths)))
    return [line(text[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in text[1:]]


class Context:
    """Options and the record of one walkthrough run (or one section called alone)."""

    total_seconds: float  # set by run_all at the end of the walkthrough

    def __init__(self, out: str | os.PathLike[str] | None = "nncore-out", quick: bool = False,
                 plots: bool = True, stream: TextIO | None = None, echo: bool = True,
                 lang: str = "en") -> None:
        from .slides import LANGUAGES
        if lang not in LANGUAGES:
            raise ValueError(f"Context: lang must be one of {LANGUAGES}, got {lang!r}")
        self.lang = lang
        self.out = os.path.abspath(out) if out is not None else None
        self.quick = bool(quick)
        self.stream = stream or sys.stdout
        self.echo = echo
        self.lines: list[str] = []
        self.pictures: list[Picture] = []
        self.skipped: list[Skipped] = []
        # section name -> the numbers its run() returned (that section's TypedDict), or None
        # for a skipped section
        self.results: dict[str, Mapping[str, Any] | None] = {}
        self.timings: dict[str, float] = {}
        self.section: str | None = None
        self.plt = get_pyplot() if plots else None
        self.no_plot_reason = (None if self.plt is not None else
                               ("matplotlib is not installed" if plots else "pictures disabled"))

    # -- text -----------------------------------------------------------------------
    def say(self, *lines: object) -> None:
        for line in lines:
            for part in str(line).split("\n"):
                self.lines.append(part)
                if self.echo:
                    print(part, file=self.stream, flush=True)

    def heading(self, number: int, title: str) -> None:
        """The section's heading: `title`, or with lang "de" the slides' German title."""
        if self.lang == "de" and self.section is not None:
            from .slides import SLIDES
            title = SLIDES[self.section][0]
        bar = f"== {number}. {title} "
        self.say("", bar + "=" * max(4, 78 - len(bar)))

    def lead(self, line: str, de: str) -> None:
        """A section's headline line (what it runs, printed under its heading): `line`, or
        with lang "de" its German form `de`."""
        self.say(de if self.lang == "de" else line)

    def sub(self, title: str, de: str | None = None) -> None:
        """A sub-headline: `title`, or with lang "de" its German form `de` (the slides'
        words where a slide says it)."""
        self.say("", f"-- {de if self.lang == 'de' and de else title}")

    def table(self, headers: Sequence[object], rows: Iterable[Iterable[object]],
              indent: str = "  ") -> None:
        self.say(*[indent + l for l in fmt_table(headers, rows)])

    # -- pictures -------------------------------------------------------------------
    @property
    def dpi(self) -> int:
        """Resolution of the pictures: quick mode is a smoke run, smaller (still legible)
        pictures save time there. run_all makes it the figures' dpi from the start, so
        tight_layout and savefig measure text on one renderer."""
        return 80 if self.quick else 110

    def can_plot(self, filename: str, what: str) -> bool:
        """True if pictures can be drawn; otherwise records the skip and returns False."""
        if self.quick and filename in FULL_RUN_ONLY and self.plt is not None:
            self.skipped.append((self.section, f"picture {filename} ({what})", QUICK_REASON))
            self.say(f"  [picture {filename}: {QUICK_REASON}]")
            return False
        if self.plt is None or self.out is None:
            reason = self.no_plot_reason or "no output folder"
            self.skipped.append((self.section, f"picture {filename} ({what})", reason))
            self.say(f"  [skipped picture {filename}: {reason}; {DEMO_HINT}]"
                     if self.plt is None else f"  [skipped picture {filename}: {reason}]")
            return False
        return True

    def _folder(self, fn: str) -> str:
        if self.out is None:
            raise RuntimeError(f"Context.{fn}: there is no output folder (out=None); "
                               "ask can_plot() first")
        return self.out

    def pyplot(self) -> ModuleType:
        """matplotlib.pyplot, for drawing a picture that can_plot() allowed."""
        if self.plt is None:
            raise RuntimeError(f"Context: {self.no_plot_reason}; ask can_plot() first")
        return self.plt

    def save(self, fig: Figure, filename: str, what: str) -> str:
        plt = self.pyplot()
        folder = self._folder("save")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, filename)
        # fig.tight_layout() leaves a do-nothing placeholder layout engine behind, and
        # savefig lays a figure with any engine out once more before drawing it.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.layout_engine import PlaceHolderLayoutEngine
        if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
            fig.set_layout_engine(None)
        fig.set_dpi(self.dpi)
        # The tight box from the figure's own renderer: text laid out by the section's
        # tight_layout() at this dpi is measured again from its cache, where
        # bbox_inches="tight" would lay every label out once more on a renderer of its own
        # (a third of the walkthrough's drawing time). Padded like savefig's pad_inches.
        canvas = fig.canvas
        if isinstance(canvas, FigureCanvasAgg):   # get_pyplot() chose Agg
            renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
            box = fig.get_tightbbox(renderer).padded(0.1)
            fig.savefig(path, dpi=self.dpi, bbox_inches=box)
        else:
            fig.savefig(path, dpi=self.dpi, bbox_inches="tight")
        plt.close(fig)
        self.pictures.append((self.section, path, what))
        self.say(f"  picture: {path}  ({what})")
        return path

    def write_text(self, filename: str, text: str, what: str) -> str:
        folder = self._folder("write_text")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, filename)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        self.say(f"  file: {path}  ({what})")
        return path

    def skip(self, what: str, reason: str) -> None:
        self.skipped.append((self.section, what, reason))
        self.say(f"  [skipped {what}: {reason}]")


class Timer:
    t0: float
    seconds: float

    def __enter__(self) -> Timer:
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.t0


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"
