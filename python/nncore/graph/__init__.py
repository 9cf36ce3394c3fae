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

from .drawing import GraphvizUnavailable
from .engine import Graph, Node
from .from_model import build_graph

__all__ = ["Graph", "Node", "build_graph", "GraphvizUnavailable"]
