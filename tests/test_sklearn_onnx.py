"""The estimators in ONNX: to_onnx(label=True) and skl2onnx converters for whole pipelines.

onnxruntime runs every graph; labels must equal predict and probabilities predict_proba
(to float32 rounding where skl2onnx feeds float32).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nncore.sklearn import MLPClassifier, MLPRegressor

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, Y = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(X)
LABELS = {
    "int": Y,
    "str": np.array(["setosa", "versicolor", "virginica"])[Y],
    "binary": np.where(Y == 1, "yes", "no"),
    "float": Y.astype(float) * 2.0,
}


def _run(proto, x):
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x}), [o.name for o in sess.get_outputs()]


def _clf(**kw):
    return MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=60, random_state=0,
                         **kw)


@pytest.mark.parametrize("kind", list(LABELS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_to_onnx_label_output(kind, dtype):
    clf = _clf(dtype=dtype).fit(X, LABELS[kind])
    (label, proba), names = _run(clf.to_onnx(label=True), X.astype(dtype))
    assert names == ["label", "Y"]
    np.testing.assert_array_equal(label, clf.predict(X))
    atol = 1e-6 if dtype == "float32" else 1e-14
    np.testing.assert_allclose(proba, clf.predict_proba(X.astype(dtype)), rtol=0, atol=atol)
    (only,), names = _run(clf.to_onnx(), X.astype(dtype))  # without: probabilities only
    assert names == ["Y"]


def test_to_onnx_multilabel_label_output():
    Xm, Ym = make_multilabel_classification(n_samples=80, n_classes=3, random_state=0)
    clf = _clf().fit(Xm, Ym)
    (label, proba), _ = _run(clf.to_onnx(label=True), Xm.astype(np.float64))
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label, clf.predict(Xm))


def test_to_onnx_label_is_for_classifiers():
    reg = MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="label=True is for classifiers"):
        reg.to_onnx(label=True)


@pytest.mark.parametrize("kind", ["int", "str", "binary"])
@pytest.mark.parametrize("dtype", [None, "float32"])
def test_skl2onnx_exports_a_whole_pipeline(kind, dtype):
    skl2onnx = pytest.importorskip("skl2onnx")
    from nncore.sklearn import register_skl2onnx

    register_skl2onnx()
    Xr, _ = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), _clf(dtype=dtype)).fit(Xr, LABELS[kind])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # skl2onnx's own
        onx = skl2onnx.to_onnx(pipe, Xr[:1].astype(np.float32), options={"zipmap": False})
    (label, proba), _ = _run(onx, Xr.astype(np.float32))
    np.testing.assert_array_equal(label, pipe.predict(Xr))
    np.testing.assert_allclose(proba, pipe.predict_proba(Xr), atol=2e-6)


def test_skl2onnx_regressor_in_double():
    skl2onnx = pytest.importorskip("skl2onnx")
    from nncore.sklearn import register_skl2onnx

    register_skl2onnx()
    Xr, _ = load_iris(return_X_y=True)
    for y in (Xr[:, 0], Xr[:, :2]):
        pipe = make_pipeline(StandardScaler(), MLPRegressor(
            hidden_layer_sizes=(8,), solver="lbfgs", max_iter=40, random_state=0)).fit(Xr, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            onx = skl2onnx.to_onnx(pipe, Xr[:1].astype(np.float64))
        (out,), _ = _run(onx, Xr)
        np.testing.assert_allclose(out.reshape(y.shape), pipe.predict(Xr), rtol=1e-12,
                                   atol=1e-12)
