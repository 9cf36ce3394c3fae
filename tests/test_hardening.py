"""Hardening: what an adversarial probe found (crashes, hangs, silent losses, unclear errors).

`CASES` is a bad-input table: (case, call, exception type, message pattern). Each
call gets a fresh binary model; the model's weights and optimizer state must be
the same after the refusal as before it (validation completes before any state is
touched). Crash and hang cases run in a subprocess (`run_isolated`).
"""
from __future__ import annotations

import io
import os
import pickle
import threading

import numpy as np
import pytest

import nncore as nc
import nncore.reference as ref
from conftest import assert_clean_exit, limits_address_space, run_isolated

X4 = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
Y4 = np.array([1.0, 1.0, 0.0, 0.0])


def quiet(m):
    """fit's verbose=0 where the model has a progress bar (the reference has none)."""
    return {"verbose": 0} if isinstance(m, nc.Sequential) else {}


def binary(cls=nc.Sequential):
    """A trained binary classifier (Adam state: t, m, v, epochs done all non-trivial)."""
    m = cls(nc.Dense(2, 3), nc.Tanh(), nc.Dense(3, 1), nc.Sigmoid(), seed=0)
    m.fit(X4, Y4, optimizer=nc.Adam(lr=0.01), epochs=2, batch_size=2, **quiet(m))
    return m


def changed(make, **attrs):
    """A valid spec whose attributes were changed after construction."""
    obj = make()
    for k, v in attrs.items():
        setattr(obj, k, v)
    return obj


def fit(**kw):
    args = dict(epochs=1, batch_size=2)
    args.update(kw)
    return lambda m: m.fit(X4, Y4, **args, **quiet(m))


CASES = [
    ("fit: SGD.lr set to -0.5", fit(optimizer=changed(lambda: nc.SGD(0.1), lr=-0.5)),
     ValueError, r"SGD: lr must be > 0, got -0.5"),
    ("fit: Adam.beta1 set to 1.0", fit(optimizer=changed(nc.Adam, beta1=1.0)),
     ValueError, r"Adam: beta1 must be in \[0, 1\), got 1.0"),
    ("fit: Momentum.form set to 'bad'", fit(optimizer=changed(nc.Momentum, form="bad")),
     ValueError, r"Momentum: form must be one of"),
    ("fit: StepDecay.step_size set to 2**70",
     fit(lr_schedule=changed(lambda: nc.StepDecay(2), step_size=2**70)),
     ValueError, r"StepDecay: step_size must be at most"),
    ("fit: CosineDecay.t_max set to 0.5",
     fit(lr_schedule=changed(lambda: nc.CosineDecay(3), t_max=0.5)),
     ValueError, r"CosineDecay: t_max must be a positive integer"),
    ("fit: epochs=2**63", fit(epochs=2**63), ValueError,
     r"fit: epochs must be at most 9223372036854775805"),  # 2 epochs done already
    ("fit: seed=2**64", fit(seed=2**64), ValueError, r"fit: seed must be below 2\*\*64"),
    ("fit: batch_size=2**64", fit(batch_size=2**64), ValueError,
     r"fit: batch_size must be at most 9223372036854775807"),
    ("fit: a new optimizer with a bad form",
     fit(optimizer=changed(lambda: nc.Momentum(0.1), form="sideways")), ValueError,
     r"Momentum: form must be one of"),
    ("fit: metrics=['f1x']", fit(metrics=["f1x"]), ValueError,
     r"fit: unknown metric 'f1x'; choose from \['accuracy', 'auc'"),
    ("fit: metrics=['mae'] on a classifier", fit(metrics=["mae"]), ValueError,
     r"fit: metric 'mae' is for regression, not loss='bce'"),
    ("fit: a callable lr_schedule answering nan", fit(lr_schedule=lambda e, lr: float("nan")),
     ValueError, r"fit: lr_schedule\(2, 0.01\) must be a finite number > 0, got nan"),
    ("fit: lr_schedule=0.5", fit(lr_schedule=0.5), TypeError,
     r"fit: lr_schedule must be None, a schedule such as .* or a callable \(epoch, lr\)"),
    ("fit: gradient='backward'", fit(gradient="backward"), ValueError,
     r"fit: gradient must be one of 'backprop', 'forward', 'perturbation', got 'backward'"),
    ("fit: gradient='forward', tangents=0", fit(gradient="forward", tangents=0), ValueError,
     r"fit: tangents must be a positive integer, got 0"),
    ("fit: tangents=4 with backprop", fit(tangents=4), ValueError,
     r"fit: tangents applies to gradient='forward' or 'perturbation'"),
    ("fit: gradient='perturbation', epsilon=0", fit(gradient="perturbation", epsilon=0),
     ValueError, r"fit: epsilon must be > 0, got 0"),
    ("fit: gradient='forward', epsilon=1e-3", fit(gradient="forward", epsilon=1e-3),
     ValueError, r"fit: epsilon applies to gradient='perturbation' only"),
    ("train_step: SGD.lr set to nan",
     lambda m: m.train_step(X4, Y4, optimizer=changed(lambda: nc.SGD(0.1), lr=float("nan"))),
     ValueError, r"SGD: lr must be finite"),
]


def snapshot(m):
    st = m.optimizer_state
    opt = None if st is None else (st["optimizer"], st["t"],
                                   None if st["m"] is None else st["m"].copy(),
                                   None if st["v"] is None else st["v"].copy())
    return m.get_flat_parameters(), m._epochs_done, opt


def assert_same_state(a, b):
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]
    assert (a[2] is None) == (b[2] is None)
    if a[2] is not None:
        assert a[2][0] is b[2][0] and a[2][1] == b[2][1]
        for x, y in zip(a[2][2:], b[2][2:]):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("cls", [nc.Sequential, ref.Sequential], ids=["native", "reference"])
@pytest.mark.parametrize("case,call,exc,msg", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(case, call, exc, msg, cls):
    m = binary(cls)
    before = snapshot(m)
    with pytest.raises(exc, match=msg):
        call(m)
    assert_same_state(before, snapshot(m))


def test_step_size_zero_is_no_sigfpe():
    # It divided by zero in the core's schedule (SIGFPE), so it runs isolated.
    proc = run_isolated("""
        import numpy as np, nncore as nc
        s = nc.StepDecay(2)
        s.step_size = 0
        m = nc.Sequential(nc.Dense(2, 1))
        try:
            m.fit(np.ones((4, 2)), np.ones(4), lr_schedule=s, epochs=2, verbose=0)
        except ValueError as e:
            print("OK", e)
    """)
    assert_clean_exit(proc)


SIZES = [
    ("Dense(2**62, 4)", lambda: nc.Dense(2**62, 4), ValueError,
     r"Sequential: 18446744073709551620 parameters are more than a 64-bit size"),
    ("Maxout(3, 4, k=2**62)", lambda: nc.Maxout(3, 4, k=2**62), ValueError,
     r"more than a 64-bit size"),
    ("Dense(10**12, 1)", lambda: nc.Dense(10**12, 1), MemoryError,
     r"Sequential: 1,000,000,000,001 parameters need .* GiB .* more than this machine's"),
    ("Dense(2**63, 1)", lambda: nc.Dense(2**63, 1), ValueError,
     r"Dense: in_features must be at most 9223372036854775807"),
]


@pytest.mark.parametrize("cls", [nc.Sequential, ref.Sequential], ids=["native", "reference"])
@pytest.mark.parametrize("case,make,exc,msg", SIZES, ids=[c[0] for c in SIZES])
def test_impossible_sizes_are_refused_before_allocating(case, make, exc, msg, cls):
    with pytest.raises(exc, match=msg):
        cls(make())


def test_the_core_constructor_checks_sizes_itself():
    # Signed overflow in Network's size arithmetic was undefined behaviour: isolated.
    proc = run_isolated("""
        import pytest
        from nncore._core import LayerKind, LayerSpec, Network64
        dense = lambda i, o: LayerSpec(LayerKind.dense, in_features=i, out_features=o)
        maxout = LayerSpec(LayerKind.maxout, in_features=3, out_features=4, k=2**62)
        for specs in ([dense(2**62, 4)], [maxout], [dense(2**31, 2**31), dense(2**31, 2**31)]):
            with pytest.raises(ValueError, match="larger than a 64-bit size"):
                Network64(specs)
        print("OK")
    """)
    assert_clean_exit(proc)


@limits_address_space
def test_inference_memory_does_not_grow_with_depth():
    # predict kept one activation buffer per layer: 4 rows through Dense(1, 1000) and
    # 20,000 Identity layers took 640 MB. Now two buffers of the widest layer.
    proc = run_isolated("""
        import re, resource, numpy as np, nncore as nc
        m = nc.Sequential(nc.Dense(1, 1000), *[nc.Identity() for _ in range(20_000)],
                          nc.Maxout(1000, 3, k=2), nc.Tanh(), seed=0)
        X = np.linspace(-1, 1, 4)[:, None]
        vm = int(re.search(r"VmSize:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
        limit = (vm + 128 * 1024) * 1024
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        out = m.predict(X)
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        assert np.array_equal(out, m.forward_trace(X)[-1])  # the training path's numbers
        print("OK")
    """)
    assert_clean_exit(proc)


# -- consistent snapshots ---------------------------------------------------------

XR = np.random.default_rng(5).normal(size=(24, 2))
YR = (XR[:, :1] * XR[:, 1:] > 0).astype(float)


def classifier():
    return nc.Sequential(nc.Dense(2, 6), nc.Tanh(), nc.Dense(6, 1), nc.Sigmoid(), seed=1)


def resumed(blob, epochs):
    m = nc.io.from_bytes(blob, nc.Sequential)
    m.fit(XR, YR, epochs=epochs, batch_size=5, verbose=0)  # optimizer=None: the saved one
    return m


def test_a_checkpoint_saved_in_an_epoch_callback_resumes_like_one_saved_after_fit():
    saved = {}

    def checkpoint(epoch, logs):
        if epoch == 1:
            saved["blob"] = nc.io.to_bytes(m)

    m = classifier()
    m.fit(XR, YR, optimizer=nc.Adam(lr=0.05), epochs=4, batch_size=5, verbose=0,
          callbacks=[checkpoint])
    after = classifier()
    after.fit(XR, YR, optimizer=nc.Adam(lr=0.05), epochs=2, batch_size=5, verbose=0)
    expected = nc.io.to_bytes(after)
    assert saved["blob"] == expected  # t = 2 epochs × 5 batches, epochs_done = 2, m, v
    a, b = resumed(saved["blob"], 2), resumed(expected, 2)
    np.testing.assert_array_equal(a.get_flat_parameters(), b.get_flat_parameters())
    np.testing.assert_array_equal(a.get_flat_parameters(), m.get_flat_parameters())


def test_a_checkpoint_saved_in_a_batch_callback_has_the_steps_taken_so_far():
    seen = []

    class Checkpoint:
        def on_batch_end(self, batch, logs):
            st = m.optimizer_state
            seen.append((logs["epoch"], batch, st["t"], m._epochs_done))

    m = classifier()
    m.fit(XR, YR, optimizer=nc.Adam(lr=0.05), epochs=2, batch_size=5, verbose=0,
          callbacks=[Checkpoint()], callback_every_batches=2)
    # 5 batches per epoch; reports after steps 2, 4, 6, 8, 10 (counted across epochs)
    assert seen == [(0, 1, 2, 0), (0, 3, 4, 0), (1, 0, 6, 1), (1, 2, 8, 1), (1, 4, 10, 1)]
    assert m.optimizer_state["t"] == 10 and m._epochs_done == 2


@pytest.mark.parametrize("answer", [False, np.False_])
def test_a_callback_returning_false_stops(answer):
    m = classifier()
    h = m.fit(XR, YR, epochs=5, batch_size=5, verbose=0, callbacks=[lambda e, logs: answer])
    assert len(h.epoch) == 1 and h.stop_reason == "callback"


def test_snapshots_from_another_thread_wait_for_a_running_fit():
    m = classifier()
    started, snaps = threading.Event(), []

    def slow(epoch, logs):
        started.set()

    def train():
        m.fit(XR, YR, optimizer=nc.Adam(lr=0.05), epochs=300, batch_size=1, verbose=0,
              callbacks=[slow])

    t = threading.Thread(target=train)
    t.start()
    started.wait(30)
    snaps.append(m.state_dict())
    blob = nc.io.to_bytes(m)
    t.join()
    final = m.state_dict()
    for k in final:  # the snapshot waited for fit: it is the final state, never torn
        np.testing.assert_array_equal(snaps[0][k], final[k])
    assert blob == nc.io.to_bytes(m)


def test_two_threads_fitting_one_model_take_turns():
    m = classifier()
    opt = nc.Adam(lr=0.01)
    m.fit(XR, YR, optimizer=opt, epochs=1, batch_size=5, verbose=0)
    barrier = threading.Barrier(2)

    def train():
        barrier.wait()
        m.fit(XR, YR, optimizer=opt, epochs=20, batch_size=5, verbose=0)

    threads = [threading.Thread(target=train) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert m.optimizer_state["t"] == 5 * (1 + 2 * 20)  # no lost Adam steps
    assert m._epochs_done == 41


def test_concurrent_saves_to_one_path_all_succeed(tmp_path):
    m = classifier()
    path = tmp_path / "m.nncore"
    errors = []

    def save():
        try:
            for _ in range(50):
                m.save(path)
                nc.load(path)  # readers see a whole file, old or new
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=save) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert os.listdir(tmp_path) == ["m.nncore"]  # no temporary files left


def test_a_save_into_a_directory_is_refused_and_leaves_nothing(tmp_path):
    with pytest.raises(IsADirectoryError, match="save: .* is a directory"):
        classifier().save(tmp_path)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("cls", [nc.Sequential, ref.Sequential], ids=["native", "reference"])
def test_non_finite_weights_are_refused_when_saving_or_pickling(tmp_path, cls):
    m = cls(nc.Dense(2, 1))
    m.named_parameters()["0.W"][0, 0] = np.nan  # the writable views allow it
    with pytest.raises(ValueError, match="save: parameter 0.W contains NaN or inf"):
        m.save(tmp_path / "m.nncore")
    with pytest.raises(ValueError, match="pickle: parameter 0.W contains NaN or inf"):
        pickle.dumps(m)
    assert os.listdir(tmp_path) == []


# -- unclear errors made clear ------------------------------------------------------

def softmax3():
    return nc.Sequential(nc.Dense(2, 3), nc.Softmax(), seed=0)


def sparse_X():
    sp = pytest.importorskip("scipy.sparse")
    return sp.csr_matrix(np.ones((4, 2)))


MESSAGES = [
    ("label 1e20", lambda: softmax3().fit(np.ones((2, 2)), np.array([0, 1e20]), verbose=0),
     ValueError, r"fit: y has labels in \[0, 1e\+20\], expected labels in \[0, 2\]"),
    ("label 2**64-1 as uint64",
     lambda: softmax3().loss(np.ones((2, 2)), np.array([0, 2**64 - 1], np.uint64), loss="ce"),
     ValueError, r"loss: y has labels in \[0, 18446744073709551615\]"),
    ("1e300 into a float32 model",
     lambda: nc.Sequential(nc.Dense(2, 1), dtype=np.float32).predict([[1e300, 0.0]]),
     ValueError, r"predict: X has values up to 1e\+300, which overflow float32"),
    ("1e300 as a float32 target",
     lambda: nc.Sequential(nc.Dense(2, 1), dtype=np.float32).loss([[1.0, 0.0]], [1e300]),
     ValueError, r"loss: y has values up to 1e\+300, which overflow float32"),
    ("sparse X", lambda: softmax3().predict(sparse_X()), TypeError,
     r"predict: X is a sparse matrix \(csr_matrix\); nncore takes dense arrays: pass "
     r"X.toarray\(\)"),
    ("verbose='loud'", lambda: softmax3().fit(np.ones((2, 2)), [0, 1], verbose="loud"),
     ValueError, r"fit: verbose must be 'auto', 0, 1 or 2, got 'loud'"),
    ("float32 loss_and_grad overflowing on finite input",
     lambda: nc.Sequential(nc.Dense(2, 1), dtype=np.float32, seed=0).loss_and_grad([[3e37, 3e37]],
                                                                            [1.0]),
     FloatingPointError, r"loss_and_grad: the loss or the gradient overflowed float32"),
    ("StepDecay(step_size=2**70)", lambda: nc.StepDecay(step_size=2**70), ValueError,
     r"StepDecay: step_size must be at most 9223372036854775807, got 1180591620717411303424"),
    ("Sequential(seed=2**64)", lambda: nc.Sequential(nc.Dense(2, 1), seed=2**64), ValueError,
     r"Sequential: seed must be below 2\*\*64"),
]


@pytest.mark.parametrize("case,call,exc,msg", MESSAGES, ids=[c[0] for c in MESSAGES])
def test_errors_say_what_is_wrong(case, call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_a_model_with_a_seed_above_2_63_round_trips():
    m = nc.Sequential(nc.Dense(2, 1), seed=2**64 - 1)
    assert nc.io.from_bytes(nc.io.to_bytes(m), nc.Sequential).seed == 2**64 - 1


def test_a_huge_epoch_count_reserves_nothing_up_front():
    # History was reserved per epoch: epochs=10**10 raised std::bad_alloc before training.
    m = classifier()
    h = m.fit(XR, YR, epochs=10**10, batch_size=5, verbose=0, callbacks=[lambda e, logs: False])
    assert h.epoch == [0] and h.stop_reason == "callback"


def test_the_core_refuses_a_zero_step_size_itself():
    # Python checks it first; a direct call into the core divided by zero (SIGFPE).
    proc = run_isolated("""
        import numpy as np, pytest
        from nncore import _core
        net = _core.Network64([_core.LayerSpec(_core.LayerKind.dense, in_features=2,
                                               out_features=1)])
        cfg = _core.FitConfig()
        cfg.schedule.kind = _core.ScheduleKind.step
        cfg.schedule.step_size = 0
        with pytest.raises(ValueError, match="step_size and t_max must be >= 1"):
            _core.fit(net, np.ones((4, 2)), np.ones((4, 1)), None, None, None, None, cfg,
                      _core.OptimizerConfig(), None, None, 0, None, False)
        print("OK")
    """)
    assert_clean_exit(proc)
