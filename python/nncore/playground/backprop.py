"""Backpropagation for one training point, step by step, from `model.graph`.

The page shows the graph nncore builds (`model.graph(x, c, loss=...)`, the
same nodes, formulas and chain-rule texts as `nncore.graph`) and walks
backward one operation per click. Each step names the node, the gradient
∂L/∂node arriving there, and what it passes to each input: the rule, the
numbers in it and the result. Elementwise activations also carry the local
derivative f′(a), so the page can show the product ∂L/∂h ⊙ f′(a) = ∂L/∂a.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

ELEMENTWISE = {"identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "prelu"}


def _list(a: Optional[np.ndarray]) -> Any:
    return None if a is None else np.asarray(a, dtype=np.float64).tolist()


def _passes(node: Any) -> List[Dict[str, Any]]:
    """What `node` hands to each input in the backward pass (as Graph.backward computes it)."""
    inputs = [i.value for i in node.inputs]
    fused = node.fused_input_grad is not None
    if fused:
        grads = [node.fused_input_grad]
    else:
        # The node's own backward rule, the one Graph.backward just ran.
        grads = node._backward(node.grad, node.value, *inputs)
    factor = None
    if node.op in ELEMENTWISE and not fused:
        factor = node._backward(np.ones_like(node.value), node.value, *inputs)[0]
    out = []
    for k, (inp, g) in enumerate(zip(node.inputs, grads)):
        if g is None or not inp.requires_grad:
            continue
        if fused:
            rule = (f"∂L/∂{inp.name} = (ŷ − c)/m   (the loss is computed from the logits "
                    f"{inp.name}, so σ′ cancels)")
        else:
            rule = node.rules[k] if k < len(node.rules) else ""
        out.append({"to": inp.name, "rule": rule, "grad": _list(g),
                    "factor": _list(factor) if k == 0 else None})
    return out


def step_through(model: Any, X: np.ndarray, y: np.ndarray, index: int, loss: str,
                 l1: float, l2: float) -> Dict[str, Any]:
    """The graph of `model` for training point `index` and its backward steps."""
    g = model.graph(X[index:index + 1], y[index:index + 1], loss=loss, l1=l1, l2=l2)
    g.backward()
    nodes = [{"name": n.name, "op": n.op, "formula": n.formula, "param": n.param,
              "leaf": n.is_leaf, "inputs": [i.name for i in n.inputs],
              "value": _list(n.value), "grad": _list(n.grad)} for n in g.nodes]
    # A leaf's gradient is complete once its last consumer has been processed.
    last_consumer: Dict[str, str] = {}
    for n in g.nodes:
        for i in n.inputs:
            last_consumer.setdefault(i.name, n.name)   # first in forward order = last backward
    steps = []
    for n in reversed(g.nodes):
        if n.is_leaf or n.grad is None:
            continue
        done = [i.name for i in n.inputs
                if i.is_leaf and i.grad is not None and last_consumer.get(i.name) == n.name]
        steps.append({"node": n.name, "formula": n.formula, "grad": _list(n.grad),
                      "passes": _passes(n), "done": done})
    return {"index": index, "loss": loss, "title": g.title, "nodes": nodes, "steps": steps,
            "value": float(g.output.value)}
