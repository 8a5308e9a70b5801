"""The one YAML loader for files a user hands in (scenarios, rule sets): safe, small and shallow (#15).

`yaml.safe_load` already refuses Python objects, but still expands aliases - a 385-byte "billion laughs" file
of nested `&a [*b, *b, ...]` anchors becomes billions of list items once anything walks it (26 s and 3 GB in a
scenario) - and composes nested brackets recursively, so 20,000 `[` end in a RecursionError traceback.
`load_yaml` refuses anchors and aliases outright (a scenario or a rule set never needs them), stops at
`MAX_DEPTH` levels of nesting and at `MAX_YAML_CHARS` characters, and reads numbers as YAML 1.2 does:
`1e9` is the number 1e9 (YAML 1.1, PyYAML's default, reads it as the text "1e9"), so a value out of range is
reported as out of range, not as "must be a number".

Every refusal is a `YamlLimitError`, a `yaml.YAMLError`: callers that already report YAML syntax errors as one
line naming the file report these the same way.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_YAML_CHARS = 1_000_000
"""A scenario or rule set is a few kilobytes; a megabyte leaves room for thousands of changes."""
MAX_DEPTH = 32
"""Levels of nesting (the formats use five)."""


class YamlLimitError(yaml.YAMLError):
    """The text uses a YAML feature talentcast refuses, or exceeds a limit; the message is one bilingual line."""


# YAML 1.2 core schema floats with an exponent (1e9, 1.0e9, -2E3): YAML 1.1 wants a dot and a signed exponent
# ("1.0e+9") and reads the others as text.
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$")


class _Loader(yaml.SafeLoader):
    # A copy: adding a resolver to SafeLoader's own dict would change every other safe_load in the process.
    yaml_implicit_resolvers = {first: list(resolvers)
                               for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def __init__(self, stream: str, max_depth: int):
        super().__init__(stream)
        self._depth = 0
        self._max_depth = max_depth

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlLimitError(f"line {line}: anchors and aliases (&name, *name) are not allowed; write the "
                                 f"values out / 第 {line} 行：不允许使用锚点和别名（&name、*name），请直接写出取值")
        self._depth += 1
        if self._depth > self._max_depth:
            raise YamlLimitError(f"line {line}: nested more than {self._max_depth} levels deep / 第 {line} 行：嵌套"
                                 f"超过 {self._max_depth} 层")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789"))


def load_yaml(text: str, *, max_chars: int = MAX_YAML_CHARS, max_depth: int = MAX_DEPTH) -> Any:
    """Parse one YAML document of plain data (mappings, lists, text, numbers, booleans, null).

    Raises:
        YamlLimitError: anchors or aliases, deeper than `max_depth`, longer than `max_chars`.
        yaml.YAMLError: any other syntax error.
    """
    if len(text) > max_chars:
        raise YamlLimitError(f"{len(text)} characters, more than the limit of {max_chars} / 共 {len(text)} 个字符，"
                             f"超过 {max_chars} 个的上限")
    _check_flow_depth(text, max_depth)
    loader = _Loader(text, max_depth)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


_FLOW_CHARS = re.compile(r"""[\[\]{}'"#\n]""")


def _check_flow_depth(text: str, max_depth: int) -> None:
    """Refuse brackets nested deeper than `max_depth` before PyYAML sees them: its scanner looks ahead over every
    open bracket (a possible simple key), which is quadratic - 5,000 `[` take a second, a megabyte of them hours.
    One linear pass over the brackets, quotes, comments and line ends (brackets in quotes or comments do not
    count)."""
    depth, quote, comment, line = 0, "", False, 1
    for match in _FLOW_CHARS.finditer(text):
        char = match.group()
        if char == "\n":
            line += 1
            comment = False
        elif comment:
            continue
        elif quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            comment = match.start() == 0 or text[match.start() - 1] in " \t\n"
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                raise YamlLimitError(f"line {line}: nested more than {max_depth} levels deep / 第 {line} 行：嵌套超过 "
                                     f"{max_depth} 层")
        else:
            depth = max(depth - 1, 0)


def check_depth(value: Any, max_depth: int = MAX_DEPTH) -> None:
    """Raise YamlLimitError when plain data (e.g. parsed JSON) nests deeper than `max_depth` (iteratively: no
    recursion for an attacker to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > max_depth:
                raise YamlLimitError(f"nested more than {max_depth} levels deep / 嵌套超过 {max_depth} 层")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
