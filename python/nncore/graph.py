"""The computational graph of the lecture ("Backpropagation aus computational graph").

    g = model.graph(X, y, loss="bce", l2=1e-3)   # forward pass, node by node
    g.backward()                                 # the chain rule, node by node
    print(g.table())                             # name, op, value shape, gradient
    print("\\n".join(g.chain_rule()))
    open("net.dot", "w").write(g.to_dot())       # Graphviz DOT text (always)
    g.render("net.png")                          # needs Graphviz; else GraphvizUnavailable
    g.draw("net.png")                            # the same picture with matplotlib

A graph is a list of nodes in topological order. Leaves are the data (`x`,
the targets `c`) and the parameters (`W1`, `b1`, ...); every other node is one
operation: matmul, bias add, an activation, the loss, the penalty terms and
their sum L = J + λ·penalty. `forward()` computes every node's value from its
inputs; `backward()` sets ∂L/∂node for every node, from the output back
(lecture: ∇ₓz = (∂y/∂x)ᵀ ∇_y z, summed over all the node's consumers).

Built from a real model (`build_graph`, `model.graph`), the graph computes in
float64 NumPy from the model's current parameters; `compare_with_model()`
checks that its loss and parameter gradients are the model's own
(`model.loss_and_grad`, the C++ core), and `check()` compares every gradient
with central differences.
"""
from __future__ import annotations

import shutil
import subprocess

import numpy as np

__all__ = ["Graph", "Node", "build_graph", "GraphvizUnavailable"]


class GraphvizUnavailable(RuntimeError):
    """Rendering a DOT graph needs the Graphviz program `dot`."""


class Node:
    """One node: a leaf (input, target, parameter) or an operation on other nodes.

    name      -- short name as in the lecture's drawings ("a1", "h1", "J", "L")
    op        -- "input", "target", "param", "matmul", "add_bias", "sigmoid", ...
    inputs    -- the nodes this one is computed from
    formula   -- the forward rule as text ("a1 = m1 + b1")
    rules     -- per input, the local chain-rule factor as text ("∂L/∂m1 = ∂L/∂a1")
    value     -- forward value (ndarray; shape () for scalars)
    grad      -- ∂L/∂node after backward() (None before, or if not needed)
    param     -- the model's parameter name for parameter leaves ("0.W")
    """

    def __init__(self, name, op, inputs=(), forward=None, backward=None, formula="",
                 rules=(), value=None, param=None, requires_grad=True):
        self.name = name
        self.op = op
        self.inputs = list(inputs)
        self._forward = forward
        self._backward = backward
        self.formula = formula or name
        self.rules = list(rules)
        self.value = None if value is None else np.asarray(value, dtype=np.float64)
        self.grad = None
        self.param = param
        self.requires_grad = requires_grad
        self.fused_input_grad = None  # bce/ce: ∂L/∂logits handed past the final Sigmoid/Softmax

    @property
    def is_leaf(self):
        return self._forward is None

    @property
    def shape(self):
        return None if self.value is None else tuple(self.value.shape)

    def __repr__(self):
        g = "" if self.grad is None else f", grad {tuple(np.shape(self.grad))}"
        return f"Node({self.name!r}, {self.op}, value {self.shape}{g})"


class Graph:
    """Nodes in topological order; the last node added is the output (a scalar loss)."""

    def __init__(self, title=""):
        self.title = title
        self.nodes = []
        self._names = set()

    # -- building ---------------------------------------------------------------------
    def _unique(self, name):
        if name in self._names:
            raise ValueError(f"Graph: a node named {name!r} already exists")
        self._names.add(name)
        return name

    def leaf(self, name, value, op="input", param=None, requires_grad=True):
        """A leaf: data ("input", "target") or a parameter ("param")."""
        node = Node(self._unique(name), op, value=value, param=param,
                    requires_grad=requires_grad and op != "target")
        self.nodes.append(node)
        return node

    def op(self, name, op, inputs, forward, backward, formula="", rules=()):
        """An operation node; `forward(*values) -> value`, `backward(g, out, *values)`
        returns ∂L/∂input for every input (None where not needed)."""
        node = Node(self._unique(name), op, inputs, forward, backward, formula, rules)
        node.value = np.asarray(forward(*[i.value for i in inputs]), dtype=np.float64)
        self.nodes.append(node)
        return node

    @property
    def output(self):
        return self.nodes[-1]

    def __getitem__(self, name):
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"Graph has no node named {name!r}; nodes: {[n.name for n in self.nodes]}")

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self):
        return len(self.nodes)

    def consumers(self, node):
        return [n for n in self.nodes if any(i is node for i in n.inputs)]

    # -- computing --------------------------------------------------------------------
    def forward(self):
        """Recompute every operation's value from the leaves; returns the output value."""
        for node in self.nodes:
            if not node.is_leaf:
                node.value = np.asarray(node._forward(*[i.value for i in node.inputs]),
                                        dtype=np.float64)
        return float(self.output.value) if self.output.value.ndim == 0 else self.output.value

    def backward(self):
        """∂L/∂node for every node, by the chain rule from the output back.

        Each node adds its contribution (∂consumer/∂node)ᵀ·∂L/∂consumer to the
        gradient of each of its inputs. Returns {param name: gradient} for the
        parameter leaves that come from a model, else {leaf name: gradient}.
        """
        out = self.output
        if out.value.ndim != 0:
            raise ValueError(f"Graph.backward: the output {out.name!r} must be a scalar, "
                             f"got shape {out.shape}")
        for node in self.nodes:
            node.grad = None
            node.fused_input_grad = None
        out.grad = np.ones(())
        for node in reversed(self.nodes):
            if node.is_leaf or node.grad is None:
                continue
            if node.fused_input_grad is not None:  # Sigmoid/Softmax right before bce/ce
                grads = [node.fused_input_grad]
            else:
                grads = node._backward(node.grad, node.value, *[i.value for i in node.inputs])
            for inp, g in zip(node.inputs, grads):
                if g is None or not inp.requires_grad:
                    continue
                g = np.asarray(g, dtype=np.float64)
                inp.grad = g.copy() if inp.grad is None else inp.grad + g
        return self.gradients()

    def gradients(self):
        """{model parameter name or leaf name: ∂L/∂leaf} after backward()."""
        return {(n.param or n.name): n.grad for n in self.nodes
                if n.is_leaf and n.requires_grad and n.grad is not None}

    def numeric_gradients(self, eps=1e-6):
        """Central differences (L(θ + εe_i) − L(θ − εe_i)) / 2ε for every differentiable leaf."""
        out = {}
        for node in self.nodes:
            if not (node.is_leaf and node.requires_grad):
                continue
            flat = node.value.reshape(-1)  # a view: perturb in place
            num = np.zeros(flat.size)
            for i in range(flat.size):
                old = flat[i]
                flat[i] = old + eps
                up = float(self.forward())
                flat[i] = old - eps
                down = float(self.forward())
                flat[i] = old
                num[i] = (up - down) / (2 * eps)
            out[node.param or node.name] = num.reshape(node.value.shape)
        self.forward()
        return out

    def check(self, eps=1e-6, floor=1e-7):
        """Max relative error |g − ĝ| / max(|g|, |ĝ|, floor) per leaf, ĝ by central differences
        (the measure of `nncore.check_gradients`)."""
        analytic = self.backward()
        numeric = self.numeric_gradients(eps)
        errors = {}
        for name, g in analytic.items():
            n = numeric[name]
            err = np.abs(g - n) / np.maximum(np.maximum(np.abs(g), np.abs(n)), floor)
            errors[name] = float(err.max()) if err.size else 0.0
        return errors

    # -- showing ----------------------------------------------------------------------
    def chain_rule(self):
        """The chain rule per node, output first: the gradient arriving at each node and
        how it is passed on to the node's inputs (with shapes and, after backward, norms)."""
        lines = []
        for node in reversed(self.nodes):
            if node.is_leaf:
                continue
            head = f"{node.name}: {node.formula}"
            if node.grad is not None:
                head += f"   ∂L/∂{node.name} {_describe(node.grad)}"
            lines.append(head)
            for inp, rule in zip(node.inputs, node.rules):
                if not rule or not inp.requires_grad:
                    continue
                lines.append(f"    → {rule}")
        return lines

    def table(self):
        """A text table: node, operation, value shape, gradient shape and size."""
        rows = [("node", "op", "formula", "value", "∂L/∂node")]
        for n in self.nodes:
            val = _describe(n.value)
            grad = "-" if n.grad is None else _describe(n.grad)
            rows.append((n.name, n.op, n.formula, val, grad))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        fmt = "  ".join("{:<%d}" % w for w in widths)
        lines = [fmt.format(*r) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def to_dot(self):
        """Graphviz DOT text: leaves as ellipses, operations as boxes, the loss as a
        double octagon; each label shows the formula, the value's shape and, after
        backward(), the gradient."""
        lines = [f'digraph "{_esc(self.title or "graph")}" {{', "  rankdir=LR;",
                 '  node [fontname="Helvetica", fontsize=11];',
                 '  edge [color="#555555"];']
        if self.title:
            lines.append(f'  labelloc="t"; label="{_esc(self.title)}";')
        ids = {id(n): f"n{i}" for i, n in enumerate(self.nodes)}
        for n in self.nodes:
            shape, color = _style(n)
            label = "\\n".join(_esc(s) for s in _label_lines(n))
            lines.append(f'  {ids[id(n)]} [label="{label}", shape={shape}, style=filled, '
                         f'fillcolor="{color}"];')
        for n in self.nodes:
            for i in n.inputs:
                lines.append(f"  {ids[id(i)]} -> {ids[id(n)]};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def render(self, path, format=None):
        """Render to PNG/SVG/PDF (from the file extension, or `format`) with Graphviz.

        Uses the Python package `graphviz` if installed, else the `dot` program.
        Raises GraphvizUnavailable with instructions when neither works
        (`to_dot()` and `draw()` always work).
        """
        path = str(path)
        fmt = format or (path.rsplit(".", 1)[-1].lower() if "." in path else "png")
        dot = self.to_dot()
        data = None
        problems = []
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

    def draw(self, path=None, ax=None):
        """Draw the graph with matplotlib (no Graphviz needed), left to right in
        columns by depth. Saves to `path` if given; returns the figure."""
        from matplotlib.patches import FancyBboxPatch

        pos = self._layout()
        ncols = max(c for c, _ in pos.values()) + 1
        col_sizes = {}
        for c, _ in pos.values():
            col_sizes[c] = col_sizes.get(c, 0) + 1
        nrows = max(col_sizes.values())
        own = ax is None
        size = (max(6.0, 2.3 * ncols), max(3.0, 1.25 * nrows + 1))
        if own and path is not None:  # no pyplot: leaves the user's backend alone
            from matplotlib.figure import Figure
            fig = Figure(figsize=size)
            ax = fig.add_subplot()
        elif own:
            import matplotlib.pyplot as plt
            fig, ax = plt.subplots(figsize=size)
        else:
            fig = ax.figure
        xy = {}
        for n in self.nodes:
            c, r = pos[id(n)]
            k = col_sizes[c]
            xy[id(n)] = (c * 2.3, ((k - 1) / 2 - r) * 1.25)
        w, h = 1.95, 0.95
        for n in self.nodes:
            for i in n.inputs:
                (x0, y0), (x1, y1) = xy[id(i)], xy[id(n)]
                side = n.op in _PENALTY_OPS
                ax.annotate("", xy=(x1 - w / 2, y1), xytext=(x0 + w / 2, y0), zorder=0.5,
                            arrowprops=dict(arrowstyle="-|>", lw=1.0, shrinkA=0, shrinkB=0,
                                            color="#9a7fc0" if side else "#666666",
                                            linestyle="--" if side else "-",
                                            connectionstyle="arc3,rad=0.12" if side
                                            else "arc3,rad=0"))
        for n in self.nodes:
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
        if self.title:
            ax.set_title(self.title, fontsize=11)
        if own and path is not None:
            fig.savefig(path, dpi=110, bbox_inches="tight")
        return fig

    def _layout(self):
        """(column, row) per node: operations one column right of their deepest input;
        leaves and the penalty branch one column left of their first consumer; the
        penalty branch below the main chain."""
        depth = {}
        for n in self.nodes:
            if not n.is_leaf:
                depth[id(n)] = 1 + max((depth.get(id(i), 0) for i in n.inputs), default=0)
        side = [n for n in self.nodes if n.is_leaf or n.op in _PENALTY_OPS]
        for n in reversed(side):
            cons = [depth[id(c)] for c in self.consumers(n)]
            depth[id(n)] = max(0, min(cons) - 1) if cons else depth.get(id(n), 0)
        order = sorted(self.nodes, key=lambda n: (n.op in _PENALTY_OPS, self.nodes.index(n)))
        rows, pos = {}, {}
        for n in order:
            c = depth[id(n)]
            pos[id(n)] = (c, rows.get(c, 0))
            rows[c] = rows.get(c, 0) + 1
        return pos


_PENALTY_OPS = ("sqsum", "abssum", "penalty")


# -- formatting helpers -----------------------------------------------------------------

def _describe(a):
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{float(a):.6g}"
    return f"{tuple(a.shape)} ‖·‖={np.linalg.norm(a):.4g}"


def _label_lines(n, short=False):
    lines = [n.name]
    if n.is_leaf:
        lines.append(f"{n.op}" + (f" ({n.param})" if n.param else ""))
    else:
        lines.append(n.formula if not short or len(n.formula) <= 26 else n.op)
    lines.append("value " + (f"= {float(n.value):.4g}" if n.value.ndim == 0
                             else f"{tuple(n.value.shape)}"))
    if n.grad is not None:
        g = np.asarray(n.grad)
        lines.append("∂L/∂· " + (f"= {float(g):.4g}" if g.ndim == 0
                                 else f"‖·‖={np.linalg.norm(g):.3g}"))
    return lines


def _style(n):
    if n.op == "param":
        return "ellipse", "#fde2b8"
    if n.op in ("input", "target"):
        return "ellipse", "#d6e4f5"
    if n.op in ("loss", "total"):
        return "doubleoctagon", "#f4c7c3"
    if n.op in ("penalty", "sqsum", "abssum"):
        return "box", "#e3d7f2"
    return "box", "#dcefd9"


def _esc(s):
    return str(s).replace("\\", "\\\\").replace('"', '\\"')


# -- the operations -----------------------------------------------------------------------

def _sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def _softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _activation(kind, layer):
    """(forward(a), backward(g, h, a), text of h, text of h') with "{a}" for the input."""
    if kind == "identity":
        return (lambda a: a), (lambda g, h, a: [g]), "{a}", "1"
    if kind == "sigmoid":
        return _sigmoid, (lambda g, h, a: [g * h * (1 - h)]), "σ({a})", "σ({a})(1 − σ({a}))"
    if kind == "tanh":
        return np.tanh, (lambda g, h, a: [g * (1 - h * h)]), "tanh({a})", "(1 − tanh²({a}))"
    if kind == "relu":
        return ((lambda a: np.maximum(a, 0)), (lambda g, h, a: [np.where(a > 0, g, 0.0)]),
                "max(0, {a})", "[{a} > 0]")
    if kind == "leaky_relu":
        s = layer.slope
        return ((lambda a: np.where(a > 0, a, s * a)),
                (lambda g, h, a: [np.where(a > 0, g, s * g)]),
                f"max({s:g}·{{a}}, {{a}})", f"(1 if {{a}} > 0 else {s:g})")
    if kind == "elu":
        al = layer.alpha
        return ((lambda a: np.where(a > 0, a, al * np.expm1(np.minimum(a, 0)))),
                (lambda g, h, a: [np.where(a > 0, g, g * al * np.exp(np.minimum(a, 0)))]),
                f"ELU({{a}}; α={al:g})", "(1 if {a} > 0 else α·exp({a}))")
    if kind == "step":
        def no_grad(g, h, a):
            raise ValueError("Graph.backward: Step has no gradient (its derivative is 0 or "
                             "undefined); use Sigmoid or Tanh to train")
        return (lambda a: (a > 0).astype(np.float64)), no_grad, "step({a})", "(no gradient)"
    if kind == "softmax":
        def back(g, h, a):
            return [h * (g - (g * h).sum(axis=1, keepdims=True))]
        return _softmax, back, "softmax({a})", ""
    raise ValueError(f"Graph: no graph operation for layer kind {kind!r}")


def build_graph(model, X, y, loss="mse", l1=0.0, l2=0.0):
    """The computational graph of `model` on (X, y): what `model.graph(...)` returns.

    Nodes, for Dense layer k (counting Dense/Maxout layers from 1):
        mk = h(k−1)·Wk      (matmul; h0 = x)
        ak = mk + bk        (bias add)
        hk = σ(ak)          (the activation that follows, if any)
    then J = loss(ŷ, c), and with a penalty: sqk = Σ Wk² (l2), absk = Σ |Wk| (l1),
    P = λ₂·Σ sq + λ₁·Σ abs, and L = J + P. Values are computed on the spot;
    call `backward()` for the gradients.
    """
    fn = "graph"
    Xc, Y, labels, loss, l1, l2 = model._check_targets(X, y, loss, l1, l2, fn)
    params = {k: np.asarray(v, dtype=np.float64) for k, v in model.state_dict().items()}
    if labels is not None:
        Y = np.zeros((labels.shape[0], model.n_outputs))
        Y[np.arange(labels.shape[0]), labels] = 1.0
    g = Graph(title=f"{type(model).__name__}: {' → '.join(repr(l) for l in model.layers)}, "
                    f"loss={loss}" + (f", l1={l1:g}" if l1 else "") + (f", l2={l2:g}" if l2 else ""))
    h = g.leaf("x", Xc.astype(np.float64), op="input", requires_grad=False)
    g.model = model
    g.loss_name, g.l1, g.l2 = loss, l1, l2
    weights = []
    k = 0
    layers = model.layers
    for i, layer in enumerate(layers):
        if layer.kind == "dense":
            k += 1
            W = g.leaf(f"W{k}", params[f"{i}.W"], op="param", param=f"{i}.W")
            b = g.leaf(f"b{k}", params[f"{i}.b"], op="param", param=f"{i}.b")
            weights.append(W)
            m = g.op(f"m{k}", "matmul", [h, W], lambda x, w: x @ w,
                     lambda gr, out, x, w: [gr @ w.T, x.T @ gr],
                     formula=f"m{k} = {h.name}·W{k}",
                     rules=[f"∂L/∂{h.name} = ∂L/∂m{k} · W{k}ᵀ",
                            f"∂L/∂W{k} = {h.name}ᵀ · ∂L/∂m{k}   (outer products summed over rows)"])
            h = g.op(f"a{k}", "add_bias", [m, b], lambda mm, bb: mm + bb,
                     lambda gr, out, mm, bb: [gr, gr.sum(axis=0)],
                     formula=f"a{k} = m{k} + b{k}",
                     rules=[f"∂L/∂m{k} = ∂L/∂a{k}", f"∂L/∂b{k} = Σ_rows ∂L/∂a{k}"])
        elif layer.kind == "maxout":
            k += 1
            W = g.leaf(f"W{k}", params[f"{i}.W"], op="param", param=f"{i}.W")
            b = g.leaf(f"b{k}", params[f"{i}.b"], op="param", param=f"{i}.b")
            weights.append(W)

            def mo_fwd(x, w, bb):
                pieces = np.stack([x @ w[j] + bb[j] for j in range(w.shape[0])])
                return pieces.max(axis=0)

            def mo_bwd(gr, out, x, w, bb):
                pieces = np.stack([x @ w[j] + bb[j] for j in range(w.shape[0])])
                win = np.argmax(pieces, axis=0)
                gx, gw, gb = np.zeros_like(x), np.zeros_like(w), np.zeros_like(bb)
                for j in range(w.shape[0]):
                    dj = np.where(win == j, gr, 0.0)
                    gw[j] = x.T @ dj
                    gb[j] = dj.sum(axis=0)
                    gx += dj @ w[j].T
                return [gx, gw, gb]
            h = g.op(f"h{k}", "maxout", [h, W, b], mo_fwd, mo_bwd,
                     formula=f"h{k} = max_j ({h.name}·W{k}[j] + b{k}[j])",
                     rules=[f"∂L/∂{h.name} = Σ_j [j wins] ∂L/∂h{k} · W{k}[j]ᵀ",
                            f"∂L/∂W{k}[j] = {h.name}ᵀ · ([j wins] ∂L/∂h{k})",
                            f"∂L/∂b{k}[j] = Σ_rows [j wins] ∂L/∂h{k}"])
        else:
            last = i == len(layers) - 1
            name = "y_hat" if last else f"h{k}"
            while name in g._names:  # an activation after an activation (or Maxout)
                name += "'"
            if layer.kind == "prelu":
                alpha = g.leaf(f"alpha{k}", params[f"{i}.alpha"], op="param", param=f"{i}.alpha")
                shared = layer.num_parameters == 1

                def pr_fwd(a, al):
                    return np.where(a > 0, a, al * a)

                def pr_bwd(gr, out, a, al, shared=shared):
                    per_unit = (gr * np.minimum(a, 0)).sum(axis=0)
                    ga = per_unit.sum(keepdims=True) if shared else per_unit
                    return [np.where(a > 0, gr, al * gr), ga]
                h = g.op(name, "prelu", [h, alpha], pr_fwd, pr_bwd,
                         formula=f"{name} = max(α·{h.name}, {h.name})",
                         rules=[f"∂L/∂{h.name} = ∂L/∂{name} ⊙ (1 if a > 0 else α)",
                                f"∂L/∂alpha{k} = Σ ∂L/∂{name} ⊙ min({h.name}, 0)"])
            else:
                fwd, bwd, text, dtext = _activation(layer.kind, layer)
                src = h.name
                h = g.op(name, layer.kind, [h], lambda a, f=fwd: f(a),
                         lambda gr, out, a, b=bwd: b(gr, out, a),
                         formula=f"{name} = " + text.format(a=src),
                         rules=[f"∂L/∂{src} = ∂L/∂{name} ⊙ " + dtext.format(a=src)
                                if layer.kind != "softmax" else
                                f"∂L/∂{src} = (diag({name}) − {name}{name}ᵀ) ∂L/∂{name} per row"])
    out = h
    c = g.leaf("c", Y.astype(np.float64), op="target", requires_grad=False)
    J = _loss_node(g, loss, out, c)
    if weights and (l1 or l2):
        terms, coefs = [], []
        for W in weights:
            kk = W.name[1:]
            if l2:
                terms.append(g.op(f"sq{kk}", "sqsum", [W], lambda w: np.sum(w * w),
                                  lambda gr, out, w: [2 * gr * w],
                                  formula=f"sq{kk} = Σ W{kk}²",
                                  rules=[f"∂L/∂W{kk} += ∂L/∂sq{kk} · 2W{kk}"]))
                coefs.append(l2)
            if l1:
                terms.append(g.op(f"abs{kk}", "abssum", [W], lambda w: np.sum(np.abs(w)),
                                  lambda gr, out, w: [gr * np.sign(w)],
                                  formula=f"abs{kk} = Σ |W{kk}|",
                                  rules=[f"∂L/∂W{kk} += ∂L/∂abs{kk} · sign(W{kk})"]))
                coefs.append(l1)
        cf = np.array(coefs)
        parts = " + ".join(f"{cc:g}·{t.name}" for cc, t in zip(coefs, terms))
        P = g.op("P", "penalty", terms, lambda *u, cf=cf: float(np.dot(cf, u)),
                 lambda gr, out, *u, cf=cf: [gr * cc for cc in cf],
                 formula=f"P = {parts}",
                 rules=[f"∂L/∂{t.name} = ∂L/∂P · {cc:g}" for cc, t in zip(coefs, terms)])
        g.op("L", "total", [J, P], lambda j, p: j + p, lambda gr, out, j, p: [gr, gr],
             formula="L = J + P", rules=["∂L/∂J = 1", "∂L/∂P = 1"])
    return g


def _loss_node(g, loss, out, c):
    node = _loss_node_y(g, loss, out, c)
    node.formula = node.formula.replace("y_hat", out.name)
    node.rules = [r.replace("y_hat", out.name) for r in node.rules]
    return node


def _loss_node_y(g, loss, out, c):
    n = out.value.shape[0]
    if loss == "mse":
        return g.op("J", "loss", [out, c], lambda h, cc: np.sum((h - cc) ** 2) / (2 * n),
                    lambda gr, v, h, cc: [gr * (h - cc) / n, None],
                    formula="J = 1/(2m) Σ (y_hat − c)²", rules=["∂L/∂y_hat = ∂L/∂J · (y_hat − c)/m"])
    if loss == "mse_mean":
        size = out.value.size
        return g.op("J", "loss", [out, c], lambda h, cc: np.sum((h - cc) ** 2) / size,
                    lambda gr, v, h, cc: [gr * 2 * (h - cc) / size, None],
                    formula="J = mean (y_hat − c)²", rules=["∂L/∂y_hat = ∂L/∂J · 2(y_hat − c)/(m·out)"])
    # bce / ce: computed from the logits z (the input of the final Sigmoid/Softmax), as the
    # model does; the gradient skips σ'/softmax' with ∂J/∂z = (y_hat − c)/m (fused_input_grad).
    logits = out.inputs[0]
    if loss == "bce":
        size = out.value.size

        def fwd(h, cc):
            z = logits.value
            return np.sum(np.maximum(z, 0) - cc * z + np.log1p(np.exp(-np.abs(z)))) / size

        def bwd(gr, v, h, cc):
            out.fused_input_grad = gr * (h - cc) / size
            with np.errstate(divide="ignore", invalid="ignore"):
                return [gr * (h - cc) / (h * (1 - h) * size), None]
        return g.op("J", "loss", [out, c], fwd, bwd,
                    formula="J = −mean[c log y_hat + (1 − c) log(1 − y_hat)]",
                    rules=["∂L/∂y_hat = ∂L/∂J · (y_hat − c)/(y_hat(1 − y_hat)·m);  through σ: ∂L/∂z = (y_hat − c)/m"])

    def fwd(h, cc):
        z = logits.value
        zmax = z.max(axis=1, keepdims=True)
        lse = zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True))
        return np.sum(cc * (lse - z)) / n

    def bwd(gr, v, h, cc):
        out.fused_input_grad = gr * (h * cc.sum(axis=1, keepdims=True) - cc) / n
        with np.errstate(divide="ignore", invalid="ignore"):
            return [np.where(cc != 0, -gr * cc / (h * n), 0.0), None]
    return g.op("J", "loss", [out, c], fwd, bwd, formula="J = −1/m Σ c log y_hat",
                rules=["∂L/∂y_hat = −∂L/∂J · c/(y_hat·m);  through softmax: ∂L/∂z = (y_hat − c)/m"])


def compare_with_model(graph, model=None):
    """Max |difference| between the graph's loss/gradients and the model's own
    `loss_and_grad` (the C++ core for `nncore.Sequential`)."""
    model = model or getattr(graph, "model", None)
    if model is None:
        raise ValueError("compare_with_model: this graph was not built from a model "
                         "(use model.graph(X, y, ...))")
    grads = graph.backward()
    X = graph["x"].value
    c = graph["c"].value
    value, mgrads = model.loss_and_grad(X, c, loss=graph.loss_name, l1=graph.l1, l2=graph.l2)
    out = {"loss": abs(float(graph.output.value) - value)}
    for name, gm in mgrads.items():
        out[name] = float(np.max(np.abs(grads[name] - gm)))
    return out


Graph.compare_with_model = compare_with_model
