"""Pictures of a computational graph: Graphviz DOT text, rendering, and matplotlib.

Reads a graph's nodes (name, op, formula, value, grad, inputs); knows nothing
of how they were computed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import TYPE_CHECKING, Optional, Union, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from .engine import Graph, Node


class GraphvizUnavailable(RuntimeError):
    """Rendering a DOT graph needs the Graphviz program `dot`."""


_PENALTY_OPS = ("sqsum", "abssum", "penalty")


def to_dot(graph: Graph) -> str:
    """Graphviz DOT text: leaves as ellipses, operations as boxes, the loss as a
    double octagon; each label shows the formula, the value's shape and, after
    backward(), the gradient."""
    lines = [f'digraph "{_esc(graph.title or "graph")}" {{', "  rankdir=LR;",
             '  node [fontname="Helvetica", fontsize=11];',
             '  edge [color="#555555"];']
    if graph.title:
        lines.append(f'  labelloc="t"; label="{_esc(graph.title)}";')
    ids = {id(n): f"n{i}" for i, n in enumerate(graph.nodes)}
    for n in graph.nodes:
        shape, color = _style(n)
        label = "\\n".join(_esc(s) for s in _label_lines(n))
        lines.append(f'  {ids[id(n)]} [label="{label}", shape={shape}, style=filled, '
                     f'fillcolor="{color}"];')
    for n in graph.nodes:
        for i in n.inputs:
            lines.append(f"  {ids[id(i)]} -> {ids[id(n)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"

def render(graph: Graph, path: Union[str, os.PathLike[str]],
           format: Optional[str] = None) -> str:
    """Render to PNG/SVG/PDF (from the file extension, or `format`) with Graphviz.

    Uses the Python package `graphviz` if installed, else the `dot` program.
    Raises GraphvizUnavailable with instructions when neither works
    (`to_dot()` and `draw()` always work).
    """
    path = str(path)
    fmt = format or (path.rsplit(".", 1)[-1].lower() if "." in path else "png")
    dot = graph.to_dot()
    data: Optional[bytes] = None
    problems: list[str] = []
    try:
        import graphviz  # optional
        try:
            data = graphviz.Source(dot).pipe(format=fmt)
        except Exception as e:  # ExecutableNotFound and friends
            problems.append(f"python package graphviz: {e}")
    except ImportError:
        problems.append("python package graphviz: not installed")
    if data is None:
        exe = shutil.which("dot")
        if exe is None:
            problems.append("program `dot`: not found on PATH")
        else:
            res = subprocess.run([exe, f"-T{fmt}"], input=dot.encode(), capture_output=True)
            if res.returncode == 0:
                data = res.stdout
            else:
                problems.append(f"dot -T{fmt}: {res.stderr.decode(errors='replace').strip()}")
    if data is None:
        raise GraphvizUnavailable(
            "Graph.render needs Graphviz (" + "; ".join(problems) + "). Install the "
            "program (apt install graphviz, brew install graphviz or conda install "
            "graphviz) and optionally `pip install graphviz`; meanwhile use "
            "Graph.to_dot() for the DOT text or Graph.draw(path) for a matplotlib picture.")
    with open(path, "wb") as f:
        f.write(data)
    return path

def draw(graph: Graph, path: Union[str, os.PathLike[str], None] = None,
         ax: Optional[Axes] = None) -> Union[Figure, SubFigure]:
    """Draw the graph with matplotlib (no Graphviz needed), left to right in
    columns by depth. Saves to `path` if given; returns the figure."""
    from matplotlib.patches import FancyBboxPatch

    pos = layout(graph)
    ncols = max(c for c, _ in pos.values()) + 1
    col_sizes: dict[int, int] = {}
    for c, _ in pos.values():
        col_sizes[c] = col_sizes.get(c, 0) + 1
    nrows = max(col_sizes.values())
    own = ax is None
    size = (max(6.0, 2.3 * ncols), max(3.0, 1.25 * nrows + 1))
    fig: Union[Figure, SubFigure]
    if ax is None and path is not None:  # no pyplot: leaves the user's backend alone
        from matplotlib.figure import Figure
        fig = Figure(figsize=size)
        ax = fig.add_subplot()
    elif ax is None:
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=size)
    else:
        fig = ax.figure
    xy = {}
    for n in graph.nodes:
        c, r = pos[id(n)]
        k = col_sizes[c]
        xy[id(n)] = (c * 2.3, ((k - 1) / 2 - r) * 1.25)
    w, h = 1.95, 0.95
    for n in graph.nodes:
        for i in n.inputs:
            (x0, y0), (x1, y1) = xy[id(i)], xy[id(n)]
            side = n.op in _PENALTY_OPS
            ax.annotate("", xy=(x1 - w / 2, y1), xytext=(x0 + w / 2, y0), zorder=0.5,
                        arrowprops=dict(arrowstyle="-|>", lw=1.0, shrinkA=0, shrinkB=0,
                                        color="#9a7fc0" if side else "#666666",
                                        linestyle="--" if side else "-",
                                        connectionstyle="arc3,rad=0.12" if side
                                        else "arc3,rad=0"))
    for n in graph.nodes:
        x, y = xy[id(n)]
        _, color = _style(n)
        box = FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                             boxstyle="round,pad=0.02,rounding_size=0.12",
                             fc=color, ec="#333333", lw=1.0, zorder=1)
        ax.add_patch(box)
        text = _label_lines(n, short=True)
        ax.text(x, y + 0.28, text[0], ha="center", va="center", fontsize=9,
                fontweight="bold")
        ax.text(x, y - 0.12, "\n".join(text[1:]), ha="center", va="center", fontsize=7,
                linespacing=1.15)
    ax.set_xlim(-1.3, (ncols - 1) * 2.3 + 1.3)
    ax.set_ylim(-(nrows - 1) / 2 * 1.25 - 0.8, (nrows - 1) / 2 * 1.25 + 0.8 + 0.35)
    ax.set_aspect("equal")
    ax.axis("off")
    if graph.title:
        ax.set_title(graph.title, fontsize=11)
    if own and path is not None:  # fig is the Figure made above
        cast("Figure", fig).savefig(path, dpi=110, bbox_inches="tight")
    return fig

def layout(graph: Graph) -> dict[int, tuple[int, int]]:
    """(column, row) per node: operations one column right of their deepest input;
    leaves and the penalty branch one column left of their first consumer; the
    penalty branch below the main chain."""
    depth: dict[int, int] = {}
    for n in graph.nodes:
        if not n.is_leaf:
            depth[id(n)] = 1 + max((depth.get(id(i), 0) for i in n.inputs), default=0)
    side = [n for n in graph.nodes if n.is_leaf or n.op in _PENALTY_OPS]
    for n in reversed(side):
        cons = [depth[id(c)] for c in graph.consumers(n)]
        depth[id(n)] = max(0, min(cons) - 1) if cons else depth.get(id(n), 0)
    order = sorted(graph.nodes, key=lambda n: (n.op in _PENALTY_OPS, graph.nodes.index(n)))
    rows: dict[int, int] = {}
    pos: dict[int, tuple[int, int]] = {}
    for n in order:
        c = depth[id(n)]
        pos[id(n)] = (c, rows.get(c, 0))
        rows[c] = rows.get(c, 0) + 1
    return pos


# -- formatting helpers -----------------------------------------------------------------

def _describe(a: ArrayLike) -> str:
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{float(a):.6g}"
    return f"{tuple(a.shape)} ‖·‖={np.linalg.norm(a):.4g}"


def _label_lines(n: Node, short: bool = False) -> list[str]:
    lines = [n.name]
    if n.is_leaf:
        lines.append(f"{n.op}" + (f" ({n.param})" if n.param else ""))
    else:
        lines.append(n.formula if not short or len(n.formula) <= 26 else n.op)
    assert n.value is not None  # every node of a built graph has a value
    # the lecture's small graphs hold a few numbers: show them; larger arrays by shape/norm
    lines.append("value " + (_few(n.value) if n.value.size <= 2 else f"{tuple(n.value.shape)}"))
    if n.grad is not None:
        g = np.asarray(n.grad)
        lines.append("∂L/∂· " + (_few(g) if g.size <= 2 else f"‖·‖={np.linalg.norm(g):.3g}"))
    return lines


def _few(a: NDArray[np.float64]) -> str:
    flat = np.ravel(a)
    if flat.size == 1:
        return f"= {float(flat[0]):.4g}"
    return "= [" + ", ".join(f"{float(v):.3g}" for v in flat) + "]"


def _style(n: Node) -> tuple[str, str]:
    if n.op == "param":
        return "ellipse", "#fde2b8"
    if n.op in ("input", "target"):
        return "ellipse", "#d6e4f5"
    if n.op in ("loss", "total"):
        return "doubleoctagon", "#f4c7c3"
    if n.op in ("penalty", "sqsum", "abssum"):
        return "box", "#e3d7f2"
    return "box", "#dcefd9"


def _esc(s: object) -> str:
    return str(s).replace("\\", "\\\\").replace('"', '\\"')
