"""Validating a template with its environments, files map and provider (child) templates.

Pinned down here: ``Validator.validate`` walks into every provider template
(by file name or through the registry) and reports problems where they are
(in the child file, or at the parent resource for Unknown Property /
Property not assigned), limits the nesting depth as Heat does, validates
values known only at run time with placeholders, does not require values
for required parameters (Heat's validate call), and applies
``environment_files`` and request ``parameters`` as Heat's API does.  Then
``files.gather``: reading a template tree from disk the way the openstack
client does, rewriting references to ``file://`` URLs.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from orchestrator.template.errors import TemplateError
from orchestrator.template.files import gather, path_to_url, url_to_path
from orchestrator.template.template import Template
from orchestrator.template.validation import Report, Validator
from resources.registry import PluginRegistry


def dedent(text: str) -> str:
    return textwrap.dedent(text)


def located(problems) -> list[tuple]:
    return [(p.message, p.path, p.source, p.line, p.column) for p in problems]


PARENT = dedent("""\
    heat_template_version: 2016-10-14
    parameters:
      size: {type: number}
      label: {type: string, default: web}
    resources:
      net: {type: OS::X}
      kid:
        type: child.yaml
        properties:
          size: {get_param: size}
          net: {get_resource: net}
          label: {get_param: label}
    """)

CHILD = dedent("""\
    heat_template_version: 2016-10-14
    parameters:
      size: {type: number, constraints: [{range: {min: 1}}]}
      net: {type: string}
      label: {type: string}
    resources:
      server:
        type: OS::Y
        properties:
          size: {get_param: size}
          net: {get_param: net}
    outputs:
      name: {value: {get_param: label}}
    """)


def validate(parent=PARENT, files=None, **request) -> Report:
    return Validator().validate(parent, files={"child.yaml": CHILD} if files is None else files, **request)


# -- provider templates through the files map ----------------------------------------------------

def test_a_valid_parent_and_child():
    report = validate(parameters={"size": 3})
    assert report.ok and report.all_problems() == []
    assert list(report.children) == ["<template>#kid"]
    child = report.children["<template>#kid"]
    # The child's parameters are the parent's resolved properties; a resource reference is known only at run time.
    assert child.definition.parameters["size"] == 3 and child.definition.parameters["label"] == "web"
    assert child.unset_parameters == {"net"}
    assert child.definition.parameters["OS::stack_name"] == "stack-kid"
    assert child.definition.output("name") == ("web", None)


def test_required_parameters_without_values_are_not_errors_at_the_top():
    report = validate()
    assert report.ok, located(report.all_problems())
    assert report.unset_parameters == {"size"}


def test_a_placeholder_does_not_reach_the_child_as_a_value():
    """Regression: the parent's placeholder for an unset parameter (0) failed the child's range constraint."""
    report = validate()
    child = report.children["<template>#kid"]
    assert child.ok and child.unset_parameters == {"size", "net"}


def test_given_values_are_checked_in_the_child_and_reported_there():
    report = validate(parameters={"size": 0})
    assert not report.ok and report.problems == []
    assert located(report.all_problems()) == [
        ("Parameter 'size' is invalid: 0 is out of range (min: 1, max: None)", ("parameters", "size"), "child.yaml",
         3, 3)]


def test_child_problems_point_into_the_child_file():
    files = {"child.yaml": CHILD.replace("net: {get_param: net}", "net: {get_param: nope}")}
    report = validate(files=files)
    assert report.problems == []
    assert located(report.children["<template>#kid"].problems) == [
        ("The Parameter (nope) was not provided: the template declares no parameter 'nope'",
         ("resources", "server", "properties", "net", "get_param"), "child.yaml", 11, 13)]


def test_a_child_that_does_not_parse_is_reported_in_the_child():
    report = validate(files={"child.yaml": "heat_template_version: 2016-10-14\nresources: [\n"})
    [problem] = report.all_problems()
    assert (problem.source, problem.line, problem.column) == ("child.yaml", 3, 1)


def test_a_child_missing_from_the_files_map_is_reported_at_the_parent():
    report = validate(files={})
    assert located(report.problems) == [
        ('Could not fetch remote template "child.yaml": it is not in the files map (a client sends the templates '
         'a stack uses in "files")', ("resources", "kid", "type"), "<template>", 8, 5)]


def test_unknown_and_unassigned_properties_are_reported_at_the_parent_resource():
    parent = PARENT.replace("label: {get_param: label}", "colour: blue")
    report = validate(parent)
    assert located(report.all_problems()) == [
        ("Unknown Property colour: the template child.yaml has no parameter of that name",
         ("resources", "kid", "properties", "colour"), "<template>", 12, 7),
        ("Property label not assigned", ("resources", "kid", "properties"), "<template>", 9, 5),
    ]


def test_properties_that_come_whole_from_a_resource_are_checked_when_it_exists():
    parent = dedent("""\
        heat_template_version: 2016-10-14
        resources:
          source: {type: OS::X}
          kid: {type: child.yaml, properties: {get_attr: [source, props]}}
        """)
    report = validate(parent)
    assert report.ok and report.children["<template>#kid"].problems == []


def test_provider_templates_through_the_registry():
    parent = PARENT.replace("type: child.yaml", "type: My::Kid")
    report = validate(parent, environment={"resource_registry": {"My::Kid": "child.yaml"}})
    assert report.ok and list(report.children) == ["<template>#kid"]
    assert report.definition.resources["kid"].template == "child.yaml"


def test_grandchildren_are_validated_with_their_own_placeholders():
    middle = dedent("""\
        heat_template_version: 2016-10-14
        parameters:
          size: {type: number}
        resources:
          net: {type: OS::X}
          inner: {type: child.yaml, properties: {size: {get_param: size}, net: {get_resource: net}, label: x}}
        """)
    parent = "heat_template_version: 2016-10-14\nresources:\n  outer: {type: middle.yaml, properties: {size: 7}}\n"
    report = Validator().validate(parent, files={"middle.yaml": middle, "child.yaml": CHILD})
    assert report.ok
    grandchild = report.children["<template>#outer"].children["middle.yaml#inner"]
    assert grandchild.definition.parameters["size"] == 7 and grandchild.unset_parameters == {"net"}
    assert grandchild.definition.parameters["OS::stack_name"] == "stack-outer-inner"


# -- nesting depth ---------------------------------------------------------------------------------

def chain(levels: int) -> dict[str, str]:
    """level0.yaml uses level1.yaml ... up to level<levels>.yaml, which has no child."""
    files = {}
    for level in range(levels):
        files[f"level{level}.yaml"] = (f"heat_template_version: 2016-10-14\nresources:\n"
                                       f"  next: {{type: level{level + 1}.yaml}}\n")
    files[f"level{levels}.yaml"] = "heat_template_version: 2016-10-14\nresources: {}\n"
    return files


def deepest(report: Report) -> tuple[int, Report]:
    depth = 0
    while report.children:
        [report] = report.children.values()
        depth += 1
    return depth, report


@pytest.mark.parametrize("version, length", [
    pytest.param("2013-05-23", "{Ref: size}", id="Ref"),
    pytest.param("2016-10-14", "{get_param: [{get_param: which}]}", id="computed get_param name"),
])
def test_a_property_reading_an_unset_parameter_is_not_checked_with_its_placeholder(version, length):
    text = dedent(f"""\
        heat_template_version: {version}
        parameters:
          which: {{type: string, default: size}}
          size: {{type: number}}
        resources:
          secret:
            type: OS::Heat::RandomString
            properties: {{length: {length}}}
        """)
    report = Validator(catalog=PluginRegistry.discover()).validate(text)
    assert report.all_problems() == [] and report.unset_parameters == {"size"}


@pytest.mark.parametrize("limit, nested, refused", [
    (1, 1, False), (1, 2, True), (2, 2, False), (2, 3, True), (5, 5, False), (5, 6, True),
])
def test_nesting_depth_limit_counts_nested_stacks_as_heat_does(limit, nested, refused):
    """As in Heat, the top stack is depth 0 and ``limit`` levels of nested stacks are allowed."""
    files = chain(nested)
    report = Validator(max_nested_depth=limit).validate(files["level0.yaml"], files=files)
    assert report.ok is not refused
    depth, last = deepest(report)
    if refused:
        assert depth == limit + 1
        assert located(last.problems) == [(f"Recursion depth exceeds {limit}.", ("resources", "next", "type"),
                                           f"level{limit}.yaml", 3, 10)]
    else:
        assert depth == nested and last.definition is not None


def test_a_template_that_uses_itself_stops_at_the_depth_limit():
    recursive = "heat_template_version: 2016-10-14\nresources:\n  again: {type: self.yaml}\n"
    report = Validator().validate(recursive, files={"self.yaml": recursive})
    depth, last = deepest(report)
    assert depth == 6 and last.problems[0].message == "Recursion depth exceeds 5."


# -- request parameters and environment files ---------------------------------------------------------

ENV_PARENT = dedent("""\
    heat_template_version: 2016-10-14
    parameters:
      size: {type: number}
      flavor: {type: string, default: small}
    resources:
      kid: {type: My::Kid, properties: {size: {get_param: size}, net: n, label: {get_param: flavor}}}
    """)


@pytest.mark.parametrize("request_fields, size, flavor", [
    ({"parameters": {"size": 2}}, 2, "small"),
    ({"environment": {"parameters": {"size": 2, "flavor": "big"}, "resource_registry": {"My::Kid": "child.yaml"}},
      "parameters": {"size": 4}}, 4, "big"),
    ({"environment_files": ["env.yaml"]}, 5, "small"),
    ({"environment_files": ["env.yaml"], "parameters": {"size": 2, "flavor": "tiny"}}, 5, "tiny"),
    ({"environment_files": ["env.yaml", "more.yaml"]}, 6, "large"),
    # With environment files, the inline environment is ignored, as in Heat's API.
    ({"environment_files": ["env.yaml"], "environment": {"parameters": {"flavor": "ignored"}}}, 5, "small"),
])
def test_request_parameters_and_environment_files(request_fields, size, flavor):
    files = {"child.yaml": CHILD,
             "env.yaml": "parameters:\n  size: 5\nresource_registry:\n  My::Kid: child.yaml\n",
             "more.yaml": "parameter_defaults:\n  flavor: large\nparameters:\n  size: 6\n"}
    if "environment_files" not in request_fields and "environment" not in request_fields:
        request_fields = {**request_fields, "environment": {"resource_registry": {"My::Kid": "child.yaml"}}}
    report = Validator().validate(ENV_PARENT, files=files, **request_fields)
    assert report.ok, located(report.all_problems())
    assert (report.definition.parameters["size"], report.definition.parameters["flavor"]) == (size, flavor)
    assert report.children["<template>#kid"].definition.parameters["label"] == flavor


def test_environment_file_missing_from_the_files_map():
    report = Validator().validate(ENV_PARENT, files={}, environment_files=["env.yaml", "gone.yaml"])
    assert located(report.problems) == [
        ("environment file 'env.yaml' is not in the files map", ("environment_files", 0), "<request>", None, None),
        ("environment file 'gone.yaml' is not in the files map", ("environment_files", 1), "<request>", None, None),
    ]


def test_problems_in_an_environment_file_point_into_it():
    files = {"env.yaml": "parameters:\n  size: 5\nresource_registry:\n  My::Kid: [child.yaml]\n"}
    report = Validator().validate(ENV_PARENT, files=files, environment_files=["env.yaml"])
    [problem] = report.problems
    assert (problem.path, problem.source, problem.line, problem.column) == (
        ("resource_registry", "My::Kid"), "env.yaml", 4, 3)


def test_request_values_are_checked():
    report = Validator().validate(ENV_PARENT, files={"child.yaml": CHILD},
                                  parameters={"size": "many", "bogus": 1},
                                  environment={"resource_registry": {"My::Kid": "child.yaml"}})
    found = sorted(located(report.problems), key=lambda problem: problem[1])
    assert [(path, source) for _, path, source, _, _ in found] == [
        (("parameters", "bogus"), "<template>"), (("parameters", "size"), "<template>")]
    assert found[0][0] == "The Parameter (bogus) was not defined in template."
    assert found[1][0].startswith("Parameter 'size' is invalid")


def test_a_template_that_does_not_parse_is_a_report_not_an_exception():
    report = Validator().validate("heat_template_version: 2016-10-14\nresources: {a: [}\n")
    assert not report.ok and report.definition is None
    assert (report.problems[0].line, report.problems[0].column) == (2, 17)


# -- gathering files from disk -------------------------------------------------------------------------

TOP = """\
heat_template_version: 2016-10-14
resources:
  app:
    type: nested/child.yaml
    properties:
      script: {get_file: scripts/boot.sh}
  group:
    type: OS::Heat::ResourceGroup
    properties:
      resource_def:
        type: nested/member.yaml
  mapped:
    type: My::Thing
  missing_child:
    type: nowhere.yaml
  missing_file:
    type: OS::X
    properties:
      data: {get_file: nofile.txt}
  remote:
    type: OS::X
    properties:
      data: {get_file: "http://example.com/x.txt"}
"""

CHILD_ON_DISK = """\
heat_template_version: 2016-10-14
resources:
  grand:
    type: deeper/grand.yaml
  user:
    type: OS::X
    properties:
      script: {get_file: ../scripts/boot.sh}
"""

GRAND = """\
heat_template_version: 2016-10-14
resources:
  leaf:
    type: OS::X
    properties:
      data: {get_file: data.txt}
      bad: {get_param: nope}
"""

ENV = """\
resource_registry:
  My::Thing: providers/thing.yaml
  My::Missing: providers/missing.yaml
  My::Alias: OS::Nova::Server
  resources:
    mapped:
      My::Thing: providers/thing.yaml
"""


@pytest.fixture
def tree(tmp_path):
    """A template tree on disk: nested children, get_file targets, an environment with provider templates."""
    files = {
        "top.yaml": TOP,
        "scripts/boot.sh": "echo boot\n",
        "nested/child.yaml": CHILD_ON_DISK,
        "nested/member.yaml": "heat_template_version: 2016-10-14\nresources: {}\n",
        "nested/deeper/grand.yaml": GRAND,
        "nested/deeper/data.txt": "data\n",
        "envs/env.yaml": ENV,
        "envs/providers/thing.yaml": "heat_template_version: 2016-10-14\nresources: {}\n",
    }
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return tmp_path


def url(root, name: str) -> str:
    return path_to_url(str(root / name))


def test_gather_reads_every_file_the_template_tree_uses(tree):
    bundle = gather(str(tree / "top.yaml"), [str(tree / "envs/env.yaml")])
    assert sorted(bundle.files) == sorted(url(tree, name) for name in [
        "envs/env.yaml", "envs/providers/thing.yaml", "scripts/boot.sh", "nested/child.yaml",
        "nested/deeper/data.txt", "nested/deeper/grand.yaml", "nested/member.yaml"])
    assert bundle.files[url(tree, "scripts/boot.sh")] == "echo boot\n"
    assert bundle.environment_files == [url(tree, "envs/env.yaml")]
    assert sorted(bundle.documents) == sorted(url(tree, name) for name in [
        "envs/env.yaml", "envs/providers/thing.yaml", "nested/child.yaml", "nested/deeper/grand.yaml",
        "nested/member.yaml"])


def test_gather_rewrites_references_to_file_urls(tree):
    bundle = gather(str(tree / "top.yaml"), [str(tree / "envs/env.yaml")])
    resources = bundle.template.data["resources"]
    assert resources["app"]["type"] == url(tree, "nested/child.yaml")
    assert resources["app"]["properties"]["script"] == {"get_file": url(tree, "scripts/boot.sh")}
    assert resources["group"]["properties"]["resource_def"]["type"] == url(tree, "nested/member.yaml")
    assert resources["mapped"]["type"] == "My::Thing"  # a type name, not a file
    assert resources["remote"]["properties"]["data"] == {"get_file": "http://example.com/x.txt"}
    # Children are sent as JSON text with their own references rewritten relative to themselves.
    child = json.loads(bundle.files[url(tree, "nested/child.yaml")])
    assert child["resources"]["grand"]["type"] == url(tree, "nested/deeper/grand.yaml")
    assert child["resources"]["user"]["properties"]["script"] == {"get_file": url(tree, "scripts/boot.sh")}
    grand = json.loads(bundle.files[url(tree, "nested/deeper/grand.yaml")])
    assert grand["resources"]["leaf"]["properties"]["data"] == {"get_file": url(tree, "nested/deeper/data.txt")}


def test_gather_maps_registry_templates_relative_to_the_environment_file(tree):
    bundle = gather(str(tree / "top.yaml"), [str(tree / "envs/env.yaml")])
    registry = json.loads(bundle.files[url(tree, "envs/env.yaml")])["resource_registry"]
    assert registry["My::Thing"] == url(tree, "envs/providers/thing.yaml")
    assert registry["resources"]["mapped"]["My::Thing"] == url(tree, "envs/providers/thing.yaml")
    assert registry["My::Alias"] == "OS::Nova::Server"


def test_gather_reports_every_missing_file_where_it_is_named(tree):
    bundle = gather(str(tree / "top.yaml"), [str(tree / "envs/env.yaml"), str(tree / "envs/none.yaml")])
    assert located(bundle.problems) == [
        (f"Could not fetch contents for {url(tree, 'nofile.txt')}: No such file or directory",
         ("resources", "missing_file", "properties", "data", "get_file"), url(tree, "top.yaml"), 19, 14),
        (f"Could not fetch contents for {url(tree, 'nowhere.yaml')}: No such file or directory",
         ("resources", "missing_child", "type"), url(tree, "top.yaml"), 15, 5),
        (f"Could not fetch contents for {url(tree, 'envs/providers/missing.yaml')}: No such file or directory",
         ("resource_registry", "My::Missing"), url(tree, "envs/env.yaml"), 3, 3),
        (f"Could not fetch contents for {url(tree, 'envs/none.yaml')}: No such file or directory",
         (), url(tree, "envs/none.yaml"), None, None),
    ]


def test_gather_reports_children_that_do_not_parse_and_files_too_big(tree):
    (tree / "nested/member.yaml").write_text("heat_template_version: 2016-10-14\nresources: [\n")
    (tree / "scripts/boot.sh").write_text("x" * (512 * 1024 + 1))
    bundle = gather(str(tree / "top.yaml"))
    found = {(p.source, p.line) for p in bundle.problems}
    assert (url(tree, "nested/member.yaml"), 3) in found
    # Reported at each reference: top.yaml and nested/child.yaml both use the script.
    by_source = {p.source: p for p in bundle.problems if "bytes" in p.message}
    assert sorted(by_source) == sorted([url(tree, "top.yaml"), url(tree, "nested/child.yaml")])
    too_big = by_source[url(tree, "top.yaml")]
    assert by_source[url(tree, "nested/child.yaml")].message == too_big.message
    assert too_big.message == (f"{url(tree, 'scripts/boot.sh')} is 524289 bytes, more than the 524288 bytes a "
                               "file of a stack may have")
    assert (too_big.source, too_big.line, too_big.column) == (url(tree, "top.yaml"), 6, 16)


def test_gather_refuses_a_template_it_cannot_read(tree):
    with pytest.raises(TemplateError) as caught:
        gather(str(tree / "absent.yaml"))
    assert located(caught.value.problems) == [
        (f"Could not fetch contents for {url(tree, 'absent.yaml')}: No such file or directory", (),
         url(tree, "absent.yaml"), None, None)]


def test_file_urls_round_trip(tmp_path):
    path = tmp_path / "a dir" / "t.yaml"
    assert path_to_url(str(path)).startswith("file://") and "%20" in path_to_url(str(path))
    assert url_to_path(path_to_url(str(path))) == str(path)
    assert url_to_path("https://example.com/t.yaml") is None


def test_gathered_bundle_validates_with_child_problems_on_the_childs_own_lines(tree):
    (tree / "top.yaml").write_text("heat_template_version: 2016-10-14\nresources:\n"
                                   "  app: {type: nested/child.yaml}\n  mapped: {type: My::Thing}\n")
    (tree / "envs/env.yaml").write_text(ENV.replace("  My::Missing: providers/missing.yaml\n", ""))
    bundle = gather(str(tree / "top.yaml"), [str(tree / "envs/env.yaml")])
    assert bundle.problems == []
    report = Validator(documents=bundle.documents).validate(
        Template.parse(bundle.template), files=bundle.files, environment_files=bundle.environment_files)
    assert located(report.all_problems()) == [
        ("The Parameter (nope) was not provided: the template declares no parameter 'nope'",
         ("resources", "leaf", "properties", "bad", "get_param"), url(tree, "nested/deeper/grand.yaml"), 7, 13)]
