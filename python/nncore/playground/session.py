"""One browser tab's training run: its model, its data and the worker thread that trains.

The worker trains with the native `model.fit` (one call of `epochs_per_update`
epochs per update: the loop runs in C++ with the GIL released), then computes
the views and publishes them as one JSON snapshot with a version number; the
server only hands out the latest snapshot, so a request never waits for
training. Everything the worker touches is guarded by `lock`, which every
request that changes the run takes too; updates are paced to at most
MAX_UPDATES_PER_SECOND so idle-looking tabs do not burn both cores.
"""
from __future__ import annotations

import collections
import json
import threading
import time
from dataclasses import asdict
from typing import Any, Deque, Dict, List, Optional, Tuple

import numpy as np

from .. import io
from ..native import Sequential
from . import backprop
from .config import Config, index_check
from .datasets import make_split, view_box
from .views import Views

MAX_UPDATES_PER_SECOND = 40
MAX_CURVE_POINTS = 2000     # beyond this the curves keep every second point


class Session:
    def __init__(self, sid: str, config: Config):
        self.id = sid
        self.lock = threading.Condition()
        self.playing = False
        self.steps_wanted = 0
        self.closed = False
        self.last_seen = time.monotonic()
        self.version = 0
        self.snapshot = b"{}"
        # (number, rows): the curves' rows [epoch, train loss, test loss, train acc, test acc].
        # Rows are appended in place; thinning or a new run swaps in a new tuple with a new
        # number, so a reader without the lock always sees a matching pair.
        self.curves: Tuple[int, List[List[Optional[float]]]] = (0, [])
        self.data_version = 0
        self.error: Optional[str] = None
        self._rates: Deque[Tuple[float, int, int]] = collections.deque(maxlen=64)
        self._updates = 0
        self.config = config
        with self.lock:
            self._build(rebuild_data=True)
            self._publish()
        self.thread = threading.Thread(target=self._run, name=f"playground-{sid}", daemon=True)
        self.thread.start()

    # -- building (caller holds the lock, or nobody else can see the session yet) ----------
    def _build(self, rebuild_data: bool) -> None:
        c = self.config
        if rebuild_data:
            (self.X, y), (self.X_test, y_test) = make_split(c.data.name, c.data.noise,
                                                              c.data.seed)
            self.y_float, self.y_test_float = y, y_test
            self.data_version += 1
        labels = c.network.output == "softmax"
        self.y = self.y_float.astype(np.int64) if labels else self.y_float
        self.y_test = self.y_test_float.astype(np.int64) if labels else self.y_test_float
        self.model = Sequential(*c.network.layers(), dtype=np.float64, seed=c.network.seed)
        self.optimizer = c.training.make_optimizer()
        self.schedule = c.training.schedule()
        self.views = Views(self.model, view_box(self.X, self.X_test), self.X)
        self.curves = (self.curves[0] + 1, [])
        self.error = None
        self._rates.clear()
        self._record()

    def _record(self) -> None:
        c = self.config
        tr = self.model.evaluate(self.X, self.y, loss=c.network.loss, l1=c.training.l1,
                                 l2=c.training.l2)
        te = self.model.evaluate(self.X_test, self.y_test, loss=c.network.loss)
        row = [_finite(v) for v in (tr["loss"], te["loss"], tr["accuracy"], te["accuracy"])]
        self.metrics = dict(zip(("train_loss", "test_loss", "train_accuracy", "test_accuracy"),
                                row))
        number, rows = self.curves
        if None not in row:                # a diverged run's inf loss is not drawn
            rows.append([self.epoch, *row])
        if len(rows) > MAX_CURVE_POINTS:
            self.curves = (number + 1, rows[::2])

    @property
    def epoch(self) -> int:
        return int(self.model._epochs_done)

    def _publish(self) -> None:
        """A new snapshot; if the views cannot be made, one that says why (the run stops)."""
        try:
            views = self.views.compute()
            body = self._snapshot(views)
        except Exception as e:  # noqa: BLE001 - the worker must outlive any bug in a view
            self.playing = False
            self.error = f"playground: could not draw this run ({type(e).__name__}: {e})"
            body = self._snapshot(None)
        self.snapshot = body
        self.version += 1

    def _snapshot(self, views: Optional[Dict[str, Any]]) -> bytes:
        now = time.monotonic()
        self._updates += 1
        self._rates.append((now, self.epoch, self._updates))
        t0, e0, u0 = self._rates[0]
        dt = now - t0
        snap = {"version": self.version + 1, "epoch": self.epoch, "playing": self.playing,
                "num_parameters": self.model.num_parameters, "metrics": self.metrics,
                "epochs_per_second": (self.epoch - e0) / dt if dt > 0 else 0.0,
                "updates_per_second": (self._updates - u0) / dt if dt > 0 else 0.0,
                "lr": self.current_lr(), "error": self.error, "data_version": self.data_version,
                **(views or {"boundary": None, "neurons": [], "features": [], "weights": [],
                             "widths": []})}
        return json.dumps(snap, allow_nan=False).encode()

    def current_lr(self) -> float:
        lr = self.optimizer.lr
        return float(self.schedule.lr_at(self.epoch, lr) if self.schedule else lr)

    # -- the worker ---------------------------------------------------------------------
    def _run(self) -> None:
        last = 0.0
        while True:
            with self.lock:
                while not self.closed and not (self.playing or self.steps_wanted):
                    self.lock.wait()
                if self.closed:
                    return
                epochs = self.config.training.epochs_per_update if self.playing else 1
                self.steps_wanted = 0 if self.playing else self.steps_wanted - 1
                self._train(epochs)
                self._publish()
                playing = self.playing
            if playing:  # pace outside the lock: requests get in between updates
                pause = last + 1.0 / MAX_UPDATES_PER_SECOND - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                last = time.monotonic()

    def _train(self, epochs: int) -> None:
        t = self.config.training
        try:
            self.model.fit(self.X, self.y, loss=self.config.network.loss,
                           optimizer=self.optimizer, epochs=epochs,
                           batch_size=min(t.batch_size, self.X.shape[0]), l1=t.l1, l2=t.l2,
                           lr_schedule=self.schedule, verbose=0)
        except (FloatingPointError, ValueError) as e:
            self.playing = False
            self.error = f"training stopped: {e}"
        except Exception as e:  # noqa: BLE001 - the worker must outlive anything fit raises
            self.playing = False
            self.error = f"training stopped: {type(e).__name__}: {e}"
        self._record()

    # -- what requests do ---------------------------------------------------------------
    def control(self, action: str) -> None:
        with self.lock:
            if action == "play":
                self.playing, self.error = True, None
            elif action == "pause":
                self.playing = False
            elif action == "step":
                self.playing = False
                self.steps_wanted = min(self.steps_wanted + 1, 10)
            elif action == "reset":
                self.playing, self.steps_wanted = False, 0
                self._build(rebuild_data=False)
                self._publish()
            else:
                raise ValueError(f"playground: action must be play, pause, step or reset, "
                                 f"got {action!r}")
            self.lock.notify_all()

    def configure(self, obj: Any) -> None:
        """New settings; data or network changes start a new run, training ones continue."""
        new = Config.parse(obj, base=self.config)   # checked before anything changes
        with self.lock:
            old, self.config = self.config, new
            if new.data != old.data or new.network != old.network:
                self.playing, self.steps_wanted = False, 0
                self._build(rebuild_data=new.data != old.data)
            elif new.training != old.training:
                # A new optimizer object starts fresh state (m, v, t), as in nncore's fit.
                self.optimizer = new.training.make_optimizer()
                self.schedule = new.training.schedule()
            self._publish()

    def backprop(self, index: Any) -> Dict[str, Any]:
        with self.lock:
            self.playing, self.steps_wanted = False, 0
            i = index_check(index, self.X.shape[0], "point")
            t = self.config.training
            out = backprop.step_through(self.model, self.X, self.y, i,
                                        self.config.network.loss, t.l1, t.l2)
            self._publish()
            return out

    def model_bytes(self) -> bytes:
        with self.lock:
            return bytes(io.to_bytes(self.model, include_optimizer=True))

    def data(self) -> Dict[str, Any]:
        with self.lock:
            return {"data_version": self.data_version, "box": self.views.box,
                    "train": np.round(self.X, 5).tolist(), "train_y": self.y_float.tolist(),
                    "test": np.round(self.X_test, 5).tolist(),
                    "test_y": self.y_test_float.tolist(), **self.views.meta(),
                    "config": config_json(self.config)}

    def curve_since(self, start: int, curve_epoch: int) -> Dict[str, Any]:
        """The curve rows from `start` on (all of them if the curves were renumbered).
        Lock-free: the server's event loop calls it while the worker trains."""
        number, rows = self.curves
        if curve_epoch != number:
            start = 0
        return {"curve_epoch": number, "curve_start": start, "curve": rows[start:]}

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.lock.notify_all()


def _finite(v: float) -> Optional[float]:
    """v, or None (JSON null, "–" on the page) where a diverged run made it inf or NaN."""
    return float(v) if np.isfinite(v) else None


def config_json(c: Config) -> Dict[str, Any]:
    return asdict(c)
