"""Section 13 (chain rule as written): every factor, the Jacobian product, the sum over
paths — each against the core or central differences — and the graph printout order."""
from __future__ import annotations

import numpy as np
import pytest

import nncore.lecture as L
from nncore.graph.drawing import _label_lines
from nncore.lecture.walkthrough import run_all


def test_scalar_chain_factors_multiply_to_the_cores_gradient():
    s = L.scalar_chain()
    names = [n for n, _ in s["factors"]]
    assert names == ["∂J/∂h2", "∂h2/∂a2", "∂a2/∂h1", "∂h1/∂a1", "∂a1/∂θ1"]
    values = [v for _, v in s["factors"]]
    np.testing.assert_allclose(values, [-0.715496, 0.203561, -1.2, 0.177894, 1.5], atol=1e-6)
    assert s["product"] == pytest.approx(0.0466377523, abs=1e-10)
    assert s["core"] == pytest.approx(s["product"], rel=1e-12)
    assert s["core_last"] == pytest.approx(s["product_last"], rel=1e-12)
    assert s["loss"] == pytest.approx(0.5 * (s["h"][-1] - 1.0) ** 2, rel=1e-12)


def test_three_layer_chain_has_seven_factors():
    s = L.scalar_chain(thetas=(0.8, -1.2, 1.5))
    assert len(s["factors"]) == 7
    assert s["core"] == pytest.approx(s["product"], rel=1e-12)


def test_jacobian_transpose_times_gradient():
    j = L.jacobian_example()
    assert j["jacobian"].shape == (2, 3)
    np.testing.assert_allclose(j["grad_x"], j["by_sum"], rtol=1e-14)
    np.testing.assert_allclose(j["grad_x"], j["numeric"], atol=1e-8)
    np.testing.assert_allclose(j["grad_x"], [0.80938, 0.58032, -0.36320], atol=1e-5)


def test_sum_over_paths_equals_the_core_gradient():
    for p in L.sum_over_paths():
        assert [name.split(" (")[0] for name, _ in p["paths"]] == ["data term J",
                                                                   "penalty λΣW²"]
        np.testing.assert_allclose(sum(v for _, v in p["paths"]), p["total"], atol=1e-15)
        assert p["max_diff"] < 1e-12


def test_graph_printout_lists_the_data_path_before_the_penalty():
    g = L.network_graph()["graph"]
    lines = g.chain_rule()
    first = next(i for i, l in enumerate(lines) if "∂L/∂W1 =" in l)
    penalty = next(i for i, l in enumerate(lines) if "∂L/∂W1 +=" in l)
    assert first < penalty
    order = g.output_first()
    seen = set()
    for node in order:   # each node before its inputs
        assert all(id(i) not in seen for i in node.inputs)
        seen.add(id(node))
    assert len(order) == len(g.nodes)


def test_small_graph_labels_show_numbers():
    g = L.logistic_regression_graph()["graph"]
    g.backward()
    assert "value = 0.5" in _label_lines(g["y_hat"])
    assert "value = [0.5, -0.3]" in _label_lines(g["W1"])


def test_section_runs(tmp_path):
    ctx = run_all(out=str(tmp_path), quick=True, only="chain-rule", echo=False, plots=False)
    r = ctx.results["chain-rule"]
    assert r["core"] == pytest.approx(r["product"], rel=1e-12)
    assert r["path_sum_max_diff"] < 1e-12
