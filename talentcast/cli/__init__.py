"""The `talentcast` command. Each group of commands lives in its own module; this file assembles them.

User errors (TalentcastError) print one line to stderr and exit with code 2, never a traceback; so do faults
of the place talentcast keeps its data (a read-only or missing home, a damaged database or MLflow store:
StoreUnavailable, OSError), naming the path and what to do. A file that
fails validation (ValidationError) first gets its report on stdout - every issue once, with file, row, column,
value and reason in English and Chinese - and then the one-line summary on stderr (which file, how many errors,
nothing stored), so that no issue is printed twice.
"""

from __future__ import annotations

import importlib
import sys

import typer

from features.errors import TalentcastError, ValidationError, bilingual
from features.validation import format_report
from talentcast.cli.app import app

# Command -> the module that registers it on `app`. A command's module is imported when that command runs
# (a plugin registry, like entry points): `talentcast validate` must not wait seconds for MLflow, matplotlib
# and the forecasting stack that `talentcast run` needs. Every module is loaded for the overview (`--help`).
COMMAND_MODULES = {
    "validate": "data", "ingest": "data", "datasets": "data",
    "forecast": "forecast", "backtest": "forecast",
    "run": "pipeline", "demo": "pipeline",
    "report": "report",
    "serve": "server", "keys": "server",
    "warnings": "warnings",
    "init": "workspace",
    "template": "data",
    "export": "export",
}
_OPTIONS_WITH_VALUE = ("--home",)  # root options whose next word is their value, not a command


def load_commands(argv: list[str] | None = None) -> typer.Typer:
    """Register the commands `argv` asks for (all of them when it names none) and return the app."""
    words, skip = [], False
    for word in argv or []:
        if skip:
            skip = False
        elif word in _OPTIONS_WITH_VALUE:
            skip = True
        elif not word.startswith("-"):
            words.append(word)
    wanted = {COMMAND_MODULES[words[0]]} if words and words[0] in COMMAND_MODULES else set(COMMAND_MODULES.values())
    for module in sorted(wanted):
        importlib.import_module(f"talentcast.cli.{module}")
    return app


def usage_error(message: str, argv: list[str] | None = None) -> str:
    """Click's one-line usage message (English) with its Chinese line: where to find the right usage."""
    words = [w for w in (sys.argv[1:] if argv is None else argv) if not w.startswith("-")]
    command = words[0] if words and words[0] in COMMAND_MODULES else None
    help_text = f"talentcast {command} --help" if command else "talentcast --help"
    return bilingual(" ".join(message.split()), f"命令用法有误，运行 {help_text} 查看用法")


def main(argv: list[str] | None = None) -> None:
    load_commands(sys.argv[1:] if argv is None else argv)
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
    except OSError as exc:
        # The home folder or a file in it cannot be written or read (read-only disk, no permission, full disk):
        # the place and what to do, in one line.
        where = f" {exc.filename}" if exc.filename else ""
        typer.echo(f"error:{where}: {exc.strerror or exc}; check that it exists and this user may read and write "
                   f"it, or choose another folder with --home / TALENTCAST_HOME / 无法读写该路径", err=True)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo(bilingual("aborted", "已中止"), err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:
        # Usage errors (bad option, missing argument) come through here in non-standalone mode; Typer
        # vendors click, so recognise them by their interface rather than by class.
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            typer.echo(f"error: {usage_error(exc.format_message(), argv)}", err=True)
            sys.exit(2)
        raise
