"""nncore.reference on its own: gradients, losses, the lecture's examples, optimizers,
schedules and the training loop (docs/design.md).

Longer than 400 lines on purpose: the twin's own checks, runnable alone without the compiled core (CI does).
"""
import math
from types import SimpleNamespace

import numpy as np
import pytest

import nncore.layers as spec
import nncore.reference as ref
from nncore.optim import new_state
from nncore.reference.optim import update
from nncore import init
from nncore.reference.losses import one_hot
from nncore.shuffle import permutation

RNG = np.random.default_rng(1234)


# -- helpers -------------------------------------------------------------------

def numerical_grad(model, X, y, loss, l1=0.0, l2=0.0, eps=1e-6):
    """Central differences (L(θ + ε) − L(θ − ε))/2ε over the flat parameter vector."""
    theta = model.get_flat_parameters()
    grad = np.zeros_like(theta)
    for k in range(theta.size):
        for sign in (+1, -1):
            t = theta.copy()
            t[k] += sign * eps
            model.set_flat_parameters(t)
            grad[k] += sign * model.loss(X, y, loss=loss, l1=l1, l2=l2)
    model.set_flat_parameters(theta)
    return grad / (2 * eps)


def flat(model, grads):
    return np.concatenate([grads[name].ravel() for name in model.param_names])


def check_gradients(model, X, y, loss, l1=0.0, l2=0.0, rtol=1e-6, atol=1e-8):
    value, grads = model.loss_and_grad(X, y, loss=loss, l1=l1, l2=l2)
    assert value == pytest.approx(model.loss(X, y, loss=loss, l1=l1, l2=l2), rel=1e-14)
    assert set(grads) == set(model.param_names)
    for name, shape in model.param_shapes.items():
        assert grads[name].shape == shape
    np.testing.assert_allclose(flat(model, grads), numerical_grad(model, X, y, loss, l1, l2),
                               rtol=rtol, atol=atol)


def data(n=7, d=3, out=2, kind="regression"):
    X = RNG.normal(size=(n, d))
    if kind == "regression":
        return X, RNG.normal(size=(n, out)) if out > 1 else RNG.normal(size=n)
    if kind == "binary":
        return X, (RNG.random(size=(n, out)) < 0.5).astype(float)
    return X, RNG.integers(0, out, size=n)  # labels


# -- gradient checks (float64, central differences) ------------------------------

ACTIVATIONS = [ref.Identity(), ref.Sigmoid(), ref.Tanh(), ref.ReLU(), ref.LeakyReLU(),
               ref.LeakyReLU(slope=0.3), ref.PReLU(), ref.PReLU(num_parameters=5, init=0.1),
               ref.ELU(), ref.ELU(alpha=0.7)]


@pytest.mark.parametrize("act", ACTIVATIONS, ids=repr)
def test_gradient_every_activation(act):
    model = ref.Sequential(ref.Dense(3, 5), act, ref.Dense(5, 2), seed=3)
    X, y = data()
    check_gradients(model, X, y, "mse")


def test_gradient_prelu_alpha_per_unit_and_shared_are_learned():
    for p in (1, 4):
        model = ref.Sequential(ref.Dense(3, 4), ref.PReLU(num_parameters=p, init=0.2),
                               ref.Dense(4, 1), seed=p)
        X, y = data(n=20, out=1)
        _, grads = model.loss_and_grad(X, y)
        assert grads["1.alpha"].shape == (p,) and np.all(grads["1.alpha"] != 0)
        check_gradients(model, X, y, "mse")


@pytest.mark.parametrize("k", [1, 2, 3])
def test_gradient_maxout(k):
    model = ref.Sequential(ref.Maxout(3, 4, k=k), ref.Maxout(4, 2, k=k), seed=k)
    assert model.param_shapes == {"0.W": (k, 3, 4), "0.b": (k, 4),
                                  "1.W": (k, 4, 2), "1.b": (k, 2)}
    X, y = data()
    check_gradients(model, X, y, "mse")


@pytest.mark.parametrize("loss,last,kind,out", [
    ("mse", ref.Identity(), "regression", 2),
    ("mse", ref.Identity(), "regression", 1),
    ("mse_mean", ref.Identity(), "regression", 3),
    ("mse", ref.Sigmoid(), "binary", 2),       # ordinary path through σ'
    ("mse", ref.Softmax(), "binary", 3),       # full softmax Jacobian-vector product
    ("mse_mean", ref.Softmax(), "binary", 3),
    ("bce", ref.Sigmoid(), "binary", 1),       # fused logits path
    ("bce", ref.Sigmoid(), "binary", 3),
    ("ce", ref.Softmax(), "labels", 4),
])
def test_gradient_every_loss(loss, last, kind, out):
    model = ref.Sequential(ref.Dense(3, 4), ref.Tanh(), ref.Dense(4, out), last, seed=5)
    X, y = data(out=out, kind=kind)
    if kind == "binary" and out == 1:
        y = y[:, 0]
    check_gradients(model, X, y, loss)


@pytest.mark.parametrize("targets", ["one_hot", "probabilities", "unnormalised"])
def test_gradient_ce_with_2d_targets(targets):
    model = ref.Sequential(ref.Dense(3, 4), ref.Softmax(), seed=2)
    X, labels = data(out=4, kind="labels")
    if targets == "one_hot":
        c = one_hot(labels, 4, np.float64)
        assert model.loss(X, c, loss="ce") == pytest.approx(model.loss(X, labels, loss="ce"),
                                                           rel=1e-14)
    else:
        c = RNG.random(size=(7, 4))
        if targets == "probabilities":
            c /= c.sum(axis=1, keepdims=True)
    check_gradients(model, X, c, "ce")


@pytest.mark.parametrize("l1,l2", [(0.0, 0.1), (0.05, 0.0), (0.02, 0.3)])
def test_gradient_with_penalty(l1, l2):
    model = ref.Sequential(ref.Dense(3, 4), ref.PReLU(), ref.Maxout(4, 3, k=2),
                           ref.Dense(3, 2), seed=9)
    X, y = data()
    check_gradients(model, X, y, "mse", l1=l1, l2=l2)


def test_penalty_only_on_weights():
    model = ref.Sequential(ref.Dense(3, 4), ref.PReLU(num_parameters=4), ref.Maxout(4, 2),
                           seed=4)
    sd = model.state_dict()
    for name in sd:
        sd[name] = RNG.normal(size=sd[name].shape)
    model.load_state_dict(sd)
    X, y = data()
    base, g0 = model.loss_and_grad(X, y)
    value, g = model.loss_and_grad(X, y, l1=0.3, l2=0.2)
    W = [sd["0.W"], sd["2.W"]]
    assert value - base == pytest.approx(sum(0.2 * (w ** 2).sum() + 0.3 * np.abs(w).sum()
                                             for w in W), rel=1e-12)
    for name in ("0.b", "1.alpha", "2.b"):
        np.testing.assert_array_equal(g[name], g0[name])
    for name in ("0.W", "2.W"):
        np.testing.assert_allclose(g[name] - g0[name],
                                   2 * 0.2 * sd[name] + 0.3 * np.sign(sd[name]), rtol=1e-12)


def test_gradient_deep_network_all_kinds():
    model = ref.Sequential(ref.Dense(4, 6), ref.PReLU(num_parameters=6), ref.Maxout(6, 5, k=3),
                           ref.ELU(), ref.Dense(5, 5), ref.LeakyReLU(), ref.Dense(5, 5),
                           ref.Tanh(), ref.Dense(5, 3), ref.Softmax(), seed=11)
    X = RNG.normal(size=(9, 4))
    y = RNG.integers(0, 3, size=9)
    check_gradients(model, X, y, "ce", l1=0.01, l2=0.02)


# -- losses by hand ----------------------------------------------------------------

def _set(model, **params):
    sd = model.state_dict()
    for key, value in params.items():
        sd[key.replace("_", ".", 1)] = np.asarray(value, dtype=float)
    model.load_state_dict(sd)


def test_loss_values_by_hand():
    model = ref.Sequential(ref.Dense(1, 2), seed=0)
    _set(model, **{"0_W": [[1.0, 2.0]], "0_b": [0.0, 0.0]})
    X = np.array([[1.0], [2.0]])           # h = [[1, 2], [2, 4]]
    c = np.array([[0.0, 2.0], [1.0, 1.0]])  # h − c = [[1, 0], [1, 3]], Σ(h−c)² = 11
    assert model.loss(X, c, loss="mse") == pytest.approx(11 / (2 * 2))
    assert model.loss(X, c, loss="mse_mean") == pytest.approx(11 / 4)


def test_bce_and_ce_match_their_textbook_formulas():
    X, yb = data(out=3, kind="binary")
    m = ref.Sequential(ref.Dense(3, 3), ref.Sigmoid(), seed=1)
    h = m.predict(X)
    expected = -np.mean(yb * np.log(h) + (1 - yb) * np.log(1 - h))
    assert m.loss(X, yb, loss="bce") == pytest.approx(expected, rel=1e-12)

    X, labels = data(out=3, kind="labels")
    m = ref.Sequential(ref.Dense(3, 3), ref.Softmax(), seed=1)
    h = m.predict(X)
    np.testing.assert_allclose(h.sum(axis=1), 1.0)
    expected = -np.mean(np.log(h[np.arange(len(labels)), labels]))
    assert m.loss(X, labels, loss="ce") == pytest.approx(expected, rel=1e-12)


@pytest.mark.filterwarnings("error")
def test_saturated_logits_stay_finite():
    # z = ±1000: σ(z) and softmax(z) are exactly 0/1, log(h) would be −inf
    m = ref.Sequential(ref.Dense(1, 1), ref.Sigmoid(), seed=0)
    _set(m, **{"0_W": [[1000.0]], "0_b": [0.0]})
    X = np.array([[1.0], [-1.0]])
    assert np.array_equal(m.predict(X), [[1.0], [0.0]])
    value, g = m.loss_and_grad(X, np.array([0.0, 1.0]), loss="bce")  # both maximally wrong
    assert value == pytest.approx(1000.0)  # −log σ(−1000) = 1000 + log1p(e^−1000)
    assert all(np.isfinite(v).all() for v in g.values())
    value, _ = m.loss_and_grad(X, np.array([1.0, 0.0]), loss="bce")
    assert 0 <= value < 1e-300

    m = ref.Sequential(ref.Dense(1, 3), ref.Softmax(), seed=0)
    _set(m, **{"0_W": [[1e4, -1e4, 0.0]], "0_b": [0.0, 0.0, 0.0]})
    value, g = m.loss_and_grad(X, np.array([1, 0]), loss="ce")
    # z = [1e4, −1e4, 0] and [−1e4, 1e4, 0]: logsumexp = 1e4, the label's logit −1e4
    assert value == pytest.approx(2e4)
    assert all(np.isfinite(v).all() for v in g.values())
    assert np.isfinite(m.predict(X)).all()


# -- the lecture's examples ----------------------------------------------------------

def test_xor_by_hand_with_step():
    """Lecture "Beispiel: XOR": f(x) = wᵀ step(Wᵀx + c) + b with the slide's numbers."""
    model = ref.Sequential(ref.Dense(2, 2), ref.Step(), ref.Dense(2, 1), seed=0)
    _set(model, **{"0_W": [[1, 1], [1, 1]], "0_b": [-0.5, -1.5],
                   "2_W": [[1], [-1]], "2_b": [0]})
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    a, h, f = model.forward_trace(X)
    np.testing.assert_array_equal(a, [[-0.5, -1.5], [0.5, -0.5], [0.5, -0.5], [1.5, 0.5]])
    np.testing.assert_array_equal(h, [[0, 0], [1, 0], [1, 0], [1, 1]])
    np.testing.assert_array_equal(f, [[0], [1], [1], [0]])
    assert model.loss(X, [0, 1, 1, 0]) == 0.0
    with pytest.raises(ValueError, match="layer 1 .*Step.* has no gradient"):
        model.loss_and_grad(X, [0, 1, 1, 0])
    with pytest.raises(ValueError, match="Step has no gradient"):
        model.layers[1].backward(np.ones((4, 2)))


def test_constant_init_keeps_hidden_units_identical():
    """Lecture "Welche Gewichte nutzen wir?": equal weights get equal gradients forever."""
    model = ref.Sequential(ref.Dense(2, 4, init=init.constant(0.3)), ref.Tanh(),
                           ref.Dense(4, 1, init=init.constant(0.2)), ref.Sigmoid(), seed=0)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    opt = ref.SGD(lr=0.5)
    start = model.state_dict()
    for _ in range(50):
        model.train_step(X, y, loss="bce", optimizer=opt)
    sd = model.state_dict()
    assert not np.allclose(sd["0.W"], start["0.W"])  # it did learn something …
    W1, b1, W2 = sd["0.W"], sd["0.b"], sd["2.W"]
    np.testing.assert_array_equal(W1, W1[:, :1].repeat(4, axis=1))  # … but all 4 units alike
    np.testing.assert_array_equal(b1, np.full(4, b1[0]))
    np.testing.assert_array_equal(W2, np.full((4, 1), W2[0, 0]))


def test_maxout_ties_go_to_the_lowest_piece():
    m = ref.Sequential(ref.Maxout(2, 1, k=3), seed=0)
    _set(m, **{"0_W": np.ones((3, 2, 1)), "0_b": np.zeros((3, 1))})
    _, g = m.loss_and_grad(np.array([[1.0, 2.0]]), np.array([0.0]))
    assert np.all(g["0.W"][0] != 0) and np.all(g["0.W"][1:] == 0)
    np.testing.assert_array_equal(g["0.b"], [[3.0], [0.0], [0.0]])  # δ = h − c = 3


def test_prelu_alpha_gradient_by_hand():
    # one unit, h = a if a > 0 else α·a; J = 1/(2m) Σ (h − c)², m = 2
    m = ref.Sequential(ref.Dense(1, 1), ref.PReLU(init=0.5), seed=0)
    _set(m, **{"0_W": [[1.0]], "0_b": [0.0]})
    X, c = np.array([[-2.0], [3.0]]), np.array([0.0, 0.0])  # h = [−1, 3]
    _, g = m.loss_and_grad(X, c)
    # ∂J/∂α = Σ δ·min(a, 0) with δ = (h − c)/m: (−1/2)·(−2) + (3/2)·0 = 1
    np.testing.assert_allclose(g["1.alpha"], [1.0])


def test_accepts_nncore_layer_specs():
    layers = [spec.Dense(3, 4), spec.ELU(alpha=0.5), spec.Dense(4, 2), spec.Softmax()]
    a = ref.Sequential(*layers, seed=3)
    b = ref.Sequential(ref.Dense(3, 4), ref.ELU(alpha=0.5), ref.Dense(4, 2), ref.Softmax(),
                       seed=3)
    assert isinstance(a.layers[1], ref.ELU) and a.layers[1].alpha == 0.5
    X = RNG.normal(size=(5, 3))
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_float32_model_computes_in_float32():
    X, y = data(kind="labels", out=3)
    layers = lambda: [ref.Dense(3, 5), ref.ReLU(), ref.Dense(5, 3), ref.Softmax()]  # noqa: E731
    m32 = ref.Sequential(*layers(), dtype=np.float32, seed=8)
    m64 = ref.Sequential(*layers(), dtype=np.float64, seed=8)
    assert m32.predict(X).dtype == np.float32
    assert all(t.dtype == np.float32 for t in m32.forward_trace(X))
    L32, g32 = m32.loss_and_grad(X, y, loss="ce", l2=0.01)
    L64, g64 = m64.loss_and_grad(X, y, loss="ce", l2=0.01)
    assert L32 == pytest.approx(L64, rel=1e-5)
    for name in g64:
        assert g32[name].dtype == np.float32
        np.testing.assert_allclose(g32[name], g64[name], rtol=1e-4, atol=1e-6)


def test_shapes_names_and_state_dict_round_trip():
    m = ref.Sequential(ref.Dense(2, 10), ref.Tanh(), ref.Dense(10, 1), ref.Sigmoid(), seed=0)
    assert m.num_parameters == 41
    assert m.param_names == ["0.W", "0.b", "2.W", "2.b"]
    X = RNG.normal(size=(4, 2))
    before = m.predict(X)
    sd = m.state_dict()
    m2 = ref.Sequential(ref.Dense(2, 10), ref.Tanh(), ref.Dense(10, 1), ref.Sigmoid(), seed=1)
    assert not np.allclose(m2.predict(X), before)
    m2.load_state_dict(sd)
    np.testing.assert_array_equal(m2.predict(X), before)


# -- optimizers: update formulas against hand-computed numbers --------------------

def run(opt, grads, theta0=1.0, mask=None):
    """Apply opt to a one-element parameter with the gradient sequence `grads`."""
    theta = np.array([theta0])
    state = new_state(opt, 1, np.float64)
    out = []
    for g in grads:
        update(opt, theta, np.array([g]), state, opt.lr, mask)
        out.append(theta[0])
    return out, state


def test_sgd_by_hand():
    out, state = run(ref.SGD(lr=0.1), [0.5, -1.0])
    assert out == pytest.approx([0.95, 1.05], rel=1e-15)
    assert state["t"] == 2


def test_momentum_forms_by_hand():
    # η = 0.1, γ = 0.9, g = 0.5 twice, θ₀ = 1
    out, _ = run(ref.Momentum(lr=0.1, gamma=0.9), [0.5, 0.5])           # m = 0.05, 0.095
    assert out == pytest.approx([0.995, 0.9855], rel=1e-15)
    out, _ = run(ref.Momentum(lr=0.1, gamma=0.9, form="classic"), [0.5, 0.5])  # v = 0.5, 0.95
    assert out == pytest.approx([0.95, 0.855], rel=1e-15)
    out, _ = run(ref.Momentum(lr=0.1, gamma=0.9, form="nesterov"), [0.5, 0.5])
    assert out == pytest.approx([1 - 0.1 * (0.5 + 0.45), 0.905 - 0.1 * (0.5 + 0.855)], rel=1e-15)
    out, _ = run(ref.Momentum(lr=0.1, gamma=0.0), [0.5, -1.0])  # γ = 0: gradient descent
    assert out == pytest.approx([0.95, 1.05], rel=1e-15)


def test_rmsprop_by_hand():
    # α = 0.1, γ = 0.9, ε = 1e-8; v₁ = 0.1·0.25 = 0.025, v₂ = 0.9·0.025 + 0.1·1 = 0.1225
    out, _ = run(ref.RMSprop(lr=0.1, gamma=0.9, eps=1e-8), [0.5, -1.0])
    t1 = 1 - 0.1 * 0.5 / math.sqrt(0.025 + 1e-8)
    assert out == pytest.approx([t1, t1 + 0.1 * 1.0 / math.sqrt(0.1225 + 1e-8)], rel=1e-14)
    out, _ = run(ref.RMSprop(lr=0.1, gamma=0.9, eps=1e-8, eps_inside=False), [0.5, -1.0])
    t1 = 1 - 0.1 * 0.5 / (math.sqrt(0.025) + 1e-8)
    assert out == pytest.approx([t1, t1 + 0.1 * 1.0 / (math.sqrt(0.1225) + 1e-8)], rel=1e-14)


def test_adam_by_hand():
    # step 1: m̂ = g, v̂ = g², so θ moves by η·g/(|g| + ε) ≈ η
    out, state = run(ref.Adam(lr=0.1), [0.5, -1.0, 0.25])
    t1 = 1 - 0.1 * 0.5 / (0.5 + 1e-8)
    m, v, expected, theta = 0.0, 0.0, [], 1.0
    for t, g in enumerate([0.5, -1.0, 0.25], start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        theta -= 0.1 * (m / (1 - 0.9 ** t)) / (math.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        expected.append(theta)
    assert out[0] == pytest.approx(t1, rel=1e-15)
    assert out == pytest.approx(expected, rel=1e-14)
    assert state["t"] == 3 and state["m"][0] == pytest.approx(m) and state["v"][0] == pytest.approx(v)


def test_adamw_decays_weights_only():
    opt = ref.Adam(lr=0.1, weight_decay=0.1)
    theta = np.array([1.0, 1.0])
    update(opt, theta, np.zeros(2), new_state(opt, 2, np.float64), 0.1, np.array([True, False]))
    # θ ← θ − ηλθ = 0.99 on the weight; the Adam step itself is 0 for g = 0
    np.testing.assert_allclose(theta, [0.99, 1.0], rtol=1e-15)


def test_optimizer_spec_carries_every_hyperparameter():
    for opt in (ref.SGD(), ref.Momentum(), ref.RMSprop(), ref.Adam()):
        for attr in ("kind", "lr", "gamma", "beta1", "beta2", "eps", "form", "eps_inside",
                     "weight_decay"):
            assert hasattr(opt, attr)
    assert ref.Adam().hyperparameters() == {"lr": 0.001, "beta1": 0.9, "beta2": 0.999,
                                            "eps": 1e-8, "weight_decay": 0.0,
                                            "eps_inside": False}
    assert repr(ref.Momentum(form="nesterov")) == "Momentum(lr=0.01, gamma=0.9, form='nesterov')"


@pytest.mark.parametrize("make,message", [
    (lambda: ref.Adam(lr=-1), "Adam: lr must be > 0, got -1"),
    (lambda: ref.SGD(lr=0), "SGD: lr must be > 0, got 0"),
    (lambda: ref.Adam(beta1=1.0), r"Adam: beta1 must be in \[0, 1\), got 1.0"),
    (lambda: ref.Adam(beta2=-0.1), r"Adam: beta2 must be in \[0, 1\), got -0.1"),
    (lambda: ref.Adam(eps=0), "Adam: eps must be > 0, got 0"),
    (lambda: ref.Adam(weight_decay=-1e-3), "Adam: weight_decay must be >= 0, got -0.001"),
    (lambda: ref.Momentum(gamma=1.5), r"Momentum: gamma must be in \[0, 1\), got 1.5"),
    (lambda: ref.Momentum(form="heavy"), "Momentum: form must be one of"),
    (lambda: ref.RMSprop(lr=float("nan")), "RMSprop: lr must be finite, got nan"),
])
def test_optimizer_validation(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_optimizer_type_errors():
    with pytest.raises(TypeError, match="SGD: lr must be a real number, got '0.1'"):
        ref.SGD(lr="0.1")
    with pytest.raises(TypeError, match="RMSprop: eps_inside must be True or False"):
        ref.RMSprop(eps_inside=1)


# -- schedules --------------------------------------------------------------------

def test_schedule_sequences():
    lrs = lambda s, n: [s.lr_at(e, 1.0) for e in range(n)]  # noqa: E731
    assert lrs(ref.StepDecay(step_size=3), 7) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert lrs(ref.StepDecay(2, gamma=0.1), 5) == pytest.approx([1, 1, 0.1, 0.1, 0.01])
    assert lrs(ref.ExponentialDecay(0.5), 4) == [1, 0.5, 0.25, 0.125]
    assert lrs(ref.CosineDecay(t_max=4), 6) == pytest.approx(
        [1, (1 + math.sqrt(0.5)) / 2, 0.5, (1 - math.sqrt(0.5)) / 2, 0, 0], abs=1e-15)
    assert lrs(ref.CosineDecay(t_max=2, min_lr=0.2), 4) == pytest.approx([1, 0.6, 0.2, 0.2])


def test_reduce_on_plateau_sequence():
    s = ref.ReduceOnPlateau(factor=0.5, patience=2, min_lr=0.2, threshold=0.1)
    state, out = {}, []
    losses = [10, 9.5, 9.2, 8, 8, 8, 8, 8, 8, 8]
    for e, loss in enumerate(losses):
        out.append(s.lr_at(e, 1.0, state))
        s.end_epoch(loss, state)
    # 10 best; 9.5, 9.2 are not better than 10 − 1 → after 2 epochs lr 0.5; 8 is (best 8);
    # then 2 flat epochs → 0.25; 2 more → max(0.125, 0.2) = 0.2
    assert out == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]


@pytest.mark.parametrize("make,message", [
    (lambda: ref.StepDecay(0), "StepDecay: step_size must be a positive integer, got 0"),
    (lambda: ref.ExponentialDecay(-0.5), "ExponentialDecay: gamma must be > 0, got -0.5"),
    (lambda: ref.CosineDecay(t_max=2.5), "CosineDecay: t_max must be a positive integer"),
    (lambda: ref.ReduceOnPlateau(factor=1.0), r"ReduceOnPlateau: factor must be in \(0, 1\)"),
])
def test_schedule_validation(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# -- the training loop --------------------------------------------------------------

def small_problem(n=10):
    X = RNG.normal(size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)
    return X, y


def net(seed=0, dtype=np.float64):
    return ref.Sequential(ref.Dense(2, 4), ref.Tanh(), ref.Dense(4, 1), ref.Sigmoid(),
                          dtype=dtype, seed=seed)


def test_fit_full_batch_sgd_is_gradient_descent():
    X, y = small_problem()
    a, b = net(), net()
    hist = a.fit(X, y, loss="bce", optimizer=ref.SGD(lr=0.3), epochs=5, batch_size=100)
    losses = []
    for _ in range(5):  # θ ← θ − α ∂J/∂θ (lecture "Gradient descent"), by hand
        value, g = b.loss_and_grad(X, y, loss="bce")
        b.load_state_dict({k: v - 0.3 * g[k] for k, v in b.state_dict().items()})
        losses.append(value)
    assert hist.history["loss"] == pytest.approx(losses, rel=1e-14)
    assert hist.history["lr"] == [0.3] * 5
    np.testing.assert_allclose(a.get_flat_parameters(), b.get_flat_parameters(), rtol=1e-14)


@pytest.mark.parametrize("shuffle", [True, False])
def test_fit_batches_follow_the_shared_permutation(shuffle):
    X, y = small_problem(n=10)
    a, b = net(seed=3), net(seed=3)
    hist = a.fit(X, y, loss="bce", optimizer=ref.SGD(lr=0.1), epochs=3, batch_size=4,
                 shuffle=shuffle, l2=0.01)
    epoch_losses = []
    for e in range(3):
        order = permutation(3, e, 10) if shuffle else np.arange(10)  # seed=None: model seed
        total = 0.0
        for rows in (order[0:4], order[4:8], order[8:10]):  # the last batch has 2 rows
            value, g = b.loss_and_grad(X[rows], y[rows], loss="bce", l2=0.01)
            b.load_state_dict({k: v - 0.1 * g[k] for k, v in b.state_dict().items()})
            total += value * len(rows)
        epoch_losses.append(total / 10)
    assert hist.history["loss"] == pytest.approx(epoch_losses, rel=1e-13)
    np.testing.assert_allclose(a.get_flat_parameters(), b.get_flat_parameters(), rtol=1e-13)


def test_fit_seed_and_optimizer_state():
    X, y = small_problem(n=10)
    opt = ref.Adam(lr=0.01)
    a, b, c = net(), net(), net()
    a.fit(X, y, loss="bce", optimizer=opt, epochs=2, batch_size=4, seed=5)
    b.fit(X, y, loss="bce", optimizer=opt, epochs=2, batch_size=4, seed=5)
    c.fit(X, y, loss="bce", optimizer=opt, epochs=2, batch_size=4, seed=6)
    np.testing.assert_array_equal(a.get_flat_parameters(), b.get_flat_parameters())
    assert not np.array_equal(a.get_flat_parameters(), c.get_flat_parameters())
    assert a._optimizer_state(opt)["t"] == 6  # 3 batches × 2 epochs; one state per model
    a.fit(X, y, loss="bce", optimizer=opt, epochs=1, batch_size=4)
    assert a._optimizer_state(opt)["t"] == 9  # carried over to the next fit
    assert b._optimizer_state(opt)["t"] == 6
    a.train_step(X, y, loss="bce", optimizer=ref.Adam(lr=0.01))  # another object: fresh state
    assert a.optimizer_state["t"] == 1


def test_fit_continues_epoch_numbering_across_calls():
    X, y = small_problem(n=10)
    a, b = net(), net()
    opt_a, opt_b = ref.Adam(lr=0.02), ref.Adam(lr=0.02)
    sched = ref.StepDecay(step_size=2, gamma=0.5)
    h1 = a.fit(X, y, loss="bce", optimizer=opt_a, epochs=2, batch_size=3, lr_schedule=sched)
    h2 = a.fit(X, y, loss="bce", optimizer=opt_a, epochs=2, batch_size=3, lr_schedule=sched)
    hb = b.fit(X, y, loss="bce", optimizer=opt_b, epochs=4, batch_size=3, lr_schedule=sched)
    assert h1.epoch + h2.epoch == hb.epoch == [0, 1, 2, 3]
    assert h1.history["lr"] + h2.history["lr"] == hb.history["lr"] == [0.02, 0.02, 0.01, 0.01]
    assert h1.history["loss"] + h2.history["loss"] == hb.history["loss"]
    np.testing.assert_array_equal(a.get_flat_parameters(), b.get_flat_parameters())


def test_fit_defaults_for_loss_and_optimizer():
    X, y = small_problem(n=10)
    a, b = net(), net()
    a.fit(X, y, epochs=2)  # Sigmoid last: bce; Adam() by default
    b.fit(X, y, loss="bce", optimizer=ref.Adam(), epochs=2)
    np.testing.assert_array_equal(a.get_flat_parameters(), b.get_flat_parameters())
    opt = ref.SGD(lr=0.1)
    a.train_step(X, y, optimizer=opt)
    a.train_step(X, y)  # the last optimizer again
    assert a.optimizer_state["optimizer"] is opt and a.optimizer_state["t"] == 2


def test_fit_validation_split_takes_the_last_rows():
    X, y = small_problem(n=10)
    a, b = net(), net()
    ha = a.fit(X, y, loss="bce", optimizer=ref.SGD(lr=0.1), epochs=2, validation_split=0.3)
    hb = b.fit(X[:7], y[:7], loss="bce", optimizer=ref.SGD(lr=0.1), epochs=2,
               validation_data=(X[7:], y[7:]))
    assert ha.history == hb.history
    with pytest.raises(ValueError, match=r"fit: validation_split must be in \(0, 1\)"):
        a.fit(X, y, optimizer=ref.SGD(), validation_split=1.5)


def test_fit_early_stopping_restores_the_best_weights():
    X, y = small_problem(n=8)
    stop = SimpleNamespace(patience=3, min_delta=1e-3, restore_best=True)  # as nc.EarlyStopping
    m, one = net(), net()
    # lr = 1e-6 cannot lower the loss by min_delta: epoch 0 is best, 1..3 are not better
    hist = m.fit(X, y, loss="bce", optimizer=ref.SGD(lr=1e-6), epochs=50, batch_size=8,
                 early_stopping=stop)
    assert hist.stop_reason == "early_stopping" and hist.best_epoch == 0
    assert hist.epoch == [0, 1, 2, 3]
    one.fit(X, y, loss="bce", optimizer=ref.SGD(lr=1e-6), epochs=1, batch_size=8)
    np.testing.assert_array_equal(m.get_flat_parameters(), one.get_flat_parameters())
    h2 = net().fit(X, y, loss="bce", optimizer=ref.SGD(lr=0.5), epochs=5, batch_size=8,
                   early_stopping=2)  # an int is the patience
    assert h2.stop_reason == "completed" and h2.best_epoch == 4


def test_fit_validation_loss_includes_penalty():
    X, y = small_problem(n=12)
    Xv, yv = small_problem(n=5)
    m = net()
    hist = m.fit(X, y, loss="bce", optimizer=ref.Adam(lr=0.01), epochs=2, batch_size=5,
                 l1=0.01, l2=0.02, validation_data=(Xv, yv))
    assert set(hist.history) == {"loss", "val_loss", "lr"} and hist.epoch == [0, 1]
    assert hist.history["val_loss"][-1] == pytest.approx(
        m.loss(Xv, yv, loss="bce", l1=0.01, l2=0.02), rel=1e-14)


def test_fit_with_schedule_and_clipping():
    X, y = small_problem(n=8)
    a, b = net(), net()
    hist = a.fit(X, y, loss="bce", optimizer=ref.SGD(lr=1.0), epochs=4, batch_size=8,
                 lr_schedule=ref.StepDecay(step_size=2, gamma=0.5), clip_norm=0.05)
    assert hist.history["lr"] == [1.0, 1.0, 0.5, 0.5]
    for lr in hist.history["lr"]:
        _, g = b.loss_and_grad(X, y, loss="bce")
        norm = math.sqrt(sum((v ** 2).sum() for v in g.values()))
        assert norm > 0.05  # the clipping is active in this test
        b.load_state_dict({k: v - lr * g[k] * (0.05 / norm) for k, v in b.state_dict().items()})
    np.testing.assert_allclose(a.get_flat_parameters(), b.get_flat_parameters(), rtol=1e-13)


def test_fit_reduce_on_plateau_monitors_the_loss():
    X, y = small_problem(n=8)
    hist = net().fit(X, y, loss="bce", optimizer=ref.SGD(lr=1e-9), epochs=7, batch_size=8,
                     lr_schedule=ref.ReduceOnPlateau(factor=0.1, patience=3))
    # lr = 1e-9 does not move the loss by 1e-4 relative: epoch 0 sets best, 1..3 do not improve
    assert hist.history["lr"] == pytest.approx([1e-9] * 4 + [1e-10] * 3)


def test_train_step_returns_the_loss_before_the_step():
    X, y = small_problem()
    m = net()
    before = m.loss(X, y, loss="bce", l2=0.1)
    assert m.train_step(X, y, loss="bce", optimizer=ref.SGD(lr=0.5), l2=0.1) == before
    assert m.loss(X, y, loss="bce", l2=0.1) < before
    p = m.get_flat_parameters()
    _, g = m.loss_and_grad(X, y, loss="bce")
    m.train_step(X, y, loss="bce", optimizer=ref.SGD(lr=0.5), lr=0.01)  # lr overrides
    np.testing.assert_allclose(m.get_flat_parameters(), p - 0.01 * flat(m, g), rtol=1e-14)
    p = m.get_flat_parameters()
    _, g = m.loss_and_grad(X, y, loss="bce")
    g = flat(m, g)
    m.train_step(X, y, loss="bce", optimizer=ref.SGD(lr=1.0), clip_norm=1e-3)
    np.testing.assert_allclose(m.get_flat_parameters(), p - g * (1e-3 / np.linalg.norm(g)),
                               rtol=1e-13)


def test_fit_learns_xor_with_adam():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    m = ref.Sequential(ref.Dense(2, 4), ref.Tanh(), ref.Dense(4, 1), ref.Sigmoid(), seed=0)
    hist = m.fit(X, y, loss="bce", optimizer=ref.Adam(lr=0.05), epochs=500, batch_size=4)
    assert hist.history["loss"][-1] < 0.05
    np.testing.assert_array_equal(m.predict(X)[:, 0] > 0.5, y == 1)


def test_fit_float32_keeps_float32():
    X, y = small_problem()
    m = net(dtype=np.float32)
    hist = m.fit(X, y, loss="bce", optimizer=ref.Momentum(lr=0.1, form="nesterov"), epochs=3,
                 batch_size=3)
    assert m.get_flat_parameters().dtype == np.float32
    assert all(np.isfinite(hist.history["loss"]))


@pytest.mark.parametrize("kwargs,exc,message", [
    (dict(optimizer="adam"), TypeError, "fit: optimizer must be an optimizer"),
    (dict(epochs=0), ValueError, "fit: epochs must be a positive integer, got 0"),
    (dict(batch_size=2.5), ValueError, "fit: batch_size must be a positive integer"),
    (dict(shuffle="yes"), TypeError, "fit: shuffle must be True or False"),
    (dict(seed=-1), ValueError, "fit: seed must be None or a non-negative integer"),
    (dict(clip_norm=0), ValueError, "fit: clip_norm must be > 0"),
    (dict(lr_schedule=0.5), TypeError, "fit: lr_schedule must be None, a schedule"),
    (dict(validation_data=np.zeros((3, 2))), TypeError, "fit: validation_data must be a pair"),
    (dict(early_stopping="3"), TypeError, "fit: early_stopping must be None, an int"),
    (dict(early_stopping=0), ValueError, "fit: early_stopping must be a positive integer"),
    (dict(validation_data=(np.zeros((3, 3)), np.zeros(3))), ValueError,
     "fit: validation_data: X has 3 features, the model expects 2"),
])
def test_fit_argument_errors(kwargs, exc, message):
    X, y = small_problem()
    args = dict(loss="bce", optimizer=ref.SGD(), epochs=1)
    args.update(kwargs)
    with pytest.raises(exc, match=message):
        net().fit(X, y, **args)


def test_fit_refuses_step_networks():
    m = ref.Sequential(ref.Dense(2, 2), ref.Step(), ref.Dense(2, 1), seed=0)
    X, y = small_problem()
    with pytest.raises(ValueError, match="fit: layer 1 .*has no gradient"):
        m.fit(X, y, optimizer=ref.SGD())
