"""Generated HOT templates for the benchmarks.

Every generator returns YAML text that real Heat also accepts (only native
OS::Heat types), so the same file can be timed on both.
"""

from __future__ import annotations

import yaml


def mixed_template(resources: int = 1000, version: str = "2018-08-31") -> str:
    """``resources`` resources that use most intrinsic functions and depend on each other.

    Each group of five holds a RandomString, a Value built with list_join,
    str_replace and get_attr, a TestResource with a condition and an ``if``,
    a Value using repeat and map_merge, and a None resource with depends_on
    and yaql — so validation exercises functions, conditions and the graph.
    """
    template: dict = {
        "heat_template_version": version,
        "description": f"Generated benchmark template with {resources} resources",
        "parameters": {
            "prefix": {"type": "string", "default": "bench", "constraints": [{"length": {"min": 1, "max": 20}}]},
            "count": {"type": "number", "default": 3, "constraints": [{"range": {"min": 1, "max": 10}}]},
            "flags": {"type": "comma_delimited_list", "default": "a,b,c"},
            "enable_tests": {"type": "boolean", "default": True},
            "settings": {"type": "json", "default": {"level": "high", "retries": 2}},
        },
        "conditions": {
            "tests_on": {"get_param": "enable_tests"},
            "tests_off": {"not": "tests_on"},
            "high": {"equals": [{"get_param": ["settings", "level"]}, "high"]},
        },
        "resources": {},
        "outputs": {},
    }
    body = template["resources"]
    for index in range(resources):
        group, kind = divmod(index, 5)
        name = f"r{index}"
        previous = f"r{index - 1}" if index else None
        if kind == 0 or previous is None:
            body[name] = {"type": "OS::Heat::RandomString",
                          "properties": {"length": 8, "character_classes": [{"class": "lowercase", "min": 2}]}}
        elif kind == 1:
            body[name] = {"type": "OS::Heat::Value", "properties": {"value": {"list_join": ["-", [
                {"get_param": "prefix"},
                {"str_replace": {"template": "grp-N", "params": {"N": group}}},
                {"get_attr": [previous, "value"]},
            ]]}}}
        elif kind == 2:
            body[name] = {"type": "OS::Heat::TestResource", "condition": "tests_on",
                          "properties": {
                              "value": {"if": ["high", {"get_resource": f"r{index - 2}"}, "low"]},
                              "action_wait_secs": {"create": 0, "update": 0},
                          }}
        elif kind == 3:
            body[name] = {"type": "OS::Heat::Value", "properties": {"value": {"map_merge": [
                {"get_param": "settings"},
                {"names": {"repeat": {"for_each": {"<%f%>": {"get_param": "flags"}},
                                      "template": {"str_replace": {"template": "<%f%>-x",
                                                                   "params": {"x": {"get_param": "prefix"}}}}}}},
            ]}}}
        else:
            body[name] = {"type": "OS::Heat::None", "depends_on": [previous, f"r{index - 4}"],
                          "properties": {"data": {"yaql": {"expression": "$.data.v.len()",
                                                           "data": {"v": {"get_attr": [f"r{index - 1}", "value"]}}}}}}
        if index % 100 == 0:
            template["outputs"][f"o{index}"] = {"value": {"get_attr": [name, "value"]},
                                                "description": f"value of {name}"}
    return yaml.safe_dump(template, sort_keys=False)
