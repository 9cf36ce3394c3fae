"""loss="poisson" with the Exp output (log link): core vs reference, gradients, refusals,
and MLPRegressor(loss="poisson") against scikit-learn's."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.neural_network._base import poisson_loss

import nncore as nc
import nncore.reference as ref
from nncore.sklearn import MLPRegressor

from conftest import assert_close

# short fits on purpose: they stop at max_iter
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.default_rng(3)
X = RNG.normal(size=(25, 3))
Y = RNG.poisson(2.0, size=(25, 2)).astype(float)   # zeros included (c·log c = 0 there)
W = RNG.uniform(0.0, 2.5, size=25)


def pair(dtype=np.float64, out=2):
    m = nc.Sequential(nc.Dense(3, 6), nc.Tanh(), nc.Dense(6, out), nc.Exp(), dtype=dtype, seed=5)
    r = ref.Sequential(*m.layers, seed=5)
    r.load_state_dict(m.state_dict())
    return m, r


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("w", [None, W])
def test_core_matches_reference(dtype, w):
    m, r = pair(dtype)
    v, g = m.loss_and_grad(X, Y, loss="poisson", l2=0.01, sample_weight=w)
    rv, rg = r.loss_and_grad(X, Y, loss="poisson", l2=0.01, sample_weight=w)
    assert_close(v, rv, dtype, n_reduce=Y.size, component="poisson loss", what="value")
    for k in rg:
        assert_close(g[k], rg[k], dtype, n_reduce=X.shape[0] * 6, component="poisson grad",
                     what=k)


def test_value_is_scikit_learns_half_deviance():
    m, _ = pair()
    h = m.predict(X)
    assert m.loss(X, Y, loss="poisson") == pytest.approx(poisson_loss(Y, h), rel=1e-12)
    assert m.loss(X, Y, loss="poisson", sample_weight=W) == pytest.approx(
        poisson_loss(Y, h, sample_weight=W), rel=1e-12)
    assert m.evaluate(X, Y)["loss"] == pytest.approx(poisson_loss(Y, h), rel=1e-12)  # default


@pytest.mark.parametrize("model", ["core", "reference"])
def test_gradient_by_central_differences(model):
    m = pair()[0 if model == "core" else 1]
    errors = nc.check_gradients(m, X, Y, loss="poisson", l2=1e-3)
    assert max(errors.values()) < 1e-7, errors


def test_fit_trajectories_agree_and_exp_layer_forward_backward():
    m, r = pair()
    kw = dict(loss="poisson", optimizer=nc.Adam(lr=0.01), epochs=4, batch_size=7,
              sample_weight=W, validation_split=0.2)
    hm = m.fit(X, Y, verbose=0, **kw)
    hr = r.fit(X, Y, **kw)
    assert_close(m.get_flat_parameters(), r.get_flat_parameters(), what="weights")
    assert_close(hm.history["val_loss"], hr.history["val_loss"], what="val_loss")
    # Exp as a hidden activation: its own derivative e^a, checked against the reference
    m2 = nc.Sequential(nc.Dense(3, 4), nc.Exp(), nc.Dense(4, 2), seed=1)
    r2 = ref.Sequential(*m2.layers, seed=1)
    r2.load_state_dict(m2.state_dict())
    v, g = m2.loss_and_grad(X, Y)
    rv, rg = r2.loss_and_grad(X, Y)
    assert_close(v, rv, what="mse through Exp")
    for k in rg:
        assert_close(g[k], rg[k], what=k)


def test_bad_input_is_refused_by_name():
    m, r = pair()
    before = m.get_flat_parameters()
    bad = Y.copy()
    bad[3, 1] = -1.0
    for model in (m, r):
        with pytest.raises(ValueError, match=r"^fit: y for loss='poisson' must be >= 0"):
            model.fit(X, bad, loss="poisson", epochs=1, **({"verbose": 0} if model is m else {}))
        with pytest.raises(ValueError, match=r"^loss: y for loss='poisson' must be >= 0"):
            model.loss(X, bad, loss="poisson")
    np.testing.assert_array_equal(m.get_flat_parameters(), before)
    plain = nc.Sequential(nc.Dense(3, 2), seed=0)
    with pytest.raises(ValueError, match="loss='poisson' needs a model whose last layer is Exp"):
        plain.loss(X, Y, loss="poisson")
    with pytest.raises(ValueError, match=r"MLPRegressor: y must be >= 0 for loss='poisson'"):
        MLPRegressor(loss="poisson").fit(X, -Y[:, 0])


@pytest.mark.parametrize("params", [
    dict(solver="sgd", batch_size=10, shuffle=False, max_iter=12),
    dict(solver="adam", batch_size=10, shuffle=False, max_iter=12, early_stopping=True,
         n_iter_no_change=50),
    dict(solver="lbfgs", max_iter=30),
])
def test_regressor_matches_scikit_learn(params):
    y = Y[:, 0]
    common = dict(loss="poisson", hidden_layer_sizes=(5,), alpha=0.01, learning_rate_init=0.01,
                  random_state=0, **params)
    theirs = SkMLPRegressor(**common).fit(X, y, sample_weight=W)
    ours = MLPRegressor(**common).fit(X, y, sample_weight=W)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    tol = 1e-6 if params["solver"] == "lbfgs" else 1e-10
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=tol)
    if params["solver"] != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    if params.get("early_stopping"):
        np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_,
                                   rtol=1e-10)


def test_onnx_graph_has_the_exp_output():
    onnx = pytest.importorskip("onnx")
    from onnx.reference import ReferenceEvaluator
    reg = MLPRegressor(loss="poisson", hidden_layer_sizes=(4,), solver="lbfgs", max_iter=20,
                       random_state=0).fit(X, Y[:, 0])
    proto = reg.to_onnx()
    assert "Exp" in [n.op_type for n in proto.graph.node]
    out = ReferenceEvaluator(proto).run(None, {"X": X})[0]
    np.testing.assert_allclose(np.ravel(out), reg.predict(X), rtol=1e-12)


def test_graph_engine_poisson_gradients_match_the_model():
    m, _ = pair()
    g = m.graph(X[:4], Y[:4], loss="poisson")
    ours = g.backward()
    value, grads = m.loss_and_grad(X[:4], Y[:4], loss="poisson")
    assert g.output.value == pytest.approx(value, rel=1e-12)
    for name, grad in grads.items():
        np.testing.assert_allclose(ours[name], grad, rtol=1e-10, atol=1e-14)
