"""The `talentcast` command. Each group of commands lives in its own module; this file assembles them.

User errors (TalentcastError) print one line to stderr and exit with code 2, never a traceback. A file that
fails validation (ValidationError) first gets its report on stdout - every issue once, with file, row, column,
value and reason in English and Chinese - and then the one-line summary on stderr (which file, how many errors,
nothing stored), so that no issue is printed twice.
"""

from __future__ import annotations

import sys

import typer

from features.errors import TalentcastError, ValidationError
from features.validation import format_report
from talentcast.cli import data, export, forecast, pipeline, report, service, warnings  # noqa: F401 - registers commands
from talentcast.cli.app import app


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv, standalone_mode=False)
    except ValidationError as exc:
        if exc.issues or exc.omitted:
            typer.echo(format_report(exc.issues, exc.omitted))
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except TalentcastError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:
        # Usage errors (bad option, missing argument) come through here in non-standalone mode; Typer
        # vendors click, so recognise them by their interface rather than by class.
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            typer.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(2)
        raise
