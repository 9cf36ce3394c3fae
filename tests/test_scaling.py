"""Work split by the problem, not by the thread count.

The core cuts every threaded product into fixed blocks from the shapes and
hands them to whichever thread is free; no sum is split across blocks. So fit,
predict and loss_and_grad must give bitwise the same numbers for any thread
count (here 1, 2, 3 and 8 on whatever machine runs the tests), and with more
threads than blocks of a previous design every thread must get work.
"""
import os

import numpy as np
import pytest

import nncore as nc
from conftest import make_targets, rng_for

THREADS = (1, 2, 3, 8)

# (name, layers, rows, loss): together they take every path of the core: the
# tiny-network path (a block of rows through every layer; "tiny" and the two
# after it, whose row counts are not multiples of the block); tiny
# products on the caller's thread (the general path with the tiny one off,
# below); direct (unpacked) products split by rows and
# by columns (batch 1 and 4); packed products cut into many blocks, with odd
# widths that leave edge tiles and partial cache lines between blocks; thin
# outputs computed transposed; Maxout and PReLU; element-wise passes long
# enough to be shared (rows · width ≥ 65,536).
CASES = [
    ("tiny", [("Dense", 2, 3), ("Tanh",), ("Dense", 3, 1), ("Sigmoid",)], 4, "bce"),
    ("tiny-ce", [("Dense", 5, 9), ("ReLU",), ("Dense", 9, 6), ("ELU",), ("Dense", 6, 3),
                 ("Softmax",)], 37, "ce"),
    ("tiny-mse", [("Dense", 3, 10), ("LeakyReLU",), ("Dense", 10, 2)], 101, "mse"),
    ("batch1", [("Dense", 784, 512), ("ReLU",), ("Dense", 512, 10), ("Softmax",)], 1, "ce"),
    ("batch4", [("Dense", 300, 520), ("ELU",), ("Dense", 520, 3)], 4, "mse"),
    ("split", [("Dense", 300, 517), ("ReLU",), ("Dense", 517, 263), ("Tanh",),
               ("Dense", 263, 10), ("Softmax",)], 300, "ce"),
    ("unsplit", [("Dense", 20, 40), ("Sigmoid",), ("Dense", 40, 7)], 64, "mse"),
    ("odd", [("Dense", 97, 333), ("LeakyReLU",), ("Maxout", 333, 129, 3), ("PReLU", 129),
             ("Dense", 129, 1), ("Sigmoid",)], 257, "bce"),
    # losses cut into pieces of rows ("split" too: 300 rows x 10 classes, 11 pieces)
    ("loss-pieces", [("Dense", 30, 200), ("ReLU",), ("Dense", 200, 5), ("Sigmoid",)], 700, "bce"),
    ("loss-pieces-mse", [("Dense", 30, 200), ("Tanh",), ("Dense", 200, 3)], 999, "mse"),
]


# A softmax output wide enough to be cut into column blocks: its bias and
# softmax then run after the product instead of in its epilogue.
WIDE_SOFTMAX = ("wide-softmax", [("Dense", 64, 1200), ("Softmax",)], 40, "ce")


def _layer(spec):
    name, *args = spec
    if name == "PReLU":
        return nc.PReLU(num_parameters=args[0])
    if name == "Maxout":
        return nc.Maxout(args[0], args[1], k=args[2])
    return getattr(nc, name)(*args)


def _data(case, dtype):
    name, specs, rows, loss = case
    rng = rng_for("scaling", name)
    n_in = specs[0][1]
    n_out = [s for s in specs if s[0] in ("Dense", "Maxout")][-1][2]
    X = rng.normal(size=(rows, n_in)).astype(dtype)
    y = make_targets(loss, rows, n_out, rng)
    return X, y


def _model(case, dtype):
    return nc.Sequential(*[_layer(s) for s in case[1]], dtype=dtype, seed=3)


def _run(case, dtype, threads):
    """Everything the core computes for this case at `threads` threads."""
    nc.set_num_threads(threads)
    X, y = _data(case, dtype)
    loss = case[3]
    out = {}
    m = _model(case, dtype)
    value, grads = m.loss_and_grad(X, y, loss=loss, l1=1e-4, l2=1e-3)
    out["loss"] = np.array(value)
    out.update({f"grad {k}": v for k, v in grads.items()})
    # Fused optimizer update (Adam, penalty) and the unfused one (clip_norm).
    m.fit(X, y, loss=loss, optimizer=nc.Adam(1e-3), epochs=2, batch_size=max(1, len(X) // 2),
          l2=1e-3, verbose=0)
    out["fit"] = m.get_flat_parameters().copy()
    m.fit(X, y, loss=loss, optimizer=nc.Momentum(0.01, form="nesterov"), epochs=1,
          batch_size=len(X), clip_norm=0.5, verbose=0)
    out["fit clipped"] = m.get_flat_parameters().copy()
    out["predict"] = m.predict(X)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", CASES + [WIDE_SOFTMAX], ids=[c[0] for c in CASES + [WIDE_SOFTMAX]])
def test_bitwise_identical_for_any_thread_count(case, dtype, restore_threads):
    base = _run(case, dtype, 1)
    for t in THREADS[1:]:
        got = _run(case, dtype, t)
        for key, want in base.items():
            assert np.array_equal(got[key], want), f"{key} differs at {t} threads from 1 thread"


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", [c for c in CASES if c[0].startswith("tiny")],
                         ids=lambda c: c[0])
def test_tiny_cases_bitwise_identical_on_the_general_path(case, dtype, restore_threads):
    # The same tiny networks with the tiny path off: the general path's small products.
    from nncore import _core
    _core.set_tiny_path(False)
    try:
        base = _run(case, dtype, 1)
        for t in THREADS[1:]:
            got = _run(case, dtype, t)
            for key, want in base.items():
                assert np.array_equal(got[key], want), f"{key} differs at {t} threads"
    finally:
        _core.set_tiny_path(True)


# -- every thread gets work ------------------------------------------------------------

def _cpu_ticks():
    """{thread id: user + system CPU time in clock ticks} of this process's threads."""
    ticks = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        ticks[int(tid)] = int(fields[11]) + int(fields[12])
    return ticks


def _shares(work, threads, min_ticks=10, max_seconds=20.0):
    """CPU ticks each thread spent while work() ran (repeated until the busiest
    `threads` threads average min_ticks, or max_seconds passed), largest first."""
    import time
    before, t0 = _cpu_ticks(), time.monotonic()
    while True:
        work()
        after = _cpu_ticks()
        ticks = sorted((after[t] - before.get(t, 0) for t in after), reverse=True)
        if sum(ticks[:threads]) >= min_ticks * threads or time.monotonic() - t0 > max_seconds:
            return ticks


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux /proc")
@pytest.mark.parametrize("what", ["fit", "predict"])
def test_every_thread_gets_work(what, restore_threads):
    # 784-512-512-10 (the MNIST network): all four threads must have spent CPU
    # time, each within a generous factor of the mean, whatever the core count
    # (on fewer cores the threads share them; the split is what is tested).
    threads = 4
    nc.set_num_threads(threads)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2048, 784), dtype=np.float32)
    y = rng.integers(0, 10, len(X))
    m = nc.Sequential(nc.Dense(784, 512), nc.ReLU(), nc.Dense(512, 512), nc.ReLU(),
                      nc.Dense(512, 10), nc.Softmax(), dtype=np.float32, seed=0)
    opt = nc.Momentum(0.01, form="classic")
    m.fit(X[:256], y[:256], optimizer=opt, epochs=1, batch_size=128, verbose=0)  # warm-up
    if what == "fit":
        shares = _shares(lambda: m.fit(X, y, optimizer=opt, epochs=2, batch_size=128, verbose=0),
                         threads)
    else:
        shares = _shares(lambda: [m.predict(X[:1024]) for _ in range(20)], threads)
    top = shares[:threads]
    mean = sum(top) / threads
    assert mean >= 5, f"too little CPU time measured to judge ({shares})"
    assert min(top) > 0 and min(top) >= mean / 4, \
        f"{what} at {threads} threads: CPU ticks per thread {shares}"


# -- the output layer's epilogue, the threaded input check, the busy machine ------------

@pytest.mark.parametrize("case", [CASES[3], WIDE_SOFTMAX], ids=["whole-rows", "column-blocks"])
def test_softmax_head_matches_reference(case, restore_threads):
    """Bias + softmax of the last layer, in the product's epilogue (whole-row blocks) or
    after it (column blocks), agree with the NumPy twin; predict reuses its buffers."""
    from conftest import tolerance
    X, _ = _data(case, np.float64)
    m = _model(case, np.float64)
    ref = nc.reference.Sequential(*[_layer(s) for s in case[1]], dtype=np.float64, seed=3)
    for t in (1, 3):
        nc.set_num_threads(t)
        got, want = m.predict(X), ref.predict(X)
        rtol, atol = tolerance(np.float64, np.abs(want).max(), n_reduce=X.shape[1])
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
        np.testing.assert_array_equal(m.forward_trace(X)[-1], got)


@pytest.mark.parametrize("where", [0, 70_000, -1])
def test_large_X_with_nan_or_inf_is_refused_at_any_thread_count(where, restore_threads):
    """The finiteness check of X runs in chunks on the thread team (above 65,536 values):
    a bad value in any chunk, first, middle or last, is found."""
    X = np.ones((300, 300), dtype=np.float32)
    m = nc.Sequential(nc.Dense(300, 4), nc.Softmax(), dtype=np.float32, seed=0)
    for t in (1, 3):
        nc.set_num_threads(t)
        for bad, word in ((np.nan, "NaN"), (np.inf, "inf")):
            Xb = X.copy()
            Xb.flat[where] = bad
            with pytest.raises(ValueError, match=f"predict: X contains {word}"):
                m.predict(Xb)
            with pytest.raises(ValueError, match=f"fit: X contains {word}"):
                m.fit(Xb, np.zeros(300, dtype=int), epochs=1, verbose=0)
        m.predict(X)  # and a clean X passes


def test_busy_machine_gives_the_same_numbers():
    """With the busy check on and a process spinning beside it, the pool may run any team
    size from 1 up; the numbers stay those of 1 thread (fresh processes: the check is
    read when the pool starts)."""
    import subprocess
    import sys
    code = ("import numpy as np, nncore as nc\n"
            "rng = np.random.default_rng(0)\n"
            "X = rng.normal(size=(256, 300)).astype(np.float32); y = rng.integers(0, 10, 256)\n"
            "m = nc.Sequential(nc.Dense(300, 517), nc.ReLU(), nc.Dense(517, 10), nc.Softmax(),\n"
            "                  dtype=np.float32, seed=3)\n"
            "nc.set_num_threads(int(__import__('sys').argv[1]))\n"
            "m.fit(X, y, optimizer=nc.Adam(1e-3), epochs=3, batch_size=64, verbose=0)\n"
            "print(m.get_flat_parameters().tobytes().hex()[:4000], m.predict(X).tobytes().hex()[:4000])\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env.pop("NNCORE_BUSY_CHECK", None)
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        outs = [subprocess.run([sys.executable, "-c", code, str(t)], env=env, capture_output=True,
                               text=True, timeout=300, check=True).stdout for t in (1, 2)]
    finally:
        spinner.terminate()
        spinner.wait()
    assert outs[0] and outs[0] == outs[1]
