#!/usr/bin/env python
"""nncore against its peers on the workloads of workloads.md.
(Longer than 400 lines: the command line, the table and the JSON of every workload in
one runner; the workloads themselves live in workloads.py, the peers in peers.py.)

    python benchmarks/run.py                       # every workload, 1 and 2 threads
    python benchmarks/run.py --workloads xor,mnist-mlp --threads 1 --repeats 5
    python benchmarks/run.py --json                # one JSON object per line on stdout
    python benchmarks/run.py --smoke               # tiny sizes, 1 repeat: a code-path check
    python benchmarks/run.py --load                # also every block beside one busy process

For every (workload, thread count) the libraries run interleaved in the same
process on the same data and the same initial weights: one warm-up run each,
then `repeats` rounds, each round running every library once (the order
rotates from round to round). Figures are medians (min–max in brackets) and
"vs nncore" is how many times faster nncore is (> 1: nncore faster).
Thread counts: nncore.set_num_threads, torch.set_num_threads, threadpoolctl
(NumPy/OpenBLAS, scikit-learn). The GEMM peak of the GEMM-bound workloads is a
NumPy 2048² matmul timed once per round in the same rounds.

The process runs without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (it re-executes
itself if they are set), since they slow a current NumPy (workloads.md).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import strip_openblas_env  # noqa: E402  (must run before numpy is imported)

REMOVED_ENV = strip_openblas_env()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

import numpy as np  # noqa: E402

import nncore as nc  # noqa: E402
import peers  # noqa: E402
import workloads as W  # noqa: E402
from harness import (BusyProcess, Threads, Timer, blas_info, core_count, cpu_model,  # noqa: E402
                     now, summarize)


# Timed rounds per (workload, threads) by default: fewer where the slow peers
# make a round expensive (the whole default run must stay under 5 minutes on 2 cores).
DEFAULT_REPEATS = {"xor": 3, "moons": 5, "lecture40": 3, "digits": 5, "mnist-mlp": 3,
                   "mnist-infer": 5, "infer-b1": 3, "mnist-mlp-f64": 3, "xor-fg": 5,
                   "moons-fg": 5}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--workloads", default=",".join(W.NAMES),
                   help="comma-separated subset of: " + ", ".join(W.NAMES))
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed rounds per (workload, threads) after the warm-up "
                        "(default 3 or 5 per workload, see DEFAULT_REPEATS; --smoke: 1)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object per line on stdout (the table goes to stderr)")
    p.add_argument("--smoke", action="store_true",
                   help="tiny sizes, no warm-up, one round, no cooldown: checks every code "
                        "path in < 60 s, times nothing useful")
    p.add_argument("--mnist-batches", type=int, default=80,
                   help="mnist-mlp(-f64): train one epoch on the first N·128 rows "
                        "(default 80; 0 = the full 60,000-row epoch)")
    p.add_argument("--block-budget", type=float, default=15.0,
                   help="seconds per (workload, threads) after which no further round starts "
                        "(at least one timed round always runs; default 15; 0 = no limit)")
    p.add_argument("--cooldown", type=float, default=None,
                   help="seconds of pause before each timed call at > 1 thread, so that the "
                        "previous library's spinning worker threads have parked "
                        "(default 0.2; --smoke: 0)")
    p.add_argument("--load", action="store_true",
                   help="run every (workload, threads) block a second time beside one busy "
                        "process (`python -c 'while True: pass'`): the busy-machine scenario; "
                        "rows marked 'busy'")
    p.add_argument("--libraries", default="nncore,numpy,torch,sklearn",
                   help="comma-separated subset of nncore,numpy,torch,sklearn")
    args = p.parse_args(argv)
    names = [w.strip() for w in args.workloads.split(",") if w.strip()]
    bad = [w for w in names if w not in W.NAMES]
    if bad:
        p.error(f"unknown workload(s) {bad}; choose from {', '.join(W.NAMES)}")
    args.workload_names = names
    try:
        args.thread_list = [int(t) for t in args.threads.split(",") if t.strip()]
    except ValueError:
        p.error(f"--threads must be integers, got {args.threads!r}")
    if not args.thread_list or min(args.thread_list) < 1:
        p.error("--threads needs positive integers")
    if args.repeats is not None and args.repeats < 1:
        p.error("--repeats must be >= 1")
    if args.mnist_batches < 0:
        p.error("--mnist-batches must be >= 0")
    if args.cooldown is None:
        args.cooldown = 0.0 if args.smoke else 0.2
    args.library_names = [s.strip() for s in args.libraries.split(",") if s.strip()]
    if "nncore" not in args.library_names:
        p.error("--libraries must include nncore (the ratios are against it)")
    return args


# -- GEMM peak ------------------------------------------------------------------------
class GemmPeak:
    """NumPy n×n matmul GFLOP/s; matrices made (and the kernel warmed) once per dtype."""

    def __init__(self, n):
        self.n, self._mats = n, {}

    def sample(self, dtype):
        key = np.dtype(dtype).name
        if key not in self._mats:
            rng = np.random.default_rng(1)
            a = rng.standard_normal((self.n, self.n)).astype(dtype)
            b = rng.standard_normal((self.n, self.n)).astype(dtype)
            self._mats[key] = (a, b, np.empty_like(a))
        a, b, c = self._mats[key]
        with Timer() as t:
            np.matmul(a, b, out=c)
        return 2.0 * self.n ** 3 / t.seconds / 1e9


# -- formatting -----------------------------------------------------------------------
def fmt(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def header_lines(args, libs, removed):
    usable, online = core_count()
    lines = [f"nncore benchmark, {now()}",
             f"CPU: {cpu_model()}; {usable} usable cores ({online} online)"]
    core = nc._core
    omp = getattr(core, "has_openmp", "?")
    omp = omp() if callable(omp) else omp
    lines.append(f"nncore {nc.__version__}: GEMM kernel {core.gemm_kernel_name()}, OpenMP {omp}")
    blas = ", ".join(f"{i.get('internal_api')} {i.get('version')} kernel "
                     f"{i.get('architecture', '?')} ({os.path.basename(i['filepath'])})"
                     for i in blas_info()) or "threadpoolctl not installed: BLAS unknown"
    lines.append(f"numpy {np.__version__}; BLAS: {blas}")
    for lib in libs:
        if lib.name in ("torch", "sklearn"):
            lines.append(f"{lib.name}: {lib.version}" if lib.skip_reason is None
                         else f"{lib.name}: skipped ({lib.skip_reason})")
    if removed:
        lines.append("environment: unset " + ", ".join(f"{k}={v}" for k, v in removed.items())
                     + " for this process (re-executed without them)")
    else:
        lines.append("environment: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE not set")
    try:
        import threadpoolctl  # noqa: F401
    except ImportError:
        lines.append("WARNING: threadpoolctl missing: NumPy/sklearn BLAS threads are not limited")
    mode = "SMOKE RUN (tiny sizes, no warm-up, 1 round: no meaningful timings)" if args.smoke else \
        "medians of the timed rounds after one warm-up, libraries interleaved per round"
    lines.append(f"threads {args.thread_list}; {mode}")
    return lines


# -- one (workload, threads) block --------------------------------------------------------
def run_block(wl, threads, libs, sd, repeats, torch_mod, gemm, log, budget=None, cooldown=0.0,
              warmup=True):
    """Warm-up + interleaved rounds. Returns {lib: {...}} and the GEMM peak samples.

    budget (seconds): stop adding rounds once the next one (estimated from the
    warm-up and the rounds so far) would end past it; at least one round runs.
    cooldown (seconds, threads > 1 only): pause before every timed call so that the
    worker threads the previous library left spinning (OpenBLAS, OpenMP pools wait
    busily for a while after their work) have parked and do not steal the cores.
    """
    pause = cooldown if threads > 1 else 0.0
    t_block = time.perf_counter()
    out = {}
    runners = {}
    with Threads(threads, torch_mod) as th:
        seen = th.check()
        wrong = {k: v for k, v in seen.items() if v != threads}
        if wrong:
            log(f"  warning: thread counts not applied: {wrong}")
        for lib in libs:
            if lib.name not in wl.libraries:
                continue
            if lib.skip_reason:
                out[lib.name] = {"skipped": lib.skip_reason}
                continue
            try:
                runners[lib.name] = wl.runner(lib, sd)
            except Exception as e:  # noqa: BLE001 - reported per library
                out[lib.name] = {"error": f"{type(e).__name__}: {e}", "tb": traceback.format_exc()}
        samples = {name: [] for name in runners}
        peak = []

        def one(name):
            r = runners[name]
            try:
                r.setup()
                if pause:
                    time.sleep(pause)
                return r.run()
            except Exception as e:  # noqa: BLE001
                out[name] = {"error": f"{type(e).__name__}: {e}", "tb": traceback.format_exc()}
                del runners[name]
                return None

        t_round = time.perf_counter()
        for name in list(runners) if warmup else ():  # warm-up (not recorded)
            one(name)
        if wl.gemm_bound:
            time.sleep(pause)
            gemm.sample(wl.dtype)
        round_s = time.perf_counter() - t_round
        for rep in range(repeats):
            elapsed = time.perf_counter() - t_block
            if rep > 0 and budget and elapsed + round_s > budget:
                log(f"  {wl.name} threads={threads}: time budget {budget:.0f} s reached after "
                    f"{rep} of {repeats} rounds")
                break
            t_round = time.perf_counter()
            names = list(runners)
            k = rep % max(1, len(names))
            for name in names[k:] + names[:k]:
                if name not in runners:
                    continue
                s = one(name)
                if s is not None:
                    samples[name].append(wl.value(s, runners[name]))
            if wl.gemm_bound:
                time.sleep(pause)
                peak.append(gemm.sample(wl.dtype))
            round_s = time.perf_counter() - t_round
        for name, r in runners.items():
            med, lo, hi = summarize(samples[name])
            try:
                det = r.details()
            except Exception as e:  # noqa: BLE001
                det = {"details_error": str(e)}
            out[name] = {"value": med, "min": lo, "max": hi, "n": len(samples[name]),
                         "planned": repeats, **det}
    return out, peak


def rows_for(wl, threads, res, peak, load=False):
    peak_med = summarize(peak)[0] if peak else None
    base = res.get("nncore", {}).get("value")
    rows = []
    for lib in ("nncore", "numpy", "torch", "sklearn"):
        if lib not in res:
            continue
        r = res[lib]
        row = {"workload": wl.name, "library": lib, "threads": threads, "busy": load,
               "dtype": np.dtype(wl.dtype).name, "metric": wl.metric,
               "value": r.get("value"), "unit": wl.figure, "min": r.get("min"),
               "max": r.get("max"), "accuracy": None, "gflops": None, "peak_fraction": None}
        if wl.report_accuracy and "value" in r:
            row["accuracy"] = r.get(wl.accuracy_key)
        if wl.gemm_bound and "value" in r:
            row["gflops"] = wl.gflops(r["value"])
            if peak_med:
                row["peak_fraction"] = row["gflops"] / peak_med
        extra = {"skipped": r.get("skipped"), "error": r.get("error"),
                 "train_acc": r.get("train_acc"), "test_acc": r.get("test_acc"),
                 "epochs": r.get("epochs"), "peak": peak_med, "n": r.get("n"),
                 "planned": r.get("planned"), "fwd_us": r.get("fwd_us"),
                 "fg_ratio": r.get("fg_ratio")}
        base_epochs = res.get("nncore", {}).get("epochs")
        if wl.spec is not None and wl.spec.until_acc and r.get("epochs") and base_epochs \
                and abs(r["epochs"] - base_epochs) > 0.05 * base_epochs:
            extra["epoch_mismatch"] = True  # the libraries did not do the same work
        if base and r.get("value"):
            extra["vs_nncore"] = (base / r["value"]) if wl.higher_is_better else (r["value"] / base)
        rows.append((row, extra))
    return rows


def json_line(row, extra):
    d = dict(row)
    if extra.get("skipped"):
        d["skipped"] = extra["skipped"]
    if extra.get("error"):
        d["error"] = extra["error"]
    if extra.get("fg_ratio") is not None:  # xor-fg, moons-fg: the step in forward passes
        d["forward_pass_us"], d["step_over_forward"] = extra["fwd_us"], extra["fg_ratio"]
    return json.dumps(d)


def thr_label(row):
    return f"{row['threads']}" + (" busy" if row.get("busy") else "")


def table(all_rows, wls, gemm_n):
    cols = ["workload", "thr", "library", "dtype", "value", "unit", "min-max", "vs nncore",
            "accuracy", "GFLOP/s", "% peak", "notes"]
    lines = []
    for row, extra in all_rows:
        if extra.get("skipped") or extra.get("error"):
            status = f"skipped: {extra['skipped']}" if extra.get("skipped") else \
                f"FAILED: {extra['error'][:70]}"
            lines.append([row["workload"], thr_label(row), row["library"], row["dtype"],
                          "-", row["unit"], "", "", "", "", "", status])
            continue
        notes = []
        if row["workload"] == "lecture40":
            notes.append(f"{extra['epochs']} epochs")
        if extra.get("epoch_mismatch"):
            notes.append("WARNING: epochs differ from nncore's")
        if extra.get("n") is not None and extra["n"] < extra["planned"]:
            notes.append(f"{extra['n']}/{extra['planned']} rounds (time budget)")
        if extra.get("fg_ratio") is not None:
            notes.append(f"step = {extra['fg_ratio']:.2f} forward passes "
                         f"({fmt(extra['fwd_us'])} us each)")
        if row["library"] == "nncore" and extra.get("peak"):
            notes.append(f"GEMM peak {fmt(extra['peak'])} GFLOP/s")
        acc = ""
        if extra.get("train_acc") is not None and extra.get("test_acc") is not None:
            acc = f"{extra['train_acc']:.3f}/{extra['test_acc']:.3f}"
        elif row["accuracy"] is not None:
            acc = f"{row['accuracy']:.3f}"
        vs = extra.get("vs_nncore")
        lines.append([row["workload"], thr_label(row), row["library"], row["dtype"],
                      fmt(row["value"]), row["unit"], f"[{fmt(row['min'])}-{fmt(row['max'])}]",
                      "-" if vs is None else f"{vs:.2f}x", acc,
                      fmt(row["gflops"]) if row["gflops"] is not None else "",
                      f"{100 * row['peak_fraction']:.0f}%" if row["peak_fraction"] else "",
                      "; ".join(notes)])
    widths = [max(len(c), *(len(l[i]) for l in lines)) if lines else len(c)
              for i, c in enumerate(cols)]
    right = {"thr", "value", "min-max", "vs nncore", "GFLOP/s", "% peak"}

    def render(cells):
        return "  ".join((c.rjust(w) if name in right else c.ljust(w))
                         for c, w, name in zip(cells, widths, cols)).rstrip()

    out = [render(cols), render(["-" * w for w in widths])]
    prev = None
    for l in lines:
        if prev is not None and (l[0], l[1]) != prev:
            out.append("")
        prev = (l[0], l[1])
        out.append(render(l))
    legend = ["",
              "vs nncore: how many times faster nncore is than that library on the same "
              "(workload, threads), measured interleaved (> 1: nncore faster).",
              "accuracy: train/test (xor: train; lecture40 also reports the epochs it needed); "
              f"GFLOP/s from the FLOP formula of workloads.md; % peak = GFLOP/s / NumPy {gemm_n}² "
              "matmul GFLOP/s of the same dtype and threads (median of one matmul per round, "
              "timed in the same rounds; 'GEMM peak' note)."]
    for wl in wls:
        legend.append(f"  {wl.name}: {wl.arch}, {wl.note}")
    return out + legend


def main(argv=None):
    args = parse_args(argv)
    t_start = time.perf_counter()
    out_json = sys.stdout if args.json else None
    human = sys.stderr if args.json else sys.stdout

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    libs = [lib for lib in peers.all_libraries() if lib.name in args.library_names]
    torch_mod = next((lib.torch for lib in libs if lib.name == "torch" and not lib.skip_reason),
                     None)
    sklearn_ok = peers.Sklearn().skip_reason is None  # digits needs its bundled data
    for line in header_lines(args, libs, REMOVED_ENV):
        print(line, file=human, flush=True)
    print("", file=human, flush=True)

    wls = [w for w in W.build(smoke=args.smoke, mnist_batches=args.mnist_batches)
           if w.name in args.workload_names]
    gemm = GemmPeak(256 if args.smoke else 2048)
    all_rows, peaks, failed = [], {}, False
    for wl in wls:
        repeats = args.repeats or (1 if args.smoke else DEFAULT_REPEATS[wl.name])
        if wl.name == "digits" and not sklearn_ok:
            log("digits: skipped (scikit-learn, which bundles the data, is not installed)")
            for t in args.thread_list:
                for lib in libs:
                    row = {"workload": wl.name, "library": lib.name, "threads": t,
                           "dtype": np.dtype(wl.dtype).name, "metric": wl.metric, "value": None,
                           "unit": wl.figure, "min": None, "max": None, "accuracy": None,
                           "gflops": None, "peak_fraction": None}
                    all_rows.append((row, {"skipped": "scikit-learn (digits data) not installed"}))
                    if out_json:
                        print(json_line(*all_rows[-1]), file=out_json, flush=True)
            continue
        wl.data()
        sd = W.initial_weights(wl)
        for t, load in [(t, load) for load in ([False, True] if args.load else [False])
                        for t in args.thread_list]:
            tb = time.perf_counter()
            with BusyProcess(load):
                res, peak = run_block(wl, t, libs, sd, repeats, torch_mod, gemm, log,
                                      None if args.smoke else args.block_budget, args.cooldown,
                                      warmup=not args.smoke)
            key = (np.dtype(wl.dtype).name, t, load)
            if peak:
                peaks[key] = peaks.get(key, []) + peak
            rows = rows_for(wl, t, res, peak, load)
            for row, extra in rows:
                if extra.get("error"):
                    failed = True
                    log(f"{wl.name} threads={t} {row['library']} FAILED:\n{res[row['library']]['tb']}")
                if out_json:
                    print(json_line(row, extra), file=out_json, flush=True)
            all_rows.extend(rows)
            summary = ", ".join(f"{r['library']} {fmt(r['value'])}" for r, e in rows if r["value"])
            log(f"[{time.perf_counter() - t_start:6.1f}s] {wl.name:13s} threads={t}"
                f"{' busy' if load else ''} "
                f"{repeats}x ({time.perf_counter() - tb:.1f}s): {summary} {wl.figure}")
        wl._data = None

    print("", file=human)
    for line in table(all_rows, wls, gemm.n):
        print(line, file=human)
    if peaks:
        print("GEMM peak (NumPy matmul, GFLOP/s, median [min-max]): " + "; ".join(
            f"{dt} {t} thread{'s' if t > 1 else ''}{' busy' if b else ''}: {fmt(summarize(v)[0])} "
            f"[{fmt(min(v))}-{fmt(max(v))}]" for (dt, t, b), v in sorted(peaks.items())), file=human)
    print(f"total time {time.perf_counter() - t_start:.1f} s", file=human, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
