"""fit(class_weight=...): per-class weights as per-sample weights, in both models."""
from __future__ import annotations

import numpy as np
import pytest

import nncore as nc
import nncore.reference as ref

RNG = np.random.default_rng(0)
X = RNG.normal(size=(30, 3))
LABELS = np.array([0] * 20 + [1] * 7 + [2] * 3)


def _pair(out, last):
    m = nc.Sequential(nc.Dense(3, 5), nc.Tanh(), nc.Dense(5, out), last(), seed=4)
    r = ref.Sequential(*m.layers, seed=4)
    r.load_state_dict(m.state_dict())
    return m, r


@pytest.mark.parametrize("cw", [{0: 1.0, 1: 3.0, 2: 6.5}, "balanced"])
def test_class_weight_equals_the_sample_weights_it_stands_for(cw):
    table = cw if isinstance(cw, dict) else {0: 30 / 60, 1: 30 / 21, 2: 30 / 9}
    sw = np.array([table[c] for c in LABELS])
    runs = []
    for kw in ({"class_weight": cw}, {"sample_weight": sw}):
        m, r = _pair(3, nc.Softmax)
        kw_all = dict(optimizer=None, epochs=3, batch_size=8, **kw)
        m.fit(X, LABELS, verbose=0, **kw_all)
        r.fit(X, LABELS, **kw_all)
        runs.append((m.get_flat_parameters(), r.get_flat_parameters()))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])   # same weights → same native run
    np.testing.assert_allclose(runs[0][0], runs[0][1], rtol=1e-12, atol=1e-14)  # core = twin


def test_binary_class_weight_and_one_hot_targets():
    y = (LABELS > 0).astype(float)
    m, _ = _pair(1, nc.Sigmoid)
    a = m.get_flat_parameters()
    m.fit(X, y, class_weight={1: 4.0}, epochs=2, verbose=0)
    m2, _ = _pair(1, nc.Sigmoid)
    m2.fit(X, y, sample_weight=np.where(y == 1, 4.0, 1.0), epochs=2, verbose=0)
    np.testing.assert_array_equal(m.get_flat_parameters(), m2.get_flat_parameters())
    assert not np.array_equal(a, m.get_flat_parameters())
    one_hot = np.eye(3)[LABELS]
    m3, _ = _pair(3, nc.Softmax)
    m4, _ = _pair(3, nc.Softmax)
    m3.fit(X, one_hot, class_weight={2: 5.0}, epochs=2, verbose=0)
    m4.fit(X, LABELS, class_weight={2: 5.0}, epochs=2, verbose=0)
    # one-hot rows and labels take two code paths in the core: equal to rounding
    np.testing.assert_allclose(m3.get_flat_parameters(), m4.get_flat_parameters(), rtol=1e-12,
                               atol=1e-15)


@pytest.mark.parametrize("cw, y_kind, exc, msg", [
    ("rare", "labels", ValueError, r"class_weight must be a dict \{class: weight\} or 'balanced'"),
    ({0: -1.0}, "labels", ValueError, r"class_weight\[0\] must be >= 0"),
    ({"a": 1.0}, "labels", TypeError, r"class_weight keys must be integer classes"),
    ({0: 0.0, 1: 0.0, 2: 0.0}, "labels", ValueError, r"class_weight gives every sample weight 0"),
    ({0: 1.0}, "regression", ValueError, r"class_weight applies to classification"),
    ([1.0, 2.0], "labels", TypeError, r"class_weight must be a dict"),
])
def test_bad_class_weight_is_refused_before_training(cw, y_kind, exc, msg):
    if y_kind == "labels":
        m, _ = _pair(3, nc.Softmax)
        y = LABELS
    else:
        m = nc.Sequential(nc.Dense(3, 1), seed=0)
        y = X[:, 0]
    before = m.get_flat_parameters()
    with pytest.raises(exc, match=r"^fit: " + msg):
        m.fit(X, y, class_weight=cw, epochs=1, verbose=0)
    np.testing.assert_array_equal(m.get_flat_parameters(), before)
    assert m.optimizer_state is None


def test_balanced_counts_the_classes_by_sample_weight():
    # scikit-learn's compute_class_weight("balanced", sample_weight=): Σw / (k · class Σw),
    # so an integer weight k still equals k copies of the row
    from sklearn.utils.class_weight import compute_class_weight
    sw = np.linspace(0.5, 2.0, 30)
    cw = compute_class_weight("balanced", classes=np.arange(3), y=LABELS, sample_weight=sw)
    runs = []
    for kw in ({"class_weight": "balanced", "sample_weight": sw},
               {"sample_weight": sw * cw[LABELS]}):
        m, _ = _pair(3, nc.Softmax)
        m.fit(X, LABELS, epochs=2, batch_size=8, verbose=0, **kw)
        runs.append(m.get_flat_parameters())
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-12, atol=1e-15)
