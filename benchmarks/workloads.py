"""The workloads of /work/shared/workloads.md: data, network, training, figure.

A Workload knows how to build one Runner per library; a Runner has an untimed
`setup()` (fresh model from the shared initial weights) and a timed `run()`
that returns seconds. run.py interleaves the runners and turns seconds into the
workload's figure with `Workload.value`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from harness import Timer
from peers import Arch, TrainSpec, accuracy, init_state


# -- data ---------------------------------------------------------------------------
def xor_data():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0], dtype=np.float64)
    return X, y


def make_moons(n, noise, seed):
    """make_moons-style two half circles (scikit-learn's construction) + Gaussian noise,
    shuffled; seeded with numpy.random.default_rng(seed)."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)],
                   np.c_[1.0 - np.cos(t_in), 0.5 - np.sin(t_in)]])
    y = np.r_[np.zeros(n_out), np.ones(n_in)]
    X += rng.normal(scale=noise, size=X.shape)
    p = rng.permutation(n)
    return X[p], y[p]


def digits_data():
    """scikit-learn's bundled digits, 75/25 split (random_state 0), features / 16."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    Xtr, Xte, ytr, yte = train_test_split(d.data / 16.0, d.target, test_size=0.25,
                                          random_state=0)
    return (np.ascontiguousarray(Xtr), ytr.astype(np.int64),
            np.ascontiguousarray(Xte), yte.astype(np.int64))


_MNIST = {}


def mnist_data(rows, dtype):
    """Synthetic MNIST: `rows` × 784 seeded normal float32 (float64 = the same values
    widened) and 10 random labels. The first k rows are the same for every `rows`."""
    key = (rows, np.dtype(dtype).name)
    if key not in _MNIST:
        base = _MNIST.get((rows, "float32"))
        if base is None:
            rng = np.random.default_rng(2024)
            X = rng.standard_normal((rows, 784), dtype=np.float32)
            y = rng.integers(0, 10, size=rows).astype(np.int64)
            base = _MNIST[(rows, "float32")] = (X, y)
        if np.dtype(dtype) == np.float64:
            _MNIST[key] = (base[0].astype(np.float64), base[1])
    return _MNIST[key]


# -- runners ------------------------------------------------------------------------
def _warm_rows(X, y, k=256):
    """A few rows that contain every class (sklearn's warm-up fit needs them all)."""
    k = min(k, X.shape[0])
    return X[:k], y[:k]


class TrainRunner:
    """Time one training run (`lib.train`) from the shared initial weights."""

    def __init__(self, wl, lib, sd, Xtr, ytr, Xte=None, yte=None):
        self.wl, self.lib, self.sd = wl, lib, sd
        self.n = Xtr.shape[0]
        self.raw = (Xtr, ytr, Xte, yte)
        self.train_data = lib.data(Xtr, ytr, wl.arch)
        self.test_X = None if Xte is None else lib.data(Xte, None, wl.arch)[0]
        self.train_X = self.train_data[0]
        self.epochs = 0

    def setup(self):
        Xtr, ytr = self.raw[:2]
        self.model = self.lib.model(self.wl.arch, self.sd, self.wl.dtype, self.wl.spec,
                                    warm=_warm_rows(Xtr, ytr))

    def run(self):
        with Timer() as t:
            self.epochs = self.lib.train(self.model, self.train_data, self.wl.arch, self.wl.spec)
        return t.seconds

    def count(self):
        """(optimizer steps, training samples) of the last run."""
        return self.epochs * self.wl.spec.steps_per_epoch(self.n), self.epochs * self.n

    def details(self):
        """Train/test accuracy of the last run's model (untimed)."""
        Xtr, ytr, Xte, yte = self.raw
        out = {"epochs": self.epochs}
        if self.wl.report_accuracy:
            out["train_acc"] = accuracy(self.lib.to_numpy(self.lib.predict(self.model, self.train_X)), ytr)
            if Xte is not None:
                out["test_acc"] = accuracy(self.lib.to_numpy(self.lib.predict(self.model, self.test_X)), yte)
        return out


class ForwardGradientRunner(TrainRunner):
    """A training run with gradient="forward", and beside it (same round, same batch) the
    time of one plain forward pass of the training batch: the step's cost in forward
    passes. nncore's passes run in one native call (predict in chunks of the batch's
    rows, the inference path); the NumPy twin's are predict calls."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.step_us, self.fwd_us = [], []

    def run(self):
        seconds = super().run()
        steps = self.count()[0]
        self.step_us.append(seconds / steps * 1e6)
        X = self.train_X
        m = self.model
        if self.lib.name == "nncore":
            tiled = np.ascontiguousarray(np.tile(X, (steps, 1)))
            out = np.empty((tiled.shape[0], m.n_outputs), dtype=m.dtype)
            with Timer() as t:
                m._net.predict(tiled, out, X.shape[0])
        else:
            with Timer() as t:
                for _ in range(steps):
                    self.lib.predict(m, X)
        self.fwd_us.append(t.seconds / steps * 1e6)
        return seconds

    def details(self):
        out = super().details()
        # Per round: the step over the forward pass timed right after it. The first
        # run is run.py's warm-up (unrecorded) unless it is the only one (--smoke).
        keep = slice(1, None) if len(self.step_us) > 1 else slice(None)
        ratios = np.array(self.step_us[keep]) / np.array(self.fwd_us[keep])
        out.update(fwd_us=float(np.median(self.fwd_us[keep])), fg_ratio=float(np.median(ratios)))
        return out


class InferRunner:
    """Time `calls` predictions on consecutive `batch`-row slices."""

    def __init__(self, wl, lib, sd, X, y, batch, calls):
        self.wl, self.lib, self.sd = wl, lib, sd
        self.batch, self.calls = batch, calls
        self.warm = _warm_rows(X, y)
        rows = X.shape[0]
        self.inputs = [lib.data(X[(i * batch) % (rows - batch + 1):][:batch], None, wl.arch)[0]
                       for i in range(calls)]
        self.model = None

    def setup(self):
        if self.model is None:  # inference does not change the model: build it once
            self.model = self.lib.model(self.wl.arch, self.sd, self.wl.dtype, None, warm=self.warm)

    def run(self):
        predict, m = self.lib.predict, self.model
        with Timer() as t:
            for x in self.inputs:
                predict(m, x)
        return t.seconds

    def count(self):
        return self.calls, self.calls * self.batch

    def details(self):
        return {}


# -- workloads ------------------------------------------------------------------------
@dataclass
class Workload:
    name: str
    dtype: type
    arch: Arch
    figure: str                 # "us/step" | "samples/s" | "ms" (time to fit) | "us/call"
    metric: str                 # the JSON "metric" name
    spec: TrainSpec = None      # training workloads
    make: object = None         # () -> (data tuple); see runners()
    infer: tuple = None         # (batch, calls) for inference workloads
    flops: float = None         # per sample (GEMM-bound workloads)
    report_accuracy: bool = True
    accuracy_key: str = "test_acc"
    note: str = ""
    libraries: tuple = ("nncore", "numpy", "torch", "sklearn")
    _data: tuple = field(default=None, repr=False)

    @property
    def gemm_bound(self):
        return self.flops is not None

    def data(self):
        if self._data is None:
            self._data = self.make()
        return self._data

    def runner(self, lib, sd):
        d = self.data()
        if self.infer:
            return InferRunner(self, lib, sd, d[0], d[1], *self.infer)
        if self.spec.gradient != "backprop":
            return ForwardGradientRunner(self, lib, sd, *d)
        return TrainRunner(self, lib, sd, *d)

    def value(self, seconds, runner):
        steps_or_calls, samples = runner.count()
        if self.figure in ("us/step", "us/call"):
            return seconds / steps_or_calls * 1e6
        if self.figure == "samples/s":
            return samples / seconds
        if self.figure == "ms":
            return seconds * 1e3
        raise ValueError(self.figure)

    @property
    def higher_is_better(self):
        return self.figure == "samples/s"

    def gflops(self, value):
        """GFLOP/s for a samples/s value."""
        return None if self.flops is None else value * self.flops / 1e9


def build(smoke=False, mnist_batches=80, infer_calls=12, b1_calls=2000):
    """The ten workloads; smoke=True shrinks every size (a code-path check, not a benchmark).

    mnist-mlp(-f64) train one epoch on the first mnist_batches·128 rows of the
    60,000 (0: the full epoch), so that the default run fits in 5 minutes.
    """
    rows_total = 2_000 if smoke else 60_000
    if smoke:
        mnist_batches, infer_calls, b1_calls = 15, 2, 50
    rows = rows_total if mnist_batches == 0 else min(rows_total, mnist_batches * 128)
    xor_steps = 100 if smoke else 10_000
    moons_epochs = 20 if smoke else 1000
    l40_epochs = 100 if smoke else 5000
    digits_epochs = 1 if smoke else 20
    digits_rows = 320 if smoke else None  # smoke: 10 batches of the training set

    xor = Arch((2, 4, 1), "tanh", "sigmoid")
    moons = Arch((2, 10, 10, 1), "tanh", "sigmoid")
    l40 = Arch((2, 10, 1), "tanh", "sigmoid")
    digits = Arch((64, 128, 64, 10), "relu", "softmax")
    mnist = Arch((784, 512, 512, 10), "relu", "softmax")

    def moons_sets():
        Xtr, ytr = make_moons(100, 0.2, seed=0)
        Xte, yte = make_moons(1000, 0.2, seed=1)
        return Xtr, ytr, Xte, yte

    def digits_sets():
        Xtr, ytr, Xte, yte = digits_data()
        return Xtr[:digits_rows], ytr[:digits_rows], Xte, yte

    def mnist_train(dtype):
        def make():
            X, y = mnist_data(rows_total, dtype)
            return X[:rows], y[:rows]
        return make

    def mnist_all():
        return mnist_data(rows_total, np.float32)

    part = ("1 epoch" if rows == rows_total else
            f"1 epoch on the first {rows:,} of {rows_total:,} rows ({rows // 128} batches)")
    return [
        Workload("xor", np.float64, xor, "us/step", "step_time",
                 TrainSpec("sgd", 0.5, xor_steps, 4, False), make=lambda: (*xor_data(), None, None),
                 accuracy_key="train_acc", note=f"{xor_steps} full-batch steps"),
        Workload("moons", np.float64, moons, "us/step", "step_time",
                 TrainSpec("adam", 0.01, moons_epochs, 100, False), make=moons_sets,
                 note=f"{moons_epochs} full-batch epochs; 1000 test points"),
        Workload("lecture40", np.float64, l40, "ms", "fit_time",
                 TrainSpec("adam", 0.01, l40_epochs, 100, False, until_acc=True),
                 make=moons_sets, note=f"until train acc 100 % or {l40_epochs} epochs"),
        Workload("digits", np.float64, digits, "samples/s", "train_throughput",
                 TrainSpec("adam", 1e-3, digits_epochs, 32, True), make=digits_sets,
                 note=f"{digits_epochs} epochs, batch 32, shuffled"
                      + (f" (smoke: first {digits_rows} training rows)" if digits_rows else "")),
        Workload("mnist-mlp", np.float32, mnist, "samples/s", "train_throughput",
                 TrainSpec("momentum", 0.01, 1, 128, True, gamma=0.9), make=mnist_train(np.float32),
                 flops=mnist.train_flops(), report_accuracy=False, note=part),
        Workload("mnist-infer", np.float32, mnist, "samples/s", "infer_throughput",
                 make=mnist_all, infer=(1024, infer_calls), flops=mnist.infer_flops(),
                 report_accuracy=False, note=f"{infer_calls} predict calls of 1024 rows"),
        Workload("infer-b1", np.float32, mnist, "us/call", "call_latency",
                 make=mnist_all, infer=(1, b1_calls), report_accuracy=False,
                 note=f"{b1_calls} predict calls on (1, 784)"),
        Workload("mnist-mlp-f64", np.float64, mnist, "samples/s", "train_throughput",
                 TrainSpec("momentum", 0.01, 1, 128, True, gamma=0.9), make=mnist_train(np.float64),
                 flops=mnist.train_flops(), report_accuracy=False, note=part),
        # Forward-gradient training (k = 1) of the xor and moons workloads: the step's cost
        # against a forward pass of the same batch (target: at most 3 passes).
        Workload("xor-fg", np.float64, xor, "us/step", "step_time",
                 TrainSpec("sgd", 0.5, xor_steps, 4, False, gradient="forward"),
                 make=lambda: (*xor_data(), None, None), accuracy_key="train_acc",
                 libraries=("nncore", "numpy"),
                 note=f"{xor_steps} full-batch forward-gradient steps (k=1)"),
        Workload("moons-fg", np.float64, moons, "us/step", "step_time",
                 TrainSpec("adam", 0.01, moons_epochs, 100, False, gradient="forward"),
                 make=moons_sets, libraries=("nncore", "numpy"),
                 note=f"{moons_epochs} full-batch forward-gradient epochs (k=1); 1000 test points"),
    ]


NAMES = ("xor", "moons", "lecture40", "digits", "mnist-mlp", "mnist-infer", "infer-b1",
         "mnist-mlp-f64", "xor-fg", "moons-fg")


def initial_weights(wl):
    return init_state(wl.arch, wl.dtype)
