#!/usr/bin/env python
"""How nncore's work splits among threads, and what many real cores would give.

    python benchmarks/threads.py                  # mnist-mlp, mnist-infer, infer-b1, digits
    python benchmarks/threads.py --threads 1,2,4,8,16 --cores 2,4,8,16,64
    python benchmarks/threads.py --smoke          # tiny sizes: CI's code-path check

The core cuts every threaded product and pass into fixed pieces from the
shapes (never from the thread count) and hands them to whichever thread is
free. With the core's piece trace on (`_core.set_piece_trace`) each job of
pieces records its size and every piece its time and thread; on one thread the
trace also cuts the work as it would for many threads and runs the pieces in
order. From that:

* split: per job of one training step / predict call, its pieces and the time
  of its longest piece (1 thread);
* predicted speed-up on P real cores: the plain 1-thread wall time (nothing cut
  into pieces, minimum of --repeats untraced runs; what the cut itself costs,
  shown as "cut into pieces ... (r x)", counts against the figure) divided by
  serial + Σ_jobs makespan_P(job) + P>1 · jobs · overhead, where each job's
  makespan simulates the pool's rule on the measured 1-thread piece times
  (thread t runs its home share in order, then takes unstarted pieces of the
  other shares in order; a job's time outside its pieces, taking them and
  the trace's bookkeeping, is added to its pieces), "serial" is every stretch
  of the 1-thread run outside jobs (Python, argument checks, fit's set-up,
  the loss and whatever else runs between jobs, the end of the call), and
  overhead is the per-job cost of waking and joining (--job-overhead-us,
  default 2 µs), charged on top. Memory bandwidth
  shared by many cores is not modelled: the figure is an upper bound for the
  decomposition, not a promise for a given machine;
* per thread at T threads: its share of the piece time it ran (trace) and of
  the CPU time the OS gave it (/proc/self/task/*/stat, untraced run; on fewer
  cores than threads the threads share the cores, but each must get work).

Per-piece times, and each stretch of serial time, are the minimum over --repeats
traced runs (a busy machine stretches some of them by whole scheduler slices; the
minimum is the work).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import strip_openblas_env  # noqa: E402  (must run before numpy is imported)

strip_openblas_env()
# The split among T threads is what is reported here, so the pool keeps its whole team
# even while other jobs load the machine (it would shrink it to the free cores).
os.environ.setdefault("NNCORE_BUSY_CHECK", "0")

import numpy as np  # noqa: E402

import nncore as nc  # noqa: E402
from harness import core_count, cpu_model, now  # noqa: E402
from nncore import _core as core  # noqa: E402  (the piece trace is a benchmark hook, not API)


# -- workloads ----------------------------------------------------------------------------
def mnist_net(dtype):
    return nc.Sequential(nc.Dense(784, 512), nc.ReLU(), nc.Dense(512, 512), nc.ReLU(),
                         nc.Dense(512, 10), nc.Softmax(), dtype=dtype, seed=0)


def workloads(smoke):
    """{name: (unit description, setup() -> run())}: run() is what is traced and timed."""
    rng = np.random.default_rng(2024)
    batches = 2 if smoke else 80  # run.py trains 80 batches per fit (fit set-up amortised alike)
    X = rng.standard_normal((128 * batches, 784), dtype=np.float32)
    y = rng.integers(0, 10, len(X))
    Xd = rng.standard_normal((32 * batches, 64))
    yd = rng.integers(0, 10, len(Xd))
    infer_rows = 256 if smoke else 1024

    def train(make, X, y, batch, opt):
        def setup():
            m = make()
            m.fit(X[:batch], y[:batch], optimizer=opt(), epochs=1, batch_size=batch, verbose=0)
            return lambda: m.fit(X, y, optimizer=opt(), epochs=1, batch_size=batch, verbose=0)
        return setup

    def infer(rows, calls):
        def setup():
            m = mnist_net(np.float32)
            Xi = X[:rows]
            m.predict(Xi)
            return lambda: [m.predict(Xi) for _ in range(calls)]
        return setup

    momentum = lambda: nc.Momentum(0.01, form="classic")  # noqa: E731
    digits = lambda: nc.Sequential(nc.Dense(64, 128), nc.ReLU(), nc.Dense(128, 64), nc.ReLU(),  # noqa: E731
                                   nc.Dense(64, 10), nc.Softmax(), seed=0)
    return {
        "mnist-mlp": (f"{batches} training steps, batch 128, float32",
                      train(lambda: mnist_net(np.float32), X, y, 128, momentum)),
        "mnist-infer": (f"predict on {infer_rows} rows, float32", infer(infer_rows, 1)),
        "infer-b1": ("200 predict calls on 1 row, float32", infer(1, 200)),
        "digits": (f"{batches} training steps, batch 32, float64 (64-128-64-10)",
                   train(digits, Xd, yd, 32, lambda: nc.Adam(1e-3))),
    }


# -- measurements ---------------------------------------------------------------------------
def traced(run):
    """(wall ns, trace dict) of one run with the piece trace on."""
    core.set_piece_trace(True)
    t = time.perf_counter_ns()
    run()
    wall = time.perf_counter_ns() - t
    return wall, core.take_piece_trace()


def jobs_of(trace):
    """[(pieces, array of piece ns, array of piece slots)] in job order."""
    order = np.argsort(trace["piece_job"], kind="stable")
    ns, slot = trace["piece_ns"][order], trace["piece_slot"][order]
    bounds = np.concatenate([[0], np.cumsum(trace["job_pieces"])])
    return [(int(n), ns[a:b], slot[a:b])
            for n, a, b in zip(trace["job_pieces"], bounds[:-1], bounds[1:])]


def outside_pieces(trace, wall):
    """Per job, the time before it since the previous job ended (Python, the loss, set-up,
    anything not cut into pieces), then the time after the last job: all of it serial."""
    start, end = trace["job_start_ns"], trace["job_end_ns"]
    if not len(start):
        return np.array([float(wall)])
    return np.concatenate([start[:1], start[1:] - end[:-1], [wall - end[-1]]])


def with_handout(trace, jobs):
    """Each job's pieces with the job's time outside its pieces (taking pieces, the trace's
    own bookkeeping) spread over them: every thread pays it for the pieces it takes."""
    start, end = trace["job_start_ns"], trace["job_end_ns"]
    return [j + max(float(e - s - j.sum()), 0.0) / len(j) for j, s, e in zip(jobs, start, end)]


def one_thread_model(run, repeats):
    """Minimum piece times and serial time over `repeats` traced 1-thread runs, and the
    minimum wall time of as many plain (untraced, uncut) 1-thread runs, interleaved with
    them: this VM's speed drifts by 10-25 % over seconds, and the prediction divides one
    by the other, so both minima are taken over the same stretch of time.

    Every stretch of serial time (outside_pieces) is a minimum over the runs, like every
    piece: on a busy machine a run's sum would mostly measure when the OS ran something else.
    """
    nc.set_num_threads(1)
    best_jobs, best_serial, whole = None, None, float("inf")
    for _ in range(repeats):
        whole = min(whole, plain_run_ns(run))
        wall, tr = traced(run)
        if tr["overflow"]:
            raise RuntimeError("piece trace overflowed: use a smaller workload")
        jobs = with_handout(tr, [ns for _, ns, _ in jobs_of(tr)])
        serial = outside_pieces(tr, wall)
        if best_jobs is None or [len(j) for j in jobs] != [len(j) for j in best_jobs]:
            if best_jobs is None or wall < sum(float(j.sum()) for j in best_jobs) + best_serial.sum():
                best_jobs, best_serial = jobs, serial  # a different split: keep the faster run
            continue
        best_jobs = [np.minimum(a, b) for a, b in zip(best_jobs, jobs)]
        best_serial = np.minimum(best_serial, serial)
    return best_jobs, float(max(best_serial.sum(), 0.0)), whole


def makespan(piece_ns, threads):
    """Finish time of one job under the pool's rule on `threads` real cores."""
    n = len(piece_ns)
    if threads <= 1 or n <= 1:
        return float(piece_ns.sum())
    nxt = [n * t // threads for t in range(threads)]
    end = [n * (t + 1) // threads for t in range(threads)]
    free = [0.0] * threads
    finish = 0.0
    left = n
    while left:
        t = min(range(threads), key=free.__getitem__)
        for k in range(threads):
            s = (t + k) % threads
            if nxt[s] < end[s]:
                i = nxt[s]
                nxt[s] += 1
                break
        free[t] += float(piece_ns[i])
        finish = max(finish, free[t])
        left -= 1
    return finish


def predicted(jobs, serial, cores, overhead_ns, whole_ns):
    """Speed-up on `cores` real cores over the plain 1-thread run (whole_ns: not cut into
    pieces), so that what cutting costs counts against the prediction."""
    tp = serial + sum(makespan(j, cores) for j in jobs) + (overhead_ns * len(jobs) if cores > 1 else 0)
    return whole_ns / tp


def plain_run_ns(run):
    """Wall time (ns) of one untraced run: on one thread nothing is cut into pieces."""
    t = time.perf_counter_ns()
    run()
    return float(time.perf_counter_ns() - t)


def task_ticks():
    ticks = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[int(tid)] = int(fields[11]) + int(fields[12])
    return ticks


def shares_at(run, threads, min_seconds):
    """(share of piece time per thread slot from a trace, CPU ticks per thread from /proc)."""
    nc.set_num_threads(threads)
    run()
    _, tr = traced(run)
    per_slot = np.zeros(threads)
    np.add.at(per_slot, tr["piece_slot"], tr["piece_ns"])
    before, t0, n = task_ticks(), time.perf_counter(), 0
    while n == 0 or time.perf_counter() - t0 < min_seconds:
        run()
        n += 1
    after = task_ticks()
    ticks = sorted((after[t] - before.get(t, 0) for t in after), reverse=True)[:threads]
    return per_slot / max(per_slot.sum(), 1e-30), ticks


def fmt_share(x):
    m = np.mean(x) if len(x) else 0
    if m <= 0:
        return "-"
    return f"min {min(x) / m:.2f} / max {max(x) / m:.2f} of mean"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--workloads", default="mnist-mlp,mnist-infer,infer-b1,digits")
    p.add_argument("--threads", default="1,2,4,8,16", help="thread counts to run (default 1,2,4,8,16)")
    p.add_argument("--cores", default="2,4,8,16,64", help="core counts to predict for")
    p.add_argument("--repeats", type=int, default=None, help="traced 1-thread runs (default 5; smoke 1)")
    p.add_argument("--job-overhead-us", type=float, default=2.0)
    p.add_argument("--cpu-seconds", type=float, default=None,
                   help="untraced run time per thread count for the /proc shares (default 1; smoke 0)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat: a code-path check")
    args = p.parse_args(argv)
    repeats = args.repeats or (1 if args.smoke else 5)
    cpu_seconds = args.cpu_seconds if args.cpu_seconds is not None else (0.0 if args.smoke else 1.0)
    thread_list = [int(t) for t in args.threads.split(",")]
    cores = [int(c) for c in args.cores.split(",")]
    wls = workloads(args.smoke)
    names = [w.strip() for w in args.workloads.split(",") if w.strip()]
    bad = [w for w in names if w not in wls]
    if bad:
        p.error(f"unknown workload(s) {bad}; choose from {', '.join(wls)}")

    usable, online = core_count()
    print(f"nncore thread scaling, {now()}; CPU {cpu_model()}, {usable} usable cores ({online} online)")
    print(f"GEMM kernel {core.gemm_kernel_name()}; per-piece times: min of {repeats} traced 1-thread runs;"
          f" job overhead {args.job_overhead_us} µs" + ("; SMOKE (timings meaningless)" if args.smoke else ""))
    requested = core.requested_num_threads() or None  # 0: no request was made
    try:
        for name in names:
            what, setup = wls[name]
            nc.set_num_threads(1)
            run = setup()
            jobs, serial, whole = one_thread_model(run, repeats)
            total = serial + sum(float(j.sum()) for j in jobs)
            print(f"\n== {name}: {what}")
            print(f"1 thread: {whole / 1e3:.0f} µs; cut into pieces {total / 1e3:.0f} µs "
                  f"({total / whole:.2f}x), of which {serial / 1e3:.0f} µs outside pieces "
                  f"(serial), {len(jobs)} jobs")
            sizes = [len(j) for j in jobs]
            print("pieces per job (in order): " + " ".join(map(str, sizes[:40]))
                  + (" ..." if len(sizes) > 40 else ""))
            big = sorted(jobs, key=lambda j: -float(j.sum()))[:6]
            print("largest jobs: " + ", ".join(f"{len(j)} pieces {j.sum() / 1e3:.0f} µs "
                                               f"(longest {j.max() / 1e3:.1f})" for j in big))
            print("predicted speed-up on P real cores: " + ", ".join(
                f"P={c}: {predicted(jobs, serial, c, args.job_overhead_us * 1e3, whole):.1f}x" for c in cores))
            for t in thread_list:
                share, ticks = shares_at(run, t, cpu_seconds)
                line = f"  T={t:<3} piece time per thread: {fmt_share(share)}"
                if cpu_seconds > 0:
                    line += f"; CPU ticks per thread (/proc): {ticks} ({fmt_share(ticks)})"
                print(line)
    finally:
        nc.set_num_threads(requested)


if __name__ == "__main__":
    main()
