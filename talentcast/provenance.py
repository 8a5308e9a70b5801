"""Which kind of data a dataset version is: real, user-supplied, defaulted or generated.

Every dataset version's metadata carries `"kind"` (and, for older readers, `"synthetic"`: true only for
generated data):

    real            copied from a public source shipped in talentcast/data/real (provenance in SOURCE.md there),
                    or built from it and the curated reference tables (codes, names, the official crosswalk)
    user-supplied   a file ingested by a user (`talentcast ingest`, POST /v1/datasets/{table})
    defaulted       no source at all: the contract's defaults stand in (sector parameters of a new workspace)
    generated       made by the seeded demo generator (talentcast.demo); never a fact about a real place

A run lists the kinds of the tables it used (`Service.run`), and a real workspace refuses generated ones
unless asked (`talentcast run --allow-generated`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from features.errors import TalentcastError

REAL = "real"
USER_SUPPLIED = "user-supplied"
DEFAULTED = "defaulted"
GENERATED = "generated"
KINDS = (REAL, USER_SUPPLIED, DEFAULTED, GENERATED)
KIND_LABELS_ZH = {REAL: "真实", USER_SUPPLIED: "用户提供", DEFAULTED: "默认值", GENERATED: "生成"}


def dataset_kind(metadata: Mapping[str, Any] | None) -> str:
    """The kind of a dataset version from its metadata.

    Versions stored before kinds existed say only `synthetic`: true -> generated, false -> real; a version
    with neither was ingested from a file -> user-supplied.
    """
    metadata = metadata or {}
    kind = metadata.get("kind")
    if kind in KINDS:
        return str(kind)
    synthetic = metadata.get("synthetic")
    if synthetic is True:
        return GENERATED
    if synthetic is False:
        return REAL
    return USER_SUPPLIED


def with_kind(metadata: Mapping[str, Any] | None, kind: str) -> dict[str, Any]:
    """`metadata` (a new dict) stating `kind`, unless it already states a valid one; `synthetic` follows.

    Raises:
        TalentcastError: the metadata states a kind that is not one of KINDS.
    """
    out = dict(metadata or {})
    stated = out.get("kind")
    if stated is not None and stated not in KINDS:
        raise TalentcastError(f"metadata kind {stated!r} is not one of {', '.join(KINDS)}",
                              f"元数据 kind {stated!r} 不是以下之一：{'、'.join(KINDS)}")
    if stated is None:
        out["kind"] = dataset_kind(out) if "synthetic" in out else kind
    out["synthetic"] = out["kind"] == GENERATED
    return out


def kind_label(kind: str) -> str:
    """"generated 生成", "real 真实", ..."""
    return f"{kind} {KIND_LABELS_ZH.get(kind, '')}".strip()
