"""What the page draws, computed from the model in one forward trace per update.

One `forward_trace` over [boundary grid; training points; grid lines] gives
the decision boundary (P(class 1) on a G×G grid), every hidden unit's output
over the input plane (TensorFlow Playground's neuron thumbnails, every
THUMB_STEP-th grid point), and for 2-unit hidden layers the training points
and the input plane's grid lines in feature space. Images travel as bytes
(0..255, base64): the boundary as p·255, a unit's output v as (v/s + 1)·127.5
with s = 1 for tanh/sigmoid (saturation stays visible) and s = max|v| else.
"""
from __future__ import annotations

import base64
from typing import Any, Dict, List, Tuple

import numpy as np

GRID = 60                # boundary heat map: GRID × GRID points
THUMB_STEP = 3           # neuron thumbnails: every 3rd grid point → 20 × 20
LINES = 11               # feature space: 11 grid lines per direction ...
LINE_POINTS = 40         # ... of 40 points each
BOUNDED = {"tanh", "sigmoid"}


def _b64(q: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(q, dtype=np.uint8).tobytes()).decode("ascii")


class Views:
    """The fixed sample points of one data set's view box and the layer bookkeeping."""

    def __init__(self, model: Any, box: Tuple[float, float, float, float], X_train: np.ndarray):
        self.model = model
        self.box = box
        x0, x1, y0, y1 = box
        xs = np.linspace(x0, x1, GRID)
        ys = np.linspace(y1, y0, GRID)          # row 0 is the top of the picture
        gx, gy = np.meshgrid(xs, ys)
        grid = np.c_[gx.ravel(), gy.ravel()]
        t = np.linspace(0.0, 1.0, LINE_POINTS)
        lines = []
        for u in np.linspace(0.0, 1.0, LINES):
            lines.append(np.c_[x0 + u * (x1 - x0) + 0 * t, y0 + t * (y1 - y0)])   # vertical
            lines.append(np.c_[x0 + t * (x1 - x0), y0 + u * (y1 - y0) + 0 * t])   # horizontal
        self.n_grid, self.n_train = grid.shape[0], X_train.shape[0]
        self.points = np.concatenate([grid, X_train, np.concatenate(lines)])
        self.thumb = np.zeros((GRID, GRID), dtype=bool)
        self.thumb[::THUMB_STEP, ::THUMB_STEP] = True
        self.thumb_side = len(range(0, GRID, THUMB_STEP))
        # Which trace entry is the output of each hidden layer, and its activation kind.
        self.hidden: List[Tuple[int, str]] = []
        layers = model.layers
        self.widths = [l.out_features for l in layers[:-2] if l.kind in ("dense", "maxout")]
        for i, layer in enumerate(layers[:-2]):
            if layer.kind == "maxout":
                self.hidden.append((i, "maxout"))
            elif layer.kind == "dense":
                nxt = layers[i + 1]
                if nxt.kind == "dense" or nxt.kind == "maxout":
                    self.hidden.append((i, "linear"))
                else:
                    self.hidden.append((i + 1, nxt.kind))

    def compute(self) -> Dict[str, Any]:
        with np.errstate(over="ignore", invalid="ignore"):   # a diverged run: see _compute
            return self._compute()

    def _compute(self) -> Dict[str, Any]:
        # Huge (finite) weights of a diverging run can overflow the forward pass: inf and
        # NaN become the largest finite values and 0, so the pictures stay drawable.
        trace = [np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.0, posinf=1e300,
                               neginf=-1e300) for t in self.model.forward_trace(self.points)]
        g, n = self.n_grid, self.n_train
        out = trace[-1]
        p1 = np.clip(out[:g, 0] if out.shape[1] == 1 else out[:g, 1], 0.0, 1.0)
        boundary = np.clip(np.rint(p1 * 255), 0, 255)
        neurons, features = [], []
        for layer_no, (idx, kind) in enumerate(self.hidden):
            h = np.asarray(trace[idx], dtype=np.float64)
            hg = h[:g][self.thumb.ravel()]
            if kind in BOUNDED:
                scale = np.ones(h.shape[1])
            else:
                scale = np.clip(np.abs(hg).max(axis=0), 1e-12, 1e300)
            q = np.clip(np.rint((hg / scale + 1) * 127.5), 0, 255).T   # (units, side²)
            neurons.append({"scale": np.round(scale, 6).tolist(), "images": _b64(q)})
            if h.shape[1] == 2:
                features.append({"layer": layer_no,
                                 "points": np.round(h[g:g + n], 5).tolist(),
                                 "lines": np.round(h[g + n:], 5).reshape(
                                     2 * LINES, LINE_POINTS, 2).tolist()})
        return {"boundary": _b64(boundary), "neurons": neurons, "features": features,
                "weights": self.weights(), "widths": [2, *self.widths, 1]}

    def weights(self) -> List[Dict[str, Any]]:
        """Per Dense/Maxout layer: W (in × out; a Maxout's k pieces averaged) and b."""
        params = self.model.named_parameters()
        out = []
        for i, layer in enumerate(self.model.layers):
            if layer.kind in ("dense", "maxout"):
                W = np.asarray(params[f"{i}.W"], dtype=np.float64)
                b = np.asarray(params[f"{i}.b"], dtype=np.float64)
                if layer.kind == "maxout":
                    W, b = W.mean(axis=0), b.mean(axis=0)
                out.append({"W": np.round(W, 5).tolist(), "b": np.round(b, 5).tolist()})
        return out

    def meta(self) -> Dict[str, Any]:
        return {"box": list(self.box), "grid": GRID, "thumb": self.thumb_side,
                "hidden_kinds": [k for _, k in self.hidden]}
