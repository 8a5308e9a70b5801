"""CLI commands for input data: `template`, `validate`, `ingest`, `datasets` (see talentcast/cli/__init__.py).

`validate` and `ingest` check a file the same way, through the service (talentcast.service, as the API's
upload does): against the contract and the current versions of the tables it references (regions, sectors,
majors, schools). Both refuse a table whose referenced tables have no data yet, so ingest in contract order:
regions, sectors, employment, vacancies, majors, schools, enrolment, major_sector_map, sector_parameters.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from features.contract import SCHEMAS, TABLE_NAMES
from features.errors import TalentcastError
from features.templates import EXAMPLES, check_format, check_tables, template_files
from features.validation import check_table, format_report
from talentcast.cli.app import app
from talentcast.provenance import GENERATED, dataset_kind, kind_label
from talentcast.service import Service
from talentcast.storage import Storage


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


def _check_table(table: str) -> str:
    check_table(table)  # TalentcastError naming the known tables
    return table


def _print_issues(issues, omitted: int = 0) -> None:
    if issues or omitted:
        typer.echo(format_report(issues, omitted))


def _parse_metadata(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TalentcastError(f"--metadata is not valid JSON ({exc.msg} at character {exc.pos}): {text!r}",
                              f"--metadata 不是有效的 JSON（第 {exc.pos} 个字符：{exc.msg}）：{text!r}") from None
    if not isinstance(value, dict):
        raise TalentcastError(f"--metadata must be a JSON object like '{{\"source\": \"统计年鉴 2024\"}}', "
                              f"got {type(value).__name__}", "--metadata 必须是 JSON 对象，例如 "
                              f"'{{\"source\": \"统计年鉴 2024\"}}'，实际为 {type(value).__name__}")
    return value


@app.command()
def validate(
    table: Annotated[str, typer.Argument(help=f"contract table: {', '.join(TABLE_NAMES)}")],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GB18030/GBK), XLSX or Parquet file")],
) -> None:
    """Check FILE against the contract of TABLE and print every issue; store nothing (校验数据文件).

    Exit code 0 when valid (warnings allowed), 2 when there is at least one error.
    """
    _check_table(table)
    with Storage() as storage:
        # A ValidationError reaches talentcast.cli.main, which prints its report once and the summary.
        checked = Service(storage).validate(table, file)
    _print_issues(checked.issues, checked.omitted)
    typer.echo(f"ok: {file.name} is a valid '{table}' table: {len(checked.frame)} rows, "
               f"{len(checked.warnings) + checked.omitted} warnings")


@app.command()
def ingest(
    table: Annotated[str, typer.Argument(help=f"contract table: {', '.join(TABLE_NAMES)}")],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GB18030/GBK), XLSX or Parquet file")],
    metadata: Annotated[str | None, typer.Option(
        "--metadata", help='JSON object stored with the version, e.g. \'{"source": "柳州统计年鉴 2024"}\'')] = None,
    skip_unchanged: Annotated[bool, typer.Option(
        "--skip-unchanged", help="do not create a version when the data equals the current version")] = False,
) -> None:
    """Validate FILE and store it as the next version of TABLE, atomically (导入数据, 生成新版本)."""
    _check_table(table)
    extra = _parse_metadata(metadata)
    with Storage() as storage:
        checked, version, stored = Service(storage).ingest(table, file, metadata=extra,
                                                           skip_unchanged=skip_unchanged)
    _print_issues(checked.issues, checked.omitted)
    typer.echo(f"stored: {version}" if stored else f"unchanged: {version}")


@app.command()
def datasets(
    output: Annotated[OutputFormat, typer.Option("--format", help="table (for people) or json")] = OutputFormat.table,
    table: Annotated[str | None, typer.Option("--table", help="only this table")] = None,
) -> None:
    """List stored dataset versions; * marks the current version of each table (数据版本)."""
    if table is not None:
        _check_table(table)
    with Storage() as storage:
        versions = storage.versions(table)
        current = storage.current_versions()
    if output is OutputFormat.json:
        typer.echo(json.dumps([
            {"table": v.table, "version": v.version, "current": current.get(v.table) == v.version, "rows": v.rows,
             "synthetic": v.metadata.get("synthetic"), "kind": dataset_kind(v.metadata),
             "checksum": v.checksum, "source_file": v.source_file, "created_at": v.created_at.isoformat(),
             "metadata": v.metadata}
            for v in versions
        ], ensure_ascii=False, indent=2))
        return
    if not versions:
        typer.echo("no datasets stored yet; load them with `talentcast ingest TABLE FILE` or `talentcast demo`")
        return
    grid = Table(title="Dataset versions (数据版本); * = current; data = real / user-supplied / defaulted / "
                       "generated; metadata: --format json")
    # Numbers are never cropped (min_width = their longest text); the text columns wrap when the terminal is narrow.
    def longest(texts: list[str], header: str) -> int:
        return max([len(header), *map(len, texts)])

    version_texts = [f"{v.version}*" for v in versions]
    row_texts = [str(v.rows) for v in versions]
    grid.add_column("table", overflow="fold")
    grid.add_column("version", justify="right", no_wrap=True, min_width=longest(version_texts, "version"))
    grid.add_column("rows", justify="right", no_wrap=True, min_width=longest(row_texts, "rows"))
    grid.add_column("data", overflow="fold")
    grid.add_column("sha256", no_wrap=True, min_width=8)
    grid.add_column("created (UTC)", overflow="fold")
    grid.add_column("source", overflow="fold")
    for v in versions:
        marker = "*" if current.get(v.table) == v.version else ""
        grid.add_row(v.table, f"{v.version}{marker}", str(v.rows), _data_label(v.metadata), v.checksum[:8],
                     v.created_at.strftime("%Y-%m-%d %H:%M"), Path(v.source_file).name or v.source_file)
    Console().print(grid)


def _data_label(metadata: dict) -> str:
    """The kind of a version (real / user-supplied / defaulted / generated); generated data stays labelled as
    generated wherever it is listed."""
    kind = dataset_kind(metadata)
    if kind == GENERATED and metadata.get("synthetic_rows"):
        # A table that mixes real and generated rows says which rows are generated (e.g. region == '450200').
        return "partly generated 部分生成"
    return kind_label(kind)


@app.command()
def template(
    tables: Annotated[list[str] | None, typer.Argument(
        help=f"tables to write a template for (default: all): {', '.join(TABLE_NAMES)}")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="xlsx (notes, drop-down lists, an About sheet) or "
                                     "csv (UTF-8 with BOM, notes in <table>.README.txt)")] = "xlsx",
    directory: Annotated[Path, typer.Option("--dir", help="folder to write into (created if missing)")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="overwrite existing files")] = False,
) -> None:
    """Write a fill-in template per table: Chinese + English headers, example rows, allowed values (数据模板)."""
    names = check_tables(tables or [])
    check_format(fmt)
    files = {name: data for table in names for name, data in template_files(table, fmt).items()}
    existing = [name for name in files if (directory / name).exists()]
    if existing and not force:
        raise TalentcastError(f"{', '.join(str(directory / n) for n in existing)} already exist(s); a filled-in "
                              f"template would be lost: choose another --dir or add --force",
                              f"{', '.join(existing)} 已存在；为免覆盖已填写的模板，请换一个 --dir 或加 --force")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (directory / name).write_bytes(data)
    except OSError as exc:
        raise TalentcastError(f"{directory}: cannot write the templates: {exc.strerror}",
                              f"{directory}：无法写入模板：{exc.strerror}") from None
    for table in names:
        written = [str(directory / n) for n in template_files(table, fmt) if n.startswith(f"{table}.")]
        rows = len(EXAMPLES.get(table, []))
        typer.echo(f"wrote {', '.join(written)} ({table}: {len(SCHEMAS[table].columns)} columns, {rows} example "
                   f"row{'s' if rows != 1 else ''})")
    first = names[0]
    typer.echo(f"next: replace the example rows with your data, then `talentcast validate {first} "
               f"{directory / (first + '.' + fmt)}` and `talentcast ingest {first} {directory / (first + '.' + fmt)}`"
               f" (ingest order: {', '.join(TABLE_NAMES)})")
