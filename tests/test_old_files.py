"""Files written by nncore before the house was rebuilt (main 7e9c6fc) still load: the
data-only model file, a pickled Sequential (it names `nncore.model.Sequential`) and a
pickled MLPClassifier. tests/data holds those files, written by that version's code
from the data below, with the outputs it computed then."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

import nncore as nc

DATA = Path(__file__).parent / "data"
EXPECTED = np.load(DATA / "expected_7e9c6fc.npz")


def xor_like():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    return X, (X[:, 0] * X[:, 1] > 0).astype(float)


def old_pickle(name):
    with open(DATA / name, "rb") as f:
        return pickle.load(f)


@pytest.mark.parametrize("how", ["file", "pickle"])
def test_an_old_model_predicts_and_trains_on_as_it_did(how):
    X, y = xor_like()
    model = nc.load(DATA / "model_7e9c6fc.nncore") if how == "file" else old_pickle("model_7e9c6fc.pkl")
    assert isinstance(model, nc.Sequential)
    np.testing.assert_array_equal(model.predict(X), EXPECTED["pred"])
    # The file carried Adam's moments and step count: two more epochs land where the
    # old version's two more epochs landed (the tiny path may round differently).
    model.fit(X, y, epochs=2, batch_size=32, loss="bce", seed=2, verbose=0)
    np.testing.assert_allclose(model.predict(X), EXPECTED["cont"], rtol=1e-12, atol=1e-15)


@pytest.mark.filterwarnings("ignore::UserWarning")   # scikit-learn: pickled by another version
def test_an_old_pickled_classifier_predicts_as_it_did():
    pytest.importorskip("sklearn")
    X, _ = xor_like()
    clf = old_pickle("clf_7e9c6fc.pkl")
    np.testing.assert_allclose(clf.predict_proba(X), EXPECTED["clf_proba"], rtol=1e-12, atol=1e-15)
