"""The one error type of the template language, and where its problems point.

Every problem found in a template, environment or child template carries the
path of the offending node (``resources.web.properties.networks[0].port``) and,
when the text came from a file we parsed, its file, line and column.  A
``TemplateError`` holds one or more problems so that validation can report
everything that is wrong at once instead of stopping at the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence, Union

PathItem = Union[str, int]
Path = tuple[PathItem, ...]


def format_path(path: Sequence[PathItem]) -> str:
    """Render a path the way users read it: ``a.b[0].c``."""
    text = []
    for item in path:
        if isinstance(item, int):
            text.append(f"[{item}]")
        else:
            if text:
                text.append(".")
            text.append(str(item))
    return "".join(text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, and where it is."""

    message: str
    path: Path = ()
    source: str | None = None
    line: int | None = None
    column: int | None = None

    def location(self) -> str:
        """``file:line:col`` (or as much of it as is known)."""
        parts = [self.source or "<template>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    @property
    def text(self) -> str:
        """``path: message`` (the message alone when the path is empty)."""
        where = format_path(self.path)
        return f"{where}: {self.message}" if where else self.message

    def __str__(self) -> str:
        return f"{self.location()}: {self.text}"


def in_document_order(problems: Iterable[Problem]) -> list[Problem]:
    """``problems`` sorted by file, then line and column (unknown positions first)."""
    return sorted(problems, key=lambda p: (p.source or "", p.line or 0, p.column or 0))


class TemplateError(Exception):
    """A template, environment or parameter value is not acceptable.

    This is the only exception the template language raises for bad input; an
    instance always has at least one ``Problem``.
    """

    def __init__(self, problems: Problem | str | Iterable[Problem], path: Path = ()):
        if isinstance(problems, str):
            problems = [Problem(problems, tuple(path))]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        if not self.problems:
            raise ValueError("a TemplateError needs at least one problem")
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The first problem's message: what a one-line client shows."""
        return self.problems[0].text

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class InvalidArguments(ValueError):
    """Raised inside a function or check; the caller adds path and location.

    ``subpath`` points below the node being checked, so that an error about
    the third argument of a call can name it exactly.
    """

    def __init__(self, message: str, subpath: Path = ()):
        super().__init__(message)
        self.message = message
        self.subpath = tuple(subpath)
