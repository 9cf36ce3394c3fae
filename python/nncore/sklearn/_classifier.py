"""MLPClassifier: scikit-learn's multi-layer perceptron classifier, trained by nncore."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional, Union

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (_check_partial_fit_first_call, check_classification_targets,
                                      type_of_target, unique_labels)
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..fit_args import class_sample_weights
from ._base import BaseMLP, validate_data
from ._docs import ATTRIBUTES, PARAMETERS


class MLPClassifier(ClassifierMixin, BaseMLP):  # type: ignore[misc]
    _out_activation = "logistic"

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: Union[int, str] = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: Any = None, tol: float = 1e-4, verbose: bool = False,
                 warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: Union[int, float] = 10,
                 max_fun: int = 15000, class_weight: Any = None, optimizer: Any = None,
                 momentum_form: str = "ema", rho: float = 0.9, eps_inside: bool = True,
                 lr_schedule: Any = None, dropout: float = 0.0, dtype: Any = None,
                 num_threads: Optional[int] = None) -> None:
        # Spelled out (not **kwargs): scikit-learn's get_params reads this signature.
        self.class_weight = class_weight
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init,
            power_t=power_t, max_iter=max_iter, shuffle=shuffle, random_state=random_state,
            tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            optimizer=optimizer, momentum_form=momentum_form, rho=rho, eps_inside=eps_inside,
            lr_schedule=lr_schedule, dropout=dropout, dtype=dtype, num_threads=num_threads)

    def _prepare(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple[Any, Any]:
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None")
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                              dtype=(np.float64, np.float32), reset=reset)
        X = X.toarray() if hasattr(X, "toarray") else X
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the "
                        f"previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{self.classes_}. 'y' has {classes}.")
        lb = self._label_binarizer
        Y = lb.transform(y)
        if lb.y_type_ == "multiclass":
            self._out_activation, self._loss_name = "softmax", "ce"
            targets = np.argmax(Y, axis=1).astype(np.int64)  # labels 0..K-1 for "ce"
        else:  # binary (one sigmoid unit) or multi-label (one per label)
            self._out_activation, self._loss_name = "logistic", "bce"
            targets = np.asarray(Y, dtype=np.float64)
        return X, targets

    def _n_outputs_for(self, targets: np.ndarray) -> int:
        return len(self.classes_) if targets.ndim == 1 else int(targets.shape[1])

    def _loss_scale(self) -> float:
        # scikit-learn sums the binary log-loss over the labels; nncore's "bce" averages.
        return float(self.n_outputs_) if self._loss_name == "bce" else 1.0

    def _stratify(self, targets: np.ndarray) -> Optional[np.ndarray]:
        if targets.ndim == 1:
            return targets
        if targets.shape[1] == 1:  # binary: scikit-learn stratifies on its boolean column
            out: np.ndarray = targets > 0.5  # 2-D, as scikit-learn (labels print "True")
            return out
        return None  # multi-label

    def _with_class_weight(self, targets: np.ndarray, sample_weight: Optional[np.ndarray],
                           incremental: bool) -> Optional[np.ndarray]:
        """sample_weight (None: all 1) times each row's class weight; "balanced" counts the
        classes by sample weight. Applied before the early-stopping split, so the held-out
        score is class-weighted too."""
        cw = self.class_weight
        if cw is None:
            return sample_weight
        owner = type(self).__name__
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            raise ValueError(f"{owner}: class_weight applies to binary and multi-class targets, "
                             "not multi-label ones (a row has several classes); pass "
                             "sample_weight=... instead")
        if isinstance(cw, str) and cw == "balanced" and incremental:
            raise ValueError(
                f"{owner}: class_weight='balanced' is not supported for partial_fit (one batch "
                "does not show the class frequencies). Compute the weights once with "
                "sklearn.utils.class_weight.compute_class_weight('balanced', classes=classes, "
                "y=y) on the full target (or a large enough sample of it) and pass them as "
                "class_weight={class: weight}.")
        if isinstance(cw, Mapping):
            unknown = [c for c in cw if not np.isin(c, self.classes_).any()]
            if unknown:
                raise ValueError(f"{owner}: class_weight has classes {unknown!r} that are not "
                                 f"in classes_ {self.classes_.tolist()!r}")
            # The core's table is keyed by class index (the position in classes_).
            cw = {i: cw[c] for i, c in enumerate(self.classes_.tolist()) if c in cw}
        elif not isinstance(cw, str):
            raise TypeError(f"{owner}: class_weight must be None, 'balanced' or a dict "
                            f"{{class: weight}}, got {type(cw).__name__}")
        # Binary targets are the 0/1 column of classes_[1]; multi-class ones the indices.
        Y, labels = (None, targets) if targets.ndim == 1 else (targets, None)
        loss = "ce" if targets.ndim == 1 else "bce"
        dtype = self.model_.dtype
        w = class_sample_weights(cw, Y, labels, loss, dtype, owner, sample_weight)
        return w if sample_weight is None else np.asarray(sample_weight * w, dtype=dtype)

    def _decode_targets(self, targets: np.ndarray) -> Any:
        if targets.ndim == 1:  # multi-class labels 0..K-1
            return self.classes_[targets]
        return self._label_binarizer.inverse_transform(targets)

    def _labels(self, out: np.ndarray) -> Any:
        if self.n_outputs_ == 1:
            out = out.ravel()
        return self._label_binarizer.inverse_transform(out)

    def _score_output(self, y_true: Any, out: np.ndarray, sample_weight: Any = None) -> float:
        return float(accuracy_score(y_true, self._labels(out), sample_weight=sample_weight))

    # (scikit-learn has no type information: its decorator is untyped)
    @available_if(lambda est: est._check_solver())  # type: ignore[untyped-decorator]
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None,
                    classes: Any = None) -> MLPClassifier:
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights (as in `fit`).
        classes : array of shape (n_classes,), default=None
            All classes across the calls; required on the first call.

        Returns
        -------
        self : object
            The trained estimator.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        self._fit(X, y, incremental=True, sample_weight=sample_weight)
        return self

    def predict(self, X: Any) -> Any:
        """Predict with the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The predicted classes (multi-label: the indicator matrix).
        """
        check_is_fitted(self)
        return self._labels(self._forward(self._validate_X(X)))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of `classes_` (multi-label: each
            label's sigmoid).
        """
        check_is_fitted(self)
        out = self._forward(self._validate_X(X))
        if self.n_outputs_ == 1:
            p = out.ravel()
            both: np.ndarray = np.vstack([1 - p, p]).T
            return both
        return out

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            log(predict_proba(X)).
        """
        p = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            out: np.ndarray = np.log(p, out=p)
        return out

    def _onnx_output(self) -> Optional[str]:
        return "binary_proba" if self.n_outputs_ == 1 else None

    def _onnx_labels(self, label: bool) -> dict[str, Any]:
        if not label:
            return {}
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return {"multilabel": True}
        if len(self.classes_) < 2:
            raise ValueError("MLPClassifier.to_onnx: label=True needs at least 2 classes")
        return {"labels": self.classes_}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


MLPClassifier.__doc__ = f"""Multi-layer perceptron classifier trained by nncore's C++ core.

    scikit-learn's MLPClassifier (same hyperparameters, defaults and meaning), plus
    nncore's extras (optimizer, momentum_form, rho, eps_inside, lr_schedule, dtype,
    num_threads). Multi-class targets train a softmax output with cross-entropy;
    binary and multi-label targets sigmoid outputs with the binary log-loss (summed
    over labels, as scikit-learn). Differences: docs/ecosystem.md.

    Parameters
    ----------
{PARAMETERS}
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, {{class_label: weight}} (classes not named weigh 1), as
        in scikit-learn's other classifiers (its MLPClassifier has no class_weight).
        Each row's weight is its class's weight times its sample_weight, so the
        result equals fitting with those sample weights (the alpha penalty is
        divided by their sum, and the early-stopping split and score carry them).
        'balanced': n_samples / (n_classes * the class's count), the counts taken
        by sample weight (scikit-learn's compute_class_weight with sample_weight);
        not available in partial_fit, which sees one batch (compute the weights
        with compute_class_weight and pass the dict). Binary and multi-class
        targets only: multi-label targets are refused (pass sample_weight).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
{ATTRIBUTES}
    See Also
    --------
    MLPRegressor : The regressor.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from nncore.sklearn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """
