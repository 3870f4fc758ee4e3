"""Events over HTTP: paging with limit and marker both ways, filters, sorting, nested stacks, resource events."""

from __future__ import annotations

import pytest
import yaml

CHILD = {"heat_template_version": "2021-04-16",
         "resources": {"leaf": {"type": "OS::Heat::Value", "properties": {"value": "inside"}}}}
TEMPLATE = {
    "heat_template_version": "2021-04-16",
    "resources": {
        "one": {"type": "OS::Heat::Value", "properties": {"value": "1"}},
        "two": {"type": "OS::Heat::TestResource", "properties": {"value": {"get_attr": ["one", "value"]}}},
        "three": {"type": "OS::Heat::RandomString", "depends_on": ["two"]},
        "inner": {"type": "OS::Heat::Stack", "properties": {"template": yaml.safe_dump(CHILD)}},
    },
}


@pytest.fixture(scope="module")
def stack(service):
    stack_id = service.create("evented", TEMPLATE)
    assert service.wait("evented", stack_id)["stack_status"] == "CREATE_COMPLETE"
    return "evented", stack_id


def events(service, stack, query: str = "", resource: str | None = None, who: str = "alpha") -> list[dict]:
    where = f"resources/{resource}/events" if resource else "events"
    response = service.call("GET", f"stacks/{stack[0]}/{stack[1]}/{where}{query}", who)
    assert response.status_code == 200, response.text
    return response.json()["events"]


def links(event: dict) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in event["links"]}


def page_through(service, stack, direction: str, size: int) -> list[str]:
    """Every event id, fetched ``size`` at a time with markers."""
    seen: list[str] = []
    marker = ""
    while True:
        page = events(service, stack, f"?sort_dir={direction}&limit={size}{marker}")
        assert len(page) <= size
        seen.extend(event["id"] for event in page)
        if len(page) < size:
            return seen
        marker = f"&marker={page[-1]['id']}"


def test_the_list_starts_and_ends_with_stack_events(service, stack):
    name, stack_id = stack
    listed = events(service, stack, "?sort_dir=asc")
    first, last = listed[0], listed[-1]
    assert (first["resource_name"], first["physical_resource_id"]) == (name, stack_id)
    assert (first["resource_status"], first["resource_status_reason"]) == ("CREATE_IN_PROGRESS",
                                                                          "Stack CREATE started")
    assert (last["resource_status"], last["resource_status_reason"]) == ("CREATE_COMPLETE",
                                                                        "Stack CREATE completed successfully")
    assert last["physical_resource_id"] == stack_id
    stack_url = f"{service.endpoint()}/stacks/{name}/{stack_id}"
    one = next(e for e in listed if e["resource_name"] == "one")
    assert links(one) == {"self": f"{stack_url}/resources/one/events/{one['id']}",
                          "resource": f"{stack_url}/resources/one", "stack": stack_url}
    assert one["event_time"].endswith("Z") and "T" in one["event_time"]
    assert one["logical_resource_id"] == "one"
    # each resource went from in progress to complete, in that order
    for resource in ("one", "two", "three", "inner"):
        states = [e["resource_status"] for e in listed if e["resource_name"] == resource]
        assert states == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"], (resource, states)
    # the nested stack's own events are not the parent's
    assert not any(e["resource_name"] == "leaf" for e in listed)


def test_desc_is_asc_reversed(service, stack):
    ascending = [e["id"] for e in events(service, stack, "?sort_dir=asc")]
    assert [e["id"] for e in events(service, stack, "?sort_dir=desc")] == ascending[::-1]
    assert [e["id"] for e in events(service, stack)] == ascending  # the default is oldest first


@pytest.mark.parametrize("size", [1, 2, 3])
def test_paging_with_limit_and_marker_ascending(service, stack, size):
    assert page_through(service, stack, "asc", size) == [e["id"] for e in events(service, stack, "?sort_dir=asc")]


@pytest.mark.parametrize("size", [1, 4])
def test_paging_with_limit_and_marker_descending(service, stack, size):
    assert page_through(service, stack, "desc", size) == [e["id"] for e in events(service, stack, "?sort_dir=desc")]


def test_the_wait_pattern_newest_then_after_it(service, stack):
    """``--wait``: the newest event as marker, then everything after it (nothing, once the stack is done)."""
    newest = events(service, stack, "?limit=1&sort_dir=desc")
    assert len(newest) == 1
    assert events(service, stack, f"?marker={newest[0]['id']}&sort_dir=asc") == []
    listed = events(service, stack, "?sort_dir=asc")
    after_second = events(service, stack, f"?marker={listed[1]['id']}&sort_dir=asc")
    assert [e["id"] for e in after_second] == [e["id"] for e in listed[2:]]
    before_third = events(service, stack, f"?marker={listed[2]['id']}&sort_dir=desc")
    assert [e["id"] for e in before_third] == [listed[1]["id"], listed[0]["id"]]


def test_sort_by_event_time(service, stack):
    by_time = events(service, stack, "?sort_keys=event_time&sort_dir=desc")
    times = [e["event_time"] for e in by_time]
    assert times == sorted(times, reverse=True)
    assert len(by_time) == len(events(service, stack))
    paged = []
    marker = ""
    while True:
        page = events(service, stack, f"?sort_keys=event_time&sort_dir=desc&limit=3{marker}")
        paged += [e["id"] for e in page]
        if len(page) < 3:
            break
        marker = f"&marker={page[-1]['id']}"
    assert paged == [e["id"] for e in by_time]


def test_sort_by_resource_name(service, stack):
    listed = events(service, stack, "?sort_keys=resource_name&sort_dir=asc")
    names = [e["resource_name"] for e in listed]
    assert names == sorted(names)


def test_an_unknown_sort_key_is_a_400(service, stack):
    response = service.call("GET", f"stacks/{stack[0]}/{stack[1]}/events?sort_keys=colour")
    assert response.status_code == 400
    assert "colour" in response.json()["error"]["message"]


def test_an_unknown_marker_is_a_404(service, stack):
    response = service.call("GET", f"stacks/{stack[0]}/{stack[1]}/events?marker=no-such-event")
    assert response.status_code == 404
    assert "no-such-event" in response.json()["error"]["message"]


def test_filters(service, stack):
    name = stack[0]
    completed = events(service, stack, "?resource_action=CREATE&resource_status=COMPLETE")
    assert {e["resource_name"] for e in completed} == {name, "one", "two", "three", "inner"}
    assert all(e["resource_status"] == "CREATE_COMPLETE" for e in completed)
    assert [e["id"] for e in events(service, stack, "?resource_status=CREATE_COMPLETE")] == [
        e["id"] for e in completed]
    started = events(service, stack, "?resource_status=IN_PROGRESS")
    assert len(started) == 5 and all(e["resource_status"] == "CREATE_IN_PROGRESS" for e in started)
    assert {e["resource_name"] for e in events(service, stack, "?resource_name=one&resource_name=two")} == {
        "one", "two"}
    assert {e["resource_name"] for e in events(service, stack, "?resource_type=OS::Heat::RandomString")} == {
        "three"}
    assert events(service, stack, "?resource_action=DELETE") == []
    # filters and paging together
    first = events(service, stack, "?resource_status=COMPLETE&limit=2")
    rest = events(service, stack, f"?resource_status=COMPLETE&marker={first[-1]['id']}")
    assert [e["id"] for e in first + rest] == [e["id"] for e in completed]


def test_nested_depth_adds_nested_stack_events_with_a_root_stack_link(service, stack):
    name, stack_id = stack
    plain = events(service, stack)
    assert all("root_stack" not in links(e) for e in plain)
    nested = events(service, stack, "?nested_depth=1&sort_dir=asc")
    stack_url = f"{service.endpoint()}/stacks/{name}/{stack_id}"
    assert all(links(e)["root_stack"] == stack_url for e in nested)
    leaf = [e for e in nested if e["resource_name"] == "leaf"]
    assert [e["resource_status"] for e in leaf] == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    inner = next(e for e in plain if e["resource_name"] == "inner" and e["resource_status"] == "CREATE_COMPLETE")
    child_id = inner["physical_resource_id"]
    assert links(leaf[0])["stack"].endswith(f"/{child_id}")
    # the child's own stack events are there too, as the child's
    child_events = [e for e in nested if e["physical_resource_id"] == child_id and e["resource_name"] != "inner"]
    assert {e["resource_status_reason"] for e in child_events} >= {"Stack CREATE started"}
    assert len(nested) == len(plain) + len([e for e in nested if links(e)["stack"] != stack_url])
    # ordered as written, across stacks, and pageable
    paged = []
    marker = ""
    while True:
        page = events(service, stack, f"?nested_depth=1&sort_dir=asc&limit=4{marker}")
        paged += [e["id"] for e in page]
        if len(page) < 4:
            break
        marker = f"&marker={page[-1]['id']}"
    assert paged == [e["id"] for e in nested]


def test_resource_events(service, stack):
    name, stack_id = stack
    two = events(service, stack, "?sort_dir=asc", resource="two")
    assert [e["resource_status"] for e in two] == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert {e["resource_name"] for e in two} == {"two"}
    stack_events = events(service, stack, resource=name)
    assert stack_events and all(e["physical_resource_id"] == stack_id for e in stack_events)
    assert events(service, stack, f"?limit=1&marker={two[0]['id']}", resource="two") == two[1:]


def test_events_of_a_missing_resource_are_a_404(service, stack):
    response = service.call("GET", f"stacks/{stack[0]}/{stack[1]}/resources/nope/events")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "The Resource (nope) could not be found."


def test_show_an_event_from_its_self_link(service, stack):
    two = events(service, stack, resource="two")[0]
    response = service.call("GET", links(two)["self"][len(service.endpoint()) + 1:])
    assert response.status_code == 200, response.text
    shown = response.json()["event"]
    assert shown["id"] == two["id"]
    assert shown["resource_type"] == "OS::Heat::TestResource"
    assert shown["resource_properties"]["value"] == "1"
    assert shown["resource_status"] == "CREATE_IN_PROGRESS"


def test_show_a_stack_event(service, stack):
    name, stack_id = stack
    first = events(service, stack, "?limit=1")[0]
    response = service.call("GET", f"stacks/{name}/{stack_id}/resources/{name}/events/{first['id']}")
    assert response.status_code == 200
    assert response.json()["event"]["resource_type"] == "OS::Heat::Stack"


def test_show_a_missing_event_is_a_404(service, stack):
    name, stack_id = stack
    two = events(service, stack, resource="two")[0]
    for path in ("resources/two/events/nope", f"resources/one/events/{two['id']}"):
        response = service.call("GET", f"stacks/{name}/{stack_id}/{path}")
        assert response.status_code == 404
        assert "could not be found" in response.json()["error"]["message"]


def test_by_name_url_redirects_with_the_query(service, stack):
    response = service.call("GET", f"stacks/{stack[0]}/events?sort_dir=asc&marker=x")
    assert response.status_code == 302
    assert response.headers["Location"] == (f"{service.endpoint()}/stacks/{stack[0]}/{stack[1]}/events"
                                             "?sort_dir=asc&marker=x")


# -- another project sees nothing ---------------------------------------------------------------------

@pytest.mark.parametrize("project", ["beta", "alpha"])
def test_another_project_cannot_list_events(service, stack, project):
    response = service.call("GET", f"stacks/{stack[0]}/{stack[1]}/events", who="beta", project=project)
    assert response.status_code in (403, 404)
    assert "Stack CREATE" not in response.text and "events" not in response.json()


@pytest.mark.parametrize("project", ["beta", "alpha"])
def test_another_project_cannot_list_resource_events(service, stack, project):
    response = service.call("GET", f"stacks/{stack[0]}/{stack[1]}/resources/two/events", who="beta",
                            project=project)
    assert response.status_code in (403, 404)
    assert "CREATE_COMPLETE" not in response.text


@pytest.mark.parametrize("project", ["beta", "alpha"])
def test_another_project_cannot_show_an_event(service, stack, project):
    two = events(service, stack, resource="two")[0]
    response = service.call("GET", f"stacks/{stack[0]}/{stack[1]}/resources/two/events/{two['id']}",
                            who="beta", project=project)
    assert response.status_code in (403, 404)
    assert "OS::Heat::TestResource" not in response.text
