"""The playground's server: a real uvicorn server on 127.0.0.1 in a thread, driven over HTTP.

Runs train with the native fit in their worker threads; the views, the backprop steps
and the take-home file and snippet are checked against the model itself.
"""
from __future__ import annotations

import base64
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

import nncore

# Where the nncore under test lives (site-packages in CI, python/ in the dev loop):
# the CLI subprocesses must import the same one.
PACKAGE_PARENT = str(pathlib.Path(nncore.__file__).resolve().parents[1])

pytest.importorskip("starlette", reason="the playground needs starlette (pip install nncore[playground])")
pytest.importorskip("uvicorn", reason="the playground needs uvicorn (pip install nncore[playground])")

import nncore as nc  # noqa: E402
from nncore.native.threads import requested_num_threads  # noqa: E402
from nncore.playground import PlaygroundServer  # noqa: E402
from nncore.playground.datasets import DATASETS, N_TEST, N_TRAIN, make_split  # noqa: E402
from nncore.playground.views import GRID  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
XOR_241 = {"data": {"name": "xor", "noise": 0.0, "seed": 0},
           "network": {"hidden": [{"width": 4, "activation": "tanh"}], "seed": 0}}
DEADLINE = 120.0   # seconds a run may take to get somewhere on a busy 2-core machine


class Client:
    def __init__(self, url):
        self.url = url

    def raw(self, path, body=None, method=None, data=None):
        if data is None and body is not None:
            data = json.dumps(body).encode()
        req = urllib.request.Request(self.url + path.lstrip("/"), data=data,
                                     method=method or ("POST" if data is not None else "GET"))
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, path, body=None, method=None, data=None, status=200):
        code, headers, raw = self.raw(path, body, method, data)
        assert headers["content-type"].startswith("application/json"), (path, raw[:200])
        out = json.loads(raw)
        assert code == status, (path, code, out)
        return out

    def session(self, settings=XOR_241):
        return self.json("api/sessions", settings)["session"]

    def state(self, sid, after=0):
        return self.json(f"api/sessions/{sid}/state?after={after}")

    def wait(self, sid, until, what):
        """Poll snapshots until `until(snapshot)`; fails after DEADLINE seconds."""
        after, end = 0, time.monotonic() + DEADLINE
        while time.monotonic() < end:
            snap = self.state(sid, after)["snapshot"]
            if snap is not None:
                after = snap["version"]
                if until(snap):
                    return snap
        pytest.fail(f"playground: {what} not reached within {DEADLINE} s")


@pytest.fixture(scope="module")
def server():
    before = requested_num_threads()
    nc.set_num_threads(1)      # as `nncore playground` does: one core thread per run
    s = PlaygroundServer(port=0).start()
    yield s
    s.stop()
    nc.set_num_threads(before)


@pytest.fixture
def client(server):
    return Client(server.url)


def paused_run(client, settings=XOR_241, epochs=0):
    """A run trained for at least `epochs` epochs, then paused."""
    sid = client.session(settings)
    if epochs:
        client.json(f"api/sessions/{sid}/play", {})
        client.wait(sid, lambda s: s["epoch"] >= epochs, f"epoch {epochs}")
        client.json(f"api/sessions/{sid}/pause", {})
    return sid


def download(client, sid, tmp_path, name="m.nncore"):
    code, headers, raw = client.raw(f"api/sessions/{sid}/model.nncore")
    assert code == 200 and "attachment" in headers["content-disposition"]
    path = tmp_path / name
    path.write_bytes(raw)
    return nc.load(path)


def test_page_and_its_files_are_served(client):
    code, headers, page = client.raw("/")
    assert code == 200 and b"<title>nncore playground</title>" in page
    for name in ("js/app.js", "js/draw.js", "js/network.js", "js/backprop.js", "js/features.js",
                 "style.css"):
        code, _, body = client.raw(f"static/{name}")
        assert code == 200 and body, name
    # Only the static folder is served: no way up into the package.
    assert client.raw("static/../session.py")[0] == 404
    assert client.raw("static/%2e%2e/session.py")[0] == 404


def test_options_name_what_the_page_offers(client):
    o = client.json("api/options")
    assert set(o["datasets"]) == set(DATASETS) == {"moons", "xor", "circles", "spirals", "blobs"}
    assert {"sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "maxout"} <= set(o["activations"])
    assert o["optimizers"] == ["gd", "momentum", "rmsprop", "adam"]
    assert "constant" in o["inits"]
    assert (o["n_train"], o["n_test"]) == (N_TRAIN, N_TEST) == (100, 1000)
    assert o["limits"]["width"] == [1, 32] and o["limits"]["hidden_layers"] == [0, 6]


def read_events(url, count):
    """The first `count` server-sent events of `url` as (event name, parsed data)."""
    out, name = [], "message"
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        while len(out) < count:
            line = r.readline().decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                out.append((name, json.loads(line[6:])))
                name = "message"
    return out


def test_the_page_gets_every_new_snapshot_and_every_curve_row_as_events(client):
    sid = client.session()
    client.json(f"api/sessions/{sid}/play", {})
    events = read_events(f"{client.url}api/sessions/{sid}/events", 20)
    client.json(f"api/sessions/{sid}/pause", {})
    snaps = [e for name, e in events if name == "message"]
    curves = [e for name, e in events if name == "curve"]
    assert len(snaps) == len(curves) == 10
    versions = [s["version"] for s in snaps]
    assert versions == sorted(set(versions)) and snaps[-1]["epoch"] > snaps[0]["epoch"]
    rows = [row for c in curves for row in c["curve"]]       # consecutive, none lost
    assert curves[0]["curve_start"] == 0
    assert [c["curve_start"] for c in curves[1:]] == list(np.cumsum([len(c["curve"]) for c in curves])[:-1])
    assert [r[0] for r in rows] == list(range(rows[0][0], rows[0][0] + len(rows)))
    assert client.json(f"api/sessions/{sid}/close", {})["ok"]
    assert client.raw(f"api/sessions/{sid}/events")[0] == 404


def test_the_lecture_network_has_41_parameters(client):
    sid = client.session({"network": {"hidden": [{"width": 10, "activation": "tanh"}]}})
    assert client.state(sid)["snapshot"]["num_parameters"] == 41


def test_data_sets_are_seeded_and_the_page_gets_the_same_points(client):
    for name in DATASETS:
        (X, y), (Xt, yt) = make_split(name, 0.05, 7)
        assert X.shape == (N_TRAIN, 2) and Xt.shape == (N_TEST, 2)
        assert set(np.unique(y)) == {0.0, 1.0} and abs(y.mean() - 0.5) <= 0.1
        (X2, _), _ = make_split(name, 0.05, 7)
        np.testing.assert_array_equal(X, X2)
        assert not np.array_equal(X[:10], Xt[:10])
    sid = client.session({"data": {"name": "spirals", "noise": 0.05, "seed": 7}})
    d = client.json(f"api/sessions/{sid}/data")
    (X, y), (Xt, yt) = make_split("spirals", 0.05, 7)
    np.testing.assert_allclose(d["train"], X, atol=1e-5)
    np.testing.assert_array_equal(d["train_y"], y)
    np.testing.assert_allclose(d["test"], Xt, atol=1e-5)


def test_xor_241_tanh_trains_to_100_percent_and_the_views_are_the_models(client, tmp_path):
    sid = client.session()
    first = client.state(sid)["snapshot"]
    assert first["epoch"] == 0 and first["num_parameters"] == 17
    client.json(f"api/sessions/{sid}/play", {})
    snap = client.wait(sid, lambda s: s["metrics"]["train_accuracy"] == 1.0, "100 % on XOR")
    client.json(f"api/sessions/{sid}/pause", {})
    assert snap["epoch"] > 0 and snap["error"] is None
    assert snap["boundary"] != first["boundary"]
    # The paused run's last snapshot shows exactly the downloaded model.
    snap = client.state(sid)["snapshot"]
    model = download(client, sid, tmp_path)
    assert model._epochs_done == snap["epoch"]
    d = client.json(f"api/sessions/{sid}/data")
    x0, x1, y0, y1 = d["box"]
    gx, gy = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y1, y0, GRID))
    p = model.predict(np.c_[gx.ravel(), gy.ravel()])[:, 0]
    shown = np.frombuffer(base64.b64decode(snap["boundary"]), dtype=np.uint8)
    np.testing.assert_array_equal(shown, np.clip(np.rint(p * 255), 0, 255))
    (X, y), (Xt, yt) = make_split("xor", 0.0, 0)
    assert snap["metrics"]["train_accuracy"] == model.evaluate(X, y)["accuracy"] == 1.0
    assert snap["metrics"]["test_accuracy"] == pytest.approx(model.evaluate(Xt, yt)["accuracy"])
    W = model.named_parameters()["0.W"]
    np.testing.assert_allclose(snap["weights"][0]["W"], W, atol=1e-5)
    # Hidden units: 4 thumbnails of tanh outputs, scale 1.
    (layer,) = snap["neurons"]
    assert len(base64.b64decode(layer["images"])) == 4 * d["thumb"] ** 2
    assert layer["scale"] == [1.0] * 4


def test_feature_space_of_a_two_unit_layer(client):
    sid = client.session({"network": {"hidden": [{"width": 2, "activation": "tanh"}]}})
    snap = client.state(sid)["snapshot"]
    (f,) = snap["features"]
    assert f["layer"] == 0 and np.shape(f["points"]) == (N_TRAIN, 2)
    assert np.abs(f["points"]).max() <= 1.0     # tanh outputs


def test_backprop_steps_are_model_graph(client, tmp_path):
    settings = {"data": {"name": "moons", "noise": 0.1, "seed": 3},
                "network": {"hidden": [{"width": 3, "activation": "elu"},
                                       {"width": 2, "activation": "prelu"}]},
                "training": {"l2": 0.01, "l1": 0.001}}
    sid = paused_run(client, settings, epochs=3)
    bp = client.json(f"api/sessions/{sid}/backprop", {"point": 17})
    model = download(client, sid, tmp_path)
    (X, y), _ = make_split("moons", 0.1, 3)
    g = model.graph(X[17:18], y[17:18], loss="bce", l1=0.001, l2=0.01)
    g.backward()
    assert [n["name"] for n in bp["nodes"]] == [n.name for n in g.nodes]
    for shown, node in zip(bp["nodes"], g.nodes):
        np.testing.assert_array_equal(shown["value"], node.value)
        if node.grad is None:
            assert shown["grad"] is None
        else:
            np.testing.assert_array_equal(shown["grad"], node.grad)
    # One step per operation, from L back; every leaf's gradient is completed once.
    ops = [n.name for n in reversed(g.nodes) if not n.is_leaf]
    assert [s["node"] for s in bp["steps"]] == ops
    done = [name for s in bp["steps"] for name in s["done"]]
    assert sorted(done) == sorted(n.name for n in g.nodes if n.is_leaf and n.grad is not None)
    # The chain-rule product of an activation: ∂L/∂a = ∂L/∂h ⊙ f'(a).
    act = next(s for s in bp["steps"] if s["passes"] and s["passes"][0]["factor"] is not None)
    p = act["passes"][0]
    np.testing.assert_allclose(np.multiply(act["grad"], p["factor"]), p["grad"], rtol=1e-15)
    assert bp["value"] == pytest.approx(float(g.output.value), rel=1e-15)
    assert client.state(sid)["snapshot"]["playing"] is False


def test_snippet_continues_the_same_run(client, tmp_path, monkeypatch):
    settings = {**XOR_241, "training": {"optimizer": "momentum", "lr": 0.1, "gamma": 0.8,
                                        "batch_size": 7, "decay_every": 2, "l2": 0.001}}
    sid = paused_run(client, settings, epochs=4)
    code, _, raw = client.raw(f"api/sessions/{sid}/model.nncore")
    (tmp_path / "playground-model.nncore").write_bytes(raw)
    code, headers, text = client.raw(f"api/sessions/{sid}/snippet.py")
    assert code == 200 and headers["content-type"].startswith("text/x-python")
    source = text.decode()
    assert "nc.Momentum(lr=0.1, gamma=0.8)" in source and "nc.StepDecay(step_size=2" in source
    epochs0 = client.state(sid)["snapshot"]["epoch"]
    # Three more epochs in the page (Step) and in the snippet.
    for _ in range(3):
        client.json(f"api/sessions/{sid}/step", {})
    client.wait(sid, lambda s: s["epoch"] == epochs0 + 3, "three steps")
    page_model = download(client, sid, tmp_path, "after.nncore")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(source.replace("epochs=100", "epochs=3"), "playground_run.py", "exec"), namespace)
    np.testing.assert_array_equal(namespace["model"].get_flat_parameters(),
                                  page_model.get_flat_parameters())
    fresh = namespace["fresh"]
    assert fresh.num_parameters == page_model.num_parameters == 17


def test_softmax_output_with_maxout_and_prelu(client, tmp_path, monkeypatch):
    settings = {"data": {"name": "circles", "noise": 0.05, "seed": 1},
                "network": {"hidden": [{"width": 3, "activation": "maxout"},
                                       {"width": 2, "activation": "prelu"}],
                            "output": "softmax", "init": "he_uniform", "seed": 4},
                "training": {"optimizer": "rmsprop", "lr": 0.01}}
    sid = paused_run(client, settings, epochs=3)
    snap = client.state(sid)["snapshot"]
    assert [len(n["scale"]) for n in snap["neurons"]] == [3, 2] and snap["widths"] == [2, 3, 2, 1]
    bp = client.json(f"api/sessions/{sid}/backprop", {"point": 3})
    code, _, raw = client.raw(f"api/sessions/{sid}/model.nncore")
    (tmp_path / "playground-model.nncore").write_bytes(raw)
    model = nc.load(tmp_path / "playground-model.nncore")
    assert model.layers[-1].kind == "softmax" and model.n_outputs == 2
    (X, y), _ = make_split("circles", 0.05, 1)
    g = model.graph(X[3:4], y[3:4].astype(int), loss="ce")
    g.backward()
    for shown, node in zip(bp["nodes"], g.nodes):
        np.testing.assert_array_equal(shown["value"], node.value)
        if node.grad is not None:
            np.testing.assert_array_equal(shown["grad"], node.grad)
    # The snippet rebuilds the same architecture and continues with class labels.
    source = client.raw(f"api/sessions/{sid}/snippet.py")[2].decode()
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(source.replace("epochs=100", "epochs=2"), "playground_run.py", "exec"), namespace)
    assert repr(namespace["fresh"]) == repr(model)
    assert namespace["model"]._epochs_done == model._epochs_done + 2


def test_training_settings_continue_and_network_settings_restart(client):
    sid = paused_run(client, epochs=2)
    e = client.state(sid)["snapshot"]["epoch"]
    client.json(f"api/sessions/{sid}/settings", {"training": {"optimizer": "rmsprop", "lr": 0.01}})
    snap = client.state(sid)["snapshot"]
    assert snap["epoch"] == e and snap["lr"] == 0.01
    client.json(f"api/sessions/{sid}/settings",
                {"network": {"hidden": [{"width": 5, "activation": "maxout"}]}})
    snap = client.state(sid)["snapshot"]
    assert snap["epoch"] == 0 and snap["num_parameters"] == 2 * (2 * 5 + 5) + 6   # Maxout k=2, then Dense(5, 1)
    client.json(f"api/sessions/{sid}/reset", {})
    assert client.state(sid)["snapshot"]["epoch"] == 0


def test_constant_init_keeps_hidden_units_identical(client):
    sid = paused_run(client, {**XOR_241, "network": {"hidden": [{"width": 3, "activation": "tanh"}],
                                                     "init": "constant", "init_value": 0.3}},
                     epochs=3)
    W = np.array(client.state(sid)["snapshot"]["weights"][0]["W"])
    np.testing.assert_array_equal(W, W[:, :1].repeat(3, axis=1))   # the symmetry problem


def test_many_tabs_train_at_once(client):
    names = list(DATASETS) * 2
    sids = [client.session({"data": {"name": n}, "network": {"hidden": [{"width": 8, "activation": "relu"}]}})
            for n in names]
    for sid in sids:
        client.json(f"api/sessions/{sid}/play", {})
    for sid in sids:
        snap = client.wait(sid, lambda s: s["epoch"] >= 5, "5 epochs in every tab")
        assert snap["error"] is None
    for sid in sids:
        client.json(f"api/sessions/{sid}/close", {})
        client.json(f"api/sessions/{sid}/state", status=404)


def test_cli_serves_and_stops_cleanly_on_ctrl_c():
    env = {**os.environ, "PYTHONPATH": PACKAGE_PARENT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    p = subprocess.Popen([sys.executable, "-m", "nncore", "playground", "--port", "0", "--no-browser"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = p.stdout.readline()
        assert line.startswith("nncore playground on http://127.0.0.1:"), line
        url = line.split()[3]
        c = Client(url)
        sid = c.session()
        c.json(f"api/sessions/{sid}/play", {})
        c.wait(sid, lambda s: s["epoch"] >= 2, "training in the CLI's server")
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_cli_help_and_bad_port():
    env = {**os.environ, "PYTHONPATH": PACKAGE_PARENT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-m", "nncore", "playground", "--help"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0 and "--no-browser" in r.stdout and "--port" in r.stdout
    r = subprocess.run([sys.executable, "-m", "nncore", "playground", "--port", "70000"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and "--port must be in 0..65535" in r.stderr
