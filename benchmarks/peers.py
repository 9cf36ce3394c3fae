"""One adapter per library: build a network from nncore's initial weights, train
it, predict with it. The benchmark times `train` and `predict` only; building,
copying weights and converting data (to torch tensors) happen outside the clock.

    nncore   model.fit(...) — the whole run is one native call (verbose=0)
    numpy    nncore.reference.Sequential.fit(...) — nncore's NumPy twin (NumPy + OpenBLAS)
    torch    nn.Sequential eager; per step zero_grad, forward, loss, backward, optimizer.step
    sklearn  MLPClassifier.fit (max_iter = epochs) / partial_fit; predict_proba

The output Sigmoid/Softmax is folded into the loss everywhere, as nncore does
for bce/ce (torch: BCEWithLogitsLoss / CrossEntropyLoss; sklearn does it itself).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

import nncore as nc


@dataclass(frozen=True)
class Arch:
    """Dense network sizes[0]-sizes[1]-...-sizes[-1], `hidden` activation between
    layers, `out` ("sigmoid" → bce, "softmax" → ce) on the last one."""
    sizes: tuple
    hidden: str
    out: str

    @property
    def loss(self):
        return "bce" if self.out == "sigmoid" else "ce"

    @property
    def dense_indices(self):
        """Index of each Dense in the nncore Sequential (= the Linear's index in torch's)."""
        return [2 * i for i in range(len(self.sizes) - 1)]

    def nncore_layers(self):
        act = {"tanh": nc.Tanh, "relu": nc.ReLU}[self.hidden]
        out = {"sigmoid": nc.Sigmoid, "softmax": nc.Softmax}[self.out]
        layers = []
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        for i, (a, b) in enumerate(pairs):
            layers.append(nc.Dense(a, b))
            layers.append(act() if i < len(pairs) - 1 else out())
        return layers

    @property
    def weights(self):
        return sum(a * b for a, b in zip(self.sizes[:-1], self.sizes[1:]))

    def train_flops(self):
        """FLOPs per training sample (workloads.md): 2W + 2W + 2(W − W₁)."""
        w, w1 = self.weights, self.sizes[0] * self.sizes[1]
        return 2 * w + 2 * w + 2 * (w - w1)

    def infer_flops(self):
        return 2 * self.weights

    def __str__(self):
        return "-".join(map(str, self.sizes)) + f" {self.hidden}/{self.out}"


@dataclass(frozen=True)
class TrainSpec:
    optimizer: str          # "sgd" | "adam" | "momentum" (classic, PyTorch's SGD(momentum))
    lr: float
    epochs: int             # with until_acc: the maximum
    batch_size: int         # ≥ n: full batch
    shuffle: bool
    gamma: float = 0.9      # momentum
    until_acc: bool = False  # stop after the first epoch whose training accuracy is 100 %
    gradient: str = "backprop"  # nncore and its twin: "forward" | "perturbation" estimates
    tangents: int = 1

    def gradient_kwargs(self):
        return {} if self.gradient == "backprop" else {"gradient": self.gradient,
                                                        "tangents": self.tangents}

    def steps_per_epoch(self, n):
        return -(-n // min(self.batch_size, n))


def init_state(arch, dtype, seed=0):
    """nncore's initial weights (its default init, `seed`): every library starts here."""
    return nc.Sequential(*arch.nncore_layers(), dtype=dtype, seed=seed).state_dict()


def labels_of(y):
    return np.asarray(y).astype(np.int64).reshape(-1)


def accuracy(probs, y):
    p = np.asarray(probs)
    pred = (p[:, 0] > 0.5) if p.shape[1] == 1 else p.argmax(axis=1)
    return float(np.mean(pred.astype(np.int64) == labels_of(y)))


def _nc_optimizer(spec):
    if spec.optimizer == "sgd":
        return nc.SGD(lr=spec.lr)
    if spec.optimizer == "adam":
        return nc.Adam(lr=spec.lr)
    if spec.optimizer == "momentum":
        return nc.Momentum(lr=spec.lr, gamma=spec.gamma, form="classic")
    raise ValueError(spec.optimizer)


class Library:
    name = "?"
    skip_reason = None       # set when the library cannot run (not installed)
    version = None

    def data(self, X, y, arch):
        """Training/inference inputs in this library's native form (untimed)."""
        return X, y

    def to_numpy(self, out):
        return np.asarray(out)


def _until_full_accuracy(epoch, logs):
    """fit callback: False (stop) once the epoch's training accuracy is 100 %."""
    acc = logs.get("accuracy", logs.get("metric"))  # "metric" in older builds
    if acc is None:
        raise KeyError(f"nncore fit callback: no training accuracy in the epoch logs {sorted(logs)}")
    return acc < 1.0


class Nncore(Library):
    name = "nncore"

    def __init__(self):
        self.version = nc.__version__

    def model(self, arch, sd, dtype, spec=None, warm=None):
        m = nc.Sequential(*arch.nncore_layers(), dtype=dtype, seed=0)
        m.load_state_dict(sd)
        return m

    def train(self, m, data, arch, spec):
        """One native fit; until_acc: a callback that returns False at 100 % (the
        epoch's training accuracy the core measures on its forward passes)."""
        X, y = data
        cbs = (_until_full_accuracy,) if spec.until_acc else ()
        h = m.fit(X, y, loss=arch.loss, optimizer=_nc_optimizer(spec), epochs=spec.epochs,
                  batch_size=spec.batch_size, shuffle=spec.shuffle, seed=0, verbose=0,
                  callbacks=cbs, **spec.gradient_kwargs())
        return len(h.epoch)

    def predict(self, m, X):
        return m.predict(X)


class NumpyRef(Nncore):
    """nncore.reference: the same API, computed by NumPy (+ its OpenBLAS)."""
    name = "numpy"

    def __init__(self):
        self.version = np.__version__

    def model(self, arch, sd, dtype, spec=None, warm=None):
        m = nc.reference.Sequential(*arch.nncore_layers(), dtype=dtype, seed=0)
        m.load_state_dict(sd)
        return m

    def train(self, m, data, arch, spec):
        X, y = data
        opt = _nc_optimizer(spec)
        kw = dict(loss=arch.loss, optimizer=opt, batch_size=spec.batch_size,
                  shuffle=spec.shuffle, seed=0, **spec.gradient_kwargs())
        if not spec.until_acc:
            return len(m.fit(X, y, epochs=spec.epochs, **kw).epoch)
        # fit has no callbacks: one fit per epoch (same optimizer object → its state
        # continues), checking the accuracy of the weights the epoch starts from
        # (= what nncore measures during that epoch's forward pass).
        for e in range(spec.epochs):
            done = accuracy(m.predict(X), y) >= 1.0
            m.fit(X, y, epochs=1, **kw)
            if done:
                return e + 1
        return spec.epochs


class Torch(Library):
    name = "torch"

    def __init__(self):
        try:
            import torch
        except ImportError:
            self.skip_reason = "torch not installed"
            self.torch = None
            return
        self.torch = torch
        self.version = torch.__version__

    def _dtype(self, dtype):
        return self.torch.float64 if np.dtype(dtype) == np.float64 else self.torch.float32

    def model(self, arch, sd, dtype, spec=None, warm=None):
        torch, nn = self.torch, self.torch.nn
        act = {"tanh": nn.Tanh, "relu": nn.ReLU}[arch.hidden]
        mods = []
        pairs = list(zip(arch.sizes[:-1], arch.sizes[1:]))
        for i, (a, b) in enumerate(pairs):
            mods.append(nn.Linear(a, b))
            if i < len(pairs) - 1:
                mods.append(act())
        seq = nn.Sequential(*mods).to(self._dtype(dtype))
        with torch.no_grad():
            for k in arch.dense_indices:  # nncore W is (in, out); Linear.weight is (out, in)
                seq[k].weight.copy_(torch.from_numpy(np.ascontiguousarray(sd[f"{k}.W"].T)))
                seq[k].bias.copy_(torch.from_numpy(sd[f"{k}.b"]))
        return seq

    def data(self, X, y, arch):
        torch = self.torch
        Xt = torch.from_numpy(np.ascontiguousarray(X))
        if y is None:
            return Xt, None
        if arch.loss == "bce":
            yt = torch.from_numpy(np.asarray(y, dtype=X.dtype).reshape(-1, 1).copy())
        else:
            yt = torch.from_numpy(labels_of(y))
        return Xt, yt

    def train(self, model, data, arch, spec):
        torch = self.torch
        X, y = data
        n = X.shape[0]
        bs = min(spec.batch_size, n)
        loss_fn = torch.nn.BCEWithLogitsLoss() if arch.loss == "bce" else torch.nn.CrossEntropyLoss()
        params = model.parameters()
        if spec.optimizer == "sgd":
            opt = torch.optim.SGD(params, lr=spec.lr)
        elif spec.optimizer == "adam":
            opt = torch.optim.Adam(params, lr=spec.lr)
        else:
            opt = torch.optim.SGD(params, lr=spec.lr, momentum=spec.gamma)
        gen = torch.Generator().manual_seed(0)
        model.train()
        for e in range(spec.epochs):
            order = torch.randperm(n, generator=gen) if (spec.shuffle and bs < n) else None
            correct = 0
            for b0 in range(0, n, bs):
                if order is None:
                    xb, yb = (X, y) if bs == n else (X[b0:b0 + bs], y[b0:b0 + bs])
                else:
                    idx = order[b0:b0 + bs]
                    xb, yb = X[idx], y[idx]
                opt.zero_grad()
                out = model(xb)
                loss = loss_fn(out, yb)
                loss.backward()
                opt.step()
                if spec.until_acc:  # accuracy of this forward pass (as nncore's metric)
                    pred = (out > 0) if arch.loss == "bce" else out.argmax(1)
                    correct += int((pred == (yb > 0.5 if arch.loss == "bce" else yb)).sum())
            if spec.until_acc and correct == n:
                return e + 1
        return spec.epochs

    def predict(self, model, X):
        torch = self.torch
        with torch.inference_mode():
            out = model(X)
            return torch.sigmoid(out) if out.shape[1] == 1 else torch.softmax(out, dim=1)

    def to_numpy(self, out):
        return out.detach().numpy()


class Sklearn(Library):
    """MLPClassifier. Limitations: it has no separate output activation choice
    (logistic for 2 classes, softmax otherwise — which is what the workloads use),
    its init is replaced by nncore's through a 1-epoch warm-up fit (untimed) and
    `coefs_`/`intercepts_`, its optimizer state starts fresh at every `fit`
    (warm_start=True), it computes the loss of every batch (loss_curve_), and
    there is no per-epoch callback (lecture40 uses partial_fit per epoch)."""
    name = "sklearn"

    def __init__(self):
        try:
            import sklearn
            from sklearn.neural_network import MLPClassifier
        except ImportError:
            self.skip_reason = "scikit-learn not installed"
            return
        self.version = sklearn.__version__
        self.MLP = MLPClassifier

    def model(self, arch, sd, dtype, spec=None, warm=None):
        from sklearn.exceptions import ConvergenceWarning
        spec = spec or TrainSpec("adam", 1e-3, 1, 200, False)
        kw = dict(hidden_layer_sizes=tuple(arch.sizes[1:-1]), activation=arch.hidden,
                  alpha=0.0, warm_start=True, tol=0.0, n_iter_no_change=10 ** 9,
                  random_state=0, max_iter=1, shuffle=spec.shuffle,
                  batch_size=spec.batch_size, learning_rate_init=spec.lr)
        if spec.optimizer == "adam":
            kw.update(solver="adam", beta_1=0.9, beta_2=0.999, epsilon=1e-8)
        else:  # sklearn's momentum (v ← μv − ηg, θ ← θ + v) is the classic form
            kw.update(solver="sgd", learning_rate="constant",
                      momentum=spec.gamma if spec.optimizer == "momentum" else 0.0,
                      nesterovs_momentum=False)
        clf = self.MLP(**kw)
        Xw, yw = warm  # a few rows holding every class: creates the fitted attributes
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.set_params(batch_size=min(spec.batch_size, Xw.shape[0]))
            clf.fit(Xw, labels_of(yw))
        clf.set_params(batch_size=spec.batch_size, max_iter=spec.epochs)
        clf.coefs_ = [np.array(sd[f"{k}.W"], dtype=dtype) for k in arch.dense_indices]
        clf.intercepts_ = [np.array(sd[f"{k}.b"], dtype=dtype) for k in arch.dense_indices]
        if hasattr(clf, "_optimizer"):
            del clf._optimizer  # partial_fit would otherwise continue the warm-up's state
        return clf

    def data(self, X, y, arch):
        return X, (None if y is None else labels_of(y))

    def train(self, clf, data, arch, spec):
        from sklearn.exceptions import ConvergenceWarning
        X, y = data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if not spec.until_acc:
                clf.fit(X, y)
                return clf.n_iter_  # fit counts its epochs from 0
            for e in range(spec.epochs):  # partial_fit = one epoch, optimizer state kept
                done = clf.score(X, y) >= 1.0  # accuracy of the weights the epoch starts from
                clf.partial_fit(X, y)
                if done:
                    return e + 1
            return spec.epochs

    def predict(self, clf, X):
        return clf.predict_proba(X)


def all_libraries():
    return [Nncore(), NumpyRef(), Torch(), Sklearn()]
