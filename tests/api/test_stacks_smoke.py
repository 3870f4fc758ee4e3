"""The first round trip: create, show, list and delete over HTTP."""

from __future__ import annotations

HELLO = {"heat_template_version": "2021-04-16",
         "resources": {"value": {"type": "OS::Heat::Value", "properties": {"value": "hi"}}},
         "outputs": {"said": {"value": {"get_attr": ["value", "value"]}}}}


def test_create_show_list_delete(service):
    stack_id = service.create("smoke", HELLO)
    stack = service.wait("smoke", stack_id)
    assert stack["stack_status"] == "CREATE_COMPLETE"
    assert stack["outputs"] == [{"output_key": "said", "output_value": "hi", "description": "No description given"}]
    listed = service.call("GET", "stacks").json()["stacks"]
    assert [s["stack_name"] for s in listed] == ["smoke"]
    by_name = service.call("GET", "stacks/smoke")
    assert by_name.status_code == 302
    assert by_name.headers["Location"] == f"{service.endpoint()}/stacks/smoke/{stack_id}"
    assert service.call("DELETE", f"stacks/smoke/{stack_id}").status_code == 204
