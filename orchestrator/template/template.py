"""A HOT template, parsed: its version found, its sections checked, its snippets compiled.

``Template.load`` (text) or ``Template.from_data`` (an API request's JSON)
produce a ``Template`` or raise one ``TemplateError`` that lists every
structural problem, each with its path and, for text, its line and column.
Nothing here depends on parameter values: that is ``compiler.compile_stack``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import versions
from .errors import Path, Problem, TemplateError, in_document_order
from .functions.base import Function, type_name
from .loader import DEFAULT_LIMITS, Document, Limits, check_depth, load
from .parameters import ParameterGroup, ParameterSchema, parse_parameter_groups, parse_parameters
from .parser import SnippetParser
from .versions import HotVersion

@dataclass(frozen=True, eq=False)
class ResourceSnippet:
    """One entry of the ``resources`` section, parsed but not yet bound to parameters."""

    name: str
    type: str
    properties: Any = field(default_factory=dict)
    metadata: Any = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    deletion_policy: Any = None
    update_policy: Any = field(default_factory=dict)
    description: str | None = None
    external_id: Any = None
    condition: Any = None
    path: Path = ()


@dataclass(frozen=True, eq=False)
class OutputSnippet:
    """One entry of the ``outputs`` section."""

    name: str
    value: Any
    description: str | None = None
    condition: Any = None
    path: Path = ()


@dataclass(eq=False)
class Template:
    """A structurally valid HOT template."""

    document: Document
    version: HotVersion
    description: str
    parameters: dict[str, ParameterSchema]
    parameter_groups: list[ParameterGroup]
    conditions: dict[str, Any]
    resources: dict[str, ResourceSnippet]
    outputs: dict[str, OutputSnippet]
    warnings: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        """Where the template came from (a file name or URL)."""
        return self.document.name

    @property
    def data(self) -> Any:
        """The template as the user wrote it (JSON-compatible)."""
        return self.document.data

    @classmethod
    def load(cls, text: str | bytes, name: str = "<template>", limits: Limits = DEFAULT_LIMITS) -> "Template":
        """Parse template text (YAML or JSON)."""
        return cls.parse(load(text, name, limits))

    @classmethod
    def from_data(cls, data: Any, name: str = "<template>", limits: Limits = DEFAULT_LIMITS) -> "Template":
        """Parse a template that arrived as data (an API body); positions are unknown."""
        check_depth(data, name, limits)
        return cls.parse(Document(data, name))

    @classmethod
    def parse(cls, document: Document) -> "Template":
        """Check a loaded document and parse every section of it."""
        return _TemplateReader(document).read()

    def locate(self, error: TemplateError) -> TemplateError:
        """The same error, with this template's file, line and column added where missing."""
        return locate(self.document, error)


def locate(document: Document, error: TemplateError) -> TemplateError:
    """Add ``document``'s positions to problems that know only their path."""
    problems = []
    for problem in error.problems:
        if problem.source is None:
            problem = document.problem(problem.message, problem.path)
        problems.append(problem)
    return TemplateError(problems)


def find_version(document: Document) -> HotVersion:
    """The HOT version a document declares; ``TemplateError`` when there is none or it is unknown."""
    data = document.data
    if not isinstance(data, dict):
        raise document.error("The template is not a JSON object or YAML mapping.")
    if versions.VERSION_KEY not in data:
        for key in versions.CFN_VERSION_KEYS:
            if key in data:
                raise document.error(
                    f"CloudFormation-format templates ({key}) are not supported: write a HOT template "
                    f'with "{versions.VERSION_KEY}"', (key,))
        raise document.error(
            f'Template format version not found: a HOT template must declare "{versions.VERSION_KEY}" '
            f"(one of {', '.join(versions.valid_names())})")
    declared = data[versions.VERSION_KEY]
    version = versions.by_name(declared)
    if version is None:
        raise document.error(
            f'The template version is invalid: "{versions.VERSION_KEY}: {declared}". '
            f'"{versions.VERSION_KEY}" should be one of: {", ".join(versions.valid_names())}',
            (versions.VERSION_KEY,))
    return version


class _TemplateReader:
    """Reads one document section by section, collecting all problems."""

    def __init__(self, document: Document):
        self.document = document
        self.problems: list[Problem] = []

    def error(self, message: str, path: Path) -> None:
        self.problems.append(self.document.problem(message, path))

    def read(self) -> Template:
        document = self.document
        version = find_version(document)
        data = document.data
        self.parser = parser = SnippetParser(version, document)
        self.version = version

        for key in data:
            if key not in version.sections:
                self.error(f"The template section is invalid: {key} (a {version.date} template may have "
                           f"{', '.join(sorted(version.sections))})", (key,))

        description = data.get("description")
        if description is None:
            description = "No description"
        elif not isinstance(description, str):
            self.error("The description must be a string", ("description",))

        parameters, problems = parse_parameters(self._section("parameters"), version, document)
        self.problems.extend(problems)
        groups, problems = parse_parameter_groups(data.get("parameter_groups"), parameters, document)
        self.problems.extend(problems)
        conditions = self._conditions() if version.has_conditions else {}
        resources = self._resources()
        outputs = self._outputs()

        for name in sorted(set(parameters) & set(resources), key=str):
            self.error(f'Duplicate names {name}: a parameter and a resource may not share a name',
                       ("resources", name))

        self.problems.extend(parser.problems)
        if self.problems:
            raise TemplateError(in_document_order(self.problems))
        return Template(document, version, description, parameters, groups, conditions, resources,
                        outputs, list(document.warnings) + parser.warnings)

    def _section(self, name: str) -> dict:
        value = self.document.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(f'The "{name}" section must be a map, not {_kind(value)}', (name,))
            return {}
        return value

    # -- conditions ---------------------------------------------------------------

    def _conditions(self) -> dict[str, Any]:
        parsed = {}
        for name, definition in self._section("conditions").items():
            parsed[name] = self.parser.parse_condition(definition, ("conditions", name))
        return parsed

    # -- resources ----------------------------------------------------------------

    def _resources(self) -> dict[str, ResourceSnippet]:
        resources = {}
        for name, snippet in self._section("resources").items():
            path = ("resources", name)
            if not isinstance(name, str):
                self.error(f"A resource name must be a string, not {_kind(name)}", path)
                continue
            if "/" in name:
                self.error(f'Resource name may not contain "/": {name}', path)
            resource = self._resource(name, snippet, path)
            if resource is not None:
                resources[name] = resource
        return resources

    def _resource(self, name: str, snippet: Any, path: Path) -> ResourceSnippet | None:
        if not isinstance(snippet, dict):
            if snippet:
                self.error(f'"resources" must contain a map of resource maps. Found {_kind(snippet)} instead',
                           path)
            else:
                self.error("Each resource must contain a type key.", path)
            return None
        allowed = self.version.resource_keys
        invalid = [key for key in snippet if key not in allowed]
        for key in invalid:
            self.error(f'"{key}" is not a valid keyword inside a resource definition '
                       f"(a {self.version.date} resource may have {', '.join(sorted(allowed))})", path + (key,))
        if "type" not in snippet:
            self.error("Each resource must contain a type key.", path)
            return None
        type_name = snippet["type"]
        if not isinstance(type_name, str):
            self.error(f"The type of resource {name} must be a string, not {_kind(type_name)}", path + ("type",))
            return None

        parse = self.parser.parse
        fields: dict[str, Any] = {}
        for key, kinds, word in _RESOURCE_FIELDS:
            raw = snippet.get(key)
            if raw is None:
                continue
            value = parse(raw, path + (key,))
            if not isinstance(value, kinds):
                self.error(f'"{key}" of resource {name} must be {word}, not {_kind(raw)}', path + (key,))
                continue
            fields[key] = value
        fields["depends_on"] = self._depends_on(snippet.get("depends_on"), path + ("depends_on",))
        policy = fields.get("deletion_policy")
        if isinstance(policy, str):
            if policy not in self.version.deletion_policies:
                self.error(f'Invalid deletion policy "{policy}" (allowed: '
                           f"{', '.join(self.version.deletion_policies)})", path + ("deletion_policy",))
            else:
                fields["deletion_policy"] = self.version.deletion_policies[policy]
        description = snippet.get("description")
        if description is not None and not isinstance(description, str):
            self.error("A resource description must be a string", path + ("description",))
            description = None
        condition = snippet.get("condition")
        if condition is not None:
            condition = self.parser.parse_condition(condition, path + ("condition",))
            if not isinstance(condition, (str, bool, Function)):
                self.error("A resource condition must be a condition name, a boolean or a condition function",
                           path + ("condition",))
        return ResourceSnippet(name=name, type=type_name, description=description, condition=condition,
                               path=path, **fields)

    def _depends_on(self, raw: Any, path: Path) -> tuple[str, ...]:
        if raw is None:
            return ()
        names = [raw] if isinstance(raw, str) else raw
        if not isinstance(names, list):
            self.error(f'"depends_on" must be a resource name or a list of them, not {_kind(raw)}', path)
            return ()
        for index, name in enumerate(names):
            if not isinstance(name, str):
                self.error(f'"depends_on" items must be resource names, not {_kind(name)}', path + (index,))
        return tuple(name for name in names if isinstance(name, str))

    # -- outputs ------------------------------------------------------------------

    def _outputs(self) -> dict[str, OutputSnippet]:
        outputs = {}
        allowed = self.version.output_keys
        for name, snippet in self._section("outputs").items():
            path = ("outputs", name)
            if not isinstance(snippet, dict):
                self.error(f'"outputs" must contain a map of output maps. Found {_kind(snippet)} instead', path)
                continue
            for key in snippet:
                if key not in allowed:
                    self.error(f'"{key}" is not a valid keyword inside a output definition '
                               f"(an output may have {', '.join(sorted(allowed))})", path + (key,))
            if "value" not in snippet:
                self.error("Each output must contain a value key.", path)
                continue
            description = snippet.get("description")
            if description is not None and not isinstance(description, str):
                self.error("An output description must be a string", path + ("description",))
                description = None
            condition = snippet.get("condition")
            if condition is not None:
                condition = self.parser.parse_condition(condition, path + ("condition",))
            value = self.parser.parse(snippet["value"], path + ("value",))
            outputs[str(name)] = OutputSnippet(str(name), value, description, condition, path)
        return outputs


# key, accepted parsed kinds, words for the error
_RESOURCE_FIELDS = (
    ("properties", (dict, Function), "a map"),
    ("metadata", (dict, Function), "a map"),
    ("update_policy", (dict, Function), "a map"),
    ("deletion_policy", (str, Function), "a string"),
    ("external_id", (str, Function), "a string"),
)


_kind = type_name
