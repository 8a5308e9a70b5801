"""API keys and what each role may see.

Roles (set when the key is created with `talentcast keys create`):
    admin    everything, plus uploads (POST /v1/datasets/{table}) and recomputes (POST /v1/runs).
    planner  reads every result of its region (and the regions below it) and runs scenarios there;
             a planner key without a region reads all regions.
    school   reads public reference data plus its own school's supply and warnings, nothing else.

Refusals: no or unknown key -> 401; a role that may not use an endpoint, or a region outside the key's
scope -> 403; another school's objects -> 404, so that a school key cannot even learn which schools exist in
the results. Keys are stored only as salted hashes by the storage module; verified answers are remembered
by their SHA-256 (KeyVerifier), and revocations are re-read every 5 seconds, so a revoke with the CLI reaches a
running server within 5 seconds.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fastapi import HTTPException, status

ROLES = ("admin", "planner", "school")


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


def unauthorized(detail: str = "missing or invalid API key") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail=detail)


def not_found(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=detail)


class KeyVerifier:
    """Remembers verified bearer tokens so that the salted-hash check runs once per token, not per request.

    Tokens are remembered by their SHA-256 (never in clear). A remembered key is still checked against
    revocation: the set of active key ids is re-read from the database every `ttl_seconds` (one small query
    for all keys, by one request while the others use the previous set), so a revoke with the CLI reaches a
    running server within that time. Unknown tokens are remembered as bad for `ttl_seconds` too.
    """

    def __init__(self, ttl_seconds: float = 5.0, max_entries: int = 4096):
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._known: dict[tuple[str, str], Principal] = {}
        self._bad: dict[tuple[str, str], float] = {}
        self._active: dict[str, tuple[float, frozenset]] = {}  # database -> (valid until, active key ids)
        self._lock = threading.Lock()
        self._token_locks: dict[tuple[str, str], threading.Lock] = {}
        self._refresh_lock = threading.Lock()

    @staticmethod
    def _key(storage: object, token: str) -> tuple[str, str]:
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        return str(getattr(storage, "url", id(storage))), digest

    def lookup(self, storage: object, token: str) -> tuple[bool, Principal | None]:
        """(answered, principal) from memory only; answered False means `verify` must run (in a thread)."""
        if self.ttl_seconds <= 0:
            return False, None
        key = self._key(storage, token)
        now = time.monotonic()
        with self._lock:
            principal = self._known.get(key)
            bad_until = self._bad.get(key)
            active = self._active.get(key[0])
        if principal is not None:
            if active is None:
                return False, None
            if active[0] <= now and self._refresh_lock.acquire(blocking=False):
                # Re-read revocations in the background; this request uses the set read a moment ago.
                threading.Thread(target=self._refresh_in_background, args=(storage, key[0]), daemon=True).start()
            return True, principal if principal.key_id in active[1] else None
        if bad_until is not None and bad_until > now:
            return True, None
        return False, None

    def verify(self, storage: object, token: str) -> Principal | None:
        """Blocking check (run it in a worker thread): refresh revocations, hash-check a token seen first."""
        key = self._key(storage, token)
        self._refresh_active(storage, key[0])
        with self._lock:
            token_lock = self._token_locks.setdefault(key, threading.Lock())
        with token_lock:  # many requests with a new token: one hash check, the others wait for it
            answered, principal = self.lookup(storage, token)
            if answered:
                return principal
            with self._lock:
                known = self._known.get(key)
                active = self._active.get(key[0])
            if known is not None and active is not None:
                # Hash already checked; the active set is fresh, or being refreshed by another request.
                return known if known.key_id in active[1] else None
            api_key = storage.verify_api_key(token)  # type: ignore[attr-defined]  (None if revoked)
            principal = Principal.from_api_key(api_key) if api_key is not None else None
            with self._lock:
                if len(self._known) + len(self._bad) >= self.max_entries:
                    self._known.clear()
                    self._bad.clear()
                if principal is None:
                    self._bad[key] = time.monotonic() + self.ttl_seconds
                else:
                    self._known[key] = principal
                    current = self._active.get(key[0])
                    if current is not None:  # a key created after the last refresh is active too
                        self._active[key[0]] = (current[0], current[1] | {principal.key_id})
            return principal

    def _refresh_active(self, storage: object, database: str) -> None:
        with self._lock:
            active = self._active.get(database)
        if active is not None and active[0] > time.monotonic():
            return
        if not self._refresh_lock.acquire(blocking=active is None):
            return  # another request is refreshing; the previous set is good for this one
        try:
            ids = frozenset(k.id for k in storage.list_api_keys() if k.revoked_at is None)  # type: ignore[attr-defined]
            with self._lock:
                self._active[database] = (time.monotonic() + self.ttl_seconds, ids)
        finally:
            self._refresh_lock.release()

    def _refresh_in_background(self, storage: object, database: str) -> None:
        try:
            ids = frozenset(k.id for k in storage.list_api_keys() if k.revoked_at is None)  # type: ignore[attr-defined]
            with self._lock:
                self._active[database] = (time.monotonic() + self.ttl_seconds, ids)
        except Exception:  # keep the previous set; the next request tries again
            pass
        finally:
            self._refresh_lock.release()

    def clear(self) -> None:
        with self._lock:
            self._known.clear()
            self._bad.clear()
            self._active.clear()


def require_role(principal: Principal, *roles: str) -> None:
    """Raise 403 unless the caller has one of `roles`."""
    if principal.role not in roles:
        raise forbidden(f"a {principal.role} key may not use this endpoint (needs: {', '.join(roles)})")


def _in_region(code: str, ancestor: str, parents: Mapping[str, str | None]) -> bool:
    """True when `code` is `ancestor` or lies below it.

    Follows the regions table's parent links; codes missing from the table fall back to the GB/T 2260
    structure (a province XX0000 contains XX****, a city XXXX00 contains XXXX**).
    """
    seen = set()
    current: str | None = code
    while current and current not in seen:
        if current == ancestor:
            return True
        seen.add(current)
        if current not in parents:
            break
        current = parents[current]
    if len(code) == 6 and len(ancestor) == 6 and code.isdigit() and ancestor.isdigit():
        if ancestor.endswith("0000"):
            return code.startswith(ancestor[:2])
        if ancestor.endswith("00"):
            return code.startswith(ancestor[:4])
    return False


def region_predicate(principal: Principal, parents: Mapping[str, str | None]) -> Callable[[str], bool] | None:
    """A test "may the caller read this region?"; None means no region limit.

    Admins and planners without a region are not limited; school keys are limited by school instead
    (see `school_filter`), so the region does not narrow them further.
    """
    if principal.role in ("admin", "school") or not principal.region:
        return None
    scope = principal.region
    return lambda code: _in_region(code, scope, parents)


def check_region(principal: Principal, region: str, parents: Mapping[str, str | None]) -> None:
    """Raise 403 when a planner asks for a region outside its scope."""
    if principal.role in ("admin", "school") or not principal.region:
        return
    if not _in_region(region, principal.region, parents):
        raise forbidden(f"region '{region}' is outside this key's region '{principal.region}'")


def school_filter(principal: Principal, requested: str | None) -> str | None:
    """The school a request is limited to: a school key sees only its own (404 for any other)."""
    if principal.role != "school":
        return requested
    if not principal.school:
        raise forbidden("this school key has no school; recreate it with --school CODE")
    if requested is not None and requested != principal.school:
        raise not_found(f"school '{requested}' not found")
    return principal.school
