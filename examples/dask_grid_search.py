"""Grid search over nncore estimators on a Dask cluster (joblib's Dask backend).

    pip install "nncore[dask]"
    python examples/dask_grid_search.py                          # a LocalCluster on this machine
    python examples/dask_grid_search.py --scheduler tcp://10.0.0.5:8786   # a real cluster

The only line that changes for a real cluster is the Client: Client("tcp://host:8786")
instead of Client(LocalCluster(...)). Each Dask worker trains one candidate at a time
with nncore's core on one thread (Dask sets OMP_NUM_THREADS=1 in its workers), so
workers × threads_per_worker should match the cores you have.
"""
import argparse

import joblib
from dask.distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nncore.sklearn import MLPClassifier

PARAM_GRID = {
    "mlpclassifier__hidden_layer_sizes": [(32,), (64,)],
    "mlpclassifier__alpha": [1e-4, 1e-2],
    "mlpclassifier__optimizer": ["adam", "momentum"],
}


def grid_search(X, y, max_iter=60):
    """The search to run; call it inside `joblib.parallel_config(backend="dask")`."""
    pipe = make_pipeline(StandardScaler(),
                         MLPClassifier(max_iter=max_iter, learning_rate_init=0.01, tol=1e-3,
                                       n_iter_no_change=3, random_state=0))
    search = GridSearchCV(pipe, PARAM_GRID, cv=3, n_jobs=-1)
    with joblib.parallel_config(backend="dask"):
        search.fit(X, y)
    return search


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", help="address of a running Dask scheduler "
                        "(default: start a LocalCluster with 2 single-threaded workers)")
    parser.add_argument("--max-iter", type=int, default=60)
    args = parser.parse_args(argv)
    X, y = load_digits(return_X_y=True)
    if args.scheduler:
        client = Client(args.scheduler)            # <- the one line for a real cluster
    else:
        client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None))
    with client:
        print(f"Dask workers: {len(client.scheduler_info()['workers'])}")
        search = grid_search(X, y, max_iter=args.max_iter)
    print(f"best parameters: {search.best_params_}")
    print(f"best cross-validated accuracy: {search.best_score_:.3f}")
    return search


if __name__ == "__main__":
    main()
