"""nncore.sklearn: MLPClassifier / MLPRegressor as scikit-learn estimators.

scikit-learn's own estimator checks run on six instances (small max_iter so they
stay fast). Expected failures: the sample-weight equivalence checks on the two
instances that train on shuffled minibatches with large steps (EXPECTED_FAILED says
why); the full-batch lbfgs instances pass them, as scikit-learn's own MLP does.

Longer than 400 lines on purpose: every comparison with scikit-learn on identical weights shares its setup.
"""
from __future__ import annotations

import pickle
import pickletools
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import nncore as nc
from nncore.sklearn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# -- scikit-learn's estimator checks ------------------------------------------------

CHECK_INSTANCES = [
    MLPClassifier(hidden_layer_sizes=(16,), max_iter=50, learning_rate_init=0.01),
    MLPRegressor(hidden_layer_sizes=(16,), max_iter=50, learning_rate_init=0.01),
    MLPClassifier(hidden_layer_sizes=(8, 8), activation="tanh", optimizer="momentum",
                  learning_rate_init=0.1, max_iter=40, dtype="float32", num_threads=1),
    MLPRegressor(hidden_layer_sizes=(8,), activation="elu", optimizer="rmsprop",
                 learning_rate_init=0.01, max_iter=40, dtype="float32"),
    # full batch: how scikit-learn checks its own MLP's sample weights
    MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=60),
    MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=60),
    MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=50, learning_rate_init=0.01, dropout=0.2),
]

# {check name: reason}, per instance (see _expected_failed).
MINIBATCH_WEIGHTS = (
    "shuffled minibatches: a row of weight k and k copies of it land in different batches "
    "(and change the number of steps), so the two fits differ; scikit-learn checks its own "
    "MLP's weights with solver='lbfgs', as the lbfgs instances here do, which pass")
EXPECTED_FAILED: dict = {
    "check_sample_weight_equivalence_on_dense_data": MINIBATCH_WEIGHTS,
    "check_sample_weight_equivalence_on_sparse_data": MINIBATCH_WEIGHTS,
}

DROPOUT_WEIGHTS = dict.fromkeys(
    EXPECTED_FAILED, "dropout: a row of weight k has one mask per step, its k copies have k "
    "independent masks, so the two fits differ")


def _expected_failed(estimator):
    if estimator.dropout > 0:
        return DROPOUT_WEIGHTS
    # the momentum / rmsprop instances (minibatches with large steps) fail these checks
    if estimator.optimizer in ("momentum", "rmsprop"):
        return EXPECTED_FAILED
    return {}


@parametrize_with_checks(CHECK_INSTANCES, expected_failed_checks=_expected_failed)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# -- data ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def small_clf(**kw):
    params = dict(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.02, random_state=0)
    params.update(kw)
    return MLPClassifier(**params)


def small_reg(**kw):
    params = dict(hidden_layer_sizes=(16,), max_iter=200, learning_rate_init=0.01, random_state=0)
    params.update(kw)
    return MLPRegressor(**params)


# -- targets ------------------------------------------------------------------------


def test_multiclass_with_string_labels(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = small_clf().fit(X, names)
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    assert clf.out_activation_ == "softmax" and clf.n_outputs_ == 3
    assert isinstance(clf.model_.layers[-1], nc.Softmax)
    assert clf.score(X, names) > 0.9
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))


def test_binary_uses_one_sigmoid_unit(iris):
    X, y = iris
    yb = np.where(y == 0, "no", "yes")
    clf = small_clf().fit(X, yb)
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    assert isinstance(clf.model_.layers[-1], nc.Sigmoid)
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 2)
    p = clf.model_.predict(X).ravel()
    np.testing.assert_array_equal(proba[:, 1], p)
    np.testing.assert_array_equal(clf.predict(X), np.where(p > 0.5, "yes", "no"))
    assert clf.score(X, yb) > 0.95


def test_multilabel():
    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = small_clf(max_iter=150).fit(X, Y)
    assert clf.n_outputs_ == 4 and clf.out_activation_ == "logistic"
    pred = clf.predict(X)
    assert pred.shape == Y.shape and set(np.unique(pred)) <= {0, 1}
    assert clf.predict_proba(X).shape == (200, 4)
    assert (pred == Y).mean() > 0.85  # per-label accuracy
    # partial_fit learns the labels from the indicator matrix
    inc = small_clf()
    inc.partial_fit(X, Y, classes=np.arange(4))
    assert inc.predict(X).shape == Y.shape


def test_multioutput_regression():
    X, Y = make_regression(n_samples=200, n_features=6, n_targets=3, noise=0.1, random_state=0)
    Y = Y / Y.std(axis=0)
    reg = small_reg().fit(X, Y)
    assert reg.predict(X).shape == (200, 3) and reg.n_outputs_ == 3
    assert reg.score(X, Y) > 0.95
    single = small_reg().fit(X, Y[:, 0])
    assert single.predict(X).shape == (200,)


def test_single_class_is_predicted_as_scikit_learn_does(iris):
    X, _ = iris
    clf = small_clf(max_iter=5).fit(X, np.full(150, "only"))
    assert list(clf.classes_) == ["only"] and clf.n_outputs_ == 1
    assert set(clf.predict(X)) == {"only"}


# -- fitted attributes ---------------------------------------------------------------


def test_fitted_attributes(iris):
    X, y = iris
    clf = small_clf(max_iter=30, tol=0.0).fit(X, y)
    assert clf.n_features_in_ == 4
    assert isinstance(clf.model_, nc.Sequential)
    assert clf.n_iter_ == 30 == len(clf.loss_curve_)
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.t_ == 30 * 150
    assert [c.shape for c in clf.coefs_] == [(4, 16), (16, 3)]
    assert [b.shape for b in clf.intercepts_] == [(16,), (3,)]
    assert clf.n_layers_ == 3
    assert clf.model_.history_.history["loss"] == clf.loss_curve_
    assert clf.loss_ == clf.loss_curve_[-1]


def test_feature_names_in():
    pytest.importorskip("pandas")
    X, y = load_iris(return_X_y=True, as_frame=True)
    clf = small_clf(max_iter=5).fit(X, y)
    np.testing.assert_array_equal(clf.feature_names_in_, X.columns)
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X.to_numpy())


def test_early_stopping_records_validation_scores(iris):
    X, y = iris
    clf = small_clf(early_stopping=True, n_iter_no_change=5, max_iter=500).fit(X, y)
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.n_iter_ < 500
    assert all(0 <= s <= 1 for s in clf.validation_scores_)
    reg = small_reg(early_stopping=True, max_iter=50).fit(*make_regression(
        n_samples=100, n_features=3, noise=1.0, random_state=0))
    assert len(reg.validation_scores_) == reg.n_iter_


def test_tol_stops_on_training_loss(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = small_clf(tol=1.0, n_iter_no_change=2, max_iter=100).fit(X, y)
    # scikit-learn's rule: epoch 1 sets the best; stop when more than 2 epochs in a row
    # missed a gain of 1.0 (epochs 2, 3, 4)
    assert clf.n_iter_ == 4 and clf._no_improvement_count == 3
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        small_clf(max_iter=3, tol=0.0).fit(X, y)


# -- the mapping to nncore ------------------------------------------------------------


def test_fit_is_one_nncore_fit_with_mapped_hyperparameters(iris):
    X, y = iris
    clf = small_clf(max_iter=20, alpha=0.1, batch_size=32, tol=0.0, n_iter_no_change=50).fit(X, y)
    # scikit-learn's initial weights from random_state=0, drawn as scikit-learn draws them
    rng = np.random.RandomState(0)
    init = {}
    for i, (fan_in, fan_out) in ((0, (4, 16)), (2, (16, 3))):
        bound = np.sqrt(6 / (fan_in + fan_out))
        init[f"{i}.W"] = rng.uniform(-bound, bound, (fan_in, fan_out))
        init[f"{i}.b"] = rng.uniform(-bound, bound, fan_out)
    model = nc.Sequential(nc.Dense(4, 16), nc.ReLU(), nc.Dense(16, 3), nc.Softmax(),
                          seed=clf.model_.seed)
    model.load_state_dict(init)
    model.fit(X, y, loss="ce", optimizer=nc.Adam(lr=0.02, eps_inside=True), epochs=20,
              batch_size=32, l2=0.1 / 2, penalty_per_sample=True, verbose=0)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(clf.model_.state_dict()[name], value, err_msg=name)


@pytest.mark.parametrize("name, kind, form", [("sgd", "sgd", "ema"), ("momentum", "momentum", "ema"),
                                              ("rmsprop", "rmsprop", "ema"), ("adam", "adam", "ema")])
def test_optimizer_by_name(iris, name, kind, form):
    X, y = iris
    clf = small_clf(optimizer=name, max_iter=2).fit(X, y)
    opt = clf.model_.optimizer_state["optimizer"]
    assert opt.kind == kind and opt.lr == 0.02 and opt.form == form
    if kind == "rmsprop":
        assert opt.eps_inside  # the lecture's form by default


def test_optimizer_forms_and_objects(iris):
    X, y = iris
    clf = small_clf(optimizer="momentum", momentum=0.5, momentum_form="nesterov", max_iter=2)
    opt = clf.fit(X, y).model_.optimizer_state["optimizer"]
    assert (opt.gamma, opt.form) == (0.5, "nesterov")
    given = nc.RMSprop(lr=0.005, eps_inside=False)
    clf = small_clf(optimizer=given, max_iter=2).fit(X, y)
    used = clf.model_.optimizer_state["optimizer"]
    assert used is not given and used.hyperparameters() == given.hyperparameters()
    with pytest.raises(ValueError, match="momentum_form must be one of"):
        small_clf(optimizer="momentum", momentum_form="heavy").fit(X, y)


def test_lr_schedule_and_dtype(iris):
    X, y = iris
    clf = small_clf(lr_schedule=nc.StepDecay(step_size=2, gamma=0.5), max_iter=6, tol=0.0,
                    dtype="float32").fit(X, y)
    assert clf.model_.history_.history["lr"] == pytest.approx([0.02, 0.02, 0.01, 0.01, 0.005, 0.005])
    assert clf.model_.dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float64  # float64 X: upcast exactly
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("activation, layer", [("logistic", nc.Sigmoid), ("tanh", nc.Tanh),
                                               ("identity", nc.Identity), ("leaky_relu", nc.LeakyReLU),
                                               ("prelu", nc.PReLU), ("elu", nc.ELU),
                                               ("maxout", nc.Maxout)])
def test_activations(iris, activation, layer):
    X, y = iris
    clf = small_clf(activation=activation, max_iter=5).fit(X, y)
    assert any(isinstance(l, layer) for l in clf.model_.layers)


def test_dropout_zero_is_todays_network_and_dropout_trains_with_masks(iris):
    X, y = iris
    plain = small_clf(max_iter=5, tol=0.0).fit(X, y)
    zero = small_clf(max_iter=5, tol=0.0, dropout=0.0).fit(X, y)
    assert [type(l) for l in zero.model_.layers] == [type(l) for l in plain.model_.layers]
    for a, b in zip(zero.coefs_ + zero.intercepts_, plain.coefs_ + plain.intercepts_):
        assert np.array_equal(a, b)
    assert zero.loss_curve_ == plain.loss_curve_
    drop = small_clf(hidden_layer_sizes=(16, 8), max_iter=5, tol=0.0, dropout=0.3).fit(X, y)
    kinds = [l.kind for l in drop.model_.layers]
    assert kinds == ["dense", "relu", "dropout", "dense", "relu", "dropout", "dense", "softmax"]
    assert drop.model_.layers[2].p == 0.3
    again = small_clf(hidden_layer_sizes=(16, 8), max_iter=5, tol=0.0, dropout=0.3).fit(X, y)
    assert np.array_equal(drop.predict_proba(X), again.predict_proba(X))  # random_state fixes it
    assert [c.shape for c in drop.coefs_] == [(4, 16), (16, 8), (8, 3)]
    # prediction uses the whole network: the same as the model without its Dropout layers
    bare = nc.Sequential(*[l for l in drop.model_.layers if l.kind != "dropout"], seed=0)
    bare.set_flat_parameters(drop.model_.get_flat_parameters())
    # (the bare network is small enough for the tiny path, which sums in another order)
    np.testing.assert_allclose(drop.predict_proba(X), bare.predict(X), rtol=1e-12, atol=1e-15)
    assert "dropout : float, default=0.0" in MLPClassifier.__doc__


@pytest.mark.parametrize("value, error, match", [
    (1.0, ValueError, r"dropout .* must be in \[0, 1\), got 1.0"),
    (-0.5, ValueError, r"dropout .* must be in \[0, 1\)"),
    ("0.2", TypeError, "dropout must be a real number"),
])
def test_bad_dropout_is_refused(iris, value, error, match):
    with pytest.raises(error, match=match):
        small_reg(dropout=value).fit(*iris)


def test_dropout_needs_a_stochastic_solver(iris):
    with pytest.raises(ValueError, match="dropout=0.2 needs a stochastic solver"):
        small_clf(solver="lbfgs", dropout=0.2).fit(*iris)


def test_partial_fit_equals_fit_epoch_by_epoch(iris):
    X, y = iris
    full = small_clf(max_iter=3, tol=0.0).fit(X, y)
    inc = small_clf()
    for _ in range(3):
        inc.partial_fit(X, y, classes=np.unique(y))
    assert inc.n_iter_ == 1 and inc.t_ == 3 * 150  # as scikit-learn: n_iter_ per call
    for name, value in full.model_.state_dict().items():
        np.testing.assert_array_equal(inc.model_.state_dict()[name], value, err_msg=name)
    with pytest.raises(ValueError, match="classes must be passed"):
        small_clf().partial_fit(X, y)


def test_warm_start_continues(iris):
    X, y = iris
    clf = small_clf(max_iter=5, tol=0.0, warm_start=True).fit(X, y)
    before = clf.model_
    clf.fit(X, y)
    # as scikit-learn: n_iter_ counts this fit's epochs, loss_curve_ and t_ go on
    assert clf.model_ is before and clf.n_iter_ == 5 and len(clf.loss_curve_) == 10
    assert clf.t_ == 10 * 150
    cold = small_clf(max_iter=5, tol=0.0).fit(X, y)
    model = cold.model_
    cold.fit(X, y)
    assert cold.model_ is not model and cold.n_iter_ == 5


# -- persistence -----------------------------------------------------------------------


def _pickled_strings(data):
    """Every string in the pickle stream (module and class names of what it rebuilds)."""
    return {arg for _, arg, _ in pickletools.genops(data) if isinstance(arg, str)}


@pytest.mark.parametrize("make", [small_clf, small_reg])
def test_pickle_and_joblib_round_trip(iris, tmp_path, make):
    X, y = iris
    est = make(max_iter=10).fit(X, y)
    data = pickle.dumps(est)
    strings = _pickled_strings(data)
    # the model travels as nncore.io's data-only bytes: no C++ object, no _core class
    assert "nncore.io" in strings and "from_bytes" in strings
    assert not any(s.startswith("nncore._core") or "Network" in s for s in strings)
    back = pickle.loads(data)
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
    if hasattr(est, "predict_proba"):
        np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))
    joblib.dump(est, tmp_path / "est.joblib")
    again = joblib.load(tmp_path / "est.joblib")
    np.testing.assert_array_equal(again.predict(X), est.predict(X))
    # the optimizer state travels too: partial_fit continues identically
    est.partial_fit(X, y)
    again.partial_fit(X, y)
    np.testing.assert_array_equal(again.predict(X), est.predict(X))


# -- the scikit-learn toolbox ---------------------------------------------------------------


def test_pipeline_and_cross_val_score():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), small_clf(max_iter=40))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8


def _threads_scorer(estimator, X, y):
    """A 'score' that reports the core's thread count inside the worker."""
    return float(nc.get_num_threads())


def test_grid_search_parallel_uses_one_thread_per_worker(iris):
    X, y = iris
    expected = max(1, joblib.cpu_count() // 2)  # loky's inner_max_num_threads for n_jobs=2
    search = GridSearchCV(small_clf(max_iter=20), {"alpha": [1e-4, 1e-2]}, cv=2, n_jobs=2,
                          scoring={"threads": _threads_scorer, "accuracy": "accuracy"},
                          refit="accuracy")
    search.fit(X, y)
    assert np.all(search.cv_results_["mean_test_threads"] == expected)
    assert search.best_score_ > 0.6
    # the same search in one process gives the same scores (results do not depend on workers)
    serial = GridSearchCV(small_clf(max_iter=20), {"alpha": [1e-4, 1e-2]}, cv=2, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(serial.cv_results_["mean_test_score"],
                                  search.cv_results_["mean_test_accuracy"])


def test_threadpoolctl_limits_nncore(iris, restore_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    X, y = iris
    apis = {info["user_api"] for info in threadpoolctl.threadpool_info()}
    assert "openmp" in apis  # nncore's libgomp is detected
    before = nc.get_num_threads()
    with threadpoolctl.threadpool_limits(1):
        assert nc.get_num_threads() == 1
        small_clf(max_iter=2).fit(X, y)
    assert nc.get_num_threads() == before
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert nc.get_num_threads() == 1


def test_num_threads_applies_during_fit_and_predict(iris, restore_threads, monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import nncore.sklearn._base as nsk
    X, y = iris
    seen = []

    class Recording(nc.Sequential):  # notes the core's thread count inside fit and predict
        def fit(self, *a, **k):
            seen.append(("fit", nc.get_num_threads()))
            return super().fit(*a, **k)

        def predict(self, X):
            seen.append(("predict", nc.get_num_threads()))
            return super().predict(X)

    monkeypatch.setattr(nsk, "Sequential", Recording)
    before = nc.get_num_threads()
    clf = small_clf(max_iter=2, num_threads=1).fit(X, y)
    clf.predict(X)
    assert seen == [("fit", 1), ("predict", 1)]
    assert nc.get_num_threads() == before
    # inside an outer limit the estimator's own setting applies, and the limit is restored
    seen.clear()
    nc.set_num_threads(2)  # (restore_threads puts the original count back)
    with threadpoolctl.threadpool_limits(1):
        small_clf(max_iter=2, num_threads=2).fit(X, y)
        assert nc.get_num_threads() == 1
    assert seen == [("fit", 2)]
    assert nc.get_num_threads() == 2
    with pytest.raises(ValueError, match="num_threads"):
        small_clf(num_threads=0).fit(X, y)


# -- bad input ----------------------------------------------------------------------------


def test_bad_input_messages(iris):
    X, y = iris
    with pytest.raises(NotFittedError):
        small_clf().predict(X)
    clf = small_clf(max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 4"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="Unknown label type"):
        small_clf().fit(X, np.linspace(0, 1, 150))
    with pytest.raises(ValueError, match="requires y to be passed"):
        small_reg().fit(X, None)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be > 0"):
        small_clf(hidden_layer_sizes=(4, 0)).fit(X, y)
    with pytest.raises(ValueError, match="activation must be one of"):
        small_clf(activation="swish").fit(X, y)
    with pytest.raises(ValueError, match="batch_size"):
        small_clf(batch_size=0).fit(X, y)
    with pytest.raises(ValueError, match="dtype"):
        small_clf(dtype="float16").fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        small_clf().fit(np.where(X > 2, np.nan, X), y)
    with pytest.raises(ValueError, match="classes not in"):
        clf2 = small_clf()
        clf2.partial_fit(X, y, classes=[0, 1, 2])
        clf2.partial_fit(X, y + 1)


def test_clone_keeps_parameters():
    est = small_clf(lr_schedule=nc.StepDecay(3), optimizer=nc.Adam(lr=0.1))
    twin = clone(est)
    assert twin.get_params()["lr_schedule"].step_size == 3
    assert "MLPClassifier" in repr(twin)


def test_worked_example_of_scikit_learn():
    """scikit-learn's test_fit (a hand-computed SGD step with alpha = 0.1), with the
    weights set through the nncore model instead of scikit-learn's private buffers."""
    X, y = np.array([[0.6, 0.8, 0.7]]), np.array([0])
    mlp = MLPClassifier(solver="sgd", learning_rate_init=0.1, alpha=0.1, activation="logistic",
                        random_state=1, max_iter=1, hidden_layer_sizes=2, momentum=0)
    mlp.partial_fit(X, y, classes=[0, 1])
    mlp.model_.load_state_dict({"0.W": [[0.1, 0.2], [0.3, 0.1], [0.5, 0]], "0.b": [0.1, 0.1],
                                "2.W": [[0.1], [0.2]], "2.b": [1.0]})
    mlp.partial_fit(X, y)
    np.testing.assert_almost_equal(mlp.coefs_[0], [[0.098, 0.195756], [0.2956664, 0.096008],
                                                   [0.4939998, -0.002244]], decimal=3)
    np.testing.assert_almost_equal(mlp.coefs_[1], [[0.04706], [0.154089]], decimal=3)
    np.testing.assert_almost_equal(mlp.intercepts_[0], [0.098333, 0.09626], decimal=3)
    np.testing.assert_almost_equal(mlp.intercepts_[1], [0.9235], decimal=3)
    np.testing.assert_almost_equal(mlp.predict_proba(X)[0, 1], 0.739, decimal=3)


def test_lbfgs_gradient_is_the_objective_derivative():
    """The L-BFGS objective (scikit-learn's: summed multi-label log-loss + alpha/(2n)·ΣW²)
    against central differences, in float64 (replaces scikit-learn's private-API test)."""
    from nncore.sklearn._solvers import lbfgs
    import scipy.optimize

    X, Y = make_multilabel_classification(n_samples=20, n_features=5, n_classes=3, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs", alpha=0.3,
                        max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, Y)
    captured = {}
    real_minimize = scipy.optimize.minimize

    def capture(fun, x0, **kw):
        captured["fun"], captured["x0"] = fun, x0
        return real_minimize(fun, x0, **kw)

    scipy.optimize.minimize = capture
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            lbfgs(clf, X.astype(np.float64), Y.astype(np.float64), loss="bce", alpha=0.3,
                  scale=3.0)
    finally:
        scipy.optimize.minimize = real_minimize
    fun, theta = captured["fun"], captured["x0"].copy()
    value, grad = fun(theta)
    h = 1e-6
    num = np.array([(fun(theta + h * e)[0] - fun(theta - h * e)[0]) / (2 * h)
                    for e in np.eye(theta.size)])
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-8)
    # the value is scikit-learn's: labels summed, alpha/(2n) penalty on weights only
    clf.model_.set_flat_parameters(theta)
    p = clf.model_.predict(X)
    logloss = -np.mean(np.sum(Y * np.log(p) + (1 - Y) * np.log(1 - p), axis=1))
    penalty = 0.3 / (2 * 20) * sum(float(np.sum(w ** 2)) for w in clf.coefs_)
    assert value == pytest.approx(logloss + penalty, rel=1e-12)


# -- nested parameters, dtypes, documentation ------------------------------------------


def test_schedules_and_optimizers_have_get_and_set_params(iris):
    X, y = iris
    sched, opt = nc.StepDecay(2, gamma=0.5), nc.Adam(lr=0.01)
    assert sched.get_params() == {"step_size": 2, "gamma": 0.5}
    assert opt.set_params(lr=0.02) is opt and opt.lr == 0.02
    with pytest.raises(ValueError, match="lr must be > 0"):
        opt.set_params(lr=-1.0)
    assert opt.lr == 0.02  # a refused value changes nothing
    with pytest.raises(ValueError, match=r"unknown hyperparameter\(s\) \['betta'\]"):
        opt.set_params(betta=0.5)
    for s in (nc.ExponentialDecay(0.9), nc.CosineDecay(5), nc.ReduceOnPlateau(),
              nc.SGD(), nc.Momentum(form="nesterov"), nc.RMSprop()):
        twin = clone(s)
        assert type(twin) is type(s) and twin is not s
        assert twin.get_params() == s.get_params()
    est = small_clf(max_iter=4, tol=0.0, lr_schedule=sched, optimizer=opt)
    keys = est.get_params()
    assert keys["lr_schedule__gamma"] == 0.5 and keys["optimizer__lr"] == 0.02
    est.set_params(lr_schedule__gamma=0.25)
    assert sched.gamma == 0.25
    search = GridSearchCV(est, {"lr_schedule__gamma": [0.25, 0.5], "optimizer__lr": [0.01, 0.02]},
                          cv=2).fit(X, y)
    assert set(search.best_params_) == {"lr_schedule__gamma", "optimizer__lr"}
    best = search.best_estimator_
    assert best.model_.history_.history["lr"] == pytest.approx(
        [best.optimizer.lr * best.lr_schedule.gamma ** (e // 2) for e in range(4)])


@pytest.mark.parametrize("make", [small_clf, small_reg])
def test_float32_input_trains_a_float32_model(iris, make):
    X, y = iris
    est = make(max_iter=3).fit(X.astype(np.float32), y)
    assert est.model_.dtype == np.float32
    assert all(c.dtype == np.float32 for c in est.coefs_ + est.intercepts_)
    out = est.predict_proba(X.astype(np.float32)) if hasattr(est, "predict_proba") \
        else est.predict(X.astype(np.float32))
    assert out.dtype == np.float32
    assert make(max_iter=3).fit(X, y).model_.dtype == np.float64
    assert make(max_iter=3, dtype="float64").fit(X.astype(np.float32), y).model_.dtype == np.float64
    assert make(max_iter=3, dtype="float32").fit(X, y).model_.dtype == np.float32


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_numpydoc_documents_every_parameter_and_html_repr_is_quiet(Estimator):
    from sklearn.utils._repr_html.common import get_docstring

    est = Estimator(lr_schedule=nc.StepDecay(3), optimizer=nc.Adam())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        html = est._repr_html_()
        for name in Estimator().get_params():
            doc = get_docstring(Estimator, "Parameters", name)
            assert doc is not None and len(doc) > len(name) + 20, name
        for name in ("coefs_", "n_iter_", "loss_curve_", "model_"):
            assert get_docstring(Estimator, "Attributes", name) is not None, name
    assert Estimator.__name__ in html
