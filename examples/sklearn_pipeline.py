"""nncore's MLPClassifier in a scikit-learn Pipeline, cross-validated and grid-searched.

    python examples/sklearn_pipeline.py
"""
import warnings

import nncore as nc
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nncore.sklearn import MLPClassifier

warnings.simplefilter("ignore", ConvergenceWarning)  # short runs on purpose

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

pipe = make_pipeline(
    StandardScaler(),
    MLPClassifier(hidden_layer_sizes=(64,), activation="tanh",
                  optimizer="momentum", momentum=0.9,          # the lecture's EMA momentum
                  learning_rate_init=0.1, lr_schedule=nc.StepDecay(step_size=10, gamma=0.5),
                  max_iter=40, random_state=0),
)
print("5-fold accuracy:", cross_val_score(pipe, X_train, y_train, cv=5).round(3))

# Two processes; inside each, nncore's core uses cpu_count // n_jobs threads (1 on 2 cores).
search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-1],
                             "mlpclassifier__hidden_layer_sizes": [(32,), (64,)]},
                      cv=3, n_jobs=2)
search.fit(X_train, y_train)
print("best:", search.best_params_, f"cv accuracy {search.best_score_:.3f}")
print(f"test accuracy: {search.score(X_test, y_test):.3f}")

clf = search.best_estimator_[-1]
print(f"{clf.n_iter_} epochs, final loss {clf.loss_curve_[-1]:.4f}; network: {clf.model_}")
