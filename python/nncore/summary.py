"""`model.summary()`: the per-layer table Keras users expect, as text and as HTML.

    layer  type              output  parameters  bytes
    0      Dense(2, 10)      10      30          240
    ...
    total                            41          328   (float64)

Tools floor: reads a model's public face (layers, layout, dtype) only.
"""
from __future__ import annotations

import html
from typing import Any

import numpy as np


def rows(model: Any) -> list[tuple[int, str, int, int]]:
    """(index, layer repr, output width, parameters) per layer."""
    per_layer = [0] * len(model.layers)
    for slot in model.layout:
        per_layer[slot.layer] += slot.size
    return [(i, repr(layer), int(layer.out_features), per_layer[i])
            for i, layer in enumerate(model.layers)]


def text(model: Any) -> str:
    """The table as plain text (what `model.summary()` prints)."""
    itemsize = np.dtype(model.dtype).itemsize
    table = [("layer", "type", "output", "parameters", "bytes")]
    table += [(str(i), r, str(w), f"{p:,}", f"{p * itemsize:,}") for i, r, w, p in rows(model)]
    total = model.num_parameters
    table.append(("total", "", "", f"{total:,}", f"{total * itemsize:,}"))
    widths = [max(len(r[c]) for r in table) for c in range(5)]
    right = (False, False, True, True, True)
    lines = ["  ".join(cell.rjust(w) if r else cell.ljust(w)
                       for cell, w, r in zip(row, widths, right)).rstrip() for row in table]
    rule = "-" * len(lines[0])
    head = (f"{type(model).__name__}: {model.n_features} inputs → {model.n_outputs} outputs, "
            f"{np.dtype(model.dtype).name}")
    return "\n".join([head, rule, lines[0], rule, *lines[1:-1], rule, lines[-1]])


def to_html(model: Any) -> str:
    """The table as an HTML fragment (notebooks show it for a model)."""
    itemsize = np.dtype(model.dtype).itemsize
    cells = "".join(
        f"<tr><td>{i}</td><td><code>{html.escape(r)}</code></td><td>{w}</td>"
        f"<td>{p:,}</td><td>{p * itemsize:,}</td></tr>" for i, r, w, p in rows(model))
    total = model.num_parameters
    return (f"<table><caption>{html.escape(type(model).__name__)}: {model.n_features} inputs "
            f"→ {model.n_outputs} outputs, {np.dtype(model.dtype).name}</caption>"
            "<thead><tr><th>layer</th><th>type</th><th>output</th><th>parameters</th>"
            f"<th>bytes</th></tr></thead><tbody>{cells}</tbody><tfoot><tr><th>total</th>"
            f"<th></th><th></th><th>{total:,}</th><th>{total * itemsize:,}</th></tr></tfoot>"
            "</table>")
