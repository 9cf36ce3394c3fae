"""Section 10 (local minima): XOR from 30 seeds. The counts are pinned: they are what the
walkthrough prints, and a change in init, optimizer or core numerics shows up here."""
from __future__ import annotations

import numpy as np
import pytest

import nncore.lecture as L
from nncore.lecture.local_minima import smallest_class_gap
from nncore.lecture.walkthrough import run_all


def test_section_1_network_fails_for_14_of_30_seeds():
    s = L.xor_seed_study("tanh", 2)
    assert s["seeds"] == list(range(30))
    assert s["failed"] == [1, 9, 11, 12, 13, 14, 16, 17, 19, 21, 22, 24, 25, 29]
    assert s["failure_rate"] == pytest.approx(14 / 30)
    # every failed run is at one of the two plateaus, every success near 0
    for loss, acc in zip(s["loss"], s["accuracy"]):
        if acc < 1:
            assert min(abs(loss - np.log(2) / 2), abs(loss - 0.4774)) < 0.002
        else:
            assert loss < 0.01


def test_relu_with_two_units_almost_always_fails():
    assert len(L.xor_seed_study("relu", 2)["failed"]) == 29


@pytest.mark.parametrize("activation,hidden", [("tanh", 3), ("tanh", 8), ("elu", 8),
                                               ("leaky_relu", 8)])
def test_more_hidden_units_learn_xor_from_every_seed(activation, hidden):
    assert L.xor_seed_study(activation, hidden)["failed"] == []


def test_what_helps_table_is_pinned():
    rows = {s["label"].strip(" …"): len(s["failed"]) for s in L.what_helps()}
    assert rows["3000 epochs (10× longer)"] == 14          # longer training does not help
    assert rows["init N(0, 0.01²) (small weights)"] == 6
    assert rows["momentum γ 0.9 (lecture form) lr 1, 1000 ep."] == 10
    assert rows["ReLU, 8 hidden"] == 4
    assert rows["tanh, 2 hidden, best of 3 restarts (lowest loss)"] == 5


def test_stuck_run_merges_points_of_different_class():
    sv = L.stuck_vs_success()
    assert sv["stuck"]["seed"] == 1 and sv["success"]["seed"] == 0
    assert sv["stuck_gap"] < 0.01 < 1.5 < sv["success_gap"]
    assert sv["stuck_grad_norm"] < 1e-3
    assert sv["stuck_loss_after_10x"] > 0.4    # 10× longer: still stuck
    assert smallest_class_gap(sv["success"]["hidden"]) == sv["success_gap"]


def test_section_prints_and_returns_the_rows(tmp_path):
    ctx = run_all(out=str(tmp_path), quick=True, only="local-minima", echo=False, plots=False)
    r = ctx.results["local-minima"]
    assert r["rows"][0][1:] == (14, 30)
    assert any("14  30" in line for line in ctx.lines)
    ctx = run_all(out=str(tmp_path), quick=True, only="xor", echo=False, plots=False)
    assert len(ctx.results["xor"]["failed_seeds"]) == 14
