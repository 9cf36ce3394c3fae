"""Converters to and from PyTorch and scikit-learn: equal outputs, clear refusals."""
from __future__ import annotations

import numpy as np
import pytest

import nncore as nc
import nncore.reference as ref

torch = pytest.importorskip("torch")
sk_nn = pytest.importorskip("sklearn.neural_network")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3))


def _every_torch_layer(dtype):
    nn = torch.nn
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 6), nn.LeakyReLU(0.2),
                         nn.Linear(6, 6), nn.PReLU(6), nn.Linear(6, 4), nn.ELU(0.7),
                         nn.Linear(4, 4), nn.ReLU(), nn.Identity(), nn.Linear(4, 3),
                         nn.Sigmoid(), nn.Linear(3, 3), nn.Softmax(dim=1)).to(dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("cls", [nc.Sequential, ref.Sequential], ids=["native", "reference"])
def test_from_torch_computes_what_torch_computes(dtype, cls):
    torch.manual_seed(0)
    tm = _every_torch_layer(dtype)
    with torch.no_grad():
        tm[5].weight.uniform_(0.1, 0.4)  # PReLU's α, not all equal
        expected = tm(torch.from_numpy(X).to(dtype)).numpy()
    m = cls.from_torch(tm)
    assert m.dtype == (np.float64 if dtype == torch.float64 else np.float32)
    rtol = 1e-12 if dtype == torch.float64 else 1e-5
    np.testing.assert_allclose(m.predict(X), expected, rtol=rtol, atol=rtol)


def test_to_torch_round_trip_and_gradients_agree():
    m = nc.Sequential(nc.Dense(3, 5), nc.ELU(), nc.Dense(5, 4), nc.PReLU(4), nc.Dense(4, 1),
                      nc.Sigmoid(), seed=1)
    tm = m.to_torch()
    with torch.no_grad():
        np.testing.assert_allclose(tm(torch.from_numpy(X)).numpy(), m.predict(X), rtol=1e-13)
    back = nc.from_torch(tm)
    np.testing.assert_array_equal(back.get_flat_parameters(), m.get_flat_parameters())
    # The same mse gradient (lecture's ½·mean) on both sides.
    y = (X[:, 0] > 0).astype(float)
    _, grads = m.loss_and_grad(X, y, loss="mse")
    out = tm(torch.from_numpy(X))
    loss = 0.5 * ((out[:, 0] - torch.from_numpy(y)) ** 2).mean()
    loss.backward()
    np.testing.assert_allclose(grads["0.W"], tm[0].weight.grad.numpy().T, rtol=1e-12)
    np.testing.assert_allclose(grads["3.alpha"], tm[3].weight.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("make, msg", [
    (lambda: torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)), "BatchNorm1d"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Softmax(dim=0)), "dim=0"),
    (lambda: torch.nn.Linear(3, 2), "expected a torch.nn.Sequential"),
])
def test_from_torch_refuses_what_nncore_lacks(make, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        nc.from_torch(make())


def test_to_torch_refuses_maxout():
    m = nc.Sequential(nc.Maxout(3, 2), nc.Dense(2, 1), seed=0)
    with pytest.raises(ValueError, match="layer 0 .*Maxout"):
        m.to_torch()


@pytest.mark.parametrize("est, y", [
    (lambda: sk_nn.MLPClassifier((7, 5), activation="tanh", max_iter=30, random_state=0),
     (X[:, 0] > 0).astype(int)),
    (lambda: sk_nn.MLPClassifier((6,), activation="relu", max_iter=30, random_state=0),
     np.digitize(X[:, 0], [-0.5, 0.5])),
    (lambda: sk_nn.MLPClassifier((6,), activation="logistic", max_iter=30, random_state=0),
     (X[:, :2] > 0).astype(int)),
    (lambda: sk_nn.MLPRegressor(hidden_layer_sizes=(6,), activation="identity", max_iter=30, random_state=0),
     X @ np.array([1.0, -2.0, 0.5])),
    (lambda: sk_nn.MLPRegressor(hidden_layer_sizes=(6,), loss="poisson", max_iter=30,
                                random_state=0),
     np.round(np.exp(X[:, 0]))),
], ids=["binary-tanh", "multiclass-relu", "multilabel-logistic", "regressor", "poisson"])
def test_sklearn_both_ways(est, y):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = est().fit(X, y)
    m = nc.from_sklearn(mlp)
    expected = mlp.predict_proba(X) if hasattr(mlp, "predict_proba") else mlp.predict(X)
    got = m.predict(X)
    if expected.ndim == 2 and expected.shape[1] == 2 and got.shape[1] == 1:
        expected = expected[:, 1:]  # binary: scikit-learn shows both columns
    np.testing.assert_allclose(got, expected.reshape(got.shape), rtol=1e-12, atol=1e-15)
    back = m.to_sklearn(classes=getattr(mlp, "classes_", None)
                        if getattr(mlp, "classes_", np.zeros(0)).ndim == 1 and y.ndim == 1
                        else None)
    np.testing.assert_array_equal(back.predict(X), mlp.predict(X))


def test_to_sklearn_refuses_mixed_activations():
    m = nc.Sequential(nc.Dense(3, 4), nc.Tanh(), nc.Dense(4, 4), nc.ReLU(), nc.Dense(4, 1),
                      seed=0)
    with pytest.raises(ValueError, match="one activation"):
        m.to_sklearn()


def test_dropout_both_ways_with_torch():
    nn = torch.nn
    tm = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Dropout(0.3), nn.Linear(6, 2),
                       nn.Dropout(0.1)).double().eval()
    m = nc.from_torch(tm)
    assert [l.kind for l in m.layers] == ["dense", "relu", "dropout", "dense", "dropout"]
    assert m.layers[2].p == 0.3 and m.layers[4].p == 0.1
    with torch.no_grad():
        np.testing.assert_allclose(m.predict(X), tm(torch.from_numpy(X)).numpy(), rtol=1e-13)
    back = m.to_torch()
    assert isinstance(back[2], nn.Dropout) and back[2].p == 0.3
    with torch.no_grad():
        np.testing.assert_allclose(back.eval()(torch.from_numpy(X)).numpy(), m.predict(X),
                                   rtol=1e-13)


def test_to_sklearn_leaves_dropout_out():
    m = nc.Sequential(nc.Dense(3, 5), nc.Tanh(), nc.Dropout(0.5), nc.Dense(5, 4), nc.Tanh(),
                      nc.Dropout(0.2), nc.Dense(4, 1), nc.Sigmoid(), seed=3)
    est = m.to_sklearn()
    assert [c.shape for c in est.coefs_] == [(3, 5), (5, 4), (4, 1)]
    np.testing.assert_allclose(est.predict_proba(X)[:, 1:], m.predict(X), rtol=1e-12)
