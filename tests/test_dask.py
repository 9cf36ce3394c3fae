"""GridSearchCV over nncore estimators through joblib's Dask backend on a LocalCluster.

Needs the optional `dask[distributed]` (pip install 'nncore[dask]'; CI installs it
through the `test` extra). Skipped with that reason when it is missing.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip(
    "dask.distributed", reason="the Dask test needs the optional dask[distributed] "
                               "(pip install 'nncore[dask]')")

import joblib  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from nncore.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning",
                                        "ignore::DeprecationWarning", "ignore::ResourceWarning")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")  # any free port: runs beside others
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_grid_search_on_dask_matches_serial(client):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    grid = {"hidden_layer_sizes": [(8,), (16,)], "alpha": [1e-4, 1e-1]}
    est = MLPClassifier(max_iter=30, learning_rate_init=0.02, random_state=0)

    def threads(estimator, X, y):  # runs in the worker: the core's OpenMP pool size there
        import nncore
        return float(nncore.get_num_threads())

    search = GridSearchCV(est, grid, cv=3, n_jobs=-1, refit="accuracy",
                          scoring={"accuracy": "accuracy", "threads": threads})
    with joblib.parallel_config(backend="dask"):
        search.fit(X, y)
    assert len(client.scheduler_info()["workers"]) == 2
    assert np.all(search.cv_results_["mean_test_threads"] == 1.0)  # Dask sets OMP_NUM_THREADS=1
    serial = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
    np.testing.assert_array_equal(search.cv_results_["mean_test_accuracy"],
                                  serial.cv_results_["mean_test_score"])
    assert search.best_params_ == serial.best_params_
    assert search.best_score_ > 0.8
    np.testing.assert_array_equal(search.predict(X), serial.predict(X))


def test_regressor_search_on_dask(client):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=120)
    search = GridSearchCV(MLPRegressor(max_iter=40, learning_rate_init=0.01, random_state=0),
                          {"activation": ["tanh", "relu"]}, cv=2, n_jobs=-1)
    with joblib.parallel_config(backend="dask"):
        search.fit(X, y)
    assert search.best_score_ > 0.8


def test_example_script_runs_on_a_given_scheduler(client):
    # the example's one-line switch: --scheduler ADDRESS (here the test's LocalCluster)
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "dask_grid_search.py"),
                          "--scheduler", client.scheduler.address, "--max-iter", "10"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "best cross-validated accuracy" in out.stdout
