"""What the service offers templates: resource types, template versions and functions, build information.

The resource types are the engine's plugin catalog (``services().engine.context.plugins``),
the one templates are compiled against, so a type listed here is a type a
stack can use.  The template versions and their functions come from the
template package's version tables.  CloudFormation-format templates are not
accepted by this service, so no ``cfn`` version is listed.
"""

from __future__ import annotations

import inspect
import re
from importlib.metadata import PackageNotFoundError, version as package_version
from typing import Any

from flask import jsonify

from orchestrator.template import versions
from orchestrator.template.constraints import AllowedPattern, AllowedValues, Length, Range
from orchestrator.template.versions import HotVersion
from resources.base import Resource
from resources.schema import Property

from .app import ProjectBlueprint, services
from .faults import BadRequest, NotFound
from .schemas import (BuildInfo, GeneratedTemplateArgs, ResourceTypeList, ResourceTypeListArgs, ResourceTypeSchema,
                      TemplateFunctionArgs, TemplateFunctionList, TemplateVersionList)

blueprint = ProjectBlueprint("types", __name__,
                             description="Resource types, template versions and functions, build information.")

SUPPORT_STATUSES = ("UNKNOWN", "SUPPORTED", "DEPRECATED", "UNSUPPORTED", "HIDDEN")
TEMPLATE_TYPES = ("cfn", "hot")

#: the attribute every resource has (Heat's base attribute)
SHOW_ATTRIBUTE = {"description": "Detailed information about resource.", "type": "map"}


# -- resource types -------------------------------------------------------------------------

@blueprint.route("/resource_types", methods=["GET"])
@blueprint.arguments(ResourceTypeListArgs, location="query")
@blueprint.response(200, ResourceTypeList)
def list_resource_types(args: dict[str, Any]):
    """List the resource types templates can use, filtered by name (a regular expression), status or version."""
    status = args.get("support_status")
    if status is not None and status not in SUPPORT_STATUSES:
        raise BadRequest(f"Invalid support status and should be one of {SUPPORT_STATUSES}")
    name, wanted_version = args.get("name"), args.get("version")
    catalog = services().engine.context.plugins
    found: list[Any] = []
    for type_name in catalog.types():
        cls = catalog.get(type_name)
        support = support_status(cls)
        if support["status"] == "HIDDEN" or (status and support["status"] != status):
            continue
        if wanted_version and support["version"] != wanted_version:
            continue
        if name and not _name_matches(name, type_name):
            continue
        found.append({"resource_type": type_name, "description": type_description(cls)}
                     if args["with_description"] else type_name)
    return jsonify({"resource_types": found})


def _name_matches(pattern: str, type_name: str) -> bool:
    # As in Heat: matched from the start of the name, and a pattern that is not a regular expression matches nothing.
    try:
        return re.match(pattern, type_name) is not None
    except re.error:
        return False


@blueprint.route("/resource_types/<type_name>", methods=["GET"])
@blueprint.response(200, ResourceTypeSchema)
def show_resource_type(type_name: str):
    """Show a resource type: its properties, attributes, support status and description."""
    return jsonify(resource_type_schema(type_name, _plugin(type_name)))


@blueprint.route("/resource_types/<type_name>/template", methods=["GET"])
@blueprint.arguments(GeneratedTemplateArgs, location="query")
@blueprint.response(200, description="A template with a parameter per property and an output per attribute.")
def resource_type_template(args: dict[str, Any], type_name: str):
    """A template using the type once: its properties as parameters, its attributes as outputs."""
    template_type = args["template_type"]
    if template_type not in TEMPLATE_TYPES:
        raise BadRequest(f'Template type is not supported: Invalid template type "{template_type}", '
                         f"valid types are: {', '.join(TEMPLATE_TYPES)}.")
    return jsonify(provider_template(type_name, _plugin(type_name), template_type))


def _plugin(type_name: str) -> type[Resource]:
    cls = services().engine.context.plugins.get(type_name)
    if cls is None or support_status(cls)["status"] == "HIDDEN":
        raise NotFound(f"The Resource Type ({type_name}) could not be found.", "ResourceTypeNotFound")
    return cls


def support_status(cls: type[Resource]) -> dict[str, Any]:
    """Heat's support status of a plugin: what it declares in ``support_status``, else supported."""
    declared = getattr(cls, "support_status", None)
    status = {"status": "SUPPORTED", "version": None, "message": None, "previous_status": None}
    if isinstance(declared, dict):
        status.update({key: declared[key] for key in status if key in declared})
    return status


def type_description(cls: type[Resource]) -> str:
    """The plugin's description, else its docstring."""
    return cls.description or inspect.getdoc(cls) or ""


def resource_type_schema(type_name: str, cls: type[Resource]) -> dict[str, Any]:
    """``GET /resource_types/<type>``: the schema as Heat shows it."""
    attributes = {name: attribute.describe() for name, attribute in cls.attributes_schema.items()}
    attributes.setdefault("show", dict(SHOW_ATTRIBUTE))
    return {
        "resource_type": type_name,
        "properties": {name: prop.describe() for name, prop in cls.properties_schema.items()},
        "attributes": attributes,
        "support_status": support_status(cls),
        "description": type_description(cls),
    }


# -- generated templates ----------------------------------------------------------------------

#: property type -> HOT parameter type; ``any`` has no parameter type of its own, text fits most values
_HOT_TYPES = {"string": "string", "integer": "number", "number": "number", "boolean": "boolean",
              "map": "json", "list": "comma_delimited_list", "any": "string"}
_CFN_TYPES = {"string": "String", "number": "Number", "boolean": "Boolean", "json": "Json",
              "comma_delimited_list": "CommaDelimitedList"}


def provider_template(type_name: str, cls: type[Resource], template_type: str) -> dict[str, Any]:
    """Heat's generated template: one resource of the type, a parameter per property, an output per attribute."""
    resource = cls.__name__
    description = f"Initial template of {resource}"
    attributes = {name: attribute.description for name, attribute in cls.attributes_schema.items()}
    attributes.setdefault("show", SHOW_ATTRIBUTE["description"])
    if template_type == "hot":
        parameters = {name: _hot_parameter(prop) for name, prop in cls.properties_schema.items()}
        outputs = {name: {"description": text, "value": {"get_attr": [resource, name]}}
                   for name, text in attributes.items()}
        outputs["OS::stack_id"] = {"value": {"get_resource": resource}}
        return {"heat_template_version": "2016-10-14", "description": description, "parameters": parameters,
                "outputs": outputs,
                "resources": {resource: {"type": type_name,
                                         "properties": {name: {"get_param": name} for name in parameters}}}}
    parameters = {name: _cfn_parameter(prop) for name, prop in cls.properties_schema.items()}
    outputs = {name: {"Description": text, "Value": {"Fn::GetAtt": [resource, name]}}
               for name, text in attributes.items()}
    outputs["OS::stack_id"] = {"Value": {"Ref": resource}}
    properties = {name: {"Fn::Split": [",", {"Ref": name}]} if prop.type == "list" else {"Ref": name}
                  for name, prop in cls.properties_schema.items()}
    return {"HeatTemplateFormatVersion": "2012-12-12", "Description": description, "Parameters": parameters,
            "Outputs": outputs, "Resources": {resource: {"Type": type_name, "Properties": properties}}}


def _hot_parameter(prop: Property) -> dict[str, Any]:
    param_type = _HOT_TYPES[prop.type]
    parameter: dict[str, Any] = {"type": param_type, "description": prop.description}
    if prop.default is not None:
        parameter["default"] = prop.default
    constraints = []
    for constraint in prop.constraints:
        # Only the constraints HOT parameters have for this parameter type (Heat drops the rest too).
        if param_type in constraint.applies_to and isinstance(
                constraint, (Length, Range, AllowedValues, AllowedPattern)):
            constraints.append({constraint.key: constraint.definition()})
    if constraints:
        parameter["constraints"] = constraints
    return parameter


def _cfn_parameter(prop: Property) -> dict[str, Any]:
    param_type = _HOT_TYPES[prop.type]
    parameter: dict[str, Any] = {"Type": _CFN_TYPES[param_type], "Description": prop.description}
    if prop.default is not None:
        parameter["Default"] = prop.default
    for constraint in prop.constraints:
        if isinstance(constraint, Length):
            parameter.update(_bounds(constraint, "MinLength", "MaxLength"))
        elif isinstance(constraint, Range):
            parameter.update(_bounds(constraint, "MinValue", "MaxValue"))
        elif isinstance(constraint, AllowedValues):
            parameter["AllowedValues"] = list(constraint.allowed)
        elif isinstance(constraint, AllowedPattern):
            parameter["AllowedPattern"] = constraint.pattern
    if prop.type == "boolean":
        parameter["AllowedValues"] = ["True", "true", "False", "false"]
    return parameter


def _bounds(constraint: Range, low: str, high: str) -> dict[str, Any]:
    return {key: bound for key, bound in ((low, constraint.min), (high, constraint.max)) if bound is not None}


# -- template versions and functions --------------------------------------------------------------

@blueprint.route("/template_versions", methods=["GET"])
@blueprint.response(200, TemplateVersionList)
def list_template_versions():
    """List the template versions the service accepts, with their aliases."""
    return jsonify({"template_versions": [
        {"version": _version_name(version.date), "type": "hot",
         "aliases": [_version_name(alias) for alias in version.aliases]}
        for version in versions.ALL_VERSIONS]})


def _version_name(date_or_alias: str) -> str:
    return f"{versions.VERSION_KEY}.{date_or_alias}"


@blueprint.route("/template_versions/<template_version>/functions", methods=["GET"])
@blueprint.arguments(TemplateFunctionArgs, location="query")
@blueprint.response(200, TemplateFunctionList)
def list_template_functions(args: dict[str, Any], template_version: str):
    """List the functions of a template version (``with_condition_func=true`` adds the condition functions)."""
    version = _version_named(template_version)
    table = dict(version.functions)
    if args["with_condition_func"]:
        table.update(version.condition_functions)
    return jsonify({"template_functions": [{"functions": name, "description": function_summary(function)}
                                           for name, function in table.items()]})


def _version_named(name: str) -> HotVersion:
    prefix, _, date = name.partition(".")
    version = versions.by_name(date) if prefix == versions.VERSION_KEY else None
    if version is None:
        raise NotFound(f"Template with version {name} not found", "NotFound")
    return version


def function_summary(function: type) -> str:
    """The first line of a function class's docstring, without reStructuredText's literal quotes."""
    lines = (inspect.getdoc(function) or "").splitlines()
    return lines[0].replace("``", "") if lines else ""


# -- build information ----------------------------------------------------------------------------

@blueprint.route("/build_info", methods=["GET"])
@blueprint.response(200, BuildInfo)
def build_info():
    """The version of the API and of the engine (one package: the same revision)."""
    try:
        revision = package_version("orchestrator")
    except PackageNotFoundError:
        revision = "unknown"
    return jsonify({"api": {"revision": revision}, "engine": {"revision": revision}})
