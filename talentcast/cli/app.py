"""The Typer application every command module registers on (kept apart so that no module imports the
package that imports it)."""

from __future__ import annotations

import typer

from talentcast import __version__

app = typer.Typer(
    name="talentcast",
    help="Talent supply-demand forecasting and major early warning (人才供需预测与专业预警).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Talent supply-demand forecasting and major early warning (人才供需预测与专业预警)."""


@app.command()
def version() -> None:
    """Print the talentcast version."""
    typer.echo(__version__)
