"""Major -> sector crosswalk built from official major -> occupation links.

The MOE teaching standards (专业教学标准) list, for each major with a published standard, the occupations
its graduates are trained for (职业面向, as 职业分类大典 codes like 6-22-02-01). A curated table places
occupation groups (a prefix of the code: "6", "6-22", "6-28-01") in GB/T 4754 sectors. A major's weight on a
sector is the share of its linked occupations that fall in that sector: the links carry no weights, so every
linked occupation counts once. Where a region supplies no crosswalk of its own, the pipeline can use this one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.errors import TalentcastError

WEIGHT_DECIMALS = 4


def match_occupation_sector(occupation_codes: pd.Series, occupation_sector: pd.DataFrame) -> pd.Series:
    """Place each occupation code in a sector by the longest matching prefix.

    Args:
        occupation_codes: 职业分类大典 codes such as "6-22-02-01".
        occupation_sector: columns `occupation_prefix` ("6-22") and `sector` ("C36").

    Returns:
        Series of sector codes aligned with `occupation_codes`; NaN where no prefix matches.
    """
    _require_columns(occupation_sector, ("occupation_prefix", "sector"), "occupation_sector")
    table = dict(zip(occupation_sector["occupation_prefix"].astype(str).str.strip(),
                     occupation_sector["sector"].astype(str).str.strip()))

    def lookup(code: str) -> str | float:
        # Whole code segments only ("6-2" must not match "6-22-01-01"); the longest prefix wins, so that
        # "6-28-01" overrides "6-28" and "6".
        segments = code.strip().split("-")
        for end in range(len(segments), 0, -1):
            sector = table.get("-".join(segments[:end]))
            if sector is not None:
                return sector
        return np.nan

    codes = occupation_codes.astype(str)
    unique = {code: lookup(code) for code in codes.unique()}
    return codes.map(unique)


def normalise_weights(weights: pd.Series, decimals: int = WEIGHT_DECIMALS) -> pd.Series:
    """Round shares to `decimals` places so that they sum to exactly 1.

    The largest share absorbs the rounding remainder (largest-remainder rounding would also do; this keeps
    the small shares as they are, which is what a reader checks by eye).

    Args:
        weights: non-negative values of one major, not all zero.

    Returns:
        Shares with `decimals` decimal places whose decimal sum is exactly 1.
    """
    total = float(weights.sum())
    if total <= 0:
        raise TalentcastError("cannot normalise weights that sum to zero", "权重之和为零，无法归一化")
    scale = 10**decimals
    units = np.floor(weights.to_numpy(dtype=float) / total * scale + 0.5).astype(np.int64)
    units[int(np.argmax(units))] += scale - int(units.sum())
    # The integer units add up to exactly `scale`, so the written decimals (0.2, 0.7, 0.1) add up to exactly
    # 1; their binary floats add up to 1 within 1e-15, which validation's tolerance covers. Readable
    # decimals were preferred over nudging a share to 0.7000000000000001 for an exact binary sum.
    return pd.Series(units / scale, index=weights.index)


def build_major_sector_map(
    links: pd.DataFrame,
    occupation_sector: pd.DataFrame,
    majors: pd.DataFrame | pd.Series | list[str],
    sectors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Build major -> sector weights from major -> occupation links.

    Args:
        links: official links with columns `major_code` and `occupation_code` (the real file
            `major_to_occupation_official_teaching_standards.csv`); duplicated pairs count once.
        occupation_sector: curated table with `occupation_prefix` and `sector` (longest prefix wins).
        majors: the majors to map: a contract `majors` frame (column `code`), a Series or a list of codes.
        sectors: optional contract `sectors` frame; when given, every sector used must be in it.

    Returns:
        Contract `major_sector_map` frame (`major`, `sector`, `weight`), sorted by major and sector, with
        the weights of each major summing to 1. Majors without any link (or whose links match no
        occupation group) are left out: the caller decides what to assume for them.

    Raises:
        TalentcastError: a required column is missing, or a sector is not in `sectors`.
    """
    _require_columns(links, ("major_code", "occupation_code"), "links")
    if isinstance(majors, pd.DataFrame):
        _require_columns(majors, ("code",), "majors")
        wanted = majors["code"].astype(str)
    else:
        wanted = pd.Series(list(majors), dtype=object).astype(str)
    pairs = links[["major_code", "occupation_code"]].astype(str).drop_duplicates()
    pairs = pairs[pairs["major_code"].isin(set(wanted))]
    pairs = pairs.assign(sector=match_occupation_sector(pairs["occupation_code"], occupation_sector))
    pairs = pairs.dropna(subset=["sector"])
    if sectors is not None:
        known = set(sectors["code"].astype(str))
        unknown = sorted(set(pairs["sector"]) - known)
        if unknown:
            raise TalentcastError(
                f"occupation_sector: sector code(s) {', '.join(unknown)} are not in the sectors table; "
                "add them to sectors or correct the occupation_sector table",
                f"occupation_sector：行业代码 {'、'.join(unknown)} 不在行业表中；请把它们加入 sectors 表，"
                "或修改 occupation_sector 表"
            )
    counts = pairs.groupby(["major_code", "sector"]).size().rename("links").reset_index()
    parts = []
    for major, group in counts.groupby("major_code", sort=True):
        group = group.sort_values("sector")
        weights = normalise_weights(group["links"].astype(float))
        parts.append(pd.DataFrame({"major": major, "sector": group["sector"].to_numpy(),
                                   "weight": weights.to_numpy()}))
    if not parts:
        return pd.DataFrame({"major": pd.Series(dtype=object), "sector": pd.Series(dtype=object),
                             "weight": pd.Series(dtype=float)})
    return pd.concat(parts, ignore_index=True)


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns))
        raise TalentcastError(f"{what}: missing column(s) {', '.join(missing)}; found {found}",
                          f"{what}：缺少列 {'、'.join(missing)}；现有的列：{found}")
