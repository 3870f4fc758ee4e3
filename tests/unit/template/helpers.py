"""Helpers for testing template functions in isolation.

``evaluate(snippet, version)`` parses a snippet with a version's function
table and resolves it against a ``FakeScope``: parameters, conditions,
resources with attributes, and files given as plain dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orchestrator.template import versions
from orchestrator.template.errors import InvalidArguments, TemplateError
from orchestrator.template.functions.base import resolve, validate
from orchestrator.template.loader import Document
from orchestrator.template.parser import SnippetParser


@dataclass
class FakeScope:
    """A Scope backed by dicts; resources map name -> {"ref": ..., "attributes": {...}}."""

    parameters: dict = field(default_factory=dict)
    conditions: dict = field(default_factory=dict)
    resources: dict = field(default_factory=dict)
    disabled: set = field(default_factory=set)
    files: dict = field(default_factory=dict)
    facade_values: dict = field(default_factory=dict)

    def parameter(self, name):
        if name not in self.parameters:
            raise InvalidArguments(f"The Parameter ({name}) was not provided.")
        return self.parameters[name]

    def has_parameter(self, name):
        return name in self.parameters

    def condition(self, name):
        if name not in self.conditions:
            raise InvalidArguments(f'Invalid condition "{name}"')
        return self.conditions[name]

    def has_resource(self, name):
        if name in self.disabled:
            raise InvalidArguments(f"resource {name!r} is disabled by its condition")
        return name in self.resources

    def reference(self, name):
        return self.resources[name].get("ref", name)

    def attribute(self, name, attribute, path):
        value = self.resources[name].get("attributes", {}).get(attribute)
        from orchestrator.template.functions.references import select_from_attribute

        return select_from_attribute(value, path)

    def all_attributes(self, name):
        return dict(self.resources[name].get("attributes", {}))

    def check_attribute(self, name, attribute):
        attributes = self.resources[name].get("attributes")
        if attributes is not None and attribute not in attributes:
            raise InvalidArguments(f"The Referenced Attribute ({name} {attribute}) is incorrect.")

    def file(self, key):
        return self.files.get(key)

    def facade(self, key):
        return self.facade_values.get(key)

    def availability_zones(self):
        return []


def parse(snippet: Any, version: str = "2021-04-16", condition: bool = False) -> Any:
    """Parse ``snippet``; raise ``TemplateError`` with every problem found."""
    parser = SnippetParser(versions.by_name(version), Document(snippet, "<test>"))
    parsed = parser.parse_condition(snippet, ()) if condition else parser.parse(snippet, ())
    parser.raise_if_failed()
    return parsed


def evaluate(snippet: Any, version: str = "2021-04-16", scope: FakeScope | None = None, **scope_args) -> Any:
    """Parse, validate and resolve ``snippet``."""
    scope = scope or FakeScope(**scope_args)
    parsed = parse(snippet, version)
    validate(parsed, scope)
    return resolve(parsed, scope)


def error_of(snippet: Any, version: str = "2021-04-16", **scope_args) -> str:
    """The message of the error that evaluating ``snippet`` raises (fails if none)."""
    try:
        evaluate(snippet, version, **scope_args)
    except TemplateError as exc:
        return str(exc.problems[0].message)
    raise AssertionError(f"no error for {snippet!r}")
