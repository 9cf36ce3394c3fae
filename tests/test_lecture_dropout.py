"""Section 18 (dropout): the overfitting curve with and without, pinned with its seeds."""
from __future__ import annotations

import numpy as np
import pytest

import nncore.lecture as L
from nncore.lecture.dropout import answer, network, overfitting_data
from nncore.lecture.walkthrough import run_all


@pytest.fixture(scope="module")
def short_run():
    return L.dropout_overfitting(seeds=(0,), epochs=200)   # a shorter run than the section's


def test_without_dropout_the_network_overfits_and_with_it_less(short_run):
    plain, drop = short_run["rows"]
    assert plain["p"] == 0.0 and drop["p"] == 0.5
    assert plain["final_train_loss"] == pytest.approx(0.00321, abs=2e-4)
    assert plain["best_epoch"] == 66 and plain["final_val_loss"] == pytest.approx(0.4897, abs=1e-3)
    assert drop["best_epoch"] == 158 and drop["final_val_loss"] == pytest.approx(0.4553, abs=1e-3)
    # overfitting: the validation loss rises after its minimum while the train loss falls
    assert plain["final_val_loss"] > plain["best_val_loss"] + 0.02
    assert drop["final_val_loss"] < plain["final_val_loss"]
    assert drop["best_val_loss"] < plain["best_val_loss"]
    assert "with p = 0.5 it ends at 0.455 (lower" in answer(short_run)


def test_curves_are_what_fit_and_loss_report(short_run):
    plain, drop = short_run["curves"]
    assert plain["val_loss"].shape == (1, 200)
    # with dropout the masked batches' loss stays well above the full network's
    assert np.all(drop["train_loss_masked"][:, -50:] > 2 * drop["train_loss"][:, -50:])


def test_the_data_and_networks():
    X, y, Xv, yv = overfitting_data()
    assert X.shape == (90, 20) and Xv.shape == (500, 20) and set(np.unique(y)) == {0, 1, 2}
    assert [l.kind for l in network(0.0, 8, 0).layers].count("dropout") == 0
    assert [l.kind for l in network(0.3, 8, 0).layers].count("dropout") == 2


def test_quick_walkthrough_skips_the_section(tmp_path):
    ctx = run_all(out=str(tmp_path), quick=True, only="dropout", echo=False, plots=False)
    assert ctx.results["dropout"] is None
    assert any("skipped in --quick" in line for line in ctx.lines)
