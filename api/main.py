"""Build the talentcast HTTP API: `create_app(settings=None)`.

    uvicorn --factory api.main:create_app        # or: talentcast serve

Error mapping (the only place where domain errors become HTTP errors):
    NotFoundError (storage)         404
    Busy                    409 (a recompute is already running)
    ValidationError, InputFileError 422 (`issues` lists every problem, as the CLI reports them)
    StoreUnavailable                503 (the database or MLflow store cannot be used; names the path)
    other TalentcastError           400
    anything else                   500 {"detail": "internal error"}; the traceback goes to the server log only
Request bodies larger than Settings.max_upload_bytes are refused with 413 before they are read in full.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from talentcast.service import Busy
from api import native_memory
from api.fastpath import CachedPages
from api.queries import ReadCache, issues_payload
from api.security import KeyVerifier, redact_server_logs
from api.routes import (dashboard, datasets, forecasts, gaps, health, models, reference, runs, scenarios, warnings,
                        web)
from features.errors import InputFileError, TalentcastError, ValidationError, bilingual
from talentcast import __version__
from talentcast.settings import Settings, get_settings
from talentcast.storage import NotFoundError, StoreUnavailable

logger = logging.getLogger("talentcast.api")

DESCRIPTION = """
Forecasts of skilled-labour demand and graduate supply by sector, supply-demand gaps with shortage
probabilities, and expand / hold / shrink warnings for school majors (人才供需预测与专业预警).

Authenticate with `Authorization: Bearer <key>` (keys from `talentcast keys create`). Roles: **admin**
(everything, uploads, recomputes), **planner** (every result in its region, scenarios), **school** (its own
supply and warnings, public reference lists). `Accept-Language: en` returns English names; Chinese is the
default. Lists page with `limit` / `offset` and report `total`.
"""


class BodySizeLimit:
    """Pure ASGI middleware: 413 for request bodies above `max_bytes`.

    A declared Content-Length above the limit is refused before anything is read; a chunked body is
    counted as it streams and refused as soon as it passes the limit (FastAPI re-raises an HTTPException
    raised while reading the body, so the client gets the 413, not a parse error).
    """

    def __init__(self, app: Any, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = JSONResponse({"detail": _too_large(limit)}, status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(status_code=413, detail=_too_large(limit))
            return message

        await self.app(scope, limited_receive, send)


# Starlette's refusals for requests no route takes, in Chinese (our own 4xx details are bilingual already).
ROUTER_DETAILS_ZH = {"Not Found": "未找到该地址", "Method Not Allowed": "该地址不支持此请求方法"}


def _too_large(limit: int) -> str:
    return bilingual(f"request body larger than the upload limit of {limit} bytes (Settings.max_upload_bytes)",
                     f"请求内容超过上传上限 {limit} 字节（Settings.max_upload_bytes）")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI app.

    Args:
        settings: used by every route (tests pass their own; kept in `app.state.settings`); None reads the
            environment (TALENTCAST_*) once, when the app is built.
    """
    effective = settings or get_settings()
    redact_server_logs()  # a key sent in a query string is refused, and must not be written to the access log

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything imported so far (pandas, SQLAlchemy, pydantic, ...) lives as long as the process; moving
        # it out of the collector's view keeps full garbage collections from stalling requests for 100+ ms.
        gc.collect()
        gc.freeze()
        native_memory.tune()  # scenarios' large arrays go back to the system when freed (see api/native_memory.py)
        yield
        for storage in list(app.state.storages.values()):
            storage.close()
        app.state.storages.clear()

    app = FastAPI(
        title="talentcast API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        debug=False,
    )
    app.state.storages = {}
    app.state.read_cache = ReadCache()
    app.state.key_verifier = KeyVerifier()
    app.state.settings = effective
    app.add_middleware(BodySizeLimit, max_bytes=effective.max_upload_bytes)
    app.add_middleware(CachedPages)  # outermost of the two: repeated result reads skip routing

    for module in (health, reference, forecasts, gaps, warnings, scenarios, datasets, models, runs, dashboard, web):
        app.include_router(module.router)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # The router's own refusals (unknown path, wrong method) get their Chinese line like every other 4xx.
        detail = exc.detail
        if isinstance(detail, str) and detail in ROUTER_DETAILS_ZH:
            detail = bilingual(detail, ROUTER_DETAILS_ZH[detail])
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(NotFoundError)
    async def _not_found(_request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(ValidationError)
    async def _invalid(_request: Request, exc: ValidationError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "issues": issues_payload(exc.issues)}, status_code=422)

    @app.exception_handler(InputFileError)
    async def _unreadable(_request: Request, exc: InputFileError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "issues": []}, status_code=422)

    @app.exception_handler(Busy)
    async def _busy(_request: Request, exc: Busy) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(StoreUnavailable)
    async def _store_down(request: Request, exc: StoreUnavailable) -> JSONResponse:
        # A server-side fault (damaged MLflow store, read-only database): 503 with the path and what to do.
        logger.error("store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(TalentcastError)
    async def _user_error(_request: Request, exc: TalentcastError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        # Never send tracebacks or SQL to the client; the server log has the details.
        logger.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    return app
