"""The computational graph: the lecture's small graphs and a real model's graph.

    python examples/computational_graphs.py
writes graph.dot (always) and graph.png (Graphviz if installed, else matplotlib).
"""
import numpy as np

import nncore as nc
import nncore.lecture as L
from nncore.graph import GraphvizUnavailable

for name, r in (("z = x·y", L.product_graph()), ("logistic regression", L.logistic_regression_graph()),
                ("linear regression + λΣw²", L.linear_regression_graph())):
    print(f"--- {name}")
    print("\n".join(r["graph"].chain_rule()))
    print("max relative error vs central differences:", max(r["errors"].values()))

rng = np.random.default_rng(0)
X, y = rng.normal(size=(8, 2)), (rng.random(8) > 0.5).astype(float)
model = nc.Sequential(nc.Dense(2, 3), nc.Tanh(), nc.Dense(3, 1), nc.Sigmoid())
g = model.graph(X, y, loss="bce", l2=0.01)
g.backward()
print(g.table())
print("graph vs the core's loss_and_grad:", g.compare_with_model())
with open("graph.dot", "w") as f:
    f.write(g.to_dot())
try:
    g.render("graph.png")
    print("graph.png rendered with Graphviz")
except GraphvizUnavailable as e:
    print(e)
    try:
        g.draw("graph.png")
        print("graph.png drawn with matplotlib")
    except ImportError:
        print("no matplotlib either: graph.dot only")
