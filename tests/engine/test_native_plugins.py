"""Heat's data resources on a real engine: RandomString, Value and the software configs.

Each test creates a real stack and reads what a user would: resource data,
``get_resource``, attributes through outputs, and the reasons of failures.
Request-time validation is checked where Heat checks it: before anything is
stored.
"""

from __future__ import annotations

import email
import json
import string
from typing import Any, Callable

import pytest
import yaml

from orchestrator.template.errors import TemplateError

HOT = "2018-08-31"


def stack_of(resources: dict, outputs: dict | None = None) -> dict:
    return {"heat_template_version": HOT, "resources": resources, "outputs": outputs or {}}


def create_ok(harness, template: dict, **fields: Any) -> str:
    stack_id = harness.create(template, **fields)
    row = harness.stack(stack_id)
    assert (row.action, row.status) == ("CREATE", "COMPLETE"), row.status_reason
    return stack_id


# -- OS::Heat::RandomString -------------------------------------------------------------

LETTERS_DIGITS = set(string.ascii_letters + string.digits)


def count_in(chars: str) -> Callable[[str], int]:
    return lambda value: sum(1 for c in value if c in chars)


#: properties -> (expected length, allowed characters, [(counter, at least)])
RANDOM_CASES = {
    "defaults": ({}, 32, LETTERS_DIGITS, []),
    "length only": ({"length": 7}, 7, LETTERS_DIGITS, []),
    "one class": ({"length": 40, "character_classes": [{"class": "digits"}]}, 40, set(string.digits), []),
    "hexdigits are upper case": ({"length": 64, "character_classes": [{"class": "hexdigits"}]}, 64,
                                 set("0123456789ABCDEF"), []),
    "class minimums": ({"length": 12, "character_classes": [{"class": "lowercase", "min": 5},
                                                            {"class": "uppercase", "min": 6}]},
                       12, set(string.ascii_letters),
                       [(count_in(string.ascii_lowercase), 5), (count_in(string.ascii_uppercase), 6)]),
    "a sequence only": ({"length": 9, "character_sequences": [{"sequence": "xy", "min": 2}]}, 9, set("xy"),
                        [(count_in("xy"), 9)]),
    "classes and sequences": ({"length": 20, "character_classes": [{"class": "octdigits", "min": 4}],
                               "character_sequences": [{"sequence": "#!", "min": 3}]},
                              20, set(string.octdigits + "#!"),
                              [(count_in("#!"), 3), (count_in(string.octdigits), 4)]),
    "minimums fill the length": ({"length": 5, "character_classes": [{"class": "letters", "min": 2}],
                                  "character_sequences": [{"sequence": "_", "min": 3}]},
                                 5, set(string.ascii_letters + "_"), [(count_in("_"), 3)]),
    "deprecated sequence": ({"length": 10, "sequence": "octdigits"}, 10, set(string.octdigits), []),
}


@pytest.mark.parametrize("properties, length, allowed, minimums", RANDOM_CASES.values(), ids=RANDOM_CASES.keys())
def test_random_string_honours_length_classes_and_minimums(harness, properties, length, allowed, minimums):
    stack_id = create_ok(harness, stack_of({"rs": {"type": "OS::Heat::RandomString", "properties": properties}},
                                           {"value": {"value": {"get_attr": ["rs", "value"]}},
                                            "ref": {"value": {"get_resource": "rs"}}}))
    value = harness.outputs(stack_id)["value"]
    assert isinstance(value, str) and len(value) == length
    assert set(value) <= allowed, set(value) - allowed
    for counter, least in minimums:
        assert counter(value) >= least, value
    assert harness.outputs(stack_id)["ref"] == value, "get_resource gives the string itself"
    assert harness.resources(stack_id)["rs"].data["value"] == value


def test_random_strings_differ_and_dependants_read_them(harness):
    stack_id = create_ok(harness, stack_of({
        "one": {"type": "OS::Heat::RandomString"},
        "two": {"type": "OS::Heat::RandomString"},
        "user": {"type": "OS::Heat::TestResource", "properties": {"value": {"get_resource": "one"}}},
    }))
    resources = harness.resources(stack_id)
    assert resources["one"].data["value"] != resources["two"].data["value"]
    assert resources["user"].data["value"] == resources["one"].data["value"]
    assert resources["one"].physical_id, "the resource has an id of its own, not the secret"


# -- OS::Heat::Value ---------------------------------------------------------------------

#: (value, type, what the attribute gives)
VALUE_CASES = {
    "untyped map": ({"a": [1, 2]}, None, {"a": [1, 2]}),
    "number from text": ("42", "number", 42),
    "float from text": ("4.5", "number", 4.5),
    "string from number": (7, "string", "7"),
    "list from text": ("a,b,c", "comma_delimited_list", ["a", "b", "c"]),
    "json from text": ('{"k": [1]}', "json", {"k": [1]}),
    "json from map": ({"k": "v"}, "json", {"k": "v"}),
    "boolean from word": ("yes", "boolean", True),
}


@pytest.mark.parametrize("value, value_type, expected", VALUE_CASES.values(), ids=VALUE_CASES.keys())
def test_value_retypes_its_value(harness, value, value_type, expected):
    properties = {"value": value} if value_type is None else {"value": value, "type": value_type}
    stack_id = create_ok(harness, stack_of({"v": {"type": "OS::Heat::Value", "properties": properties}},
                                           {"out": {"value": {"get_attr": ["v", "value"]}}}))
    assert harness.outputs(stack_id)["out"] == expected


def test_value_reads_other_resources(harness):
    stack_id = create_ok(harness, stack_of({
        "source": {"type": "OS::Heat::TestResource", "properties": {"value": "17"}},
        "v": {"type": "OS::Heat::Value",
              "properties": {"type": "number", "value": {"get_attr": ["source", "output"]}}},
    }, {"out": {"value": {"get_attr": ["v", "value"]}}}))
    assert harness.outputs(stack_id)["out"] == 17


def test_a_value_that_does_not_fit_its_type_fails_the_create(harness):
    # The value is only known once "source" exists, so it is checked at create time.
    stack_id = harness.create(stack_of({
        "source": {"type": "OS::Heat::TestResource", "properties": {"value": "many"}},
        "v": {"type": "OS::Heat::Value",
              "properties": {"type": "number", "value": {"get_attr": ["source", "output"]}}},
    }))
    assert harness.resource_states(stack_id) == {"source": "CREATE_COMPLETE", "v": "CREATE_FAILED"}
    assert harness.resources(stack_id)["v"].status_reason == (
        "StackValidationFailed: resources.v: Property error: v.properties.value: "
        "could not convert string to float: 'many'")
    assert harness.stack(stack_id).status_reason.startswith("Resource CREATE failed: StackValidationFailed")


# -- request-time validation ---------------------------------------------------------------

#: (type, properties, the problem reported for resources.r)
INVALID = {
    "length 0": ("OS::Heat::RandomString", {"length": 0},
                 "properties.length: Property error: 0 is out of range (min: 1, max: 512)"),
    "length 513": ("OS::Heat::RandomString", {"length": 513},
                   "properties.length: Property error: 513 is out of range (min: 1, max: 512)"),
    "unknown class": ("OS::Heat::RandomString", {"character_classes": [{"class": "emoji"}]},
                      'properties.character_classes[0].class: Property error: "emoji" is not an allowed value'),
    "class min 0": ("OS::Heat::RandomString", {"character_classes": [{"min": 0}]},
                    "properties.character_classes[0].min: Property error: 0 is out of range (min: 1, max: 512)"),
    "sequence without characters": ("OS::Heat::RandomString", {"character_sequences": [{"min": 2}]},
                                    "properties.character_sequences[0].sequence: Property error: "
                                    "Property sequence not assigned"),
    "minimums over length": ("OS::Heat::RandomString",
                             {"length": 4, "character_classes": [{"class": "digits", "min": 3}],
                              "character_sequences": [{"sequence": "ab", "min": 2}]},
                             "properties.length: Property error: Length property cannot be smaller than "
                             "combined character class and character sequence minimums"),
    "deprecated sequence with classes": ("OS::Heat::RandomString",
                                         {"sequence": "digits", "character_classes": [{"class": "digits"}]},
                                         "properties.sequence: Property error: Cannot use deprecated 'sequence' "
                                         "property along with 'character_sequences' or 'character_classes' "
                                         "properties"),
    "value missing": ("OS::Heat::Value", {"type": "string"},
                      "properties.value: Property error: Property value not assigned"),
    "unknown value type": ("OS::Heat::Value", {"value": 1, "type": "float"},
                           'properties.type: Property error: "float" is not an allowed value'),
    "value not a number": ("OS::Heat::Value", {"value": "abc", "type": "number"},
                           "properties.value: Property error: could not convert string to float: 'abc'"),
    "value not json": ("OS::Heat::Value", {"value": "[1,", "type": "json"},
                       "properties.value: Property error: Value must be valid JSON"),
    "value not boolean": ("OS::Heat::Value", {"value": "maybe", "type": "boolean"},
                          "properties.value: Property error: Unrecognized value 'maybe', acceptable values are"),
    "map is no string": ("OS::Heat::Value", {"value": {"a": 1}, "type": "string"},
                         "properties.value: Property error: Value must be a string; got {'a': 1}"),
    "handle missing": ("OS::Heat::WaitCondition", {"timeout": 10},
                       "properties.handle: Property error: Property handle not assigned"),
    "timeout 0": ("OS::Heat::WaitCondition", {"handle": "h", "timeout": 0},
                  "properties.timeout: Property error: 0 is out of range (min: 1, max: 43200)"),
    "timeout over 12 hours": ("OS::Heat::WaitCondition", {"handle": "h", "timeout": 43201},
                              "properties.timeout: Property error: 43201 is out of range (min: 1, max: 43200)"),
    "count 0": ("OS::Heat::WaitCondition", {"handle": "h", "timeout": 5, "count": 0},
                "properties.count: Property error: 0 is out of range (min: 1, max: None)"),
    "unknown transport": ("OS::Heat::WaitConditionHandle", {"signal_transport": "PIGEON"},
                          'properties.signal_transport: Property error: "PIGEON" is not an allowed value'),
    "unknown input type": ("OS::Heat::SoftwareConfig", {"inputs": [{"name": "a", "type": "Integer"}]},
                           'properties.inputs[0].type: Property error: "Integer" is not an allowed value'),
    "input default of the wrong type": ("OS::Heat::SoftwareConfig",
                                        {"inputs": [{"name": "a", "type": "Number", "default": "abc"}]},
                                        "properties.inputs[0].default: Property error: "
                                        "could not convert string to float: 'abc'"),
    "output without name": ("OS::Heat::SoftwareConfig", {"outputs": [{"type": "String"}]},
                            "properties.outputs[0].name: Property error: Property name not assigned"),
    "cloud_config not a map": ("OS::Heat::CloudConfig", {"cloud_config": ["a"]},
                               "properties.cloud_config: Property error:"),
    "part without config": ("OS::Heat::MultipartMime", {"parts": [{"filename": "a.sh"}]},
                            "properties.parts[0].config: Property error: Property config not assigned"),
    "unknown part type": ("OS::Heat::MultipartMime", {"parts": [{"config": "x", "type": "binary"}]},
                          'properties.parts[0].type: Property error: "binary" is not an allowed value'),
}


@pytest.mark.parametrize("type_name, properties, problem", INVALID.values(), ids=INVALID.keys())
def test_bad_properties_are_refused_before_anything_is_stored(harness, type_name, properties, problem):
    with pytest.raises(TemplateError) as caught:
        harness.engine.create_stack(harness.request(stack_of({"r": {"type": type_name, "properties": properties}}),
                                                    name="refused"))
    assert caught.value.message.startswith(f"resources.r.{problem}"), caught.value.message
    with harness.database.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM stack").scalar() == 0


# -- SoftwareConfig, CloudConfig, MultipartMime -----------------------------------------------

def test_software_config_is_stored_like_heats_config_api(harness):
    stack_id = create_ok(harness, stack_of({"sc": {"type": "OS::Heat::SoftwareConfig", "properties": {
        "group": "script",
        "config": "#!/bin/sh\necho $foo",
        "options": {"debug": True},
        "inputs": [{"name": "foo", "type": "Number", "default": 3, "replace_on_change": True},
                   {"name": "bar", "description": "plain"}],
        "outputs": [{"name": "result"}, {"name": "oops", "error_output": True}],
    }}}, {"config": {"value": {"get_attr": ["sc", "config"]}}, "id": {"value": {"get_resource": "sc"}}}))
    row = harness.resources(stack_id)["sc"]
    stored = row.data["software_config"]
    assert stored["id"] == row.physical_id == harness.outputs(stack_id)["id"]
    assert stored["name"].startswith("stack-sc-")
    assert {key: stored[key] for key in ("group", "config", "options")} == {
        "group": "script", "config": "#!/bin/sh\necho $foo", "options": {"debug": True}}
    assert stored["inputs"] == [{"name": "foo", "type": "Number", "default": 3, "replace_on_change": True},
                                {"name": "bar", "description": "plain", "type": "String"}]
    assert stored["outputs"] == [{"name": "result", "type": "String", "error_output": False},
                                 {"name": "oops", "type": "String", "error_output": True}]
    assert harness.outputs(stack_id)["config"] == "#!/bin/sh\necho $foo"


def test_software_config_defaults_to_the_ungrouped_group(harness):
    stack_id = create_ok(harness, stack_of({"sc": {"type": "OS::Heat::SoftwareConfig"}}))
    stored = harness.resources(stack_id)["sc"].data["software_config"]
    assert (stored["group"], stored["config"], stored["inputs"], stored["outputs"]) == ("Heat::Ungrouped", None, [], [])


def test_cloud_config_is_yaml_behind_the_cloud_config_marker(harness):
    cloud_config = {"packages": ["git", "nginx"], "runcmd": [["echo", "hi"]], "write_files": [
        {"path": "/etc/motd", "content": "hello: world\n"}]}
    stack_id = create_ok(harness, stack_of({"cc": {"type": "OS::Heat::CloudConfig",
                                                   "properties": {"cloud_config": cloud_config}}},
                                           {"config": {"value": {"get_attr": ["cc", "config"]}}}))
    text = harness.outputs(stack_id)["config"]
    head, _, body = text.partition("\n")
    assert head == "#cloud-config"
    assert yaml.safe_load(body) == cloud_config
    assert harness.resources(stack_id)["cc"].data["software_config"]["group"] == "Heat::Ungrouped"


MIME_TEMPLATE = stack_of({
    "script": {"type": "OS::Heat::SoftwareConfig", "properties": {"config": "#!/bin/sh\necho script"}},
    "cloud": {"type": "OS::Heat::CloudConfig", "properties": {"cloud_config": {"packages": ["git"]}}},
    "inner": {"type": "OS::Heat::MultipartMime", "properties": {"parts": [
        {"config": "inner one", "subtype": "x-shellscript"},
        {"config": "inner two", "filename": "two.txt"}]}},
    "outer": {"type": "OS::Heat::MultipartMime", "properties": {"parts": [
        {"config": {"get_resource": "script"}, "filename": "run.sh", "subtype": "x-shellscript"},
        {"config": {"get_resource": "cloud"}, "subtype": "cloud-config"},
        {"config": "just text"},
        {"config": {"get_resource": "inner"}, "type": "multipart"},
        {"config": "0b5e6f3c-1111-4222-8333-944455556666"},
    ]}},
}, {"config": {"value": {"get_attr": ["outer", "config"]}}})


def test_multipart_mime_assembles_referenced_and_inline_configs(harness):
    stack_id = create_ok(harness, MIME_TEMPLATE)
    message = email.message_from_string(harness.outputs(stack_id)["config"])
    assert message.get_content_type() == "multipart/mixed"
    parts = [(part.get_content_type(), part.get_filename(), part.get_payload(decode=True).decode())
             for part in message.get_payload()]
    assert parts == [
        ("text/x-shellscript", "run.sh", "#!/bin/sh\necho script"),
        ("text/cloud-config", None, "#cloud-config\npackages:\n- git\n"),
        ("text/plain", None, "just text"),
        # an inner multipart message is split into its parts; a file name without a
        # subtype gives the subtype (Heat's rule: the name's stem)
        ("text/x-shellscript", None, "inner one"),
        ("text/two", "two.txt", "inner two"),
        # an id that names no config of the stack is taken as text, as Heat does
        ("text/plain", None, "0b5e6f3c-1111-4222-8333-944455556666"),
    ]
    assert harness.resources(stack_id)["outer"].requires == ["cloud", "inner", "script"]


def test_multipart_mime_keeps_non_ascii_text_intact(harness):
    stack_id = create_ok(harness, stack_of({"m": {"type": "OS::Heat::MultipartMime", "properties": {
        "parts": [{"config": "écrit en français ✓"}]}}}, {"config": {"value": {"get_attr": ["m", "config"]}}}))
    part = email.message_from_string(harness.outputs(stack_id)["config"]).get_payload()[0]
    assert part.get_payload(decode=True).decode(part.get_content_charset()) == "écrit en français ✓"


def test_every_native_type_is_registered_with_its_schema(harness):
    plugins = harness.context.plugins
    expected = {
        "OS::Heat::RandomString": {"value"}, "OS::Heat::Value": {"value"},
        "OS::Heat::WaitCondition": {"data"},
        "OS::Heat::WaitConditionHandle": {"token", "endpoint", "curl_cli", "signal"},
        "OS::Heat::UpdateWaitConditionHandle": set(),
        "OS::Heat::SoftwareConfig": {"config"}, "OS::Heat::CloudConfig": {"config"},
        "OS::Heat::MultipartMime": {"config"},
    }
    for type_name, attributes in expected.items():
        assert plugins.attribute_names(type_name) == frozenset(attributes | {"show"}), type_name
    described = {name: prop.describe() for name, prop in plugins.get("OS::Heat::RandomString")
                 .properties_schema.items()}
    assert json.loads(json.dumps(described))["length"]["default"] == 32
