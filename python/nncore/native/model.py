"""`nncore.Sequential`: the model whose numbers live in the C++ core.

The parameter arena is the C++ network's own buffer; `named_parameters()`
hands out NumPy views into it. Everything is validated and converted in
`_base`/`checks` before a pointer crosses into C++.
"""
from __future__ import annotations

from typing import (Any, Callable, Iterable, Mapping, Optional, Sequence, TypeVar, Union,
                    overload)

import numpy as np
from numpy.typing import ArrayLike

from .. import io, onnx_export
from .._core import LayerKind, LayerSpec, LossKind, Network32, Network64, all_finite
from . import training
from .._base import DropoutPass, ModelBase
from ..checks import FloatArray, LabelArray
from ..fit_args import StoppingSpec
from ..history import History
from ..optim import Optimizer
from ..schedules import LrSchedule

# The core's overloads pair Network32 with float32 arrays and Network64 with float64;
# the model's dtype picks both at run time, which a type checker cannot follow.
CoreNetwork = Any


def _built(width: Optional[int]) -> int:
    assert width is not None  # layout.plan fixed every width before the arena is made
    return width


class Sequential(ModelBase):
    """A stack of layers run by the C++ core.

    >>> model = Sequential(Dense(2, 10), Tanh(), Dense(10, 1), Sigmoid(), dtype=np.float64, seed=0)
    >>> model.num_parameters
    41
    """

    _net: CoreNetwork
    # The core's scan runs on the thread team: on a large X it is a real share of
    # predict or fit, and NumPy's would be the one serial part of the call.
    _all_finite = staticmethod(all_finite)

    def _new_arena(self, size: int) -> FloatArray:
        specs = [LayerSpec(kind=LayerKind.__members__[l.kind], in_features=_built(l.in_features),
                           out_features=_built(l.out_features), k=l.k, hyper=l.hyper(),
                           n_alpha=getattr(l, "num_parameters", 0),
                           bias=getattr(l, "bias", True))
                 for l in self.layers]
        cls = Network64 if self.dtype == np.float64 else Network32
        self._net = cls(specs)
        if self._net.num_params != size:  # the two layouts must agree
            raise RuntimeError(f"nncore: core arena has {self._net.num_params} values, "
                               f"Python layout {size}")
        params: FloatArray = self._net.params()
        return params

    def _forward(self, X: FloatArray) -> FloatArray:
        out = np.empty((X.shape[0], self.n_outputs), dtype=self.dtype)
        self._net.predict(X, out)
        return out

    def _trace(self, X: FloatArray) -> list[FloatArray]:
        outputs: list[FloatArray] = self._net.trace(X)
        return outputs

    def _loss_and_grad(self, X: FloatArray, Y: Optional[FloatArray], labels: Optional[LabelArray],
                       loss: str, l1: float, l2: float, want_grad: bool,
                       w: Optional[FloatArray] = None,
                       dropout: Optional[DropoutPass] = None
                       ) -> tuple[float, Optional[FloatArray]]:
        # (value, a copy of the gradient arena taken under the core's lock). The core
        # draws masks for rows 0..n−1 (the only row ids _dropout_pass hands out).
        step = None if dropout is None else dropout[0]
        value, grad = self._net.loss_and_grad(X, Y, labels, LossKind.__members__[loss], l1, l2,
                                              want_grad, w, self.seed, step)
        return float(value), grad

    # -- training (python/nncore/training.py; the loop runs in C++) ---------------
    def fit(self, X: ArrayLike, y: ArrayLike, loss: Optional[str] = None,
            optimizer: Optional[Optimizer] = None, epochs: int = 1, batch_size: int = 32,
            shuffle: bool = True, seed: Optional[int] = None, l1: float = 0.0, l2: float = 0.0,
            validation_data: Optional[Sequence[ArrayLike]] = None,
            validation_split: float = 0.0, lr_schedule: LrSchedule = None,
            clip_norm: Optional[float] = None,
            early_stopping: Union[None, int, StoppingSpec] = None,
            callbacks: Iterable[Union[Callable[..., object], object]] = (),
            verbose: Union[str, int] = "auto", callback_every_batches: Optional[int] = None,
            sample_weight: Optional[ArrayLike] = None,
            penalty_per_sample: bool = False,
            class_weight: Union[None, str, Mapping[Any, float]] = None,
            metrics: Optional[Sequence[str]] = None,
            gradient: str = "backprop", tangents: Optional[int] = None,
            epsilon: Optional[float] = None) -> History:
        """Train in one native call; returns a History (`.history["loss"]`, ...).

        loss: "mse" | "mse_mean" | "bce" | "ce" (default from the last layer:
        Sigmoid → bce, Softmax → ce, else mse). optimizer: nncore.SGD / Momentum /
        RMSprop / Adam (default: the last one used, else Adam()); passing the same
        object again continues its state (m, v, t), a new object starts fresh.
        batch_size ≥ n gives full-batch gradient descent. seed=None → model seed.
        lr_schedule: StepDecay / ExponentialDecay / CosineDecay / ReduceOnPlateau, or a
        callable (epoch, lr) -> new lr (lr: the previous epoch's rate); optimizer.lr
        changed by a callback takes effect from the next epoch (nncore.fit_hooks).
        metrics: names from nncore.metrics ("accuracy", "precision", "recall", "f1",
        "auc", "mae", "mse", "r2"), logged per epoch with their val_ variants.
        early_stopping: int patience or nncore.EarlyStopping(...). callbacks:
        callables cb(epoch, logs) or objects with on_epoch_end (nncore.callbacks:
        ModelCheckpoint, CSVLogger, EarlyStopping), called after
        every epoch; returning False stops. Objects with on_batch_end(batch, logs)
        are called every `callback_every_batches` batches when that is given
        (logs: epoch, batch, size, loss); otherwise the native loop never enters
        Python inside an epoch. verbose: "auto" (a progress bar on a
        terminal), 0 or 1. Ctrl-C stops at the next batch boundary with valid
        weights (KeyboardInterrupt is re-raised); a non-finite loss raises
        FloatingPointError with the weights at their last finite values.
        sample_weight (n,): each batch's loss is Σ wᵢ·lossᵢ / Σ w; the validation loss is
        weighted by validation_data's third element (X_val, y_val, w_val) or, with
        validation_split, by the held-out rows' weights. class_weight: {class: weight}
        or "balanced", multiplied into sample_weight. penalty_per_sample: l1, l2 are per
        unit of weight, each batch's penalty divided by its weight sum (its rows when
        unweighted).
        Callbacks see a consistent model: weights, optimizer state (t, m, v) and
        epochs done all as of the batch or epoch reported, so a checkpoint saved
        there resumes exactly. A second fit (or train_step) on the same model from
        another thread waits until this one returns; save/state_dict too.
        gradient: "backprop" (default), or a gradient estimated from forward passes
        only (docs/design.md, "Training without a backward pass"): "forward" (the
        forward gradient g = (∇L·v)·v, Baydin et al. 2022) or "perturbation" (SPSA,
        g = (L(θ+εv) − L(θ−εv))/(2ε)·v, epsilon=ε, default 1e-3; trains through Step
        layers too), with v ~ N(0, I) from nncore.tangents and tangents=k
        directions averaged per step (default 1). Optimizers, schedules and
        clip_norm apply to the estimate as to a backprop gradient.
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
                sample_weight=sample_weight, penalty_per_sample=penalty_per_sample,
                class_weight=class_weight, metrics=metrics, gradient=gradient,
                tangents=tangents, epsilon=epsilon)

    def train_step(self, X: ArrayLike, y: ArrayLike, loss: Optional[str] = None,
                   optimizer: Optional[Optimizer] = None, l1: float = 0.0, l2: float = 0.0,
                   lr: Optional[float] = None, clip_norm: Optional[float] = None,
                   sample_weight: Optional[ArrayLike] = None,
                   penalty_per_sample: bool = False) -> float:
        """One native optimizer step on (X, y); returns the batch loss before the step."""
        with self._lock:
            return training.train_step(self, X, y, loss=loss, optimizer=optimizer, l1=l1,
                                       l2=l2, lr=lr, clip_norm=clip_norm,
                                       sample_weight=sample_weight,
                                       penalty_per_sample=penalty_per_sample)

    def evaluate(self, X: ArrayLike, y: ArrayLike, loss: Optional[str] = None, l1: float = 0.0,
                 l2: float = 0.0, sample_weight: Optional[ArrayLike] = None,
                 metrics: Optional[Sequence[str]] = None) -> dict[str, float]:
        """{"loss", "accuracy"} for bce/ce, {"loss", "mse", "r2"} for regression, plus the
        metrics= (nncore.metrics: precision, recall, f1, auc, mae, ...)."""
        return training.evaluate(self, X, y, loss=loss, l1=l1, l2=l2,
                                 sample_weight=sample_weight, metrics=metrics)

    def to_onnx(self, path: Optional[str] = None, opset: Optional[int] = None) -> Any:
        """Write the network as a standard ONNX graph to `path` (if given) and return the
        onnx.ModelProto: input "X" (N, n_features), output "Y" (N, n_outputs), the model's
        dtype; opset 17 by default. Needs the `onnx` package (docs/ecosystem.md)."""
        return onnx_export.to_onnx(self, path, opset=opset)


_M = TypeVar("_M", bound=ModelBase)


@overload
def load(path: Any, cls: None = None, max_parameters: Optional[int] = None,
         max_layers: Optional[int] = None) -> Sequential: ...
@overload
def load(path: Any, cls: type[_M], max_parameters: Optional[int] = None,
         max_layers: Optional[int] = None) -> _M: ...
def load(path: Any, cls: Optional[type[ModelBase]] = None, max_parameters: Optional[int] = None,
         max_layers: Optional[int] = None) -> ModelBase:
    """Read a model written by `save` (an `nncore.Sequential` unless `cls` says otherwise,
    e.g. `nncore.reference.Sequential`). Data only: loading never executes code.

    Larger models than max_parameters / max_layers (default: nncore.io.LIMITS) are
    refused before their arrays are read."""
    return io.load(path, Sequential if cls is None else cls, max_parameters=max_parameters,
                   max_layers=max_layers)
