"""Hardening: what an adversarial probe found (crashes, hangs, silent losses, unclear errors).

`CASES` is a bad-input table: (case, call, exception type, message pattern). Each
call gets a fresh binary model; the model's weights and optimizer state must be
the same after the refusal as before it (validation completes before any state is
touched). Crash and hang cases run in a subprocess (`run_isolated`).
"""
from __future__ import annotations

import numpy as np
import pytest

import nncore as nc
import nncore.reference as ref
from conftest import assert_clean_exit, run_isolated

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
        from nncore import _core
        for spec in ([(0, 2**62, 4, 1, 0.0, 0)], [(8, 3, 4, 2**62, 0.0, 0)],
                     [(0, 2**31, 2**31, 1, 0.0, 0), (0, 2**31, 2**31, 1, 0.0, 0)]):
            with pytest.raises(ValueError, match="larger than a 64-bit size"):
                _core.Network64(spec)
        print("OK")
    """)
    assert_clean_exit(proc)


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
