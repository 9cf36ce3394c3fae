"""The computational graph engine: nodes, forward, backward by the chain rule.

A graph is a list of nodes in topological order. Leaves are the data and the
parameters; every other node is one operation with a forward rule and, per
input, the local chain-rule factor. `forward()` computes every value from the
inputs; `backward()` sets ∂L/∂node for every node from the output back
(lecture: ∇ₓz = (∂y/∂x)ᵀ ∇_y z, summed over all the node's consumers).
"""
from __future__ import annotations

import os
from typing import (TYPE_CHECKING, Callable, Iterable, Iterator, Optional, Protocol, Sequence,
                    Union)

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..checks import FloatArray
from . import drawing
from .drawing import _describe

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

Array = NDArray[np.float64]  # a graph computes in float64, whatever the model's dtype
# forward(*input values) -> value; backward(∂L/∂node, value, *input values) -> ∂L/∂input
# for every input (None where not needed).
Forward = Callable[..., ArrayLike]
Backward = Callable[..., Sequence[Optional[ArrayLike]]]


class LossModel(Protocol):
    """What compare_with_model needs: nncore.Sequential or nncore.reference.Sequential."""

    def loss_and_grad(self, X: ArrayLike, y: ArrayLike, loss: str = ..., l1: float = ...,
                      l2: float = ...) -> tuple[float, dict[str, FloatArray]]: ...


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

    def __init__(self, name: str, op: str, inputs: Iterable[Node] = (),
                 forward: Optional[Forward] = None, backward: Optional[Backward] = None,
                 formula: str = "", rules: Iterable[str] = (), value: Optional[ArrayLike] = None,
                 param: Optional[str] = None, requires_grad: bool = True) -> None:
        self.name = name
        self.op = op
        self.inputs = list(inputs)
        self._forward = forward
        self._backward = backward
        self.formula = formula or name
        self.rules = list(rules)
        self.value: Optional[Array] = (None if value is None
                                       else np.asarray(value, dtype=np.float64))
        self.grad: Optional[Array] = None
        self.param = param
        self.requires_grad = requires_grad
        # bce/ce: ∂L/∂logits handed past the final Sigmoid/Softmax
        self.fused_input_grad: Optional[Array] = None

    @property
    def is_leaf(self) -> bool:
        return self._forward is None

    @property
    def shape(self) -> Optional[tuple[int, ...]]:
        return None if self.value is None else tuple(self.value.shape)

    def __repr__(self) -> str:
        g = "" if self.grad is None else f", grad {tuple(np.shape(self.grad))}"
        return f"Node({self.name!r}, {self.op}, value {self.shape}{g})"


class Graph:
    """Nodes in topological order; the last node added is the output (a scalar loss)."""

    # Set by build_graph for a graph of a model (read by compare_with_model).
    model: LossModel
    loss_name: str
    l1: float
    l2: float

    def __init__(self, title: str = "") -> None:
        self.title = title
        self.nodes: list[Node] = []
        self._names: set[str] = set()

    # -- building ---------------------------------------------------------------------
    def _unique(self, name: str) -> str:
        if name in self._names:
            raise ValueError(f"Graph: a node named {name!r} already exists")
        self._names.add(name)
        return name

    def leaf(self, name: str, value: ArrayLike, op: str = "input", param: Optional[str] = None,
             requires_grad: bool = True) -> Node:
        """A leaf: data ("input", "target") or a parameter ("param")."""
        node = Node(self._unique(name), op, value=value, param=param,
                    requires_grad=requires_grad and op != "target")
        self.nodes.append(node)
        return node

    def op(self, name: str, op: str, inputs: Sequence[Node], forward: Forward, backward: Backward,
           formula: str = "", rules: Iterable[str] = ()) -> Node:
        """An operation node; `forward(*values) -> value`, `backward(g, out, *values)`
        returns ∂L/∂input for every input (None where not needed)."""
        node = Node(self._unique(name), op, inputs, forward, backward, formula, rules)
        node.value = np.asarray(forward(*[i.value for i in inputs]), dtype=np.float64)
        self.nodes.append(node)
        return node

    @property
    def output(self) -> Node:
        return self.nodes[-1]

    def __getitem__(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"Graph has no node named {name!r}; nodes: {[n.name for n in self.nodes]}")

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def consumers(self, node: Node) -> list[Node]:
        return [n for n in self.nodes if any(i is node for i in n.inputs)]

    # -- computing --------------------------------------------------------------------
    def forward(self) -> Union[float, Array]:
        """Recompute every operation's value from the leaves; returns the output value."""
        for node in self.nodes:
            if node._forward is not None:  # not a leaf
                node.value = np.asarray(node._forward(*[i.value for i in node.inputs]),
                                        dtype=np.float64)
        assert self.output.value is not None  # every node of a built graph has a value
        return float(self.output.value) if self.output.value.ndim == 0 else self.output.value

    def backward(self) -> dict[str, Array]:
        """∂L/∂node for every node, by the chain rule from the output back.

        Each node adds its contribution (∂consumer/∂node)ᵀ·∂L/∂consumer to the
        gradient of each of its inputs. Returns {param name: gradient} for the
        parameter leaves that come from a model, else {leaf name: gradient}.
        """
        out = self.output
        assert out.value is not None  # every node of a built graph has a value
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
            grads: Sequence[Optional[ArrayLike]]
            if node.fused_input_grad is not None:  # Sigmoid/Softmax right before bce/ce
                grads = [node.fused_input_grad]
            else:
                assert node._backward is not None  # Graph.op gives every operation its rule
                grads = node._backward(node.grad, node.value, *[i.value for i in node.inputs])
            for inp, g in zip(node.inputs, grads):
                if g is None or not inp.requires_grad:
                    continue
                g = np.asarray(g, dtype=np.float64)
                inp.grad = g.copy() if inp.grad is None else inp.grad + g
        return self.gradients()

    def gradients(self) -> dict[str, Array]:
        """{model parameter name or leaf name: ∂L/∂leaf} after backward()."""
        return {(n.param or n.name): n.grad for n in self.nodes
                if n.is_leaf and n.requires_grad and n.grad is not None}

    def numeric_gradients(self, eps: float = 1e-6) -> dict[str, Array]:
        """Central differences (L(θ + εe_i) − L(θ − εe_i)) / 2ε for every differentiable leaf."""
        out: dict[str, Array] = {}
        for node in self.nodes:
            if not (node.is_leaf and node.requires_grad):
                continue
            assert node.value is not None  # every node of a built graph has a value
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

    def check(self, eps: float = 1e-6, floor: float = 1e-7) -> dict[str, float]:
        """Max relative error |g − ĝ| / max(|g|, |ĝ|, floor) per leaf, ĝ by central differences
        (the measure of `nncore.check_gradients`)."""
        analytic = self.backward()
        numeric = self.numeric_gradients(eps)
        errors: dict[str, float] = {}
        for name, g in analytic.items():
            n = numeric[name]
            err = np.abs(g - n) / np.maximum(np.maximum(np.abs(g), np.abs(n)), floor)
            errors[name] = float(err.max()) if err.size else 0.0
        return errors

    # -- showing ----------------------------------------------------------------------
    def chain_rule(self) -> list[str]:
        """The chain rule per node, output first: the gradient arriving at each node and
        how it is passed on to the node's inputs (with shapes and, after backward, norms)."""
        lines = []
        for node in self.output_first():
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

    def output_first(self) -> list[Node]:
        """The nodes from the output back, each before its inputs, and of a node's inputs
        the first one's branch first: for L = J + P the data path J comes before the
        penalty P, so a parameter's first gradient rule read is its data path (=) and
        the penalty's (+=) comes after it — the sum over paths in reading order."""
        order: list[Node] = []
        seen: set[int] = set()

        def visit(node: Node) -> None:   # post-order; inputs last-to-first
            seen.add(id(node))
            for inp in reversed(node.inputs):
                if id(inp) not in seen:
                    visit(inp)
            order.append(node)

        visit(self.output)
        return order[::-1]

    def contributions(self, node: Node | str) -> list[tuple[Node, Array]]:
        """After backward(): ∂L/∂node as a sum over its consumers (the paths from the
        output to the node), [(consumer, (∂consumer/∂node)ᵀ·∂L/∂consumer)] in the order
        of output_first(). Their sum is node.grad."""
        target = self[node] if isinstance(node, str) else node
        out: list[tuple[Node, Array]] = []
        for consumer in self.output_first():
            if consumer.is_leaf or consumer.grad is None:
                continue
            if not any(i is target for i in consumer.inputs):
                continue
            if consumer.fused_input_grad is not None:
                grads: Sequence[Optional[ArrayLike]] = [consumer.fused_input_grad]
            else:
                assert consumer._backward is not None
                grads = consumer._backward(consumer.grad, consumer.value,
                                           *[i.value for i in consumer.inputs])
            for inp, g in zip(consumer.inputs, grads):
                if inp is target and g is not None:
                    out.append((consumer, np.asarray(g, dtype=np.float64)))
        return out

    def table(self) -> str:
        """A text table: node, operation, value shape, gradient shape and size."""
        rows = [("node", "op", "formula", "value", "∂L/∂node")]
        for n in self.nodes:
            assert n.value is not None  # every node of a built graph has a value
            val = _describe(n.value)
            grad = "-" if n.grad is None else _describe(n.grad)
            rows.append((n.name, n.op, n.formula, val, grad))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        fmt = "  ".join("{:<%d}" % w for w in widths)
        lines = [fmt.format(*r) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def compare_with_model(self, model: Optional[LossModel] = None) -> dict[str, float]:
        """Max |difference| between the graph's loss/gradients and the model's own
        `loss_and_grad` (the C++ core for `nncore.Sequential`)."""
        model = model or getattr(self, "model", None)
        if model is None:
            raise ValueError("compare_with_model: this graph was not built from a model "
                             "(use model.graph(X, y, ...))")
        grads = self.backward()
        X = self["x"].value
        c = self["c"].value
        # every node of a built graph has a value
        assert X is not None and c is not None and self.output.value is not None
        value, mgrads = model.loss_and_grad(X, c, loss=self.loss_name, l1=self.l1, l2=self.l2)
        out = {"loss": abs(float(self.output.value) - value)}
        for name, gm in mgrads.items():
            out[name] = float(np.max(np.abs(grads[name] - gm)))
        return out

    # -- pictures (nncore.graph.drawing) -------------------------------------------
    def to_dot(self) -> str:
        """Graphviz DOT text: leaves as ellipses, operations as boxes, the loss as a
        double octagon; each label shows the formula, the value's shape and, after
        backward(), the gradient."""
        return drawing.to_dot(self)

    def render(self, path: Union[str, os.PathLike[str]], format: Optional[str] = None) -> str:
        """Render to PNG/SVG/PDF with Graphviz (raises GraphvizUnavailable without it;
        `to_dot()` and `draw()` always work)."""
        return drawing.render(self, path, format=format)

    def draw(self, path: Union[str, os.PathLike[str], None] = None,
             ax: Optional[Axes] = None) -> Union[Figure, SubFigure]:
        """Draw the graph with matplotlib (no Graphviz needed); returns the figure."""
        return drawing.draw(self, path=path, ax=ax)
