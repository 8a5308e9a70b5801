"""Pure ASGI middleware answering repeated result reads from memory, before FastAPI routing (`CachedPages`).

A page of GET /v1/warnings, /v1/gaps, /v1/forecasts/demand or /v1/forecasts/supply is a function of the
path, the raw query string, the caller (security.Principal), the Accept-Language and Accept headers and the data
snapshot (latest run id and current reference-table versions, `queries.snapshot`). When FastAPI answered such a request with 200, the
response (status, headers, body: the very bytes of the ReadCache page) is remembered under that key; the
next identical request is sent the same response without routing, dependency solving or parameter
validation, which cost more than the rest of the request (see "Performance" in docs/api.md).

Nothing else changes:
- the key is checked on every request (`KeyVerifier.lookup`: memory only, revocations re-read every 5 s);
  an unknown, revoked or missing key goes the normal way (401);
- only fresh snapshot pointers are used; an expired pointer, an upload or a recompute sends the request the
  normal way, which reloads it (so consistency is the normal path's: one snapshot per request);
- a response is remembered only when the snapshot was the same before and after it was built, and only JSON
  200s; errors (401/403/404/422/500) and export files (format=csv|xlsx) are never remembered.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from fastapi.security.utils import get_authorization_scheme_param

from api import queries

CACHED_PATHS = frozenset({"/v1/warnings", "/v1/gaps", "/v1/forecasts/demand", "/v1/forecasts/supply"})


def _is_json(start: dict) -> bool:
    for name, value in start.get("headers", []):
        if name.lower() == b"content-type":
            return value.split(b";")[0].strip() == b"application/json"
    return False


class CachedPages:
    def __init__(self, app: Any, max_entries: int = 4096, max_bytes: int = 64 * 1024 * 1024):
        self.app = app
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._responses: OrderedDict[tuple, tuple[list, bytes]] = OrderedDict()
        self._bytes = 0
        self._snapshot: Any = None  # the data snapshot the remembered pages belong to
        self.hits = 0

    def clear(self) -> None:
        self._responses.clear()
        self._bytes = 0

    def _context(self, scope: dict) -> tuple[tuple, Any] | None:
        """(memo key, storage) for a cacheable request, or None to take the normal way."""
        state = scope["app"].state if "app" in scope else None
        if state is None:
            return None
        storages = getattr(state, "storages", None)
        settings = getattr(state, "settings", None)
        storage = storages.get(settings.database_url) if storages and settings is not None else None
        if storage is None:
            return None
        authorization = language = accept = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                if authorization is None:
                    authorization = value
            elif name == b"accept-language":
                if language is None:
                    language = value
            elif name == b"accept":
                if accept is None:
                    accept = value
        if authorization is None:
            return None
        scheme, token = get_authorization_scheme_param(authorization.decode("latin-1"))
        if scheme.lower() != "bearer" or not token:
            return None
        answered, principal = state.key_verifier.lookup(storage, token)
        if not answered or principal is None:
            return None
        snapshot = queries.snapshot(state.read_cache, storage)
        if snapshot is None:
            return None
        # Accept is part of the key: `Accept: text/csv` asks the same URL for an export file.
        key = (scope["path"], scope.get("query_string", b""), principal, language, accept, snapshot)
        return key, storage

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in CACHED_PATHS:
            await self.app(scope, receive, send)
            return
        context = self._context(scope)
        if context is None:
            await self.app(scope, receive, send)
            return
        key, storage = context
        hit = self._responses.get(key)
        if hit is not None:
            self._responses.move_to_end(key)
            self.hits += 1
            headers, body = hit
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return

        start: dict | None = None
        chunks: list[bytes] = []
        complete = False

        async def capture(message: dict) -> None:
            nonlocal start, complete
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, capture)
        if start is None or start.get("status") != 200 or not complete or not _is_json(start):
            return  # only JSON pages are remembered (export files are built on request)
        state = scope["app"].state
        if queries.snapshot(state.read_cache, storage) != key[-1]:
            return  # the data changed while the page was built: do not remember it
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._remember(key, list(start.get("headers", [])), body)

    def _remember(self, key: tuple, headers: list, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        if key[-1] != self._snapshot:
            # A new snapshot (an upload, a run): pages of older ones are never asked for again (only fresh
            # snapshot pointers are used), so they are dropped now instead of filling the cache until evicted.
            self.clear()
            self._snapshot = key[-1]
        old = self._responses.pop(key, None)
        if old is not None:
            self._bytes -= len(old[1])
        self._responses[key] = (headers, body)
        self._bytes += len(body)
        while self._responses and (len(self._responses) > self.max_entries or self._bytes > self.max_bytes):
            _, (_, evicted) = self._responses.popitem(last=False)
            self._bytes -= len(evicted)
