"""The region and sector code trees (GB/T 2260 regions, GB/T 4754 sectors), built once from a code table.

Every place that asks "is this code inside that one?" or "what are this code's ancestors?" uses `CodeTree`:
the pipeline's hierarchy, the warnings' region scope, the API's access checks. A code table is any frame with
`code` and `parent` columns (the contract's `regions` and `sectors`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd


def parent_map(table: pd.DataFrame | None) -> dict[str, str | None]:
    """{code: parent code or None} from a frame with `code` and `parent` columns (empty when there is none)."""
    if table is None or len(table) == 0 or "code" not in table or "parent" not in table:
        return {}
    out: dict[str, str | None] = {}
    for code, parent in zip(table["code"], table["parent"]):
        text = None if parent is None or (isinstance(parent, float) and parent != parent) else str(parent).strip()
        out[str(code)] = text or None
    return out


def gb2260_parent(code: str) -> str | None:
    """The GB/T 2260 parent of a six-digit region code by its structure (county -> city -> province)."""
    if len(code) != 6 or not (code.isascii() and code.isdigit()) or code.endswith("0000"):
        return None
    if code.endswith("00"):
        return code[:2] + "0000"
    return code[:4] + "00"


class CodeTree:
    """Parent links of one code dimension, with ancestor and containment queries.

    Args:
        parents: {code: parent code or None}.
        gb2260_fallback: for region codes missing from `parents`, fall back to the GB/T 2260 structure
            (a province XX0000 contains XX****, a city XXXX00 contains XXXX**).
    """

    def __init__(self, parents: Mapping[str, str | None] | None = None, gb2260_fallback: bool = False):
        self.parents: dict[str, str | None] = dict(parents or {})
        self.gb2260_fallback = gb2260_fallback

    @classmethod
    def from_table(cls, table: pd.DataFrame | None, gb2260_fallback: bool = False) -> "CodeTree":
        return cls(parent_map(table), gb2260_fallback=gb2260_fallback)

    def __len__(self) -> int:
        return len(self.parents)

    def __contains__(self, code: object) -> bool:
        return code in self.parents

    def parent(self, code: str) -> str | None:
        if code in self.parents:
            return self.parents[code]
        return gb2260_parent(code) if self.gb2260_fallback else None

    def ancestors(self, code: str) -> list[str]:
        """`code` and its ancestors upward, itself first (stops at a missing parent or a cycle)."""
        chain, seen = [], set()
        current: str | None = str(code)
        while current and current not in seen:
            chain.append(current)
            seen.add(current)
            current = self.parent(current)
        return chain

    def depth(self, code: str) -> int:
        """1 for a root, 2 for its children, ..."""
        return len(self.ancestors(code))

    def is_within(self, code: str, ancestor: str) -> bool:
        """True when `code` is `ancestor` or lies below it."""
        return str(ancestor) in self.ancestors(str(code))

    def descendants(self, code: str, include_self: bool = True) -> set[str]:
        """Every known code below `code` (and `code` itself unless include_self=False)."""
        code = str(code)
        found = {c for c in self.parents if c != code and self.is_within(c, code)}
        return found | {code} if include_self else found

    def members(self, codes: Iterable[str] | pd.Series, ancestor: str | None) -> pd.Series:
        """Boolean mask over `codes`: which lie in `ancestor` (all True when ancestor is None)."""
        series = codes if isinstance(codes, pd.Series) else pd.Series(list(codes))
        if ancestor is None:
            return pd.Series(True, index=series.index)
        ancestor = str(ancestor)
        cache: dict[str, bool] = {}
        return series.astype(str).map(lambda c: cache.setdefault(c, self.is_within(c, ancestor)))
