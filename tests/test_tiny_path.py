"""The tiny-network path: small networks run a block of rows through every layer at
once (cpp/src/tiny/) instead of a GEMM call per layer.

Networks of Dense layers and element-wise activations (and a final Softmax) with
at most 1024 parameters take it (sample weights too); Maxout, PReLU, Step and
larger networks fall back to the general path. Both must give the numbers of
nncore.reference (float64 ≤ 1e-12 relative on one pass, ≤ 1e-10 on trajectories
of many steps as tests/test_training.py), and the tiny path must agree with the
general one. `_core.tiny_path_calls()` tells which path ran; `_core.set_tiny_path`
switches it off to get the general path's numbers.
"""
from typing import Any, NamedTuple

import numpy as np
import pytest

import nncore as nc
import nncore.reference as ref
from nncore import _core
from conftest import make_targets, rng_for

TINY = {
    # name: (layer specs, loss); every layer kind the tiny path takes appears
    "xor-like": ([("Dense", 2, 4), ("Tanh",), ("Dense", 4, 1), ("Sigmoid",)], "bce"),
    "moons-like": ([("Dense", 2, 10), ("Tanh",), ("Dense", 10, 10), ("Tanh",),
                    ("Dense", 10, 1), ("Sigmoid",)], "bce"),
    "relu-ce": ([("Dense", 5, 9), ("ReLU",), ("Dense", 9, 6), ("ELU",), ("Dense", 6, 3),
                 ("Softmax",)], "ce"),
    "leaky-mse": ([("Dense", 3, 7), ("LeakyReLU",), ("Dense", 7, 2), ("Identity",)],
                  "mse"),
    "stacked-mse-mean": ([("Dense", 4, 5), ("Sigmoid",), ("Tanh",), ("Dense", 5, 5),
                          ("Dense", 5, 2)], "mse_mean"),
}
GENERAL = {
    # name: (layer specs, loss, why it falls back)
    "prelu": ([("Dense", 3, 6), ("PReLU", 6), ("Dense", 6, 1), ("Sigmoid",)], "bce"),
    "maxout": ([("Maxout", 3, 4, 2), ("Dense", 4, 2), ("Softmax",)], "ce"),
    "too-big": ([("Dense", 30, 40), ("Tanh",), ("Dense", 40, 1), ("Sigmoid",)], "bce"),
}
ROWS = (1, 7, 8, 9, 17, 100)  # around the block sizes (8 float64, 16 float32 rows)


def _layer(module, spec):
    name, *args = spec
    if name == "PReLU":
        return module.PReLU(num_parameters=args[0])
    if name == "Maxout":
        return module.Maxout(args[0], args[1], k=args[2])
    return getattr(module, name)(*args)


def _model(module, specs, dtype=np.float64, seed=4):
    return module.Sequential(*[_layer(module, s) for s in specs], dtype=dtype, seed=seed)


def _data(name, specs, loss, rows, form="default"):
    rng = rng_for("tiny", name, rows, form)
    n_out = [s for s in specs if s[0] in ("Dense", "Maxout")][-1][2]
    X = rng.normal(size=(rows, specs[0][1]))
    return X, make_targets(loss, rows, n_out, rng, form)


def _twins(specs, dtype=np.float64):
    core = _model(nc, specs, dtype)
    twin = _model(ref, specs)
    # random biases too, so the bias path is exercised
    rng = rng_for("tiny-weights", repr(specs))
    sd = {k: rng.normal(scale=0.6, size=v.shape) for k, v in core.state_dict().items()}
    core.load_state_dict(sd)
    twin.load_state_dict({k: v.astype(np.float64) for k, v in core.state_dict().items()})
    return core, twin


def _rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.fixture
def general_path():
    """Runs the body with the tiny path off; always switches it back on."""
    _core.set_tiny_path(False)
    yield
    _core.set_tiny_path(True)


def _served(fn):
    """(result of fn(), whether the tiny path served at least one call)."""
    before = _core.tiny_path_calls()
    out = fn()
    return out, _core.tiny_path_calls() > before


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize("name", TINY)
def test_tiny_path_matches_reference(name, rows):
    specs, loss = TINY[name]
    forms = ("labels", "one_hot", "probs") if loss == "ce" else ("default",)
    for form in forms:
        X, y = _data(name, specs, loss, rows, form)
        core, twin = _twins(specs)
        (value, grads), tiny = _served(lambda: core.loss_and_grad(X, y, loss=loss, l1=1e-3,
                                                                  l2=1e-2))
        assert tiny, f"{name}: the tiny path did not take loss_and_grad"
        want_value, want_grads = twin.loss_and_grad(X, y, loss=loss, l1=1e-3, l2=1e-2)
        assert _rel(value, want_value) <= 1e-12, (form, value, want_value)
        for k in want_grads:
            assert _rel(grads[k], want_grads[k]) <= 1e-12, (form, k)
        pred, tiny = _served(lambda: core.predict(X))
        assert tiny
        assert _rel(pred, twin.predict(X)) <= 1e-12


class _ThreeWays(NamedTuple):
    h: Any             # the core's History (tiny path on)
    h_ref: Any         # the twin's History
    got: np.ndarray    # the core's parameters after fit
    want: np.ndarray   # the twin's
    tiny: bool         # the core's fit took the tiny path
    general: np.ndarray  # the core's parameters after the same fit with the tiny path off
    general_tiny: bool   # ... and whether that fit took the tiny path anyway


def _fit_three_ways(specs, X, y, kw):
    """The same fit from the same start by the core, its twin, and the core with the tiny
    path switched off."""
    core, twin = _twins(specs)
    h, tiny = _served(lambda: core.fit(X, y, verbose=0, **kw))
    h_ref = twin.fit(X, y, **kw)
    _core.set_tiny_path(False)
    try:
        other = _twins(specs)[0]
        _, general_tiny = _served(lambda: other.fit(X, y, verbose=0, **kw))
    finally:
        _core.set_tiny_path(True)
    want = np.concatenate([v.ravel() for v in twin.state_dict().values()])
    return _ThreeWays(h, h_ref, core.get_flat_parameters(), want, tiny,
                      other.get_flat_parameters(), general_tiny)


@pytest.mark.parametrize("name", TINY)
def test_tiny_path_trajectory_matches_reference_and_general_path(name):
    # 60 steps of Adam on the full batch, 180 in shuffled minibatches (a last short one).
    specs, loss = TINY[name]
    X, y = _data(name, specs, loss, 45)
    for batch_size in (45, 16):
        kw = dict(loss=loss, optimizer=nc.Adam(0.01), epochs=60, batch_size=batch_size,
                  l2=1e-3)
        r = _fit_three_ways(specs, X, y, kw)
        assert r.tiny
        assert _rel(r.got, r.want) <= 1e-10, (batch_size, _rel(r.got, r.want))
        np.testing.assert_allclose(r.h.history["loss"], r.h_ref.history["loss"], rtol=1e-10)
        # the general path, same start: the same trajectory up to rounding
        assert _rel(r.general, r.got) <= 1e-10


@pytest.mark.parametrize("name", TINY)
def test_forward_gradient_on_the_tiny_path_matches_reference_and_general_path(name):
    # fit(gradient="forward"): primal and tangent passes fused per block of rows. 17
    # tangents run in two groups (16 + 1, each group with its own primal pass); sample
    # weights, a penalty and a short last batch (37 = 2·16 + 5) are exercised too.
    specs, loss = TINY[name]
    X, y = _data("fg", specs, loss, 37)
    w = rng_for("fg-weights").uniform(0.5, 2.0, size=37)
    for k, weights in ((1, None), (17, w)):
        kw = dict(loss=loss, optimizer=nc.Adam(0.01), epochs=5, batch_size=16, l2=1e-3,
                  gradient="forward", tangents=k, sample_weight=weights)
        r = _fit_three_ways(specs, X, y, kw)
        assert r.tiny, f"{name}: the tiny path did not take the forward gradient"
        assert _rel(r.got, r.want) <= 1e-12, (k, _rel(r.got, r.want))
        np.testing.assert_allclose(r.h.history["loss"], r.h_ref.history["loss"], rtol=1e-12)
        assert not r.general_tiny
        assert _rel(r.general, r.got) <= 1e-12


@pytest.mark.parametrize("name", GENERAL)
def test_forward_gradient_of_other_networks_takes_the_general_path(name):
    specs, loss = GENERAL[name]
    X, y = _data("fg-general", specs, loss, 20)
    core, twin = _twins(specs)
    kw = dict(loss=loss, optimizer=nc.Adam(0.01), epochs=3, batch_size=8, gradient="forward",
              tangents=3)
    _, tiny = _served(lambda: core.fit(X, y, verbose=0, **kw))
    assert not tiny
    twin.fit(X, y, **kw)
    want = np.concatenate([v.ravel() for v in twin.state_dict().values()])
    assert _rel(core.get_flat_parameters(), want) <= 1e-12


@pytest.mark.parametrize("name", ["moons-like", "relu-ce"])
def test_tiny_path_float32(name):
    specs, loss = TINY[name]
    X, y = _data(name, specs, loss, 37)
    core, twin = _twins(specs, np.float32)
    value, grads = core.loss_and_grad(X.astype(np.float32), y, loss=loss)
    want_value, want_grads = twin.loss_and_grad(X.astype(np.float32).astype(np.float64), y,
                                                loss=loss)
    assert _rel(value, want_value) <= 1e-5
    for k in want_grads:
        assert _rel(grads[k], want_grads[k]) <= 1e-4, k
    h, tiny = _served(lambda: core.fit(X.astype(np.float32), y, loss=loss,
                                       optimizer=nc.Adam(0.01), epochs=3, batch_size=16,
                                       verbose=0))
    assert tiny and np.all(np.isfinite(h.history["loss"]))


@pytest.mark.parametrize("name", GENERAL)
def test_other_networks_fall_back_to_the_general_path(name):
    specs, loss = GENERAL[name]
    X, y = _data(name, specs, loss, 20)
    core, twin = _twins(specs)
    (value, grads), tiny = _served(lambda: core.loss_and_grad(X, y, loss=loss))
    assert not tiny
    want_value, want_grads = twin.loss_and_grad(X, y, loss=loss)
    assert _rel(value, want_value) <= 1e-12
    for k in want_grads:
        assert _rel(grads[k], want_grads[k]) <= 1e-10, k
    _, tiny = _served(lambda: core.fit(X, y, loss=loss, optimizer=nc.Adam(0.01), epochs=2,
                                       verbose=0))
    assert not tiny


def test_step_layer_falls_back_for_prediction():
    specs = [("Dense", 2, 3), ("Step",), ("Dense", 3, 1)]
    core, twin = _twins(specs)
    X = rng_for("step").normal(size=(11, 2))
    pred, tiny = _served(lambda: core.predict(X))
    assert not tiny
    np.testing.assert_allclose(pred, twin.predict(X), rtol=1e-12)


@pytest.mark.parametrize("name", TINY)
def test_weighted_batches_match_reference(name):
    specs, loss = TINY[name]
    X, y = _data("w", specs, loss, 30)
    w = rng_for("w-weights").uniform(0.5, 2.0, size=30)
    w[::7] = 0.0
    core, twin = _twins(specs)
    (value, grads), tiny = _served(lambda: core.loss_and_grad(X, y, loss=loss, sample_weight=w))
    assert tiny
    want_value, want_grads = twin.loss_and_grad(X, y, loss=loss, sample_weight=w)
    assert _rel(value, want_value) <= 1e-12
    for k in want_grads:
        assert _rel(grads[k], want_grads[k]) <= 1e-12, k
    # weights of 1: the unweighted gradient, bit for bit (the same δ per row)
    ones_value, ones_grads = core.loss_and_grad(X, y, loss=loss, sample_weight=np.ones(30))
    plain_value, plain_grads = core.loss_and_grad(X, y, loss=loss)
    assert _rel(plain_value, ones_value) <= 1e-14
    for k in plain_grads:
        assert np.array_equal(plain_grads[k], ones_grads[k]), k
    # a batch whose weights sum to 0 (the first 10 rows): loss 0, no gradient, in fit
    wz = w.copy()
    wz[:10] = 0.0
    kw = dict(loss=loss, optimizer=nc.Adam(0.01), epochs=4, batch_size=10, shuffle=False,
              sample_weight=wz, verbose=0)
    got = _twins(specs)[0]
    got.fit(X, y, **kw)
    _core.set_tiny_path(False)
    try:
        want = _twins(specs)[0]
        want.fit(X, y, **kw)
    finally:
        _core.set_tiny_path(True)
    assert _rel(got.get_flat_parameters(), want.get_flat_parameters()) <= 1e-12


def test_switch_off_gives_the_general_path(general_path):
    specs, loss = TINY["moons-like"]
    X, y = _data("switch", specs, loss, 20)
    core, _ = _twins(specs)
    _, tiny = _served(lambda: (core.loss_and_grad(X, y, loss=loss), core.predict(X),
                               core.fit(X, y, loss=loss, epochs=1, verbose=0)))
    assert not tiny


def test_non_finite_update_leaves_the_model_valid():
    # A learning rate that overflows θ: fit raises and leaves the last finite
    # weights, the same as on the general path.
    specs, loss = TINY["leaky-mse"]
    X, y = _data("overflow", specs, loss, 12)
    results = []
    for on in (True, False):
        _core.set_tiny_path(on)
        try:
            core, _ = _twins(specs)
            with pytest.raises(FloatingPointError, match="non-finite"):
                core.fit(X * 1e150, y, loss=loss, optimizer=nc.SGD(1e300), epochs=3, verbose=0)
            results.append(core.get_flat_parameters().copy())
            assert np.all(np.isfinite(core.predict(X)))
        finally:
            _core.set_tiny_path(True)
    assert np.all(np.isfinite(results[0]))
    np.testing.assert_array_equal(results[0], results[1])
