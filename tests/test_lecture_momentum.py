"""Section 12 (momentum): the library's own update rule on a double well and a saddle."""
from __future__ import annotations

import numpy as np
import pytest

import nncore as nc
import nncore.lecture as L
from nncore.lecture.momentum import descend, double_well, double_well_grad, saddle_grad
from nncore.lecture.walkthrough import run_all


def test_analytic_gradients_match_central_differences():
    x = np.array([-1.3, 0.2, 1.7])
    eps = 1e-6
    np.testing.assert_allclose(double_well_grad(x),
                               (double_well(x + eps) - double_well(x - eps)) / (2 * eps),
                               atol=1e-6)
    np.testing.assert_array_equal(saddle_grad(np.array([0.5, -2.0])), [1.0, 4.0])


def test_velocity_is_the_lectures_moving_average():
    r = descend(double_well_grad, [2.0], nc.Momentum(lr=0.05, gamma=0.9), 20)
    m = np.zeros(1)
    for t in range(20):   # m_{t+1} = γ m_t + (1 − γ) g_t,  θ_{t+1} = θ_t − η m_{t+1}
        m = 0.9 * m + 0.1 * r["grads"][t]
        np.testing.assert_allclose(r["velocity"][t], m, rtol=1e-12)
        np.testing.assert_allclose(r["path"][t + 1], r["path"][t] - 0.05 * m, rtol=1e-12)


def test_double_well_momentum_reaches_the_global_minimum_from_2_not_from_1_5():
    dw = L.double_well_runs()
    glob, loc = dw["minima"]
    assert glob == pytest.approx(-1.036, abs=1e-3) and loc == pytest.approx(0.960, abs=1e-3)
    final = {x0: (gd["path"][-1, 0], mo["path"][-1, 0]) for x0, gd, mo in dw["runs"]}
    assert final[2.0][0] == pytest.approx(loc, abs=1e-3)    # gradient descent: local
    assert final[2.0][1] == pytest.approx(glob, abs=1e-3)   # momentum: global
    assert final[1.5][1] == pytest.approx(loc, abs=1e-3)    # not from 1.5


def test_saddle_escape_steps():
    sd = L.saddle_runs()
    assert sd["escape_step"] == [38, 72, 19, 7]


def test_section_runs(tmp_path):
    ctx = run_all(out=str(tmp_path), quick=True, only="momentum", echo=False, plots=False)
    assert ctx.results["momentum"]["saddle_escape"]["momentum γ 0.9, η 1"] == 19
