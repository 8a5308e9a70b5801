"""API keys: roles, creation, verification and revocation. Only a SHA-256 digest of each key is stored.

A key is ``tc_<prefix>_<secret>``: an 8-character prefix from [a-z0-9] (starting with a letter, so that it never
looks like a numeric key id) and a 32-character secret from [A-Za-z0-9], drawn with `secrets` (about 190 bits).
A key that random needs no salt or key stretching (those protect guessable passwords), so the database keeps
``sha256$<hex digest of the whole key>`` and a check is one hash and one `hmac.compare_digest`. The prefix
finds the row; when no row has it, the digest is compared against a dummy digest, so a check takes the same
time whether or not the prefix exists.

Keys stored in the earlier ``pbkdf2_sha256$...`` format no longer verify: create new keys and revoke those.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from features.errors import TalentcastError
from talentcast.storage.database import Database, NotFoundError, aware, utcnow
from talentcast.storage.schema import api_keys

# What each role may do is decided by the API (api/security.py); the CLI and storage accept these names.
ROLES = ("admin", "planner", "school")

KEY_PREFIX_LENGTH = 8
KEY_SECRET_LENGTH = 32
_KEY_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_KEY_SECRET_ALPHABET = string.ascii_letters + string.digits
_HASH_SCHEME = "sha256"
# Compared against when a key's prefix is unknown, so that the check costs the same as for a known prefix.
_DUMMY_DIGEST = f"{_HASH_SCHEME}${secrets.token_hex(32)}"


@dataclass(frozen=True)
class ApiKey:
    """A stored API key (never the plaintext)."""

    id: int
    prefix: str
    role: str
    school: str | None
    region: str | None
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def key_prefix(plaintext: object) -> str | None:
    """The prefix of a well-formed key ``tc_<prefix 8>_<secret 32>``, or None for anything else."""
    if not isinstance(plaintext, str):
        return None
    parts = plaintext.strip().split("_")
    if len(parts) != 3 or parts[0] != "tc" or len(parts[1]) != KEY_PREFIX_LENGTH or len(parts[2]) != KEY_SECRET_LENGTH:
        return None
    return parts[1]


def key_digest(plaintext: str) -> str:
    """What the database stores for a key: ``sha256$<hex digest>`` of the whole key."""
    digest = hashlib.sha256(plaintext.strip().encode("utf-8", "surrogatepass")).hexdigest()
    return f"{_HASH_SCHEME}${digest}"


def digest_matches(plaintext: str, stored: str | None) -> bool:
    """Constant-time check of `plaintext` against a stored digest; None (unknown prefix) takes the same time."""
    expected = stored if stored is not None else _DUMMY_DIGEST
    matches = hmac.compare_digest(key_digest(plaintext).encode("ascii"),
                                  expected.encode("ascii", "replace"))
    return matches and stored is not None


class KeyStore:
    """API keys in one database (see `talentcast.storage.Storage`, which combines the stores)."""

    def __init__(self, database: Database):
        self.database = database

    def create_api_key(self, role: str, school: str | None = None, region: str | None = None,
                       name: str = "") -> tuple[str, ApiKey]:
        """Create an API key. Returns (plaintext, ApiKey); the plaintext is not stored and cannot be shown again.

        Raises:
            TalentcastError: unknown role, or a school key without a school.
        """
        if role not in ROLES:
            raise TalentcastError(f"unknown role '{role}'; roles: {', '.join(ROLES)}",
                                  f"未知角色“{role}”；可用角色：{'、'.join(ROLES)}")
        if role == "school" and not school:
            raise TalentcastError("a key with role 'school' needs the school code it may see (--school)",
                                  "角色为 school 的密钥需要给出可查看的学校代码（--school）")
        for what, value in (("region", region), ("school", school)):
            # An empty code would be stored as "no limit": a planner for every region by accident.
            if value is not None and not str(value).strip():
                raise TalentcastError(f"the key's {what} is empty: give a code, or none for no {what} limit",
                                      f"密钥的{'地区' if what == 'region' else '学校'}为空：请给出代码，或不指定以表示不限")
        secret = "".join(secrets.choice(_KEY_SECRET_ALPHABET) for _ in range(KEY_SECRET_LENGTH))
        created_at = utcnow()
        for _ in range(5):
            # A leading letter keeps a prefix from ever looking like a numeric key id.
            prefix = secrets.choice(string.ascii_lowercase) + "".join(
                secrets.choice(_KEY_PREFIX_ALPHABET) for _ in range(KEY_PREFIX_LENGTH - 1))
            plaintext = f"tc_{prefix}_{secret}"
            try:
                with self.database.write() as conn:
                    key_id = conn.execute(api_keys.insert().values(
                        prefix=prefix, key_hash=key_digest(plaintext), role=role, school=school or None,
                        region=region or None, name=name or "", created_at=created_at,
                    )).inserted_primary_key[0]
            except sa.exc.IntegrityError:
                continue  # prefix collision (1 in 2.8e12 per pair); draw another
            key = ApiKey(int(key_id), prefix, role, school or None, region or None, name or "", created_at)
            return plaintext, key
        raise TalentcastError("could not allocate a unique API key prefix; try again", "无法分配唯一的 API 密钥前缀，请重试")

    def verify_api_key(self, plaintext: str) -> ApiKey | None:
        """The active key matching `plaintext`, or None if it is malformed, unknown or revoked.

        The key is found by its prefix and its digest compared in constant time (against a dummy digest when
        the prefix is unknown). Every call reads the database, so a revoke is seen at once.
        """
        prefix = key_prefix(plaintext)
        if prefix is None:
            return None
        # One row comes back whether or not the prefix exists (the key with that prefix, else the oldest key), so
        # that a wrong secret on a real prefix costs what an unknown prefix costs: fetching a row or not was a
        # measurable difference (about 20 µs of 300, benchmarks/soak.py --key-timing and README #15).
        same = api_keys.c.prefix == prefix
        oldest = sa.select(sa.func.min(api_keys.c.id)).scalar_subquery()
        query = sa.select(api_keys).where(sa.or_(same, api_keys.c.id == oldest)).order_by(same.desc()).limit(1)
        with self.database.read() as conn:
            row = conn.execute(query).mappings().first()
        found = row is not None and row["prefix"] == prefix
        matches = digest_matches(plaintext, row["key_hash"] if found else None)
        if not matches or row["revoked_at"] is not None:
            return None
        return _key_from_row(row)

    def active_key_digests(self) -> dict[str, tuple[str, ApiKey]]:
        """{prefix: (stored digest, ApiKey)} of every active key, for checking keys in memory (`digest_matches`).

        The API server keeps this (re-read every few seconds) instead of reading the database per request.
        """
        query = sa.select(api_keys).where(api_keys.c.revoked_at.is_(None)).order_by(api_keys.c.id)
        with self.database.read() as conn:
            rows = conn.execute(query).mappings().all()
        return {row["prefix"]: (row["key_hash"], _key_from_row(row)) for row in rows}

    def list_api_keys(self) -> list[ApiKey]:
        """All keys (active and revoked), oldest first."""
        with self.database.read() as conn:
            rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.id)).mappings().all()
        return [_key_from_row(r) for r in rows]

    def revoke_api_key(self, key_id_or_prefix: int | str) -> ApiKey:
        """Revoke a key by id or prefix (idempotent: revoking twice keeps the first time).

        Raises:
            NotFoundError: no such key.
        """
        with self.database.write() as conn:
            row = None
            if isinstance(key_id_or_prefix, str):
                text = key_id_or_prefix.strip()
                if text.startswith("tc_"):  # a whole plaintext key or "tc_<prefix>"
                    text = text.split("_")[1] if text.count("_") >= 1 else text
                row = conn.execute(sa.select(api_keys).where(api_keys.c.prefix == text)).mappings().first()
                if row is None and text.isascii() and text.isdigit():  # '²'.isdigit() is True, int('²') fails
                    key_id_or_prefix = int(text)
            if row is None and isinstance(key_id_or_prefix, int):
                row = conn.execute(
                    sa.select(api_keys).where(api_keys.c.id == key_id_or_prefix)).mappings().first()
            if row is None:
                raise NotFoundError(f"no API key with id or prefix '{key_id_or_prefix}'",
                                f"没有 id 或前缀为“{key_id_or_prefix}”的 API 密钥")
            if row["revoked_at"] is None:
                conn.execute(api_keys.update().where(api_keys.c.id == row["id"]).values(revoked_at=utcnow()))
            row = conn.execute(sa.select(api_keys).where(api_keys.c.id == row["id"])).mappings().first()
        return _key_from_row(row)


def _key_from_row(row: Mapping[str, Any]) -> ApiKey:
    return ApiKey(
        id=int(row["id"]), prefix=row["prefix"], role=row["role"], school=row["school"], region=row["region"],
        name=row["name"], created_at=aware(row["created_at"]), revoked_at=aware(row["revoked_at"]),
    )
