"""What a stack is made of: its template, environment, files and outputs; export and abandon.

All under the canonical ``/stacks/<name>/<id>`` URL (by-name URLs redirect
there, see ``lookup``), in the caller's project.

Hidden parameters: the environment shows them as ``******``, as stack show
does.  Export and abandon do not mask them, as in Heat: their data is what
``adopt_stack_data`` takes back to rebuild the stack, and an adopted stack
whose hidden parameters read ``******`` would pass that text to its
resources.  Both need the same token as every other call on the stack.
"""

from __future__ import annotations

from typing import Any, Mapping

from flask import jsonify

from orchestrator.template.errors import TemplateError
from orchestrator.template.loader import load
from orchestrator.template.parameters import HIDDEN_TEXT

from . import lookup, queries
from .app import ProjectBlueprint, services
from .faults import NotFound
from .formats import output
from .schemas import OutputList, OutputShown, StackData
from .stacks import CANONICAL

blueprint = ProjectBlueprint("stack_data", __name__,
                             description="A stack's template, environment, files and outputs; export and abandon.")


@blueprint.route(CANONICAL + "/template", methods=["GET"])
@blueprint.response(200, description="The template as the stack was given it (YAML arrives here as JSON).")
def get_template(stack_name: str, stack_id: str):
    """The stack's template."""
    row = lookup.stack_row(stack_name, stack_id)
    with services().engine.context.database.reading() as connection:
        template, _, _ = queries.stored_template(connection, row.template_id)
    return jsonify(template)


@blueprint.route(CANONICAL + "/environment", methods=["GET"])
@blueprint.response(200, description="parameters, parameter_defaults, resource_registry, event_sinks, ...")
def get_environment(stack_name: str, stack_id: str):
    """The stack's environment with its parameter values; hidden parameters read ``******``."""
    row = lookup.stack_row(stack_name, stack_id)
    with services().engine.context.database.reading() as connection:
        template, environment, files = queries.stored_template(connection, row.template_id)
    # parameter_defaults reach nested templates too, so their hidden parameters count as well (as in Heat)
    hidden = hidden_parameters(template, files)
    shown = dict(environment)
    shown["parameters"] = masked(row.parameters or {}, hidden)
    shown["parameter_defaults"] = masked(environment.get("parameter_defaults") or {}, hidden)
    return jsonify(shown)


@blueprint.route(CANONICAL + "/files", methods=["GET"])
@blueprint.response(200, description="file name or URL -> content")
def get_files(stack_name: str, stack_id: str):
    """The files map the stack was given (scripts, child templates, environment files)."""
    row = lookup.stack_row(stack_name, stack_id)
    with services().engine.context.database.reading() as connection:
        _, _, files = queries.stored_template(connection, row.template_id)
    return jsonify(files)


@blueprint.route(CANONICAL + "/outputs", methods=["GET"])
@blueprint.response(200, OutputList)
def list_outputs(stack_name: str, stack_id: str):
    """The stack's outputs, names and descriptions only (nothing is resolved)."""
    lookup.stack_row(stack_name, stack_id)
    definition = services().engine.view(stack_id).definition()
    return jsonify({"outputs": [output(name, snippet.description, with_value=False)
                                for name, snippet in definition.outputs.items()]})


@blueprint.route(CANONICAL + "/outputs/<output_key>", methods=["GET"])
@blueprint.response(200, OutputShown)
def show_output(stack_name: str, stack_id: str, output_key: str):
    """One output, resolved; ``output_error`` only when it could not be."""
    lookup.stack_row(stack_name, stack_id)
    view = services().engine.view(stack_id)
    definition = view.definition()
    if output_key not in definition.outputs:
        raise NotFound(f"Specified output key {output_key} not found.", "NotFound")
    value, error = definition.output(output_key, view)
    return jsonify({"output": output(output_key, definition.outputs[output_key].description, value, error)})


@blueprint.route(CANONICAL + "/export", methods=["GET"])
@blueprint.response(200, StackData)
def export_stack(stack_name: str, stack_id: str):
    """The stack's data in Heat's abandon format, without abandoning it."""
    lookup.stack_row(stack_name, stack_id)
    return jsonify(services().engine.export_stack(stack_id))


@blueprint.route(CANONICAL + "/abandon", methods=["DELETE"])
@blueprint.response(200, StackData)
def abandon_stack(stack_name: str, stack_id: str):
    """Forget the stack, leaving its cloud objects alone; its data, for a later adopt."""
    lookup.stack_row(stack_name, stack_id)
    return jsonify(services().engine.abandon_stack(stack_id))


# -- hidden parameters ------------------------------------------------------------------------

def hidden_parameters(template: Any, files: Mapping[str, Any] = {}) -> set[str]:
    """Names of the hidden parameters of a template and of the templates among its files."""
    names = _hidden_in(template)
    limits = services().settings.template_limits()
    for text in files.values():
        if not isinstance(text, str) or "parameters" not in text:
            continue  # scripts and the like; a template without parameters hides nothing
        try:
            names |= _hidden_in(load(text, "file", limits).data)
        except TemplateError:
            continue
    return names


def _hidden_in(template: Any) -> set[str]:
    parameters = template.get("parameters") if isinstance(template, dict) else None
    if not isinstance(parameters, dict):
        return set()
    return {name for name, schema in parameters.items() if isinstance(schema, dict) and schema.get("hidden") is True}


def masked(values: Mapping[str, Any], hidden: set[str]) -> dict[str, Any]:
    """``values`` with the hidden ones replaced by ``******``."""
    return {name: HIDDEN_TEXT if name in hidden else value for name, value in values.items()}
