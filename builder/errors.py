"""One error type for bad input, and one way to print it.

Every problem a user can fix (a broken file, a bad key, a colliding slug) is a
`Problem`; a build collects as many as it can and raises them together as a
`BuildError`, so one run reports everything that is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    message: str
    path: Path | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def location(self) -> str:
        if self.path is None:
            return ""
        parts = [str(self.path)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self) -> str:
        where = self.location()
        text = f"{where}: error: {self.message}" if where else f"error: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class BuildError(Exception):
    """Bad input: one or more problems the user has to fix. Exit code 1."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(p.format() for p in self.problems))

    def __reduce__(self):
        return (BuildError, (self.problems,))  # survives the trip back from a worker

    @classmethod
    def single(cls, message: str, path: Path | None = None, line: int | None = None,
               column: int | None = None, hint: str | None = None) -> BuildError:
        return cls([Problem(message, path, line, column, hint)])


def format_problems(problems: Iterable[Problem]) -> str:
    problems = tuple(problems)
    text = "\n".join(p.format() for p in problems)
    if len(problems) > 1:
        text += f"\n{len(problems)} errors."
    return text
