"""What `fit` shows while it trains: a progress bar, or one line per epoch.

verbose (as Keras):
    "auto"  a bar on a terminal or in a notebook, nothing when output is piped
    1       the bar: tqdm, so it fits the terminal's width, redraws in place, shows a
            widget in notebooks (text there without ipywidgets), and ends with the
            elapsed time and samples/s
    2       one line per epoch (for logs and CI), no redrawing
    0       nothing

The native loop reports at most every 0.1 s (bar) or once per epoch (lines), so a
long fit costs the bar a few hundred Python calls, not one per batch.
Ground floor: pure Python (tqdm), no compiled core.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Any, Mapping, Optional, TextIO, Union

VERBOSE = ("auto", 0, 1, 2)

Logs = Mapping[str, float]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where stderr is not a terminal but a bar shows)."""
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    return get_ipython is not None and type(get_ipython()).__name__ == "ZMQInteractiveShell"


def check_verbose(verbose: object, fn: str) -> int:
    """verbose → 0, 1 or 2 ("auto": 1 on a terminal or in a notebook, else 0)."""
    if isinstance(verbose, bool) or verbose not in VERBOSE:
        raise ValueError(f"{fn}: verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    if verbose == "auto":
        return 1 if sys.stderr.isatty() or in_notebook() else 0
    return int(verbose)


_METRICS = (("precision", "prec", ".3f"), ("recall", "rec", ".3f"), ("f1", "f1", ".3f"),
            ("auc", "auc", ".3f"), ("mae", "mae", ".4g"), ("mse", "mse", ".4g"),
            ("r2", "r2", ".3f"))
_NAMES = (("loss", "loss", ".4g"), ("accuracy", "acc", ".3f"), *_METRICS,
          ("val_loss", "val_loss", ".4g"), ("val_accuracy", "val_acc", ".3f"),
          *((f"val_{k}", f"val_{s}", f) for k, s, f in _METRICS))
# What the bar keeps when the terminal is narrow: losses first, then accuracies, then
# the other metrics (validation before training).
_PRIORITY = ("loss", "val_loss", "acc", "val_acc",
             *(p for _, s, _ in _METRICS for p in (f"val_{s}", s)))


def _metrics(logs: Logs) -> str:
    return "  ".join(f"{short} {logs[key]:{fmt}}" for key, short, fmt in _NAMES if key in logs)


def _fit(parts: list[str], room: Optional[int]) -> str:
    """Join as many parts (in the given priority) as fit in `room` columns, shown in
    their original order."""
    if room is None:
        return "  ".join(parts)
    kept: list[str] = []
    for part in sorted(parts, key=lambda p: _PRIORITY.index(p.split()[0])
                       if p.split()[0] in _PRIORITY else -1):
        if len("  ".join(kept + [part])) > room:
            break  # strict priority: nothing less important after a part that did not fit
        kept.append(part)
    return "  ".join(p for p in parts if p in kept)


def _columns(stream: TextIO) -> Optional[int]:
    """The terminal's width for a terminal stream; None (no limit) elsewhere."""
    try:
        return os.get_terminal_size(stream.fileno()).columns if stream.isatty() else None
    except (AttributeError, OSError, ValueError):
        return None


def _rate(samples: int, seconds: float) -> str:
    if seconds <= 0:
        return "- samples/s"
    r = samples / seconds
    return (f"{r:.0f}" if r < 1e4 else f"{r / 1e3:.0f}k" if r < 1e6 else f"{r / 1e6:.1f}M") + \
        " samples/s"


class ProgressBar:
    """A tqdm bar over epochs; the metrics of the last report as its postfix."""

    def __init__(self, epochs: int, first_epoch: int = 0, samples_per_epoch: int = 0,
                 stream: Optional[TextIO] = None) -> None:
        from tqdm.auto import tqdm  # the notebook widget where ipywidgets is present

        self.first = first_epoch
        self.samples_per_epoch = samples_per_epoch
        self.done = 0
        self.t0 = time.perf_counter()
        self.stream = stream or sys.stderr
        self.metrics: list[str] = []
        self.bar: Any = tqdm(total=epochs, unit="epoch", file=self.stream, dynamic_ncols=True,
                             leave=True, mininterval=0.1,
                             bar_format="{n_fmt}/{total_fmt} {bar} {elapsed}<{remaining}{postfix}")
        # "12/40 " + a bar of at least 10 + " 00:03<00:09" + ", " before the metrics
        self.fixed = 2 * len(str(epochs)) + 2 + 10 + 12 + 2

    def _room(self) -> Optional[int]:
        cols = _columns(self.stream)
        return None if cols is None else max(cols - 1 - self.fixed, 0)

    def update(self, logs: Logs) -> None:
        self.done = int(logs["epoch"]) - self.first + 1
        self.metrics = _metrics(logs).split("  ")
        self.bar.update(self.done - self.bar.n)
        self.bar.set_postfix_str(_fit(self.metrics, self._room()), refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        rate = _rate(self.done * self.samples_per_epoch, time.perf_counter() - self.t0)
        self.bar.set_postfix_str(_fit([rate] + self.metrics, self._room()), refresh=False)
        self.bar.close()


class EpochLines:
    """verbose=2: one plain line per epoch, then a summary line."""

    def __init__(self, epochs: int, first_epoch: int = 0, samples_per_epoch: int = 0,
                 stream: Optional[TextIO] = None) -> None:
        self.epochs, self.first, self.samples_per_epoch = epochs, first_epoch, samples_per_epoch
        self.stream = stream or sys.stderr
        self.done = 0
        self.t0 = time.perf_counter()

    def update(self, logs: Logs) -> None:
        self.done = int(logs["epoch"]) - self.first + 1
        width = len(str(self.epochs))
        self.stream.write(f"epoch {self.done:>{width}}/{self.epochs}  {_metrics(logs)}  "
                          f"{logs['time']:.2f}s\n")
        self.stream.flush()

    def close(self) -> None:
        seconds = time.perf_counter() - self.t0
        self.stream.write(f"{self.done} epochs in {seconds:.2f}s, "
                          f"{_rate(self.done * self.samples_per_epoch, seconds)}\n")
        self.stream.flush()


Progress = Union[ProgressBar, EpochLines]


def progress_for(verbose: int, epochs: int, first_epoch: int, samples_per_epoch: int,
                 stream: Optional[TextIO] = None) -> Optional[Progress]:
    """The reporter for a checked verbose level (None for 0)."""
    if verbose == 1:
        return ProgressBar(epochs, first_epoch, samples_per_epoch, stream)
    if verbose == 2:
        return EpochLines(epochs, first_epoch, samples_per_epoch, stream)
    return None
