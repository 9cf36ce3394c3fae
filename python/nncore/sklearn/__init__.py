"""scikit-learn estimators on nncore: `MLPClassifier` and `MLPRegressor`.

    from nncore.sklearn import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=100, random_state=0).fit(X, y)
    clf.predict_proba(X); clf.score(X, y); clf.model_      # the nncore.Sequential

Every hyperparameter of `sklearn.neural_network.MLPClassifier` / `MLPRegressor` keeps its
name, default and meaning (solver "adam" | "sgd" | "lbfgs", learning_rate, momentum,
nesterovs_momentum, tol, n_iter_no_change, early_stopping, ...); scikit-learn's own
test_mlp.py runs against them (tests/test_sklearn_mlp_suite.py). nncore adds optimizer,
momentum_form, rho, eps_inside, lr_schedule, dtype and num_threads. Differences from
scikit-learn are listed in docs/ecosystem.md.

Package layout: _params (hyperparameter checks → nncore specs), _solvers (scikit-learn's
epoch rules on the native fit; L-BFGS), _base (shared fit), _classifier, _regressor, _docs,
_skl2onnx (converters for skl2onnx, registered by register_skl2onnx()).
"""
from __future__ import annotations

try:  # the optional dependency, named with the command that installs it
    import scipy  # noqa: F401
    import sklearn  # noqa: F401
except ImportError as e:
    raise ImportError("nncore.sklearn needs scikit-learn, which is not installed: "
                      "pip install nncore[sklearn]") from e

from ._classifier import MLPClassifier
from ._regressor import MLPRegressor
from ._skl2onnx import register_skl2onnx

__all__ = ["MLPClassifier", "MLPRegressor", "register_skl2onnx"]
