"""Sample weights: every loss as Σᵢ wᵢ·lossᵢ / Σᵢ wᵢ, in the core, the reference and the
estimators (docs/design.md "Losses"; docs/ecosystem.md).

Core against the NumPy reference (float64 1e-12, float32 1e-5), gradients against central
differences, weights of 1 against no weights, integer weights against repeated rows, and
the estimators against scikit-learn's weighted MLP on identical weights.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import neural_network as skl
from sklearn.datasets import load_iris, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import nncore as nc
import nncore.reference as ref
import nncore.sklearn as ncs

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.default_rng(7)
X = RNG.normal(size=(23, 4))
W = RNG.uniform(0.0, 3.0, size=23)
W[3] = 0.0  # a zero weight is allowed
CASES = {  # loss: (output layer, targets)
    "mse": (nc.Identity, RNG.normal(size=(23, 3))),
    "mse_mean": (nc.Identity, RNG.normal(size=(23, 3))),
    "bce": (nc.Sigmoid, (RNG.uniform(size=(23, 3)) > 0.5).astype(float)),
    "ce": (nc.Softmax, RNG.integers(0, 3, size=23)),
    "poisson": (nc.Exp, RNG.poisson(1.5, size=(23, 3)).astype(float)),
}


def _pair(loss, dtype=np.float64):
    last, _ = CASES[loss]
    layers = lambda: [nc.Dense(4, 5), nc.Tanh(), nc.Dense(5, 3), last()]  # noqa: E731
    return nc.Sequential(*layers(), seed=3, dtype=dtype), ref.Sequential(*layers(), seed=3,
                                                                        dtype=dtype)


def _flat(model, grads):
    return np.concatenate([grads[k].ravel() for k in model.param_names])


@pytest.mark.parametrize("loss", list(CASES))
def test_weighted_loss_and_grad_core_equals_reference(loss):
    y = CASES[loss][1]
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        core, twin = _pair(loss, dtype)
        vc, gc = core.loss_and_grad(X, y, loss=loss, l2=0.01, sample_weight=W)
        vr, gr = twin.loss_and_grad(X, y, loss=loss, l2=0.01, sample_weight=W)
        assert vc == pytest.approx(vr, rel=rtol)
        np.testing.assert_allclose(_flat(core, gc), _flat(twin, gr), rtol=rtol,
                                   atol=rtol * np.abs(_flat(twin, gr)).max())


@pytest.mark.parametrize("loss", list(CASES))
def test_weighted_gradient_matches_central_differences(loss):
    y = CASES[loss][1]
    core, _ = _pair(loss)
    _, g = core.loss_and_grad(X, y, loss=loss, l1=0.0, l2=0.01, sample_weight=W)
    theta = core.get_flat_parameters()
    h, num = 1e-6, np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        core.set_flat_parameters(theta + e)
        up = core.loss(X, y, loss=loss, l2=0.01, sample_weight=W)
        core.set_flat_parameters(theta - e)
        down = core.loss(X, y, loss=loss, l2=0.01, sample_weight=W)
        num[i] = (up - down) / (2 * h)
    core.set_flat_parameters(theta)
    np.testing.assert_allclose(_flat(core, g), num, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loss", list(CASES))
def test_unit_weights_and_repeated_rows(loss):
    y = CASES[loss][1]
    core, _ = _pair(loss)
    v0, g0 = core.loss_and_grad(X, y, loss=loss)
    v1, g1 = core.loss_and_grad(X, y, loss=loss, sample_weight=np.ones(23))
    assert v1 == pytest.approx(v0, rel=1e-15)
    np.testing.assert_allclose(_flat(core, g1), _flat(core, g0), rtol=1e-13, atol=1e-16)
    k = RNG.integers(0, 4, size=23)
    k[0] = 1
    vk, gk = core.loss_and_grad(X, y, loss=loss, sample_weight=k)
    vr, gr = core.loss_and_grad(np.repeat(X, k, axis=0), np.repeat(y, k, axis=0), loss=loss)
    assert vk == pytest.approx(vr, rel=1e-13)
    np.testing.assert_allclose(_flat(core, gk), _flat(core, gr), rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("loss", ["mse", "bce", "ce"])
@pytest.mark.parametrize("penalty_per_sample", [False, True])
def test_weighted_fit_and_train_step_core_equals_reference(loss, penalty_per_sample):
    y = CASES[loss][1]
    core, twin = _pair(loss)
    kw = dict(loss=loss, epochs=6, batch_size=5, l2=0.05, sample_weight=W,
              penalty_per_sample=penalty_per_sample)
    hc = core.fit(X, y, optimizer=nc.Momentum(lr=0.05, form="nesterov"), verbose=0, **kw)
    hr = twin.fit(X, y, optimizer=nc.Momentum(lr=0.05, form="nesterov"), **kw)
    np.testing.assert_allclose(core.get_flat_parameters(), twin.get_flat_parameters(),
                               rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(hc.history["loss"], hr.history["loss"], rtol=1e-11)
    step = dict(loss=loss, l2=0.05, sample_weight=W, penalty_per_sample=penalty_per_sample)
    lc = core.train_step(X, y, optimizer=nc.SGD(lr=0.1), **step)
    lr_ = twin.train_step(X, y, optimizer=nc.SGD(lr=0.1), **step)
    assert lc == pytest.approx(lr_, rel=1e-12)
    np.testing.assert_allclose(core.get_flat_parameters(), twin.get_flat_parameters(),
                               rtol=1e-11, atol=1e-13)


def test_evaluate_is_weighted():
    y = CASES["mse"][1]
    core, _ = _pair("mse")
    out = core.evaluate(X, y, sample_weight=W)
    assert out["loss"] == pytest.approx(core.loss(X, y, sample_weight=W), rel=1e-12)


@pytest.mark.parametrize("bad, exc, match", [
    (np.ones(22), ValueError, r"sample_weight must have shape \(23,\)"),
    (-W, ValueError, "must be >= 0"),
    (np.zeros(23), ValueError, "sums to 0"),
    (np.where(W > 1, np.nan, W), ValueError, "NaN"),
    (np.array(["a"] * 23), TypeError, "dtype"),
])
def test_bad_weights_are_refused_by_name(bad, exc, match):
    core, _ = _pair("mse")
    before = core.get_flat_parameters()
    with pytest.raises(exc, match=match):
        core.fit(X, CASES["mse"][1], sample_weight=bad, verbose=0)
    np.testing.assert_array_equal(core.get_flat_parameters(), before)


# -- validation with sample weights: the held-out rows' weights weigh the validation loss --


@pytest.mark.parametrize("loss", ["mse", "ce", "poisson"])
@pytest.mark.parametrize("per_sample", [False, True])
def test_validation_loss_is_weighted_in_core_and_reference(loss, per_sample):
    y = CASES[loss][1]
    Xv, yv, wv = X[:9] * 0.5, y[:9], W[:9][::-1].copy()
    hists = []
    for model in _pair(loss):
        kw = dict(loss=loss, epochs=3, batch_size=8, l2=0.05, penalty_per_sample=per_sample,
                  sample_weight=W, validation_data=(Xv, yv, wv), shuffle=False)
        fit_kw = {"verbose": 0} if isinstance(model, nc.Sequential) else {}
        hists.append(model.fit(X, y, **kw, **fit_kw))
        # the last epoch's val_loss is the weighted loss of the final weights
        l2v = 0.05 / wv.sum() if per_sample else 0.05
        assert hists[-1].history["val_loss"][-1] == pytest.approx(
            model.loss(Xv, yv, loss=loss, l2=l2v, sample_weight=wv), rel=1e-12)
    np.testing.assert_allclose(hists[0].history["val_loss"], hists[1].history["val_loss"],
                               rtol=1e-12)
    unweighted = _pair(loss)[0]
    h = unweighted.fit(X, y, loss=loss, epochs=3, batch_size=8, sample_weight=W,
                       validation_data=(Xv, yv), shuffle=False, verbose=0)
    assert h.history["val_loss"][-1] != pytest.approx(hists[0].history["val_loss"][-1])


def test_validation_split_keeps_the_held_out_rows_weights():
    y = CASES["mse"][1]
    kw = dict(loss="mse", epochs=4, batch_size=5, early_stopping=2)
    runs = []
    for model in _pair("mse"):
        fit_kw = {"verbose": 0} if isinstance(model, nc.Sequential) else {}
        a = model.fit(X, y, sample_weight=W, validation_split=0.3, **kw, **fit_kw)
        runs.append((a, model.get_flat_parameters()))
    cut = 23 - int(round(23 * 0.3))
    b_model = _pair("mse")[0]
    b = b_model.fit(X[:cut], y[:cut], sample_weight=W[:cut],
                    validation_data=(X[cut:], y[cut:], W[cut:]), verbose=0, **kw)
    assert runs[0][0].history["val_loss"] == b.history["val_loss"]   # the same native run
    np.testing.assert_array_equal(runs[0][1], b_model.get_flat_parameters())
    np.testing.assert_allclose(runs[0][0].history["val_loss"], runs[1][0].history["val_loss"],
                               rtol=1e-12)
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kw, exc, match", [
    (dict(validation_data=(X[:5], CASES["mse"][1][:5], np.ones(4))), ValueError,
     r"^fit: validation_data: sample_weight must have shape \(5,\)"),
    (dict(validation_data=(X[:5], CASES["mse"][1][:5], np.zeros(5))), ValueError,
     r"^fit: validation_data: sample_weight sums to 0"),
    (dict(validation_data=(X[:5], CASES["mse"][1][:5], -np.ones(5))), ValueError,
     r"^fit: validation_data: sample_weight must be >= 0"),
    (dict(validation_data=(X[:5],)), TypeError, r"^fit: validation_data must be a pair"),
    (dict(sample_weight=np.r_[np.ones(16), np.zeros(7)], validation_split=0.3), ValueError,
     r"^fit: validation_split=0.3 leaves validation rows whose sample weights sum to 0"),
])
def test_bad_validation_weights_are_refused_by_name(kw, exc, match):
    for model in _pair("mse"):
        before = model.get_flat_parameters()
        with pytest.raises(exc, match=match):
            model.fit(X, CASES["mse"][1], loss="mse", epochs=1, **kw)
        np.testing.assert_array_equal(model.get_flat_parameters(), before)


# -- the estimators against scikit-learn's weighted MLP -----------------------------------


def _iris():
    X_, y_ = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X_), y_


def _weights(est):
    return est.coefs_ + est.intercepts_


def _max_rel(a, b):
    return max(float(np.abs(p - q).max() / np.abs(p).max()) for p, q in zip(a, b))


@pytest.mark.parametrize("kind, params", [
    ("multiclass", dict(solver="sgd", batch_size=40, shuffle=False, max_iter=15)),
    ("binary", dict(solver="adam", batch_size=32, shuffle=False, max_iter=15)),
    ("multilabel", dict(solver="sgd", batch_size=30, shuffle=False, max_iter=15)),
    ("regression", dict(solver="sgd", batch_size=30, shuffle=False, max_iter=15,
                        learning_rate="invscaling")),
    ("multiclass", dict(solver="lbfgs", max_iter=25)),
    ("binary", dict(solver="sgd", batch_size=32, shuffle=False, max_iter=200, tol=1e-3,
                    early_stopping=True, n_iter_no_change=3)),
    ("regression", dict(solver="adam", batch_size=30, shuffle=False, max_iter=40,
                        early_stopping=True, n_iter_no_change=5)),
])
def test_weighted_estimators_match_scikit_learn(kind, params):
    if kind == "multilabel":
        X_, y_ = make_multilabel_classification(n_samples=120, n_classes=4, random_state=0)
    elif kind == "regression":
        X_, y_ = make_regression(n_samples=120, n_features=5, random_state=0)
        y_ = y_ / y_.std()
    else:
        X_, y_ = _iris()
        if kind == "binary":
            y_ = (y_ == 1).astype(int)
    w = np.random.default_rng(1).uniform(0.2, 3.0, size=X_.shape[0])
    name = "MLPRegressor" if kind == "regression" else "MLPClassifier"
    common = dict(hidden_layer_sizes=(6,), alpha=0.01, learning_rate_init=0.02,
                  random_state=0, **params)
    theirs = getattr(skl, name)(**common).fit(X_, y_, sample_weight=w)
    ours = getattr(ncs, name)(**common).fit(X_, y_, sample_weight=w)
    assert ours.n_iter_ == theirs.n_iter_
    tol = 1e-6 if params["solver"] == "lbfgs" else 1e-10
    assert _max_rel(_weights(theirs), _weights(ours)) <= tol
    if params.get("early_stopping"):
        np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_,
                                   rtol=1e-12)


def test_unit_weights_change_nothing_and_zero_weights_drop_rows():
    X_, y_ = _iris()
    kw = dict(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=30, random_state=0)
    plain = ncs.MLPClassifier(**kw).fit(X_, y_)
    ones = ncs.MLPClassifier(**kw).fit(X_, y_, sample_weight=np.ones(150))
    np.testing.assert_allclose(ones.predict_proba(X_), plain.predict_proba(X_), rtol=1e-10)
    w = np.ones(150)
    w[::3] = 0
    zero = ncs.MLPClassifier(**kw).fit(X_, y_, sample_weight=w)
    kept = ncs.MLPClassifier(**kw).fit(X_[w > 0], y_[w > 0])
    np.testing.assert_allclose(zero.predict_proba(X_), kept.predict_proba(X_), rtol=1e-6)


def test_partial_fit_takes_weights():
    X_, y_ = _iris()
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=150)
    a = ncs.MLPClassifier(hidden_layer_sizes=(6,), solver="sgd", random_state=0, batch_size=50,
                          shuffle=False)
    b = skl.MLPClassifier(hidden_layer_sizes=(6,), solver="sgd", random_state=0, batch_size=50,
                          shuffle=False)
    for _ in range(3):
        a.partial_fit(X_, y_, w, classes=np.unique(y_))
        b.partial_fit(X_, y_, w, classes=np.unique(y_))
    assert _max_rel(_weights(b), _weights(a)) <= 1e-10


def test_metadata_routing_adaboost_and_calibration():
    import sklearn
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.model_selection import cross_validate
    from sklearn.pipeline import Pipeline

    X_, y_ = _iris()
    w = np.random.default_rng(3).uniform(0.5, 2.0, size=150)
    small = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=100, random_state=0)
    # Pipeline fit params
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", ncs.MLPClassifier(**small))])
    pipe.fit(X_, y_, mlp__sample_weight=w)
    direct = ncs.MLPClassifier(**small).fit(StandardScaler().fit_transform(X_), y_,
                                            sample_weight=w)
    np.testing.assert_allclose(pipe[-1].coefs_[0], direct.coefs_[0])
    # metadata routing: set_fit_request, cross_validate(params=...)
    with sklearn.config_context(enable_metadata_routing=True):
        est = ncs.MLPClassifier(**small).set_fit_request(sample_weight=True)
        est.set_score_request(sample_weight=True)
        res = cross_validate(est, X_, y_, params={"sample_weight": w}, cv=3)
        assert res["test_score"].mean() > 0.7
    # AdaBoost reweights through sample_weight; CalibratedClassifierCV passes it on quietly
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        boost = AdaBoostClassifier(ncs.MLPClassifier(**small), n_estimators=3,
                                   random_state=0).fit(X_, y_)
        assert boost.score(X_, y_) > 0.8
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            CalibratedClassifierCV(ncs.MLPClassifier(**small), cv=3).fit(X_, y_,
                                                                         sample_weight=w)
