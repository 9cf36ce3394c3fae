"""ONNX export (nncore.onnx_export), verified with onnxruntime.

For every layer type and both dtypes the graph's output on random inputs equals
nncore's: normwise relative error max|ort − nncore| / max|nncore| ≤ 1e-6 (float32)
and ≤ 1e-12 (float64). The largest measured errors are printed at the end of the run.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

import nncore as nc

onnx = pytest.importorskip("onnx", reason="the ONNX tests need the optional `onnx` package "
                                          "(pip install 'nncore[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="the ONNX tests need onnxruntime "
                                                "(pip install onnxruntime)")

from nncore.onnx_export import DEFAULT_OPSET  # noqa: E402

RTOL = {np.float32: 1e-6, np.float64: 1e-12}
_ERRORS: dict = {}


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if tr is None or capture is None or not _ERRORS:
        return
    with capture.global_and_fixture_disabled():
        _write_table(tr)


def _write_table(tr):
    tr.write_line("")
    tr.write_line(f"ONNX (onnxruntime {ort.__version__}, opset {DEFAULT_OPSET}) vs nncore: "
                  "max normwise relative error")
    tr.write_line(f"{'layer':<22}{'float32':>12}{'float64':>12}")
    for layer in sorted({k for k, _ in _ERRORS}):
        cells = [f"{_ERRORS[(layer, d)]:12.2e}" if (layer, d) in _ERRORS else f"{'-':>12}"
                 for d in ("float32", "float64")]
        tr.write_line(f"{layer:<22}{''.join(cells)}")


def run_onnx(proto, X):
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"X": X})[0]


def rel_err(actual, expected):
    a, e = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    return float(np.max(np.abs(a - e)) / np.max(np.abs(e)))


def randomize(model, rng):
    sd = {}
    for slot in model.layout:
        if slot.role == "alpha":
            sd[slot.name] = rng.uniform(0.05, 0.5, size=slot.shape)
        elif slot.role == "weight":
            sd[slot.name] = rng.normal(scale=1 / np.sqrt(model.layers[slot.layer].in_features),
                                       size=slot.shape)
        else:
            sd[slot.name] = rng.normal(scale=0.3, size=slot.shape)
    model.load_state_dict(sd)


# Each case: a model whose middle layer is the layer under test.
CASES = {
    "Dense": lambda: [nc.Dense(5, 7), nc.Dense(7, 3)],
    "Identity": lambda: [nc.Dense(5, 7), nc.Identity(), nc.Dense(7, 3)],
    "Sigmoid": lambda: [nc.Dense(5, 7), nc.Sigmoid(), nc.Dense(7, 3)],
    "Tanh": lambda: [nc.Dense(5, 7), nc.Tanh(), nc.Dense(7, 3)],
    "ReLU": lambda: [nc.Dense(5, 7), nc.ReLU(), nc.Dense(7, 3)],
    "LeakyReLU": lambda: [nc.Dense(5, 7), nc.LeakyReLU(0.1), nc.Dense(7, 3)],
    "PReLU(shared)": lambda: [nc.Dense(5, 7), nc.PReLU(1), nc.Dense(7, 3)],
    "PReLU(per unit)": lambda: [nc.Dense(5, 7), nc.PReLU(7), nc.Dense(7, 3)],
    "ELU": lambda: [nc.Dense(5, 7), nc.ELU(0.7), nc.Dense(7, 3)],
    "Maxout(k=3)": lambda: [nc.Maxout(5, 7, k=3), nc.Dense(7, 3)],
    "Step": lambda: [nc.Dense(5, 7), nc.Step(), nc.Dense(7, 3)],
    "Dropout": lambda: [nc.Dense(5, 7), nc.Tanh(), nc.Dropout(0.5), nc.Dense(7, 3), nc.Dropout()],
    "Softmax": lambda: [nc.Dense(5, 7), nc.Tanh(), nc.Dense(7, 4), nc.Softmax()],
    "deep (all kinds)": lambda: [
        nc.Dense(5, 8), nc.Tanh(), nc.Maxout(8, 8, k=2), nc.LeakyReLU(0.2), nc.Dense(8, 8),
        nc.PReLU(8), nc.Dense(8, 8), nc.ELU(), nc.Dense(8, 8), nc.ReLU(), nc.Dense(8, 8),
        nc.Sigmoid(), nc.Dense(8, 8), nc.Step(), nc.Dense(8, 6), nc.Identity(), nc.Softmax()],
}


def away_from_steps(model, X, margin=1e-3):
    """Rows whose Step inputs are all at least `margin` from 0 (the jump)."""
    keep = np.ones(len(X), dtype=bool)
    outs = model.forward_trace(X)
    for i, layer in enumerate(model.layers):
        if layer.kind == "step":
            keep &= np.all(np.abs(outs[i - 1]) >= margin, axis=1)
    return X[keep]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", list(CASES))
def test_onnxruntime_agrees_with_nncore(case, dtype):
    rng = np.random.default_rng(sum(map(ord, case)) + (32 if dtype == np.float32 else 64))
    model = nc.Sequential(*CASES[case](), dtype=dtype, seed=0)
    randomize(model, rng)
    X = away_from_steps(model, rng.normal(scale=2.0, size=(256, 5)).astype(dtype))
    assert len(X) > 100
    out = run_onnx(model.to_onnx(), X)
    expected = model.predict(X)
    assert out.dtype == dtype and out.shape == expected.shape
    err = rel_err(out, expected)
    key = (case, np.dtype(dtype).name)
    _ERRORS[key] = max(_ERRORS.get(key, 0.0), err)
    assert err <= RTOL[dtype], f"{case} {np.dtype(dtype).name}: relative error {err:.3e}"


def test_graph_uses_the_documented_operators(tmp_path):
    model = nc.Sequential(*CASES["deep (all kinds)"](), seed=0)
    path = tmp_path / "net.onnx"
    returned = model.to_onnx(path)
    loaded = onnx.load(str(path))
    assert loaded == returned
    assert [o.version for o in loaded.opset_import if o.domain in ("", "ai.onnx")] == [DEFAULT_OPSET]
    ops = [n.op_type for n in loaded.graph.node]
    for op in ("Gemm", "Max", "Tanh", "Relu", "Sigmoid", "Greater", "Cast",
               "Identity", "Softmax", "Where", "Exp"):
        assert op in ops, op
    f32 = nc.Sequential(nc.Dense(3, 4), nc.ELU(), nc.Dense(4, 1), dtype=np.float32).to_onnx()
    assert "Elu" in [n.op_type for n in f32.graph.node]
    f32 = nc.Sequential(nc.Dense(3, 4), nc.LeakyReLU(), nc.Dense(4, 4), nc.PReLU(4),
                        dtype=np.float32).to_onnx()
    assert {"LeakyRelu", "PRelu"} <= {n.op_type for n in f32.graph.node}
    maxout = nc.Sequential(nc.Maxout(3, 2, k=4), seed=0).to_onnx()
    (mx,) = [n for n in maxout.graph.node if n.op_type == "Max"]
    assert len(mx.input) == 4  # a Max over the k affine pieces
    inits = {i.name for i in loaded.graph.initializer}
    assert {"0.W", "0.b", "2.W.0", "2.W.1", "5.alpha"} <= inits
    assert loaded.graph.input[0].name == "X" and loaded.graph.output[0].name == "Y"


@pytest.mark.parametrize("opset", [13, 21])
def test_other_opsets(opset):
    model = nc.Sequential(*CASES["deep (all kinds)"](), seed=1)
    X = away_from_steps(model, np.random.default_rng(opset).normal(size=(64, 5)))
    out = run_onnx(model.to_onnx(opset=opset), X)
    assert rel_err(out, model.predict(X)) <= 1e-12


def test_export_errors(monkeypatch):
    model = nc.Sequential(nc.Dense(3, 4), nc.Tanh(), nc.Dense(4, 2), seed=0)
    with pytest.raises(ValueError, match="opset must be an integer in"):
        model.to_onnx(opset=9)

    class Swish(nc.Tanh):  # a layer kind the exporter does not know
        kind = "swish"

        def __repr__(self):
            return "Swish()"

    model.layers[1] = Swish()
    with pytest.raises(ValueError, match=r"layer 1 \(Swish\(\), kind 'swish'\) has no ONNX form"):
        model.to_onnx()
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'nncore\[onnx\]'"):
        nc.Sequential(nc.Dense(2, 1)).to_onnx()


# -- the scikit-learn estimators -------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_estimator_export_matches_predict_proba_and_predict(dtype):
    from sklearn.datasets import load_iris, make_multilabel_classification, make_regression
    from nncore.sklearn import MLPClassifier, MLPRegressor
    np_dtype = np.dtype(dtype).type
    X, y = load_iris(return_X_y=True)
    X = ((X - X.mean(0)) / X.std(0)).astype(np_dtype)
    Xm, Ym = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    Xr, Yr = make_regression(n_samples=60, n_features=4, n_targets=2, random_state=0)
    kw = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0, dtype=dtype)
    cases = [
        (MLPClassifier(**kw).fit(X, y), X, "predict_proba"),                  # multi-class
        (MLPClassifier(**kw).fit(X, np.array(["a", "b"])[y % 2]), X, "predict_proba"),  # binary
        (MLPClassifier(**kw).fit(Xm, Ym), Xm.astype(np_dtype), "predict_proba"),         # multi-label
        (MLPRegressor(**kw).fit(Xr, Yr), Xr.astype(np_dtype), "predict"),              # multi-output
        (MLPRegressor(**kw).fit(Xr, Yr[:, 0]), Xr.astype(np_dtype), "predict"),        # one output
    ]
    for est, Xc, method in cases:
        expected = getattr(est, method)(Xc)
        out = run_onnx(est.to_onnx(), Xc)
        assert out.shape == expected.shape, (est, method)
        assert rel_err(out, expected) <= RTOL[np_dtype], (est, method)
