#!/usr/bin/env python
"""How nncore's training cost per sample grows with the width and the depth of a network.

    python benchmarks/scaling.py                     # writes benchmarks/scaling.png
    python benchmarks/scaling.py --out /tmp/s.png --threads 2

Width: 64-w-w-10 ReLU/softmax for w = 64 … 2048 (two hidden layers).
Depth: 64-256-…-256-10 with 1 … 8 hidden layers of width 256.
Each point trains with `model.fit` (one native call; SGD, batch 128, one epoch
over as many batches as fill about --target seconds, 2 to 1500) on seeded
normal data with 10 random labels; the figure is the median over --repeats
rounds of fit time / samples, after an untimed warm-up fit. Rounds interleave
all points, so a burst of load from other processes does not bend one point.

The lecture's law is drawn beside the measurements: at fixed depth the cost of
a dense network grows as width² (the hidden-to-hidden weights dominate), at
fixed width it grows linearly with depth. Each law has one constant, fitted to
the measurements (width: geometric mean of t/w² over w ≥ 256, where w² is at
least 75 % of the 64w + w² + 10w weights; depth: least squares of t = c·L).
The printed "measured / law" column shows where the law holds (large sizes)
and where fixed costs dominate (small ones); "exponent" is the least-squares
slope of log t over log w.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import strip_openblas_env  # noqa: E402

strip_openblas_env()  # same process environment as run.py

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import nncore as nc  # noqa: E402
from harness import Timer, core_count, cpu_model, now  # noqa: E402

WIDTHS = (64, 128, 256, 512, 1024, 2048)
DEPTHS = (1, 2, 3, 4, 5, 6, 7, 8)
N_IN, N_OUT, BATCH, DEPTH_WIDTH = 64, 10, 128, 256
FIT_MIN_WIDTH = 256  # the width law's constant is fitted where w² dominates 64w + w² + 10w


def network(sizes, dtype):
    layers = []
    pairs = list(zip(sizes[:-1], sizes[1:]))
    for i, (a, b) in enumerate(pairs):
        layers += [nc.Dense(a, b), nc.ReLU() if i < len(pairs) - 1 else nc.Softmax()]
    return nc.Sequential(*layers, dtype=dtype, seed=0)


class Point:
    """One network of a sweep: model, batch count (calibrated), timings."""

    def __init__(self, sizes, X, y, dtype, target, max_batches):
        self.sizes, self.X, self.y = sizes, X, y
        self.model = network(sizes, dtype)
        self.opt = nc.SGD(lr=0.01)
        self.fit(2)  # warm-up: buffers, caches, thread pool
        per_batch = min(self.fit(4) for _ in range(3)) / 4  # calibration (min: least disturbed)
        self.batches = int(min(max_batches, max(2, round(target / max(per_batch, 1e-9)))))
        self.samples = []

    def fit(self, batches):
        n = batches * BATCH
        with Timer() as t:
            self.model.fit(self.X[:n], self.y[:n], loss="ce", optimizer=self.opt, epochs=1,
                           batch_size=BATCH, shuffle=True, verbose=0)
        return t.seconds

    def measure(self):
        self.samples.append(self.fit(self.batches) / (self.batches * BATCH))

    @property
    def seconds(self):
        """Median fit time per training sample."""
        return statistics.median(self.samples)


def weights(sizes):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "scaling.png"), help="PNG path")
    p.add_argument("--threads", type=int, default=1, help="nncore threads (default 1)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--target", type=float, default=0.35,
                   help="seconds per timed fit (sets the number of batches)")
    p.add_argument("--repeats", type=int, default=5, help="interleaved rounds (median)")
    p.add_argument("--quick", action="store_true", help="tiny timings: a code-path check")
    args = p.parse_args(argv)
    if args.quick:
        args.target, args.repeats = 0.01, 1
    dtype = np.dtype(args.dtype).type
    nc.set_num_threads(args.threads)
    t_start = time.perf_counter()

    max_batches = 1500
    rng = np.random.default_rng(0)
    X = rng.standard_normal((max_batches * BATCH, N_IN)).astype(dtype)
    y = rng.integers(0, N_OUT, size=X.shape[0])

    print(f"nncore scaling, {now()}; CPU {cpu_model()} ({core_count()[0]} usable cores); "
          f"nncore threads {nc.get_num_threads()}, GEMM kernel {nc._core.gemm_kernel_name()}, "
          f"{args.dtype}, batch {BATCH}", flush=True)

    # Every point is timed once per round, rounds interleave all points, so load
    # from other processes spreads over the sweep instead of bending one point.
    points = {("width", v): Point((N_IN, v, v, N_OUT), X, y, dtype, args.target, max_batches)
              for v in WIDTHS}
    points.update({("depth", L): Point((N_IN,) + (DEPTH_WIDTH,) * L + (N_OUT,), X, y, dtype,
                                       args.target, max_batches) for L in DEPTHS})
    for _ in range(args.repeats):
        for pt in points.values():
            pt.measure()

    def sweep(label):
        rows = []
        for (kind, v), pt in points.items():
            if kind != label:
                continue
            s = pt.seconds
            rows.append((v, s, pt.batches, pt.sizes, pt.samples))
            flops = 6 * weights(pt.sizes) - 2 * pt.sizes[0] * pt.sizes[1]
            print(f"  {label} {v:5d}: {s * 1e6:9.2f} us/sample  [{min(pt.samples) * 1e6:.2f}-"
                  f"{max(pt.samples) * 1e6:.2f}] ({pt.batches} batches x {args.repeats}; "
                  f"{flops / s / 1e9:6.1f} GFLOP/s)", flush=True)
        return rows

    print("width sweep: 64-w-w-10 (median [min-max] per sample)")
    wrows = sweep("width")
    print(f"depth sweep: 64-{DEPTH_WIDTH} x L-10")
    drows = sweep("depth")

    w = np.array([r[0] for r in wrows], float)
    tw = np.array([r[1] for r in wrows]) * 1e6
    big = w >= FIT_MIN_WIDTH  # where the w² term is ≥ 75 % of the weights
    c_w = float(np.exp(np.mean(np.log(tw[big]) - 2 * np.log(w[big]))))  # t ≈ c·w²
    slope = float(np.polyfit(np.log(w), np.log(tw), 1)[0])
    L = np.array([r[0] for r in drows], float)
    tL = np.array([r[1] for r in drows]) * 1e6
    c_L = float(np.sum(tL * L) / np.sum(L * L))                    # t ≈ c·L

    print(f"\nwidth law t = c·w², c = {c_w:.3g} us (fitted on w >= {FIT_MIN_WIDTH}); "
          f"measured exponent {slope:.2f} (all widths)")
    for wi, ti in zip(w, tw):
        print(f"  w {int(wi):5d}: measured {ti:9.2f} us, law {c_w * wi ** 2:9.2f} us, "
              f"measured/law {ti / (c_w * wi ** 2):5.2f}")
    print(f"depth law t = c·L, c = {c_L:.3g} us per hidden layer")
    for li, ti in zip(L, tL):
        print(f"  L {int(li):5d}: measured {ti:9.2f} us, law {c_L * li:9.2f} us, "
              f"measured/law {ti / (c_L * li):5.2f}")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot written")
        return 0
    def spread(rows):  # error bars: min-max of the rounds around the median
        med = np.array([r[1] for r in rows])
        return [(med - [min(r[4]) for r in rows]) * 1e6, ([max(r[4]) for r in rows] - med) * 1e6]

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.5))
    ws = np.geomspace(w.min(), w.max(), 100)
    a1.errorbar(w, tw, yerr=spread(wrows), fmt="o-", capsize=3,
                 label="nncore, measured (median, min-max)")
    a1.set_yscale("log")
    a1.plot(ws, c_w * ws ** 2, "--",
            label=f"law c·w², c = {c_w:.3g} µs (fit on w ≥ {FIT_MIN_WIDTH})")
    a1.set_xscale("log", base=2)
    a1.set_xticks(w, [str(int(v)) for v in w])
    a1.set_xlabel("hidden width w (64-w-w-10)")
    a1.set_ylabel("µs per training sample")
    a1.set_title(f"width (measured exponent {slope:.2f})")
    a1.grid(True, which="both", alpha=0.3)
    a1.legend()
    Ls = np.linspace(0, L.max(), 50)
    a2.errorbar(L, tL, yerr=spread(drows), fmt="o-", capsize=3,
                 label="nncore, measured (median, min-max)")
    a2.plot(Ls, c_L * Ls, "--", label=f"law c·L, c = {c_L:.3g} µs")
    a2.set_xlabel(f"hidden layers L (width {DEPTH_WIDTH})")
    a2.set_ylabel("µs per training sample")
    a2.set_title("depth")
    a2.set_xlim(0, L.max() + 0.5)
    a2.set_ylim(0, None)
    a2.grid(True, alpha=0.3)
    a2.legend()
    fig.suptitle(f"nncore training cost per sample ({args.dtype}, batch {BATCH}, "
                 f"{nc.get_num_threads()} thread{'s' if nc.get_num_threads() > 1 else ''}, "
                 f"SGD via fit; {cpu_model()})", fontsize=10)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}; total {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
