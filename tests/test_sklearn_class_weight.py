"""MLPClassifier(class_weight=...): the same fit as the sample weights it stands for."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.class_weight import compute_class_weight

from nncore.sklearn import MLPClassifier

# short fits on purpose: they stop at max_iter
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 4))
Y3 = np.array(["a"] * 35 + ["b"] * 17 + ["c"] * 8)
Y2 = np.array([3] * 45 + [7] * 15)
SW = RNG.uniform(0.2, 3.0, size=60)


def clf(**kw):
    return MLPClassifier(**{"hidden_layer_sizes": (6,), "max_iter": 15, "random_state": 0,
                            "tol": 0.0, **kw})


def rows(table, y):
    return np.array([table[c] for c in y])


def same_fit(a, b):
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(p, q)
    assert a.loss_curve_ == b.loss_curve_ if hasattr(a, "loss_curve_") else True


@pytest.mark.parametrize("y, table", [
    (Y3, {"a": 0.5, "b": 2.0, "c": 4.0}),
    (Y2, {3: 1.0, 7: 3.0}),
    (Y2, {7: 0.25}),            # a class not named weighs 1
])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_dict_equals_its_sample_weights(y, table, solver):
    full = {c: table.get(c, 1.0) for c in np.unique(y)}
    a = clf(solver=solver, class_weight=table).fit(X, y)
    b = clf(solver=solver).fit(X, y, sample_weight=rows(full, y))
    same_fit(a, b)
    assert a.loss_ == b.loss_
    c = clf(solver=solver).fit(X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])  # the weights did change the fit


@pytest.mark.parametrize("y", [Y3, Y2])
def test_balanced_and_sample_weight_multiply(y):
    classes = np.unique(y)
    # scikit-learn's own "balanced", counted by sample weight
    cw = compute_class_weight("balanced", classes=classes, y=y, sample_weight=SW)
    w = SW * rows(dict(zip(classes, cw)), y)
    a = clf(class_weight="balanced").fit(X, y, sample_weight=SW)
    b = clf().fit(X, y, sample_weight=w)
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-12, atol=1e-14)
    # unweighted "balanced" is scikit-learn's n / (k · count)
    cw1 = compute_class_weight("balanced", classes=classes, y=y)
    a1 = clf(class_weight="balanced").fit(X, y)
    b1 = clf().fit(X, y, sample_weight=rows(dict(zip(classes, cw1)), y))
    np.testing.assert_allclose(a1.coefs_[0], b1.coefs_[0], rtol=1e-12, atol=1e-14)


def test_early_stopping_split_and_score_carry_the_class_weights():
    table = {"a": 0.5, "b": 2.0, "c": 4.0}
    kw = dict(early_stopping=True, validation_fraction=0.3, n_iter_no_change=3, max_iter=30)
    a = clf(class_weight=table, **kw).fit(X, Y3)
    b = clf(**kw).fit(X, Y3, sample_weight=rows(table, Y3))
    assert a.validation_scores_ == b.validation_scores_
    same_fit(a, b)


def test_partial_fit_with_a_dict_and_balanced_refused():
    table = {"a": 0.5, "b": 2.0, "c": 4.0}
    a, b = clf(class_weight=table), clf()
    for part in (slice(0, 30), slice(30, 60)):
        a.partial_fit(X[part], Y3[part], classes=["a", "b", "c"])
        b.partial_fit(X[part], Y3[part], classes=["a", "b", "c"],
                      sample_weight=rows(table, Y3[part]))
    same_fit(a, b)
    with pytest.raises(ValueError, match="class_weight='balanced' is not supported for "
                                         "partial_fit.*compute_class_weight"):
        clf(class_weight="balanced").partial_fit(X, Y3, classes=["a", "b", "c"])


@pytest.mark.parametrize("cw, y, exc, msg", [
    ({"a": 1.0}, np.eye(3)[RNG.integers(0, 3, 60)].astype(int), ValueError,
     "not multi-label"),
    ({"z": 1.0}, Y3, ValueError, r"class_weight has classes \['z'\] that are not in classes_"),
    ("rare", Y3, ValueError, "class_weight must be a dict"),
    ([1.0, 2.0], Y3, TypeError, "class_weight must be None, 'balanced' or a dict"),
    ({"a": -1.0}, Y3, ValueError, r"class_weight\[0\] must be >= 0"),
])
def test_bad_class_weight_is_refused(cw, y, exc, msg):
    with pytest.raises(exc, match=r"^MLPClassifier: .*" + msg):
        clf(class_weight=cw).fit(X, y)


def test_class_weight_is_a_parameter():
    est = clf(class_weight="balanced")
    assert est.get_params()["class_weight"] == "balanced"
    est.set_params(class_weight={"a": 2.0})
    assert clone(est).class_weight == {"a": 2.0}
    assert "class_weight : dict, 'balanced' or None" in MLPClassifier.__doc__
