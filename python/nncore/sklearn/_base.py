"""What MLPClassifier and MLPRegressor share: hyperparameters, the network, fit."""
from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional, Union

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from .. import layers as L
from ..layers import Layer
from ..native import Sequential
from ._params import (batch_rows, check_params, make_optimizer, make_schedule, model_dtype)
from ._solvers import NON_FINITE, SolverState, lbfgs, stochastic



def validate_data(estimator: Any, *args: Any, **kwargs: Any) -> Any:
    """scikit-learn's validate_data (a method before scikit-learn 1.6)."""
    try:
        from sklearn.utils.validation import validate_data as validate
    except ImportError:  # pragma: no cover - older scikit-learn
        return estimator._validate_data(*args, **kwargs)
    return validate(estimator, *args, **kwargs)

HIDDEN = {"identity": L.Identity, "logistic": L.Sigmoid, "sigmoid": L.Sigmoid, "tanh": L.Tanh,
          "relu": L.ReLU, "leaky_relu": L.LeakyReLU, "elu": L.ELU, "prelu": L.PReLU}


@contextmanager
def _threads(n: Optional[int]) -> Iterator[None]:
    """Run the block with the core's OpenMP pool at n threads (None: leave it).

    Through threadpoolctl, which restores exactly what was there (also inside an outer
    threadpool_limits); nncore.set_num_threads could not be read back and restored. A
    smaller process-wide nncore.set_num_threads request still wins.
    """
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=int(n), user_api="openmp"):
        yield


class BaseMLP(BaseEstimator):  # type: ignore[misc]
    """The estimators' shared machinery (not an estimator itself)."""

    _loss_name = "mse"           # the core's loss for this estimator's output
    _out_activation = "identity"
    # Fitted attributes (scikit-learn's names), set by fit / partial_fit.
    model_: Sequential
    n_outputs_: int
    n_layers_: int
    out_activation_: str
    n_iter_: int
    t_: int
    loss_: float
    loss_curve_: list[float]
    best_loss_: Optional[float]
    validation_scores_: Optional[list[float]]
    best_validation_score_: Optional[float]
    _no_improvement_count: int
    _patience: float
    _best_params: np.ndarray
    _optimizer: SolverState

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: Union[int, str] = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: Any = None, tol: float = 1e-4, verbose: bool = False,
                 warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: Union[int, float] = 10,
                 max_fun: int = 15000, optimizer: Any = None, momentum_form: str = "ema",
                 rho: float = 0.9, eps_inside: bool = True, lr_schedule: Any = None,
                 dropout: float = 0.0, dtype: Any = None,
                 num_threads: Optional[int] = None) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.optimizer = optimizer
        self.momentum_form = momentum_form
        self.rho = rho
        self.eps_inside = eps_inside
        self.lr_schedule = lr_schedule
        self.dropout = dropout
        self.dtype = dtype
        self.num_threads = num_threads

    # -- what the classifier and the regressor provide ------------------------------
    def _prepare(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple[Any, Any]:
        raise NotImplementedError

    def _n_outputs_for(self, targets: np.ndarray) -> int:
        raise NotImplementedError

    def _loss_scale(self) -> float:
        """s with estimator loss = s·core loss (1 except multi-label classification)."""
        return 1.0

    def _stratify(self, targets: np.ndarray) -> Optional[np.ndarray]:
        return None

    def _with_class_weight(self, targets: np.ndarray, sample_weight: Optional[np.ndarray],
                           incremental: bool) -> Optional[np.ndarray]:
        """sample_weight times the class weights of the rows (the classifier's class_weight)."""
        return sample_weight

    def _decode_targets(self, targets: np.ndarray) -> Any:
        return targets

    def _score_output(self, y_true: Any, out: np.ndarray, sample_weight: Any = None) -> float:
        raise NotImplementedError

    # -- data -----------------------------------------------------------------------
    def _validate_X(self, X: Any) -> np.ndarray:
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32),
                           reset=False)
        return X.toarray() if sp.issparse(X) else np.asarray(X)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    def _check_solver(self) -> bool:
        if self.solver not in ("sgd", "adam"):
            raise AttributeError(f"partial_fit is only available for stochastic optimizers. "
                                 f"{self.solver} is not stochastic.")
        return True

    # -- the network ----------------------------------------------------------------
    def _build(self, sizes: tuple[int, ...], dtype: type, n_features: int, n_outputs: int,
               rng: np.random.RandomState) -> Sequential:
        """The network, with scikit-learn's initial weights drawn from `rng` as scikit-learn
        draws them (the same random_state gives the same starting point)."""
        layers: list[Layer] = []
        prev = n_features
        for width in sizes:
            if self.activation == "maxout":
                layers.append(L.Maxout(prev, width, k=2))
            else:
                layers += [L.Dense(prev, width), HIDDEN[self.activation]()]
            if self.dropout > 0:  # dropout=0 builds today's network, layer for layer
                layers.append(L.Dropout(self.dropout))
            prev = width
        layers.append(L.Dense(prev, n_outputs))
        if self._out_activation == "logistic":
            layers.append(L.Sigmoid())
        elif self._out_activation == "softmax":
            layers.append(L.Softmax())
        elif self._out_activation == "exp":  # the regressor's Poisson loss: the log link
            layers.append(L.Exp())
        # scikit-learn's Glorot-uniform init, weights then biases, layer by layer; biases too.
        factor = 2.0 if self.activation == "logistic" else 6.0
        values = {}
        for i, layer in enumerate(layers):
            if layer.kind in ("dense", "maxout"):
                fan_in, fan_out = int(layer.in_features or 0), int(layer.out_features or 0)
                bound = np.sqrt(factor / (fan_in + fan_out))
                pieces = (int(layer.k),) if layer.kind == "maxout" else ()
                values[f"{i}.W"] = rng.uniform(-bound, bound, pieces + (fan_in, fan_out))
                values[f"{i}.b"] = rng.uniform(-bound, bound, pieces + (fan_out,))
        # The shuffle seed comes from a copy of rng, so that rng goes on to the early-stopping
        # split exactly as scikit-learn's does.
        seed = int(copy.deepcopy(rng).randint(np.iinfo(np.int32).max))
        model = Sequential(*layers, dtype=dtype, seed=seed)
        model.load_state_dict({**model.state_dict(), **values})
        return model

    def _forward(self, X: np.ndarray) -> np.ndarray:
        """The network's output for validated X: float64 unless both the model and X are
        float32 (a float32 model's output is upcast exactly for float64 X, as scikit-learn's
        float32 weights give float64 outputs for float64 X)."""
        with _threads(self.num_threads):
            out = self.model_.predict(X)
        result: np.ndarray = out.astype(np.result_type(out.dtype, X.dtype), copy=False)
        return result

    def _validation_score(self, Xv: np.ndarray, yv: Any, wv: Optional[np.ndarray]) -> float:
        """scikit-learn's score on the held-out split; NaN when the outputs are not finite."""
        out = self.model_.predict(Xv)
        if not np.isfinite(out).all():
            return float("nan")
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run scores -inf/NaN
            return float(self._score_output(yv, out, wv))

    # -- fit --------------------------------------------------------------------------
    def _fit(self, X: Any, y: Any, incremental: bool, sample_weight: Any = None) -> BaseMLP:
        checked = check_params(self)
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first = not hasattr(self, "model_") or not (self.warm_start or incremental)
        X, targets = self._prepare(X, y, incremental, reset=first)
        rng = check_random_state(self.random_state)
        n_outputs = self._n_outputs_for(targets)
        if first:
            self.model_ = self._build(checked.sizes, model_dtype(checked, X), X.shape[1],
                                      n_outputs, rng)
            self._initialize(n_outputs, len(checked.sizes))
        elif n_outputs != self.n_outputs_:
            raise ValueError(f"{type(self).__name__}: y has {n_outputs} outputs, the model was "
                             f"fitted with {self.n_outputs_}")
        elif self._out_activation != self.out_activation_:  # e.g. loss changed, warm_start
            raise ValueError(f"{type(self).__name__}: the model was fitted with output "
                             f"{self.out_activation_!r}, this fit needs "
                             f"{self._out_activation!r}; fit afresh (warm_start=False)")
        if self.early_stopping and self.validation_scores_ is None:  # switched on for a warm fit
            self.validation_scores_, self.best_validation_score_ = [], -np.inf
            self._best_params = self.model_.get_flat_parameters()
        model = self.model_
        self._patience = checked.n_iter_no_change
        X = np.ascontiguousarray(X, dtype=model.dtype)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=model.dtype)
        sample_weight = self._with_class_weight(targets, sample_weight, incremental)
        if targets.dtype.kind == "f":
            targets = np.ascontiguousarray(targets, dtype=model.dtype)
        scale = self._loss_scale()
        with _threads(self.num_threads):
            if self.solver == "lbfgs":
                lbfgs(self, X, targets, loss=self._loss_name, alpha=float(self.alpha),
                      scale=scale, sample_weight=sample_weight)
            else:
                self._fit_stochastic(X, targets, sample_weight, rng, checked.lr_varies, scale,
                                     incremental)
        if not np.isfinite(model.get_flat_parameters()).all():  # pragma: no cover - guarded
            raise ValueError(NON_FINITE)
        return self

    def _initialize(self, n_outputs: int, n_hidden: int) -> None:
        """scikit-learn's fresh-fit attributes (its `_initialize`)."""
        self.n_outputs_ = n_outputs
        self.n_layers_ = n_hidden + 2
        self.out_activation_ = self._out_activation
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self._best_params = self.model_.get_flat_parameters()
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None
        if hasattr(self, "_optimizer"):
            del self._optimizer

    def _fit_stochastic(self, X: np.ndarray, targets: np.ndarray, sw: Optional[np.ndarray],
                        rng: Any, lr_varies: bool, scale: float, incremental: bool) -> None:
        model = self.model_
        st = model.optimizer_state
        if incremental and hasattr(self, "_optimizer") and st is not None:
            self._optimizer.spec = st["optimizer"]  # continue its state (m, v, t)
        else:
            self._optimizer = SolverState(make_optimizer(self, scale),
                                          float(self.learning_rate_init))
        validation = None
        if self.early_stopping:
            arrays = (X, targets) if sw is None else (X, targets, sw)
            split = train_test_split(*arrays, random_state=rng, test_size=self.validation_fraction,
                                     stratify=self._stratify(targets))
            X, Xv, targets, tv = split[:4]
            sw, swv = (None, None) if sw is None else (split[4], split[5])
            if Xv.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase "
                                 "'validation_fraction' or the size of your dataset.")
            validation = (Xv, self._decode_targets(tv), swv)
        n = X.shape[0]
        if self.batch_size != "auto" and int(self.batch_size) > n:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                          "going to be clipped", UserWarning, stacklevel=3)
        batch = batch_rows(self.batch_size, n)
        # scikit-learn's penalty (alpha/2)·ΣW² / (the batch's weight sum, its rows when
        # unweighted) on a loss s times the core's: nncore's l2 = λ with penalty_per_sample
        # adds λ·ΣW² / (the batch's weight sum), so λ = alpha / (2·s).
        l2 = float(self.alpha) / (2.0 * scale)
        spec = self._optimizer.spec
        stochastic(self, X, targets, sw, optimizer=self._optimizer, batch=batch, l2=l2,
                   scale=scale, validation=validation, incremental=incremental,
                   lr_varies=lr_varies, schedule=make_schedule(self, spec, scale))

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> BaseMLP:
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights: each batch's loss is Σ wᵢ·lossᵢ / Σ wᵢ and its penalty is
            divided by Σ wᵢ, as scikit-learn's.

        Returns
        -------
        self : object
            The trained estimator.
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    # -- export ---------------------------------------------------------------------
    def _weights(self, name: str) -> list[np.ndarray]:
        check_is_fitted(self)
        p = self.model_.named_parameters()
        return [p[f"{i}.{name}"].copy() for i, layer in enumerate(self.model_.layers)
                if layer.kind in ("dense", "maxout")]

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices (in, out) per layer, as scikit-learn's (copies; Maxout: (k, in, out))."""
        return self._weights("W")

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors per Dense/Maxout layer (copies)."""
        return self._weights("b")

    def to_onnx(self, path: Any = None, opset: Optional[int] = None, label: bool = False) -> Any:
        """Write an ONNX graph computing predict_proba (classifier) or predict (regressor).

        X is of the estimator's dtype; returns the onnx.ModelProto (docs/ecosystem.md).
        label=True (classifiers): a first output "label" with predict's labels.
        """
        check_is_fitted(self)
        from ..onnx_export import to_onnx
        return to_onnx(self.model_, path, opset=opset, output=self._onnx_output(),
                       **self._onnx_labels(label))

    def _onnx_labels(self, label: bool) -> dict[str, Any]:
        if label:
            raise ValueError(f"{type(self).__name__}.to_onnx: label=True is for classifiers")
        return {}

    def _onnx_output(self) -> Optional[str]:
        return None

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
