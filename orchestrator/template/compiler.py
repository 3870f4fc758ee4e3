"""Compile a parsed template and an environment into one stack's definition.

Compiling binds a ``Template`` to parameter values: conditions are evaluated,
disabled resources dropped, types resolved through the environment's
registry, every function tree validated, and the dependency graph built and
checked for cycles.  The result, a ``StackDefinition``, is what the engine
walks; resolving a value against it is cheap because all checking is done.
"""

from __future__ import annotations

import functools
import heapq
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .constraints import CustomConstraints, shared_custom_constraints
from .definitions import OutputDefinition, Plan, ResourceDefinition
from .environment import Environment
from .errors import InvalidArguments, Path, Problem, TemplateError
from .functions.base import dependencies, refers_to_resources, resolve, type_name, unknown_reference, validate
from .functions.logic import evaluate_condition
from .functions.references import reads_parameters
from .parameters import bind_parameters, masked
from .scope import ConditionTable, ResourceState, StackScope, TypeCatalog
from .template import Template, locate


@dataclass(frozen=True)
class StackIdentity:
    """The pseudo parameters of a stack."""

    name: str = "stack"
    id: str = "None"
    project_id: str = ""

    def pseudo_parameters(self) -> dict[str, str]:
        """``OS::stack_name``, ``OS::stack_id`` and ``OS::project_id``."""
        return {"OS::stack_name": self.name, "OS::stack_id": self.id, "OS::project_id": self.project_id}


class StackDefinition:
    """A template bound to one stack's parameters: what the engine walks."""

    def __init__(self, template: Template, environment: Environment, parameters: dict[str, Any],
                 scope: StackScope, resources: dict[str, ResourceDefinition],
                 outputs: dict[str, OutputDefinition], warnings: list[Problem]):
        self.template = template
        self.environment = environment
        self.parameters = parameters
        self.scope = scope
        self.resources = resources
        self.outputs = outputs
        #: the template's warnings, then the compiler's own
        self.warnings = warnings

    @functools.cached_property
    def required_by(self) -> dict[str, frozenset[str]]:
        """resource name -> the resources that need it."""
        required_by: dict[str, set[str]] = {name: set() for name in self.resources}
        for name, definition in self.resources.items():
            for needed in definition.requires:
                required_by[needed].add(name)
        return {name: frozenset(names) for name, names in required_by.items()}

    def resolve(self, value: Any, state: ResourceState | None = None) -> Any:
        """Resolve a function tree of this stack against resource ``state``."""
        scope = self.scope if state is None else self.scope.with_state(state)
        try:
            return resolve(value, scope)
        except TemplateError as exc:
            raise self.template.locate(exc) from None

    def properties(self, name: str, state: ResourceState | None = None) -> dict:
        """The resolved properties of resource ``name``."""
        return self.resolve(self.resources[name].properties, state) or {}

    def output(self, name: str, state: ResourceState | None = None) -> tuple[Any, str | None]:
        """``(value, None)`` or ``(None, error message)``: an output's failure never fails the stack."""
        output = self.outputs[name]
        if not output.enabled:
            return None, None
        try:
            return self.resolve(output.value, state), None
        except TemplateError as exc:
            return None, exc.message

    def displayed_parameters(self) -> dict[str, Any]:
        """Parameter values as shown to users: hidden ones masked."""
        return masked(self.template.parameters, self.parameters)

    def plan(self) -> Plan:
        """The resources in dependency order, the parameters and the outputs."""
        resources = [
            {
                "name": d.name,
                "type": d.type,
                "resolved_type": d.resolved_type,
                "requires": sorted(d.requires),
                "template": d.template,
            }
            for d in self.resources.values()
        ]
        shown = self.displayed_parameters()
        parameters = [
            {"name": name, "type": schema.type, "value": shown.get(name)}
            for name, schema in self.template.parameters.items()
        ]
        outputs = [{"name": o.name, "description": o.description, "enabled": o.enabled}
                   for o in self.outputs.values()]
        return Plan(resources, parameters, outputs)


def compile_stack(
    template: Template,
    environment: Environment | None = None,
    *,
    files: Mapping[str, str] | None = None,
    identity: StackIdentity | None = None,
    catalog: TypeCatalog | None = None,
    allow_unknown_types: bool = False,
    custom_constraints: CustomConstraints | None = None,
    constraint_context: Any = None,
    facade: Mapping[str, Any] | None = None,
    placeholders: Mapping[str, Any] | None = None,
) -> StackDefinition:
    """Bind ``template`` to ``environment``; raise ``TemplateError`` listing every problem.

    ``catalog`` says which resource types exist; without one every type is
    accepted.  ``allow_unknown_types`` turns an unknown type into a warning.
    ``custom_constraints`` check parameters' ``custom_constraint`` entries
    (the default ones when not given); ``constraint_context`` is handed to
    each of those checks: whatever a check needs to ask the cloud (nothing
    passes one yet; it is for constraints that look up cloud resources).
    ``facade`` is what ``resource_facade`` gives in a nested stack.
    ``placeholders`` are unchecked stand-ins for parameter values not known yet.
    """
    return _Compiler(template, environment or Environment(), files or {}, identity or StackIdentity(),
                     catalog, allow_unknown_types, custom_constraints or shared_custom_constraints(),
                     constraint_context, facade, placeholders).compile()


class _Compiler:
    def __init__(self, template, environment, files, identity, catalog, allow_unknown_types,
                 custom_constraints, constraint_context, facade, placeholders):
        self.template = template
        self.environment = environment
        self.files = files
        self.identity = identity
        self.catalog = catalog
        self.allow_unknown_types = allow_unknown_types
        self.custom_constraints = custom_constraints
        self.constraint_context = constraint_context
        self.facade = facade
        self.placeholders = placeholders
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = list(template.warnings)

    def problem(self, message: str, path: Path) -> None:
        self.problems.append(self.template.document.problem(message, path))

    def absorb(self, error: TemplateError) -> None:
        self.problems.extend(locate(self.template.document, error).problems)

    def check(self, path: Path, action, *args):
        """Run ``action``; record its failure at ``path`` instead of raising."""
        try:
            return action(*args)
        except InvalidArguments as exc:
            self.problem(exc.message, path + exc.subpath)
        except TemplateError as exc:
            self.absorb(exc)
        return None

    def compile(self) -> StackDefinition:
        template = self.template
        try:
            parameters = bind_parameters(
                template.parameters, self.environment.parameters, self.environment.parameter_defaults,
                self.identity.pseudo_parameters(), self.custom_constraints, self.constraint_context,
                self.placeholders)
        except TemplateError as exc:
            raise template.locate(exc) from None
        # Conditions read only parameters: they are evaluated in the scope without resources.
        conditions = ConditionTable(template.conditions, lambda expr: resolve(expr, parameter_scope))
        parameter_scope = StackScope(parameters, conditions if template.version.has_conditions else None,
                                     {}, {}, self.files, self.catalog, self.facade)
        self.scope = parameter_scope
        for name in template.conditions:
            self.check(("conditions", name), conditions.value, name)
        if self.problems:
            raise TemplateError(self.problems)

        enabled, disabled = self._split_by_condition()
        resource_types = {}
        resolved = {}
        for name, snippet in enabled.items():
            resolved[name] = self._resolve_type(snippet)
            # A type that failed to resolve is reported once; references to the
            # resource must not add "there is no resource named …" on top.
            resource_types[name] = resolved[name].type_name if resolved[name] is not None else snippet.type
        self.scope = parameter_scope.with_resources(resource_types, disabled)
        definitions = {name: self._definition(snippet, resolved[name]) for name, snippet in enabled.items()}
        outputs = {name: self._output(output) for name, output in template.outputs.items()}
        if self.problems:
            raise TemplateError(self.problems)
        ordered = self._order(definitions)
        if self.problems:
            raise TemplateError(self.problems)
        return StackDefinition(template, self.environment, parameters, self.scope, ordered, outputs,
                               self.warnings)

    def _split_by_condition(self) -> tuple[dict, dict]:
        enabled, disabled = {}, {}
        for name, snippet in self.template.resources.items():
            if snippet.condition is None:
                enabled[name] = snippet
                continue
            on = self.check(snippet.path + ("condition",), evaluate_condition, snippet.condition, self.scope)
            if on:
                enabled[name] = snippet
            elif on is not None:
                disabled[name] = snippet.condition if isinstance(snippet.condition, str) else "(inline)"
        return enabled, disabled

    def _resolve_type(self, snippet):
        registry = self.environment.resource_registry
        path = snippet.path + ("type",)
        resolved = self.check(path, registry.resolve, snippet.type, snippet.name)
        if resolved is None:
            return None
        if resolved.template is not None:
            if resolved.template not in self.files:
                self.problem(f'Could not fetch remote template "{resolved.template}": it is not in the '
                             'files map (a client sends the templates a stack uses in "files")', path)
            return resolved
        if self.catalog is not None and not self.catalog.has_type(resolved.type_name):
            message = f"The Resource Type ({resolved.type_name}) could not be found."
            if self.allow_unknown_types:
                self.warnings.append(self.template.document.problem(
                    f"{message} Accepted as an unknown type, deferred", path))
            else:
                self.problem(message, path)
        return resolved

    def _definition(self, snippet, resolved) -> ResourceDefinition | None:
        scope = self.scope
        requires: set[str] = set()
        # Heat: a resource with an ``external_id`` is an existing object the stack only refers to;
        # it has no dependencies, its properties are not checked and it is never deleted.
        external = snippet.external_id is not None
        for key in ("properties", "metadata", "update_policy", "deletion_policy", "external_id"):
            tree = getattr(snippet, key)
            path = snippet.path + (key,)
            before = len(self.problems)
            self.check(path, validate, tree, scope)
            if len(self.problems) > before or key not in ("properties", "metadata") or external:
                continue  # only these two need other resources; a failed one would repeat its problem
            names = self.check(path, lambda t: list(dependencies(t, scope)), tree)
            if names:
                requires.update(names)
        explicit = []
        for index, name in enumerate(snippet.depends_on):
            try:
                exists = scope.has_resource(name)
            except InvalidArguments:
                continue  # depending on a disabled resource is tolerated, as in Heat
            if not exists:
                self.problem(unknown_reference(name, where=f" (in resources.{snippet.name}.depends_on)"),
                             snippet.path + ("depends_on", index))
            else:
                explicit.append(name)
        requires.update(explicit)
        if external:
            self._check_external(snippet, resolved)
        elif self.catalog is not None and resolved is not None and resolved.template is None \
                and self.catalog.has_type(resolved.type_name):
            self._check_properties(snippet, resolved.type_name)
            if snippet.deletion_policy == "Snapshot" and not self.catalog.supports(resolved.type_name, "snapshot"):
                self.problem(f'"Snapshot" deletion policy not supported: {resolved.type_name} cannot take '
                             "snapshots", snippet.path + ("deletion_policy",))
        registry = self.environment.resource_registry
        return ResourceDefinition(
            name=snippet.name,
            type=snippet.type,
            resolved_type=resolved.type_name if resolved else snippet.type,
            template=resolved.template if resolved else None,
            properties=snippet.properties,
            metadata=snippet.metadata,
            update_policy=snippet.update_policy,
            deletion_policy="Retain" if external else snippet.deletion_policy or "Delete",
            external_id=snippet.external_id,
            description=snippet.description,
            depends_on=tuple(explicit),
            requires=frozenset(requires),
            hooks=registry.hooks(snippet.name),
            restricted_actions=registry.restricted_actions(snippet.name),
            path=snippet.path,
        )

    def _check_external(self, snippet, resolved) -> None:
        """What Heat checks of a resource with an ``external_id``: no ``depends_on``, an id that is a string."""
        path = snippet.path + ("external_id",)
        tree = snippet.external_id
        value = None
        if not refers_to_resources(tree, self.scope) and not reads_parameters(tree, self.placeholders or ()):
            try:
                value = resolve(tree, self.scope)
            except TemplateError:
                return  # already reported by validation
            if not isinstance(value, str):
                self.problem(f'"external_id" of resource {snippet.name} must resolve to a string, '
                             f"not {type_name(value)}", path)
                return
        if snippet.depends_on:
            type_ = resolved.type_name if resolved is not None else snippet.type
            shown = value if value is not None else "(not known yet)"
            self.problem(f"Invalid dependency with external {type_} resource: {shown}",
                         snippet.path + ("depends_on",))

    def _check_properties(self, snippet, resource_type: str) -> None:
        """Check property values against the type's schema, where they are known yet."""
        path = snippet.path + ("properties",)
        scope = self.scope
        tree = snippet.properties
        if not isinstance(tree, dict):  # the whole map is one function call
            if refers_to_resources(tree, scope):
                return
            tree = self.check(path, resolve, tree, scope)
            if not isinstance(tree, dict):
                if tree is not None:
                    self.problem(f"Properties must be a map, not {type_name(tree)}", path)
                return
        values, unknown = {}, set()
        for key, value in tree.items():
            values[key] = None
            if refers_to_resources(value, scope) or reads_parameters(value, self.placeholders or ()):
                unknown.add(key)  # known only once the resources (or the parameters) it reads exist
                continue
            try:
                values[key] = resolve(value, scope)
            except TemplateError:
                unknown.add(key)  # already reported by validation
        for subpath, message in self.catalog.check_properties(resource_type, values, frozenset(unknown)):
            self.problem(f"Property error: {message}", path + tuple(subpath))

    def _output(self, output) -> OutputDefinition:
        enabled = True
        if output.condition is not None:
            enabled = bool(self.check(output.path + ("condition",), evaluate_condition, output.condition,
                                      self.scope))
        if enabled:
            self.check(output.path + ("value",), validate, output.value, self.scope)
        return OutputDefinition(output.name, output.value, output.description, enabled, output.path)

    def _order(self, definitions: dict[str, ResourceDefinition]) -> dict[str, ResourceDefinition]:
        """Definitions in dependency order; ties keep the template's order."""
        names = list(definitions)
        graph = {name: definition.requires for name, definition in definitions.items()}
        order = _stable_order(graph, names)
        if len(order) < len(names):
            ordered = set(order)
            cycle = _cycle(graph, [name for name in names if name not in ordered])
            self.problem(f"Circular Dependency Found: {' -> '.join(cycle)} (each resource needs the next)",
                         ("resources", cycle[0]))
            return definitions
        return {name: definitions[name] for name in order}


def _stable_order(graph: Mapping[str, Iterable[str]], names: list[str]) -> list[str]:
    """Kahn's algorithm, always taking the earliest ready name in template order.

    Names on a cycle, and those needing one, are left out.
    """
    position = {name: index for index, name in enumerate(names)}
    waiting = {name: len(set(graph[name])) for name in names}
    dependants: dict[str, list[str]] = {name: [] for name in names}
    for name in names:
        for needed in set(graph[name]):
            dependants[needed].append(name)
    ready = [position[name] for name in names if waiting[name] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        name = names[heapq.heappop(ready)]
        order.append(name)
        for dependant in dependants[name]:
            waiting[dependant] -= 1
            if waiting[dependant] == 0:
                heapq.heappush(ready, position[dependant])
    return order


def _cycle(graph: Mapping[str, Iterable[str]], left: list[str]) -> list[str]:
    """A cycle among the names Kahn's algorithm ``left`` (in template order), as ``a -> … -> a``.

    Each of them still needs one of the others, so following needs from the
    first one must come back to a name already seen; the earliest need in
    template order is followed, so the cycle named does not depend on hashing.
    """
    position = {name: index for index, name in enumerate(left)}
    walk = [left[0]]
    seen = {left[0]: 0}
    while True:
        name = min((needed for needed in graph[walk[-1]] if needed in position), key=position.__getitem__)
        if name in seen:
            return walk[seen[name]:] + [name]
        seen[name] = len(walk)
        walk.append(name)
