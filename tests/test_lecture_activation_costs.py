"""Section 15 (what each activation costs), pinned with the quick run's parameters.
Timings are printed by the walkthrough but never asserted."""
from __future__ import annotations

import pytest

import nncore as nc
import nncore.lecture as L


@pytest.fixture(autouse=True)
def one_thread():
    old = nc.get_num_threads()
    nc.set_num_threads(1)
    yield
    nc.set_num_threads(old)


def test_sigmoid_gradient_fades_towards_the_input():
    g = L.gradient_flow(epochs=30)
    assert g["init"]["sigmoid"][0] == pytest.approx(6.1e-05, rel=0.01)
    assert g["init"]["sigmoid"][0] / g["init"]["sigmoid"][-1] < 1e-3
    for name in ("tanh", "ReLU", "ELU"):
        assert g["init"][name][0] / g["init"][name][-1] > 0.1, name
    assert g["train_acc"]["sigmoid"] == 0.5 < g["train_acc"]["tanh"]
    # centring: sigmoid ≈ 0.5, tanh ≈ 0, ReLU > ELU > 0
    m = g["mean_h1"]
    assert m["sigmoid"] == pytest.approx(0.502, abs=1e-3)
    assert abs(m["tanh"]) < 0.01 < m["ELU"] < m["ReLU"]


def test_large_learning_rate_kills_relu_units():
    rows = L.dead_relus()["rows"]
    assert [round(d, 4) for _, d, _ in rows] == [0.0625, 0.0312, 0.125, 0.9375]
    assert rows[-1][2] == pytest.approx(0.62)


def test_prelu_alpha_is_learned_and_maxout_trains():
    p = L.prelu_and_maxout(epochs=50)
    assert p["prelu_alpha_init"] == 0.25
    assert p["prelu_alpha_trained"] == pytest.approx(0.1787, abs=1e-3)
    assert all(test > 0.96 for _, _, test in p["rows"])


def test_time_per_element_is_measured_for_each_activation():
    ns = L.time_per_element(repeats=2)
    assert set(ns) == {"sigmoid", "tanh", "ReLU", "ELU"}
    assert all(v >= 0 for v in ns.values())


def test_relu_learning_rate_init_grid():
    g = L.relu_grid(epochs=25)   # the quick run's setting
    assert g["test_acc"]["glorot_uniform"] == pytest.approx([0.838, 0.88, 0.907, 0.972])
    assert g["test_acc"]["he_normal"][-1] > g["test_acc"]["normal"][-1]
