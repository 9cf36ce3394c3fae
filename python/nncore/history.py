"""What training reports: History (EarlyStopping lives with the callbacks).

Ground floor: pure Python, no compiled core; both models' fit use it.
"""
from __future__ import annotations

from typing import Optional

from .callbacks import EarlyStopping  # noqa: F401  (its old home)


class History:
    """What `fit` returns: `history` = {"loss": [...], "val_loss": [...], "lr": [...]}, one
    entry per epoch ("val_loss" only with validation data; the metrics= and their val_
    variants too); `epoch` = [0, 1, ...]."""

    def __init__(self, validation: bool) -> None:
        self.history: dict[str, list[float]] = {"loss": [], "lr": []}
        if validation:
            self.history["val_loss"] = []
        self.epoch: list[int] = []
        self.stop_reason = "completed"   # or "early_stopping", "callback"
        # with early_stopping: the epoch of the best loss
        self.best_epoch: Optional[int] = None

    def __repr__(self) -> str:
        last = {k: v[-1] for k, v in self.history.items() if v}
        return f"History(epochs={len(self.epoch)}, last={last})"
