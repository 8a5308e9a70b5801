"""Fonts for figures with Chinese labels that never render as boxes.

matplotlib's own font (DejaVu Sans) has no CJK glyphs and most fresh machines have no CJK font either.
`configure_fonts()` picks a CJK font (a system one if installed, else the subset of Droid Sans Fallback shipped
in `talentcast/fonts/`), appends it to matplotlib's sans-serif fallback list, and returns a `FontSupport` that
knows which characters the chosen fonts cover. Labels go through `FontSupport.label(zh, en)`, which uses the
Chinese text only when every character is covered and the English text otherwise, so a missing font (or a rare
character outside the bundled subset) gives English labels, not boxes. The fixed texts of the figures (`TEXT`)
live here too, as (Chinese, English) pairs that `FontSupport.text` chooses from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

FONT_DIR = Path(__file__).resolve().parents[1] / "fonts"
BUNDLED_CJK_FONT = FONT_DIR / "DroidSansFallback-GB2312-subset.ttf"
_MPL_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts"
LATIN_FAMILY = "DejaVu Sans"  # ships with matplotlib, so it is always there
# A font counts as CJK-capable when it has all of these (common words of this domain: 柳州 汽车制造 就业 专业).
CJK_PROBE = "柳州汽车制造业就业人员专业招生毕业缺口"

# Fixed texts of the figures: key -> (Chinese, English).
TEXT: dict[str, tuple[str, str]] = {
    "employment_title": ("分行业城镇单位就业人员", "Urban-unit employment by sector"),
    "employment_y": ("就业人员（人）", "employed (persons)"),
    "year": ("年份", "year"),
    "level_break": ("2013年统计口径调整", "2013 survey-frame break"),
    "intake_title": ("各专业招生人数", "Intake per major"),
    "intake_y": ("招生人数（人）", "intake (persons)"),
    "employment_rate_title": ("各专业毕业生就业率", "Graduate employment rate per major"),
    "employment_rate_y": ("就业率", "employment rate"),
    "moe_floor": ("60% 教育部调减线", "60% MOE cut line"),
    "history": ("历史", "history"),
    "forecast": ("预测", "forecast"),
    "interval": ("{level}% 预测区间", "{level}% interval"),
    "demand": ("毕业生岗位需求", "graduate openings (demand)"),
    "supply": ("毕业生供给", "graduate entrants (supply)"),
    "persons": ("人", "persons"),
    "demand_supply_title": ("需求与供给：{name}", "Demand vs supply: {name}"),
    "heatmap_title": ("短缺概率 P(供需比 > {threshold})", "P(shortage): P(demand/supply > {threshold})"),
    "heatmap_surplus_title": ("过剩概率 P(供需比 < {threshold})", "P(surplus): P(demand/supply < {threshold})"),
    "sector": ("行业", "sector"),
    "probability": ("概率", "probability"),
    "scenario_title": ("情景对比：{value}（{year}年）", "Scenario comparison: {value} ({year})"),
    "before": ("基准", "baseline"),
    "after": ("情景", "scenario"),
    "gap_mean": ("供需缺口（需求 − 供给，人）", "gap (demand − supply, persons)"),
    "openings_mean": ("岗位需求（人）", "openings (persons)"),
    "supply_mean": ("毕业生供给（人）", "graduate supply (persons)"),
    "p_shortage": ("短缺概率", "P(shortage)"),
    "graduate_entrants": ("毕业生供给（人）", "graduate entrants (persons)"),
    "expected_graduates": ("预计毕业生（人）", "expected graduates (persons)"),
    "warnings_title": ("专业预警：建议调整", "Major warnings: recommended actions"),
    "majors_count": ("专业数", "majors"),
    "expand": ("扩大", "expand"),
    "hold": ("保持", "hold"),
    "shrink": ("缩减", "shrink"),
    "suspend": ("停招", "suspend"),
    "level_red": ("红牌", "red card"),
    "level_yellow": ("黄牌", "yellow card"),
    "level_green": ("绿牌", "green card"),
    "level_not_rated": ("无法评估", "not rated"),
    "mase_title": ("回测误差 MASE（越低越好）", "Backtest MASE (lower is better)"),
    "model": ("模型", "model"),
    "generated_note": ("含生成数据", "includes generated data"),
}


def _charmap(path: str | Path) -> frozenset[int]:
    """Code points that the font file at `path` has glyphs for."""
    return frozenset(FT2Font(str(path)).get_charmap())


@lru_cache(maxsize=None)
def _cached_charmap(path: str) -> frozenset[int]:
    return _charmap(path)


def _covers(charmap: frozenset[int], text: str) -> bool:
    return all(ord(ch) in charmap for ch in text if not ch.isspace())


@dataclass(frozen=True)
class FontSupport:
    """Which fonts the figures use and which characters they can draw.

    Attributes:
        families: matplotlib family names in fallback order (Latin first, then the CJK font if any).
        cjk_family: family name of the CJK font, None when no CJK font is available.
        cjk_path: file of the CJK font, None when there is none.
        codepoints: every code point some font in `families` can draw.
    """

    families: tuple[str, ...]
    cjk_family: str | None = None
    cjk_path: Path | None = None
    codepoints: frozenset[int] = field(default_factory=frozenset, repr=False)

    @property
    def language(self) -> str:
        """"zh" when Chinese labels can be drawn, else "en"."""
        return "zh" if self.cjk_family else "en"

    def can_draw(self, text: str) -> bool:
        """True when every non-space character of `text` has a glyph in one of the fonts."""
        return _covers(self.codepoints, text)

    def label(self, zh: str | None, en: str | None, fallback: str = "") -> str:
        """The Chinese text if it can be drawn, else the English text, else `fallback` (e.g. a code).

        Args:
            zh: Chinese text (may be None or empty).
            en: English text (may be None or empty).
            fallback: used when neither can be drawn, e.g. the sector or major code.
        """
        zh = "" if zh is None or (isinstance(zh, float) and np.isnan(zh)) else str(zh)
        en = "" if en is None or (isinstance(en, float) and np.isnan(en)) else str(en)
        if self.cjk_family and zh and self.can_draw(zh):
            return zh
        if en and self.can_draw(en):
            return en
        return fallback or en or ""

    def text(self, key: str, **fmt: object) -> str:
        """A fixed figure text from `TEXT` in the chosen language, formatted with `fmt`."""
        zh, en = TEXT[key]
        return self.label(zh.format(**fmt), en.format(**fmt))


def _system_cjk_fonts() -> list[tuple[str, str]]:
    """(family, path) of installed fonts that can draw the probe text, best first (sans before serif)."""
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for entry in font_manager.fontManager.ttflist:
        # matplotlib's own fonts have no CJK glyphs, except "Last Resort", whose glyphs are placeholder boxes.
        if entry.fname in seen or Path(entry.fname) == BUNDLED_CJK_FONT or _MPL_FONT_DIR in Path(entry.fname).parents:
            continue
        seen.add(entry.fname)
        try:
            if _covers(_cached_charmap(entry.fname), CJK_PROBE):
                found.append((entry.name, entry.fname))
        except (OSError, RuntimeError, ValueError):  # unreadable or exotic font files are simply skipped
            continue
    found.sort(key=lambda fam_path: ("serif" in fam_path[0].lower() and "sans" not in fam_path[0].lower(),
                                     fam_path[0]))
    return found


@lru_cache(maxsize=None)
def find_fonts(use_system: bool = True, use_bundled: bool = True) -> FontSupport:
    """Find the fonts for figures, without changing matplotlib's settings (cached: scanning fonts is slow).

    Args:
        use_system: consider CJK fonts installed on the machine (preferred: usually more complete).
        use_bundled: consider the subset of Droid Sans Fallback shipped in `talentcast/fonts/`.

    Returns:
        FontSupport with DejaVu Sans first and the best CJK font (if any) second.
    """
    latin_path = font_manager.findfont(font_manager.FontProperties(family=LATIN_FAMILY), fallback_to_default=True)
    families: list[str] = [LATIN_FAMILY]
    codepoints = set(_cached_charmap(latin_path))
    cjk_family: str | None = None
    cjk_path: Path | None = None

    candidates: list[tuple[str, str]] = _system_cjk_fonts() if use_system else []
    if use_bundled and BUNDLED_CJK_FONT.exists():
        font_manager.fontManager.addfont(str(BUNDLED_CJK_FONT))
        bundled_name = font_manager.FontProperties(fname=BUNDLED_CJK_FONT).get_name()
        candidates.append((bundled_name, str(BUNDLED_CJK_FONT)))
    if candidates:
        cjk_family, path = candidates[0]
        cjk_path = Path(path)
        families.append(cjk_family)
        codepoints |= _cached_charmap(path)
    return FontSupport(tuple(families), cjk_family, cjk_path, frozenset(codepoints))


def configure_fonts(use_system: bool = True, use_bundled: bool = True) -> FontSupport:
    """Choose fonts for Chinese labels and make matplotlib use them.

    Sets `font.family` to DejaVu Sans first (Latin, digits, symbols) and the CJK font second: matplotlib then
    draws each character with the first font in that list that has it. With neither a system nor the
    bundled CJK font, only DejaVu Sans is used and `FontSupport.language` is "en".

    Args:
        use_system: consider CJK fonts installed on the machine (preferred: usually more complete).
        use_bundled: consider the subset of Droid Sans Fallback shipped in `talentcast/fonts/`.

    Returns:
        The FontSupport the figure functions use to pick label languages.
    """
    fonts = find_fonts(use_system, use_bundled)
    # matplotlib falls back glyph by glyph only across the families *listed* in font.family (a generic name
    # like "sans-serif" resolves to a single font), so list the concrete families there.
    matplotlib.rcParams["font.family"] = list(fonts.families)
    rest = [f for f in matplotlib.rcParams["font.sans-serif"] if f not in fonts.families]
    matplotlib.rcParams["font.sans-serif"] = list(fonts.families) + rest
    return fonts


def fonts_or_default(fonts: FontSupport | None) -> FontSupport:
    """`fonts`, or `configure_fonts()` when None (what every figure function does with its `fonts` argument)."""
    return fonts if fonts is not None else configure_fonts()
