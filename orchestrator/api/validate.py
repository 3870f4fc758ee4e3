"""Template validation: ``POST /v1/<project>/validate`` (``openstack orchestration template validate``).

The template package's ``Validator`` does the work: it parses the template,
builds the environment from the request as Heat's API does, compiles the
stack against the engine's plugin catalog and checks every provider template
the stack uses, collecting every problem.  This module turns its report into
Heat's answer — ``Description``, ``Parameters`` with CloudFormation-style keys
(Heat's ``format_validate_parameter``), ``ParameterGroups``,
``NestedParameters`` with ``show_nested``, and the merged ``Environment`` —
or into a 400 that lists every problem with its file, line and column.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from flask import g, jsonify

from orchestrator.engine.cloud_constraints import cloud_checks
from orchestrator.template.compiler import StackDefinition, StackIdentity
from orchestrator.template.constraints import (AllowedPattern, AllowedValues, CustomConstraint, Length, Modulo,
                                               Range)
from orchestrator.template.errors import Problem, TemplateError, in_document_order
from orchestrator.template.parameters import MISSING, ParameterSchema
from orchestrator.template.template import Template
from orchestrator.template.validation import Report, Validator

from .app import ProjectBlueprint, services
from .faults import ApiError, BadRequest
from .schemas import ValidateArgs, ValidateBody, ValidateResult
from .stacks import stack_request

blueprint = ProjectBlueprint("validate", __name__, description="Validate a template with its environment and files.")

#: the error codes Heat lets ``ignore_errors`` name: 99001 is "a type's cloud service is unavailable",
#: which this service never reports while validating, so ignoring it changes nothing
IGNORABLE_ERRORS = ("99001",)

#: parameter types as Heat's validate call names them
PARAMETER_TYPES = {"string": "String", "number": "Number", "comma_delimited_list": "CommaDelimitedList",
                   "json": "Json", "boolean": "Boolean"}


@blueprint.route("/validate", methods=["POST"])
@blueprint.arguments(ValidateBody)
@blueprint.arguments(ValidateArgs, location="query")
@blueprint.response(200, ValidateResult)
def validate_template(body: dict[str, Any], args: dict[str, Any]):
    """Validate a template: its parameters as a user interface needs them, or 400 naming every problem.

    Values given for parameters are checked; parameters left without a value
    are not an error.  With ``show_nested=true`` the parameters of every
    provider template the stack uses are added under ``NestedParameters``.
    """
    if body.get("template") is None and not body.get("template_url"):
        raise BadRequest("No template specified")
    _check_ignorable(args.get("ignore_errors"))
    request = stack_request(body, name="validate")
    report = _validate(request.template, request.parameters, request.environment, request.environment_files,
                       request.files)
    return jsonify(validation_result(report, args["show_nested"]))


def _check_ignorable(codes: str | None) -> None:
    if not codes:
        return
    invalid = sorted({code for code in codes.split(",") if code} - set(IGNORABLE_ERRORS))
    if invalid:
        raise BadRequest(f"Invalid codes in ignore_errors : {invalid}")


def _validate(source: Mapping[str, Any] | str, parameters: Mapping[str, Any], environment: Any,
              environment_files: list[str] | None, files: Mapping[str, str]) -> Report:
    """The validator's report on a request; 400 when anything is wrong."""
    settings = services().settings
    context = services().engine.context
    limits = settings.template_limits()
    try:
        template = (Template.load(source, "template", limits) if isinstance(source, str)
                    else Template.from_data(source, "template", limits))
    except TemplateError as exc:
        raise BadRequest(problem_message(exc.problems, files)) from None
    limit = context.settings.max_resources_per_stack
    if 0 <= limit < len(template.resources):
        raise ApiError(400, f"You have reached the maximum resources per stack, {limit}. "
                            "Please delete some resources.", "RequestLimitExceeded")
    validator = Validator(catalog=context.plugins, custom_constraints=context.custom_constraints, limits=limits,
                          max_nested_depth=context.settings.max_nested_depth)
    # values must exist in the cloud (nova.flavor, …), as the caller sees it
    with cloud_checks(g.context.project_id, g.context.cloud_credentials()):
        report = validator.validate(template, files=files, parameters=parameters, environment=environment,
                                    environment_files=environment_files,
                                    identity=StackIdentity("validate", "None", g.context.project_id))
    if not report.ok or report.definition is None:
        raise BadRequest(problem_message(report.all_problems(), files))
    return report


def problem_message(problems: Iterable[Problem], files: Mapping[str, str] | None = None) -> str:
    """Every problem on a line of its own, in document order, with file, line and column where known."""
    files = files or {}
    lines = []
    for problem in in_document_order(problems):
        if problem.line is not None:
            lines.append(str(problem))
        elif problem.source in files:  # a file of the request: naming it helps even without a position
            lines.append(f"{problem.source}: {problem.text}")
        else:
            lines.append(problem.text)
    return "\n".join(dict.fromkeys(lines)) or "The template is not valid."


# -- Heat's answer ------------------------------------------------------------------------------

def validation_result(report: Report, show_nested: bool) -> dict[str, Any]:
    """Heat's validate answer for a report without problems."""
    definition = report.definition
    result: dict[str, Any] = {"Description": definition.template.description or "",
                              "Parameters": parameters_of(definition)}
    groups = _parameter_groups(definition.template)
    if groups:
        result["ParameterGroups"] = groups
    if show_nested:
        nested = nested_parameters(report)
        if nested:
            result["NestedParameters"] = nested
    result["Environment"] = definition.environment.to_data()
    return result


def parameters_of(definition: StackDefinition) -> dict[str, dict[str, Any]]:
    """Every parameter of a compiled template (pseudo parameters left out), with what its stack gives it."""
    environment = definition.environment
    return {name: validated_parameter(name, schema, environment.parameters.get(name),
                                      environment.parameter_defaults.get(name))
            for name, schema in definition.template.parameters.items()}


def validated_parameter(name: str, schema: ParameterSchema, value: Any = None,
                        environment_default: Any = None) -> dict[str, Any]:
    """One parameter with Heat's keys and value types (``NoEcho`` is the text "true" or "false")."""
    shown: dict[str, Any] = {
        "Type": PARAMETER_TYPES.get(schema.type, schema.type),
        "Description": schema.description or "",
        "NoEcho": "true" if schema.hidden else "false",
        "Label": schema.label or name,
    }
    # An environment's parameter_defaults entry replaces the template's default, as in Heat.
    if environment_default is not None:
        shown["Default"] = environment_default
    elif schema.default is not MISSING:
        shown["Default"] = schema.default
    if value:  # Heat leaves out values that are empty (and so 0 and false)
        shown["Value"] = value
    if schema.tags:
        shown["Tags"] = list(schema.tags)
    _add_constraints(shown, schema)
    return shown


def _add_constraints(shown: dict[str, Any], schema: ParameterSchema) -> None:
    descriptions = []
    for constraint in schema.constraints:
        # Length is a kind of Range: it must be asked first.
        if isinstance(constraint, Length):
            _add_bounds(shown, constraint, "MinLength", "MaxLength")
        elif isinstance(constraint, Range):
            _add_bounds(shown, constraint, "MinValue", "MaxValue")
        elif isinstance(constraint, Modulo):
            shown["Step"], shown["Offset"] = constraint.step, constraint.offset
        elif isinstance(constraint, AllowedValues):
            shown["AllowedValues"] = list(constraint.allowed)
        elif isinstance(constraint, AllowedPattern):
            shown["AllowedPattern"] = constraint.pattern
        elif isinstance(constraint, CustomConstraint):
            shown["CustomConstraint"] = constraint.name
        if constraint.description:
            descriptions.append(constraint.description)
    if descriptions:
        shown["ConstraintDescription"] = " ".join(descriptions)


def _add_bounds(shown: dict[str, Any], constraint: Range, low: str, high: str) -> None:
    if constraint.min is not None:
        shown[low] = constraint.min
    if constraint.max is not None:
        shown[high] = constraint.max


def _parameter_groups(template: Template) -> list[Any]:
    """The ``parameter_groups`` section as written (Heat returns it as it is)."""
    data = template.data if isinstance(template.data, dict) else {}
    return list(data.get("parameter_groups") or [])


def nested_parameters(report: Report) -> dict[str, Any]:
    """Per resource made from a provider template: its type, description and parameters, recursively."""
    nested: dict[str, Any] = {}
    for key, child in report.children.items():
        if child.definition is None:
            continue
        resource = key.rsplit("#", 1)[1]
        entry: dict[str, Any] = {"Type": report.definition.resources[resource].type,
                                 "Description": child.definition.template.description or "",
                                 "Parameters": parameters_of(child.definition)}
        groups = _parameter_groups(child.definition.template)
        if groups:
            entry["ParameterGroups"] = groups
        deeper = nested_parameters(child)
        if deeper:
            entry["NestedParameters"] = deeper
        nested[resource] = entry
    return nested
