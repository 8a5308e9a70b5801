"""API keys and what each role may see.

Roles (set when the key is created with `talentcast keys create`):
    admin    everything, plus uploads (POST /v1/datasets/{table}) and recomputes (POST /v1/runs).
    planner  reads every result of its region (and the regions below it) and runs scenarios there;
             a planner key without a region reads all regions.
    school   reads public reference data plus its own school's supply and warnings, nothing else.

Refusals: no or unknown key -> 401; a role that may not use an endpoint, or a region outside the key's
scope -> 403; another school's objects -> 404, so that a school key cannot even learn which schools exist in
the results. Keys are stored only as SHA-256 digests (talentcast.storage.keys); the server checks tokens in
memory against the active keys' digests (KeyVerifier), re-read every 5 seconds, so a revoke with the CLI reaches
a running server within 5 seconds.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from fastapi import HTTPException, status

from features.codes import CodeTree
from features.errors import bilingual

from talentcast.storage.keys import KEY_PREFIX_LENGTH, KEY_SECRET_LENGTH, digest_matches, key_digest, key_prefix


@dataclass(frozen=True)
class Principal:
    """Who is calling: the parts of a stored API key that decide access."""

    key_id: object
    role: str
    school: str | None = None
    region: str | None = None
    name: str = ""

    @classmethod
    def from_api_key(cls, key: object) -> "Principal":
        return cls(
            key_id=getattr(key, "id", None) or getattr(key, "key_id", None) or getattr(key, "prefix", None),
            role=str(getattr(key, "role")),
            school=getattr(key, "school", None) or None,
            region=getattr(key, "region", None) or None,
            name=getattr(key, "name", "") or "",
        )


# 4xx details are bilingual like every user-facing message: "<English> / <Chinese>" (features.errors.bilingual).
def unauthorized(detail: str = "missing or invalid API key", zh: str | None = "缺少或无效的 API 密钥") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=bilingual(detail, zh),
                         headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str, zh: str | None = None) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail=bilingual(detail, zh))


def not_found(detail: str, zh: str | None = None) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=bilingual(detail, zh))


class KeyVerifier:
    """Checks bearer tokens in memory against the active keys of each database.

    Holds, per database, {prefix: (stored SHA-256 digest, Principal)} of every active key
    (`Storage.active_key_digests`), re-read every `ttl_seconds` (one small query for all keys, by one request
    while the others use the copy read a moment before), so a revoke with the CLI reaches a running server
    within that time. A token is checked with one SHA-256 and `hmac.compare_digest` (against a dummy digest
    when its prefix is unknown, so the check takes the same time either way). Nothing is remembered per token:
    the memory grows with the number of keys in the database, not with the tokens callers send.
    """

    def __init__(self, ttl_seconds: float = 5.0):
        self.ttl_seconds = ttl_seconds
        self._keys: dict[str, tuple[float, dict[str, tuple[str, Principal]]]] = {}  # database -> (valid until, keys)
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()

    def lookup(self, storage: object, token: str) -> tuple[bool, Principal | None]:
        """(answered, principal) from memory only; answered False means `verify` must run (in a thread).

        A malformed token is answered (None) at once; a token of an active key known here is answered with its
        Principal; any other token (a key created since the last re-read, or no key at all) is left to `verify`.
        """
        if self.ttl_seconds <= 0:
            return False, None
        if key_prefix(token) is None:
            return True, None
        database = _database(storage)
        with self._lock:
            entry = self._keys.get(database)
        if entry is None:
            return False, None
        valid_until, keys = entry
        if valid_until <= time.monotonic() and self._refresh_lock.acquire(blocking=False):
            # Re-read the keys in the background; this request uses the copy read a moment ago.
            threading.Thread(target=self._refresh_in_background, args=(storage, database), daemon=True).start()
        principal = _match(keys, token)
        return (True, principal) if principal is not None else (False, None)

    def verify(self, storage: object, token: str) -> Principal | None:
        """Blocking check (run it in a worker thread): re-read the keys when due, else ask the database."""
        if key_prefix(token) is None:
            return None
        database = _database(storage)
        keys = self._refresh(storage, database)
        principal = _match(keys, token)
        if principal is not None:
            return principal
        api_key = storage.verify_api_key(token)  # type: ignore[attr-defined]  (None if unknown or revoked)
        if api_key is None:
            return None
        principal = Principal.from_api_key(api_key)
        with self._lock:  # a key created after the last re-read: known from now on
            valid_until, current = self._keys.get(database, (0.0, {}))
            self._keys[database] = (valid_until, {**current, api_key.prefix: (key_digest(token), principal)})
        return principal

    def _refresh(self, storage: object, database: str) -> dict[str, tuple[str, Principal]]:
        """The keys of `database`, re-read first when missing or older than `ttl_seconds`."""
        with self._lock:
            entry = self._keys.get(database)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        if not self._refresh_lock.acquire(blocking=entry is None):
            return entry[1]  # another request is re-reading; the previous copy is good for this one
        try:
            return self._read(storage, database)
        finally:
            self._refresh_lock.release()

    def _read(self, storage: object, database: str) -> dict[str, tuple[str, Principal]]:
        stored = storage.active_key_digests()  # type: ignore[attr-defined]
        keys = {prefix: (digest, Principal.from_api_key(key)) for prefix, (digest, key) in stored.items()}
        with self._lock:
            self._keys[database] = (time.monotonic() + self.ttl_seconds, keys)
        return keys

    def _refresh_in_background(self, storage: object, database: str) -> None:
        try:
            self._read(storage, database)
        except Exception:  # keep the previous copy; the next request tries again
            pass
        finally:
            self._refresh_lock.release()

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


def _database(storage: object) -> str:
    return str(getattr(storage, "url", id(storage)))


def _match(keys: Mapping[str, tuple[str, Principal]], token: str) -> Principal | None:
    """The Principal of the active key `token` is, or None; constant time whether or not its prefix is known."""
    entry = keys.get(key_prefix(token) or "")
    if not digest_matches(token, entry[0] if entry is not None else None):
        return None
    return entry[1] if entry is not None else None


def require_role(principal: Principal, *roles: str) -> None:
    """Raise 403 unless the caller has one of `roles`."""
    if principal.role not in roles:
        raise forbidden(f"a {principal.role} key may not use this endpoint (needs: {', '.join(roles)})",
                        f"{principal.role} 密钥无权使用此接口（需要：{'、'.join(roles)}）")


def region_predicate(principal: Principal, regions: CodeTree) -> Callable[[str], bool] | None:
    """A test "may the caller read this region?"; None means no region limit.

    Admins and planners without a region are not limited; school keys are limited by school instead
    (see `school_filter`), so the region does not narrow them further.
    """
    if principal.role in ("admin", "school") or not principal.region:
        return None
    scope = principal.region
    return lambda code: regions.is_within(code, scope)


def check_region(principal: Principal, region: str, regions: CodeTree) -> None:
    """Raise 403 when a planner asks for a region outside its scope."""
    if principal.role in ("admin", "school") or not principal.region:
        return
    if not regions.is_within(region, principal.region):
        raise forbidden(f"region '{region}' is outside this key's region '{principal.region}'",
                        f"地区“{region}”不在此密钥的地区“{principal.region}”范围内")


def check_scenario_scope(principal: Principal, changes: Iterable[object], regions: CodeTree,
                         school_regions: Mapping[str, str]) -> None:
    """Raise 403 unless every change of a scenario stays inside a planner's region.

    A change reaches a region through its target: `region` (employment changes, sector parameters), or the
    region of its `school` (intakes, a school's parameters). A change without either (a sector parameter for
    every region, a major's parameter at every school) reaches beyond any region, so a planner limited to a
    region must name one; an unknown school cannot be placed in the region, so it is refused too.
    """
    if principal.role in ("admin", "school") or not principal.region:
        return
    for change in changes:
        target = dict(getattr(change, "target", None) or {})
        where = f"changes[{getattr(change, 'index', '?')}]"
        reached = []
        if target.get("region"):
            reached.append(str(target["region"]))
        if target.get("school"):
            school = str(target["school"])
            if school not in school_regions:
                raise forbidden(f"{where}: school '{school}' is not in this key's region '{principal.region}'",
                                f"{where}：学校“{school}”不在本密钥的地区“{principal.region}”内")
            reached.append(school_regions[school])
        if not reached:
            raise forbidden(f"{where}: a {getattr(change, 'kind', 'change')} without a region or school reaches "
                            f"every region; this key may change only region '{principal.region}' (name "
                            "target.region or target.school)",
                            f"{where}：未指定地区或学校的修改会影响所有地区；本密钥只能修改地区“{principal.region}”"
                            "（请给出 target.region 或 target.school）")
        for region in reached:
            if not regions.is_within(region, principal.region):
                raise forbidden(f"{where}: region '{region}' is outside this key's region '{principal.region}'",
                                f"{where}：地区“{region}”不在本密钥的地区“{principal.region}”内")


def school_filter(principal: Principal, requested: str | None) -> str | None:
    """The school a request is limited to: a school key sees only its own (404 for any other)."""
    if principal.role != "school":
        return requested
    if not principal.school:
        raise forbidden("this school key has no school; recreate it with --school CODE",
                        "此学校密钥没有对应学校；请用 --school CODE 重新创建")
    if requested is not None and requested != principal.school:
        raise not_found(f"school '{requested}' not found", f"未找到学校“{requested}”")
    return principal.school


# A key as `talentcast keys create` prints it; the secret part is what must never reach a log.
_KEY_PATTERN = re.compile(r"(tc_[a-z0-9]{%d})_[A-Za-z0-9]{%d}" % (KEY_PREFIX_LENGTH, KEY_SECRET_LENGTH))
# Query parameters people put keys in; their values are hidden whatever they look like.
_SECRET_PARAMETER = re.compile(r"(?i)([?&](?:api[_-]?key|key|token|access[_-]?token|auth|authorization)=)[^&\s\"]*")


def redact_keys(text: str) -> str:
    """`text` with API keys and the values of key-like query parameters replaced by '***' (the key prefix,
    which `keys list` shows, is kept so that an operator can tell which key was sent)."""
    return _SECRET_PARAMETER.sub(r"\1***", _KEY_PATTERN.sub(r"\1_***", text))


class RedactKeys(logging.Filter):
    """Logging filter: no API key reaches a log, e.g. a key sent in the query string (refused with 401, but
    uvicorn's access log writes the request line, query string included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_keys(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact_keys(v) if isinstance(v, str) else v for k, v in record.args.items()}
        if isinstance(record.msg, str):
            record.msg = redact_keys(record.msg)
        return True


def redact_server_logs() -> None:
    """Install RedactKeys on uvicorn's and talentcast's loggers (once per process)."""
    for name in ("uvicorn.access", "uvicorn.error", "talentcast.api"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactKeys) for f in logger.filters):
            logger.addFilter(RedactKeys())
