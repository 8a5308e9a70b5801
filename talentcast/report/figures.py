"""Figures for analysts and the `talentcast report` command (labels in Chinese when the fonts can draw them).

Every figure function takes DataFrames in the shapes of docs/INTERFACES.md and returns a
`matplotlib.figure.Figure`; nothing here reads the database or writes files (see `talentcast.report.html`).
Fonts and the fixed label texts are in `talentcast.report.fonts`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter, StrMethodFormatter

from features.errors import TalentcastError
from talentcast.report.fonts import TEXT, FontSupport, fonts_or_default

# MOE 2011: a major whose graduate employment rate is below 60% two years running gets its intake cut.
MOE_EMPLOYMENT_RATE_FLOOR = 0.60
# NBS changed the survey frame of urban-unit employment in 2013 (a level break in the real panel).
NBS_LEVEL_BREAK_YEAR = 2013

_WARNING_ACTIONS = ("expand", "hold", "shrink", "suspend")
_LEVEL_COLOURS = {"red": "#c0392b", "yellow": "#f1c40f", "green": "#27ae60", "not_rated": "#95a5a6"}


# --------------------------------------------------------------------------------------------------- names
def name_labels(table: pd.DataFrame | None, codes: Iterable[str], fonts: FontSupport) -> dict[str, str]:
    """Display names for codes from a sectors / majors table (columns code, name_zh, name_en).

    The Chinese name is used when it can be drawn, else the English name, else the code itself.
    """
    codes = [str(c) for c in codes]
    if table is None or table.empty or "code" not in table.columns:
        return {c: c for c in codes}
    by_code = table.assign(code=table["code"].astype(str)).drop_duplicates("code").set_index("code")
    labels = {}
    for code in codes:
        if code in by_code.index:
            row = by_code.loc[code]
            labels[code] = fonts.label(row.get("name_zh"), row.get("name_en"), fallback=code)
        else:
            labels[code] = code
    return labels


def _period_axis(periods: pd.Series) -> pd.Series:
    """Plot positions for period strings: ints for years ("2015"), timestamps for months ("2015-03")."""
    text = periods.astype(str)
    if text.str.fullmatch(r"\d{4}").all():
        return text.astype(int)
    return pd.PeriodIndex(text, freq="M").to_timestamp().to_series(index=periods.index)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TalentcastError(f"{what} lacks column(s) {', '.join(missing)}; see docs/INTERFACES.md",
                              f"{what} 缺少列 {'、'.join(missing)}；见 docs/INTERFACES.md")
    if frame.empty:
        raise TalentcastError(f"{what} is empty: nothing to plot", f"{what} 为空：没有可绘制的内容")


def _new_figure(width: float = 9.0, height: float = 5.0) -> Figure:
    # Figure() rather than pyplot: no global figure registry to leak from in the CLI.
    return Figure(figsize=(width, height), layout="constrained")


def _level_columns(frame: pd.DataFrame, prefix: str, levels: Sequence[int]) -> list[int]:
    return [lv for lv in sorted(levels, reverse=True)
            if f"{prefix}lo_{lv}" in frame.columns and f"{prefix}hi_{lv}" in frame.columns]


def draw_fan(ax, x, frame: pd.DataFrame, *, prefix: str = "", mean: str | None = None,
             levels: Sequence[int] = (80, 95), colour: str = "C0", label: str = "",
             fonts: FontSupport | None = None) -> None:
    """Draw a forecast mean line with shaded interval bands (widest first) on `ax`.

    Args:
        ax: matplotlib Axes.
        x: plot positions, one per row of `frame`.
        frame: rows sorted by period, with `{prefix}mean` (or `mean`) and `{prefix}lo_{level}`/`hi_{level}`.
        prefix: column prefix, e.g. "graduate_openings_" for the demand result, "" for engine forecasts.
        mean: name of the mean column (default `{prefix}mean`).
        levels: interval levels to shade when their columns exist.
        colour: matplotlib colour of the line and bands.
        label: legend label of the mean line.
        fonts: FontSupport for the band labels.
    """
    fonts = fonts_or_default(fonts)
    mean = mean or f"{prefix}mean"
    present = _level_columns(frame, prefix, levels)
    for i, level in enumerate(present):  # widest first, so narrower bands are drawn on top
        ax.fill_between(x, frame[f"{prefix}lo_{level}"], frame[f"{prefix}hi_{level}"], color=colour,
                        alpha=0.15 + 0.15 * i, linewidth=0, label=fonts.text("interval", level=level))
    ax.plot(x, frame[mean], color=colour, marker="o", markersize=3, label=label)


# --------------------------------------------------------------------------------------------------- figures
def plot_sector_employment(employment: pd.DataFrame, sectors: pd.DataFrame | None = None, *,
                           region: str | None = None, sector_codes: Sequence[str] | None = None,
                           break_year: int | None = NBS_LEVEL_BREAK_YEAR, title: str | None = None,
                           fonts: FontSupport | None = None) -> Figure:
    """Employment lines per sector (one region), with the statistical level break marked.

    Args:
        employment: the employment table (region, sector, year, employed).
        sectors: the sectors table, for names (optional).
        region: region code; default the only region present, else the first.
        sector_codes: sectors to draw (default: all of the region).
        break_year: draw a vertical line at this year (None: none).
        title: figure title (default: a fixed bilingual-aware title plus the region).
        fonts: FontSupport (default `configure_fonts()`).
    """
    fonts = fonts_or_default(fonts)
    _require(employment, ["region", "sector", "year", "employed"], "employment table")
    region = region or str(employment["region"].astype(str).iloc[0])
    data = employment[employment["region"].astype(str) == str(region)]
    if sector_codes is not None:
        data = data[data["sector"].astype(str).isin([str(s) for s in sector_codes])]
    if data.empty:
        raise TalentcastError(f"no employment rows for region {region} and the chosen sectors",
                              f"地区 {region} 在所选行业中没有就业数据")
    wide = data.pivot_table(index="year", columns="sector", values="employed", aggfunc="sum").sort_index()
    wide = wide[wide.iloc[-1].sort_values(ascending=False).index]  # legend in order of latest size
    names = name_labels(sectors, wide.columns, fonts)
    fig = _new_figure(10, 5.5)
    ax = fig.add_subplot()
    for i, code in enumerate(wide.columns):
        ax.plot(wide.index, wide[code], marker="o", markersize=3, color=f"C{i % 10}",
                linestyle="-" if i < 10 else "--", label=f"{code} {names[code]}")
    if break_year is not None and wide.index.min() < break_year <= wide.index.max():
        ax.axvline(break_year - 0.5, color="grey", linestyle=":", linewidth=1.5)
        ax.annotate(fonts.text("level_break"), xy=(break_year - 0.5, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -12), textcoords="offset points", fontsize=8, color="grey")
    ax.set_title(title or f"{fonts.text('employment_title')} ({region})")
    ax.set_xlabel(fonts.text("year"))
    ax.set_ylabel(fonts.text("employment_y"))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=7, ncol=2 if len(wide.columns) > 8 else 1, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.grid(alpha=0.3)
    return fig


def plot_major_outcomes(enrolment: pd.DataFrame, majors: pd.DataFrame | None = None, *,
                        school: str | None = None, major_codes: Sequence[str] | None = None, top: int = 8,
                        fonts: FontSupport | None = None) -> Figure:
    """Intake and graduate employment rate per major (summed over schools unless `school` is given).

    Left: intake per year. Right: employment rate = graduates_employed / graduates, with the MOE 60% line.

    Args:
        enrolment: the enrolment table (school, major, year, intake, graduates, graduates_employed, ...).
        majors: the majors table, for names (optional).
        school: restrict to one school code.
        major_codes: majors to draw (default: the `top` majors by latest intake).
        top: how many majors when `major_codes` is None.
        fonts: FontSupport (default `configure_fonts()`).
    """
    fonts = fonts_or_default(fonts)
    _require(enrolment, ["school", "major", "year", "intake"], "enrolment table")
    data = enrolment
    if school is not None:
        data = data[data["school"].astype(str) == str(school)]
        if data.empty:
            raise TalentcastError(f"no enrolment rows for school {school}", f"学校 {school} 没有招生数据")
    totals = data.groupby(["major", "year"], as_index=False)[
        [c for c in ("intake", "graduates", "graduates_employed") if c in data.columns]].sum(min_count=1)
    if major_codes is None:
        latest = totals[totals["year"] == totals["year"].max()]
        major_codes = latest.sort_values("intake", ascending=False)["major"].astype(str).head(top).tolist()
    totals = totals[totals["major"].astype(str).isin([str(m) for m in major_codes])]
    names = name_labels(majors, major_codes, fonts)
    fig = _new_figure(12, 5)
    ax_intake, ax_rate = fig.subplots(1, 2)
    for i, code in enumerate(major_codes):
        rows = totals[totals["major"].astype(str) == str(code)].sort_values("year")
        colour = f"C{i % 10}"
        ax_intake.plot(rows["year"], rows["intake"], marker="o", markersize=3, color=colour, label=names[code])
        if {"graduates", "graduates_employed"} <= set(rows.columns):
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = rows["graduates_employed"] / rows["graduates"].where(rows["graduates"] > 0)
            ax_rate.plot(rows["year"], rate, marker="o", markersize=3, color=colour, label=names[code])
    ax_rate.axhline(MOE_EMPLOYMENT_RATE_FLOOR, color="red", linestyle="--", linewidth=1,
                    label=fonts.text("moe_floor"))
    ax_intake.set_title(fonts.text("intake_title"))
    ax_intake.set_ylabel(fonts.text("intake_y"))
    ax_rate.set_title(fonts.text("employment_rate_title"))
    ax_rate.set_ylabel(fonts.text("employment_rate_y"))
    ax_rate.yaxis.set_major_formatter(PercentFormatter(1.0))
    for ax in (ax_intake, ax_rate):
        ax.set_xlabel(fonts.text("year"))
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
    ax_rate.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def plot_fan_chart(forecast: pd.DataFrame, history: pd.DataFrame | None = None, *, series_id: str | None = None,
                   title: str | None = None, levels: Sequence[int] = (80, 95), ax=None,
                   fonts: FontSupport | None = None) -> Figure:
    """Fan chart of one series: history line, forecast mean and shaded 80/95% intervals.

    Args:
        forecast: engine output (series_id, period, mean, lo_80, hi_80, lo_95, hi_95, model).
        history: long input (series_id, period, value), optional.
        series_id: which series (default: the first in `forecast`).
        title: axes title (default: the series id and model).
        levels: interval levels to shade.
        ax: draw into this Axes instead of a new figure.
        fonts: FontSupport (default `configure_fonts()`).
    """
    fonts = fonts_or_default(fonts)
    _require(forecast, ["series_id", "period", "mean"], "forecast frame")
    series_id = series_id or str(forecast["series_id"].iloc[0])
    fc = forecast[forecast["series_id"].astype(str) == series_id].sort_values("period")
    if fc.empty:
        raise TalentcastError(f"series {series_id!r} is not in the forecast frame", f"预测结果中没有序列 {series_id!r}")
    fig = ax.figure if ax is not None else _new_figure(8, 4.5)
    ax = ax if ax is not None else fig.add_subplot()
    if history is not None and not history.empty:
        hist = history[history["series_id"].astype(str) == series_id].sort_values("period")
        ax.plot(_period_axis(hist["period"]), hist["value"], color="black", marker="o", markersize=3,
                label=fonts.text("history"))
    model = str(fc["model"].iloc[0]) if "model" in fc.columns else ""
    draw_fan(ax, _period_axis(fc["period"]), fc, levels=levels, colour="C0",
             label=f"{fonts.text('forecast')} ({model})" if model else fonts.text("forecast"), fonts=fonts)
    ax.set_title(title or series_id)
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_xlabel(fonts.text("year"))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_demand_supply(demand: pd.DataFrame, gaps: pd.DataFrame, sectors: pd.DataFrame | None = None, *,
                       sector_codes: Sequence[str] | None = None, region: str | None = None, top: int = 6,
                       levels: Sequence[int] = (80, 95), region_name: str | None = None,
                       fonts: FontSupport | None = None) -> Figure:
    """Demand (graduate openings, fan) against supply (graduate entrants, line) per sector, small multiples.

    Args:
        demand: demand result (region, sector, year, graduate_openings_mean, graduate_openings_lo_80, ...).
        gaps: gaps result (region, sector, year, supply_mean, ...).
        sectors: the sectors table, for names (optional).
        sector_codes: sectors to draw (default: the `top` sectors by mean graduate openings).
        region: region code (default: the first in `demand`).
        top: number of panels when `sector_codes` is None.
        levels: interval levels to shade.
        region_name: shown in the title next to the code (e.g. from `name_labels(regions, ...)`).
        fonts: FontSupport (default `configure_fonts()`).
    """
    fonts = fonts_or_default(fonts)
    _require(demand, ["region", "sector", "year", "graduate_openings_mean"], "demand result")
    _require(gaps, ["region", "sector", "year", "supply_mean"], "gaps result")
    region = region or str(demand["region"].astype(str).iloc[0])
    dem = demand[demand["region"].astype(str) == region]
    gap = gaps[gaps["region"].astype(str) == region]
    if sector_codes is None:
        order = dem.groupby("sector")["graduate_openings_mean"].mean().sort_values(ascending=False)
        sector_codes = [str(s) for s in order.index[:top]]
    names = name_labels(sectors, sector_codes, fonts)
    n = len(sector_codes)
    if n == 0:
        raise TalentcastError(f"no sectors to plot for region {region}", f"地区 {region} 没有可绘制的行业")
    ncols = min(3, n)
    nrows = int(np.ceil(n / ncols))
    fig = _new_figure(4.2 * ncols, 3.3 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, code in zip(axes, sector_codes):
        d = dem[dem["sector"].astype(str) == code].sort_values("year")
        s = gap[gap["sector"].astype(str) == code].sort_values("year")
        draw_fan(ax, d["year"], d, prefix="graduate_openings_", levels=levels, colour="C3",
                 label=fonts.text("demand"), fonts=fonts)
        ax.plot(s["year"], s["supply_mean"], color="C0", marker="s", markersize=3, label=fonts.text("supply"))
        ax.set_title(f"{code} {names[code]}", fontsize=10)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.grid(alpha=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    axes[0].set_ylabel(fonts.text("persons"))
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(fonts.text("demand_supply_title", name=f"{region} {region_name}" if region_name else region))
    return fig


def shortage_matrix(gaps: pd.DataFrame, *, value: str = "p_shortage", region: str | None = None) -> pd.DataFrame:
    """Sector x year table of `value` (default P(shortage)) for one region, sectors sorted by their mean."""
    _require(gaps, ["region", "sector", "year", value], "gaps result")
    region = region or str(gaps["region"].astype(str).iloc[0])
    data = gaps[gaps["region"].astype(str) == region]
    table = data.pivot_table(index="sector", columns="year", values=value, aggfunc="mean")
    return table.loc[table.mean(axis=1).sort_values(ascending=False).index]


def plot_shortage_heatmap(gaps: pd.DataFrame, sectors: pd.DataFrame | None = None, *, value: str = "p_shortage",
                          region: str | None = None, fonts: FontSupport | None = None) -> Figure:
    """Heat map of P(shortage) (or `value`) by sector x year, each cell annotated.

    Args:
        gaps: gaps result (region, sector, year, p_shortage, shortage_threshold, ...).
        sectors: the sectors table, for names (optional).
        value: column to show, "p_shortage" or "p_surplus".
        region: region code (default: the first in `gaps`).
        fonts: FontSupport (default `configure_fonts()`).
    """
    fonts = fonts_or_default(fonts)
    table = shortage_matrix(gaps, value=value, region=region)
    names = name_labels(sectors, table.index, fonts)
    fig = _new_figure(1.2 + 0.9 * len(table.columns) + 2.5, 0.9 + 0.38 * len(table.index))
    ax = fig.add_subplot()
    cmap = "Reds" if value == "p_shortage" else "Blues"
    image = ax.imshow(table.to_numpy(dtype=float), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for (i, j), p in np.ndenumerate(table.to_numpy(dtype=float)):
        if np.isfinite(p):
            ax.text(j, i, f"{p:.2f}", ha="center", va="center", fontsize=8, color="white" if p > 0.6 else "black")
    ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns])
    ax.set_yticks(range(len(table.index)), [f"{c} {names[c]}" for c in table.index])
    threshold_col = "shortage_threshold" if value == "p_shortage" else "surplus_threshold"
    default_threshold = 1.2 if value == "p_shortage" else 0.8
    threshold = (float(gaps[threshold_col].iloc[0]) if threshold_col in gaps.columns else default_threshold)
    key = "heatmap_title" if value == "p_shortage" else "heatmap_surplus_title"
    ax.set_title(fonts.text(key, threshold=f"{threshold:g}"))
    ax.set_xlabel(fonts.text("year"))
    fig.colorbar(image, ax=ax, label=fonts.text("probability"), shrink=0.8)
    return fig


def scenario_difference(before: pd.DataFrame, after: pd.DataFrame, *, value: str = "gap_mean",
                        year: int | None = None, cumulative: bool = False, by: str = "sector") -> pd.DataFrame:
    """Before / after / change of `value` per `by`, for one year or summed over the forecast years.

    Args:
        before: baseline result with `by`, year and `value` (e.g. the gaps result of one region).
        after: scenario result of the same shape.
        value: the column to compare.
        year: the year (default: the last year present in both); ignored when `cumulative`.
        cumulative: sum over all years present in both (for flows such as gaps and openings: a plant that
            opens in one year adds expansion demand in that year only).
        by: the grouping column.

    Returns:
        DataFrame indexed by `by` with columns before, after, change, sorted by |change| descending;
        `attrs["period"]` says which year(s) it covers.
    """
    _require(before, [by, "year", value], "baseline result")
    _require(after, [by, "year", value], "scenario result")
    common = sorted(set(before["year"]) & set(after["year"]))
    if not common:
        raise TalentcastError("baseline and scenario results have no year in common", "基准与情景结果没有共同年份")
    if cumulative:
        chosen, period = common, f"{common[0]}-{common[-1]}"
    else:
        chosen = [int(year) if year is not None else common[-1]]
        period = str(chosen[0])
    b = before[before["year"].isin(chosen)].groupby(by)[value].sum()
    a = after[after["year"].isin(chosen)].groupby(by)[value].sum()
    table = pd.DataFrame({"before": b, "after": a}).fillna(0.0)
    table["change"] = table["after"] - table["before"]
    table = table.loc[table["change"].abs().sort_values(ascending=False, kind="stable").index]
    table.attrs.update(period=period, value=value, year=chosen[-1])
    return table


def plot_scenario_comparison(before: pd.DataFrame, after: pd.DataFrame, sectors: pd.DataFrame | None = None, *,
                             value: str = "gap_mean", year: int | None = None, cumulative: bool = False,
                             top: int = 10, fonts: FontSupport | None = None) -> Figure:
    """Grouped bars of `value` per sector, baseline next to scenario, for one year or summed over years.

    Args:
        before: baseline result with sector, year and `value` (e.g. the gaps result).
        after: scenario result of the same shape.
        sectors: the sectors table, for names (optional).
        value: column to compare (gap_mean, openings_mean, supply_mean, p_shortage).
        year: the year (default: last year present in both).
        cumulative: sum over the common years instead (see `scenario_difference`).
        top: show the `top` sectors with the largest absolute change.
        fonts: FontSupport (default `configure_fonts()`).
    """
    fonts = fonts_or_default(fonts)
    table = scenario_difference(before, after, value=value, year=year, cumulative=cumulative).head(top)
    names = name_labels(sectors, table.index, fonts)
    fig = _new_figure(9, 0.9 + 0.45 * len(table))
    ax = fig.add_subplot()
    y = np.arange(len(table))
    ax.barh(y - 0.2, table["before"], height=0.4, color="C7", label=fonts.text("before"))
    ax.barh(y + 0.2, table["after"], height=0.4, color="C3", label=fonts.text("after"))
    ax.set_yticks(y, [f"{c} {names[c]}" for c in table.index])
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    value_label = fonts.text(value) if value in TEXT else value
    ax.set_xlabel(value_label)
    ax.set_title(fonts.text("scenario_title", value=value_label, year=table.attrs["period"]))
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def plot_scenario_timeline(before: pd.DataFrame, after: pd.DataFrame, sector: str,
                           sectors: pd.DataFrame | None = None, *, value: str = "gap_mean",
                           region: str | None = None, levels: Sequence[int] = (80,),
                           fonts: FontSupport | None = None) -> Figure:
    """One sector's `value` over the forecast years, baseline against scenario, with interval bands if present.

    Args:
        before: baseline result (region, sector, year, `value` and optionally `<stem>_lo_80` / `_hi_80`,
            e.g. gap_mean with gap_lo_80 / gap_hi_80).
        after: scenario result of the same shape.
        sector: sector code to draw.
        sectors: the sectors table, for the name (optional).
        value: column to draw, ending in "_mean" for the bands to be found.
        region: region code (default: the first in `before`).
        levels: interval levels to shade.
        fonts: FontSupport (default `configure_fonts()`).
    """
    fonts = fonts_or_default(fonts)
    _require(before, ["region", "sector", "year", value], "baseline result")
    _require(after, ["region", "sector", "year", value], "scenario result")
    region = region or str(before["region"].astype(str).iloc[0])
    prefix = value[: -len("mean")] if value.endswith("_mean") else ""
    fig = _new_figure(8, 4.5)
    ax = fig.add_subplot()
    for frame, colour, key in ((before, "C7", "before"), (after, "C3", "after")):
        rows = frame[(frame["region"].astype(str) == region) & (frame["sector"].astype(str) == str(sector))]
        if rows.empty:
            raise TalentcastError(f"no rows for region {region}, sector {sector}", f"地区 {region}、行业 {sector} 没有数据")
        rows = rows.sort_values("year")
        bands = [lv for lv in levels if prefix and {f"{prefix}lo_{lv}", f"{prefix}hi_{lv}"} <= set(rows.columns)]
        for level in bands:
            ax.fill_between(rows["year"], rows[f"{prefix}lo_{level}"], rows[f"{prefix}hi_{level}"], color=colour,
                            alpha=0.2, linewidth=0)
        ax.plot(rows["year"], rows[value], color=colour, marker="o", markersize=4, label=fonts.text(key))
    name = name_labels(sectors, [str(sector)], fonts)[str(sector)]
    value_label = fonts.text(value) if value in TEXT else value
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title(f"{sector} {name}")
    ax.set_ylabel(value_label)
    ax.set_xlabel(fonts.text("year"))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_warning_actions(warnings: pd.DataFrame, *, plan_year: int | None = None,
                         fonts: FontSupport | None = None) -> Figure:
    """Bars: how many (school, major) pairs get each recommended action, split by card level (red/yellow/green/not rated).

    Args:
        warnings: warnings result (plan_year, action, level).
        plan_year: which plan year (default: the latest in the frame).
        fonts: FontSupport (default `configure_fonts()`).
    """
    fonts = fonts_or_default(fonts)
    _require(warnings, ["plan_year", "action"], "warnings result")
    plan_year = int(plan_year if plan_year is not None else warnings["plan_year"].max())
    rows = warnings[warnings["plan_year"] == plan_year]
    levels = rows["level"] if "level" in rows.columns else pd.Series("green", index=rows.index)
    counts = pd.crosstab(rows["action"], levels).reindex(index=list(_WARNING_ACTIONS), fill_value=0)
    counts = counts.reindex(columns=[lv for lv in _LEVEL_COLOURS if lv in counts.columns])
    fig = _new_figure(7, 4)
    ax = fig.add_subplot()
    x = np.arange(len(counts))
    bottom = np.zeros(len(counts))
    for level in counts.columns:
        ax.bar(x, counts[level], bottom=bottom, color=_LEVEL_COLOURS[level], label=fonts.text(f"level_{level}"))
        bottom += counts[level].to_numpy()
    for xi, total in zip(x, bottom):
        ax.annotate(f"{int(total)}", (xi, total), ha="center", va="bottom", fontsize=9, xytext=(0, 2),
                    textcoords="offset points")
    ax.set_xticks(x, [fonts.text(a) for a in counts.index])
    ax.set_ylabel(fonts.text("majors_count"))
    ax.set_title(f"{fonts.text('warnings_title')} ({plan_year})")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return fig


def plot_backtest_scores(scores: pd.DataFrame, *, metric: str = "mase", fonts: FontSupport | None = None) -> Figure:
    """Box plot of a backtest metric per model (one point per series) from `forecasting.backtest.evaluate`."""
    fonts = fonts_or_default(fonts)
    _require(scores, ["model", metric], "backtest scores")
    order = scores.groupby("model")[metric].median().sort_values().index.tolist()
    data = [scores.loc[scores["model"] == m, metric].dropna().to_numpy() for m in order]
    fig = _new_figure(8, 4)
    ax = fig.add_subplot()
    ax.boxplot(data, tick_labels=order, showmeans=True)
    ax.axhline(1.0, color="grey", linestyle=":", linewidth=1)
    ax.set_ylabel(metric.upper())
    ax.set_xlabel(fonts.text("model"))
    ax.set_title(fonts.text("mase_title") if metric == "mase" else metric)
    ax.grid(axis="y", alpha=0.3)
    return fig


# --------------------------------------------------------------------------------------------------- report
def report_region(results: Mapping[str, pd.DataFrame], preferred: str | None = None) -> str:
    """The region a report is about: `preferred` when the run has results for it, else the warnings' region
    (the planning region), else the first region of the gaps or demand results.

    Raises:
        TalentcastError: the run has no results with a region.
    """
    present: list[str] = []
    for kind in ("gaps", "demand", "warnings"):
        frame = results.get(kind)
        if frame is not None and not frame.empty and "region" in frame.columns:
            present += [r for r in frame["region"].astype(str).unique() if r not in present]
    if not present:
        raise TalentcastError("the run has no demand, gaps or warnings results to draw",
                              "本次运行没有可绘制的需求、缺口或预警结果")
    if preferred is not None and str(preferred) in present:
        return str(preferred)
    warnings = results.get("warnings")
    if warnings is not None and not warnings.empty and "region" in warnings.columns:
        return str(warnings["region"].astype(str).iloc[0])
    return present[0]


def report_figures(results: Mapping[str, pd.DataFrame], tables: Mapping[str, pd.DataFrame] | None = None, *,
                   region: str | None = None, top: int = 6, baseline: Mapping[str, pd.DataFrame] | None = None,
                   fonts: FontSupport | None = None) -> dict[str, Figure]:
    """The key figures of one stored run for one region: demand vs supply, P(shortage), warning actions and the
    employment history of the same sectors.

    Args:
        results: result kinds of one run (demand, gaps, warnings; missing or empty kinds are skipped).
        tables: input tables (sectors, regions, employment), for names and the history figure.
        region: the region to draw (see `report_region`; default: the planning region of the run).
        top: number of sectors in the demand vs supply and history figures (most graduate openings first).
        baseline: results of the baseline run when `results` are a scenario's; adds the figure
            "scenario_vs_baseline" (cumulative gap per sector, baseline next to scenario).
        fonts: FontSupport (default `configure_fonts()`).

    Returns:
        {file stem: Figure}, in the order they should appear in a report.
    """
    fonts = fonts_or_default(fonts)
    tables = tables or {}
    sectors = tables.get("sectors")
    region = report_region(results, region)
    region_name = name_labels(tables.get("regions"), [region], fonts)[region]
    region_name = "" if region_name == region else region_name

    def of_region(kind: str) -> pd.DataFrame | None:
        frame = results.get(kind)
        if frame is None or frame.empty or "region" not in frame.columns:
            return None
        frame = frame[frame["region"].astype(str) == region]
        return frame if not frame.empty else None

    figures: dict[str, Figure] = {}
    demand, gaps, warnings = of_region("demand"), of_region("gaps"), of_region("warnings")
    top_sectors: list[str] | None = None
    if demand is not None:
        order = demand.groupby("sector")["graduate_openings_mean"].mean().sort_values(ascending=False)
        top_sectors = [str(s) for s in order.index[:top]]
    if demand is not None and gaps is not None:
        figures["demand_vs_supply"] = plot_demand_supply(demand, gaps, sectors, sector_codes=top_sectors,
                                                         region=region, region_name=region_name, fonts=fonts)
    if gaps is not None:
        figures["p_shortage_heatmap"] = plot_shortage_heatmap(gaps, sectors, region=region, fonts=fonts)
    baseline_gaps = (baseline or {}).get("gaps")
    if gaps is not None and baseline_gaps is not None and not baseline_gaps.empty:
        baseline_gaps = baseline_gaps[baseline_gaps["region"].astype(str) == region]
        if not baseline_gaps.empty:
            figures["scenario_vs_baseline"] = plot_scenario_comparison(baseline_gaps, gaps, sectors, value="gap_mean",
                                                                       cumulative=True, fonts=fonts)
    if warnings is not None:
        figures["warning_actions"] = plot_warning_actions(warnings, fonts=fonts)
    employment = tables.get("employment")
    if employment is not None and not employment.empty and region in set(employment["region"].astype(str)):
        history = employment[employment["region"].astype(str) == region]
        codes = [s for s in (top_sectors or []) if s in set(history["sector"].astype(str))] or None
        figures["sector_employment"] = plot_sector_employment(history, sectors, region=region, sector_codes=codes,
                                                              fonts=fonts)
    if not figures:
        raise TalentcastError(f"the run has no demand, gaps or warnings results for region {region}",
                              f"本次运行没有地区 {region} 的需求、缺口或预警结果")
    return figures


def figure_png(fig: Figure, dpi: int = 110) -> bytes:
    """PNG bytes of a figure."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
