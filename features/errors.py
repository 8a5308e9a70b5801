"""Errors a user can fix. The CLI turns them into one readable line and exit code 2; the API into 4xx."""

from __future__ import annotations

from dataclasses import dataclass


class TalentcastError(Exception):
    """Base class of every error caused by the user's input or request (never by a bug)."""


@dataclass(frozen=True)
class Issue:
    """One problem found in an input file, located as precisely as possible.

    `row` is the 1-based data row as a spreadsheet user sees it (header = row 1, first data row = row 2);
    None when the problem concerns the whole file or a column.
    """

    file: str
    reason: str
    row: int | None = None
    column: str | None = None
    value: object = None
    severity: str = "error"  # "error" blocks storage; "warning" is reported only (e.g. gaps in a series)

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = ", ".join(where)
        if self.value is not None:
            text += f", value {self.value!r}"
        return f"{text}: {self.reason}"


class ValidationError(TalentcastError):
    """A table failed validation; `issues` lists the problems (errors first, then warnings).

    Attributes:
        issues: the issues kept (validation caps the list, see `features.validation.MAX_ISSUES`).
        omitted: how many further issues were found but not listed.
    """

    def __init__(self, issues: list[Issue], omitted: int = 0):
        self.issues = issues
        self.omitted = omitted
        errors = [i for i in issues if i.severity == "error"]
        first = str(errors[0]) if errors else "invalid input"
        super().__init__(first + _more_text(len(errors) - 1 if errors else 0,
                                            len(issues) - len(errors), omitted))


def _more_text(errors: int, warnings: int, omitted: int) -> str:
    """" (and 3 more issues: 1 error, 2 warnings)" after the first error; "" when there is nothing else."""
    total = errors + warnings + omitted
    if total <= 0:
        return ""
    parts = [f"{n} {word}{'s' if n > 1 else ''}" for n, word in ((errors, "error"), (warnings, "warning")) if n > 0]
    if omitted:
        parts.append(f"{omitted} not listed")
    return f" (and {total} more issue{'s' if total > 1 else ''}: {', '.join(parts)})"


class InputFileError(TalentcastError):
    """A file cannot be read at all: missing, empty, unknown format, undecodable."""
