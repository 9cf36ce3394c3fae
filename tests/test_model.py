"""nncore.Sequential (C++ core) against nncore.reference, gradient checks, the lecture's
examples, initialisation, state dicts and determinism (docs/design.md).

Cross-checks: the core model and its reference twin hold the same weights
(conftest.twins); float64 is compared with rtol 1e-12, float32 with the float64
reference at rtol 1e-5 + eps32·n_reduce·scale (conftest.tolerance). The measured
errors are printed in the terminal summary of the run. Typical float64 errors are
1e-15; Tanh reaches ~6e-14 where σ' = 1 − h² cancels at saturated units (a 1-ulp
difference in tanh, amplified), still far inside 1e-12. For float32, inputs are kept
1e-3 away from kinks (a rounding could flip the branch) and |a| ≤ 2.5 at Tanh/Sigmoid
(the same cancellation costs float32 ~4 digits there: conditioning, not code).

Longer than 400 lines on purpose: one cross-check per layer kind, loss and penalty over the same twin helpers.
"""
import threading

import numpy as np
import pytest

import nncore as nc
import nncore.reference as ref
from conftest import (assert_close, build, make_targets, make_X, randomize,
                      record_error, rng_for, rows_away_from_kinks, twins)

DTYPES = [np.float64, np.float32]
DTYPE_IDS = ["f64", "f32"]
ROWS = [1, 3, 17, 1000]
WIDTHS = [1, 3, 17, 33]
# the input width paired with each hidden width (so odd sizes appear on both sides)
IN_FOR = {1: 3, 3: 17, 17: 33, 33: 1}


# -- architectures, one per component ---------------------------------------------

def hidden(name, *args, **kwargs):
    """Dense(d, w) → <activation> → Dense(w, 3): the activation sits between two GEMMs."""
    def specs(d, w):
        return [("Dense", (d, w), {}), (name, args, kwargs), ("Dense", (w, 3), {})]
    return specs


LAYER_CASES = {
    "Dense": lambda d, w: [("Dense", (d, w), {})],
    "Dense+Dense": lambda d, w: [("Dense", (d, w), {}), ("Dense", (w, 2), {})],
    "Identity": hidden("Identity"),
    "Sigmoid": hidden("Sigmoid"),
    "Tanh": hidden("Tanh"),
    "ReLU": hidden("ReLU"),
    "LeakyReLU(0.1)": hidden("LeakyReLU"),  # the lecture's default slope
    "LeakyReLU(0.01)": hidden("LeakyReLU", 0.01),
    "LeakyReLU(0.3)": hidden("LeakyReLU", slope=0.3),
    "PReLU(shared)": hidden("PReLU"),
    "PReLU(per-unit)": lambda d, w: [("Dense", (d, w), {}), ("PReLU", (w,), {}),
                                     ("Dense", (w, 3), {})],
    "ELU(1.0)": hidden("ELU"),
    "ELU(0.7)": hidden("ELU", alpha=0.7),
    "Maxout(k=1)": lambda d, w: [("Maxout", (d, w), {"k": 1}), ("Dense", (w, 3), {})],
    "Maxout(k=2)": lambda d, w: [("Maxout", (d, w), {"k": 2}), ("Dense", (w, 3), {})],
    "Maxout(k=3)": lambda d, w: [("Maxout", (d, w), {"k": 3}), ("Dense", (w, 3), {})],
    "Step": hidden("Step"),
    "Softmax": lambda d, w: [("Dense", (d, w), {}), ("Softmax", (), {})],
}


def sample_rows(model_ref, n, d, rng, margin=1e-3, saturation=None):
    """n rows of X whose pre-activations stay `margin` away from every kink, so that
    float32 rounding cannot flip a branch (ReLU family, Step, Maxout winner); with
    `saturation`, also |a| ≤ saturation at Tanh/Sigmoid (see rows_away_from_kinks)."""
    X = make_X(6 * n + 20, d, rng)
    X = X[rows_away_from_kinks(model_ref, X, margin, saturation)]
    assert X.shape[0] >= n, "not enough rows away from the kinks"
    return X[:n]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("w", WIDTHS)
@pytest.mark.parametrize("n", ROWS)
@pytest.mark.parametrize("case", list(LAYER_CASES))
def test_layer_matches_reference(case, n, w, dtype):
    d = IN_FOR[w]
    specs = LAYER_CASES[case](d, w)
    rng = rng_for(case, n, w)
    core, twin = twins(specs, dtype=dtype, seed=1, rng=rng)
    X = sample_rows(twin, n, d, rng, saturation=None if dtype == np.float64 else 2.5)
    X = X.astype(dtype)  # the reference sees exactly the values the core sees
    X64 = X.astype(np.float64)
    red = n + d + w  # longest reductions: rows (∂W), fan-in (a), width (δ·Wᵀ)

    # predict and forward_trace
    assert_close(core.predict(X), twin.predict(X64), dtype, red, component=case,
                 what="predict")
    got, want = core.forward_trace(X), twin.forward_trace(X64)
    assert len(got) == len(want) == len(specs)
    for i, (g, e) in enumerate(zip(got, want)):
        assert g.dtype == dtype
        assert_close(g, e, dtype, red, component=case, what=f"forward_trace[{i}]")

    # loss and gradients (mse; Softmax last uses the full softmax Jacobian)
    Y = rng.normal(size=(n, core.n_outputs))
    value = core.loss(X, Y)
    assert_close(value, twin.loss(X64, Y), dtype, n * core.n_outputs, component=case,
                 what="loss")
    if case == "Step":
        with pytest.raises(ValueError, match=r"loss_and_grad: layer 1 \(Step\(\)\) has no gradient"):
            core.loss_and_grad(X, Y)
        return
    value2, grads = core.loss_and_grad(X, Y)
    ref_value, ref_grads = twin.loss_and_grad(X64, Y)
    assert value2 == value  # loss() and loss_and_grad() run the same forward pass
    assert list(grads) == core.param_names
    for name in core.param_names:
        assert grads[name].dtype == dtype and grads[name].shape == core.param_shapes[name]
        assert_close(grads[name], ref_grads[name], dtype, red, component=case,
                     what=f"grad {name}")


# -- losses and penalties -----------------------------------------------------------

LOSS_CASES = {
    # id: (loss, last layer, outputs, target form)
    "mse(out=1, 1-D y)": ("mse", "Identity", 1, "default"),
    "mse(out=3)": ("mse", "Identity", 3, "default"),
    "mse_mean(out=1)": ("mse_mean", "Identity", 1, "default"),
    "mse_mean(out=3)": ("mse_mean", "Identity", 3, "default"),
    "mse after Sigmoid": ("mse", "Sigmoid", 3, "default"),
    "mse after Softmax": ("mse", "Softmax", 4, "default"),
    "bce(out=1)": ("bce", "Sigmoid", 1, "default"),
    "bce(out=3)": ("bce", "Sigmoid", 3, "default"),
    "bce(out=3, soft targets)": ("bce", "Sigmoid", 3, "soft"),
    "ce(int labels)": ("ce", "Softmax", 4, "labels"),
    "ce(integral float labels)": ("ce", "Softmax", 4, "float_labels"),
    "ce(one-hot)": ("ce", "Softmax", 4, "one_hot"),
    "ce(probabilities)": ("ce", "Softmax", 4, "probs"),
}


def loss_specs(d, out, last):
    return [("Dense", (d, 17), {}), ("Tanh", (), {}), ("Dense", (17, out), {}), (last, (), {})]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("n", ROWS)
@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_loss_matches_reference(case, n, dtype):
    loss, last, out, form = LOSS_CASES[case]
    d = 5
    rng = rng_for("loss", case, n)
    core, twin = twins(loss_specs(d, out, last), dtype=dtype, seed=2, rng=rng,
                       weight_scale=1.0)
    X = make_X(n, d, rng).astype(dtype)
    y = make_targets(loss, n, out, rng, form)
    if dtype == np.float32 and np.asarray(y).dtype.kind == "f":
        y = np.asarray(y).astype(np.float32)  # same target values on both sides
    X64 = X.astype(np.float64)
    y64 = y if np.asarray(y).dtype.kind in "iu" else np.asarray(y, dtype=np.float64)
    red = n * out + 17 + d
    comp = f"loss {loss}"
    value = core.loss(X, y, loss=loss)
    assert isinstance(value, float)
    assert_close(value, twin.loss(X64, y64, loss=loss), dtype, red, component=comp,
                 what="loss")
    v2, grads = core.loss_and_grad(X, y, loss=loss)
    rv, rgrads = twin.loss_and_grad(X64, y64, loss=loss)
    assert v2 == value
    assert_close(v2, rv, dtype, red, component=comp, what="loss_and_grad value")
    for name in core.param_names:
        assert_close(grads[name], rgrads[name], dtype, red, component=comp,
                     what=f"grad {name}")


PENALTIES = {"l1": (1e-2, 0.0), "l2": (0.0, 1e-2), "l1+l2": (3e-3, 7e-3)}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("n", [1, 17, 1000])
@pytest.mark.parametrize("pen", list(PENALTIES))
def test_penalty_matches_reference(pen, n, dtype):
    l1, l2 = PENALTIES[pen]
    specs = [("Maxout", (5, 17), {"k": 2}), ("PReLU", (17,), {}), ("Dense", (17, 3), {}),
             ("Sigmoid", (), {})]
    rng = rng_for("penalty", pen, n)
    core, twin = twins(specs, dtype=dtype, seed=4, rng=rng)
    X = sample_rows(twin, n, 5, rng).astype(dtype)
    y = make_targets("bce", n, 3, rng).astype(dtype)
    value, grads = core.loss_and_grad(X, y, loss="bce", l1=l1, l2=l2)
    rv, rgrads = twin.loss_and_grad(X.astype(np.float64), y.astype(np.float64), loss="bce",
                                    l1=l1, l2=l2)
    comp = f"penalty {pen}"
    red = n * 3 + 17 * 5 * 2
    assert_close(value, rv, dtype, red, component=comp, what="value")
    assert value == core.loss(X, y, loss="bce", l1=l1, l2=l2)
    for name in core.param_names:
        assert_close(grads[name], rgrads[name], dtype, red, component=comp, what=name)
    # the penalty is on weights only: α and biases get the same gradient as without it
    _, plain = core.loss_and_grad(X, y, loss="bce")
    for name in ("0.b", "1.alpha", "2.b"):
        np.testing.assert_array_equal(grads[name], plain[name])
    w = core.state_dict()
    expected = sum(l2 * np.sum(w[k].astype(np.float64) ** 2)
                   + l1 * np.sum(np.abs(w[k].astype(np.float64))) for k in ("0.W", "2.W"))
    assert_close(value - core.loss(X, y, loss="bce"), expected, dtype, red, reordered=True,
                 what="penalty value")


def test_predict_in_chunks_matches_reference():
    """predict works in chunks of 4096 rows: a 5000-row batch crosses a chunk border."""
    rng = rng_for("chunks")
    core, twin = twins(hidden("Tanh")(4, 9), rng=rng)
    X = make_X(5000, 4, rng)
    Y = rng.normal(size=(5000, 3))
    assert_close(core.predict(X), twin.predict(X), component="predict 5000 rows (chunks)")
    assert_close(core.loss(X, Y), twin.loss(X, Y), component="predict 5000 rows (chunks)")
    np.testing.assert_array_equal(core.predict(X)[4090:4100], core.predict(X[4090:4100]))



@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", ["mse(out=3)", "mse_mean(out=3)", "bce(out=3)",
                                  "ce(int labels)", "ce(probabilities)"])
def test_loss_and_grad_in_chunks_matches_reference(case, weighted, dtype, restore_threads):
    """loss and loss_and_grad work in chunks of 4096 rows (bounded workspace, Ctrl-C
    between chunks): 9000 rows (two full chunks and a part, the first one with weight 0
    when weighted) match the reference, the penalty counts once, and 1, 2 and 3 threads
    give the same bits."""
    loss, last, out, form = LOSS_CASES[case]
    n, d = 9000, 5
    rng = rng_for("loss chunks", case, weighted)
    core, twin = twins(loss_specs(d, out, last), dtype=dtype, seed=2, rng=rng,
                       weight_scale=1.0)
    X = make_X(n, d, rng).astype(dtype)
    y = make_targets(loss, n, out, rng, form)
    if np.asarray(y).dtype.kind == "f":
        y = np.asarray(y).astype(dtype)
    w = rng.uniform(0.0, 2.0, size=n) if weighted else None
    if weighted:
        w[:4096] = 0.0  # a whole chunk without weight
    runs = []
    for threads in (1, 2, 3):
        nc.set_num_threads(threads)
        runs.append(core.loss_and_grad(X, y, loss=loss, l1=1e-3, l2=2e-3, sample_weight=w))
    value, grads = runs[0]
    for v, g in runs[1:]:
        assert v == value
        for name in core.param_names:
            np.testing.assert_array_equal(g[name], grads[name])
    assert core.loss(X, y, loss=loss, l1=1e-3, l2=2e-3, sample_weight=w) == value
    y64 = y if np.asarray(y).dtype.kind in "iu" else np.asarray(y, dtype=np.float64)
    rv, rgrads = twin.loss_and_grad(X.astype(np.float64), y64, loss=loss, l1=1e-3, l2=2e-3,
                                    sample_weight=w)
    red = n * out + 17 + d
    comp = f"loss_and_grad in chunks, {loss}"
    assert_close(value, rv, dtype, red, component=comp, what="value")
    for name in core.param_names:
        assert_close(grads[name], rgrads[name], dtype, red, component=comp,
                     what=f"grad {name}")

EXTREMES = np.array([-1e4, -745.0, -710.0, -100.0, -30.0, -20.0, -1e-30, 1e-30, 20.0, 30.0,
                     88.0, 89.0, 100.0, 710.0, 1e4])


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("act", ["Sigmoid", "Tanh", "ELU", "ReLU", "LeakyReLU", "PReLU",
                                 "Softmax", "Identity"])
def test_extreme_pre_activations_stay_finite_and_match(act, dtype):
    """Pre-activations from ±1e-30 to ±1e4 (exp under/overflow territory) give finite
    outputs, losses and gradients equal to the reference's (normwise)."""
    d = EXTREMES.size
    specs = [("Dense", (d, d), {}), (act, (), {})]
    if act != "Softmax":
        specs.append(("Dense", (d, 2), {}))
    core, twin = twins(specs, dtype=dtype, seed=0)
    rng = rng_for("extremes", act)
    sd = core.state_dict()
    sd["0.W"], sd["0.b"] = np.eye(d), np.zeros(d)  # the pre-activation is X itself
    if "2.W" in sd:
        sd["2.W"] = rng.normal(size=(d, 2)) * 1e-3
    core.load_state_dict(sd)
    twin.load_state_dict({k: v.astype(np.float64) for k, v in core.state_dict().items()})
    X = np.stack([EXTREMES, EXTREMES[::-1], rng.normal(size=d)]).astype(dtype)
    Y = rng.normal(size=(3, core.n_outputs))
    X64 = X.astype(np.float64)
    for g, e in zip(core.forward_trace(X), twin.forward_trace(X64)):
        assert_close(g, e, dtype, d, component="extreme inputs", what="forward_trace")
    value, grads = core.loss_and_grad(X, Y)
    rv, rg = twin.loss_and_grad(X64, Y)
    assert_close(value, rv, dtype, d, component="extreme inputs", what="loss")
    for name in grads:
        assert_close(grads[name], rg[name], dtype, d, component="extreme inputs", what=name)


KINK_SLOPE = {"ReLU": ((), 0.0), "LeakyReLU": ((), 0.1), "LeakyReLU(0.3)": ((0.3,), 0.3),
              "PReLU": ((), 0.25), "ELU": ((), 1.0), "ELU(0.7)": ((0.7,), 0.7)}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("case", list(KINK_SLOPE))
def test_derivative_conventions_at_the_kink(case, dtype):
    """docs/design.md: at a = 0 ReLU' = 0, LeakyReLU'/PReLU' = slope, ELU' = α; Step(0) = 0."""
    args, slope = KINK_SLOPE[case]
    name = case.split("(")[0]
    model = nc.Sequential(nc.Dense(2, 3, init="zeros"), getattr(nc, name)(*args),
                          nc.Dense(3, 1), dtype=dtype, seed=0)  # a = 0 exactly: W = b = 0
    X = np.array([[1.0, 2.0], [-0.5, 3.0]])
    y = np.array([1.0, -2.0])
    assert np.all(model.forward_trace(X)[1] == 0)
    _, g = model.loss_and_grad(X, y)
    W2 = model.state_dict()["2.W"][:, 0].astype(np.float64)
    delta_out = (0.0 - y) / 2  # mse: δ = (h − c)/m with h = b2 = 0
    expected_dW = slope * np.outer(X.T @ delta_out, W2)
    np.testing.assert_allclose(g["0.W"], expected_dW, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(g["0.b"], slope * delta_out.sum() * W2, rtol=1e-6, atol=1e-12)
    if name == "PReLU":
        assert g["1.alpha"][0] == 0  # ∂h/∂α = min(a, 0) = 0
    step = nc.Sequential(nc.Dense(2, 3, init="zeros"), nc.Step(), dtype=dtype)
    assert np.all(step.predict(X) == 0)


def test_maxout_ties_go_to_the_lowest_piece():
    """Equal pieces: piece 0 wins everywhere, so only W[0], b[0] receive a gradient
    (core and reference alike)."""
    specs = [("Maxout", (3, 4), {"k": 3, "init": nc.init.constant(0.5)}), ("Dense", (4, 2), {})]
    core, twin = twins(specs, seed=0)
    rng = rng_for("maxout-ties")
    X, Y = make_X(6, 3, rng), rng.normal(size=(6, 2))
    _, g = core.loss_and_grad(X, Y)
    _, rg = twin.loss_and_grad(X, Y)
    assert np.any(g["0.W"][0] != 0) and np.any(g["0.b"][0] != 0)
    assert np.all(g["0.W"][1:] == 0) and np.all(g["0.b"][1:] == 0)
    for name in g:
        assert_close(g[name], rg[name], what=name)


# -- gradient checks: central differences in float64 ------------------------------

GRAD_TOL = 1e-6


def gradcheck(model, X, y, loss="mse", l1=0.0, l2=0.0, component=None):
    """nc.check_gradients (error per parameter, relative to its largest entry); a
    parameter whose whole gradient is below 1e-6 is judged in absolute terms."""
    errors = nc.check_gradients(model, X, y, loss=loss, l1=l1, l2=l2, floor=1e-6)
    assert set(errors) == set(model.param_names)
    worst = max(errors.values())
    if component is not None:
        record_error(f"gradcheck {component}", np.float64, worst)
    assert worst < GRAD_TOL, errors
    return errors


GRAD_ACTIVATIONS = {
    "Identity": ("Identity", (), {}),
    "Sigmoid": ("Sigmoid", (), {}),
    "Tanh": ("Tanh", (), {}),
    "ReLU": ("ReLU", (), {}),
    "LeakyReLU(0.1)": ("LeakyReLU", (), {}),
    "LeakyReLU(0.3)": ("LeakyReLU", (0.3,), {}),
    "PReLU(shared)": ("PReLU", (), {}),
    "PReLU(per-unit)": ("PReLU", (5,), {"init": 0.1}),
    "ELU(1.0)": ("ELU", (), {}),
    "ELU(0.7)": ("ELU", (), {"alpha": 0.7}),
    "Softmax (mse)": ("Softmax", (), {}),
}


@pytest.mark.parametrize("case", list(GRAD_ACTIVATIONS))
def test_gradcheck_activation(case):
    act = GRAD_ACTIVATIONS[case]
    specs = [("Dense", (3, 5), {}), act]
    if act[0] != "Softmax":
        specs.append(("Dense", (5, 2), {}))
    rng = rng_for("gc", case)
    core, twin = twins(specs, seed=3, rng=rng)
    X = sample_rows(twin, 9, 3, rng)
    y = rng.normal(size=(9, core.n_outputs))
    errors = gradcheck(core, X, y, component=case)
    if act[0] == "PReLU":
        _, g = core.loss_and_grad(X, y)
        assert np.all(g["1.alpha"] != 0)  # α is really learned
        assert "1.alpha" in errors


@pytest.mark.parametrize("k", [1, 2, 3])
def test_gradcheck_maxout(k):
    specs = [("Maxout", (3, 4), {"k": k}), ("Maxout", (4, 2), {"k": k})]
    rng = rng_for("gc-maxout", k)
    core, twin = twins(specs, seed=k, rng=rng)
    assert core.param_shapes == {"0.W": (k, 3, 4), "0.b": (k, 4), "1.W": (k, 4, 2),
                                 "1.b": (k, 2)}
    X = sample_rows(twin, 11, 3, rng)
    gradcheck(core, X, rng.normal(size=(11, 2)), component=f"Maxout(k={k})")
    if k > 1:  # every piece wins somewhere, so every piece gets a gradient
        _, g = core.loss_and_grad(X, rng.normal(size=(11, 2)))
        assert all(np.any(g["0.W"][j] != 0) for j in range(k))


@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_gradcheck_loss(case):
    loss, last, out, form = LOSS_CASES[case]
    rng = rng_for("gc-loss", case)
    core, _ = twins(loss_specs(3, out, last), seed=5, rng=rng, weight_scale=1.0)
    X = make_X(7, 3, rng)
    gradcheck(core, X, make_targets(loss, 7, out, rng, form), loss=loss,
              component=f"loss {loss}")


@pytest.mark.parametrize("pen", list(PENALTIES))
def test_gradcheck_penalty(pen):
    l1, l2 = PENALTIES[pen]
    rng = rng_for("gc-pen", pen)
    core, twin = twins([("Dense", (3, 4), {}), ("PReLU", (4,), {}), ("Dense", (4, 2), {})],
                       seed=6, rng=rng)
    assert np.min(np.abs(core.get_flat_parameters())) > 1e-4  # away from |W|'s kink
    X = sample_rows(twin, 7, 3, rng)
    gradcheck(core, X, rng.normal(size=(7, 2)), l1=l1, l2=l2, component=f"penalty {pen}")


WHOLE_NETWORKS = {
    "2-10-1 tanh/sigmoid bce": ([("Dense", (2, 10), {}), ("Tanh", (), {}),
                                 ("Dense", (10, 1), {}), ("Sigmoid", (), {})], "bce", 1),
    "every kind, ce": ([("Maxout", (4, 6), {"k": 3}), ("PReLU", (6,), {}),
                        ("Dense", (6, 5), {}), ("ELU", (), {"alpha": 0.7}),
                        ("Dense", (5, 5), {}), ("LeakyReLU", (), {}),
                        ("Dense", (5, 4), {}), ("ReLU", (), {}), ("Dense", (4, 4), {}),
                        ("Sigmoid", (), {}), ("Dense", (4, 3), {}), ("Tanh", (), {}),
                        ("Dense", (3, 3), {}), ("Identity", (), {}), ("Dense", (3, 3), {}),
                        ("Softmax", (), {})], "ce", 3),
    "deep relu mse_mean l1+l2": ([("Dense", (4, 8), {}), ("ReLU", (), {}),
                                  ("Dense", (8, 8), {}), ("PReLU", (), {}),
                                  ("Dense", (8, 2), {})], "mse_mean", 2),
}


@pytest.mark.parametrize("case", list(WHOLE_NETWORKS))
def test_gradcheck_whole_network(case):
    specs, loss, out = WHOLE_NETWORKS[case]
    rng = rng_for("gc-net", case)
    core, twin = twins(specs, seed=7, rng=rng, weight_scale=0.9)
    d = core.n_features
    X = sample_rows(twin, 13, d, rng)
    y = make_targets(loss, 13, out, rng)
    pen = {"l1": 1e-3, "l2": 1e-3} if "l1" in case else {}
    gradcheck(core, X, y, loss=loss, component=f"net {case}", **pen)
    # the reference agrees on the very same point
    _, g = core.loss_and_grad(X, y, loss=loss, **pen)
    _, rg = twin.loss_and_grad(X, y, loss=loss, **pen)
    for name in core.param_names:
        assert_close(g[name], rg[name], component=f"net {case}", what=name)


def test_gradcheck_float32_model_through_float64_copy():
    rng = rng_for("gc-f32")
    core, twin = twins(hidden("Tanh")(3, 5), dtype=np.float32, rng=rng)
    X = make_X(6, 3, rng)
    errors = nc.check_gradients(core, X, rng.normal(size=(6, 3)), floor=1e-6)
    assert max(errors.values()) < GRAD_TOL
    assert core.dtype == np.float32  # the model itself is untouched


# -- the lecture's examples ---------------------------------------------------------

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
XOR_Y = np.array([0, 1, 1, 0])


def xor_network(module, dtype):
    m = module.Sequential(module.Dense(2, 2), module.Step(), module.Dense(2, 1), dtype=dtype)
    m.load_state_dict({"0.W": np.array([[1.0, 1.0], [1.0, 1.0]]), "0.b": np.array([-0.5, -1.5]),
                       "2.W": np.array([[1.0], [-1.0]]), "2.b": np.array([0.0])})
    return m


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_xor_by_hand_with_step(dtype):
    model = xor_network(nc, dtype)
    out = model.predict(XOR_X)
    assert out.dtype == dtype and out.shape == (4, 1)
    np.testing.assert_array_equal(out[:, 0], [0, 1, 1, 0])
    trace = model.forward_trace(XOR_X)
    np.testing.assert_array_equal(trace[0], [[-0.5, -1.5], [0.5, -0.5], [0.5, -0.5],
                                             [1.5, 0.5]])
    np.testing.assert_array_equal(trace[1], [[0, 0], [1, 0], [1, 0], [1, 1]])  # OR, AND
    assert model.loss(XOR_X, XOR_Y) == 0.0
    np.testing.assert_array_equal(out, xor_network(ref, dtype).predict(XOR_X))
    with pytest.raises(ValueError, match=r"loss_and_grad: layer 1 \(Step\(\)\) has no gradient"):
        model.loss_and_grad(XOR_X, XOR_Y)
    with pytest.raises(ValueError, match=r"Step"):
        nc.check_gradients(model, XOR_X, XOR_Y)


def symmetric_net(init):
    return nc.Sequential(nc.Dense(2, 4, init=init), nc.Tanh(), nc.Dense(4, 1, init=init),
                         nc.Sigmoid(), seed=0)


def test_constant_init_keeps_hidden_units_identical():
    """Lecture: with equal initial weights every hidden unit gets the same gradient,
    so the units stay identical whatever the training; random init breaks this."""
    X, y = XOR_X.astype(float), XOR_Y
    model = symmetric_net(nc.init.constant(0.5))
    opt = nc.SGD(lr=0.5)
    first = model.state_dict()
    for _ in range(50):
        model.train_step(X, y, loss="bce", optimizer=opt)
    W, b, W2 = (model.state_dict()[k] for k in ("0.W", "0.b", "2.W"))
    assert not np.array_equal(W, first["0.W"])  # it did train
    for j in range(1, 4):
        np.testing.assert_array_equal(W[:, j], W[:, 0])  # incoming weights of unit j
        assert b[j] == b[0]
        assert W2[j, 0] == W2[0, 0]

    model = symmetric_net(None)  # default (Glorot uniform) random init
    for _ in range(50):
        model.train_step(X, y, loss="bce", optimizer=opt)
    W = model.state_dict()["0.W"]
    for j in range(1, 4):
        assert not np.allclose(W[:, j], W[:, 0])


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_saturated_logits_stay_finite(dtype):
    """bce/ce from the logits: |z| ~ 1e4 gives a finite loss and gradient (and the
    reference's values)."""
    X = np.array([[1.0, -1.0], [-2.0, 0.5], [0.3, 2.0]])
    for loss, last, y in (("bce", "Sigmoid", np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])),
                          ("ce", "Softmax", np.array([0, 1, 0]))):
        specs = [("Dense", (2, 2), {}), (last, (), {})]
        core, twin = twins(specs, dtype=dtype)
        sd = {"0.W": np.array([[1e4, -1e4], [-1e4, 2e4]]), "0.b": np.array([0.0, 0.0])}
        core.load_state_dict(sd)
        twin.load_state_dict(sd)
        z = core.forward_trace(X)[0]
        assert np.max(np.abs(z)) >= 1e4
        value, grads = core.loss_and_grad(X, y, loss=loss)
        assert np.isfinite(value) and value > 1e3  # wrong, confident predictions cost ~|z|
        assert all(np.all(np.isfinite(g)) for g in grads.values())
        rv, rg = twin.loss_and_grad(X, y, loss=loss)
        assert_close(value, rv, dtype, 4, component=f"saturated {loss}", what="value")
        for name in grads:
            assert_close(grads[name], rg[name], dtype, 4, component=f"saturated {loss}",
                         what=name)
        h = core.predict(X)
        assert np.all(np.isfinite(h)) and np.all((h >= 0) & (h <= 1))


# -- structure, initialisation, state dicts -------------------------------------------

def issue_network(dtype=np.float64, seed=0, module=nc):
    return module.Sequential(module.Dense(2, 10), module.Tanh(), module.Dense(10, 1),
                             module.Sigmoid(), dtype=dtype, seed=seed)


def test_num_parameters_and_layout_of_the_issue_network():
    model = issue_network()
    assert model.num_parameters == 41
    assert model.param_names == ["0.W", "0.b", "2.W", "2.b"]
    assert model.param_shapes == {"0.W": (2, 10), "0.b": (10,), "2.W": (10, 1), "2.b": (1,)}
    assert (model.n_features, model.n_outputs, model.dtype) == (2, 1, np.float64)
    assert np.array_equal(model.penalty_mask,
                          np.r_[np.ones(20, bool), np.zeros(10, bool), np.ones(10, bool),
                                np.zeros(1, bool)])
    m = nc.Sequential(nc.Maxout(3, 4, k=3), nc.PReLU(4), nc.Dense(4, 2), nc.PReLU())
    assert m.num_parameters == 3 * 3 * 4 + 3 * 4 + 4 + 4 * 2 + 2 + 1
    assert m.param_names == ["0.W", "0.b", "1.alpha", "2.W", "2.b", "3.alpha"]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_state_dict_round_trip(dtype):
    rng = rng_for("sd", dtype)
    a = build(nc, hidden("PReLU", 5)(3, 5), dtype=dtype, seed=0)
    randomize(a, rng)
    b = build(nc, hidden("PReLU", 5)(3, 5), dtype=dtype, seed=99)
    sd = a.state_dict()
    assert list(sd) == a.param_names
    assert all(v.dtype == dtype for v in sd.values())
    X = make_X(8, 3, rng)
    assert not np.array_equal(a.predict(X), b.predict(X))
    b.load_state_dict(sd)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_array_equal(a.get_flat_parameters(), b.get_flat_parameters())
    # state_dict() returns copies: changing them changes nothing
    before = a.predict(X)
    sd["0.W"][:] = 0
    np.testing.assert_array_equal(a.predict(X), before)
    # named_parameters() are live views into the core's arena
    a.named_parameters()["2.b"][:] += 1.0
    np.testing.assert_allclose(a.predict(X), before + 1.0, rtol=1e-6)
    # and a reference model reads the same dict
    twin = build(ref, hidden("PReLU", 5)(3, 5), dtype=dtype)
    twin.load_state_dict(a.state_dict())
    assert_close(a.predict(X), twin.predict(X), dtype, 10)


def test_seeds_are_reproducible_and_matter():
    specs = [("Maxout", (3, 6), {"k": 2}), ("PReLU", (6,), {}), ("Dense", (6, 4), {}),
             ("ReLU", (), {}), ("Dense", (4, 2), {}), ("Softmax", (), {})]
    a, b, c = (build(nc, specs, seed=s).get_flat_parameters() for s in (5, 5, 6))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # Dense/Maxout weights are random, biases zero, PReLU α at its init
    sd = build(nc, specs, seed=5).state_dict()
    assert np.all(sd["0.b"] == 0) and np.all(sd["1.alpha"] == 0.25) and np.all(sd["2.b"] == 0)
    assert len(np.unique(sd["0.W"])) == sd["0.W"].size


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_same_seed_same_weights_in_core_and_reference(dtype):
    for specs in ([("Dense", (2, 10), {}), ("Tanh", (), {}), ("Dense", (10, 1), {}),
                   ("Sigmoid", (), {})],
                  [("Dense", (3, 7), {}), ("ReLU", (), {}), ("Maxout", (7, 4), {"k": 3}),
                   ("PReLU", (4,), {"init": 0.1}), ("Dense", (4, 3), {"init": "he_uniform"}),
                   ("Softmax", (), {})]):
        core, twin = build(nc, specs, dtype, 11), build(ref, specs, dtype, 11)
        assert core.param_names == twin.param_names
        for name, v in core.state_dict().items():
            assert v.dtype == dtype
            np.testing.assert_array_equal(v, twin.state_dict()[name])


def test_float32_and_float64_models_from_one_seed_agree_up_to_rounding():
    specs = [("Dense", (3, 7), {}), ("ELU", (), {}), ("Maxout", (7, 4), {"k": 2}),
             ("Dense", (4, 2), {"init": nc.init.normal(0.5)})]
    m64, m32 = build(nc, specs, np.float64, 3), build(nc, specs, np.float32, 3)
    for name, v64 in m64.state_dict().items():
        v32 = m32.state_dict()[name]
        assert v32.dtype == np.float32
        np.testing.assert_array_equal(v32, v64.astype(np.float32))


def test_default_init_he_before_relu_like_glorot_otherwise():
    n = 400
    he = build(nc, [("Dense", (n, n), {}), ("ReLU", (), {})]).state_dict()["0.W"]
    gl = build(nc, [("Dense", (n, n), {}), ("Tanh", (), {})]).state_dict()["0.W"]
    assert he.std() == pytest.approx(np.sqrt(2.0 / n), rel=0.02)  # He normal
    limit = np.sqrt(6.0 / (2 * n))  # Glorot uniform
    assert np.max(np.abs(gl)) <= limit and gl.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)


# -- determinism: thread count and concurrent Python threads --------------------------

WIDE = [("Dense", (256, 512), {}), ("ReLU", (), {}), ("Dense", (512, 512), {}),
        ("Tanh", (), {}), ("Dense", (512, 10), {}), ("Softmax", (), {})]


@pytest.fixture(scope="module")
def wide_model():
    model = build(nc, WIDE, seed=1)
    rng = rng_for("wide")
    return model, make_X(300, 256, rng), rng.integers(0, 10, size=300)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_one_and_two_threads_are_bitwise_identical(dtype, restore_threads):
    model = build(nc, WIDE, dtype=dtype, seed=1)
    rng = rng_for("wide", dtype)
    X, y = make_X(300, 256, rng).astype(dtype), rng.integers(0, 10, size=300)
    results = {}
    for n in (1, 2):
        nc.set_num_threads(n)
        assert nc.get_num_threads() == n
        value, grads = model.loss_and_grad(X, y, loss="ce", l2=1e-4)
        results[n] = (model.predict(X), value, grads, model.forward_trace(X))
    (p1, v1, g1, t1), (p2, v2, g2, t2) = results[1], results[2]
    np.testing.assert_array_equal(p1, p2)
    assert v1 == v2
    for name in g1:
        np.testing.assert_array_equal(g1[name], g2[name])
    for a, b in zip(t1, t2):
        np.testing.assert_array_equal(a, b)


def test_set_num_threads_restores(restore_threads):
    nc.set_num_threads(1)
    assert nc.get_num_threads() == 1


def run_concurrently(n_threads, work):
    """Run work(i) in n_threads Python threads released together by a Barrier."""
    barrier = threading.Barrier(n_threads)
    results, errors = [None] * n_threads, []

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_concurrent_threads_same_batch_match_serial(wide_model):
    model, X, y = wide_model
    serial_pred = model.predict(X)
    serial_value, serial_grads = model.loss_and_grad(X, y, loss="ce")

    def work(i):
        return [(model.predict(X), model.loss_and_grad(X, y, loss="ce")) for _ in range(3)]

    for per_thread in run_concurrently(4, work):
        for pred, (value, grads) in per_thread:
            np.testing.assert_array_equal(pred, serial_pred)
            assert value == serial_value
            for name in grads:
                np.testing.assert_array_equal(grads[name], serial_grads[name])


def test_concurrent_predict_on_different_batches_matches_serial():
    rng = rng_for("concurrent-predict")
    model = build(nc, hidden("Tanh")(8, 32), seed=2)
    Xs = [make_X(200, 8, rng) for _ in range(8)]
    serial = [model.predict(X) for X in Xs]
    results = run_concurrently(8, lambda i: [model.predict(Xs[i]) for _ in range(100)])
    for i, preds in enumerate(results):
        for p in preds:
            np.testing.assert_array_equal(p, serial[i])


def test_concurrent_loss_and_grad_on_different_batches_matches_serial():
    """Each call's gradient must be its own batch's, even while other threads run
    loss_and_grad on the same model (the gradient is copied out under the core's lock;
    before that fix ~6% of these calls returned another thread's gradient)."""
    rng = rng_for("concurrent-grad")
    model = build(nc, hidden("Tanh")(8, 32), seed=2)
    n_threads = 8
    Xs = [make_X(200, 8, rng) for _ in range(n_threads)]
    ys = [rng.normal(size=(200, 3)) for _ in range(n_threads)]
    serial = [model.loss_and_grad(Xs[i], ys[i]) for i in range(n_threads)]

    def work(i):
        return [model.loss_and_grad(Xs[i], ys[i]) for _ in range(300)]

    wrong = 0
    for i, runs in enumerate(run_concurrently(n_threads, work)):
        for value, grads in runs:
            assert value == serial[i][0]
            wrong += any(not np.array_equal(grads[k], serial[i][1][k]) for k in grads)
    assert wrong == 0, f"{wrong} of {n_threads * 300} concurrent calls returned wrong gradients"
