"""Section 8's cost law: the fits, on counted multiply-adds (never on timings)."""
from __future__ import annotations

import pytest

from nncore.lecture.cost import (DEPTHS, WIDTHS, cost_law, count_macs, depth_arch, mlp,
                                 width_arch)


def fake_rows():
    rows = []
    for arch in [width_arch(w) for w in WIDTHS] + [depth_arch(L) for L in DEPTHS]:
        c = count_macs(mlp(arch))
        t = 1e-3 * (c["forward"] + c["backward"])      # "time" exactly ∝ multiply-adds
        rows.append(("-".join(map(str, arch)), c["weights"], c["forward"], c["backward"],
                     1e-3 * c["forward"], t))
    return rows


def test_width_exponent_and_doubling_ratios():
    law = cost_law(fake_rows())
    assert law["widths"] == list(WIDTHS)
    assert law["width_exponent_time"] == pytest.approx(law["width_exponent_macs"])
    assert law["width_exponent_macs"] == pytest.approx(1.86, abs=0.01)
    assert [round(x, 2) for x in law["doubling_macs"]] == [3.42, 3.66, 3.81]


def test_depth_is_a_straight_line_in_the_counts():
    law = cost_law(fake_rows())
    assert law["depths"] == list(DEPTHS)
    assert law["depth_r2"] == pytest.approx(1.0, abs=1e-9)   # each layer adds 256×256
