"""nncore.sklearn against scikit-learn's MLP on identical weights, where the maths is the same.

Both estimators draw the same initial weights from the same random_state, and with
shuffle=False (or a full batch) they see the batches in the same order, so whole training
runs can be compared number for number: one full-batch SGD step (binary, multi-class,
multi-label, regression), minibatch SGD with classic and Nesterov momentum, the
invscaling and adaptive learning rates, the tol / n_iter_no_change rule, early stopping on
the validation score and L-BFGS. Differences that are deliberate are pinned here too.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import neural_network as skl
from sklearn.datasets import load_digits, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler

import nncore.sklearn as ncs

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _digits():
    X, y = load_digits(return_X_y=True)
    return MinMaxScaler().fit_transform(X)[:300], y[:300]


def _multilabel():
    return make_multilabel_classification(n_samples=120, n_classes=5, random_state=0)


def _regression(n_targets=1):
    X, Y = make_regression(n_samples=120, n_features=6, n_targets=n_targets, random_state=0)
    return X, Y / Y.std(axis=0)


DATA = {
    "binary": lambda: (_digits()[0], _digits()[1] % 2),
    "multiclass": _digits,
    "multilabel": _multilabel,
    "regression": _regression,
    "multioutput": lambda: _regression(3),
}


def _both(kind, **params):
    X, y = DATA[kind]()
    name = "MLPRegressor" if kind in ("regression", "multioutput") else "MLPClassifier"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = getattr(skl, name)(random_state=0, **params).fit(X, y)
        ours = getattr(ncs, name)(random_state=0, **params).fit(X, y)
    return ref, ours


def _max_rel(a_list, b_list):
    return max(float(np.abs(a - b).max() / np.abs(a).max()) for a, b in zip(a_list, b_list))


def _weights(est):
    return est.coefs_ + est.intercepts_


@pytest.mark.parametrize("kind", list(DATA))
def test_one_full_batch_sgd_step_matches(kind):
    n = DATA[kind]()[0].shape[0]
    ref, ours = _both(kind, solver="sgd", momentum=0, shuffle=False, max_iter=1, alpha=0.01,
                      hidden_layer_sizes=(7,), batch_size=n)
    # identical starting weights (scikit-learn's init from the same random_state) ...
    assert _max_rel(_weights(ref), _weights(ours)) <= 1e-12
    assert ours.model_.dtype == np.float64 and ours.n_iter_ == ref.n_iter_ == 1
    if kind != "multioutput":  # scikit-learn's reported multi-output loss averages outputs
        np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-12)


def test_multilabel_gradient_is_summed_over_labels():
    """The 5-label step is scikit-learn's, not 1/5 of it (nncore's bce averages labels)."""
    X, Y = _multilabel()
    params = dict(solver="sgd", momentum=0, shuffle=False, max_iter=1, alpha=0.0,
                  hidden_layer_sizes=(7,), batch_size=120, learning_rate_init=0.1)
    start = ncs.MLPClassifier(random_state=0, **{**params, "learning_rate_init": 1e-300})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        w0 = start.fit(X, Y).coefs_[1]
    ref, ours = _both("multilabel", **params)
    step_ref, step_ours = ref.coefs_[1] - w0, ours.coefs_[1] - w0
    np.testing.assert_allclose(step_ours, step_ref, rtol=1e-10, atol=1e-15)
    assert np.abs(step_ref).max() > 1e-3


@pytest.mark.parametrize("kind, params", [
    ("multilabel", dict(batch_size=40)),                                   # Nesterov
    ("multiclass", dict(batch_size=50, nesterovs_momentum=False)),         # classic
    ("multiclass", dict(batch_size=50, learning_rate="invscaling", power_t=0.25)),
    ("regression", dict(batch_size=30, momentum=0.5)),
    ("multiclass", dict(batch_size=70)),  # a smaller last batch: its own penalty scaling
])
def test_minibatch_sgd_runs_match(kind, params):
    ref, ours = _both(kind, solver="sgd", shuffle=False, max_iter=20, alpha=0.01,
                      hidden_layer_sizes=(7,), tol=0, n_iter_no_change=100,
                      learning_rate_init=0.05, **params)
    assert ours.n_iter_ == ref.n_iter_ == 20 and ours.t_ == ref.t_
    assert _max_rel(_weights(ref), _weights(ours)) <= 1e-10
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("kind, epsilon", [("multilabel", 1e-8), ("multiclass", 1e-3),
                                            ("regression", 1e-8)])
def test_adam_runs_match(kind, epsilon):
    """solver="adam" is nncore's Adam with eps_inside=True: ε where scikit-learn adds it."""
    ref, ours = _both(kind, solver="adam", shuffle=False, max_iter=20, batch_size=30,
                      hidden_layer_sizes=(7,), tol=0, n_iter_no_change=100, epsilon=epsilon,
                      learning_rate_init=0.01)
    assert _max_rel(_weights(ref), _weights(ours)) <= 1e-10
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("params", [
    dict(max_iter=500, tol=1e-3, n_iter_no_change=10),                          # tol rule
    dict(max_iter=300, tol=1e-3, n_iter_no_change=5, learning_rate="adaptive"),
    dict(max_iter=300, tol=1e-3, n_iter_no_change=5, early_stopping=True, batch_size=270),
])
def test_stopping_rules_stop_at_the_same_epoch(params):
    params = {"batch_size": 300, **params}
    ref, ours = _both("binary", solver="sgd", shuffle=False, alpha=0.01,
                      hidden_layer_sizes=(7,), learning_rate_init=0.05, **params)
    assert ref.n_iter_ < params["max_iter"]
    assert ours.n_iter_ == ref.n_iter_
    assert ours._no_improvement_count == ref._no_improvement_count
    assert _max_rel(_weights(ref), _weights(ours)) <= 1e-10
    if params.get("early_stopping"):  # the same (stratified) split, scores and best weights
        np.testing.assert_allclose(ours.validation_scores_, ref.validation_scores_, rtol=1e-12)
        assert ours.best_validation_score_ == ref.best_validation_score_
        assert ours.best_loss_ is None
    else:
        assert ours.best_loss_ == pytest.approx(ref.best_loss_, rel=1e-12)


def test_early_stopping_regression_matches():
    ref, ours = _both("regression", solver="sgd", shuffle=False, alpha=0.01,
                      hidden_layer_sizes=(7,), learning_rate_init=0.01, batch_size=108,
                      max_iter=300, tol=1e-3, n_iter_no_change=5, early_stopping=True)
    assert ours.n_iter_ == ref.n_iter_ < 300
    np.testing.assert_allclose(ours.validation_scores_, ref.validation_scores_, rtol=1e-10)
    assert _max_rel(_weights(ref), _weights(ours)) <= 1e-10


@pytest.mark.parametrize("kind", ["multiclass", "multilabel", "regression"])
def test_lbfgs_follows_the_same_path(kind):
    ref, ours = _both(kind, solver="lbfgs", max_iter=30, hidden_layer_sizes=(7,), alpha=1e-3)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-8)
    assert _max_rel(_weights(ref), _weights(ours)) <= 1e-6


def test_divergence_with_early_stopping_keeps_the_best_weights():
    X, y = _regression()
    reg = ncs.MLPRegressor(hidden_layer_sizes=(50,), activation="identity", solver="sgd",
                           learning_rate_init=1.0, max_iter=20, early_stopping=True,
                           random_state=0)
    with pytest.warns(ConvergenceWarning, match="non-finite"):
        reg.fit(X * 1e3, y)
    assert np.isnan(reg.validation_scores_[-1])
    assert all(np.isfinite(w).all() for w in _weights(reg))
    assert np.isfinite(reg.predict(X)).all()


def test_divergence_without_early_stopping_is_a_value_error():
    X, y = _regression()
    reg = ncs.MLPRegressor(hidden_layer_sizes=(50,), activation="identity", solver="sgd",
                           learning_rate_init=1.0, max_iter=20, random_state=0)
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        reg.fit(X * 1e3, y)
    assert np.isfinite(reg.model_.get_flat_parameters()).all()  # the model stays valid


@pytest.mark.parametrize("name", ["MLPClassifier", "MLPRegressor"])
def test_scikit_learn_parameters_are_accepted_as_they_are(name):
    """An estimator configured for scikit-learn's MLP configures ours (names, defaults)."""
    theirs = getattr(skl, name)().get_params()
    ours = getattr(ncs, name)().get_params()
    assert {k: ours[k] for k in theirs} == theirs
    X, y = DATA["multiclass" if name == "MLPClassifier" else "regression"]()
    for solver in ("adam", "sgd", "lbfgs"):
        params = {**getattr(skl, name)(solver=solver).get_params(), "max_iter": 3}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = getattr(ncs, name)(**params).fit(X, y)
        assert est.n_iter_ == 3


@pytest.mark.parametrize("bad, match", [
    (dict(momentum=1.5), r"momentum must be in \[0.0, 1.0\]"),
    (dict(solver="newton"), "solver must be one of"),
    (dict(learning_rate="cyclic"), "learning_rate must be one of"),
    (dict(n_iter_no_change=0), "n_iter_no_change"),
    (dict(max_fun=0), "max_fun"),
    (dict(power_t=-1.0), "power_t must be >= 0"),
    (dict(solver="lbfgs", optimizer="rmsprop"), "cannot be combined with solver='lbfgs'"),
    (dict(solver="sgd", learning_rate="adaptive", lr_schedule=__import__("nncore").StepDecay(2)),
     "use one of them"),
])
def test_bad_hyperparameters_are_refused_by_name(bad, match):
    X, y = DATA["binary"]()
    with pytest.raises(ValueError, match=match):
        ncs.MLPClassifier(**bad).fit(X, y)


def test_unknown_regression_loss_is_refused_with_the_choices():
    X, y = _regression()
    with pytest.raises(ValueError, match=r"^MLPRegressor: loss must be one of "
                                         r"\('squared_error', 'poisson'\), got 'gamma'"):
        ncs.MLPRegressor(loss="gamma").fit(X, np.abs(y))


def test_partial_fit_is_not_offered_with_lbfgs():
    assert not hasattr(ncs.MLPClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(ncs.MLPRegressor(solver="lbfgs"), "partial_fit")
    assert hasattr(ncs.MLPRegressor(solver="sgd"), "partial_fit")
