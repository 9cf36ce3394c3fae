"""Training without a backward pass: fit(gradient="forward" | "perturbation").

The tangent generator against its documented formula; the forward-mode pass
(directional derivatives) against backprop for every layer kind and loss; the
estimate's mean converging to the gradient at 1/√k; core trajectories equal to the
reference's; thread-count invariance; bad input.
"""
import math
import subprocess
import sys

import numpy as np
import pytest

from conftest import assert_close, nc, ref
from nncore.reference.forward_gradient import directional_derivative, estimate
from nncore.fit_args import GradientSpec
from nncore.tangents import mix, tangent, tangent_key

RNG = np.random.default_rng(7)
X = RNG.normal(size=(24, 3))
LABELS = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)
Y1 = (X[:, 0] * X[:, 1] > 0).astype(float)

# (name, layers(module), targets, fit kwargs): every layer kind and loss of the core
CASES = [
    ("tanh-sigmoid-bce", lambda M: [M.Dense(3, 6), M.Tanh(), M.Dense(6, 1), M.Sigmoid()],
     Y1, {}),
    ("prelu-maxout-elu-ce", lambda M: [M.Dense(3, 6), M.PReLU(6), M.Maxout(6, 5, k=3), M.ELU(),
                                       M.Dense(5, 3), M.Softmax()], LABELS, {}),
    ("relu-leaky-softmax-mse", lambda M: [M.Dense(3, 6), M.ReLU(), M.Dense(6, 4),
                                          M.LeakyReLU(), M.Dense(4, 3), M.Softmax()],
     np.eye(3)[LABELS], dict(loss="mse", l1=1e-3, l2=1e-3)),
    ("sigmoid-identity-mse_mean", lambda M: [M.Dense(3, 5), M.Sigmoid(), M.Dense(5, 2),
                                             M.Identity()],
     np.c_[Y1, X[:, 2]], dict(loss="mse_mean", l2=1e-2)),
    ("prelu-shared-maxout-first", lambda M: [M.Maxout(3, 4, k=2), M.PReLU(1), M.Dense(4, 1),
                                             M.Sigmoid()], Y1, dict(l1=1e-3)),
    ("dense-without-bias", lambda M: [M.Dense(3, 6, bias=False), M.Sigmoid(),
                                      M.Dense(6, 1, bias=False), M.Sigmoid()], Y1, {}),
]


def _spec_tangent(seed, step, j, n):
    """The docstring's formula in Python ints and math (slow)."""
    key = tangent_key(seed, step, j)
    out = []
    for p in range((n + 1) // 2):
        r1 = mix(key + (2 * p + 1) * 0x9E3779B97F4A7C15)
        r2 = mix(key + (2 * p + 2) * 0x9E3779B97F4A7C15)
        u1 = ((r1 >> 11) + 1) * 2.0 ** -53
        u2 = (r2 >> 11) * 2.0 ** -53
        rho = math.sqrt(-2 * math.log(u1))
        out += [rho * math.cos(2 * math.pi * u2), rho * math.sin(2 * math.pi * u2)]
    return np.array(out[:n])


def test_tangent_matches_its_documented_formula_and_is_standard_normal():
    for seed, step, j, n in [(0, 0, 0, 1), (5, 17, 3, 11), (2**64 - 1, 2**40, 7, 8)]:
        np.testing.assert_allclose(tangent(seed, step, j, n), _spec_tangent(seed, step, j, n),
                                   rtol=1e-14, atol=1e-15)
    v = tangent(1, 2, 0, 200_000)
    assert abs(v.mean()) < 0.01 and abs(v.var() - 1) < 0.01
    # a prefix of a longer tangent is the shorter one; steps and tangents differ
    np.testing.assert_array_equal(tangent(1, 2, 0, 7), v[:7])
    assert not np.allclose(tangent(1, 3, 0, 7), v[:7])
    assert not np.allclose(tangent(1, 2, 1, 7), v[:7])


@pytest.mark.parametrize("layers", [
    [nc.Dense(3, 4), nc.Tanh(), nc.Dense(4, 1), nc.Sigmoid()],          # 21: tiny path, odd n
    [nc.Dense(3, 40), nc.Tanh(), nc.Dense(40, 30), nc.PReLU(30), nc.Dense(30, 1),
     nc.Sigmoid()],                                                      # 1421: general path
])
def test_core_draws_the_documented_tangent(layers):
    """One SGD step with k = 1 moves θ by −lr·d·v: its direction is the tangent the
    Python generator draws (the core's own ln/cos/sin agree with NumPy's to ~1 ulp)."""
    m = nc.Sequential(*layers, seed=6)
    before = m.get_flat_parameters().copy()
    m.fit(X, Y1, optimizer=nc.SGD(1.0), epochs=1, batch_size=len(X), gradient="forward",
          seed=123, verbose=0)
    step = before - m.get_flat_parameters()
    v = tangent(123, 0, 0, m.num_parameters)
    d = float(step @ v / (v @ v))
    np.testing.assert_allclose(step, d * v, rtol=0, atol=1e-13 * np.max(np.abs(step)))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_forward_mode_slope_equals_backprop_gradient_dot_v(case):
    name, layers, y, kw = case
    m = ref.Sequential(*layers(nc), seed=4)
    loss = kw.get("loss", nc.fit_args.default_loss(m))
    l1, l2 = kw.get("l1", 0.0), kw.get("l2", 0.0)
    value, grads = m.loss_and_grad(X, y, loss=loss, l1=l1, l2=l2)
    g = np.concatenate([grads[k].ravel() for k in m.param_names])
    Xc, Yc, lc, loss, l1, l2 = m._check_targets(X, y, loss, l1, l2, "test")
    for j in range(3):
        v = tangent(9, 0, j, m.num_parameters)
        val, d = directional_derivative(m, Xc, Yc, lc, loss, l1, l2, v)
        assert val == pytest.approx(value, rel=1e-14)
        assert d == pytest.approx(float(g @ v), rel=1e-11, abs=1e-13)


def test_mean_of_estimates_converges_to_the_gradient_at_one_over_sqrt_k():
    """E[g] = ∇L: the error of the mean of k forward gradients falls like 1/√k."""
    layers, y = CASES[0][1], CASES[0][2]
    m = ref.Sequential(*layers(nc), seed=4)
    _, grads = m.loss_and_grad(X, y, loss="bce")
    g = np.concatenate([grads[k].ravel() for k in m.param_names])
    Xc, Yc, lc, loss, _, _ = m._check_targets(X, y, "bce", 0.0, 0.0, "test")
    ks = [16, 256, 4096]
    errs = []
    for k in ks:
        trials = []
        for rep in range(4):  # independent means (different steps)
            value, est = estimate(m, Xc, Yc, lc, loss, 0.0, 0.0,
                                  GradientSpec("forward", k), seed=11, step=rep)
            trials.append(np.linalg.norm(est - g) / np.linalg.norm(g))
        errs.append(float(np.sqrt(np.mean(np.square(trials)))))
    # theory: E‖ĝ − ∇‖² / ‖∇‖² = (P + 1)/k for Gaussian tangents
    P = m.num_parameters
    for k, e in zip(ks, errs):
        assert 0.4 < e / math.sqrt((P + 1) / k) < 1.8, (k, e)
    assert errs[-1] < errs[0] / 8  # 16 → 4096: √256 = 16 times smaller, give or take


def test_perturbation_slope_is_the_directional_derivative_to_order_eps_squared():
    layers, y = CASES[0][1], CASES[0][2]
    m = ref.Sequential(*layers(nc), seed=4)
    _, grads = m.loss_and_grad(X, y, loss="bce")
    g = np.concatenate([grads[k].ravel() for k in m.param_names])
    Xc, Yc, lc, loss, _, _ = m._check_targets(X, y, "bce", 0.0, 0.0, "test")
    v = tangent(3, 0, 0, m.num_parameters)
    _, est = estimate(m, Xc, Yc, lc, loss, 0.0, 0.0, GradientSpec("perturbation", 1, 1e-4),
                      seed=3, step=0)
    np.testing.assert_allclose(est, float(g @ v) * v, rtol=1e-6, atol=1e-9)


def _fit_both(layers, y, dtype=np.float64, **kw):
    a = nc.Sequential(*layers(nc), seed=3, dtype=dtype)
    b = ref.Sequential(*layers(nc), seed=3)
    ha = a.fit(X, y, verbose=0, **kw)
    hb = b.fit(X, y, **kw)
    return a, b, ha, hb


@pytest.mark.parametrize("gradient,extra", [("forward", dict(tangents=1)),
                                            ("forward", dict(tangents=3)),
                                            ("perturbation", dict(tangents=2, epsilon=1e-3))])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_core_trajectory_equals_reference(case, gradient, extra):
    name, layers, y, kw = case
    a, b, ha, hb = _fit_both(layers, y, optimizer=nc.Adam(0.01), epochs=4, batch_size=7,
                             gradient=gradient, **extra, **kw)
    assert_close(a.get_flat_parameters(), b.get_flat_parameters(), component=f"fit {gradient}",
                 what=name)
    assert_close(ha.history["loss"], hb.history["loss"], what=name + " loss")
    # a second fit continues the step count: fresh tangents, still equal
    a.fit(X, y, epochs=2, batch_size=7, gradient=gradient, verbose=0, **extra, **kw)
    b.fit(X, y, epochs=2, batch_size=7, gradient=gradient, **extra, **kw)
    assert_close(a.get_flat_parameters(), b.get_flat_parameters(), what=name + " continued")


@pytest.mark.parametrize("opt", [lambda: nc.SGD(0.05), lambda: nc.Momentum(0.05, form="nesterov"),
                                 lambda: nc.RMSprop(0.01)])
def test_optimizers_schedules_clipping_and_weights_take_the_estimate(opt):
    layers, y = CASES[1][1], CASES[1][2]
    w = np.linspace(0.5, 2.0, len(X))
    kw = dict(optimizer=opt(), epochs=5, batch_size=10, gradient="forward", tangents=2,
              lr_schedule=nc.StepDecay(step_size=2, gamma=0.5), clip_norm=0.7, sample_weight=w,
              l2=1e-3)
    a, b, ha, hb = _fit_both(layers, y, **kw)
    assert_close(a.get_flat_parameters(), b.get_flat_parameters(), what="forward")
    assert_close(ha.history["lr"], hb.history["lr"])


def test_float32_core_follows_the_float64_reference():
    layers, y = CASES[0][1], CASES[0][2]
    kw = dict(optimizer=nc.Adam(0.01), epochs=3, batch_size=8, gradient="forward", tangents=2)
    a, b, _, _ = _fit_both(layers, y, dtype=np.float32, **kw)
    assert_close(a.get_flat_parameters(), b.get_flat_parameters(), dtype=np.float32,
                 n_reduce=len(X), component="fit forward")


def test_estimates_train_xor():
    Xx = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    yx = np.array([0, 1, 1, 0.])
    for gradient, kw in [("forward", dict(tangents=4)), ("perturbation", dict(tangents=4))]:
        m = nc.Sequential(nc.Dense(2, 4), nc.Tanh(), nc.Dense(4, 1), nc.Sigmoid(), seed=0)
        m.fit(Xx, yx, optimizer=nc.Adam(0.05), epochs=1500, batch_size=4, gradient=gradient,
              verbose=0, **kw)
        assert m.evaluate(Xx, yx)["accuracy"] == 1.0, gradient


def test_perturbation_trains_through_step_but_forward_refuses_it():
    layers = [nc.Dense(3, 4), nc.Step(), nc.Dense(4, 1), nc.Sigmoid()]
    m = nc.Sequential(*layers, seed=1)
    r = ref.Sequential(*layers, seed=1)
    before = m.get_flat_parameters().copy()
    m.fit(X, Y1, epochs=3, batch_size=8, gradient="perturbation", epsilon=0.05, verbose=0)
    r.fit(X, Y1, epochs=3, batch_size=8, gradient="perturbation", epsilon=0.05)
    assert not np.array_equal(before, m.get_flat_parameters())
    assert_close(m.get_flat_parameters(), r.get_flat_parameters(), what="step")
    for model in (m, r):
        with pytest.raises(ValueError, match=r"fit: layer 1 \(Step.*\) has no gradient"):
            model.fit(X, Y1, gradient="forward")


_THREADS = """
import numpy as np, nncore as nc
rng = np.random.default_rng(0)
X = rng.normal(size=(64, 40)); y = rng.integers(0, 10, 64)
out = []
for threads in (1, 2, 3):
    nc.set_num_threads(threads)
    m = nc.Sequential(nc.Dense(40, 160), nc.ReLU(), nc.Dense(160, 96), nc.Tanh(),
                      nc.Dense(96, 10), nc.Softmax(), seed=2)
    m.fit(X, y, epochs=2, batch_size=32, gradient="forward", tangents=2, verbose=0)
    m.fit(X, y, epochs=1, batch_size=64, gradient="perturbation", verbose=0)
    tiny = nc.Sequential(nc.Dense(40, 10), nc.Tanh(), nc.Dense(10, 10), nc.Softmax(), seed=2)
    tiny.fit(X, y, loss="ce", epochs=2, batch_size=32, gradient="forward", tangents=20,
             verbose=0)
    out.append(np.concatenate([m.get_flat_parameters(), tiny.get_flat_parameters()]))
assert out[0].size > 20000  # big enough for the tangent generator's threaded chunks
assert all(np.array_equal(out[0], o) for o in out[1:]), "thread count changed the result"
print("ok")
"""


def test_bitwise_identical_for_any_thread_count():
    r = subprocess.run([sys.executable, "-c", _THREADS], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr


@pytest.mark.parametrize("Model", [nc.Sequential, ref.Sequential])
@pytest.mark.parametrize("kw,message", [
    (dict(gradient="backward"), "fit: gradient must be one of 'backprop', 'forward', "
                                "'perturbation', got 'backward'"),
    (dict(gradient=None), "fit: gradient must be one of"),
    (dict(gradient="forward", tangents=0), "fit: tangents must be a positive integer, got 0"),
    (dict(gradient="forward", tangents=-2), "fit: tangents must be a positive integer"),
    (dict(gradient="forward", tangents=1.5), "fit: tangents must be a positive integer"),
    (dict(gradient="forward", tangents=True), "fit: tangents must be a positive integer"),
    (dict(gradient="forward", tangents=2**40), "fit: tangents must be at most"),
    (dict(gradient="perturbation", epsilon=0), "fit: epsilon must be > 0, got 0"),
    (dict(gradient="perturbation", epsilon=-1e-3), "fit: epsilon must be > 0"),
    (dict(gradient="perturbation", epsilon=float("nan")), "fit: epsilon"),
    (dict(tangents=4), "fit: tangents applies to gradient='forward' or 'perturbation'"),
    (dict(gradient="forward", epsilon=1e-3), "fit: epsilon applies to gradient='perturbation'"),
])
def test_bad_input_names_the_argument_and_leaves_the_model(Model, kw, message):
    m = Model(nc.Dense(3, 4), nc.Tanh(), nc.Dense(4, 1), nc.Sigmoid(), seed=1)
    before = m.get_flat_parameters().copy()
    with pytest.raises((ValueError, TypeError), match=message.replace("(", r"\(")
                       .replace(")", r"\)").replace("*", r"\*")):
        m.fit(X, Y1, epochs=1, **kw)
    np.testing.assert_array_equal(m.get_flat_parameters(), before)
    m.fit(X, Y1, epochs=1, gradient="forward")  # still trains
