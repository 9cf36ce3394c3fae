"""model.summary(), the notebook table and the multi-line repr."""
from __future__ import annotations

import numpy as np
import pytest

import nncore as nc
import nncore.reference as ref


@pytest.mark.parametrize("lib", [nc, ref], ids=["native", "reference"])
def test_summary_counts_parameters_and_bytes_per_layer(lib):
    m = lib.Sequential(lib.Dense(2, 10), lib.Tanh(), lib.Dense(10, 1), lib.Sigmoid(),
                       dtype=np.float32, seed=0)
    lines = []
    m.summary(print_fn=lines.append)
    table = lines[0].splitlines()
    assert table[0] == "Sequential: 2 inputs → 1 outputs, float32"
    rows = {r.split()[0]: r.split() for r in table if r[:1].isdigit() or r.startswith("total")}
    assert rows["0"][-3:] == ["10", "30", "120"]     # Dense(2, 10): 2·10 + 10, 4 bytes each
    assert rows["1"][-3:] == ["10", "0", "0"]
    assert rows["2"][-3:] == ["1", "11", "44"]
    assert rows["total"][-2:] == ["41", "164"]        # the slide's 2-10-1 network + output bias


def test_summary_counts_prelu_and_maxout():
    m = nc.Sequential(nc.Maxout(3, 4, k=3), nc.PReLU(4), nc.Dense(4, 2), nc.Softmax())
    lines = []
    m.summary(print_fn=lines.append)
    assert " 48 " in lines[0] and " 4 " in lines[0]   # Maxout 3·(3·4 + 4); PReLU α per unit
    assert f"{m.num_parameters:,}" in lines[0].splitlines()[-1]


def test_html_table_and_multiline_repr():
    m = nc.Sequential(nc.Dense(2, 3), nc.LeakyReLU(), nc.Dense(3, 1), seed=7)
    html = m._repr_html_()
    assert html.startswith("<table>") and "<code>LeakyReLU(slope=0.1)</code>" in html
    assert "<th>13</th>" in html
    assert repr(m) == ("Sequential(\n    Dense(2, 3),\n    LeakyReLU(slope=0.1),\n"
                       "    Dense(3, 1),\n    dtype=np.float64, seed=7,\n)")
