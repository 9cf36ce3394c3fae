"""Printing and picture helpers shared by the walkthrough's sections.

A `Context` carries the options (quick mode, output folder) and collects what
was printed, which pictures were written and which were skipped (and why).
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

DEMO_HINT = "pip install 'nncore[demo]'  (matplotlib and scikit-learn)"


def get_pyplot():
    """matplotlib.pyplot with the headless Agg backend, or None if matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def fmt_matrix(a, decimals=2):
    """A small matrix as aligned text rows, like the slides."""
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    cells = [[_num(v, decimals) for v in row] for row in a]
    width = max(len(c) for row in cells for c in row)
    return ["[ " + "  ".join(c.rjust(width) for c in row) + " ]" for row in cells]


def _num(v, decimals):
    if float(v).is_integer() and abs(v) < 1e6:
        return f"{v:.0f}" if decimals == 0 else f"{v:.{min(decimals, 1)}f}"
    return f"{v:.{decimals}f}"


def side_by_side(blocks, gap=4):
    """Print several (title, lines) blocks next to each other."""
    heights = max(len(lines) for _, lines in blocks)
    widths = [max(len(t), *(len(s) for s in lines)) for t, lines in blocks]
    out = ["".ljust(0) + (" " * gap).join(t.ljust(w) for (t, _), w in zip(blocks, widths))]
    for i in range(heights):
        out.append((" " * gap).join((lines[i] if i < len(lines) else "").ljust(w)
                                    for (_, lines), w in zip(blocks, widths)))
    return out


def fmt_table(headers, rows):
    """Rows of values as an aligned text table (first column left, others right)."""
    text = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in text) for i in range(len(headers))]

    def line(r):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths)))
    return [line(text[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in text[1:]]


class Context:
    """Options and the record of one walkthrough run (or one section called alone)."""

    def __init__(self, out="nncore-out", quick=False, plots=True, stream=None, echo=True):
        self.out = os.path.abspath(out) if out is not None else None
        self.quick = bool(quick)
        self.stream = stream or sys.stdout
        self.echo = echo
        self.lines = []
        self.pictures = []      # (section, path, what)
        self.skipped = []       # (section, what, reason)
        self.results = {}       # section name -> dict of numbers
        self.timings = {}
        self.section = None
        self.plt = get_pyplot() if plots else None
        self.no_plot_reason = (None if self.plt is not None else
                               ("matplotlib is not installed" if plots else "pictures disabled"))

    # -- text -----------------------------------------------------------------------
    def say(self, *lines):
        for line in lines:
            for part in str(line).split("\n"):
                self.lines.append(part)
                if self.echo:
                    print(part, file=self.stream, flush=True)

    def heading(self, number, title):
        bar = f"== {number}. {title} "
        self.say("", bar + "=" * max(4, 78 - len(bar)))

    def sub(self, title):
        self.say("", f"-- {title}")

    def table(self, headers, rows, indent="  "):
        self.say(*[indent + l for l in fmt_table(headers, rows)])

    # -- pictures -------------------------------------------------------------------
    def can_plot(self, filename, what):
        """True if pictures can be drawn; otherwise records the skip and returns False."""
        if self.plt is None or self.out is None:
            reason = self.no_plot_reason or "no output folder"
            self.skipped.append((self.section, f"picture {filename} ({what})", reason))
            self.say(f"  [skipped picture {filename}: {reason}; {DEMO_HINT}]"
                     if self.plt is None else f"  [skipped picture {filename}: {reason}]")
            return False
        return True

    def _folder(self, fn):
        if self.out is None:
            raise RuntimeError(f"Context.{fn}: there is no output folder (out=None); "
                               "ask can_plot() first")
        return self.out

    def save(self, fig, filename, what):
        if self.plt is None:
            raise RuntimeError(f"Context.save: {self.no_plot_reason}; ask can_plot() first")
        folder = self._folder("save")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, filename)
        fig.savefig(path, dpi=110, bbox_inches="tight")
        self.plt.close(fig)
        self.pictures.append((self.section, path, what))
        self.say(f"  picture: {path}  ({what})")
        return path

    def write_text(self, filename, text, what):
        folder = self._folder("write_text")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, filename)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        self.say(f"  file: {path}  ({what})")
        return path

    def skip(self, what, reason):
        self.skipped.append((self.section, what, reason))
        self.say(f"  [skipped {what}: {reason}]")


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0


def pct(x):
    return f"{100 * x:.1f} %"
