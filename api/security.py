"""API keys and what each role may see.

Roles (set when the key is created with `talentcast keys create`):
    admin    everything, plus uploads (POST /v1/datasets/{table}) and recomputes (POST /v1/runs).
    planner  reads every result of its region (and the regions below it) and runs scenarios there;
             a planner key without a region reads all regions.
    school   reads public reference data plus its own school's supply and warnings, nothing else.

Refusals: no or unknown key -> 401; a role that may not use an endpoint, or a region outside the key's
scope -> 403; another school's objects -> 404, so that a school key cannot even learn which schools exist in
the results. Keys are stored only as salted hashes by the storage module, which also remembers verified keys
for a few seconds (a revoke with the CLI reaches a running server within that time).
"""

from __future__ import annotations

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
