"""Errors a user can fix. The CLI turns them into one readable line and exit code 2; the API into 4xx.

Messages about input files are bilingual: the English text, " / ", the Chinese text (`bilingual`). An `Issue`
keeps both reasons; `Issue.message(lang)` renders it in English ("en"), Chinese ("zh") or both ("both", what
the CLI prints and the API returns as `message`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

LANGUAGE_SEPARATOR = " / "


def bilingual(en: str, zh: str | None) -> str:
    """"<English> / <Chinese>" (just the English when there is no Chinese text)."""
    return f"{en}{LANGUAGE_SEPARATOR}{zh}" if zh else en


class TalentcastError(Exception):
    """Base class of every error caused by the user's input or request (never by a bug).

    Every message a user sees is bilingual, "<English> / <Chinese>": each raise gives both texts (the CLI
    prints the line, the API returns it as `detail`; tests/test_messages.py checks every raise in the code).
    A subclass whose English reasons come from a parser (pydantic field errors of a scenario or rule file) sets
    `zh_default`, the Chinese said when a raise has no Chinese text of its own.

    Args:
        message: the English message.
        zh: the same message in Chinese; when given, the error reads "<English> / <Chinese>".
    """

    zh_default: str | None = None

    def __init__(self, message: str = "", zh: str | None = None):
        self.message_en = message
        self.message_zh = zh or self.zh_default
        super().__init__(bilingual(message, self.message_zh))


@dataclass(frozen=True)
class Issue:
    """One problem found in an input file, located as precisely as possible.

    `row` is the 1-based data row as a spreadsheet user sees it (header = row 1, first data row = row 2);
    None when the problem concerns the whole file or a column. `reason_zh` is the reason in Chinese (not part
    of equality: an issue is the same problem whatever language it is told in).
    """

    file: str
    reason: str
    row: int | None = None
    column: str | None = None
    value: object = None
    severity: str = "error"  # "error" blocks storage; "warning" is reported only (e.g. gaps in a series)
    reason_zh: str | None = field(default=None, compare=False)

    def message(self, lang: str = "both") -> str:
        """The issue as one line: "en" (file, row, column, value: reason), "zh" (文件 第N行 列 值：原因) or
        "both" (the English line, " / ", the Chinese reason)."""
        if lang == "zh":
            return f"{self._where('zh')}：{self.reason_zh or self.reason}"
        english = f"{self._where('en')}: {self.reason}"
        return english if lang == "en" else bilingual(english, self.reason_zh)

    def _where(self, lang: str) -> str:
        """File, row, column and value in one language (row/column labels and separators differ)."""
        row, column, sep, value = (("第{}行", "“{}”列", "，", "，值 {!r}") if lang == "zh"
                                   else ("row {}", "column '{}'", ", ", ", value {!r}"))
        where = [self.file] + ([row.format(self.row)] if self.row is not None else []) \
            + ([column.format(self.column)] if self.column is not None else [])
        return sep.join(where) + (value.format(self.value) if self.value is not None else "")

    def __str__(self) -> str:
        return self.message("both")


class ValidationError(TalentcastError):
    """A table failed validation; `issues` lists the problems (errors first, then warnings).

    The message is a summary (which file, how many errors and warnings, nothing stored), not a repetition of
    an issue: the doors print or return every issue once (`features.validation.format_report`, the API's
    `issues`) and this summary after them.

    Attributes:
        issues: the issues kept (validation caps the list, see `features.validation.MAX_ISSUES`).
        omitted: how many further issues were found but not listed.
        table: the contract table the file was checked as (None when several were).
    """

    def __init__(self, issues: list[Issue], omitted: int = 0, table: str | None = None):
        self.issues = issues
        self.omitted = omitted
        self.table = table
        errors = sum(1 for i in issues if i.severity == "error")
        warnings = len(issues) - errors
        files = list(dict.fromkeys(i.file for i in issues)) or ["input"]
        en, zh = summary_text(files, table, errors, warnings, omitted)
        super().__init__(en, zh)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def summary_text(files: list[str], table: str | None, errors: int, warnings: int, omitted: int = 0
                 ) -> tuple[str, str]:
    """(English, Chinese) summary of a failed validation: "<file> is not a valid '<table>' table: 2 errors,
    1 warning; nothing stored"."""
    name = ", ".join(files)
    what_en = f"{name} is not a valid '{table}' table" if table else f"{name} is not valid"
    what_zh = f"{name} 不是有效的“{table}”表" if table else f"{name} 无效"
    counts_en = [_count(max(errors, 1), "error")] + ([_count(warnings, "warning")] if warnings else [])
    counts_zh = [f"{max(errors, 1)} 个错误"] + ([f"{warnings} 个警告"] if warnings else [])
    if omitted:
        counts_en.append(f"{omitted} more not listed")
        counts_zh.append(f"另有 {omitted} 个未列出")
    return (f"{what_en}: {', '.join(counts_en)}; nothing stored",
            f"{what_zh}：{'，'.join(counts_zh)}；未保存任何数据")


class InputFileError(TalentcastError):
    """A file cannot be read at all: missing, empty, unknown format, undecodable."""
