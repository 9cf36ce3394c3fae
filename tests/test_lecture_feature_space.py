"""Section 16 (feature space): the output layer is a plane in the hidden space."""
from __future__ import annotations

import numpy as np
import pytest

import nncore as nc
import nncore.lecture as L


@pytest.fixture(autouse=True)
def one_thread():
    old = nc.get_num_threads()
    nc.set_num_threads(1)
    yield
    nc.set_num_threads(old)


@pytest.mark.parametrize("hidden,epochs,train,test", [(3, 500, 0.87, 0.864),
                                                      (10, 500, 1.0, 0.995)])
def test_plane_in_feature_space_is_the_networks_decision(hidden, epochs, train, test):
    r = L.feature_space(hidden, epochs=epochs)   # the quick run's setting
    assert r["h"].shape == (100, hidden)
    assert r["plane_acc"] == r["train_acc"] == pytest.approx(train)
    assert r["test_acc"] == pytest.approx(test)
    # the signed distance is the output layer's logit over ‖w‖
    p = r["model"].predict(r["X"]).ravel()
    logit = np.log(p / (1 - p))
    np.testing.assert_allclose(r["distance"] * np.linalg.norm(r["w"]), logit, atol=1e-8)
