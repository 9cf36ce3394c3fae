"""Section 14 (width and depth): pinned with the quick run's parameters."""
from __future__ import annotations

import numpy as np
import pytest

import nncore as nc
import nncore.lecture as L
from nncore.lecture.width_depth import n_params, network, width_for


def test_parameter_counts_match_the_models():
    for depth in (1, 2, 3, 4):
        for budget in (25, 400):
            w = width_for(depth, budget)
            assert network(depth, w, 0).num_parameters == n_params(depth, w)
    assert [width_for(d, 400) for d in (1, 2, 3, 4)] == [133, 18, 13, 11]


def test_deeper_beats_one_wide_layer_at_400_parameters():
    old = nc.get_num_threads()
    nc.set_num_threads(1)
    try:
        r = L.width_depth(budgets=(50, 400), seeds=(0, 1), epochs=600)   # the quick run
    finally:
        nc.set_num_threads(old)
    med = {(b, d): np.median([u["test_mse"] for u in r["runs"]
                              if u["budget"] == b and u["depth"] == d])
           for b in (50, 400) for d in (1, 2, 3, 4)}
    assert med[(400, 1)] == pytest.approx(0.1396, abs=1e-3)
    assert med[(400, 4)] == pytest.approx(0.0085, abs=1e-3)
    assert med[(400, 4)] < med[(400, 3)] < med[(400, 2)] < med[(400, 1)]
    assert med[(50, 3)] > med[(50, 1)]          # narrow and deep: harder to train
