"""`reference.Sequential`: the forward pass and backpropagation in NumPy.

ModelBase (nncore/_base.py) owns the flat parameter arena, validation and the
public methods; this class only computes. It keeps a gradient arena of the same
layout, and each layer writes its ∂J/∂θ into its views of it.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .. import layers as spec
from .._base import DropoutPass, ModelBase
from ..checks import FloatArray, LabelArray
from ..fit_args import StoppingSpec
from ..history import History
from ..optim import Optimizer
from ..schedules import LrSchedule
from . import training
from .layers import Dropout, ReferenceLayer, as_reference, dropout_keep
from .losses import LOSSES, one_hot, penalty, weighted


def _width(width: Optional[int]) -> int:
    assert width is not None  # every width was fixed when the model was built
    return width


class Sequential(ModelBase):
    """Layers applied in order: h⁰ = X, hˡ = layerˡ(hˡ⁻¹), output h^L.

    Same API and numbers as `nncore.Sequential`; see docs/design.md.
    Also accepts the layer specs of `nncore` (they are turned into their
    reference twins). Layers keep the current batch's intermediate values for
    backward, so one model must not be used from several threads at once.
    """

    layers: list[ReferenceLayer]  # as_reference turned every layer into its NumPy twin
    _batch_output: FloatArray     # h of the last _loss_and_grad(keep_output=True)

    def __init__(self, *layers: Union[spec.Layer, Sequence[spec.Layer]],
                 dtype: DTypeLike = np.float64, seed: Optional[int] = None) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        super().__init__(*[as_reference(layer) for layer in layers], dtype=dtype, seed=seed)
        self._weight_mask = self.penalty_mask  # True on 'weight' params (penalty, AdamW decay)

    # -- ModelBase hooks ------------------------------------------------------
    def _new_arena(self, size: int) -> FloatArray:
        self._grad: FloatArray = np.zeros(size, dtype=self.dtype)
        return np.zeros(size, dtype=self.dtype)

    def _bind(self) -> None:
        """Give every layer its views into the parameter and gradient arenas."""
        for i, layer in enumerate(self.layers):
            names = [pname for pname, _, _ in layer.param_specs()]
            slots = [self._slots[f"{i}.{pname}"] for pname in names]
            params = {n: self._arena[s.offset:s.offset + s.size].reshape(s.shape)
                      for n, s in zip(names, slots)}
            grads = {n: self._grad[s.offset:s.offset + s.size].reshape(s.shape)
                     for n, s in zip(names, slots)}
            layer.bind(params, grads)

    def _forward(self, X: FloatArray) -> FloatArray:
        return self._trace(X)[-1]

    def _trace(self, X: FloatArray) -> list[FloatArray]:
        self._bind()
        outputs, h = [], X
        for layer in self.layers:
            h = layer.forward(h)
            outputs.append(h)
        return outputs

    def _loss_and_grad(self, X: FloatArray, Y: Optional[FloatArray], labels: Optional[LabelArray],
                       loss: str, l1: float, l2: float, want_grad: bool,
                       w: Optional[FloatArray] = None,
                       dropout: Optional[DropoutPass] = None,
                       keep_output: bool = False) -> tuple[float, Optional[FloatArray]]:
        """L = J(h^L, c) + λ·penalty(θ) and, if asked, ∂L/∂θ (the gradient arena itself).

        dropout = (step, ids): a training pass, Dropout layers mask with the keys
        (model seed, step, layer, ids[r], unit); None: Dropout is the identity."""
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Dropout):
                layer.mask = None if dropout is None else dropout_keep(
                    self.seed, dropout[0], i, dropout[1], _width(layer.out_features), layer.p)
        try:
            return self._backprop(X, Y, labels, loss, l1, l2, want_grad, w, keep_output)
        finally:
            for layer in self.layers:
                if isinstance(layer, Dropout):
                    layer.mask = None

    def _backprop(self, X: FloatArray, Y: Optional[FloatArray], labels: Optional[LabelArray],
                  loss: str, l1: float, l2: float, want_grad: bool,
                  w: Optional[FloatArray], keep_output: bool
                  ) -> tuple[float, Optional[FloatArray]]:
        """_loss_and_grad with the Dropout masks in place.

        Backpropagation (lecture "Neuronale Netze: Backpropagation"): the forward
        pass stores every layer's input; then δ = ∂J/∂(output) is passed from the
        last layer to the first, each layer turning it into ∂J/∂(its input) and
        adding ∂J/∂(its parameters) to the gradient arena.
        """
        self._bind()
        loss_fn, from_logits = LOSSES[loss]
        # bce/ce start from the logits: the final Sigmoid/Softmax is folded into the loss
        body = self.layers[:-1] if from_logits else self.layers
        out = X
        for layer in body:
            out = layer.forward(out)
        if keep_output:  # the network's output h (metrics); the final layer's own forward
            self._batch_output = self.layers[-1].forward(out) if from_logits else out
        if labels is not None:
            Y = one_hot(labels, self.n_outputs, self.dtype)
        assert Y is not None  # check_y returns targets or labels
        # with sample weights w: Σᵢ wᵢ·Jᵢ / Σw (reference.losses.weighted)
        value, delta = loss_fn(out, Y) if w is None else weighted(loss_fn, out, Y, w)
        if l1 or l2:
            pen_value, pen_grad = penalty(self._arena, self._weight_mask, l1, l2)
            value += pen_value
        if not want_grad:
            return value, None

        self._grad.fill(0)
        for layer in reversed(body):
            delta = layer.backward(delta)
        if l1 or l2:
            self._grad += pen_grad
        return value, self._grad

    # -- training (docs/design.md "Training"; the loop is in training.py) ------
    # The optimizer state and its bookkeeping live in ModelBase (one shape for both models).

    def fit(self, X: ArrayLike, y: ArrayLike, loss: Optional[str] = None,
            optimizer: Optional[Optimizer] = None, epochs: int = 1, batch_size: int = 32,
            shuffle: bool = True, seed: Optional[int] = None, l1: float = 0.0, l2: float = 0.0,
            validation_data: Optional[Sequence[ArrayLike]] = None,
            validation_split: float = 0.0, lr_schedule: LrSchedule = None,
            clip_norm: Optional[float] = None,
            early_stopping: Union[None, int, StoppingSpec] = None,
            sample_weight: Optional[ArrayLike] = None,
            penalty_per_sample: bool = False,
            class_weight: Union[None, str, Mapping[Any, float]] = None,
            callbacks: Iterable[object] = (), callback_every_batches: Optional[int] = None,
            metrics: Optional[Sequence[str]] = None,
            gradient: str = "backprop", tangents: Optional[int] = None,
            epsilon: Optional[float] = None) -> History:
        """Minibatch training; returns a History (`.history["loss"|"val_loss"|"lr"]`).

        loss=None: "bce" after Sigmoid, "ce" after Softmax, else "mse";
        optimizer=None: the last one used on this model, else Adam(). lr_schedule,
        callbacks, callback_every_batches and metrics as in nncore.Sequential.fit.
        See `nncore.reference.training.fit` for the loop, step by step.
        """
        with self._lock:  # a concurrent fit waits; snapshots see whole steps
            self.history_ = training.fit(
                self, X, y, loss=loss, optimizer=optimizer, epochs=epochs,
                batch_size=batch_size, shuffle=shuffle, seed=seed, l1=l1, l2=l2,
                validation_data=validation_data, validation_split=validation_split,
                lr_schedule=lr_schedule, clip_norm=clip_norm, early_stopping=early_stopping,
                sample_weight=sample_weight, penalty_per_sample=penalty_per_sample,
                class_weight=class_weight, callbacks=callbacks,
                callback_every_batches=callback_every_batches, metrics=metrics,
                gradient=gradient, tangents=tangents, epsilon=epsilon)
            return self.history_

    def train_step(self, X: ArrayLike, y: ArrayLike, loss: Optional[str] = None,
                   optimizer: Optional[Optimizer] = None, l1: float = 0.0, l2: float = 0.0,
                   lr: Optional[float] = None, clip_norm: Optional[float] = None,
                   sample_weight: Optional[ArrayLike] = None,
                   penalty_per_sample: bool = False) -> float:
        """One optimizer step on the batch (X, y); returns the batch loss L before the step."""
        with self._lock:
            return training.train_step(self, X, y, loss=loss, optimizer=optimizer, l1=l1,
                                       l2=l2, lr=lr, clip_norm=clip_norm,
                                       sample_weight=sample_weight,
                                       penalty_per_sample=penalty_per_sample)
