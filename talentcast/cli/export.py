"""CLI command: export (导出) - a run's gaps, forecasts, supply or warnings as an XLSX or CSV file for people.

    talentcast export gaps|forecasts|supply|warnings [--format xlsx|csv] [--output FILE|-] [--run-id N]
                      [--region CODE] [--school CODE] [--sector CODE] [--major CODE] [--level red|yellow|green]
                      [--year Y] [--lang zh|en] [--rules NAME|FILE]

The file comes from the service (talentcast.service Service.export), byte for byte what the API serves for
`GET /v1/gaps?format=xlsx` (and /v1/forecasts/demand, /v1/forecasts/supply, /v1/warnings) with the same run and
filters. Default output: talentcast-<kind>-run-<id>.<format> in the current folder; `--output -` writes to stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from features.errors import TalentcastError
from talentcast.cli.app import app
from talentcast.export import export_filename, export_kind
from talentcast.service import Service
from talentcast.settings import get_settings
from talentcast.storage import Storage


def write_output(data: bytes, output: Path | None, default_name: str) -> str:
    """Write export bytes to `output` (default: `default_name` here; "-" = stdout); returns where it went."""
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return "stdout"
    path = output or Path(default_name)
    try:
        if path.parent != Path("."):
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise TalentcastError(f"{path}: cannot write file: {exc.strerror}", f"{path}：无法写入文件：{exc.strerror}") from None
    return str(path)


def output_format(fmt: str | None, output: Path | None) -> str:
    """The format asked for, else the one the output file's ending names (.csv / .xlsx), else xlsx; a format
    that contradicts the ending is refused (an .xlsx file holding CSV would not open)."""
    suffix = output.suffix.lower().lstrip(".") if output is not None and str(output) != "-" else ""
    if fmt is None:
        return suffix if suffix in ("csv", "xlsx") else "xlsx"
    if suffix in ("csv", "xlsx") and suffix != fmt:
        raise TalentcastError(f"--format {fmt} but --output {output} ends in .{suffix}; make them agree",
                              f"--format {fmt} 与 --output {output} 的扩展名 .{suffix} 不一致")
    return fmt


@app.command("export")
def export_command(
    what: Annotated[str, typer.Argument(help="gaps, forecasts (demand), supply or warnings")],
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="xlsx (a table sheet and an About sheet) or "
                                            "csv (UTF-8 with BOM); default: from --output's ending, else xlsx")
                   ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write (default: "
                                                "talentcast-<what>-run-<id>.<format>; - for stdout)")] = None,
    run_id: Annotated[int | None, typer.Option("--run-id", min=1, help="run (default: the latest baseline "
                                               "run)")] = None,
    region: Annotated[str | None, typer.Option("--region", help="only this region (GB/T 2260 code)")] = None,
    school: Annotated[str | None, typer.Option("--school", help="only this school (supply, warnings)")] = None,
    sector: Annotated[str | None, typer.Option("--sector", help="only this sector (gaps, forecasts)")] = None,
    major: Annotated[str | None, typer.Option("--major", help="only this major (supply, warnings)")] = None,
    level: Annotated[str | None, typer.Option("--level", help="warnings: only red, yellow or green")] = None,
    year: Annotated[int | None, typer.Option("--year", min=1990, max=2060,
                                             help="only this year (plan year for warnings)")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh: Chinese headers above the column names, Chinese "
                                      "names; en: column names only, English names")] = "zh",
    rules: Annotated[str | None, typer.Option("--rules", help="warnings: compute them under this rule set "
                                              "(built-in name or YAML file) instead of the stored ones")] = None,
) -> None:
    """Export a run's gaps, forecasts, supply or warnings as XLSX or CSV, names beside codes (导出)."""
    export_kind(what)  # refuse an unknown export before opening the database
    fmt = output_format(fmt, output)
    filters = {"region": region, "school": school, "sector": sector, "major": major, "level": level,
               "year_from": year, "year_to": year}
    with Storage() as storage:
        service = Service(storage, get_settings())
        run = service.get_run(run_id)
        data = service.export(what, fmt, run_id=run.run_id, filters=filters, lang=lang, rule_set=rules)
    where = write_output(data, output, export_filename(what, fmt, run.run_id))
    if where != "stdout":
        typer.echo(f"wrote {what} of run {run.run_id} to {where} ({len(data):,} bytes)")
