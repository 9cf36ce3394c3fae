"""What `nncore.Sequential` and `nncore.reference.Sequential` share.

Both keep every parameter in ONE flat arena (`nncore.layout`) and hand out
views into it by name, keep their optimizer state in one shape
(`nncore.optim.new_state`), save and pickle through the data-only model file
(`nncore.io`) and build their computational graph (`nncore.graph`). They
differ only in who computes: the C++ core or NumPy. Subclasses implement
`_new_arena`, `_forward`, `_loss_and_grad` and `_trace`.
"""
from __future__ import annotations

import os
import threading
from typing import (TYPE_CHECKING, Any, Callable, Literal, Mapping, Optional, Sequence, TypeVar,
                    Union, cast)

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from . import init as _init
from . import convert, io, summary
from .checks import (FloatArray, LabelArray, boolean, check_loss, check_penalty,
                     check_sample_weight, check_X, check_y)
from .checks import seed as check_seed
from .graph import build_graph
from .layers import KINDS, LAYERS, Layer
from .layout import check_arena_size, plan, resolve_dtype
from .optim import new_state

if TYPE_CHECKING:
    from .fit_args import Targets
    from .graph import Graph
    from .history import History
    from .optim import Optimizer, OptimizerState

_Model = TypeVar("_Model", bound="ModelBase")
# A training pass's Dropout key: (optimizer step t, dataset row of every batch row).
DropoutPass = tuple[int, NDArray[np.int64]]


class ModelBase:
    """A stack of layers with a flat parameter arena."""

    # How X is tested for NaN/inf: NumPy's scan unless a model has a faster one.
    _all_finite: Optional[Callable[[FloatArray], bool]] = None

    def __init__(self, *layers: Union[Layer, Sequence[Layer]], dtype: DTypeLike = np.float64,
                 seed: Optional[int] = None) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError("Sequential: needs at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: layer {i} is {layer!r}, expected an nncore layer "
                                "(Dense, Tanh, ...)")
            if layer.kind not in KINDS:
                # Both models compute by kind (the core has one kernel per kind), so a
                # subclass with a new kind has nothing to run.
                raise TypeError(
                    f"Sequential: layer {i} ({type(layer).__name__}) has kind {layer.kind!r}, "
                    f"which nncore does not implement; the layers are {sorted(LAYERS)}. "
                    "Custom layers are not supported: compose the built-in ones, or ask for "
                    "the layer in the project's issue tracker")
        # Held by fit/train_step for the whole call and by every snapshot (state_dict,
        # save, to_bytes, pickle): a snapshot never sees half a batch, and a second fit
        # from another thread waits for the first. Re-entrant: callbacks may save.
        self._lock = threading.RLock()
        self.dtype = resolve_dtype(dtype)
        if seed is None:
            # A fresh seed per model (as PyTorch, Keras and scikit-learn are random unless
            # seeded), recorded so that any run can be repeated: Sequential(..., seed=m.seed).
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
        self.seed = check_seed(seed, "Sequential", none_ok=True)
        # Every entry was checked to be a Layer just above. (Sequence: the layers are fixed
        # once the arena is laid out; the reference model narrows the element type.)
        self.layers: Sequence[Layer] = cast("list[Layer]", list(layers))
        self.n_features, self.n_outputs, self.layout = plan(self.layers)
        self._slots = {s.name: s for s in self.layout}
        offset = sum(s.size for s in self.layout)
        check_arena_size(offset, self.dtype)
        self._arena = self._new_arena(offset)
        self._load_values(_init.initial_values(self.layers, self.layout, self.seed))
        # optimizer.new_state(...) of the optimizer used last, or None
        self._opt: Optional[OptimizerState] = None
        self._epochs_done = 0   # fit numbers epochs on from here (shuffle order, schedules)
        self.history_: Optional[History] = None    # History of the last fit

    # -- what subclasses provide --------------------------------------------
    def _new_arena(self, size: int) -> FloatArray:
        raise NotImplementedError

    def _forward(self, X: FloatArray) -> FloatArray:
        raise NotImplementedError

    def _loss_and_grad(self, X: FloatArray, Y: Optional[FloatArray], labels: Optional[LabelArray],
                       loss: str, l1: float, l2: float, want_grad: bool,
                       w: Optional[FloatArray] = None,
                       dropout: Optional[DropoutPass] = None
                       ) -> tuple[float, Optional[FloatArray]]:
        """Return (loss value, flat gradient array or None); w: sample weights or None;
        dropout: None (Dropout is the identity) or the masks' (step, row ids)."""
        raise NotImplementedError

    def _trace(self, X: FloatArray) -> list[FloatArray]:
        raise NotImplementedError

    # -- structure ----------------------------------------------------------
    @property
    def num_parameters(self) -> int:
        return int(self._arena.size)

    @property
    def param_names(self) -> list[str]:
        return [s.name for s in self.layout]

    @property
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {s.name: s.shape for s in self.layout}

    def named_parameters(self) -> dict[str, FloatArray]:
        """{name: writable view into the arena} (change a weight by hand here)."""
        return {s.name: self._arena[s.offset:s.offset + s.size].reshape(s.shape)
                for s in self.layout}

    def __repr__(self) -> str:
        # One layer per line, as the constructor call that rebuilds the architecture.
        inner = "".join(f"\n    {layer!r}," for layer in self.layers)
        return (f"{type(self).__name__}({inner}\n    dtype=np.{np.dtype(self.dtype).name}, "
                f"seed={self.seed},\n)")

    def summary(self, print_fn: Callable[[str], object] = print) -> None:
        """Print (or hand to `print_fn`) the per-layer table: type, output width,
        parameters and bytes per layer, and the totals (nncore.summary)."""
        print_fn(summary.text(self))

    def _repr_html_(self) -> str:
        return summary.to_html(self)

    # -- parameters in and out ----------------------------------------------
    def state_dict(self) -> dict[str, FloatArray]:
        """{name: copy of the parameter} in arena order."""
        with self._lock:
            return {k: v.copy() for k, v in self.named_parameters().items()}

    def load_state_dict(self, state_dict: Mapping[str, ArrayLike]) -> None:
        """Set every parameter from {name: array}; strict about keys, shapes, values."""
        fn = "load_state_dict"
        if not isinstance(state_dict, dict):
            raise TypeError(f"{fn}: state_dict must be a dict {{name: array}}, "
                            f"got {type(state_dict).__name__}")
        missing = [n for n in self.param_names if n not in state_dict]
        extra = [n for n in state_dict if n not in self._slots]
        if missing or extra:
            raise ValueError(f"{fn}: state_dict keys do not match the model: "
                             f"missing {missing}, unexpected {extra}")
        values: dict[str, FloatArray] = {}
        for name, slot in self._slots.items():
            v = state_dict[name]
            arr = np.asarray(v)
            if arr.dtype.kind not in "iuf":
                raise TypeError(f"{fn}: state_dict[{name!r}] has dtype {arr.dtype}, "
                                "expected a real numeric dtype")
            if arr.shape != slot.shape:
                raise ValueError(f"{fn}: state_dict[{name!r}] has shape {arr.shape}, "
                                 f"expected {slot.shape}")
            with np.errstate(over="ignore"):  # overflow shows up as inf just below
                arr = arr.astype(self.dtype)
            if not np.isfinite(arr).all():
                raise ValueError(f"{fn}: state_dict[{name!r}] contains NaN or inf "
                                 f"(as {np.dtype(self.dtype).name})")
            values[name] = arr
        with self._lock:
            self._load_values(values)  # all checked first: a bad dict changes nothing

    def _load_values(self, values: Mapping[str, ArrayLike]) -> None:
        for s in self.layout:
            self._arena[s.offset:s.offset + s.size] = np.asarray(values[s.name]).reshape(-1)

    def get_flat_parameters(self) -> FloatArray:
        """A copy of the whole arena (arena order)."""
        with self._lock:
            flat: FloatArray = self._arena.copy()
        return flat

    def set_flat_parameters(self, flat: ArrayLike) -> None:
        flat = np.asarray(flat)
        if flat.dtype.kind not in "iuf":
            raise TypeError(f"set_flat_parameters: expected a real numeric array, got {flat.dtype}")
        if flat.shape != self._arena.shape:
            raise ValueError(f"set_flat_parameters: expected shape {self._arena.shape}, "
                             f"got {flat.shape}")
        with np.errstate(over="ignore"):
            flat = flat.astype(self.dtype)
        if not np.isfinite(flat).all():
            raise ValueError("set_flat_parameters: values contain NaN or inf")
        with self._lock:
            self._arena[:] = flat

    # -- computing ----------------------------------------------------------
    def _check_X(self, X: ArrayLike, fn: str) -> FloatArray:
        return check_X(X, self.n_features, self.dtype, fn, self._all_finite)

    def _check_targets(self, X: ArrayLike, y: ArrayLike, loss: str, l1: float, l2: float,
                       fn: str) -> Targets:
        X = self._check_X(X, fn)
        loss = check_loss(loss, self.layers[-1].kind, fn)
        Y, labels = check_y(y, X.shape[0], self.n_outputs, loss, self.dtype, fn)
        l1 = check_penalty(l1, fn, "l1")
        l2 = check_penalty(l2, fn, "l2")
        return X, Y, labels, loss, l1, l2

    def _check_differentiable(self, fn: str) -> None:
        for i, layer in enumerate(self.layers):
            if not layer.has_gradient:
                raise ValueError(f"{fn}: layer {i} ({layer!r}) has no gradient; it can be "
                                 "used for prediction only (replace it by a smooth activation "
                                 "such as Sigmoid or Tanh to train)")

    def predict(self, X: ArrayLike) -> FloatArray:
        """Forward pass h^L(X), shape (n, n_outputs)."""
        return self._forward(self._check_X(X, "predict"))

    __call__ = predict

    def forward_trace(self, X: ArrayLike) -> list[FloatArray]:
        """Outputs of every layer for X: [h^1, h^2, ...] (for teaching and plots)."""
        return self._trace(self._check_X(X, "forward_trace"))

    def _dropout_pass(self, training: object, n: int, fn: str) -> Optional[DropoutPass]:
        """training=True: the Dropout masks of the next optimizer step (t + 1 of the last
        optimizer used) for rows 0..n−1, those a train_step on this batch would draw."""
        if not boolean(training, fn, "training"):
            return None
        t = self._opt["t"] if self._opt is not None else 0
        return t + 1, np.arange(n, dtype=np.int64)

    def loss(self, X: ArrayLike, y: ArrayLike, loss: str = "mse", l1: float = 0.0,
             l2: float = 0.0, sample_weight: Optional[ArrayLike] = None,
             training: bool = False) -> float:
        """L = mean loss over the batch (weighted: Σ wᵢ·lossᵢ / Σ w) + penalty (docs/design.md).

        training=False (default): Dropout layers are the identity, as in predict and
        evaluate. training=True: they drop units with the masks the next train_step on
        this batch would draw (nncore.layers.Dropout), fixed for repeated calls until a
        step is taken, so central differences see one smooth function."""
        args = self._check_targets(X, y, loss, l1, l2, "loss")
        w = check_sample_weight(sample_weight, args[0].shape[0], self.dtype, "loss")
        dropout = self._dropout_pass(training, args[0].shape[0], "loss")
        return float(self._loss_and_grad(*args, want_grad=False, w=w, dropout=dropout)[0])

    def loss_and_grad(self, X: ArrayLike, y: ArrayLike, loss: str = "mse", l1: float = 0.0,
                      l2: float = 0.0, sample_weight: Optional[ArrayLike] = None,
                      training: bool = False) -> tuple[float, dict[str, FloatArray]]:
        """(L, {name: ∂L/∂θ}) by backpropagation; sample_weight and training as in `loss`."""
        args = self._check_targets(X, y, loss, l1, l2, "loss_and_grad")
        w = check_sample_weight(sample_weight, args[0].shape[0], self.dtype, "loss_and_grad")
        self._check_differentiable("loss_and_grad")
        dropout = self._dropout_pass(training, args[0].shape[0], "loss_and_grad")
        value, flat = self._loss_and_grad(*args, want_grad=True, w=w, dropout=dropout)
        assert flat is not None  # want_grad=True always returns the gradient
        if not (np.isfinite(value) and np.isfinite(flat).all()):
            # Finite weights and inputs (both checked): the arithmetic overflowed.
            raise FloatingPointError(
                f"loss_and_grad: the loss or the gradient overflowed "
                f"{np.dtype(self.dtype).name} (loss {float(value):g}); scale X and y down or "
                "use a float64 model")
        grads = {s.name: flat[s.offset:s.offset + s.size].reshape(s.shape).copy()
                 for s in self.layout}
        return float(value), grads

    @property
    def penalty_mask(self) -> NDArray[np.bool_]:
        """Boolean arena mask: True where a parameter is a weight (penalised)."""
        mask = np.zeros(self.num_parameters, dtype=bool)
        for s in self.layout:
            if s.role == "weight":
                mask[s.offset:s.offset + s.size] = True
        return mask

    def graph(self, X: ArrayLike, y: ArrayLike, loss: str = "mse", l1: float = 0.0,
              l2: float = 0.0) -> Graph:
        """The computational graph of L for (X, y) with this model's parameters (nncore.graph)."""
        return build_graph(self, X, y, loss=loss, l1=l1, l2=l2)

    # -- optimizer state: {"optimizer", "t", "m", "v"} (nncore.optim.new_state) ----
    @property
    def optimizer_state(self) -> Optional[OptimizerState]:
        """{"optimizer", "m", "v", "t"} of the last optimizer used (None before training)."""
        return self._opt

    @property
    def optimizer(self) -> Optional[Optimizer]:
        """The optimizer in use (during fit: that fit's; after: the last one; None before
        training). `model.optimizer.lr = ...` in a callback takes effect the next epoch."""
        return self._last_optimizer()

    def _last_optimizer(self) -> Optional[Optimizer]:
        """The optimizer spec used last on this model (None before training)."""
        return self._opt["optimizer"] if self._opt else None

    def _optimizer_state(self, optimizer: Optimizer) -> OptimizerState:
        """This model's state for `optimizer`: the same object continues, another starts fresh."""
        if self._opt is None or self._opt["optimizer"] is not optimizer:
            self._opt = new_state(optimizer, self.num_parameters, self.dtype)
        return self._opt

    def _adopt_optimizer_state(self, state: OptimizerState) -> None:
        """Take a loaded state (nncore.io), after checking it has the buffers its rule needs."""
        opt = state["optimizer"]
        needs: tuple[tuple[Literal["m", "v"], bool], ...] = (("m", opt.uses_m), ("v", opt.uses_v))
        for key, needed in needs:
            if needed and state[key] is None:
                raise ValueError(f"load: optimizer {opt.kind!r} needs its {key!r} buffer")
        self._opt = state

    # -- other libraries (nncore.convert) --------------------------------------
    @classmethod
    def from_torch(cls: type[_Model], module: Any, seed: Optional[int] = None) -> _Model:
        """This kind of model with the layers and weights of a torch.nn.Sequential."""
        model: _Model = convert.from_torch(module, cls, seed=seed)  # module: torch (optional)
        return model

    @classmethod
    def from_sklearn(cls: type[_Model], mlp: Any, seed: Optional[int] = None) -> _Model:
        """This kind of model with the network of a fitted scikit-learn MLP."""
        model: _Model = convert.from_sklearn(mlp, cls, seed=seed)  # mlp: sklearn (untyped)
        return model

    def to_torch(self) -> Any:  # a torch.nn.Sequential (torch is optional)
        """A torch.nn.Sequential computing the same function (weights copied)."""
        return convert.to_torch(self)

    def to_sklearn(self, classes: Optional[ArrayLike] = None) -> Any:  # sklearn is untyped
        """A fitted scikit-learn MLPClassifier/MLPRegressor with these weights."""
        return convert.to_sklearn(self, classes=classes)

    # -- saving: the data-only model file (nncore.io) --------------------------
    def save(self, path: Union[str, os.PathLike[str]], include_optimizer: bool = False) -> None:
        """Write the model (and, if asked, the optimizer state) to a data-only file."""
        io.save(self, path, include_optimizer=include_optimizer)

    def __reduce__(self) -> tuple[Callable[..., ModelBase], tuple[bytes, type[ModelBase]]]:
        # Pickle (and joblib, deepcopy) through the same data-only bytes as save().
        return (io.from_bytes, (io.to_bytes(self, include_optimizer=True, owner="pickle"),
                                type(self)))
