"""Every `talentcast ...` command line quoted in the docs, notebooks and messages names a command (and options)
that exists: a message must never send a user to `talentcast pipeline run` when the command is `talentcast run`."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from talentcast.cli import load_commands

app = load_commands()

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["README.md", "docs/**/*.md", "notebooks/*.ipynb", "talentcast/**/*.py", "api/**/*.py", "features/*.py",
           "models/*.py", "forecasting/*.py", "early_warning/*.py", "benchmarks/*.py", "talentcast/**/*.md"]
QUOTED = re.compile(r"`(?:\.venv/bin/)?talentcast ([^`\n]*)`")


def _quoted_commands() -> list[tuple[str, str]]:
    found = []
    for pattern in SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            for match in QUOTED.finditer(path.read_text(encoding="utf-8")):
                found.append((str(path.relative_to(ROOT)), match.group(1)))
    return found


def _problems(command_line: str, root) -> list[str]:
    tokens = command_line.split()
    root_options = {o for p in root.params for o in (*p.opts, *p.secondary_opts)}
    if tokens and tokens[0] in root_options:  # `talentcast --home PATH init ...`: a root option and its value
        tokens = tokens[2:]
        if not tokens or tokens[0] in ("...", "…"):
            return []
    problems = []
    for name in re.split(r"[|/]", tokens[0]):  # `talentcast validate/ingest`, `talentcast forecast|backtest`
        command = root.commands.get(name)
        if command is None:
            problems.append(f"no command '{name}'")
            continue
        rest = tokens[1:]
        if hasattr(command, "commands") and rest and not rest[0].startswith(("-", "[")):
            for sub in re.split(r"[|/]", rest[0]):
                if sub not in command.commands:
                    problems.append(f"no command '{name} {sub}'")
            if len(re.split(r"[|/]", rest[0])) > 1:
                continue
            command = command.commands.get(rest[0], command)
            rest = rest[1:]
        options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}
        for token in rest:
            token = token.lstrip("[(")
            if token.startswith("--"):
                option = re.split(r"[=|\])]", token)[0].rstrip(",;.")
                if option not in options:
                    problems.append(f"'{name}' has no option {option}")
    return problems


def test_the_checker_sees_a_wrong_command():
    root = typer.main.get_command(app)
    assert _problems("pipeline run", root) == ["no command 'pipeline'"]
    assert _problems("keys create|remove", root) == ["no command 'keys remove'"]
    assert _problems("run --scheduler tcp://x", root) == ["'run' has no option --scheduler"]
    assert _problems("run --scenario FILE", root) == []


def test_every_quoted_command_exists():
    root = typer.main.get_command(app)
    quoted = _quoted_commands()
    assert len(quoted) > 50
    wrong = [f"{path}: `talentcast {line}`: {'; '.join(problems)}"
             for path, line in quoted if (problems := _problems(line, root))]
    assert not wrong, "\n".join(wrong)
