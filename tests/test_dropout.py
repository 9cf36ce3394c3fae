"""Dropout: the counter-based mask, core vs reference, gradients, threads, statistics.

The mask of (seed, step, layer, sample, unit) is one documented function
(docs/design.md, "Dropout"); the reference computes it in NumPy, the core in C++,
and `_spec_keep` below in plain Python integers from the text of the spec.
"""
import numpy as np
import pytest

import nncore as nc
import nncore.reference as ref
from conftest import assert_close, make_targets, rng_for
from nncore.reference.layers import dropout_keep

M64 = (1 << 64) - 1


def _mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def _spec_keep(seed, step, layer, sample, unit, p):
    """The mask bit from the spec's text, in Python integers."""
    k = _mix(seed ^ 0xD6E8FEB86659FD93)
    k = _mix((k + step) & M64)
    k = _mix((k + layer) & M64)
    k = _mix((k + sample) & M64)
    return (_mix((k + unit) & M64) >> 11) * 2.0**-53 >= p


def test_reference_mask_is_the_documented_function():
    seed, step, layer, p = 2**63 - 5, 123456789, 7, 0.37
    ids = np.array([0, 1, 5, 2**40 + 3, 17])
    got = dropout_keep(seed, step, layer, ids, 9, p)
    want = [[_spec_keep(seed, step, layer, int(i), j, p) for j in range(9)] for i in ids]
    assert got.tolist() == want


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_keep_rate_and_independence(p):
    keep = dropout_keep(11, 3, 2, np.arange(400), 500, p)
    n = keep.size
    sigma = np.sqrt(p * (1 - p) / n)
    assert abs(keep.mean() - (1 - p)) < 5 * sigma
    # another step, layer or sample set gives another mask (agreement as for independent draws)
    for other in (dropout_keep(11, 4, 2, np.arange(400), 500, p),
                  dropout_keep(11, 3, 3, np.arange(400), 500, p),
                  dropout_keep(12, 3, 2, np.arange(400), 500, p)):
        agree = (keep == other).mean()
        expected = p * p + (1 - p) * (1 - p)
        assert abs(agree - expected) < 5 * np.sqrt(expected * (1 - expected) / n)
    # per unit and per row the rates are right too (no stuck columns or rows)
    col = keep.mean(axis=0)
    assert np.all(np.abs(col - (1 - p)) < 6 * np.sqrt(p * (1 - p) / keep.shape[0]))


@pytest.mark.parametrize("p", [0.2, 0.7])
def test_core_keep_rate(p):
    # Dense(w, w) = I, Dropout(p), mse against 0 with X = 1: L = kept·s² / (2m), s = 1/(1−p),
    # so the core's kept count can be read off the loss.
    m_rows, w = 300, 200
    model = nc.Sequential(nc.Dense(w, w), nc.Dropout(p), seed=5)
    model.load_state_dict({"0.W": np.eye(w), "0.b": np.zeros(w)})
    X, Y = np.ones((m_rows, w)), np.zeros((m_rows, w))
    value = model.loss(X, Y, training=True)
    kept = value * 2 * m_rows * (1 - p) ** 2
    assert abs(kept - round(kept)) < 1e-6
    want = dropout_keep(model.seed, 1, 1, np.arange(m_rows), w, p).sum()
    assert round(kept) == want
    assert abs(kept / (m_rows * w) - (1 - p)) < 5 * np.sqrt(p * (1 - p) / (m_rows * w))
    assert model.loss(X, Y) == pytest.approx(0.5 * w)  # training=False: the identity


def _layers(p=0.3):
    return [nc.Dense(5, 16), nc.ReLU(), nc.Dropout(p), nc.Dense(16, 12), nc.Tanh(),
            nc.Dropout(0.5), nc.Maxout(12, 6, k=2), nc.Dropout(0.2), nc.Dense(6, 3),
            nc.Softmax()]


def _data(n=61, rng_key="dropout"):
    rng = rng_for(rng_key)
    X = rng.normal(size=(n, 5))
    return X, make_targets("ce", n, 3, rng)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_loss_and_grad_core_vs_reference(dtype):
    X, y = _data()
    core = nc.Sequential(*_layers(), dtype=dtype, seed=9)
    twin = ref.Sequential(*_layers(), dtype=np.float64, seed=9)
    twin.load_state_dict(core.state_dict())
    value, grads = core.loss_and_grad(X.astype(dtype), y, loss="ce", training=True)
    want_value, want = twin.loss_and_grad(X.astype(dtype).astype(np.float64), y, loss="ce",
                                          training=True)
    off, _ = core.loss_and_grad(X.astype(dtype), y, loss="ce")
    assert value != off  # the masks changed the loss
    assert_close(value, want_value, dtype, n_reduce=len(X), component="dropout loss")
    for k in want:
        assert_close(grads[k], want[k], dtype, n_reduce=len(X), component="dropout grad", what=k)


@pytest.mark.parametrize("how", ["minibatch", "full batch", "clipped", "weighted",
                                 "no shuffle"])
def test_fit_trajectory_core_vs_reference(how):
    X, y = _data(n=50)
    kw = dict(loss="ce", epochs=4, batch_size=16, l2=1e-3)
    if how == "full batch":  # the core keeps the stored order, the reference permutes
        kw["batch_size"] = 64
    if how == "clipped":
        kw["clip_norm"] = 0.5
    if how == "weighted":
        kw["sample_weight"] = rng_for("w").uniform(0.5, 2.0, size=len(X))
    if how == "no shuffle":
        kw["shuffle"] = False
    core = nc.Sequential(*_layers(), seed=4)
    twin = ref.Sequential(*_layers(), seed=4)
    h_core = core.fit(X, y, optimizer=nc.Adam(0.01), verbose=0, **kw)
    h_twin = twin.fit(X, y, optimizer=nc.Adam(0.01), **kw)
    assert_close(core.get_flat_parameters(), twin.get_flat_parameters(),
                 component="dropout fit", what=how)
    assert_close(h_core.history["loss"], h_twin.history["loss"], what=how)
    # train_step continues the step count in both (masks of step t + 1)
    assert core.train_step(X[:9], y[:9]) == pytest.approx(twin.train_step(X[:9], y[:9]),
                                                          rel=1e-12)
    assert_close(core.get_flat_parameters(), twin.get_flat_parameters(), what="train_step")


def test_dropout_changes_training_but_not_inference():
    X, y = _data()
    a = nc.Sequential(*_layers(0.3), seed=2)
    b = nc.Sequential(*_layers(0.3), seed=2)
    b.fit(X, y, optimizer=nc.SGD(0.1), epochs=1, batch_size=8, verbose=0)
    # inference with the same weights: identical to the network without any Dropout
    plain = nc.Sequential(*[l for l in _layers() if not isinstance(l, nc.Dropout)], seed=2)
    plain.set_flat_parameters(b.get_flat_parameters())
    assert np.array_equal(b.predict(X), plain.predict(X))
    assert b.evaluate(X, y) == plain.evaluate(X, y)
    assert b.loss(X, y, loss="ce") == plain.loss(X, y, loss="ce")
    assert not np.array_equal(a.get_flat_parameters(), b.get_flat_parameters())


def test_p_zero_is_bitwise_no_layer():
    X, y = _data(n=70)
    # 1379 parameters: both networks take the general path (the tiny path, for networks
    # up to 1024 parameters without Dropout, sums in another order)
    with_layers = [nc.Dense(5, 32), nc.Dropout(0.0), nc.ReLU(), nc.Dense(32, 32), nc.Tanh(),
                   nc.Dropout(0.0), nc.Dense(32, 3), nc.Softmax()]
    without = [l for l in with_layers if not isinstance(l, nc.Dropout)]
    a, b = nc.Sequential(*with_layers, seed=1), nc.Sequential(*without, seed=1)
    assert np.array_equal(a.get_flat_parameters(), b.get_flat_parameters())
    la, ga = a.loss_and_grad(X, y, loss="ce", training=True)
    lb, gb = b.loss_and_grad(X, y, loss="ce")
    assert la == lb
    for k_a, k_b in zip(ga, gb):
        assert np.array_equal(ga[k_a], gb[k_b])
    for clip in (None, 1.0):
        ha = a.fit(X, y, optimizer=nc.Adam(0.01), epochs=3, batch_size=16, clip_norm=clip,
                   verbose=0)
        hb = b.fit(X, y, optimizer=nc.Adam(0.01), epochs=3, batch_size=16, clip_norm=clip,
                   verbose=0)
        assert np.array_equal(a.get_flat_parameters(), b.get_flat_parameters())
        assert ha.history["loss"] == hb.history["loss"]


@pytest.mark.parametrize("cls", [nc.Sequential, ref.Sequential], ids=["core", "reference"])
def test_gradient_by_central_differences_with_the_mask_fixed(cls):
    X, y = _data(n=13)
    model = cls(nc.Dense(5, 7), nc.Tanh(), nc.Dropout(0.4), nc.Dense(7, 6), nc.Sigmoid(),
                nc.Dropout(0.5), nc.Dense(6, 3), nc.Softmax(), seed=6)
    model.train_step(X, y, optimizer=nc.SGD(0.1))  # t = 1: the check uses step 2's masks
    errors = nc.check_gradients(model, X, y, loss="ce", training=True)
    assert max(errors.values()) < 1e-7, errors
    # the mask really is on: the training loss differs from the inference loss
    assert model.loss(X, y, loss="ce", training=True) != model.loss(X, y, loss="ce")


def test_masks_follow_the_step_and_the_sample():
    X, y = _data(n=20)
    model = nc.Sequential(nc.Dense(5, 30), nc.Dropout(0.5), nc.Dense(30, 3), nc.Softmax(),
                          seed=3)
    first = model.loss(X, y, loss="ce", training=True)
    assert model.loss(X, y, loss="ce", training=True) == first  # same step: same masks
    before = model.state_dict()
    model.train_step(X, y, optimizer=nc.SGD(0.1))
    model.load_state_dict(before)  # the same weights, one step later
    assert model.loss(X, y, loss="ce", training=True) != first
    # a sample's mask is keyed by its row: row i alone equals row i within the batch only
    # when its row number is the same (here row 0)
    one = model.loss(X[:1], y[:1], loss="ce", training=True)
    twin = ref.Sequential(*model.layers, seed=model.seed)
    twin.load_state_dict(model.state_dict())
    twin.train_step(X, y, optimizer=nc.SGD(0.1))
    twin.load_state_dict(before)
    assert one == pytest.approx(twin.loss(X[:1], y[:1], loss="ce", training=True), rel=1e-12)


THREAD_COUNTS = (1, 2, 3, 8)


def test_bitwise_identical_for_any_thread_count(restore_threads):
    # wide enough (rows · width ≥ 65,536) that the mask pass is cut into pieces
    rng = rng_for("dropout threads")
    X = rng.normal(size=(300, 40))
    y = make_targets("ce", 300, 10, rng)

    def run(threads):
        nc.set_num_threads(threads)
        m = nc.Sequential(nc.Dense(40, 517), nc.ReLU(), nc.Dropout(0.3), nc.Dense(517, 263),
                          nc.Tanh(), nc.Dropout(0.6), nc.Dense(263, 10), nc.Softmax(),
                          dtype=np.float32, seed=8)
        value, grads = m.loss_and_grad(X, y, loss="ce", training=True)
        m.fit(X, y, optimizer=nc.Adam(1e-3), epochs=2, batch_size=150, verbose=0)
        m.fit(X, y, optimizer=nc.SGD(0.01), epochs=1, batch_size=300, clip_norm=0.5, verbose=0)
        return [np.array(value), *grads.values(), m.get_flat_parameters().copy(), m.predict(X)]

    base = run(1)
    for t in THREAD_COUNTS[1:]:
        for got, want in zip(run(t), base):
            assert np.array_equal(got, want), f"differs at {t} threads"


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, float("nan"), float("inf")])
def test_bad_p_is_refused_naming_p(p):
    with pytest.raises(ValueError, match=r"Dropout: p"):
        nc.Dropout(p)


@pytest.mark.parametrize("p", ["0.5", None, True])
def test_p_of_the_wrong_type_is_refused(p):
    with pytest.raises(TypeError, match=r"Dropout: p must be a real number"):
        nc.Dropout(p)


def test_core_refuses_bad_p_given_directly():
    from nncore._core import LayerKind, LayerSpec, Network64
    specs = [LayerSpec(LayerKind.dense, 2, 3), LayerSpec(LayerKind.dropout, hyper=1.0)]
    with pytest.raises(ValueError, match=r"layer 1 \(Dropout\) needs a drop probability p"):
        Network64(specs)


def test_training_flag_must_be_a_bool():
    X, y = _data(n=5)
    model = nc.Sequential(*_layers(), seed=0)
    with pytest.raises(TypeError, match="loss_and_grad: training must be True or False"):
        model.loss_and_grad(X, y, loss="ce", training="yes")


def test_default_init_looks_past_dropout():
    # Dense → Dropout → ReLU gets He initialisation, as Dense → ReLU does
    a = nc.Sequential(nc.Dense(50, 40), nc.Dropout(0.5), nc.ReLU(), nc.Dense(40, 1), seed=0)
    b = nc.Sequential(nc.Dense(50, 40), nc.ReLU(), nc.Dense(40, 1), seed=0)
    assert np.array_equal(a.get_flat_parameters(), b.get_flat_parameters())


def test_training_continues_identically_after_save_and_load(tmp_path):
    X, y = _data(n=40)
    a = nc.Sequential(*_layers(), seed=12)
    opt = nc.Adam(0.01)
    a.fit(X, y, optimizer=opt, epochs=2, batch_size=16, verbose=0)
    a.save(tmp_path / "m.nncore", include_optimizer=True)
    b = nc.load(tmp_path / "m.nncore")
    assert b.seed == a.seed and b.optimizer_state["t"] == a.optimizer_state["t"]
    a.fit(X, y, epochs=2, batch_size=16, verbose=0)
    b.fit(X, y, epochs=2, batch_size=16, verbose=0)
    assert np.array_equal(a.get_flat_parameters(), b.get_flat_parameters())


def test_summary_lists_dropout_without_parameters():
    m = nc.Sequential(nc.Dense(3, 4), nc.ReLU(), nc.Dropout(0.25), nc.Dense(4, 1), seed=0)
    lines = []
    m.summary(print_fn=lines.append)
    row = [line for line in lines[0].splitlines() if "Dropout" in line]
    assert len(row) == 1 and row[0].split()[1:] == ["Dropout(p=0.25)", "4", "0", "0"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_tiny_networks_mask_too(dtype):
    # the smallest shapes (a one-unit layer, batch 1 to 4): any special path for tiny
    # networks must apply the masks like the general one
    rng = rng_for("dropout tiny")
    X = rng.normal(size=(4, 2))
    y = (X[:, 0] > 0).astype(float)
    layers = lambda: [nc.Dense(2, 3), nc.Tanh(), nc.Dropout(0.5), nc.Dense(3, 1),
                      nc.Dropout(0.2), nc.Sigmoid()]
    core = nc.Sequential(*layers(), dtype=dtype, seed=21)
    twin = ref.Sequential(*layers(), seed=21)
    twin.load_state_dict(core.state_dict())
    for rows in (1, 4):
        v, g = core.loss_and_grad(X[:rows].astype(dtype), y[:rows], loss="bce", training=True)
        tv, tg = twin.loss_and_grad(X[:rows].astype(dtype).astype(np.float64), y[:rows],
                                    loss="bce", training=True)
        assert_close(v, tv, dtype, n_reduce=4, what=f"loss rows={rows}")
        for k in tg:
            assert_close(g[k], tg[k], dtype, n_reduce=4, what=f"{k} rows={rows}")
    core.fit(X.astype(dtype), y, optimizer=nc.SGD(0.5), epochs=5, batch_size=1, verbose=0)
    twin.fit(X.astype(dtype).astype(np.float64), y, optimizer=nc.SGD(0.5), epochs=5,
             batch_size=1)
    assert_close(core.get_flat_parameters(), twin.get_flat_parameters(), dtype, n_reduce=20,
                 what="fit")
    assert not np.array_equal(core.predict(X.astype(dtype)),
                              nc.Sequential(*layers(), dtype=dtype, seed=21).predict(
                                  X.astype(dtype)))


@pytest.mark.parametrize("cls", [nc.Sequential, ref.Sequential], ids=["core", "reference"])
def test_forward_only_gradients_refuse_dropout_but_take_p_zero(cls):
    X, y = _data(n=12)
    m = cls(nc.Dense(5, 6), nc.Tanh(), nc.Dropout(0.3), nc.Dense(6, 3), nc.Softmax(), seed=2)
    before = m.get_flat_parameters()
    for gradient in ("forward", "perturbation"):
        with pytest.raises(ValueError, match=rf"fit: gradient='{gradient}' does not support "
                                             r"Dropout \(layer 2\)"):
            m.fit(X, y, gradient=gradient, epochs=1)
    assert np.array_equal(m.get_flat_parameters(), before)
    # p = 0 is the identity: the same run as without the layer
    a = cls(nc.Dense(5, 6), nc.Tanh(), nc.Dropout(0.0), nc.Dense(6, 3), nc.Softmax(), seed=2)
    b = cls(nc.Dense(5, 6), nc.Tanh(), nc.Dense(6, 3), nc.Softmax(), seed=2)
    for model in (a, b):
        model.fit(X, y, optimizer=nc.SGD(0.1), gradient="forward", tangents=2, epochs=2,
                  batch_size=4, **({"verbose": 0} if cls is nc.Sequential else {}))
    # (the bare network takes the tiny path's forward gradient, which sums in
    # another order; with its Dropout layer the network takes the general path)
    np.testing.assert_allclose(a.get_flat_parameters(), b.get_flat_parameters(), rtol=1e-12,
                               atol=1e-15)
