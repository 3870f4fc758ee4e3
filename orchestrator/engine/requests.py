"""What clients ask the engine for, and turning a request into a compiled stack definition.

Creating and updating share the same steps: parse the template, build the
environment as Heat's API does, compile against the plugin catalog, check
provider templates and the service's limits.  An update adds Heat's PATCH
rules and the immutable-parameter check.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from orchestrator.template.compiler import StackDefinition, StackIdentity, compile_stack
from orchestrator.template.environment import Environment, environment_for_request
from orchestrator.template.errors import TemplateError
from orchestrator.template.template import Template

from .cloud_constraints import cloud_checks
from .context import EngineContext
from .errors import RequestLimitExceeded
from .nested import check_provider_templates


def merge_for_patch(old: Environment, old_parameters: Mapping[str, Any], new: Environment,
                    parameter_types: Mapping[str, str]) -> Environment:
    """A PATCH update's environment: the stack's current one with the request's laid over it."""
    return Environment(
        parameters={k: v for k, v in {**old_parameters, **new.parameters}.items() if k in parameter_types},
        parameter_defaults={**old.parameter_defaults, **new.parameter_defaults},
        resource_registry=old.resource_registry.merged(new.resource_registry),
        event_sinks=new.event_sinks or old.event_sinks,
        encrypted_param_names=new.encrypted_param_names or old.encrypted_param_names,
        parameter_merge_strategies={**old.parameter_merge_strategies, **new.parameter_merge_strategies})


def refuse_immutable_changes(old: Template, new: Template, old_values: Mapping[str, Any],
                              new_values: Mapping[str, Any]) -> None:
    """Heat's rule: an immutable parameter of both templates may not change its value."""
    changed = sorted(name for name, schema in new.parameters.items()
                     if schema.immutable and name in old.parameters
                     and new_values.get(name, schema.default) != old_values.get(name, old.parameters[name].default))
    if changed:
        raise TemplateError(f"The following parameters are immutable and may not be updated: {', '.join(changed)}")


@dataclass
class StackRequest:
    """What a client asks for when it creates (or later updates) a stack; Heat's API fields."""

    name: str
    template: Mapping[str, Any] | str
    project_id: str = "default"
    username: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    environment: Mapping[str, Any] | None = None
    environment_files: list[str] | None = None
    files: Mapping[str, str] = field(default_factory=dict)
    timeout_mins: int | None = None
    #: ``None`` keeps the stack's current setting on update (Heat's default on create: True)
    disable_rollback: bool | None = None
    tags: list[str] | None = None
    #: the caller's own Keystone identity (``keystone.CallerToken``, in the API's keystone mode): the request's
    #: cloud checks act with it, and the stack's trust is made with it when stacks act with trusts
    credentials: Any = None


@dataclass(frozen=True)
class Job:
    """A stored operation waiting to be run: the stack, the action and the lock holder."""

    stack_id: str
    action: str
    holder: str
    #: what the action works on besides the stack (a snapshot's id)
    argument: str | None = None

    def to_message(self) -> dict:
        """What goes on the queue."""
        return {"stack_id": self.stack_id, "action": self.action, "holder": self.holder,
                "argument": self.argument}


def parse_template(source: Mapping[str, Any] | str) -> Template:
    """A request's template, given as text or as data (an API body)."""
    return Template.load(source, "template") if isinstance(source, str) else Template.from_data(source, "template")


def compile_request(context: EngineContext, template: Template, environment: Environment,
                    files: Mapping[str, str], identity: StackIdentity, credentials: Any = None) -> StackDefinition:
    """Compile against the plugin catalog, check provider templates and limits; ``TemplateError`` lists every problem.

    Values are checked against the cloud as ``credentials`` (the caller's own, when given).
    """
    # a request's values must exist in the cloud (nova.flavor, …)
    with cloud_checks(identity.project_id, credentials):
        definition = compile_stack(template, environment, files=files, identity=identity, catalog=context.plugins,
                                   custom_constraints=context.custom_constraints)
        # Template resources' properties must fit their templates: Heat checks that on request.
        check_provider_templates(context, template, environment, files, definition, identity)
    limit = context.settings.max_resources_per_stack
    if limit >= 0 and len(definition.resources) > limit:
        raise RequestLimitExceeded(f"You have reached the maximum resources per stack, {limit}. "
                                   "Please delete some resources.")
    return definition


def prepare_create(context: EngineContext, request: StackRequest,
                   stack_id: str) -> tuple[Template, Environment, StackDefinition]:
    """Parse, merge and compile a create request."""
    template = parse_template(request.template)
    types = {name: schema.type for name, schema in template.parameters.items()}
    environment = environment_for_request(request.environment, request.parameters,
                                          request.environment_files, request.files, types)
    identity = StackIdentity(request.name, stack_id, request.project_id)
    return template, environment, compile_request(context, template, environment, request.files, identity,
                                                  request.credentials)


def prepare_update(context: EngineContext, row: Any, current: tuple[Template, Environment, dict],
                   request: StackRequest, existing: bool,
                   clear: tuple[str, ...]) -> tuple[Template, Environment, Mapping[str, str], StackDefinition]:
    """Parse, merge and compile an update of the stack in ``row``, whose ``current`` template is given.

    ``existing`` is Heat's PATCH: the current template, files and parameters
    stay unless the request replaces them; ``clear`` names parameters that
    go back to their defaults.
    """
    old_template, old_environment, old_files = current
    old_parameters = {k: v for k, v in (row.parameters or {}).items() if k not in clear}
    if existing:
        request = replace(request, template=request.template or old_template.data,
                          files={**old_files, **request.files})
    template = parse_template(request.template)
    types = {name: schema.type for name, schema in template.parameters.items()}
    environment = environment_for_request(request.environment, request.parameters,
                                          request.environment_files, request.files, types)
    if existing:
        environment = merge_for_patch(old_environment, old_parameters, environment, types)
    refuse_immutable_changes(old_template, template, row.parameters or {}, environment.parameters)
    identity = StackIdentity(row.name, row.id, row.project_id)
    return template, environment, request.files, compile_request(context, template, environment, request.files,
                                                                  identity, request.credentials)
