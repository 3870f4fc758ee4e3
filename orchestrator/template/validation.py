"""Validate a template with its environments, files and child templates, all at once.

This is what ``orchestrator template validate`` and the API's validate call
do: parse the template, merge the environments as Heat's server does,
compile the stack, then walk into every provider template (``type:
child.yaml`` or a registry mapping) and check it too, with the parent's
properties as its parameters.  Every problem found anywhere is collected, each
pointing at the file it is in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .compiler import StackDefinition, StackIdentity, compile_stack
from .constraints import BOOLEAN, JSON, LIST, NUMBER, STRING, CustomConstraints
from .definitions import ResourceDefinition
from .environment import Environment, environment_for_request
from .errors import Problem, TemplateError
from .functions.base import ELIDED, refers_to_resources
from .functions.references import reads_parameters
from .loader import DEFAULT_LIMITS, Document, Limits, load
from .scope import TypeCatalog
from .template import Template

#: Values used for a child template's parameters whose values are only known
#: when the parent stack runs (an attribute of another resource, say).
_PLACEHOLDERS = {STRING: "", NUMBER: 0, JSON: {}, LIST: [], BOOLEAN: False}


@dataclass
class Report:
    """The outcome of a validation: a compiled stack, or the problems that prevent it."""

    definition: StackDefinition | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    children: dict[str, "Report"] = field(default_factory=dict)
    #: parameters validated with a placeholder because no value was given
    unset_parameters: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """Whether no problem was found (warnings are allowed)."""
        return not self.problems and all(child.ok for child in self.children.values())

    def all_problems(self) -> list[Problem]:
        """Problems of this template and of every child template."""
        found = list(self.problems)
        for child in self.children.values():
            found.extend(child.all_problems())
        return found

    def all_warnings(self) -> list[Problem]:
        """Warnings of this template and of every child template."""
        found = list(self.warnings)
        for child in self.children.values():
            found.extend(child.all_warnings())
        return found


@dataclass
class Validator:
    """Settings shared by a validation and its child templates."""

    catalog: TypeCatalog | None = None
    allow_unknown_types: bool = False
    custom_constraints: CustomConstraints | None = None
    limits: Limits = DEFAULT_LIMITS
    max_nested_depth: int = 5
    documents: Mapping[str, Document] = field(default_factory=dict)
    #: child templates parsed so far (or their problems), by files-map key and text
    _children: dict[tuple[str, str], Template | list[Problem]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def validate(self, template: Template | Document | str, *, files: Mapping[str, str] | None = None,
                 parameters: Mapping[str, Any] | None = None, environment: Mapping[str, Any] | None = None,
                 environment_files: list[str] | None = None, identity: StackIdentity | None = None) -> Report:
        """Validate a template as the service receives it (request fields as in Heat's API)."""
        files = dict(files or {})
        report = Report()
        try:
            parsed = self._template(template)
            report.warnings.extend(parsed.warnings)  # _compile_into adds only the compiler's own
            env = environment_for_request(environment, parameters, environment_files, files,
                                          {name: schema.type for name, schema in parsed.parameters.items()},
                                          documents=self.documents)
        except TemplateError as exc:
            report.problems.extend(exc.problems)
            return report
        # Like Heat's validate call, a template is valid without values for its
        # required parameters; values that are given are checked.
        given = {**env.parameter_defaults, **env.parameters}
        report.unset_parameters = {name for name, schema in parsed.parameters.items()
                                   if schema.required and given.get(name) is None}
        self._compile_into(report, parsed, env, files, identity or StackIdentity(), None, 1)
        return report

    def _template(self, template: Template | Document | str) -> Template:
        if isinstance(template, Template):
            return template
        if isinstance(template, Document):
            return Template.parse(template)
        return Template.load(template, limits=self.limits)

    def _compile_into(self, report: Report, template: Template, environment: Environment,
                      files: Mapping[str, str], identity: StackIdentity, facade, depth: int) -> None:
        placeholders = {name: _PLACEHOLDERS.get(template.parameters[name].type, "")
                        for name in report.unset_parameters}
        try:
            definition = compile_stack(template, environment, files=files, identity=identity,
                                       catalog=self.catalog, allow_unknown_types=self.allow_unknown_types,
                                       custom_constraints=self.custom_constraints, facade=facade,
                                       placeholders=placeholders)
        except TemplateError as exc:
            report.problems.extend(exc.problems)
            return
        report.definition = definition
        # The definition's warnings start with the template's, which the report has already.
        report.warnings.extend(definition.warnings[len(template.warnings):])
        for resource in definition.resources.values():
            if resource.template is not None and resource.template in files:
                key = f"{template.name}#{resource.name}"
                report.children[key] = self._child(definition, resource, environment, files, identity, depth,
                                                   report.unset_parameters)

    def _child(self, parent: StackDefinition, resource: ResourceDefinition, environment: Environment,
               files: Mapping[str, str], identity: StackIdentity, depth: int,
               unset: set[str] = frozenset()) -> Report:
        report = Report()
        where = parent.template.document.problem
        if depth > self.max_nested_depth:  # as in Heat: the root is depth 0, nested stacks 1..max
            report.problems.append(where(f"Recursion depth exceeds {self.max_nested_depth}.",
                                         resource.path + ("type",)))
            return report
        try:
            child = self._child_template(resource.template, files)
        except TemplateError as exc:
            report.problems.extend(exc.problems)
            return report
        report.warnings.extend(child.warnings)  # _compile_into adds only the compiler's own
        properties = self._property_map(parent, resource)
        if properties is None:
            return report  # the whole map comes from another resource: checked when it exists
        for name in properties:
            if name not in child.parameters:
                report.problems.append(where(f"Unknown Property {name}: the template {resource.template} "
                                             "has no parameter of that name", resource.path + ("properties", name)))
        missing = [name for name, schema in child.parameters.items()
                   if schema.required and name not in properties]
        for name in missing:
            report.problems.append(where(f"Property {name} not assigned", resource.path + ("properties",)))
        if report.problems:
            return report

        values, unknown = self._child_parameters(parent, properties, child, unset)
        registry = environment.resource_registry
        child_env = Environment(parameters=values, parameter_defaults=environment.parameter_defaults,
                                resource_registry=registry.for_child(
                                    resource.name, registry.resolve(resource.type, resource.name)))
        facade = {"metadata": parent.resolve(resource.metadata), "deletion_policy": resource.deletion_policy,
                  "update_policy": parent.resolve(resource.update_policy)}
        report.unset_parameters = unknown
        self._compile_into(report, child, child_env, files,
                           StackIdentity(f"{identity.name}-{resource.name}", identity.id, identity.project_id),
                           facade, depth + 1)
        return report

    def _child_template(self, key: str, files: Mapping[str, str]) -> Template:
        """The child template of files-map entry ``key``, parsed once however many resources use it."""
        cache_key = (key, files[key])
        parsed = self._children.get(cache_key)
        if parsed is None:
            try:
                document = self.documents.get(key)
                if document is None:
                    document = load(files[key], key, self.limits)
                parsed = Template.parse(document)
            except TemplateError as exc:
                parsed = exc.problems
            self._children[cache_key] = parsed
        if isinstance(parsed, list):
            raise TemplateError(parsed)
        return parsed

    @staticmethod
    def _property_map(parent: StackDefinition, resource: ResourceDefinition) -> dict | None:
        """The resource's properties as a map of trees (``None`` when only known at run time)."""
        properties = resource.properties
        if isinstance(properties, dict):
            return properties
        if refers_to_resources(properties, parent.scope):
            return None
        try:
            resolved = parent.resolve(properties)
        except TemplateError:
            return None  # reported with the parent's own problems
        return resolved if isinstance(resolved, dict) else {}

    @staticmethod
    def _child_parameters(parent: StackDefinition, properties: dict, child: Template,
                          unset: set[str] = frozenset()) -> tuple[dict, set[str]]:
        values, unknown = {}, set()
        for name, tree in properties.items():
            try:
                value = parent.resolve(tree)
            except TemplateError:
                value = None
            schema = child.parameters.get(name)
            if schema is None:
                continue
            # A value read from a parent parameter that has only a placeholder is not known either.
            if value is None or value is ELIDED or refers_to_resources(tree, parent.scope) \
                    or reads_parameters(tree, unset):
                unknown.add(name)
            else:
                values[name] = value
        return values, unknown
