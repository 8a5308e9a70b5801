"""CLI commands: data (see talentcast/cli/__init__.py)."""

from talentcast.cli import app  # noqa: F401
