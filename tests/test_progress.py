"""nncore.progress: the progress bar fit draws on stderr."""
import io

import numpy as np

import nncore as nc
from nncore.progress import ProgressBar


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2))
    return X, (X[:, 0] > 0).astype(float)


def test_verbose_fit_draws_epochs_loss_val_loss_and_eta(capsys):
    X, y = _data()
    m = nc.Sequential(nc.Dense(2, 4), nc.Tanh(), nc.Dense(4, 1), nc.Sigmoid(), seed=0)
    m.fit(X, y, optimizer=nc.Adam(0.05), epochs=5, batch_size=16, verbose=1,
          validation_split=0.25)
    err = capsys.readouterr().err
    last = err.strip().split("\r")[-1]
    for part in ("epoch 5/5", "loss", "acc", "val_loss", "val_acc", "ETA"):
        assert part in last, (part, last)
    assert err.endswith("\n")


def test_auto_verbose_is_silent_off_a_terminal(capsys):
    X, y = _data()
    m = nc.Sequential(nc.Dense(2, 1), nc.Sigmoid(), seed=0)
    m.fit(X, y, epochs=3)  # pytest's stderr is not a terminal
    assert capsys.readouterr().err == ""


def test_bar_fills_and_estimates_the_time_left():
    out = io.StringIO()
    bar = ProgressBar(10, first_epoch=0, stream=out, width=10)
    bar.update({"epoch": 4, "loss": 0.5, "time": 2.5})   # 5 of 10 epochs in 2.5 s
    line = out.getvalue()
    assert "epoch 5/10 [=====>    ]" in line and "ETA 2.5s" in line
