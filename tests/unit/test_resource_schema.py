"""Property defaults: every resource gets a value of its own."""

from __future__ import annotations

from resources.schema import List, Map, String, validate_properties

SCHEMA = {
    "names": List("Names.", default=["a"]),
    "tags": Map("Tags.", default={"team": {"name": "ops"}}),
    "settings": Map("Nested.", default={"inner": ["x"]}, schema={"inner": List("Inner.", default=[])}),
    "title": String("A string.", default="t"),
}


def test_a_mutable_default_is_not_shared_between_resources():
    first, problems = validate_properties(SCHEMA, {"settings": {}})
    assert not problems
    first["names"].append("b")
    first["tags"]["team"]["name"] = "dev"
    first["settings"]["inner"].append("y")
    second, _ = validate_properties(SCHEMA, {"settings": {}})
    assert second["names"] == ["a"]
    assert second["tags"] == {"team": {"name": "ops"}}
    assert second["settings"] == {"inner": []}
    assert SCHEMA["names"].default == ["a"] and SCHEMA["tags"].default == {"team": {"name": "ops"}}
    assert SCHEMA["settings"].schema["inner"].default == []


def test_a_default_map_left_out_entirely_is_a_copy_too():
    first, _ = validate_properties(SCHEMA, {})
    first["settings"]["inner"].append("y")
    assert validate_properties(SCHEMA, {})[0]["settings"] == {"inner": ["x"]}
    assert first["title"] == "t"
