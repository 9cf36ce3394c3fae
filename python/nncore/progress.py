"""A one-line progress bar for fit (epochs, loss, val loss, ETA), on stderr."""
from __future__ import annotations

import sys
from typing import Mapping, Optional, TextIO


class ProgressBar:
    """Redrawn in place at most every `interval` seconds (the core decides when)."""

    def __init__(self, epochs: int, first_epoch: int = 0, stream: Optional[TextIO] = None,
                 width: int = 24) -> None:
        self.epochs = epochs
        self.first = first_epoch
        self.stream = stream or sys.stderr
        self.width = width

    def update(self, logs: Mapping[str, float]) -> None:
        done = logs["epoch"] - self.first + 1
        frac = done / self.epochs
        filled = int(self.width * frac)
        bar = "=" * filled + (">" if filled < self.width else "") + " " * (self.width - filled - 1)
        eta = logs["time"] / done * (self.epochs - done) if done else 0.0
        parts = [f"epoch {done}/{self.epochs} [{bar[:self.width]}]", f"loss {logs['loss']:.4g}"]
        if "accuracy" in logs:
            parts.append(f"acc {logs['accuracy']:.3f}")
        if "val_loss" in logs:
            parts.append(f"val_loss {logs['val_loss']:.4g}")
        if "val_accuracy" in logs:
            parts.append(f"val_acc {logs['val_accuracy']:.3f}")
        parts.append(f"ETA {eta:.1f}s")
        self.stream.write("\r" + "  ".join(parts) + " ")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()
