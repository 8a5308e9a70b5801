"""CLI command `talentcast init`: a workspace for one city or province, with its real data (see
talentcast/workspace.py and talentcast.service.Service.init_workspace).

    talentcast init --region 610100 | 西安 | 西安市 | 450000 | 广西  [--dir PATH]

The folder (default ./talentcast-<code>, or `talentcast --home PATH init ...`) gets its own database and MLflow
store; the command prints the `export TALENTCAST_HOME=...` line for the commands that follow.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from features.errors import bilingual

from talentcast.cli.app import app, explicit_home
from talentcast.provenance import dataset_kind, kind_label
from talentcast.service import Service
from talentcast.settings import Settings
from talentcast.storage import Storage
from talentcast.workspace import default_directory, municipality_note, resolve_region


@app.command("init")
def init(
    region: Annotated[str, typer.Option(
        "--region", help="city or province: GB/T 2260 code or Chinese name, e.g. 610100, 西安, 西安市, 450000, "
                         "广西 (地区代码或名称)")],
    directory: Annotated[Path | None, typer.Option(
        "--dir", help="workspace folder (default: ./talentcast-<code>); later commands find it through "
                      "TALENTCAST_HOME or --home (工作区目录)")] = None,
) -> None:
    """Create a workspace for your city or province with its real data built in (创建本地工作区)."""
    target = resolve_region(region)  # an unknown region fails here, before any folder is made
    home = (directory or explicit_home() or default_directory(target)).expanduser().resolve()
    settings = Settings(home=home)
    settings.ensure_home()
    parent = f", in {resolve_region(target.parent)}" if target.parent else ""
    typer.echo(f"talentcast init: {target.name_zh} ({target.code}), {target.level}{parent}")
    lines: list[str] = []
    with Storage(settings.database_url) as storage:
        report = Service(storage, settings).init_workspace(target, progress=lines.append)
    for line in lines:
        typer.echo(f"  {line}")
    spans = ", ".join(f"{r.name_zh} ({r.code}) {report.employment_years[r.code][0]}-"
                      f"{report.employment_years[r.code][1]}" for r in report.employment_regions)
    typer.echo(f"real employment 真实就业数据: {spans}"
               + (f"; declared level shift {', '.join(report.breaks)} (NBS survey frame)" if report.breaks else ""))
    if report.missing_employment:
        typer.echo("no sector employment in the city panel for "
                   + ", ".join(str(r) for r in report.missing_employment)
                   + "; its province's series stand in for it")
    note = municipality_note(target)
    if note:
        typer.echo(bilingual(*note))
    kinds = sorted({dataset_kind(v.metadata) for v, _ in report.versions})
    typer.echo(f"kinds 数据类型: {', '.join(kind_label(k) for k in kinds)} (talentcast datasets lists them)")
    typer.echo(f"workspace 工作区: {report.home}")
    export = f"export TALENTCAST_HOME={shlex.quote(str(report.home))}"
    typer.echo("Use it in the commands that follow (后续命令使用此工作区):")
    typer.echo(f"  {export}")
    typer.echo("Next 下一步: add your schools and enrolment (学校与招生数据), then run:")
    typer.echo("  talentcast ingest schools schools.csv")
    typer.echo("  talentcast ingest enrolment enrolment.csv")
    typer.echo("  talentcast run")
    typer.echo(f"(or without the export: talentcast --home {shlex.quote(str(report.home))} run)")
