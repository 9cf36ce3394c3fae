"""What training reports and when it stops early: History and EarlyStopping.

Ground floor: pure Python, no compiled core; both models' fit use them.
"""
from __future__ import annotations

from typing import Optional

from .checks import non_negative, positive_int


class History:
    """What `fit` returns: `history` = {"loss": [...], "val_loss": [...], "lr": [...]}, one
    entry per epoch ("val_loss" only with validation data); `epoch` = [0, 1, ...]."""

    def __init__(self, validation: bool) -> None:
        self.history: dict[str, list[float]] = {"loss": [], "lr": []}
        if validation:
            self.history["val_loss"] = []
        self.epoch: list[int] = []
        self.stop_reason = "completed"   # or "early_stopping"
        # with early_stopping: the epoch of the best loss
        self.best_epoch: Optional[int] = None

    def __repr__(self) -> str:
        last = {k: v[-1] for k, v in self.history.items() if v}
        return f"History(epochs={len(self.epoch)}, last={last})"


class EarlyStopping:
    """Stop when the monitored loss (val loss if there is validation data, else
    the training loss) has not improved by more than `min_delta` for `patience`
    epochs; with `restore_best`, the weights of the best epoch are restored."""

    def __init__(self, patience: int = 10, min_delta: float = 0.0,
                 restore_best: bool = True) -> None:
        self.patience = positive_int(patience, "EarlyStopping", "patience")
        self.min_delta = non_negative(min_delta, "EarlyStopping", "min_delta")
        self.restore_best = bool(restore_best)

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
                f"restore_best={self.restore_best})")
