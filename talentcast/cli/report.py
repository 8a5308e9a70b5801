"""CLI command: report (figures of the latest stored run as PNGs and an HTML page)."""

from __future__ import annotations

from pathlib import Path

import typer

from features.errors import TalentcastError
from talentcast import report
from talentcast.cli.app import app
from talentcast.settings import get_settings
from talentcast.storage import Storage

# Result kinds and input tables the key figures draw on (see talentcast.report.report_figures).
_REPORT_KINDS = ("demand", "gaps", "warnings")
_REPORT_TABLES = ("sectors", "regions", "employment")


@app.command("report")
def report_command(
    output: Path = typer.Option(Path("talentcast-report"), "--output", "-o",
                                help="Folder to write the figures into (created if missing)."),
    fmt: str = typer.Option("html", "--format", "-f", help="png: PNG files only; html: PNG files + index.html."),
    run_id: int | None = typer.Option(None, "--run", help="Run id (default: the latest completed baseline run)."),
    region: str | None = typer.Option(None, "--region", help="Region code (default: TALENTCAST_DEFAULT_REGION "
                                      "if the run has it, else the run's planning region)."),
    scenario: str | None = typer.Option(None, "--scenario", help="Scenario id: draw its latest run and compare "
                                        "it with the latest baseline run."),
) -> None:
    """Write the key figures of a stored run (demand vs supply, P(shortage), warnings) 生成报告图表."""

    if fmt not in {"png", "html"}:
        raise TalentcastError(f"unknown report format {fmt!r}; use png or html", f"未知的报告格式 {fmt!r}，请用 png 或 html")
    if scenario is not None and run_id is not None:
        raise TalentcastError("give either --run or --scenario, not both", "--run 与 --scenario 只能给出一个")
    with Storage() as storage:
        if run_id is not None:
            meta = storage.get_run(run_id)
        else:
            meta = storage.latest_run(scenario)
        if meta is None:
            what = f"for scenario {scenario!r}" if scenario else "yet"
            raise TalentcastError(f"no completed run {what}; run `talentcast run` (or `talentcast demo`) first",
                                  (f"情景 {scenario!r} " if scenario else "") + "还没有已完成的运行；请先运行 "
                                  "`talentcast run`（或 `talentcast demo`）")
        results = {kind: storage.load_results(kind, run_id=meta.run_id) for kind in _REPORT_KINDS}
        baseline = None
        if meta.scenario_id is not None:
            baseline_meta = storage.latest_run()
            if baseline_meta is not None:
                baseline = {"gaps": storage.load_results("gaps", run_id=baseline_meta.run_id)}
        tables = storage.load_tables(_REPORT_TABLES)
        versions = storage.versions()
    available = {str(r) for frame in results.values() if "region" in frame.columns for r in frame["region"].unique()}
    if region is not None and region not in available:
        raise TalentcastError(f"run {meta.run_id} has no results for region {region}; regions: "
                              f"{', '.join(sorted(available)) or 'none'}",
                              f"运行 {meta.run_id} 没有地区 {region} 的结果；有结果的地区："
                              f"{'、'.join(sorted(available)) or '无'}")
    chosen = report.report_region(results, region or get_settings().default_region)
    figures = report.report_figures(results, tables, region=chosen, baseline=baseline)
    title = f"talentcast report 人才供需报告 — run {meta.run_id}, region {chosen}"
    written = report.write_report(figures, output, fmt=fmt, title=title, notes=report.run_notes(meta, versions))
    for path in written:
        typer.echo(str(path))
    typer.echo(f"wrote {len(written)} files to {output}")
