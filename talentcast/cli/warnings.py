"""CLI command: warnings (专业预警) - read the latest run's warnings or recompute them with another rule set.

    talentcast warnings [--school CODE] [--rules NAME|FILE] [--format table|csv|json|xlsx] [--year Y]
                        [--region CODE] [--min-class-size N] [--level red|yellow|green|not_rated] [--output FILE]
    talentcast warnings --list-rules          # built-in rule sets and the regions using them
    talentcast warnings --check-rules FILE    # validate a rule file (exit 2 with file/rule/field/reason)

The stored warnings of the latest completed baseline run are shown when they match the request (same rule set,
plan year and minimum class size). Otherwise they are computed by the service (talentcast.service) from the
run's results and the run's own dataset versions - exactly as GET /v1/warnings?rule_set= does - and nothing
is written. `--format xlsx` writes the export workbook (names beside codes, evidence in columns, an About
sheet; the same as `talentcast export warnings`) to --output, default talentcast-warnings-run-<id>.xlsx.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import typer

from early_warning import LEVELS, list_rule_sets, load_rule_set
from features.errors import TalentcastError
from talentcast.cli.app import app
from talentcast.cli.export import write_output
from talentcast.export import export_filename, filters_text
from talentcast.service import Service
from talentcast.settings import get_settings
from talentcast.storage import Storage

_FORMATS = ("table", "csv", "json", "xlsx")
_TABLE_COLUMNS = ("school", "major", "level", "action", "current_intake", "recommended_intake", "rules_fired")


def _cell(value) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def render(frame, fmt: str, explain: bool = False) -> str:
    """Warnings as an aligned text table (with explanations when asked), CSV or JSON records."""
    if fmt == "json":
        records = frame.to_dict(orient="records")
        for r in records:
            for key in ("current_intake", "recommended_intake", "plan_year"):
                if key in r and r[key] is not None:
                    r[key] = int(r[key])
        return json.dumps(records, ensure_ascii=False, indent=1, default=str)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(list(frame.columns))
        for row in frame.itertuples(index=False):
            writer.writerow([_cell(v) for v in row])
        return buffer.getvalue().rstrip("\n")
    header = ["school", "major", "level", "action", "current", "recommended", "rules fired"]
    rows = [[_cell(r[c]) if c != "rules_fired" else ", ".join(r[c]) or "-" for c in _TABLE_COLUMNS]
            for _, r in frame.iterrows()]
    widths = [max([len(h)] + [_display_width(row[i]) for row in rows]) for i, h in enumerate(header)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for (_, r), row in zip(frame.iterrows(), rows):
        lines.append("  ".join(_pad(v, w) for v, w in zip(row, widths)).rstrip())
        if explain:
            lines.append(f"    {r['explanation_zh']}")
            lines.append(f"    {r['explanation_en']}")
    counts = frame.groupby(["level", "action"]).size()
    lines.append("")
    lines.append(f"{len(frame)} warnings (rule set {', '.join(sorted(set(frame['rule_set'])))}, plan year "
                 f"{', '.join(str(int(y)) for y in sorted(set(frame['plan_year'])))}): "
                 + ", ".join(f"{lvl}/{act} {n}" for (lvl, act), n in counts.items()))
    return "\n".join(lines)


def _display_width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _display_width(text))


@app.command("warnings")
def warnings_command(
    school: str | None = typer.Option(None, "--school", help="Only this school's warnings (its code)."),
    rules: str | None = typer.Option(None, "--rules", help="Rule set: built-in name (forecast, moe-2011, sichuan, "
                                     "tianjin-2009) or a YAML file. Default: the stored run's (or the region's)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv, json or xlsx (the export workbook)."),
    year: int | None = typer.Option(None, "--year", help="Plan year (admission year). Default: the stored one."),
    region: str | None = typer.Option(None, "--region", help="Only schools in this region (GB/T 2260 code)."),
    min_class_size: int | None = typer.Option(None, "--min-class-size", min=0,
                                              help="Minimum viable class (default 20); 0 disables it."),
    level: str | None = typer.Option(None, "--level", help="Only red, yellow, green or not_rated (无法评估) "
                                     "warnings."),
    explain: bool = typer.Option(False, "--explain", help="Table format: print the explanation of each "
                                 "warning (always on with --school)."),
    list_rules: bool = typer.Option(False, "--list-rules", help="List the built-in rule sets and exit."),
    check_rules: Path | None = typer.Option(None, "--check-rules", help="Validate a rule-set file and exit."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of the screen "
                                       "(CSV with a UTF-8 BOM so that Excel shows Chinese correctly)."),
) -> None:
    """Major warnings per school: level, action, recommended intake, rules and reasons 专业预警."""
    if fmt not in _FORMATS:
        raise TalentcastError(f"unknown format {fmt!r}; use table, csv, json or xlsx",
                              f"未知的格式“{fmt}”；请使用 table、csv、json 或 xlsx")
    if level is not None and level not in LEVELS:
        raise TalentcastError(f"unknown level {level!r}; use {', '.join(LEVELS[:-1])} or {LEVELS[-1]}",
                              f"未知的预警等级 {level!r}；可用：{'、'.join(LEVELS)}")
    if list_rules:
        sets = list_rule_sets()
        if fmt == "json":
            typer.echo(json.dumps(sets, ensure_ascii=False, indent=1))
        else:
            for s in sets:
                typer.echo(f"{s['name']:13s} measure={s['employment_measure']:9s} regions={s['regions'] or '-':8s} "
                           f"{s['title_zh']} / {s['title_en']}")
        return
    if check_rules is not None:
        rs = load_rule_set(check_rules)
        typer.echo(f"ok: {check_rules} defines rule set '{rs.name}' with {len(rs.rules)} rules "
                   f"(measure {rs.employment_measure}, max change {rs.max_change:g})")
        return
    with Storage() as storage:
        service = Service(storage, get_settings())
        answer = service.warnings(rule_set=rules, plan_year=year, region=region, min_class_size=min_class_size)
        frame, source = answer.frame, answer.source
        if school is not None:
            known = sorted(set(frame["school"]))
            frame = frame[frame["school"] == school]
            if frame.empty:
                shown = ", ".join(known[:10]) + (" ..." if len(known) > 10 else "")
                raise TalentcastError(f"school {school!r} has no warnings in this run; schools with warnings: {shown}",
                                      f"本次运行中学校 {school!r} 没有预警；有预警的学校：{shown}")
        if level is not None:
            frame = frame[frame["level"] == level]
        frame = frame.reset_index(drop=True)
        if fmt == "xlsx":
            chosen = {"region": region, "school": school, "level": level, "year_from": year, "year_to": year}
            data = service.export_frame("warnings", frame, answer.run, "xlsx", filters=filters_text(chosen),
                                        notes=[source])
            where = write_output(data, output, export_filename("warnings", "xlsx", answer.run.run_id))
            if where != "stdout":
                typer.echo(f"wrote {len(frame)} warnings to {where} ({source})")
            return
    if output is not None:
        text = render(frame, fmt, explain=explain or school is not None) if len(frame) or fmt != "table" else ""
        try:
            output.write_text(text + "\n", encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        except OSError as exc:
            raise TalentcastError(f"{output}: cannot write file: {exc.strerror}",
                                  f"{output}：无法写入文件：{exc.strerror}") from None
        typer.echo(f"wrote {len(frame)} warnings to {output} ({source})")
        return
    if fmt == "table":
        if frame.empty:
            typer.echo(f"no warnings match ({source})")
            return
        typer.echo(render(frame, "table", explain=explain or school is not None))
        typer.echo(f"source: {source}")
    else:
        typer.echo(render(frame, fmt))
