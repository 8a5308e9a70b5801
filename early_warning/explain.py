"""Explanations in Chinese and English, generated from the numbers of each warning (never free text)."""

from __future__ import annotations

import math
from typing import Any

from early_warning.rules import ACTION_ZH, FORECAST_INDICATORS, LEVEL_ZH, MEASURE_TEXT, NOT_RATED, Condition, RuleSet
from forecasting.assumptions import ASSUMPTIONS_DOMINATE

LEVEL_EN = {"red": "RED", "yellow": "YELLOW", "green": "GREEN", NOT_RATED: "NOT RATED"}

# Why a class is not rated, when the major_pressure row carries no note of its own ({rule_set}, {plan_year}).
_NOT_RATED = {
    "no_forecast": ("没有该专业的需求预测（无专业供需压力结果），规则集{rule_set}需要预测供需比才能判断；"
                    "运行预测（talentcast run）后即可评估",
                    "there is no demand forecast for this major (no major_pressure result), and rule set "
                    "{rule_set} judges on the forecast demand/supply ratio; run the pipeline (talentcast run) to "
                    "rate it"),
    "no_outcomes": ("尚无毕业生就业结果（{plan_year}年前没有已调查的毕业届），规则集{rule_set}只依据就业率判断；"
                    "录入一届毕业生的就业数据后即可评估",
                    "there is no graduate employment outcome yet (no surveyed graduating class before "
                    "{plan_year}), and rule set {rule_set} judges on employment rates only; it is rated once a "
                    "class's outcomes are in the enrolment table"),
}

_NOTES = {
    "shared-cut": ("本地区该专业的调减总量按各校毕业生供给贡献分摊",
                   "the region's cut for this major is shared by schools in proportion to their graduate supply"),
    "expansion-capped": ("扩招名额已按对口行业未满足岗位缺口（经毕业生转化率折算）封顶",
                         "extra places were capped at the unmet openings of the sectors the major feeds "
                         "(converted through the yield of graduate entrants per admitted student)"),
    "expansion-blocked": ("对口行业无预测岗位缺口数据，不扩招",
                          "no forecast gap for the sectors the major feeds, so no expansion"),
    "min-class-raised": ("为保持最小开班规模{min}人，建议招生取{min}人",
                         "kept at the minimum viable class size of {min}"),
    "min-class-suspended": ("建议招生低于最小开班规模{min}人，暂停招生",
                            "the recommended class is below the minimum viable size of {min}, so it is suspended"),
}


def format_value(kind: str, value: Any) -> str:
    """Human-readable value of an indicator of the given kind ('n/a' when unknown)."""
    if _missing(value):
        return "n/a"
    if kind in ("rate", "fraction"):
        return f"{100 * value:.1f}%"
    if kind == "probability":
        return f"{value:.2f}"
    if kind == "count":
        return f"{int(value)}"
    if kind == "change":
        return f"{100 * value:+.1f}%"
    return f"{value:.2f}"


def condition_phrase(cond: Condition, value: Any, row: dict, lang: str) -> str:
    """One evidence phrase, e.g. '就业率连续2年低于60%' / 'employment rate below 60% for 2 consecutive year(s)'."""
    spec = cond.spec
    params = dict(cond.params)
    measure = params.get("measure", "employed")
    fill = {
        "value": format_value(spec.kind, value),
        "measure_zh": MEASURE_TEXT[measure][0],
        "measure_en": MEASURE_TEXT[measure][1],
        "target_year": _int_or(row.get("pressure_year"), row.get("target_year")),
        "threshold": f"{100 * params['threshold']:g}%" if "threshold" in params else "",
        "above": f"{params.get('above', row.get('_shortage_threshold', 1.2)):g}",
        "below": f"{params.get('below', row.get('_surplus_threshold', 0.8)):g}",
        "years": params.get("years", 3),
        "bad_below": f"{100 * params.get('bad_below', 0.6):g}%",
        "history_rate": format_value("rate", row.get("history_rate")),
    }
    if cond.indicator == "p_bad_outcome":  # about the affected cohort's graduation year, not the forecast's
        fill["target_year"] = _int_or(row.get("target_year"))
    text = (spec.zh if lang == "zh" else spec.en).format(**fill)
    history = row.get("rate_history") or {}
    if cond.indicator == "years_below" and history and value and measure == row.get("_measure", measure):
        # Show the rates behind the count (the latest ones, at most three).
        shown = sorted(history)[-int(min(value, 3)):]
        if lang == "zh":
            text += "（" + "，".join(f"{y}年{format_value('rate', history[y])}" for y in shown) + "）"
        else:
            text += " (" + ", ".join(f"{y}: {format_value('rate', history[y])}" for y in shown) + ")"
    return text


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _int_or(*values: Any) -> str:
    return next((str(int(v)) for v in values if not _missing(v)), "?")


def explain(row: dict, rule_set: RuleSet, min_class_size: int) -> tuple[str, str]:
    """Build (explanation_zh, explanation_en) for one allocated warning row.

    The text states the level and action, the current and recommended intake, the deciding rule and its
    description, the values of the deciding rule's indicators (and of the other rules that fired), and how the
    joint allocation changed the rule's proposal.
    """
    by_name = {r.name: r for r in rule_set.rules}
    level, action = row["level"], row["action"]
    cur, rec = int(row["current_intake"]), int(row["recommended_intake"])
    diff = rec - cur
    school = row.get("school_name") or row["school"]
    major = row.get("major_name") or row["major"]
    major_en = row.get("major_name_en") or major
    school_en = row.get("school_name_en") or school
    latest = row.get("latest_intake_year", int(row["plan_year"]) - 1)
    zh = [f"【{LEVEL_ZH[level]}·{ACTION_ZH[action]}】{school}「{major}」（{row['major']}）：现招生{cur}人"
          f"（{latest}年），{row['plan_year']}年建议招生{rec}人（{diff:+d}）。"]
    en = [f"[{LEVEL_EN[level]} / {action}] {school_en}, {major_en} ({row['major']}): intake {cur} in {latest}, "
          f"recommended {rec} for {row['plan_year']} ({diff:+d})."]
    decided = row.get("decided_by") or ""
    if decided:
        rule = by_name[decided]
        phrases_zh = [condition_phrase(c, row.get(c.key), row, "zh") for c in rule.conditions]
        phrases_en = [condition_phrase(c, row.get(c.key), row, "en") for c in rule.conditions]
        zh.append(f"规则 {rule.name}：{rule.description_zh or ''}。依据：{'；'.join(phrases_zh)}。")
        en.append(f"Rule {rule.name}: {rule.description_en or ''}. Evidence: {'; '.join(phrases_en)}.")
        others = [n for n in row["rules_fired"] if n != decided and n in by_name]
        if others:
            zh.append(f"同时触发：{'、'.join(others)}（按规则顺序以 {decided} 为准）。")
            en.append(f"Also fired: {', '.join(others)} (the first rule in order, {decided}, decides).")
        if rule_set.scope_zh or rule_set.reading_zh:
            zh.append("".join(f"{t}。" for t in (rule_set.scope_zh, rule_set.reading_zh) if t))
            en.append(" ".join(f"{t[0].upper()}{t[1:]}." for t in (rule_set.scope_en, rule_set.reading_en) if t))
    elif level == NOT_RATED:
        reason_zh, reason_en = not_rated_text(row, rule_set)
        rate = _latest_rate(row)
        measure = rule_set.employment_measure
        zh.append(f"不作调整建议。无法评估：{reason_zh}。")
        en.append(f"No recommendation. Not rated: {reason_en}.")
        if rate is not None:
            zh.append(f"最近{MEASURE_TEXT[measure][0]}{format_value('rate', rate[1])}（{rate[0]}年），未触发预警规则。")
            en.append(f"Latest {MEASURE_TEXT[measure][1]} {format_value('rate', rate[1])} ({rate[0]}); no warning "
                      "rule fired.")
    else:
        facts_zh, facts_en = [], []
        rate = _latest_rate(row)
        measure = rule_set.employment_measure
        if rate is not None:
            facts_zh.append(f"最近{MEASURE_TEXT[measure][0]}{format_value('rate', rate[1])}（{rate[0]}年）")
            facts_en.append(f"latest {MEASURE_TEXT[measure][1]} {format_value('rate', rate[1])} ({rate[0]})")
        p = row.get("p_shortage")
        if not _missing(p):
            year = _int_or(row.get("pressure_year"))
            facts_zh.append(f"{year}年短缺概率{p:.2f}，过剩概率{row.get('p_surplus', float('nan')):.2f}")
            facts_en.append(f"P(shortage in {year}) {p:.2f}, P(surplus) {row.get('p_surplus', float('nan')):.2f}")
        zh.append("未触发预警规则" + (f"：{'；'.join(facts_zh)}。" if facts_zh else "。"))
        en.append("No warning rule fired" + (f": {'; '.join(facts_en)}." if facts_en else "."))
    share = row.get("assumption_share")
    uses_forecast = any(c.indicator in FORECAST_INDICATORS for c in rule_set.conditions())
    if uses_forecast and not _missing(share) and share > ASSUMPTIONS_DOMINATE:
        zh.append(f"注意：预测供需比的不确定性中{100 * share:.0f}%来自假设参数（毕业生入职比例、更替率、专业-行业"
                  "对应权重），而非预测本身；此判断主要取决于这些假设。")
        en.append(f"Note: {100 * share:.0f}% of the uncertainty of the forecast ratio comes from assumed parameters "
                  "(graduate entry share, replacement rate, major-sector weights), not from the forecast itself; "
                  "this judgement rests mainly on those assumptions.")
    current = row.get("current_ratio")
    if uses_forecast and row.get("conditions_check") == "contradicts" and not _missing(current):
        zh.append(f"注意：预测与当前形势相反——对口行业当前求人倍率为{current:.2f}（近12个月岗位/求职人数），"
                  "建议结合当前招聘情况复核。")
        en.append(f"Note: the forecast contradicts current conditions - the sectors' current vacancies per job "
                  f"seeker (求人倍率, last 12 months) is {current:.2f}; review against current hiring.")
    note = row.get("allocation_note") or ""
    if note:
        nz, ne = _NOTES[note]
        ne = ne.format(min=min_class_size)
        zh.append(nz.format(min=min_class_size) + "。")
        en.append(ne[0].upper() + ne[1:] + ".")
    return "".join(zh), " ".join(en)


def not_rated_text(row: dict, rule_set: RuleSet) -> tuple[str, str]:
    """(zh, en) reason of a not-rated class: the major_pressure row's own note, else a generic sentence."""
    zh, en = row.get("pressure_note_zh"), row.get("pressure_note_en")
    reason = row.get("not_rated_reason") or "no_forecast"
    if reason == "no_outcomes" or not (isinstance(zh, str) and zh and isinstance(en, str) and en):
        template_zh, template_en = _NOT_RATED.get(reason, _NOT_RATED["no_forecast"])
        fill = {"rule_set": rule_set.name, "plan_year": row.get("plan_year", "")}
        zh, en = template_zh.format(**fill), template_en.format(**fill)
    return zh.rstrip("。."), en.rstrip(".")


def _latest_rate(row: dict) -> tuple[int, float] | None:
    history = row.get("rate_history") or {}
    if not history:
        return None
    year = max(history)
    return year, history[year]
