"""The Typer application every command module registers on (kept apart so that no module imports the
package that imports it)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from talentcast import __version__
from talentcast.settings import get_settings

app = typer.Typer(
    name="talentcast",
    help="Talent supply-demand forecasting and major early warning (人才供需预测与专业预警).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


_HOME: dict[str, Path | None] = {"explicit": None}


def use_home(path: str | Path) -> Path:
    """Make `path` this process's TALENTCAST_HOME (database, MLflow store, fitted states) for every command."""
    home = Path(path).expanduser()
    os.environ["TALENTCAST_HOME"] = str(home)
    get_settings.cache_clear()
    _HOME["explicit"] = home
    return home


def explicit_home() -> Path | None:
    """The folder given with `talentcast --home PATH` (None: not given; the environment or ./.talentcast)."""
    return _HOME["explicit"]


@app.callback()
def _root(
    home: Annotated[Path | None, typer.Option(
        "--home", help="workspace folder for this command (default: $TALENTCAST_HOME, else ./.talentcast) "
                       "/ 工作区目录")] = None,
) -> None:
    """Talent supply-demand forecasting and major early warning (人才供需预测与专业预警).

    Start with your own city: `talentcast init --region 西安` (or a code such as 610100; a province such as 广西),
    then `talentcast ingest schools FILE`, `talentcast ingest enrolment FILE` and `talentcast run`.
    """
    _HOME["explicit"] = None
    if home is not None:
        use_home(home)


@app.command()
def version() -> None:
    """Print the talentcast version."""
    typer.echo(__version__)
