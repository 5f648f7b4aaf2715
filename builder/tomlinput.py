"""Reading TOML written by people: errors that point at the file and line.

Both `site.toml` and article front matter go through here, so a typo in
either gets the same kind of message: where it is, what is wrong, and the
key that was probably meant.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BuildError, Problem

_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class Source:
    """A TOML text and where it sits: `first_line` is the file line of its line 1."""

    text: str
    path: Path
    first_line: int = 1

    def parse(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            line = column = None
            found = _POSITION.search(message)
            if found:
                line = int(found.group(1)) + self.first_line - 1
                column = int(found.group(2))
                message = message[: found.start()].strip()
            raise BuildError.single(
                f"invalid TOML: {message}", self.path, line, column,
                "check quoting and `key = value` syntax; strings need double quotes",
            ) from None

    def line_of(self, key: str) -> int | None:
        """The file line where `key` is assigned or opened as a table, if it can be found."""
        pattern = re.compile(
            r"^\s*(?:\[+\s*(?:[\w.-]+\.)?|(?:[\w-]+\.)*)" + re.escape(key) + r"\s*(?:=|\]|\.)"
        )
        for number, line in enumerate(self.text.splitlines(), start=self.first_line):
            if pattern.match(line):
                return number
        return None

    def problem(self, key: str, message: str, hint: str | None = None) -> Problem:
        return Problem(message, self.path, self.line_of(key), None, hint)


def unknown_keys(table: Mapping[str, Any], known: Iterable[str], source: Source,
                 section: str = "") -> list[Problem]:
    """A problem for every key not in `known`, suggesting the closest known key."""
    known = list(known)
    problems = []
    for key in table:
        if key in known:
            continue
        name = f"{section}.{key}" if section else key
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = (f"did you mean `{close[0]}`?" if close
                else f"known keys here: {', '.join(sorted(known))}")
        problems.append(source.problem(key, f"unknown key `{name}`", hint))
    return problems


class Fields:
    """Typed reads from one TOML table, collecting a problem per bad value."""

    def __init__(self, table: Mapping[str, Any], source: Source, section: str = ""):
        self.table = table
        self.source = source
        self.section = section
        self.problems: list[Problem] = []

    def _name(self, key: str) -> str:
        return f"{self.section}.{key}" if self.section else key

    def _bad(self, key: str, expected: str, hint: str | None = None) -> None:
        value = self.table[key]
        self.problems.append(self.source.problem(
            key, f"`{self._name(key)}` must be {expected}, not {_describe(value)}", hint))

    def missing(self, key: str, hint: str) -> None:
        self.problems.append(Problem(f"missing required key `{self._name(key)}`",
                                     self.source.path, self.source.first_line, None, hint))

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.table.get(key, default)
        if value is not None and not isinstance(value, str):
            self._bad(key, "a string", f'write it in double quotes: {key} = "…"')
            return default
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            self._bad(key, "true or false")
            return default
        return value

    def integer(self, key: str, default: int, minimum: int = 1) -> int:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self._bad(key, f"a whole number of at least {minimum}")
            return default
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.table.get(key, [])
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self._bad(key, "a list of strings", f'for example {key} = ["…", "…"]')
            return ()
        return tuple(value)

    def date(self, key: str) -> dt.date | None:
        value = self.table.get(key)
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return value
        if value is not None:
            self._bad(key, "a TOML date", f"write it without quotes, for example {key} = 2024-07-22")
        return None

    def table_of(self, key: str) -> Mapping[str, Any]:
        value = self.table.get(key, {})
        if not isinstance(value, dict):
            self._bad(key, "a table", f"write it as [{self._name(key)}] or {key} = {{ … }}")
            return {}
        return value


def _describe(value: Any) -> str:
    kind = {str: "a string", bool: "a boolean", int: "a number", float: "a number",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)
    shown = repr(value)
    return f"{kind} ({shown[:40]})" if len(shown) <= 40 else kind
