"""The playground's HTTP face: a Starlette app and the uvicorn server around it.

Routes (JSON unless said otherwise; every error is {"error": message} with a 4xx
status for a bad request and 500 for a bug, and never stops the server):

    GET  /                                  the page (static/index.html)
    GET  /static/...                        its scripts and styles
    GET  /api/options                       names and bounds the page offers
    POST /api/sessions                      a new run for one browser tab → {"session": id}
    GET  /api/sessions/{id}/events          server-sent events: every new snapshot (the page)
    GET  /api/sessions/{id}/state           the newest snapshot after `after` (waits ≤ 1 s)
    GET  /api/sessions/{id}/data            training and test points, view box
    POST /api/sessions/{id}/settings        new settings (data/network/training)
    POST /api/sessions/{id}/play|pause|step|reset
    POST /api/sessions/{id}/backprop        {"point": i} → the graph and its backward steps
    GET  /api/sessions/{id}/model.nncore    the model file (nncore.load reads it)
    GET  /api/sessions/{id}/snippet.py      Python that rebuilds and continues the run
    POST /api/sessions/{id}/close           the tab is gone
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import pathlib
import secrets
import threading
import time
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Optional

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .config import ACTIVATIONS, INITS, LIMITS, OPTIMIZERS, OUTPUTS, Config
from .datasets import DATASETS, DEFAULT_NOISE, N_TEST, N_TRAIN
from .session import Session, config_json
from .snippet import MODEL_FILE, snippet

STATIC = pathlib.Path(__file__).resolve().parent / "static"
MAX_BODY = 64 * 1024          # bytes of JSON a request may send
MAX_SESSIONS = 32             # open runs (browser tabs) at once
IDLE_SECONDS = 600            # a run nobody asked about for this long is closed
POLL_SECONDS = 1.0            # how long /state waits for a newer snapshot
log = logging.getLogger("nncore.playground")


class SessionStore:
    """The open runs by id; closes idle ones to make room, refuses beyond MAX_SESSIONS."""

    def __init__(self, max_sessions: int = MAX_SESSIONS, idle_seconds: float = IDLE_SECONDS):
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._sessions: Dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, config: Config) -> Session:
        with self._lock:
            now = time.monotonic()
            for sid, s in list(self._sessions.items()):
                if now - s.last_seen > self.idle_seconds:
                    self._sessions.pop(sid).close()
            if len(self._sessions) >= self.max_sessions:
                raise HTTPException(503, f"playground: {self.max_sessions} runs are open "
                                         "already; close a tab or try again later")
            sid = secrets.token_urlsafe(12)
            session = Session(sid, config)
            self._sessions[sid] = session
            return session

    def get(self, sid: str) -> Session:
        s = self._sessions.get(sid)
        if s is None:
            raise HTTPException(404, f"playground: no run {sid!r} (it was closed or the server "
                                     "restarted); reload the page")
        s.last_seen = time.monotonic()
        return s

    def close(self, sid: str) -> None:
        with self._lock:
            s = self._sessions.pop(sid, None)
        if s is not None:
            s.close()

    def close_all(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for s in sessions:
            s.close()
        for s in sessions:
            s.thread.join(timeout=5)


async def _json_body(request: Request) -> Any:
    size = 0
    chunks = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPException(413, f"playground: request body larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise HTTPException(400, "playground: the request body is not valid JSON") from None


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise HTTPException(400, f"playground: query parameter {name} must be an integer, "
                                 f"got {raw!r}") from None


Handler = Callable[[Request], Awaitable[Response]]


def _api(handler: Handler) -> Handler:
    """Bad requests (ValueError/TypeError from the checks) → 400 with the message."""
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except (ValueError, TypeError) as e:
            return JSONResponse({"error": str(e)}, status_code=400)
    return wrapped


def create_app(store: Optional[SessionStore] = None) -> Starlette:
    """The playground as an ASGI app; `store` holds the runs (closed at shutdown)."""
    store = store if store is not None else SessionStore()

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def options(request: Request) -> Response:
        return JSONResponse({"datasets": list(DATASETS), "default_noise": DEFAULT_NOISE,
                             "activations": list(ACTIVATIONS), "outputs": list(OUTPUTS),
                             "optimizers": list(OPTIMIZERS), "inits": list(INITS),
                             "limits": LIMITS, "n_train": N_TRAIN, "n_test": N_TEST,
                             "defaults": config_json(Config())})

    @_api
    async def create(request: Request) -> Response:
        config = Config.parse(await _json_body(request))
        session = await run_in_threadpool(store.create, config)
        return JSONResponse({"session": session.id})

    async def state(request: Request) -> Response:
        s = store.get(request.path_params["sid"])
        after = _int_param(request, "after", 0)
        start = max(0, _int_param(request, "curve", 0))
        curve_epoch = _int_param(request, "curve_epoch", 0)
        deadline = time.monotonic() + POLL_SECONDS
        while s.version <= after and time.monotonic() < deadline and not s.closed:
            await asyncio.sleep(0.005)
        snap = s.snapshot if s.version > after else b"null"
        curve = json.dumps(s.curve_since(start, curve_epoch)).encode()
        return Response(b'{"snapshot":' + snap + b',"curves":' + curve + b"}",
                        media_type="application/json")

    async def events(request: Request) -> Response:
        s = store.get(request.path_params["sid"])

        async def stream() -> AsyncIterator[bytes]:
            # Each new snapshot as it is published ("message"), the curve rows added since
            # the last event ("curve"). A slow reader makes `yield` wait and so skips
            # snapshots, never curve rows.
            sent, number, start = 0, -1, 0
            while not s.closed:
                if s.version > sent:
                    sent, snap = s.version, s.snapshot
                    c = s.curve_since(start, number)
                    number, start = c["curve_epoch"], c["curve_start"] + len(c["curve"])
                    s.last_seen = time.monotonic()
                    yield b"event: curve\ndata: " + json.dumps(c).encode() + b"\n\n"
                    yield b"data: " + snap + b"\n\n"
                else:
                    await asyncio.sleep(0.005)
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    async def data(request: Request) -> Response:
        s = store.get(request.path_params["sid"])
        return JSONResponse(await run_in_threadpool(s.data))

    @_api
    async def settings(request: Request) -> Response:
        s = store.get(request.path_params["sid"])
        body = await _json_body(request)
        await run_in_threadpool(s.configure, body)
        return JSONResponse({"ok": True, "version": s.version})

    @_api
    async def control(request: Request) -> Response:
        s = store.get(request.path_params["sid"])
        await run_in_threadpool(s.control, request.path_params["action"])
        return JSONResponse({"ok": True, "version": s.version})

    @_api
    async def backprop(request: Request) -> Response:
        s = store.get(request.path_params["sid"])
        body = await _json_body(request)
        if not isinstance(body, dict) or "point" not in body:
            raise ValueError('playground: backprop needs {"point": index of a training point}')
        return JSONResponse(await run_in_threadpool(s.backprop, body["point"]))

    async def model(request: Request) -> Response:
        s = store.get(request.path_params["sid"])
        return Response(await run_in_threadpool(s.model_bytes),
                        media_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{MODEL_FILE}"'})

    async def code(request: Request) -> Response:
        s = store.get(request.path_params["sid"])
        return Response(snippet(s.config, s.epoch), media_type="text/x-python; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="playground_run.py"'})

    async def close(request: Request) -> Response:
        store.close(request.path_params["sid"])
        return JSONResponse({"ok": True})

    async def not_found(request: Request) -> Response:
        raise HTTPException(404, f"playground: no such address: {request.method} {request.url.path}")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("playground: unexpected error in %s", request.url.path, exc_info=exc)
        return JSONResponse({"error": f"playground: internal error ({type(exc).__name__}: {exc})"},
                            status_code=500)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.close_all()          # stop every worker thread on shutdown

    sid = "/api/sessions/{sid}"
    routes = [
        Route("/", index),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Route("/api/options", options),
        Route("/api/sessions", create, methods=["POST"]),
        Route(f"{sid}/state", state),
        Route(f"{sid}/events", events),
        Route(f"{sid}/data", data),
        Route(f"{sid}/settings", settings, methods=["POST"]),
        Route(f"{sid}/backprop", backprop, methods=["POST"]),
        Route(f"{sid}/model.nncore", model),
        Route(f"{sid}/snippet.py", code),
        Route(f"{sid}/close", close, methods=["POST"]),
        Route(sid + "/{action:str}", control, methods=["POST"]),
        Route("/api/{rest:path}", not_found, methods=["GET", "POST", "PUT", "DELETE"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: http_error, Exception: server_error})
    app.state.store = store
    return app
