"""`nncore.Sequential`: the model whose numbers live in the C++ core.

The parameter arena is the C++ network's own buffer; `named_parameters()`
hands out NumPy views into it. Everything is validated and converted in
`_base`/`checks` before a pointer crosses into C++.
"""
from __future__ import annotations

import numpy as np

from .. import io, onnx_export
from .._core import LayerKind, LayerSpec, LossKind, Network32, Network64
from . import training
from .._base import ModelBase


class Sequential(ModelBase):
    """A stack of layers run by the C++ core.

    >>> model = Sequential(Dense(2, 10), Tanh(), Dense(10, 1), Sigmoid(), dtype=np.float64, seed=0)
    >>> model.num_parameters
    41
    """

    def _new_arena(self, size):
        specs = [LayerSpec(kind=LayerKind.__members__[l.kind], in_features=l.in_features,
                           out_features=l.out_features, k=l.k, hyper=l.hyper(),
                           n_alpha=getattr(l, "num_parameters", 0))
                 for l in self.layers]
        cls = Network64 if self.dtype == np.float64 else Network32
        self._net = cls(specs)
        if self._net.num_params != size:  # the two layouts must agree
            raise RuntimeError(f"nncore: core arena has {self._net.num_params} values, "
                               f"Python layout {size}")
        return self._net.params()

    def _forward(self, X):
        out = np.empty((X.shape[0], self.n_outputs), dtype=self.dtype)
        self._net.predict(X, out)
        return out

    def _trace(self, X):
        return self._net.trace(X)

    def _loss_and_grad(self, X, Y, labels, loss, l1, l2, want_grad, w=None):
        # (value, a copy of the gradient arena taken under the core's lock)
        return self._net.loss_and_grad(X, Y, labels, LossKind.__members__[loss], l1, l2, want_grad,
                                       w)

    # -- training (python/nncore/training.py; the loop runs in C++) ---------------
    def fit(self, X, y, loss=None, optimizer=None, epochs=1, batch_size=32, shuffle=True,
            seed=None, l1=0.0, l2=0.0, validation_data=None, validation_split=0.0,
            lr_schedule=None, clip_norm=None, early_stopping=None, callbacks=(),
            verbose="auto", callback_every_batches=None, sample_weight=None,
            penalty_per_sample=False):
        """Train in one native call; returns a History (`.history["loss"]`, ...).

        loss: "mse" | "mse_mean" | "bce" | "ce" (default from the last layer:
        Sigmoid → bce, Softmax → ce, else mse). optimizer: nncore.SGD / Momentum /
        RMSprop / Adam (default: the last one used, else Adam()); passing the same
        object again continues its state (m, v, t), a new object starts fresh.
        batch_size ≥ n gives full-batch gradient descent. seed=None → model seed.
        lr_schedule: StepDecay / ExponentialDecay / CosineDecay / ReduceOnPlateau.
        early_stopping: int patience or nncore.EarlyStopping(...). callbacks:
        callables cb(epoch, logs) (or objects with on_epoch_end), called after
        every epoch; returning False stops. Objects with on_batch_end(batch, logs)
        are called every `callback_every_batches` batches when that is given
        (logs: epoch, batch, size, loss); otherwise the native loop never enters
        Python inside an epoch. verbose: "auto" (a progress bar on a
        terminal), 0 or 1. Ctrl-C stops at the next batch boundary with valid
        weights (KeyboardInterrupt is re-raised); a non-finite loss raises
        FloatingPointError with the weights at their last finite values.
        sample_weight (n,): each batch's loss is Σ wᵢ·lossᵢ / Σ w (not with
        validation_split); penalty_per_sample: l1, l2 are per unit of weight, each
        batch's penalty divided by its weight sum (its rows when unweighted).
        Callbacks see a consistent model: weights, optimizer state (t, m, v) and
        epochs done all as of the batch or epoch reported, so a checkpoint saved
        there resumes exactly. A second fit (or train_step) on the same model from
        another thread waits until this one returns; save/state_dict too.
        The loop is that of docs/design.md, "Training".
        """
        with self._lock:  # a concurrent fit waits; snapshots see whole steps
            return training.fit(
                self, X, y, loss=loss, optimizer=optimizer, epochs=epochs,
                batch_size=batch_size, shuffle=shuffle, seed=seed, l1=l1, l2=l2,
                validation_data=validation_data, validation_split=validation_split,
                lr_schedule=lr_schedule, clip_norm=clip_norm, early_stopping=early_stopping,
                callbacks=callbacks, verbose=verbose,
                callback_every_batches=callback_every_batches,
                sample_weight=sample_weight, penalty_per_sample=penalty_per_sample)

    def train_step(self, X, y, loss=None, optimizer=None, l1=0.0, l2=0.0, lr=None,
                   clip_norm=None, sample_weight=None, penalty_per_sample=False):
        """One native optimizer step on (X, y); returns the batch loss before the step."""
        with self._lock:
            return training.train_step(self, X, y, loss=loss, optimizer=optimizer, l1=l1,
                                       l2=l2, lr=lr, clip_norm=clip_norm,
                                       sample_weight=sample_weight,
                                       penalty_per_sample=penalty_per_sample)

    def evaluate(self, X, y, loss=None, l1=0.0, l2=0.0, sample_weight=None):
        """{"loss", "accuracy"} for bce/ce, {"loss", "mse", "r2"} for regression."""
        return training.evaluate(self, X, y, loss=loss, l1=l1, l2=l2,
                                 sample_weight=sample_weight)

    def to_onnx(self, path=None, opset=None):
        """Write the network as a standard ONNX graph to `path` (if given) and return the
        onnx.ModelProto: input "X" (N, n_features), output "Y" (N, n_outputs), the model's
        dtype; opset 17 by default. Needs the `onnx` package (docs/ecosystem.md)."""
        return onnx_export.to_onnx(self, path, opset=opset)


def load(path, cls=None, max_parameters=None, max_layers=None):
    """Read a model written by `save` (an `nncore.Sequential` unless `cls` says otherwise,
    e.g. `nncore.reference.Sequential`). Data only: loading never executes code.

    Larger models than max_parameters / max_layers (default: nncore.io.LIMITS) are
    refused before their arrays are read."""
    return io.load(path, Sequential if cls is None else cls, max_parameters=max_parameters,
                   max_layers=max_layers)
