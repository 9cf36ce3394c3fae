"""Section 11 (learning rate): the valley's stability limit and what each step size does,
pinned to what the walkthrough prints."""
from __future__ import annotations

import numpy as np
import pytest

import nncore.lecture as L
from nncore.lecture.learning_rate import valley_fit_divergence
from nncore.lecture.optimizers import valley_loss, valley_problem
from nncore.lecture.walkthrough import run_all


def test_valley_hessian_and_stability_limit():
    st = L.valley_stability()
    np.testing.assert_allclose(st["hessian"], st["hessian_formula"], atol=1e-12)
    np.testing.assert_allclose(st["eigenvalues"], [0.0496, 1.9052], atol=1e-4)
    assert st["limit"] == pytest.approx(1.0498, abs=1e-4)
    assert st["best"] == pytest.approx(1.0231, abs=1e-4)


def test_valley_loss_is_half_mean_squared_error():
    # the picture's vectorised J is the core's loss
    model, X, y, _ = valley_problem()
    w = np.array([0.3, -0.7])
    assert valley_loss(model, X, y, w) == pytest.approx(0.5 * np.mean((X @ w - y) ** 2))


def test_below_the_limit_converges_above_it_diverges():
    v = L.valley_lr_paths()
    small, good, large, diverging = v["losses"]
    assert good[-1] < large[-1] < small[-1] < small[0]          # α* beats both neighbours
    assert diverging[-1] > 1e6 and diverging[-1] > 1e6 * diverging[0]
    assert good[-1] == pytest.approx(0.006776, rel=1e-3)


def test_fit_beyond_the_limit_raises_floating_point_error():
    r = valley_fit_divergence()
    assert r["error"] is not None and "non-finite" in r["error"]
    assert r["error_epoch"] == 1929
    ok = valley_fit_divergence(factor=0.9, epochs=200)
    assert ok["error"] is None and ok["losses"][-1] < 0.01


def test_network_learning_rates():
    net = L.network_lr_curves()
    final = {r["lr"]: r["losses"][-1] for r in net["runs"]}
    assert final[3.0] < 0.02 < final[0.1] < 0.3       # good beats too small
    # too large: the loss jumps far above the start (0.74). Where a chaotic lr-30 run ends
    # after 200 epochs depends on the compiler's rounding (0.41 with clang, 3.4 with gcc);
    # its peak does not (45.4 with both).
    peak = {r["lr"]: max(r["losses"]) for r in net["runs"]}
    assert peak[30.0] > 10 and final[1000.0] > 100
    assert all(r["error"] is None for r in net["runs"])  # sigmoid + BCE stays finite
    relu = L.network_lr_curves(lrs=(1000.0,), activation="relu")["runs"][0]
    assert relu["error_epoch"] == 76


def test_section_runs(tmp_path):
    ctx = run_all(out=str(tmp_path), quick=True, only="lr", echo=False, plots=False)
    r = ctx.results["learning-rate"]
    assert r["valley_fit_error_epoch"] == 1929 and r["relu_error_epoch"] == 76
    assert any("stable iff α < 2/λ_max = 1.0498" in line for line in ctx.lines)
