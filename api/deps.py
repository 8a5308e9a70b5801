"""Dependencies shared by the routes, as `Annotated` aliases (FastAPI full-stack template style).

    SettingsDep   the app's one Settings (create_app(settings), else talentcast.settings.get_settings() at build)
    StorageDep    the Storage of Settings.database_url, opened once per app (opening runs migrations)
    CurrentKey    the caller (security.Principal) from `Authorization: Bearer <key>`; 401 without a valid key
    LanguageDep   "zh" or "en" from Accept-Language
    PageDep       limit / offset query parameters
    CacheDep      the app's ReadCache of immutable frames
    ReadDep       all of the above for a result read (key, storage, cache, language, page) in one dependency

Every dependency is `async def` and reads the app state directly rather than through other dependencies:
a sync dependency would cost a thread hop per request, and each nested dependency another round of
FastAPI's dependency solving (see "Performance" in docs/api.md).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.queries import ReadCache
from api.security import KeyVerifier, Principal, unauthorized
from talentcast.settings import Settings
from talentcast.storage import Storage


async def get_app_settings(request: Request) -> Settings:
    """The Settings the app was built with (`create_app(settings)`, else `get_settings()` at build time)."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]

_storage_lock = threading.Lock()


def _open_storage(storages: dict[str, Any], settings: Settings) -> Storage:
    with _storage_lock:
        storage = storages.get(settings.database_url)
        if storage is None:
            settings.ensure_home()
            storage = Storage(url=settings.database_url)  # runs the migrations: seconds on a new database
            storages[settings.database_url] = storage
    return storage


async def get_storage(request: Request) -> Storage:
    """The app's Storage for `settings.database_url` (opened on first use, in a worker thread)."""
    state = request.app.state
    settings = state.settings
    storage = state.storages.get(settings.database_url)
    if storage is None:
        storage = await run_in_threadpool(_open_storage, state.storages, settings)
    return storage


StorageDep = Annotated[Storage, Depends(get_storage)]


async def get_cache(request: Request) -> ReadCache:
    return request.app.state.read_cache


CacheDep = Annotated[ReadCache, Depends(get_cache)]

_bearer = HTTPBearer(auto_error=False, description="API key from `talentcast keys create`")


async def get_current_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified caller; 401 when the key is missing, unknown or revoked.

    An active key is answered from memory (no thread hop, no database: KeyVerifier.lookup); a key the server
    has not read yet, an unknown or revoked key and the periodic re-read of the keys go to the database in a
    worker thread, so that they never stall the event loop.
    """
    if credentials is None or not credentials.credentials:
        raise unauthorized("missing API key: send 'Authorization: Bearer <key>' (create one with `talentcast keys "
                           "create`)", "缺少 API 密钥：请发送 'Authorization: Bearer <key>'（用 `talentcast keys create` 创建）")
    verifier: KeyVerifier = request.app.state.key_verifier
    storage = await get_storage(request)
    token = credentials.credentials
    answered, principal = verifier.lookup(storage, token)
    if not answered:
        principal = await run_in_threadpool(verifier.verify, storage, token)
    if principal is None:
        raise unauthorized("invalid or revoked API key", "API 密钥无效或已吊销")
    return principal


CurrentKey = Annotated[Principal, Depends(get_current_key)]


async def get_language(
    accept_language: Annotated[str | None, Header(description="zh-CN (default) or en: picks the name fields")] = None,
) -> str:
    """'en' when English is preferred over Chinese in Accept-Language, else 'zh' (the default)."""
    return parse_accept_language(accept_language)


def weighted_values(header: str | None) -> list[tuple[str, float]]:
    """The values of an Accept-style header with their q weights: "en;q=0.8, zh" -> [("en", 0.8), ("zh", 1.0)]."""
    out = []
    for part in (header or "").split(","):
        value, *params = part.strip().split(";")
        q = 1.0
        for param in params:
            name, _, text = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(text)
                except ValueError:
                    q = 0.0
        out.append((value.strip().lower(), q))
    return out


@lru_cache(maxsize=256)
def parse_accept_language(accept_language: str | None) -> str:
    if not accept_language:
        return "zh"
    best_lang, best_q = "zh", -1.0
    for tag, q in weighted_values(accept_language):
        lang = "en" if tag.startswith("en") else "zh" if tag.startswith("zh") else None
        if lang and q > best_q:
            best_lang, best_q = lang, q
    return best_lang


LanguageDep = Annotated[str, Depends(get_language)]

MAX_PAGE = 1000


@dataclass(frozen=True)
class Pagination:
    limit: int
    offset: int


async def get_pagination(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="rows per page")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")] = 0,
) -> Pagination:
    return Pagination(limit=limit, offset=offset)


PageDep = Annotated[Pagination, Depends(get_pagination)]


@dataclass(frozen=True)
class ReadContext:
    """What a result read needs, from one dependency (`ReadDep`) instead of five."""

    key: Principal
    storage: Any
    cache: ReadCache
    lang: str
    pagination: Pagination
    settings: Settings


async def get_read_context(
    request: Request,
    key: CurrentKey,
    accept_language: Annotated[str | None, Header(description="zh-CN (default) or en: picks the name fields")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="rows per page")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")] = 0,
) -> ReadContext:
    """The caller (401 before anything else is checked), storage, cache, language and page of a read.

    Same parameters and checks as CurrentKey + StorageDep + CacheDep + LanguageDep + PageDep, at about a
    third of FastAPI's per-request dependency cost (the hot path of /v1/warnings and /v1/gaps).
    """
    state = request.app.state
    storage = state.storages.get(state.settings.database_url)
    if storage is None:
        storage = await get_storage(request)
    return ReadContext(key=key, storage=storage, cache=state.read_cache,
                       lang=parse_accept_language(accept_language), pagination=Pagination(limit=limit, offset=offset),
                       settings=state.settings)


ReadDep = Annotated[ReadContext, Depends(get_read_context)]
