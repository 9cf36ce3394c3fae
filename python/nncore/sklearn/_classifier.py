"""MLPClassifier: scikit-learn's multi-layer perceptron classifier, trained by nncore."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (_check_partial_fit_first_call, check_classification_targets,
                                      type_of_target, unique_labels)
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._base import BaseMLP, validate_data
from ._docs import ATTRIBUTES, PARAMETERS


class MLPClassifier(ClassifierMixin, BaseMLP):  # type: ignore[misc]
    _out_activation = "logistic"

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
