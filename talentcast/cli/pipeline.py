"""CLI commands `run` and `demo`: the supply-demand pipeline on stored data (see talentcast/cli/__init__.py).

    talentcast run [--scenario FILE] [--horizon N] [--region CODE] [--no-track] [--allow-generated]
    talentcast demo [--no-track] [--dir PATH]

Both print the run id, which tables were real, user-supplied, defaulted or generated, and the top shortage /
surplus sectors and majors with their probabilities. The demo lives in its own workspace (the home, or --dir):
never in a real one made by `talentcast init`.
"""

from __future__ import annotations

import shlex
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from talentcast.cli.app import app, use_home
from talentcast.provenance import kind_label
from talentcast.service import PIPELINE_STEPS, Service, summarise_gaps, summarise_warnings
from talentcast.settings import get_settings
from talentcast.storage import Storage

_STEP_LABELS = {
    "load": "loading dataset versions 读取数据",
    "forecast": "forecasting employment 预测就业",
    "reconcile": "reconciling the hierarchy 层级协调",
    "supply": "graduate supply 毕业生供给",
    "gaps": "simulating gaps 模拟供需缺口",
    "warnings": "major warnings 专业预警",
    "track": "MLflow tracking 记录实验",
    "store": "storing results 保存结果",
}


def _progress_bar(enabled: bool = True):
    """A rich progress bar advanced by step names; returns (context manager, callback)."""
    if not enabled:
        return nullcontext(), (lambda name: None)
    progress = Progress(TextColumn("{task.description:<36}"), BarColumn(), TimeElapsedColumn(),
                        console=Console(stderr=True), transient=False)
    task = progress.add_task("starting", total=len(PIPELINE_STEPS))
    seen: list[str] = []

    def advance(name: str) -> None:
        if seen:
            progress.advance(task)
        seen.append(name)
        progress.update(task, description=_STEP_LABELS.get(name, name))

    class _Finish:
        def __enter__(self):
            progress.__enter__()
            return progress

        def __exit__(self, *exc):
            if exc[0] is None:
                progress.update(task, completed=len(PIPELINE_STEPS), description="done 完成")
            return progress.__exit__(*exc)

    return _Finish(), advance


_REASON_TEXT = {"no_supply": "no local major feeds them 本地无对口专业",
                "negligible_supply": "local supply below 1 person or 5% of openings 本地供给可忽略",
                "incomplete_supply": "the region's schools are not all in the data 学校数据不全"}


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _print_summary(stored, region: str, year: int, n: int = 5) -> None:
    echo = typer.echo
    summary = summarise_gaps(stored.result.results, stored.tables, region, year, n)
    regions = {str(c): z for c, z in zip(stored.tables["regions"]["code"], stored.tables["regions"]["name_zh"])}
    echo(f"\nGraduate supply vs openings in {regions.get(region, region)} ({region}), {year} "
         f"(ratio = openings / local graduate entrants; shortage if > {stored.result.state.shortage_threshold}, "
         f"surplus if < {stored.result.state.surplus_threshold}):")
    for key, title in (("shortage_sectors", "Top shortage sectors 短缺行业"),
                       ("surplus_sectors", "Top surplus sectors 过剩行业")):
        echo(f"  {title}:")
        frame = summary[key]
        if frame.empty:
            echo("    (none with probability >= 50%)")
        for row in frame.itertuples():
            p = row.p_shortage if key.startswith("shortage") else row.p_surplus
            echo(f"    {row.sector:<4} {row.name_zh} / {row.name_en}: ratio {row.ratio_median:.2f} "
                 f"(80%: {row.ratio_lo_80:.2f}-{row.ratio_hi_80:.2f}), openings {row.openings_mean:,.0f} vs "
                 f"supply {row.supply_mean:,.0f}, P({'shortage' if key.startswith('shortage') else 'surplus'})"
                 f" = {_pct(p)}")
    for key, title in (("shortage_majors", "Majors feeding short sectors 紧缺专业"),
                       ("surplus_majors", "Majors feeding surplus sectors 过剩专业")):
        echo(f"  {title}:")
        frame = summary[key]
        if frame.empty:
            echo("    (none with probability >= 50%)")
        for row in frame.itertuples():
            p = row.p_shortage if key.startswith("shortage") else row.p_surplus
            echo(f"    {row.major} {row.name_zh}" + (f" / {row.name_en}" if row.name_en else "")
                 + f": pressure {row.pressure_median:.2f} (80%: {row.pressure_lo_80:.2f}-{row.pressure_hi_80:.2f}),"
                 f" P = {_pct(p)}")
    not_rated = summary["not_rated_sectors"]
    if len(not_rated):
        by_reason: dict[str, list[str]] = {}
        for sector, reason in zip(not_rated["sector"], not_rated["not_rated_reason"]):
            by_reason.setdefault(str(reason) if isinstance(reason, str) else "no_supply", []).append(str(sector))
        echo(f"  Not rated 不评估 ({len(not_rated)} sector(s), no ratio - too little local supply for one to mean "
             "anything; never ranked): "
             + "; ".join(f"{_REASON_TEXT.get(reason, reason)}: {', '.join(codes[:8])}"
                         + (f" and {len(codes) - 8} more" if len(codes) > 8 else "")
                         for reason, codes in by_reason.items()))
    if stored.warnings is not None:
        counts = summarise_warnings(stored.warnings)
        echo("\nMajor warnings 专业预警 (plan year "
             f"{int(stored.warnings['plan_year'].min()) if len(stored.warnings) else '-'}): "
             + ", ".join(f"{k} {v}" for k, v in counts["levels"].items()) + " | "
             + ", ".join(f"{k} {v}" for k, v in counts["actions"].items()))
        if counts["watch_list"]:
            echo(f"  观察名单 watch list: {counts['watch_list']} of these expand/shrink recommendations rest on "
                 "forecast signals that have not beaten the last-rate baseline in backtests - watch, do not act on "
                 "them alone")
        for example in counts["examples"]:
            echo(f"  [{example['level']}/{example['action']}] {example['school']} {example['major']}: "
                 f"{example['explanation_zh']}")
            echo(f"      {example['explanation_en']}")


def _report(stored, region: str | None, settings) -> None:
    meta = stored.result.meta
    typer.echo(f"run {stored.run_id} stored: {len(stored.result.results['gaps'])} gap rows, years "
               f"{meta['years'][0]}-{meta['years'][-1]}, scenario {meta['scenario_id'] or 'baseline'}"
               + (f", MLflow run {stored.mlflow_run_id}" if stored.mlflow_run_id else ", not tracked"))
    typer.echo("data 数据 (which tables were real, user-supplied, defaulted or generated):")
    for kind, tables in stored.provenance.items():
        typer.echo(f"  {kind_label(kind)}: {', '.join(tables)}")
    for note in meta["notes"]:
        if not note.startswith("data 数据 - "):  # the provenance note, printed above
            typer.echo(f"note: {note}")
    shown = region or settings.default_region
    gap_regions = stored.result.results["gaps"]["region"]
    if gap_regions.empty:
        typer.echo("no gap rows: no employment series in the run's regions")
        return
    if shown not in set(gap_regions):
        shown = str(gap_regions.iloc[-1])
    # The year the cohort admitted in the next admission season graduates (3-year programmes), within the
    # horizon; the admission season is the one after the latest recorded intake, as for the warnings.
    plan_year = int(stored.tables["enrolment"]["year"].max()) + 1 if len(stored.tables["enrolment"]) else None
    years = [int(y) for y in meta["years"]]
    year = min(plan_year + 3, years[-1]) if plan_year else years[min(3, len(years) - 1)]
    year = max(year, years[0])
    _print_summary(stored, shown, year)
    _print_children(stored, shown, year)


def _print_children(stored, region: str, year: int) -> None:
    """One line per city of a province run: its top shortage and surplus sectors and majors."""
    regions = stored.tables["regions"]
    children = regions[regions["parent"].astype(str) == str(region)]
    forecast = set(stored.result.results["gaps"]["region"])
    children = children[children["code"].isin(forecast)]
    if children.empty:
        return
    typer.echo(f"\nPer city 各市, {year} (top sectors and majors with probability >= 50%; "
               f"`talentcast run --region CODE` prints one city in full):")

    def items(frame, code_column: str, value_column: str, p_column: str) -> str:
        return ", ".join(f"{getattr(r, code_column)} {r.name_zh} {getattr(r, value_column):.2f} "
                         f"(P {_pct(getattr(r, p_column))})" for r in frame.itertuples()) or "-"

    for code, name in zip(children["code"], children["name_zh"]):
        summary = summarise_gaps(stored.result.results, stored.tables, str(code), year, n=2)
        typer.echo(f"  {name} ({code}): shortage {items(summary['shortage_sectors'], 'sector', 'ratio_median', 'p_shortage')}"
                   f"; surplus {items(summary['surplus_sectors'], 'sector', 'ratio_median', 'p_surplus')}"
                   f" | majors short {items(summary['shortage_majors'], 'major', 'pressure_median', 'p_shortage')}"
                   f"; in surplus {items(summary['surplus_majors'], 'major', 'pressure_median', 'p_surplus')}")


@app.command("run")
def run(
    scenario: Annotated[Path | None, typer.Option("--scenario", help="scenario YAML/JSON file (情景文件)")] = None,
    horizon: Annotated[int | None, typer.Option("--horizon", min=1, max=20,
                                                help="forecast years (default: settings, 5)")] = None,
    region: Annotated[str | None, typer.Option("--region", help="region code, e.g. 450200 (default: the "
                                                               "schools' regions)")] = None,
    no_track: Annotated[bool, typer.Option("--no-track", help="do not record the run in MLflow")] = False,
    paths: Annotated[int, typer.Option("--paths", min=10, max=20000, help="sample paths")] = 1000,
    engine: Annotated[str, typer.Option("--engine", help="local or dask (forecasting engine)")] = "local",
    method: Annotated[str, typer.Option("--method", help="forecasting method: auto (backtest and select per "
                                                         "series) or a model name, e.g. drift")] = "auto",
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
    allow_generated: Annotated[bool, typer.Option(
        "--allow-generated", help="in a real workspace, run even on generated (demo) tables (允许使用生成数据)")] = False,
) -> None:
    """Forecast demand and supply on the stored data, compute gaps and warnings, store the run (运行预测)."""
    settings = get_settings()
    settings.ensure_home()
    bar, step = _progress_bar(not quiet)
    with Storage() as storage, bar:
        stored = Service(storage, settings).run(horizon=horizon, scenario=scenario, region=region,
                                                track=not no_track, n_paths=paths, method=method, engine=engine,
                                                progress=step, allow_generated=allow_generated)
    _report(stored, region or stored.region, settings)


@app.command("demo")
def demo(
    no_track: Annotated[bool, typer.Option("--no-track", help="do not record the run in MLflow")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
    directory: Annotated[Path | None, typer.Option(
        "--dir", help="the demo's own workspace folder (default: the home, $TALENTCAST_HOME or ./.talentcast; "
                      "never a real workspace made by `talentcast init`)")] = None,
) -> None:
    """Load the embedded Liuzhou dataset (real + generated), run the pipeline and show the results (演示)."""
    if directory is not None:
        use_home(directory)
    settings = get_settings()
    settings.ensure_home()
    with Storage() as storage:
        service = Service(storage, settings)
        service.refuse_in_real_workspace("the demo data (generated) is not loaded into it")
        typer.echo(f"talentcast demo: data directory {settings.home.resolve()}")
        typer.echo("Embedded dataset: provincial employment and Liuzhou's employment by section 2003-2015 are real "
                   "(NBS, City Statistical Yearbook); Liuzhou's later years and divisions, schools, enrolment, "
                   "vacancies, crosswalk and sector parameters are GENERATED (seeded generator, fictional schools) - "
                   "see talentcast/data/generated/GENERATED.md")
        lines: list[str] = []
        service.load_demo(progress=lines.append)
        typer.echo("datasets: " + "; ".join(lines))
        bar, step = _progress_bar(not quiet)
        with bar:
            stored = service.run(track=not no_track, progress=step)
    _report(stored, settings.default_region, settings)
    if stored.tracking_runs:
        typer.echo(f"\nMLflow ({settings.mlflow_tracking_uri}): forecast run {stored.tracking_runs.get('forecast')}"
                   + (f", backtest run {stored.tracking_runs['backtest']}" if "backtest" in stored.tracking_runs
                      else ""))
    if directory is not None:
        typer.echo(f"The demo workspace is {settings.home.resolve()}: `export TALENTCAST_HOME="
                   f"{shlex.quote(str(settings.home.resolve()))}` for the commands below.")
    typer.echo("Next: `talentcast serve` for the API, `talentcast run --scenario docs/scenarios/ev-plant-2027.yaml` "
               "for a what-if; your own city: `talentcast init --region 西安` (a workspace of its own).")
