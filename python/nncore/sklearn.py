"""scikit-learn estimators on nncore: `MLPClassifier` and `MLPRegressor`.

    from nncore.sklearn import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=100, random_state=0).fit(X, y)
    clf.predict_proba(X); clf.score(X, y); clf.model_      # the nncore.Sequential

The hyperparameters that mean the same thing as in
`sklearn.neural_network.MLPClassifier` keep their names and defaults:
hidden_layer_sizes, activation, alpha, batch_size, learning_rate_init,
max_iter, shuffle, random_state, tol, verbose, warm_start, momentum, beta_1,
beta_2, epsilon, early_stopping, validation_fraction, n_iter_no_change.
nncore adds: optimizer (by name, with the lecture's forms, or an nncore
optimizer object), momentum_form, rho, eps_inside, lr_schedule (an nncore
schedule: learning-rate decay), dtype and num_threads. Training is one native
`model.fit` call. Differences from scikit-learn are listed in docs/ecosystem.md.
"""
from __future__ import annotations

import numbers
import warnings
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import (_check_partial_fit_first_call, check_classification_targets,
                                      type_of_target, unique_labels)
from sklearn.utils.validation import check_is_fitted, column_or_1d

from . import layers as L
from .layout import resolve_dtype
from .native import Sequential
from .history import EarlyStopping
from .optim import SGD, Adam, Momentum, Optimizer, RMSprop
from .schedules import Schedule

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    def _validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

__all__ = ["MLPClassifier", "MLPRegressor"]

ACTIVATIONS = ("identity", "logistic", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu",
               "maxout")
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")


@contextmanager
def _threads(n):
    """Run the block with the core's OpenMP pool at n threads (None: leave it).

    Through threadpoolctl, which sets OpenMP's thread count for the block and
    restores exactly what was there (also inside an outer threadpool_limits).
    nncore.set_num_threads is not used: it stores a process-wide request that
    cannot be read back, so it could not be restored. A smaller process-wide
    request made with nncore.set_num_threads still wins (the core uses the
    smaller of the two).
    """
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=int(n), user_api="openmp"):
        yield


def _hidden_layers(activation, width, prev):
    if activation == "maxout":
        return [L.Maxout(prev, width, k=2)]
    act = {"identity": L.Identity, "logistic": L.Sigmoid, "sigmoid": L.Sigmoid,
           "tanh": L.Tanh, "relu": L.ReLU, "leaky_relu": L.LeakyReLU, "elu": L.ELU,
           "prelu": L.PReLU}[activation]
    return [L.Dense(prev, width), act()]


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share."""

    _out_activation = None  # set per fit: "logistic", "softmax" or "identity"

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, optimizer="adam",
                 alpha=0.0001, batch_size="auto", learning_rate_init=0.001, lr_schedule=None,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
                 warm_start=False, momentum=0.9, momentum_form="ema", rho=0.9, eps_inside=True,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, dtype="float64", num_threads=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.lr_schedule = lr_schedule
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.momentum_form = momentum_form
        self.rho = rho
        self.eps_inside = eps_inside
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.dtype = dtype
        self.num_threads = num_threads

    # -- parameters ---------------------------------------------------------------
    def _check_params(self):
        name = type(self).__name__
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise TypeError(f"{name}: hidden_layer_sizes must be an int or a sequence of ints, "
                            f"got {self.hidden_layer_sizes!r}") from None
        if any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1 for s in sizes):
            raise ValueError(f"{name}: hidden_layer_sizes must be > 0, got {self.hidden_layer_sizes!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"{name}: activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if not (isinstance(self.optimizer, Optimizer) or self.optimizer in OPTIMIZERS):
            raise ValueError(f"{name}: optimizer must be one of {OPTIMIZERS} or an nncore optimizer "
                             f"(nncore.SGD(...), ...), got {self.optimizer!r}")
        for pname in ("max_iter", "n_iter_no_change"):
            v = getattr(self, pname)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"{name}: {pname} must be an integer >= 1, got {v!r}")
        if not (self.batch_size == "auto" or (isinstance(self.batch_size, numbers.Integral)
                                              and not isinstance(self.batch_size, bool)
                                              and self.batch_size >= 1)):
            raise ValueError(f"{name}: batch_size must be 'auto' or an integer >= 1, "
                             f"got {self.batch_size!r}")
        for pname, lo in (("alpha", 0.0), ("tol", 0.0)):
            v = getattr(self, pname)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v) or v < lo:
                raise ValueError(f"{name}: {pname} must be a finite number >= {lo}, got {v!r}")
        v = self.validation_fraction
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0 < v < 1:
            raise ValueError(f"{name}: validation_fraction must be in (0, 1), got {v!r}")
        if self.lr_schedule is not None and not isinstance(self.lr_schedule, Schedule):
            raise ValueError(f"{name}: lr_schedule must be None or an nncore schedule "
                             f"(nncore.StepDecay(10), ...), got {self.lr_schedule!r}")
        n = self.num_threads
        if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1):
            raise ValueError(f"{name}: num_threads must be None or an integer >= 1, got {n!r}")
        for pname in ("shuffle", "warm_start", "early_stopping"):
            if not isinstance(getattr(self, pname), (bool, np.bool_)):
                raise ValueError(f"{name}: {pname} must be True or False, "
                                 f"got {getattr(self, pname)!r}")
        try:
            dtype = resolve_dtype(self.dtype)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: dtype must be 'float64' or 'float32', got {self.dtype!r}") from None
        return sizes, dtype

    def _make_optimizer(self):
        """A fresh optimizer spec from the hyperparameters (its state starts at zero)."""
        name = type(self).__name__
        opt = self.optimizer
        try:
            if isinstance(opt, Optimizer):
                # A copy, so that the estimator's parameter is never shared with a model.
                return type(opt)(**opt.hyperparameters())
            lr = self.learning_rate_init
            if opt == "sgd":
                return SGD(lr=lr)
            if opt == "momentum":
                return Momentum(lr=lr, gamma=self.momentum, form=self.momentum_form)
            if opt == "rmsprop":
                return RMSprop(lr=lr, gamma=self.rho, eps=self.epsilon, eps_inside=self.eps_inside)
            return Adam(lr=lr, beta1=self.beta_1, beta2=self.beta_2, eps=self.epsilon)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name}: invalid optimizer hyperparameters: {e}") from None

    # -- data ---------------------------------------------------------------------
    def _validate_X(self, X, reset):
        X = _validate_data(self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32),
                           reset=reset)
        return self._dense(X)

    @staticmethod
    def _dense(X):
        return X.toarray() if sp.issparse(X) else X

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    # -- the network ----------------------------------------------------------------
    def _build(self, sizes, dtype, n_features, n_outputs, out_activation, seed):
        layers, prev = [], n_features
        for width in sizes:
            layers += _hidden_layers(self.activation, width, prev)
            prev = width
        layers.append(L.Dense(prev, n_outputs))
        if out_activation == "logistic":
            layers.append(L.Sigmoid())
        elif out_activation == "softmax":
            layers.append(L.Softmax())
        return Sequential(*layers, dtype=dtype, seed=seed)

    def _forward(self, X):
        """The network's output for validated X, as float64 unless both the model and X
        are float32 (a float32 model's output is upcast exactly, as scikit-learn's MLP
        returns float64 for float64 input)."""
        with _threads(self.num_threads):
            out = self.model_.predict(X)
        return out.astype(np.result_type(out.dtype, X.dtype), copy=False)

    def _fit(self, X, y, incremental):
        sizes, dtype = self._check_params()
        first = not hasattr(self, "model_") or not (self.warm_start or incremental)
        X, targets = self._prepare(X, y, incremental, reset=first)
        rng = check_random_state(self.random_state)
        n_outputs = self._n_outputs_for(targets)
        if first:
            seed = int(rng.randint(np.iinfo(np.int32).max))
            self.model_ = self._build(sizes, dtype, X.shape[1], n_outputs, self._out_activation,
                                      seed)
            self.n_outputs_ = n_outputs
            self.n_layers_ = len(sizes) + 2
            self.out_activation_ = self._out_activation
            self.n_iter_ = 0
            self.t_ = 0
            self.loss_curve_ = []
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None
        elif n_outputs != self.n_outputs_:
            raise ValueError(f"{type(self).__name__}: y has {n_outputs} outputs, the model was "
                             f"fitted with {self.n_outputs_}")
        model = self.model_
        st = model.optimizer_state
        if incremental and st is not None:
            optimizer = st["optimizer"]  # continue its state (m, v, t)
        else:
            optimizer = self._make_optimizer()
        n = X.shape[0]
        batch = min(200, n) if self.batch_size == "auto" else min(int(self.batch_size), n)
        # scikit-learn's penalty: (alpha / 2)·ΣW² / batch rows, added to a mean loss;
        # nncore's l2 = λ adds λ·ΣW², so λ = alpha / (2·batch).
        l2 = float(self.alpha) / (2.0 * batch)
        early = bool(self.early_stopping) and not incremental
        validation_data, val = None, None
        if early:
            stratify = targets if (self._out_activation == "softmax") else None
            X, Xv, targets, tv = train_test_split(
                X, targets, test_size=self.validation_fraction, random_state=rng,
                stratify=stratify)
            validation_data = (Xv, tv)
            val = (Xv, self._decode_targets(tv))
            if self.validation_scores_ is None:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
        if incremental:
            stopping = None
        else:  # scikit-learn's tol / n_iter_no_change on the monitored loss
            stopping = EarlyStopping(patience=self.n_iter_no_change, min_delta=float(self.tol),
                                     restore_best=early)
        callbacks = []
        if val is not None or self.verbose:
            def report(epoch, logs):
                if val is not None:
                    score = self._score_predictions(val[1], model.predict(val[0]))
                    self.validation_scores_.append(float(score))
                if self.verbose:
                    line = f"Iteration {epoch + 1}, loss = {logs['loss']:.8f}"
                    if val is not None:
                        line += f", validation score = {self.validation_scores_[-1]:.6f}"
                    print(line)
            callbacks.append(report)
        with _threads(self.num_threads):
            hist = model.fit(X, targets, optimizer=optimizer, epochs=1 if incremental else self.max_iter,
                             batch_size=batch, shuffle=bool(self.shuffle), l2=l2,
                             validation_data=validation_data, lr_schedule=self.lr_schedule,
                             early_stopping=stopping, callbacks=callbacks, verbose=0)
        losses = [float(v) for v in hist.history["loss"]]
        self.loss_curve_ = list(self.loss_curve_) + losses
        self.n_iter_ += len(losses)
        self.t_ += len(losses) * X.shape[0]
        self.history_ = hist
        if early:
            self.best_validation_score_ = max(self.validation_scores_)
            self.best_loss_ = None
        else:
            self.best_loss_ = float(min(self.loss_curve_))
        if not incremental and hist.stop_reason == "completed":
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                          "the optimization hasn't converged yet.", ConvergenceWarning, stacklevel=3)
        return self

    def fit(self, X, y):
        """Train on (X, y) for up to max_iter epochs (one native call); returns self."""
        return self._fit(X, y, incremental=False)

    # -- export ---------------------------------------------------------------------
    @property
    def coefs_(self):
        """Dense weight matrices (in, out) per layer, as scikit-learn's (copies; Maxout: (k, in, out))."""
        check_is_fitted(self)
        p = self.model_.named_parameters()
        return [p[f"{i}.W"].copy() for i, l in enumerate(self.model_.layers)
                if l.kind in ("dense", "maxout")]

    @property
    def intercepts_(self):
        """Bias vectors per Dense/Maxout layer (copies)."""
        check_is_fitted(self)
        p = self.model_.named_parameters()
        return [p[f"{i}.b"].copy() for i, l in enumerate(self.model_.layers)
                if l.kind in ("dense", "maxout")]

    def to_onnx(self, path=None, opset=None):
        """Write an ONNX graph computing predict_proba (classifier) or predict (regressor)
        from X of the estimator's dtype; returns the onnx.ModelProto. See docs/ecosystem.md."""
        check_is_fitted(self)
        from .onnx_export import to_onnx
        return to_onnx(self.model_, path, opset=opset, output=self._onnx_output())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"multioutput": True}


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained by nncore (cross-entropy).

    Multi-class targets train a Softmax output with cross-entropy; binary and
    multi-label targets a Sigmoid output with binary cross-entropy.

    Parameters (scikit-learn's meaning unless noted)
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
    activation : {"relu", "tanh", "logistic" (= "sigmoid"), "identity", "leaky_relu" (slope
        0.1, lecture), "prelu", "elu", "maxout" (Maxout with k=2 instead of Dense + σ)}
    optimizer : {"adam", "sgd", "momentum", "rmsprop"} or an nncore optimizer object
        (its own hyperparameters are then used), default="adam". "momentum" is the
        lecture's moving-average form unless momentum_form says otherwise; "rmsprop"
        puts ε inside the square root (lecture) unless eps_inside=False.
    alpha : float, default=1e-4. L2 penalty with scikit-learn's scaling
        (nncore l2 = alpha / (2·batch rows)).
    batch_size : int or "auto" (= min(200, n_samples)), default="auto"
    learning_rate_init : float, default=1e-3 (ignored when optimizer is an object)
    lr_schedule : nncore schedule or None (learning-rate decay per epoch, e.g.
        nncore.StepDecay(step_size=10, gamma=0.5)), default=None
    max_iter : int, default=200 (epochs)
    shuffle, random_state, tol, verbose, warm_start, early_stopping,
    validation_fraction, n_iter_no_change : as scikit-learn (early stopping monitors
        the validation loss and restores the best weights; see docs/ecosystem.md)
    momentum : float, default=0.9 (γ of "momentum")
    momentum_form : {"ema", "classic", "nesterov"}, default="ema" (lecture)
    rho : float, default=0.9 (γ of "rmsprop")
    eps_inside : bool, default=True (RMSprop: lecture form g/√(v+ε))
    beta_1, beta_2, epsilon : Adam's (epsilon also RMSprop's ε)
    dtype : {"float64", "float32"}, default="float64"
    num_threads : int or None, default=None (None: the core's current OpenMP setting,
        which joblib/Dask workers set to cpu_count // n_jobs; see docs/ecosystem.md)

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_, n_outputs_, n_layers_,
    out_activation_, loss_curve_, best_loss_, validation_scores_,
    best_validation_score_, n_iter_, t_, coefs_, intercepts_,
    model_ (the nncore.Sequential), history_ (nncore History of the last fit).
    """

    _out_activation = None

    def _prepare(self, X, y, incremental, reset):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        X, y = _validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                              dtype=(np.float64, np.float32), reset=reset)
        X = self._dense(X)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset and not incremental:
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental and set(classes) != set(self.classes_):
                raise ValueError("warm_start can only be used where `y` has the same classes as "
                                 f"in the previous call to fit. Previously got {self.classes_}, "
                                 f"`y` has {classes}")
            if len(np.setdiff1d(classes, self.classes_)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{self.classes_}. 'y' has {classes}.")
        lb = self._label_binarizer
        if lb.y_type_ != "multilabel-indicator" and len(lb.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in the "
                             f"data, but the data contains only one class: {lb.classes_[0]!r}")
        Y = lb.transform(y)
        if lb.y_type_ == "multiclass":
            self._out_activation = "softmax"
            targets = np.argmax(Y, axis=1).astype(np.int64)  # labels 0..K-1 for "ce"
        else:  # binary (one sigmoid unit) or multi-label (one per label)
            self._out_activation = "logistic"
            targets = np.asarray(Y, dtype=np.float64)
        return X, targets

    def _n_outputs_for(self, targets):
        return len(self.classes_) if targets.ndim == 1 else targets.shape[1]

    def _decode_targets(self, targets):
        if targets.ndim == 1:  # multi-class labels 0..K-1
            return self.classes_[targets]
        return self._label_binarizer.inverse_transform(targets)

    def _score_predictions(self, y_true, out):
        return accuracy_score(y_true, self._labels_from_output(out))

    def _labels_from_output(self, out):
        if self.n_outputs_ == 1:
            out = out.ravel()
        return self._label_binarizer.inverse_transform(out)

    def fit(self, X, y):
        """Train on (X, y) for up to max_iter epochs (one native call); returns self."""
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y, classes=None):
        """One epoch over (X, y), continuing the weights and the optimizer state.

        classes (all labels that will ever appear) is required on the first call.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
            self.classes_ = self._label_binarizer.classes_
        return self._fit(X, y, incremental=True)

    def predict(self, X):
        """Class labels (multi-label: the 0/1 indicator matrix)."""
        check_is_fitted(self)
        return self._labels_from_output(self._forward(self._validate_X(X, reset=False)))

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes) in the order of classes_
        (multi-label: (n_samples, n_labels), each a sigmoid)."""
        check_is_fitted(self)
        out = self._forward(self._validate_X(X, reset=False))
        if self.n_outputs_ == 1:
            p = out.ravel()
            return np.vstack([1 - p, p]).T
        return out

    def predict_log_proba(self, X):
        """log(predict_proba(X))."""
        p = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(p, out=p)

    def _onnx_output(self):
        return "binary_proba" if self.n_outputs_ == 1 else None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"multilabel": True}


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor trained by nncore (the lecture's squared error
    J = 1/(2m) Σ_i Σ_j (h_ij − y_ij)², identity output). Parameters as MLPClassifier,
    without classes; multi-output targets (n_samples, n_outputs) are supported."""

    _out_activation = "identity"

    def _prepare(self, X, y, incremental, reset):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        X, y = _validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                              y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        X = self._dense(X)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, np.asarray(y, dtype=np.float64)

    @staticmethod
    def _n_outputs_for(targets):
        return 1 if targets.ndim == 1 else targets.shape[1]

    @staticmethod
    def _decode_targets(targets):
        return targets

    def _score_predictions(self, y_true, out):
        return r2_score(y_true, out.ravel() if out.shape[1] == 1 else out)

    def partial_fit(self, X, y):
        """One epoch over (X, y), continuing the weights and the optimizer state."""
        return self._fit(X, y, incremental=True)

    def predict(self, X):
        """Predictions (n_samples,) for a single output, else (n_samples, n_outputs)."""
        check_is_fitted(self)
        out = self._forward(self._validate_X(X, reset=False))
        return out.ravel() if out.shape[1] == 1 else out

    def _onnx_output(self):
        return "flatten" if self.n_outputs_ == 1 else None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
