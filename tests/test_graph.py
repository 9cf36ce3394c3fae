"""The computational graph (nncore.graph, model.graph): values, gradients, DOT, rendering."""
from __future__ import annotations

import numpy as np
import pytest

import nncore as nc
import nncore.lecture as L
from nncore.graph import Graph, GraphvizUnavailable


def _data(n=6, d=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), (rng.random(n) > 0.5).astype(float)


def test_graph_of_a_real_model_has_the_lecture_nodes():
    X, y = _data()
    m = nc.Sequential(nc.Dense(2, 3), nc.Tanh(), nc.Dense(3, 1), nc.Sigmoid(), seed=0)
    g = m.graph(X, y, loss="bce", l2=0.01)
    ops = [n.op for n in g.nodes]
    for op in ("input", "param", "matmul", "add_bias", "tanh", "sigmoid", "target", "loss",
               "sqsum", "penalty", "total"):
        assert op in ops
    assert g["m1"].shape == (6, 3) and g["h1"].shape == (6, 3) and g["y_hat"].shape == (6, 1)
    assert all(n.grad is None for n in g.nodes)  # before backward
    np.testing.assert_allclose(g["y_hat"].value, m.predict(X), rtol=1e-12)
    assert float(g.output.value) == pytest.approx(m.loss(X, y, loss="bce", l2=0.01), rel=1e-12)
    grads = g.backward()
    assert g["h1"].grad.shape == (6, 3) and g["J"].grad == 1.0
    _, mg = m.loss_and_grad(X, y, loss="bce", l2=0.01)
    for name in mg:
        np.testing.assert_allclose(grads[name], mg[name], rtol=1e-10, atol=1e-14)


LAYER_SETS = [
    ((nc.Dense(2, 4), nc.ReLU(), nc.Dense(4, 1)), "mse"),
    ((nc.Dense(2, 4), nc.LeakyReLU(), nc.Dense(4, 1)), "mse_mean"),
    ((nc.Dense(2, 3), nc.ELU(), nc.Dense(3, 2), nc.Sigmoid()), "bce"),
    ((nc.Dense(2, 3), nc.PReLU(3), nc.Maxout(3, 2, k=2), nc.Dense(2, 3), nc.Softmax()), "ce"),
    ((nc.Dense(2, 3), nc.PReLU(), nc.Dense(3, 3), nc.Tanh(), nc.Dense(3, 3), nc.Softmax()), "ce"),
    # Dropout: an identity node (the graph is L at inference, as model.loss)
    ((nc.Dense(2, 4), nc.Tanh(), nc.Dropout(0.5), nc.Dense(4, 1), nc.Sigmoid()), "bce"),
]


@pytest.mark.parametrize("layers,loss", LAYER_SETS)
@pytest.mark.parametrize("l1,l2", [(0.0, 0.0), (0.01, 0.02)])
def test_graph_gradients_match_central_differences_and_the_core(layers, loss, l1, l2):
    X, y = _data(seed=1)
    m = nc.Sequential(*layers, seed=2)
    if loss == "ce":
        y = (np.arange(6) % 3).astype(int)
    elif m.n_outputs == 2:
        y = np.c_[y, 1 - y]
    g = m.graph(X, y, loss=loss, l1=l1, l2=l2)
    errors = g.check()
    assert max(errors.values()) < 1e-5, errors
    diffs = g.compare_with_model()
    assert max(diffs.values()) < 1e-10, diffs
    cg = nc.check_gradients(m, X, y, loss=loss, l1=l1, l2=l2)
    assert max(cg.values()) < 1e-5


def test_lecture_small_graphs():
    r = L.product_graph(3.0, -2.0)
    assert r["grads"] == {"x": -2.0, "y": 3.0}  # ∂z/∂x = y, ∂z/∂y = x
    assert max(r["errors"].values()) < 1e-8
    for r in (L.logistic_regression_graph(), L.linear_regression_graph()):
        assert max(r["errors"].values()) < 1e-6
        assert max(r["check_gradients"].values()) < 1e-6
        assert max(r["vs_model"].values()) < 1e-12
        for name, g in r["grads"].items():
            np.testing.assert_allclose(g, r["numeric"][name], rtol=1e-6, atol=1e-9)
    lin = L.linear_regression_graph(lam=0.1)
    assert "P = 0.1·sq1" in [n.formula for n in lin["graph"].nodes]
    # ŷ = xᵀw as on the slide: Dense(bias=False), no bias node, a1 straight from the product
    assert "a1 = x·W1" in [n.formula for n in lin["graph"].nodes]
    assert not any(n.name.startswith("b") for n in lin["graph"].nodes)
    lines = lin["graph"].chain_rule()
    assert any("∂L/∂W1 += ∂L/∂sq1 · 2W1" in line for line in lines)


def test_logistic_regression_gradient_formula():
    # ∂J/∂w = (ŷ − c)·x, ∂J/∂b = ŷ − c for one sample
    r = L.logistic_regression_graph(x=(1.0, 2.0), c=1.0, w=(0.5, -0.3), b=0.1)
    yhat = 1 / (1 + np.exp(-(0.5 - 0.6 + 0.1)))
    np.testing.assert_allclose(r["grads"]["0.W"].ravel(), (yhat - 1) * np.array([1.0, 2.0]))
    np.testing.assert_allclose(r["grads"]["0.b"], [yhat - 1])


def test_step_network_builds_but_has_no_gradient():
    m = L.xor_by_hand()["model"]
    X, y = L.xor_data()
    g = m.graph(X, y, loss="mse")
    np.testing.assert_array_equal(g["a2"].value.ravel(), [0, 1, 1, 0])
    with pytest.raises(ValueError, match="Step has no gradient"):
        g.backward()


def test_dot_export_and_rendering(tmp_path, monkeypatch):
    X, y = _data()
    m = nc.Sequential(nc.Dense(2, 3), nc.Tanh(), nc.Dense(3, 1), nc.Sigmoid(), seed=0)
    g = m.graph(X, y, loss="bce", l2=0.01)
    g.backward()
    dot = g.to_dot()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count("->") == sum(len(n.inputs) for n in g.nodes)
    assert "∂L/∂·" in dot and "(6, 3)" in dot
    # without Graphviz: a clear error that names the alternatives
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(__import__("sys").modules, "graphviz", None)
    with pytest.raises(GraphvizUnavailable, match="to_dot"):
        g.render(tmp_path / "g.png")
    pytest.importorskip("matplotlib")
    g.draw(tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_graph_rejects_duplicate_names_and_non_scalar_output():
    g = Graph()
    x = g.leaf("x", np.ones(3))
    with pytest.raises(ValueError, match="already exists"):
        g.leaf("x", 1.0)
    g.op("y", "double", [x], lambda a: 2 * a, lambda gr, out, a: [2 * gr])
    with pytest.raises(ValueError, match="scalar"):
        g.backward()
