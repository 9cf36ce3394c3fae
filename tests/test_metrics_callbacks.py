"""metrics= in fit and evaluate (checked against sklearn.metrics), the callbacks
ModelCheckpoint, CSVLogger and EarlyStopping(monitor=...), in the core and the reference."""
import csv

import numpy as np
import pytest
from sklearn import metrics as skm

import nncore as nc
import nncore.reference as ref
from nncore import metrics as ncm

BINARY = ["accuracy", "precision", "recall", "f1", "auc"]


def binary_data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.8, size=n) > 0).astype(float)
    return X, y


def binary_model(cls=nc.Sequential, seed=0):
    return cls(nc.Dense(4, 6), nc.Tanh(), nc.Dense(6, 1), nc.Sigmoid(), seed=seed)


def sk_binary(y, p):
    return {"accuracy": skm.accuracy_score(y, p > 0.5),
            "precision": skm.precision_score(y, p > 0.5, zero_division=0),
            "recall": skm.recall_score(y, p > 0.5, zero_division=0),
            "f1": skm.f1_score(y, p > 0.5, zero_division=0),
            "auc": skm.roc_auc_score(y, p)}


def test_binary_metrics_match_sklearn_on_ties_and_random_scores():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200).astype(float)
    for p in (rng.random(200), np.round(rng.random(200), 1)):  # the second has many ties
        got = ncm.compute(BINARY, p[:, None], y[:, None], None, "bce")
        assert got == pytest.approx(sk_binary(y, p), rel=1e-12)


def test_two_class_softmax_uses_class_one_as_positive():
    rng = np.random.default_rng(2)
    h = rng.random((50, 2))
    h /= h.sum(axis=1, keepdims=True)
    labels = rng.integers(0, 2, 50)
    got = ncm.compute(["precision", "recall", "f1", "auc"], h, None, labels, "ce")
    pred = np.argmax(h, axis=1)
    assert got["precision"] == pytest.approx(skm.precision_score(labels, pred))
    assert got["recall"] == pytest.approx(skm.recall_score(labels, pred))
    assert got["f1"] == pytest.approx(skm.f1_score(labels, pred))
    assert got["auc"] == pytest.approx(skm.roc_auc_score(labels, h[:, 1]))


def test_undefined_values():
    y = np.zeros((4, 1))
    p = np.array([[0.1], [0.2], [0.3], [0.4]])
    got = ncm.compute(BINARY, p, y, None, "bce")
    assert got["precision"] == got["recall"] == got["f1"] == 0.0
    assert np.isnan(got["auc"])
    assert ncm.r2(np.ones((3, 1)), np.ones((3, 1)), None, "mse") == 1.0


def test_fit_logs_val_metrics_that_match_sklearn_on_the_final_weights():
    X, y = binary_data()
    m = binary_model()
    h = m.fit(X[:80], y[:80], optimizer=nc.Adam(lr=0.05), epochs=5, batch_size=16,
              metrics=BINARY, validation_data=(X[80:], y[80:]), verbose=0)
    p = m.predict(X[80:])[:, 0]
    for name, value in sk_binary(y[80:], p).items():
        assert len(h.history["val_" + name]) == 5
        assert h.history["val_" + name][-1] == pytest.approx(value, rel=1e-12), name
        assert len(h.history[name]) == 5


def test_training_metrics_come_from_the_outputs_before_each_update():
    # full batch: epoch e's outputs are the predictions of the weights after epoch e − 1
    X, y = binary_data()
    m = binary_model()
    seen = []
    h = m.fit(X, y, optimizer=nc.SGD(lr=0.5), epochs=3, batch_size=len(X), metrics=BINARY,
              callbacks=[lambda e, logs: seen.append(m.predict(X)[:, 0])], verbose=0)
    for e in (1, 2):
        for name, value in sk_binary(y, seen[e - 1]).items():
            assert h.history[name][e] == pytest.approx(value, rel=1e-12), (name, e)


def test_core_and_reference_log_the_same_metrics():
    X, y = binary_data()
    hs = []
    for cls in (nc.Sequential, ref.Sequential):
        kw = {} if cls is ref.Sequential else {"verbose": 0}
        hs.append(binary_model(cls).fit(X[:90], y[:90], optimizer=nc.SGD(lr=0.3), epochs=4,
                                        batch_size=10, metrics=BINARY,
                                        validation_data=(X[90:], y[90:]), **kw).history)
    for k in [*BINARY, *("val_" + n for n in BINARY), "loss", "val_loss"]:
        np.testing.assert_allclose(hs[0][k], hs[1][k], rtol=1e-12, err_msg=k)


def test_regression_metrics_in_fit_and_evaluate_match_sklearn():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 3))
    Y = np.c_[X @ [1.0, -2.0, 0.5], X[:, 0] ** 2]
    m = nc.Sequential(nc.Dense(3, 8), nc.Tanh(), nc.Dense(8, 2), seed=0)
    h = m.fit(X[:70], Y[:70], optimizer=nc.Adam(lr=0.02), epochs=4, metrics=["mae", "mse", "r2"],
              validation_data=(X[70:], Y[70:]), verbose=0)
    P = m.predict(X[70:])
    assert h.history["val_mae"][-1] == pytest.approx(skm.mean_absolute_error(Y[70:], P))
    assert h.history["val_mse"][-1] == pytest.approx(skm.mean_squared_error(Y[70:], P))
    assert h.history["val_r2"][-1] == pytest.approx(skm.r2_score(Y[70:], P))
    r = m.evaluate(X, Y, metrics=["mae", "r2"])
    P = m.predict(X)
    assert r["mae"] == pytest.approx(skm.mean_absolute_error(Y, P), rel=1e-12)
    assert r["r2"] == pytest.approx(skm.r2_score(Y, P), rel=1e-12)
    assert r["mse"] == pytest.approx(skm.mean_squared_error(Y, P), rel=1e-12)


def test_evaluate_binary_metrics():
    X, y = binary_data()
    m = binary_model()
    m.fit(X, y, epochs=3, verbose=0)
    r = m.evaluate(X, y, metrics=BINARY)
    assert {k: r[k] for k in BINARY} == pytest.approx(sk_binary(y, m.predict(X)[:, 0]),
                                                        rel=1e-12)


@pytest.mark.parametrize("model, y, metrics, message", [
    ("binary", None, ["nope"], "fit: unknown metric 'nope'"),
    ("binary", None, ["mae"], "fit: metric 'mae' is for regression"),
    ("reg", None, ["f1"], "fit: metric 'f1' is for classification"),
    ("multi", None, ["auc"], "fit: metric 'auc' is for binary classification"),
])
def test_bad_metrics(model, y, metrics, message):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 4))
    if model == "binary":
        m, y = binary_model(), (X[:, 0] > 0).astype(float)
    elif model == "reg":
        m, y = nc.Sequential(nc.Dense(4, 1), seed=0), X[:, 0]
    else:
        m, y = nc.Sequential(nc.Dense(4, 3), nc.Softmax(), seed=0), np.arange(10) % 3
    before = m.get_flat_parameters()
    with pytest.raises(ValueError, match=message):
        m.fit(X, y, metrics=metrics, verbose=0)
    assert np.array_equal(before, m.get_flat_parameters())


@pytest.mark.parametrize("cls", [nc.Sequential, ref.Sequential])
def test_model_checkpoint_keeps_the_best(tmp_path, cls):
    X, y = binary_data()
    m = binary_model(cls)
    best_path = tmp_path / "best.npz"
    every = nc.ModelCheckpoint(str(tmp_path / "e{epoch:02d}-{val_loss:.3f}.npz"),
                               monitor="val_loss")
    best = nc.ModelCheckpoint(best_path, monitor="val_auc", save_best_only=True)
    snapshots = []
    kw = {} if cls is ref.Sequential else {"verbose": 0}
    h = m.fit(X[:60], y[:60], optimizer=nc.SGD(lr=2.0), epochs=8, batch_size=8,
              metrics=["auc"], validation_data=(X[60:], y[60:]),
              callbacks=[every, best, lambda e, logs: snapshots.append(m.get_flat_parameters())],
              **kw)
    assert len(every.saved) == 8 and every.saved[3].endswith(
        f"e03-{h.history['val_loss'][3]:.3f}.npz")
    aucs = h.history["val_auc"]
    first_best = int(np.argmax(aucs))  # argmax: the first of equal maxima, as save_best_only
    assert best.best == max(aucs) and len(best.saved) >= 1
    loaded = nc.load(best_path, cls)
    np.testing.assert_array_equal(loaded.get_flat_parameters(), snapshots[first_best])
    # the per-epoch files hold the weights of their epoch
    np.testing.assert_array_equal(nc.load(every.saved[5], cls).get_flat_parameters(),
                                  snapshots[5])


def test_model_checkpoint_refuses_an_unlogged_monitor(tmp_path):
    X, y = binary_data()
    m = binary_model()
    every = nc.ModelCheckpoint(str(tmp_path / "m{epoch}.npz"))  # saves, monitor or not
    m.fit(X, y, epochs=2, callbacks=[every], verbose=0)
    assert len(every.saved) == 2
    best = nc.ModelCheckpoint(str(tmp_path / "m.npz"), save_best_only=True)
    with pytest.raises(ValueError, match="ModelCheckpoint: monitor 'val_loss' is not logged"):
        m.fit(X, y, epochs=2, callbacks=[best], verbose=0)
    assert len(m.history_.epoch) == 1  # the epoch that ran is kept
    with pytest.raises(ValueError, match=r"ModelCheckpoint: filepath 'm\{nope\}.npz' names"):
        m.fit(X, y, epochs=1, callbacks=[nc.ModelCheckpoint("m{nope}.npz")], verbose=0)
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max'"):
        nc.ModelCheckpoint("x.npz", mode="best")


@pytest.mark.parametrize("cls", [nc.Sequential, ref.Sequential])
def test_csv_logger_writes_every_logged_quantity(tmp_path, cls):
    X, y = binary_data()
    path = tmp_path / "log.csv"
    kw = {} if cls is ref.Sequential else {"verbose": 0}
    m = binary_model(cls)
    h = m.fit(X[:90], y[:90], epochs=3, metrics=["f1"], validation_data=(X[90:], y[90:]),
              callbacks=[nc.CSVLogger(path)], **kw)
    h2 = m.fit(X[:90], y[:90], epochs=2, metrics=["f1"], validation_data=(X[90:], y[90:]),
               callbacks=[nc.CSVLogger(path, append=True)], **kw)
    text = path.read_text()
    rows = list(csv.DictReader(text.splitlines()))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3, 4]
    assert {"loss", "val_loss", "f1", "val_f1", "lr", "time"} <= set(rows[0])
    for key in ("loss", "val_loss", "f1", "val_f1", "lr"):
        assert [float(r[key]) for r in rows] == h.history[key] + h2.history[key]
    assert text.count("epoch") == 1  # one header


def test_early_stopping_on_loss_as_a_callback_equals_the_core_path():
    X, y = binary_data()
    runs = []
    for stopping in (nc.EarlyStopping(patience=2, min_delta=1e-3),
                     nc.EarlyStopping(patience=2, min_delta=1e-3, monitor="loss")):
        m = binary_model()
        h = m.fit(X, y, optimizer=nc.SGD(lr=0.05), epochs=200, early_stopping=stopping,
                  verbose=0)
        runs.append((h.epoch, h.best_epoch, h.stop_reason, m.get_flat_parameters()))
    assert runs[0][2] == "early_stopping" and len(runs[0][0]) < 200
    assert runs[0][:3] == runs[1][:3]
    np.testing.assert_array_equal(runs[0][3], runs[1][3])


@pytest.mark.parametrize("cls", [nc.Sequential, ref.Sequential])
def test_early_stopping_on_a_metric_in_callbacks(cls):
    X, y = binary_data()
    m = binary_model(cls)
    snapshots = []
    stop = nc.EarlyStopping(patience=3, monitor="val_accuracy")
    kw = {} if cls is ref.Sequential else {"verbose": 0}
    h = m.fit(X[:60], y[:60], optimizer=nc.SGD(lr=0.5), epochs=300, metrics=["accuracy"],
              validation_data=(X[60:], y[60:]),
              callbacks=[lambda e, logs: snapshots.append(m.get_flat_parameters()), stop], **kw)
    acc = h.history["val_accuracy"]
    assert h.stop_reason == "early_stopping" and len(acc) < 300
    assert h.best_epoch == int(np.argmax(acc))
    np.testing.assert_array_equal(m.get_flat_parameters(), snapshots[h.best_epoch])


def test_progress_line_shows_the_metrics():
    import io
    stream = io.StringIO()
    X, y = binary_data()
    lines = nc.progress.EpochLines(1, 0, len(X), stream)
    lines.update({"epoch": 0, "loss": 0.5, "f1": 0.75, "val_auc": 0.8125, "time": 0.1})
    assert "f1 0.750" in stream.getvalue() and "val_auc 0.812" in stream.getvalue()
