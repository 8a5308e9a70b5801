"""The web dashboard: `/` answers the page, `/web/...` its vendored assets (no CDN, nothing from the internet).

The page is a small vanilla-JS application (api/web/app.js) that calls the JSON API with the user's key, so
what it shows follows the key's role and scope exactly as the API does (see docs/web.md). Assets are
compressed once per process (gzip, when the browser accepts it) and cached by the browser for a day; the
page itself is revalidated so that a new release is picked up at once.
"""

from __future__ import annotations

import gzip
import mimetypes
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Header, Response

import talentcast
from api.security import not_found

router = APIRouter(include_in_schema=False)

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
# The CJK font matplotlib uses for the reports (talentcast.report.fonts.BUNDLED_CJK_FONT, not imported here: that
# module loads matplotlib): a GB 2312 subset of Droid Sans Fallback, Apache-2.0. Debian's Chromium and many
# fresh machines have no Chinese font, and the page must not depend on one.
FONT_DIR = Path(talentcast.__file__).resolve().parent / "fonts"
FONTS = {"cjk.ttf": FONT_DIR / "DroidSansFallback-GB2312-subset.ttf",
         "LICENSE-Apache-2.0.txt": FONT_DIR / "LICENSE-Apache-2.0.txt", "README.md": FONT_DIR / "README.md"}
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".ttf": "font/ttf", ".md": "text/plain; charset=utf-8",
         ".txt": "text/plain; charset=utf-8", ".svg": "image/svg+xml", "": "text/plain; charset=utf-8"}


def _resolve(path: str) -> Path | None:
    if path.startswith("fonts/"):
        return FONTS.get(path.removeprefix("fonts/"))
    candidate = (WEB_DIR / path).resolve()
    if WEB_DIR not in candidate.parents or not candidate.is_file():
        return None  # outside the asset folder ("../") or missing
    return candidate


@lru_cache(maxsize=64)
def _asset(path: Path, compressed: bool) -> bytes:
    data = path.read_bytes()
    return gzip.compress(data, compresslevel=6, mtime=0) if compressed else data


def _answer(path: Path, accept_encoding: str | None, cache_control: str) -> Response:
    compressed = "gzip" in (accept_encoding or "")
    media = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if compressed:
        headers["Content-Encoding"] = "gzip"
    return Response(_asset(path, compressed), media_type=media, headers=headers)


@router.get("/")
def index(accept_encoding: str | None = Header(default=None)) -> Response:
    return _answer(WEB_DIR / "index.html", accept_encoding, "no-cache")


@router.get("/web/{path:path}")
def asset(path: str, accept_encoding: str | None = Header(default=None)) -> Response:
    resolved = _resolve(path)
    if resolved is None:
        raise not_found(f"no such file: /web/{path}", f"没有这个文件：/web/{path}")
    return _answer(resolved, accept_encoding, "public, max-age=86400")
