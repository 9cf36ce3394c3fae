"""`nncore playground`: serve the page on 127.0.0.1 and open it in the browser.

`PlaygroundServer` runs the same server in a background thread (tests, notebooks):

    server = PlaygroundServer(port=0).start()   # port 0: any free port
    print(server.url)
    server.stop()
"""
from __future__ import annotations

import argparse
import socket
import threading
import time
import webbrowser
from typing import List, Optional

import uvicorn

from .server import SessionStore, create_app

HOST = "127.0.0.1"       # local only: the playground is a teaching tool, not a web service
DEFAULT_PORT = 8765


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as e:
        sock.close()
        raise OSError(f"playground: cannot listen on {HOST}:{port} ({e.strerror}); "
                      "choose another with --port (0 picks a free one)") from None
    sock.listen(128)
    return sock


class PlaygroundServer:
    """The playground's uvicorn server on HOST:port in a daemon thread."""

    def __init__(self, port: int = 0, store: Optional[SessionStore] = None):
        self.store = store if store is not None else SessionStore()
        self.socket = _bind(port)
        self.port = self.socket.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}/"
        config = uvicorn.Config(create_app(self.store), log_level="warning",
                                timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       name="playground-server", daemon=True)

    def start(self, timeout: float = 10.0) -> "PlaygroundServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("playground: the server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.store.close_all()
        self.socket.close()


def main(argv: Optional[List[str]] = None) -> int:
    from ..native import set_num_threads
    p = argparse.ArgumentParser(
        prog="nncore playground",
        description="Train the lecture's networks live in the browser with nncore's core "
                    f"(a local server on {HOST}; Ctrl-C stops it).")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port on {HOST} (default {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--threads", type=int, default=1,
                   help="threads of the C++ core per run (default 1: the networks are tiny "
                        "and every browser tab trains in its own thread)")
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        p.error("--port must be in 0..65535")
    if args.threads < 1:
        p.error("--threads must be >= 1")
    set_num_threads(args.threads)
    try:
        sock = _bind(args.port)
    except OSError as e:
        p.error(str(e))
    url = f"http://{HOST}:{sock.getsockname()[1]}/"
    print(f"nncore playground on {url}  (Ctrl-C stops it)", flush=True)
    if not args.no_browser:
        threading.Timer(0.5, webbrowser.open, (url,)).start()
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning",
                                           timeout_graceful_shutdown=2))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("nncore playground stopped", flush=True)
    return 0
