"""Dense(..., bias=False): a = θᵀx as on the slides, through every part of nncore.

No "b" in the arena and no ∂b; the core against the reference (float64 1e-12, float32
1e-5), gradients against central differences, training (the fused optimizer step)
against the reference's loop, the model file (new files and files written before
bias=False existed), ONNX in onnxruntime, the graph, the summary and the converters.
"""
import json
import zipfile

import numpy as np
import pytest

import nncore as nc
import nncore.reference as ref
from conftest import (assert_clean_exit, assert_close, make_X, rng_for, rows_away_from_kinks,
                      run_isolated, twins)

DTYPES = [np.float64, np.float32]
DTYPE_IDS = ["f64", "f32"]

# Each case: layer specs (as conftest.build takes them) with at least one bias-free Dense.
CASES = {
    # the slide's 2-10-1 network: hidden bias, output without (40 parameters)
    "slide 2-10-1": [("Dense", (2, 10), {}), ("Sigmoid", (), {}),
                     ("Dense", (10, 1), {"bias": False}), ("Sigmoid", (), {})],
    "no bias anywhere": [("Dense", (3, 17), {"bias": False}), ("Tanh", (), {}),
                         ("Dense", (17, 33), {"bias": False}), ("ELU", (), {}),
                         ("Dense", (33, 2), {"bias": False})],
    "last layer, no activation": [("Dense", (5, 4), {}), ("ReLU", (), {}),
                                  ("Dense", (4, 3), {"bias": False})],
    "before PReLU and Softmax": [("Dense", (4, 6), {"bias": False}), ("PReLU", (6,), {}),
                                 ("Dense", (6, 3), {"bias": False}), ("Softmax", (), {})],
    "wide (threaded passes)": [("Dense", (8, 300), {"bias": False}), ("Tanh", (), {}),
                               ("Dense", (300, 2), {})],
}


def targets(model, n, rng):
    if model.layers[-1].kind == "softmax":
        return rng.integers(0, model.n_outputs, size=n), "ce"
    if model.layers[-1].kind == "sigmoid":
        return (rng.random(size=n) < 0.5).astype(np.float64), "bce"
    return rng.normal(size=(n, model.n_outputs)), "mse"


def test_the_arena_has_no_bias_and_the_slide_network_has_40_parameters():
    m = nc.Sequential(nc.Dense(2, 10), nc.Sigmoid(), nc.Dense(10, 1, bias=False), nc.Sigmoid(),
                      seed=0)
    assert m.num_parameters == 40
    assert m.param_names == ["0.W", "0.b", "2.W"]
    assert [(s.name, s.offset, s.size) for s in m.layout] == [
        ("0.W", 0, 20), ("0.b", 20, 10), ("2.W", 30, 10)]
    assert repr(m.layers[2]) == "Dense(10, 1, bias=False)"
    assert nc.Dense(3, 2, bias=False).param_specs() == [("W", (3, 2), "weight")]
    r = ref.Sequential(ref.Dense(2, 10), ref.Sigmoid(), ref.Dense(10, 1, bias=False), seed=0)
    assert r.num_parameters == 40 and r.param_names == ["0.W", "0.b", "2.W"]


def test_the_core_refuses_a_bias_free_maxout_spec():
    # Only Dense can drop its bias; a hand-made spec saying otherwise is an error, not a
    # silently different layout (Python's Maxout has no bias argument at all).
    proc = run_isolated("""
        from nncore._core import LayerKind, LayerSpec, Network64
        try:
            Network64([LayerSpec(LayerKind.maxout, 2, 3, k=2, bias=False)])
        except ValueError as e:
            print("OK", e)
    """)
    assert_clean_exit(proc)
    assert "layer 0 (Maxout) cannot drop its bias" in proc.stdout


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("n", [1, 17, 300])
@pytest.mark.parametrize("case", list(CASES))
def test_core_matches_reference(case, n, dtype):
    specs = CASES[case]
    rng = rng_for("nobias", case, n)
    core, twin = twins(specs, dtype=dtype, seed=3, rng=rng)
    X = make_X(6 * n + 20, core.n_features, rng)
    X = X[rows_away_from_kinks(twin, X, margin=1e-3)][:n].astype(dtype)
    assert X.shape[0] == n
    X64 = X.astype(np.float64)
    red = X.shape[0] + 300
    assert_close(core.predict(X), twin.predict(X64), dtype, red, component="Dense(bias=False)",
                 what="predict")
    for i, (g, e) in enumerate(zip(core.forward_trace(X), twin.forward_trace(X64))):
        assert_close(g, e, dtype, red, component="Dense(bias=False)", what=f"trace[{i}]")
    y, loss = targets(core, X.shape[0], rng)
    value, grads = core.loss_and_grad(X, y, loss=loss, l2=0.01)
    ref_value, ref_grads = twin.loss_and_grad(X64, y, loss=loss, l2=0.01)
    assert_close(value, ref_value, dtype, red, component="Dense(bias=False)", what="loss")
    assert list(grads) == core.param_names == twin.param_names
    for name in grads:
        assert_close(grads[name], ref_grads[name], dtype, red, component="Dense(bias=False)",
                     what=f"grad {name}")


@pytest.mark.parametrize("case", list(CASES))
def test_gradients_match_central_differences(case):
    rng = rng_for("nobias-gradcheck", case)
    core, _ = twins(CASES[case], dtype=np.float64, seed=5, rng=rng)
    X = make_X(9, core.n_features, rng)
    y, loss = targets(core, 9, rng)
    X = X[rows_away_from_kinks(core, X, margin=1e-3)]  # central differences need no kink
    y = y[:X.shape[0]]
    assert X.shape[0] >= 4
    _, grads = core.loss_and_grad(X, y, loss=loss)
    theta = core.get_flat_parameters().copy()
    eps = 1e-6
    numeric = np.empty_like(theta)
    for j in range(theta.size):
        t_plus, t_minus = theta.copy(), theta.copy()
        t_plus[j] += eps
        t_minus[j] -= eps
        core.set_flat_parameters(t_plus)
        f_plus = core.loss(X, y, loss=loss)
        core.set_flat_parameters(t_minus)
        numeric[j] = (f_plus - core.loss(X, y, loss=loss)) / (2 * eps)
    core.set_flat_parameters(theta)
    analytic = np.concatenate([grads[k].ravel() for k in core.param_names])
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("case", ["slide 2-10-1", "no bias anywhere", "wide (threaded passes)"])
def test_training_matches_the_reference(case, dtype):
    # fit runs the fused step (the optimizer inside the weight-gradient GEMM; biases, α
    # after the pass): with a missing bias block nothing may be skipped or run twice.
    rng = rng_for("nobias-fit", case)
    core, twin = twins(CASES[case], dtype=dtype, seed=7, rng=rng)
    X = make_X(40, core.n_features, rng)
    y, loss = targets(core, 40, rng)
    kw = dict(loss=loss, epochs=5, batch_size=16, l2=0.001, seed=1)
    # float32 with SGD: Adam's g/√v turns float32 rounding of tiny gradients into
    # relative differences far above the rounding of the arithmetic compared here
    opt = (lambda: nc.Adam(lr=0.01)) if dtype == np.float64 else (lambda: nc.SGD(lr=0.01))
    core.fit(X, y, optimizer=opt(), verbose=0, **kw)
    twin.fit(X, y, optimizer=opt(), **kw)
    for name, value in twin.state_dict().items():
        assert_close(core.state_dict()[name], value, dtype, 300, reordered=True,
                     component="Dense(bias=False) fit", what=name)


def test_one_and_two_threads_are_bitwise_identical(restore_threads):
    rng = rng_for("nobias-threads")
    X = make_X(2000, 8, rng)
    y = rng.normal(size=(2000, 2))
    results = []
    for threads in (1, 2):
        nc.set_num_threads(threads)
        m = nc.Sequential(nc.Dense(8, 300, bias=False), nc.Tanh(), nc.Dense(300, 2), seed=2)
        m.fit(X, y, loss="mse", optimizer=nc.SGD(lr=0.01), epochs=2, batch_size=500, verbose=0)
        results.append((m.get_flat_parameters().copy(), m.loss_and_grad(X, y)[1]["0.W"]))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("cls", [nc.Sequential, ref.Sequential], ids=["core", "reference"])
def test_save_load_round_trip(tmp_path, cls):
    L = nc if cls is nc.Sequential else ref
    from nncore import io
    m = cls(L.Dense(2, 10), L.Sigmoid(), L.Dense(10, 1, bias=False), L.Sigmoid(), seed=4)
    path = tmp_path / "m.nncore"
    m.save(path)
    back = io.load(path, cls)
    assert back.num_parameters == 40 and back.param_names == m.param_names
    assert repr(back.layers[2]) == "Dense(10, 1, bias=False)"
    np.testing.assert_array_equal(back.get_flat_parameters(), m.get_flat_parameters())
    with zipfile.ZipFile(path) as z:
        names = sorted(z.namelist())
        header = json.loads(np.load(z.open("__nncore__.npy")).tobytes())
    assert "param/2.b.npy" not in names
    assert header["layers"][2]["config"] == {"in_features": 10, "out_features": 1,
                                             "bias": False}
    assert header["layers"][0]["config"] == {"in_features": 2, "out_features": 10}


def test_a_file_written_before_bias_false_existed_still_loads(tmp_path):
    # What nncore wrote before: Dense configs without a "bias" key and a "b" per Dense.
    rng = np.random.default_rng(0)
    params = {"0.W": rng.normal(size=(2, 3)), "0.b": rng.normal(size=3),
              "2.W": rng.normal(size=(3, 1)), "2.b": rng.normal(size=1)}
    header = {"format": "nncore", "version": 1, "dtype": "float64", "seed": 11,
              "epochs_done": 0, "optimizer": None,
              "layers": [{"type": "Dense", "config": {"in_features": 2, "out_features": 3}},
                         {"type": "Tanh", "config": {}},
                         {"type": "Dense", "config": {"in_features": 3, "out_features": 1}},
                         {"type": "Sigmoid", "config": {}}]}
    path = tmp_path / "old.nncore"
    arrays = {f"param/{k}": v for k, v in params.items()}
    arrays["__nncore__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    m = nc.load(path)
    assert m.num_parameters == 13 and all(l.bias for l in m.layers if l.kind == "dense")
    for k, v in params.items():
        np.testing.assert_array_equal(m.state_dict()[k], v)
    X = rng.normal(size=(5, 2))
    expected = 1 / (1 + np.exp(-(np.tanh(X @ params["0.W"] + params["0.b"]) @ params["2.W"]
                                 + params["2.b"])))
    np.testing.assert_allclose(m.predict(X), expected, rtol=1e-12)


def test_a_file_with_a_bias_array_for_a_bias_free_layer_is_refused(tmp_path):
    m = nc.Sequential(nc.Dense(2, 3, bias=False), seed=0)
    path = tmp_path / "m.nncore"
    m.save(path)
    with zipfile.ZipFile(path, "a") as z:
        with z.open("param/0.b.npy", "w") as f:
            np.lib.format.write_array(f, np.zeros(3))
    with pytest.raises(ValueError):
        nc.load(path)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_onnx_runs_in_onnxruntime(dtype):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    rng = rng_for("nobias-onnx", dtype)
    m, _ = twins(CASES["no bias anywhere"], dtype=dtype, seed=0, rng=rng)
    proto = m.to_onnx()
    assert not any(init.name.endswith(".b") for init in proto.graph.initializer)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    X = make_X(64, 3, rng).astype(dtype)
    out = sess.run(None, {"X": X})[0]
    expected = m.predict(X)
    err = np.max(np.abs(out - expected)) / np.max(np.abs(expected))
    assert err <= (1e-12 if dtype == np.float64 else 1e-6)


def test_the_graph_has_no_bias_node_and_its_gradients_match():
    rng = rng_for("nobias-graph")
    m, _ = twins(CASES["slide 2-10-1"], dtype=np.float64, seed=0, rng=rng)
    X = make_X(6, 2, rng)
    y = (rng.random(6) < 0.5).astype(float)
    g = m.graph(X, y, loss="bce")
    names = [node.name for node in g.nodes]
    assert "b1" in names and "b2" not in names and "m2" not in names
    g.backward()
    _, grads = m.loss_and_grad(X, y, loss="bce")
    np.testing.assert_allclose(g["W2"].grad, grads["2.W"], rtol=1e-12)
    np.testing.assert_allclose(g["b1"].grad, grads["0.b"], rtol=1e-12)


def test_summary_counts_no_bias():
    from nncore import summary
    m = nc.Sequential(nc.Dense(2, 10), nc.Sigmoid(), nc.Dense(10, 1, bias=False), nc.Sigmoid(),
                      seed=0)
    rows = {r[0]: r for r in summary.rows(m)}
    assert rows[2][1] == "Dense(10, 1, bias=False)" and rows[2][3] == 10
    assert summary.text(m).splitlines()[-1].split()[:3] == ["total", "40", "320"]


def test_torch_linear_without_bias_both_ways():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(2, 10), torch.nn.Sigmoid(),
                             torch.nn.Linear(10, 1, bias=False), torch.nn.Sigmoid()).double()
    m = nc.from_torch(tm)
    assert m.num_parameters == 40 and not m.layers[2].bias
    X = np.random.default_rng(1).normal(size=(20, 2))
    with torch.no_grad():
        np.testing.assert_allclose(m.predict(X), tm(torch.from_numpy(X)).numpy(), rtol=1e-13)
    back = m.to_torch()
    assert back[2].bias is None
    y = (X[:, 0] > 0).astype(float)
    _, grads = m.loss_and_grad(X, y, loss="mse")
    out = back(torch.from_numpy(X))
    (0.5 * ((out[:, 0] - torch.from_numpy(y)) ** 2).mean()).backward()
    np.testing.assert_allclose(grads["2.W"], back[2].weight.grad.numpy().T, rtol=1e-12)
    np.testing.assert_allclose(grads["0.b"], back[0].bias.grad.numpy(), rtol=1e-12)


def test_to_sklearn_gives_a_bias_free_layer_zero_intercepts():
    pytest.importorskip("sklearn")
    m = nc.Sequential(nc.Dense(2, 4), nc.Tanh(), nc.Dense(4, 1, bias=False), nc.Sigmoid(),
                      seed=0)
    est = m.to_sklearn()
    np.testing.assert_array_equal(est.intercepts_[1], np.zeros(1))
    X = np.random.default_rng(2).normal(size=(30, 2))
    np.testing.assert_allclose(est.predict_proba(X)[:, 1], m.predict(X)[:, 0], rtol=1e-12)
