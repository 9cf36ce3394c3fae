"""nncore.threads: set_num_threads / get_num_threads, OMP_NUM_THREADS, threadpoolctl."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import nncore as nc
from conftest import assert_clean_exit, run_isolated


def _openmp_pools():
    """{library path: thread count} of every OpenMP runtime threadpoolctl sees
    (scikit-learn and torch may bring their own libgomp beside nncore's)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    return {i["filepath"]: i["num_threads"] for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "openmp"}


def test_set_num_threads_is_visible_to_threadpoolctl(restore_threads):
    nc.set_num_threads(1)
    assert nc.get_num_threads() == 1
    one = _openmp_pools()
    nc.set_num_threads(2)
    two = _openmp_pools()
    ours = [path for path in one if one[path] == 1 and two.get(path) == 2]
    assert ours, f"no OpenMP pool follows set_num_threads: {one} then {two}"
    nc.set_num_threads(None)
    assert nc.native.threads.requested_num_threads() is None
    assert _openmp_pools()[ours[0]] == nc.get_num_threads()


def test_set_num_threads_applies_to_other_python_threads(restore_threads):
    # OpenMP's own setting is per calling thread; nncore's is process-wide.
    nc.set_num_threads(1)
    seen = []
    t = threading.Thread(target=lambda: seen.append(nc.get_num_threads()))
    t.start()
    t.join()
    assert seen == [1]


@pytest.mark.parametrize("n", ["1", "2"])
def test_omp_num_threads_is_honoured(n):
    env = dict(os.environ, OMP_NUM_THREADS=n)
    out = subprocess.run([sys.executable, "-c", "import nncore; print(nncore.get_num_threads())"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == n


def test_threadpool_limits_caps_a_larger_request(restore_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    nc.set_num_threads(2)
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        assert nc.get_num_threads() == 1
    assert nc.get_num_threads() == 2


def test_results_do_not_depend_on_the_thread_count(restore_threads):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 300)).astype(np.float32)
    y = rng.integers(0, 10, 256)
    outs = []
    for n in (1, 2):
        nc.set_num_threads(n)
        m = nc.Sequential(nc.Dense(300, 512), nc.ReLU(), nc.Dense(512, 10), nc.Softmax(),
                          dtype=np.float32, seed=0)
        m.fit(X, y, optimizer=nc.Momentum(0.01, form="classic"), epochs=2, batch_size=128,
              verbose=0)
        outs.append((m.get_flat_parameters(), m.predict(X)))
    assert np.array_equal(outs[0][0], outs[1][0]) and np.array_equal(outs[0][1], outs[1][1])


def test_native_compute_releases_the_gil():
    # While one Python thread is inside a long native fit (no callbacks, no
    # progress bar), another must keep running Python. If the core held the
    # GIL, the main thread would be frozen until fit returned.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 64))
    y = rng.integers(0, 10, 4000)
    m = nc.Sequential(nc.Dense(64, 256), nc.ReLU(), nc.Dense(256, 10), nc.Softmax(), seed=0)
    started, done = threading.Event(), threading.Event()

    def train():
        started.set()
        m.fit(X, y, optimizer=nc.Adam(1e-3), epochs=150, batch_size=64, verbose=0)
        done.set()

    t = threading.Thread(target=train)
    t.start()
    started.wait()
    ticks = 0
    while not done.is_set():
        ticks += 1
    t.join()
    # ~1 s of fit: millions of iterations with the GIL free, at most one switch
    # interval's worth (~0.1 M) before the worker enters native code if it is not.
    assert ticks > 1_000_000, f"the main thread ran only {ticks} loop iterations during fit"


def test_huge_thread_counts_are_refused_or_capped_not_a_crash():
    # 10**6 threads: libgomp keeps per-thread data on the launching stack (SIGSEGV).
    proc = run_isolated("""
        import numpy as np, pytest, nncore as nc
        from threadpoolctl import threadpool_limits
        for bad in (10**6, 2**31, 2**70):
            with pytest.raises(ValueError, match="set_num_threads: n must be at most 1024"):
                nc.set_num_threads(bad)
        nc.set_num_threads(np.int64(2))
        assert nc.get_num_threads() == 2
        nc.set_num_threads(None)
        X = np.ones((512, 300))
        m = nc.Sequential(nc.Dense(300, 300), nc.Tanh(), seed=0)
        with threadpool_limits(10**6, user_api="openmp"):  # as MLPClassifier(num_threads=10**6)
            assert nc.get_num_threads() == nc.native.threads.MAX_THREADS
            m.fit(X, X, epochs=1, batch_size=512, verbose=0)
        print("OK")
    """)
    assert_clean_exit(proc)


def test_a_forked_child_trains_serially_instead_of_hanging():
    # libgomp's pool does not survive fork(): children hung in their first parallel region.
    proc = run_isolated("""
        import multiprocessing as mp, numpy as np, nncore as nc

        def work(seed):
            nc.set_num_threads(2)  # cannot raise it again in a forked child
            m = nc.Sequential(nc.Dense(300, 300), nc.Tanh(), seed=seed)
            X = np.ones((512, 300))
            m.fit(X, X, epochs=1, batch_size=512, verbose=0)
            return nc.get_num_threads(), m.get_flat_parameters().sum()

        nc.set_num_threads(2)
        serial = work(0)[1]          # the parent's pool is running now
        with mp.get_context("fork").Pool(2) as pool:
            out = pool.map_async(work, [0] * 5).get(timeout=60)
        assert [n for n, _ in out] == [1] * 5, out
        assert all(s == serial for _, s in out), (out, serial)  # same bits as the parent
        assert nc.get_num_threads() == 2
        print("OK")
    """, timeout=90)
    assert_clean_exit(proc)
