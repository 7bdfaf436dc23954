"""The app factory: settings and an engine in, a FastAPI app with the public pages out.

Every request that touches the record is one short transaction (:mod:`goodwill.web.transaction`).
Bad input of any kind (a forged or expired link, a malformed form, an oversized body, an unknown
path) gets a friendly page with a 4xx status; only a fault of ours is a 5xx, and it never shows
a traceback either.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Final

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from goodwill.config import Settings, get_settings
from goodwill.db.engine import DatabaseUnavailable, check_reachable, make_engine
from goodwill.errors import GoodwillError
from goodwill.kit.clock import utcnow
from goodwill.web import pages as routes
from goodwill.web.rendering import Pages

#: The largest form the pages accept (a review text is at most 5,000 characters).
MAX_BODY: Final = 32 * 1024
log = logging.getLogger("goodwill.web")


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 before any handler parses them.

    The body is read here (declared length first, then the bytes really sent, for chunked
    uploads) and replayed to the app, so the limit holds whatever the client claims.
    """

    def __init__(self, app: ASGIApp, limit: int, pages: Pages) -> None:
        self.app = app
        self.limit = limit
        self.pages = pages

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.pages.error_response(scope, 413, "the form sent more than we accept")
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


def _install_handlers(app: FastAPI, pages: Pages) -> None:
    async def goodwill_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GoodwillError)
        status = exc.http_status if 400 <= exc.http_status < 600 else 400
        return pages.error(request, status, exc.message)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        reasons = {404: "there is no page at this address", 405: "this page cannot do that"}
        return pages.error(request, exc.status_code, reasons.get(exc.status_code, str(exc.detail)))

    async def bad_request(request: Request, exc: Exception) -> Response:
        return pages.error(request, 400, "the form could not be read")

    async def database_down(request: Request, exc: Exception) -> Response:
        log.warning("database unavailable: %s", exc)
        return pages.error(request, 503, "we cannot reach our records right now")

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return pages.error(request, 500, "we could not finish that")

    app.add_exception_handler(GoodwillError, goodwill_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, bad_request)
    app.add_exception_handler(OperationalError, database_down)
    app.add_exception_handler(Exception, unexpected)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """The public link pages.  ``engine`` defaults to one on ``settings.database_url`` (owned
    and disposed by the app); ``clock`` is injectable so tests can reach a link's expiry."""
    settings = settings or get_settings()
    owned = engine is None
    db = engine if engine is not None else make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            db.dispose()

    app = FastAPI(
        title="Goodwill public pages",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    pages = Pages(settings.sender_name)
    app.state.settings = settings
    app.state.engine = db
    app.state.clock = clock
    app.state.pages = pages
    _install_handlers(app, pages)
    app.add_middleware(BodyLimit, limit=MAX_BODY, pages=pages)
    app.mount("/static", StaticFiles(packages=[("goodwill.web", "static")]), name="static")
    app.include_router(routes.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        """For load balancers: ok when the process answers and the database does too."""
        try:
            check_reachable(db)
        except DatabaseUnavailable:
            return JSONResponse({"status": "degraded", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return app
