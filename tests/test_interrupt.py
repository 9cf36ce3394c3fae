"""Ctrl-C during fit: the native loop stops at a batch boundary, KeyboardInterrupt
reaches the caller, and the weights are valid (they can be saved and used).

Each test runs a long fit in a subprocess (sys.executable -c SCRIPT), waits for
a "started" line, sends SIGINT ~1 s later and expects "saved" within a bounded
time. Timing: the marker is printed once the native loop is known to run (from
the epoch-0 callback, or right before fit when the test must not use callbacks);
an uninterrupted fit would take minutes, far beyond the bounds checked here.
"""
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import nncore as nc

pytestmark = pytest.mark.skipif(os.name != "posix" or not hasattr(signal, "SIGINT"),
                                reason="needs POSIX signals")

SCRIPT = r"""
import json, sys, time
import numpy as np
import nncore as nc

path, mode = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
X = rng.normal(size=(20_000, 64))
y = rng.integers(0, 10, size=20_000)
model = nc.Sequential(nc.Dense(64, 256), nc.ReLU(), nc.Dense(256, 256), nc.ReLU(),
                      nc.Dense(256, 10), nc.Softmax(), seed=0)

def started(epoch, logs):
    if epoch == 0:
        print("started", flush=True)

kw = dict(optimizer=nc.Adam(lr=1e-3), verbose=0)
if mode == "callback":        # minibatches; marker from the epoch-0 callback
    kw.update(epochs=200, batch_size=32, callbacks=[started])
elif mode == "poll":          # minibatches, no callback: only the in-epoch poll sees Ctrl-C
    kw.update(epochs=200, batch_size=32)
else:                         # "fullbatch": one batch per epoch, no callback
    kw.update(epochs=2000, batch_size=20_000)
if mode != "callback":
    print("started", flush=True)
try:
    model.fit(X, y, **kw)
    print("completed", flush=True)
except KeyboardInterrupt:
    t = time.time()
    model.save(path, include_optimizer=True)
    info = {"stop_reason": model.history_.stop_reason, "epochs_done": model._epochs_done,
            "t": int(model.optimizer_state["t"])}
    print("saved " + json.dumps(info), flush=True)
"""


def _reader(stream, q):
    for line in stream:
        q.put(line.rstrip("\n"))
    q.put(None)


def _wait_for(q, prefix, deadline):
    """The first line starting with `prefix` before `deadline` (monotonic), else None."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            line = q.get(timeout=left)
        except queue.Empty:
            return None
        if line is None:
            return None
        if line.startswith(prefix):
            return line


def interrupt_fit(tmp_path, mode, after_sigint):
    """Run SCRIPT in `mode`, SIGINT it ~1 s after "started"; returns
    (saved line or None, seconds from SIGINT to exit, returncode, stderr)."""
    path = tmp_path / "interrupted.nncore"
    # one thread: steadier timing on a busy machine (Ctrl-C handling does not depend on it)
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(path), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    q = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, q), daemon=True).start()
    try:
        started = _wait_for(q, "started", time.monotonic() + 60)
        assert started is not None, f"the subprocess never started: {proc.stderr.read()}"
        time.sleep(1.0)
        assert proc.poll() is None, "the fit finished before it could be interrupted"
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        saved = _wait_for(q, "saved", t0 + after_sigint)
        try:
            proc.wait(timeout=max(t0 + after_sigint - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            pass
        elapsed = time.monotonic() - t0
        return saved, elapsed, proc.returncode, path
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def check_saved_model(saved, path, steps_per_epoch=-(-20_000 // 32), epochs=200):
    assert saved is not None and saved.startswith("saved ")
    info = json.loads(saved[len("saved "):])
    model = nc.load(path)
    assert np.isfinite(model.get_flat_parameters()).all()
    X = np.random.default_rng(1).normal(size=(50, 64))
    P = model.predict(X)
    assert P.shape == (50, 10) and np.isfinite(P).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    # interrupted early: some epochs at most, never all of them
    assert info["epochs_done"] == model._epochs_done < epochs
    st = model.optimizer_state
    assert st["t"] == info["t"] > 0
    # t counts every step taken, including those of the interrupted epoch
    assert info["epochs_done"] * steps_per_epoch <= st["t"] < (info["epochs_done"] + 1) * \
        steps_per_epoch
    assert np.isfinite(st["m"]).all() and np.isfinite(st["v"]).all()
    return info


def test_ctrl_c_during_fit_with_a_callback(tmp_path):
    saved, elapsed, rc, path = interrupt_fit(tmp_path, "callback", after_sigint=30)
    assert rc == 0
    assert elapsed < 10, f"exit took {elapsed:.1f} s after SIGINT"
    info = check_saved_model(saved, path)
    # the signal is seen by the in-epoch poll ("interrupted") or while the callback
    # runs at an epoch end (the KeyboardInterrupt then comes from the callback)
    assert info["stop_reason"] in ("interrupted", "callback")


def test_ctrl_c_during_fit_is_polled_inside_the_epoch(tmp_path):
    saved, elapsed, rc, path = interrupt_fit(tmp_path, "poll", after_sigint=30)
    assert rc == 0
    assert elapsed < 10, f"exit took {elapsed:.1f} s after SIGINT"
    info = check_saved_model(saved, path)
    assert info["stop_reason"] == "interrupted"


def test_ctrl_c_during_full_batch_fit(tmp_path):
    saved, elapsed, rc, path = interrupt_fit(tmp_path, "fullbatch", after_sigint=5)
    assert saved is not None, f"no reaction to SIGINT within {elapsed:.1f} s"
    assert rc == 0
    check_saved_model(saved, path, steps_per_epoch=1, epochs=2000)
