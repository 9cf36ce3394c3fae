"""dask-ml's Incremental wrapper trains nncore's estimators block by block through
partial_fit, over a Dask array larger than the only worker's memory limit.

Needs the optional dask[distributed] and dask-ml (CI installs both through the `test`
extra); skipped with that reason when they are missing.
"""
from __future__ import annotations

import numpy as np
import pytest

distributed = pytest.importorskip(
    "dask.distributed", reason="needs the optional dask[distributed] (pip install 'nncore[dask]')")
wrappers = pytest.importorskip("dask_ml.wrappers",
                               reason="needs the optional dask-ml (pip install dask-ml)")
import dask.array as da  # noqa: E402

from nncore.sklearn import MLPClassifier  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning",
                                        "ignore::FutureWarning", "ignore::UserWarning")

MEMORY_LIMIT = 600 * 2**20  # bytes the one worker may use


def _blocks(seed, rows, chunk, features):
    """A lazy design matrix and its labels (y = 1 where x0 + x1 > 1)."""
    X = da.random.RandomState(seed).random_sample((rows, features), chunks=(chunk, features))
    y = ((X[:, 0] + X[:, 1]) > 1.0).astype(np.int64)
    return X, y


def test_incremental_partial_fit_over_data_larger_than_the_worker():
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                       memory_limit=MEMORY_LIMIT, dashboard_address=None)
    try:
        with distributed.Client(cluster) as client:
            X, y = _blocks(0, rows=1_000_000, chunk=50_000, features=100)
            assert X.nbytes > MEMORY_LIMIT  # 800 MB of float64 for a 600 MiB worker
            inc = wrappers.Incremental(MLPClassifier(hidden_layer_sizes=(8,), solver="sgd",
                                                     learning_rate_init=0.05, batch_size=200,
                                                     random_state=0),
                                       scoring="accuracy", shuffle_blocks=False)
            inc.fit(X, y, classes=[0, 1])
            est = inc.estimator_
            assert est.t_ == 1_000_000
            Xt, yt = _blocks(1, rows=20_000, chunk=20_000, features=100)
            Xt, yt = Xt.compute(), yt.compute()
            assert est.score(Xt, yt) > 0.95
            assert len(client.scheduler_info()["workers"]) == 1
    finally:
        cluster.close()
