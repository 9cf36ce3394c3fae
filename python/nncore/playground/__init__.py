"""The playground: the lecture's networks trained live in the browser by nncore's core.

    nncore playground            # or: python -m nncore playground [--port N] [--no-browser]

A local server (Starlette + uvicorn: `pip install "nncore[playground]"`) on
127.0.0.1 serves one static page (static/: HTML, JavaScript, CSS, canvas
plots, no build step, nothing from the network). Each browser tab gets its own
run: data (`datasets`), a network and optimizer from the page's settings
(`config`, checked server-side), a worker thread training with the native
`model.fit` (`session`), the views it draws (`views`), backpropagation for one
point step by step from `model.graph` (`backprop`), and the model file plus a
Python snippet to take home (`snippet`). The HTTP routes are in `server`.
"""
from __future__ import annotations

from typing import Any, List, Optional

MISSING = ("the playground needs Starlette and uvicorn: "
           "pip install \"nncore[playground]\" (or pip install starlette uvicorn)")


def main(argv: Optional[List[str]] = None) -> int:
    """`nncore playground [--port N] [--no-browser] [--threads N]`."""
    try:
        from .runner import main as run
    except ImportError as e:
        if e.name in ("starlette", "uvicorn"):
            raise SystemExit(f"nncore playground: {MISSING} ({e})") from None
        raise
    return run(argv)


def __getattr__(name: str) -> Any:
    if name in ("PlaygroundServer", "create_app"):
        try:
            from . import runner, server
        except ImportError as e:
            raise ImportError(f"nncore.playground.{name}: {MISSING}") from e
        return getattr(runner if name == "PlaygroundServer" else server, name)
    raise AttributeError(f"module 'nncore.playground' has no attribute {name!r}")
