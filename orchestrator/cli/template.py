"""``orchestrator template …``: check templates on the user's machine, no service needed."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, replace

import click

from orchestrator.template.errors import Problem, TemplateError, format_path, in_document_order
from orchestrator.template.files import gather, url_to_path
from orchestrator.template.validation import Report, Validator

from .catalog import resource_catalog


@click.group()
def template() -> None:
    """Work with HOT templates."""


@template.command("validate")
@click.argument("template_file", type=click.Path(dir_okay=False))
@click.option("-e", "--environment", "environments", multiple=True, type=click.Path(dir_okay=False),
              help="An environment file; repeat to merge several, in order.")
@click.option("--parameter", "-P", "parameters", multiple=True, metavar="KEY=VALUE",
              help="A parameter value; repeat for several.")
@click.option("--allow-unknown-types", is_flag=True,
              help="Accept resource types no plugin provides (reported as warnings, deferred).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_obj
def validate(settings, template_file: str, environments: tuple[str, ...], parameters: tuple[str, ...],
             allow_unknown_types: bool, output_format: str) -> None:
    """Validate TEMPLATE_FILE and print its plan, or every problem as file:line:col: message.

    Like the openstack CLI, files named by get_file, child templates and
    templates mapped in an environment's registry are read relative to the
    file that names them.
    """
    values = _parse_parameters(parameters)
    limits = settings.template_limits()
    try:
        # One level beyond the limit is read, so that the validator reports the depth it exceeds.
        bundle = gather(template_file, environments, limits,
                        max_depth=settings.limits.max_nested_stack_depth + 1)
    except TemplateError as exc:
        report = Report(problems=exc.problems)
    else:
        validator = Validator(catalog=resource_catalog(settings), allow_unknown_types=allow_unknown_types,
                              limits=limits, max_nested_depth=settings.limits.max_nested_stack_depth,
                              documents=bundle.documents)
        report = validator.validate(bundle.template, files=bundle.files, parameters=values,
                                    environment_files=bundle.environment_files)
        # A file that could not be read is reported once, where it is named,
        # not again by every function that looks it up.
        unreadable = {(p.source, p.path) for p in bundle.problems}
        report.problems[:] = bundle.problems + [p for p in report.problems
                                                if (p.source, p.path) not in unreadable]
    if output_format == "json":
        click.echo(json.dumps(_report_data(template_file, report), indent=2, default=str))
    else:
        _print_report(template_file, report)
    if report.all_problems():
        sys.exit(1)


def _parse_parameters(pairs: tuple[str, ...]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--parameter")
        values[key] = value
    return values


def _print_report(name: str, report: Report) -> None:
    for warning in report.all_warnings():
        click.echo(_line(warning, "warning: "), err=True)
    problems = in_document_order(report.all_problems())
    for problem in problems:
        click.echo(_line(problem), err=True)
    if problems:
        click.echo(f"{name}: {len(problems)} problem{'s' if len(problems) != 1 else ''} found", err=True)
        return
    _print_plan(name, report, "")


def _line(problem: Problem, prefix: str = "") -> str:
    return f"{_shown(problem).location()}: {prefix}{problem.text}"


def _shown(problem: Problem) -> Problem:
    """The problem with its file shown as users named it."""
    return replace(problem, source=_display(problem.source)) if problem.source else problem


def _display(source: str) -> str:
    """A local file URL as a path relative to the working directory (absolute if far away)."""
    path = url_to_path(source)
    if path is None:
        return source
    relative = os.path.relpath(path)
    return path if relative.startswith("../../") else relative


def _print_plan(name: str, report: Report, indent: str) -> None:
    definition = report.definition
    plan = definition.plan()
    click.echo(f"{indent}{name}: valid HOT {definition.template.version.date} template")
    if plan.parameters:
        click.echo(f"{indent}Parameters:")
        width = max(len(p["name"]) for p in plan.parameters)
        for parameter in plan.parameters:
            value = parameter["value"]
            if parameter["name"] in report.unset_parameters:
                value = "(required; no value given)"
            elif not isinstance(value, str):
                value = json.dumps(value)
            click.echo(f"{indent}  {parameter['name']:<{width}}  {parameter['type']:<20}  = {value}")
    click.echo(f"{indent}Resources, in dependency order ({len(plan.resources)}):")
    if plan.resources:
        types = [_type_shown(resource) for resource in plan.resources]
        width = max(len(r["name"]) for r in plan.resources)
        type_width = max(len(shown) for shown in types)
        for resource, shown in zip(plan.resources, types):
            after = f"  after {', '.join(resource['requires'])}" if resource["requires"] else ""
            click.echo(f"{indent}  {resource['name']:<{width}}  {shown:<{type_width}}{after}".rstrip())
    if plan.outputs:
        click.echo(f"{indent}Outputs:")
        for output in plan.outputs:
            note = "" if output["enabled"] else " (disabled by its condition)"
            description = f"  {output['description']}" if output["description"] else ""
            click.echo(f"{indent}  {output['name']}{description}{note}")
    for key, child in report.children.items():
        resource = key.rsplit("#", 1)[1]
        if child.definition is not None:
            _print_plan(f"{_display(child.definition.template.name)} (nested stack of {resource})", child,
                        indent + "  ")


def _type_shown(resource: dict) -> str:
    """``type``, or ``type -> what implements it`` (a type, or a template shown as users named it)."""
    written = resource["type"]
    if resource["template"]:
        shown = _display(resource["template"])
        return shown if written == resource["template"] else f"{written} -> {shown}"
    resolved = resource["resolved_type"]
    return written if written == resolved else f"{written} -> {resolved}"


def _report_data(name: str, report: Report) -> dict:
    def problem_data(problem: Problem) -> dict:
        data = asdict(problem)
        data["path"] = format_path(problem.path)
        return data

    data = {
        "template": name,
        "valid": not report.all_problems(),
        "problems": [problem_data(p) for p in report.all_problems()],
        "warnings": [problem_data(p) for p in report.all_warnings()],
    }
    if report.definition is not None and data["valid"]:
        plan = report.definition.plan()
        data.update(version=report.definition.template.version.date, parameters=plan.parameters,
                    resources=plan.resources, outputs=plan.outputs)
    return data
