"""Callbacks for `fit(callbacks=[...])`: EarlyStopping, ModelCheckpoint, CSVLogger.

fit calls, on every object in `callbacks` that has them (all optional, as Keras):
    set_model(model)             once, before training
    on_train_begin(logs)         once, before the first epoch
    on_epoch_end(epoch, logs)    after every epoch; returning False stops fit
    on_batch_end(batch, logs)    every `callback_every_batches` batches, when given
    on_train_end(logs)           once, after the last epoch, also when fit raises
A plain callable cb(epoch, logs) is an on_epoch_end. logs holds everything the epoch
logged: epoch, loss, lr, time, val_loss, accuracy and the metrics= (val_ variants too).

Ground floor: pure Python; a model is reached through its public face (save,
get_flat_parameters, set_flat_parameters), never imported.
"""
from __future__ import annotations

import csv
import math
import os
from typing import IO, Any, Mapping, Optional

from .checks import non_negative, positive_int
from .metrics import mode_of

Logs = Mapping[str, Any]


class Callback:
    """Base class (optional: any object with some of the methods works)."""

    model: Any = None

    def set_model(self, model: Any) -> None:
        self.model = model

    def on_train_begin(self, logs: Optional[Logs] = None) -> None:
        """Before the first epoch of a fit."""

    def on_epoch_end(self, epoch: int, logs: Logs) -> Optional[bool]:
        """After each epoch; False stops fit."""
        return None

    def on_train_end(self, logs: Optional[Logs] = None) -> None:
        """After the last epoch (also when fit raises)."""


class Monitor:
    """Tracks the best value of one logged quantity: "min" or "max" ("auto": max for
    accuracy, precision, recall, f1, auc, r2; min for losses, mae, mse). NaN never improves."""

    def __init__(self, monitor: str, mode: str, min_delta: float, owner: str) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(f"{owner}: monitor must be a logged name such as 'val_loss', "
                            f"got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            try:
                mode = mode_of(monitor)
            except ValueError as e:
                raise ValueError(f"{owner}: {e}") from None
        self.monitor, self.mode, self.min_delta, self.owner = monitor, mode, min_delta, owner
        self.best = math.inf if mode == "min" else -math.inf

    def value(self, logs: Logs) -> float:
        if self.monitor not in logs:
            raise ValueError(f"{self.owner}: monitor {self.monitor!r} is not logged; this fit "
                           f"logs {sorted(k for k in logs if k != 'epoch')} (val_ names need "
                           "validation_data or validation_split; metrics need metrics=[...])")
        return float(logs[self.monitor])

    def improved(self, value: float) -> bool:
        """True (and remembered) when value beats the best by more than min_delta."""
        better = (value < self.best - self.min_delta if self.mode == "min"
                  else value > self.best + self.min_delta)
        if better:
            self.best = value
        return better


class EarlyStopping(Callback):
    """Stop when the monitored quantity has not improved by more than `min_delta` for
    `patience` epochs; with `restore_best`, the weights of the best epoch are put back.

    monitor=None: val_loss if there is validation data, else loss (the core does this
    one itself); any other logged name (val_f1, accuracy, ...) with mode "auto", "min" or
    "max". Pass it as fit(early_stopping=...) or in callbacks=[...].
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0, restore_best: bool = True,
                 monitor: Optional[str] = None, mode: str = "auto") -> None:
        self.patience = positive_int(patience, "EarlyStopping", "patience")
        self.min_delta = non_negative(min_delta, "EarlyStopping", "min_delta")
        self.restore_best = bool(restore_best)
        if monitor is not None:
            Monitor(monitor, mode, self.min_delta, "EarlyStopping")  # checked now
        elif mode not in ("auto", "min"):
            raise ValueError("EarlyStopping: monitor=None watches a loss (mode 'min'); "
                             f"got mode={mode!r}")
        self.monitor, self.mode = monitor, mode
        self._reset()

    def _reset(self) -> None:
        self._tracker: Optional[Monitor] = None
        self._wait = 0
        self._best_params: Any = None
        self.best_epoch: Optional[int] = None
        self.stopped = False

    def on_train_begin(self, logs: Optional[Logs] = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs) -> Optional[bool]:
        if self._tracker is None:
            name = self.monitor or ("val_loss" if "val_loss" in logs else "loss")
            self._tracker = Monitor(name, self.mode, self.min_delta, "EarlyStopping")
        if self._tracker.improved(self._tracker.value(logs)):
            self._wait, self.best_epoch = 0, epoch
            if self.restore_best and self.model is not None:
                self._best_params = self.model.get_flat_parameters()
            return None
        self._wait += 1
        if self._wait >= self.patience:
            self.stopped = True
            return False
        return None

    def on_train_end(self, logs: Optional[Logs] = None) -> None:
        if self._best_params is not None and self.model is not None:
            self.model.set_flat_parameters(self._best_params)
            self._best_params = None

    def __repr__(self) -> str:
        extra = "" if self.monitor is None else f", monitor={self.monitor!r}, mode={self.mode!r}"
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
                f"restore_best={self.restore_best}{extra})")


class ModelCheckpoint(Callback):
    """Save the model (`model.save`: the data-only file, nothing executable) after epochs.

    filepath may hold {epoch} (the epoch index as in History.epoch, counted on over fits)
    and any logged name with a format, e.g. "ckpt-{epoch:03d}-{val_loss:.4f}.npz".
    save_best_only: save only when `monitor` improved (mode "auto", "min" or "max"), so a
    fixed filepath always holds the best model so far (a monitor this fit does not log is
    then an error; without save_best_only every epoch is saved and the monitor only
    followed). `best` is the best value seen, `saved` the paths written.
    """

    def __init__(self, filepath: str, monitor: str = "val_loss", mode: str = "auto",
                 save_best_only: bool = False, min_delta: float = 0.0) -> None:
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"ModelCheckpoint: filepath must be a path, got {filepath!r}")
        self.filepath = os.fspath(filepath)
        self.min_delta = non_negative(min_delta, "ModelCheckpoint", "min_delta")
        self._tracker = Monitor(monitor, mode, self.min_delta, "ModelCheckpoint")
        self.monitor, self.mode = monitor, self._tracker.mode
        self.save_best_only = bool(save_best_only)
        self.saved: list[str] = []

    @property
    def best(self) -> float:
        return self._tracker.best

    def on_epoch_end(self, epoch: int, logs: Logs) -> Optional[bool]:
        if self.save_best_only:
            if not self._tracker.improved(self._tracker.value(logs)):
                return None
        elif self.monitor in logs:  # every epoch is saved: the monitor is only followed
            self._tracker.improved(float(logs[self.monitor]))
        fields = {k: v for k, v in logs.items() if k != "epoch"}
        try:
            path = self.filepath.format(epoch=epoch, **fields)
        except (KeyError, IndexError, ValueError) as e:
            raise ValueError(f"ModelCheckpoint: filepath {self.filepath!r} names something "
                             f"this fit does not log ({e}); it logs epoch and "
                             f"{sorted(fields)}") from None
        self.model.save(path)
        self.saved.append(path)
        return None

    def __repr__(self) -> str:
        return (f"ModelCheckpoint({self.filepath!r}, monitor={self.monitor!r}, "
                f"mode={self.mode!r}, save_best_only={self.save_best_only})")


class CSVLogger(Callback):
    """One row per epoch with every logged quantity (epoch first, the rest by name), written
    and flushed as the epoch ends. append=True adds to an existing file under its header
    (a quantity that header lacks is refused, one it has but this fit lacks stays empty)."""

    def __init__(self, filename: str, separator: str = ",", append: bool = False) -> None:
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"CSVLogger: filename must be a path, got {filename!r}")
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be one character, got {separator!r}")
        self.filename, self.separator, self.append = os.fspath(filename), separator, bool(append)
        self._file: Optional[IO[str]] = None
        self._writer: Any = None
        self._columns: Optional[list[str]] = None

    def on_train_begin(self, logs: Optional[Logs] = None) -> None:
        self._columns = None
        if self.append and os.path.exists(self.filename) and os.path.getsize(self.filename):
            with open(self.filename, newline="", encoding="utf-8") as f:
                self._columns = next(csv.reader(f, delimiter=self.separator), None)
        self._file = open(self.filename, "a" if self.append else "w", newline="",
                          encoding="utf-8")
        self._writer = csv.writer(self._file, delimiter=self.separator)

    def on_epoch_end(self, epoch: int, logs: Logs) -> Optional[bool]:
        if self._file is None:
            raise RuntimeError("CSVLogger: on_epoch_end before on_train_begin")
        if self._columns is None:
            self._columns = ["epoch"] + sorted(k for k in logs if k != "epoch")
            self._writer.writerow(self._columns)
        extra = sorted(set(logs) - set(self._columns))
        if extra:
            raise ValueError(f"CSVLogger: {self.filename} has the columns {self._columns}; "
                             f"this fit also logs {extra} (append to a new file)")
        row = {**logs, "epoch": epoch}
        self._writer.writerow([_cell(row.get(c)) for c in self._columns])
        self._file.flush()
        return None

    def on_train_end(self, logs: Optional[Logs] = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __repr__(self) -> str:
        return f"CSVLogger({self.filename!r}, separator={self.separator!r}, append={self.append})"


def _cell(v: object) -> str:
    """repr of floats (round-trips exactly), '' for a missing value."""
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)
