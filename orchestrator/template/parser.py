"""Parse template snippets into trees of data and ``Function`` objects.

The rule is Heat's: a mapping is a function call only if it has exactly one
key and that key is a function of the template's version.  Any other mapping
is data, even when its key is a function name of a later version (Heat does
the same and real templates rely on it); we add a warning for that case,
since it is usually a mistake.
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidArguments, Path, Problem, TemplateError
from .functions.base import Function
from .loader import Document
from .versions import FIRST_APPEARANCE, HotVersion


class SnippetParser:
    """Parses snippets of one document, collecting every problem it finds."""

    def __init__(self, version: HotVersion, document: Document):
        self.version = version
        self.document = document
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    # -- public -----------------------------------------------------------------

    def parse(self, raw: Any, path: Path) -> Any:
        """Parse a snippet with the version's function table."""
        return self._parse(raw, path, condition=False)

    def parse_condition(self, raw: Any, path: Path) -> Any:
        """Parse a condition expression with the version's condition functions."""
        return self._parse(raw, path, condition=True)

    def error(self, message: str, path: Path) -> None:
        """Record a problem at ``path``."""
        self.problems.append(self.document.problem(message, path))

    def warn(self, message: str, path: Path) -> None:
        """Record a warning at ``path``."""
        self.warnings.append(self.document.problem(message, path))

    def raise_if_failed(self) -> None:
        """Raise a ``TemplateError`` holding every problem recorded so far."""
        if self.problems:
            raise TemplateError(self.problems)

    # -- internals ----------------------------------------------------------------

    def _parse(self, raw: Any, path: Path, condition: bool) -> Any:
        if isinstance(raw, dict):
            if len(raw) == 1:
                key = next(iter(raw))
                if isinstance(key, str):
                    function = self._function_class(key, path, condition)
                    if function is not None:
                        return self._call(function, key, raw[key], path, condition)
            return {key: self._parse(value, path + (key,), condition) for key, value in raw.items()}
        if isinstance(raw, list):
            return [self._parse(value, path + (index,), condition) for index, value in enumerate(raw)]
        return raw

    def _function_class(self, key: str, path: Path, condition: bool) -> type[Function] | None:
        version = self.version
        if condition:
            cls = version.condition_functions.get(key)
            if cls is not None:
                return cls
            if key in version.functions:
                self.error(f'The function "{key}" is invalid in this context: '
                           "conditions may only use "
                           f"{', '.join(sorted(version.condition_functions))}", path + (key,))
                return _BROKEN
        else:
            cls = version.functions.get(key)
            if cls is not None:
                return cls
        if key in version.removed:
            self.error(f'The function "{key}" is not supported in this version of HOT '
                       f"({version.date}); it was removed after {version.removed[key]}", path + (key,))
            return _BROKEN
        first = FIRST_APPEARANCE.get(key)
        if first is not None and first > version.date:
            self.warn(f'"{key}" is a function only from HOT {first}; in a {version.date} template '
                      "it is plain data", path + (key,))
        return None

    def _call(self, cls: type[Function], key: str, raw_args: Any, path: Path, condition: bool) -> Any:
        if cls is _BROKEN:
            return None
        call_path = path + (key,)
        try:
            if condition:
                args = self._parse(raw_args, call_path, True)
            else:
                args = cls.parse_args(raw_args, self, call_path)
            return cls(key, args, call_path)
        except InvalidArguments as exc:
            self.error(exc.message, call_path + exc.subpath)
            return None


class _Broken(Function):
    """Marks a call already reported as an error."""


_BROKEN = _Broken
