"""MLPRegressor: scikit-learn's multi-layer perceptron regressor, trained by nncore."""
from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._base import BaseMLP, validate_data
from ._docs import ATTRIBUTES, PARAMETERS

# scikit-learn's loss name -> (the core's loss, the output layer it is computed through)
LOSSES = {"squared_error": ("mse", "identity"), "poisson": ("poisson", "exp")}


class MLPRegressor(RegressorMixin, BaseMLP):  # type: ignore[misc]
    _out_activation = "identity"
    _loss_name = "mse"

    def __init__(self, loss: str = "squared_error", hidden_layer_sizes: Any = (100,),
                 activation: str = "relu", *, solver: str = "adam", alpha: float = 0.0001,
                 batch_size: Union[int, str] = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: bool = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: Union[int, float] = 10,
                 max_fun: int = 15000, optimizer: Any = None, momentum_form: str = "ema",
                 rho: float = 0.9, eps_inside: bool = True, lr_schedule: Any = None,
                 dropout: float = 0.0, dtype: Any = None,
                 num_threads: Optional[int] = None) -> None:
        # Spelled out (not **kwargs): scikit-learn's get_params reads this signature.
        self.loss = loss
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
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            raise ValueError(f"MLPRegressor: loss must be one of {tuple(LOSSES)}, got "
                             f"{self.loss!r}")
        self._loss_name, self._out_activation = LOSSES[self.loss]
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None")
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                              y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        X = X.toarray() if hasattr(X, "toarray") else X
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.min(y) < 0:
            raise ValueError(f"MLPRegressor: y must be >= 0 for loss='poisson' (counts or "
                             f"rates), got a minimum of {np.min(y)}")
        return X, np.asarray(y, dtype=np.float64)

    def _n_outputs_for(self, targets: np.ndarray) -> int:
        return 1 if targets.ndim == 1 else int(targets.shape[1])

    def _score_output(self, y_true: Any, out: np.ndarray, sample_weight: Any = None) -> float:
        return float(r2_score(y_true, out.ravel() if out.shape[1] == 1 else out,
                              sample_weight=sample_weight))

    # (scikit-learn has no type information: its decorator is untyped)
    @available_if(lambda est: est._check_solver())  # type: ignore[untyped-decorator]
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights (as in `fit`).

        Returns
        -------
        self : object
            The trained estimator.
        """
        self._fit(X, y, incremental=True, sample_weight=sample_weight)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predict with the multi-layer perceptron regressor.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        check_is_fitted(self)
        out = self._forward(self._validate_X(X))
        return out.ravel() if out.shape[1] == 1 else out

    def _onnx_output(self) -> Optional[str]:
        return "flatten" if self.n_outputs_ == 1 else None

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


MLPRegressor.__doc__ = f"""Multi-layer perceptron regressor trained by nncore's C++ core.

    scikit-learn's MLPRegressor (same hyperparameters, defaults and meaning), plus
    nncore's extras (optimizer, momentum_form, rho, eps_inside, lr_schedule, dtype,
    num_threads). Identity output with squared error, or exponential output with the
    Poisson deviance (loss='poisson'); single or multi-output targets.
    Differences: docs/ecosystem.md.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson'}}, default='squared_error'
        As scikit-learn's: 'squared_error' is half the squared error with an identity
        output; 'poisson' half the Poisson deviance, y·log(y/ŷ) − y + ŷ summed over
        the outputs, with the log link (an exponential output layer, nncore.Exp, so
        predict returns ŷ = exp(z) > 0); it needs y >= 0.
{PARAMETERS}
    Attributes
    ----------
{ATTRIBUTES}
    See Also
    --------
    MLPClassifier : The classifier.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from nncore.sklearn import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=0.1, random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    """
