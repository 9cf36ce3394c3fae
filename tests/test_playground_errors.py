"""The playground refuses bad input with a clear 4xx JSON message and keeps running:
bad settings, malformed bodies, unknown runs and actions, a diverging run, a full store."""
from __future__ import annotations

import pytest

pytest.importorskip("starlette", reason="the playground needs starlette (pip install nncore[playground])")
pytest.importorskip("uvicorn", reason="the playground needs uvicorn (pip install nncore[playground])")

from nncore.playground import PlaygroundServer  # noqa: E402
from nncore.playground.server import MAX_BODY, SessionStore  # noqa: E402
from test_playground import Client, client, server  # noqa: E402,F401  (fixtures shared)

def test_a_diverging_run_stops_with_a_message_and_can_be_reset(client):
    sid = client.session({"network": {"hidden": [{"width": 32, "activation": "relu"}] * 6},
                          "training": {"optimizer": "gd", "lr": 10.0, "batch_size": 1,
                                       "epochs_per_update": 5}})
    client.json(f"api/sessions/{sid}/play", {})
    snap = client.wait(sid, lambda s: s["error"] is not None, "the divergence message")
    assert snap["error"].startswith("training stopped: fit: the loss or an update became "
                                    "non-finite") and "lower the learning rate" in snap["error"]
    assert snap["playing"] is False and snap["metrics"]["train_loss"] is None
    client.json(f"api/sessions/{sid}/settings", {"training": {"optimizer": "adam", "lr": 0.01}})
    client.json(f"api/sessions/{sid}/reset", {})
    snap = client.state(sid)["snapshot"]
    assert snap["error"] is None and snap["epoch"] == 0 and snap["metrics"]["train_loss"] > 0
    client.json(f"api/sessions/{sid}/play", {})
    client.wait(sid, lambda s: s["epoch"] >= 2, "training again after the reset")


BAD = [
    ({"network": {"hidden": [{"width": 33}]}}, "network.hidden[0].width must be an integer in 1..32"),
    ({"network": {"hidden": [{"width": 0}]}}, "network.hidden[0].width must be an integer in 1..32"),
    ({"network": {"hidden": [{"width": "4"}]}}, "width must be an integer"),
    ({"network": {"hidden": [{"width": True}]}}, "width must be an integer"),
    ({"network": {"hidden": [{"width": 2}] * 7}}, "network.hidden must have 0..6 layers"),
    ({"network": {"hidden": [{"width": 2, "activation": "swish"}]}}, "activation must be one of"),
    ({"network": {"hidden": "wide"}}, "network.hidden must be a list"),
    ({"network": {"output": "linear"}}, "network.output must be one of"),
    ({"network": {"init": "random"}}, "network.init must be one of"),
    ({"data": {"name": "mnist"}}, "data.name must be one of"),
    ({"data": {"noise": -0.1}}, "data.noise must be in [0, 1]"),
    ({"data": {"seed": -1}}, "data.seed must be an integer"),
    ({"data": {"noise": float("inf")}}, "data.noise must be finite"),
    ({"training": {"lr": 0}}, "training.lr must be in"),
    ({"training": {"lr": "fast"}}, "training.lr must be a real number"),
    ({"training": {"batch_size": 0}}, "training.batch_size must be an integer in 1..1000"),
    ({"training": {"batch_size": 10**9}}, "training.batch_size must be an integer in 1..1000"),
    ({"training": {"epochs_per_update": 10**6}}, "epochs_per_update must be an integer in 1..100"),
    ({"training": {"optimizer": "lbfgs"}}, "training.optimizer must be one of"),
    ({"training": {"momentum": 0.9}}, "unknown field(s) ['momentum'] in training"),
    ({"model": {}}, "unknown field(s) ['model'] in settings"),
    ([1, 2], "settings must be a JSON object"),
]


@pytest.fixture(scope="module")
def one_run(server):
    """One paused run that every bad request is sent to."""
    return Client(server.url).session()


@pytest.mark.parametrize("settings, message", BAD, ids=[m[:40] for _, m in BAD])
def test_bad_settings_are_400_with_a_clear_message(client, one_run, settings, message):
    sid = one_run
    before = client.state(sid)["snapshot"]
    if isinstance(settings, dict) and float("inf") in settings.get("data", {}).values():
        data = b'{"data": {"noise": Infinity}}'   # what json.dumps would send for inf
        out = client.json(f"api/sessions/{sid}/settings", data=data, status=400)
    else:
        out = client.json(f"api/sessions/{sid}/settings", settings, status=400)
        out2 = client.json("api/sessions", settings, status=400)
        assert out2 == out
    assert message in out["error"], out
    assert out["error"].startswith("playground: ")
    after = client.state(sid)["snapshot"]        # the run is untouched
    assert after["num_parameters"] == before["num_parameters"] and after["epoch"] == before["epoch"]


def test_bad_requests_never_stop_the_server(client):
    sid = client.session()
    cases = [
        (f"api/sessions/{sid}/settings", b"{not json", 400, "not valid JSON"),
        (f"api/sessions/{sid}/settings", b"[" * 100000, 413, "larger than"),
        (f"api/sessions/{sid}/settings", b" " * (MAX_BODY + 1), 413, "larger than"),
        (f"api/sessions/{sid}/jump", b"{}", 400, "action must be play, pause, step or reset"),
        (f"api/sessions/{sid}/backprop", b"{}", 400, "backprop needs"),
        (f"api/sessions/{sid}/backprop", b'{"point": 100}', 400, "point must be an integer in 0..99"),
        (f"api/sessions/{sid}/backprop", b'{"point": -1}', 400, "point must be an integer in 0..99"),
        (f"api/sessions/{sid}/backprop", b'{"point": "a"}', 400, "point must be an integer"),
        ("api/sessions/nope/play", b"{}", 404, "no run 'nope'"),
        ("api/sessions/nope/state", None, 404, "no run 'nope'"),
        ("api/nothing", None, 404, "no such address"),
        (f"api/sessions/{sid}/state?after=x", None, 400, "after must be an integer"),
    ]
    for path, data, status, message in cases:
        out = client.json(path, data=data, status=status)
        assert message in out["error"], (path, out)
    assert "no such address: GET /api/sessions" in client.json("api/sessions", method="GET", status=404)["error"]
    assert client.state(sid)["snapshot"]["num_parameters"] == 17   # still fine


def test_the_store_refuses_beyond_its_size_and_closes_idle_runs():
    server = PlaygroundServer(port=0, store=SessionStore(max_sessions=2, idle_seconds=3600)).start()
    try:
        c = Client(server.url)
        a, b = c.session(), c.session()
        out = c.json("api/sessions", {}, status=503)
        assert "2 runs are open already" in out["error"]
        c.json(f"api/sessions/{a}/close", {})
        c.session()
        server.store.idle_seconds = 0     # everything is idle now: room is made
        c.session()
        assert len(server.store) == 1
        c.json(f"api/sessions/{b}/state", status=404)
    finally:
        server.stop()
    assert len(server.store) == 0
