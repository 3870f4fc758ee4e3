"""Resources with Heat's ``external_id``: existing cloud objects a stack refers to but does not own.

Heat's rules (heat/engine/resource.py, rsrc_defn.py, stack.py): nothing is
created — the resource is ADOPTed by its id and then CHECKed; its properties
are not validated; it has no dependencies (``depends_on`` is refused); its
deletion policy is Retain, so deleting the stack only forgets it; and its
``external_id`` may not be added, removed or changed by an update.

Test plugins stand in for cloud types: ``Test::Thing`` looks its object up
in ``CLOUD`` (its ``show``) and cannot check itself, ``Test::Checked`` can.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from sqlalchemy import update

from orchestrator.db.models import Resource as ResourceRow
from orchestrator.engine import locks
from orchestrator.template.errors import TemplateError
from resources.base import Resource
from resources.errors import ResourceFailure
from resources.registry import PluginRegistry
from resources.schema import Attribute, Property

#: the objects of the pretend cloud, by id
CLOUD: dict[str, dict[str, Any]] = {}


class Thing(Resource):
    type_name = "Test::Thing"
    properties_schema = {"size": Property("string", required=True), "label": Property("string", update_allowed=True)}
    attributes_schema = {"address": Attribute("The object's address.", type="string")}
    blocking = False
    calls: ClassVar[list[tuple[str, str]]] = []

    def create(self) -> None:
        Thing.calls.append(("create", self.name))
        new_id = f"made-{self.name}"
        CLOUD[new_id] = {"address": "10.0.0.99"}
        self.set_physical_id(new_id)

    def update(self, properties, changed) -> None:
        Thing.calls.append(("update", self.name))

    def delete(self) -> None:
        Thing.calls.append(("delete", self.name))
        CLOUD.pop(self.physical_id or "", None)

    def show(self) -> Any:
        return CLOUD.get(self.physical_id or "")

    def resolve_attribute(self, name: str) -> Any:
        found = self.show()
        return None if found is None else found.get(name)


class Checked(Thing):
    type_name = "Test::Checked"

    def check(self) -> None:
        Thing.calls.append(("check", self.name))
        if CLOUD[self.physical_id].get("broken"):
            raise ResourceFailure("the object is broken")


def registry() -> PluginRegistry:
    plugins = PluginRegistry()
    plugins.register("Test::Thing", Thing)
    plugins.register("Test::Checked", Checked)
    return plugins


@pytest.fixture
def harness(harness_with):
    CLOUD.clear()
    CLOUD.update({"thing-1": {"address": "10.0.0.1"}, "thing-2": {"address": "10.0.0.2"}})
    Thing.calls.clear()
    return harness_with(plugins=registry())


def template(resource: str, *, type_: str = "Test::Thing", output: bool = True, extra: str = "") -> str:
    text = f"""
heat_template_version: 2016-10-14
parameters:
  id: {{type: string, default: thing-1}}
resources:
  thing:
    type: {type_}
{resource}
{extra}
"""
    if output:
        text += """outputs:
  address: {value: {get_attr: [thing, address]}}
  ref: {value: {get_resource: thing}}
"""
    return text


EXTERNAL = "    external_id: {get_param: id}"


def test_an_external_resource_is_adopted_and_checked_not_created(harness):
    # the required property "size" is missing: Heat does not check an external resource's properties
    stack_id = harness.create(template(EXTERNAL))
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    row = harness.resources(stack_id)["thing"]
    assert (row.action, row.status, row.physical_id) == ("CHECK", "COMPLETE", "thing-1")
    assert Thing.calls == []
    assert harness.events(stack_id, "thing") == [
        ("thing", "ADOPT_IN_PROGRESS", "state changed"),
        ("thing", "ADOPT_COMPLETE", "state changed"),
        ("thing", "CHECK_COMPLETE", "CHECK not supported for Test::Thing")]
    assert harness.outputs(stack_id) == {"address": "10.0.0.1", "ref": "thing-1"}


def test_a_plugin_that_can_check_checks_the_external_object(harness):
    stack_id = harness.create(template(EXTERNAL, type_="Test::Checked"))
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    assert Thing.calls == [("check", "thing")]
    assert [state for _, state, _ in harness.events(stack_id, "thing")] == [
        "ADOPT_IN_PROGRESS", "ADOPT_COMPLETE", "CHECK_IN_PROGRESS", "CHECK_COMPLETE"]


def test_a_failed_check_fails_the_create_and_the_rollback_keeps_the_object(harness):
    CLOUD["thing-1"]["broken"] = True
    stack_id = harness.create(template(EXTERNAL, type_="Test::Checked"), disable_rollback=False)
    assert harness.state(stack_id) == "ROLLBACK_COMPLETE"
    events = harness.events(stack_id, "thing")
    assert ("thing", "CHECK_FAILED", "ResourceFailure: resources.thing: the object is broken") in events
    assert ("delete", "thing") not in Thing.calls
    assert "thing-1" in CLOUD


def test_a_missing_external_object_fails_with_heats_message(harness):
    stack_id = harness.create(template(EXTERNAL), parameters={"id": "nowhere"}, disable_rollback=False)
    assert harness.state(stack_id) == "ROLLBACK_COMPLETE"
    assert ("thing", "ADOPT_FAILED", "StackValidationFailed: resources.thing: Invalid external resource: "
            "Resource nowhere (Test::Thing) can not be found.") in harness.events(stack_id, "thing")
    assert Thing.calls == []


def test_deleting_the_stack_forgets_the_external_object(harness):
    stack_id = harness.create(template(EXTERNAL + "\n    deletion_policy: Delete"))
    assert harness.delete(stack_id)
    assert harness.state(stack_id) == "DELETE_COMPLETE"
    assert Thing.calls == []
    assert CLOUD["thing-1"] == {"address": "10.0.0.1"}
    assert harness.events(stack_id, "thing")[-1] == ("thing", "DELETE_COMPLETE", "state changed (retained)")


def test_an_external_resource_may_be_used_by_others(harness):
    stack_id = harness.create(template(EXTERNAL, output=False, extra="""
  user:
    type: Test::Thing
    properties: {size: {get_attr: [thing, address]}, label: {get_resource: thing}}"""))
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    assert Thing.calls == [("create", "user")]
    resources = harness.resources(stack_id)
    assert resources["user"].properties["size"] == "10.0.0.1"
    assert resources["user"].properties["label"] == "thing-1"
    assert harness.delete(stack_id)
    assert Thing.calls == [("create", "user"), ("delete", "user")]
    assert "thing-1" in CLOUD


# -- what the template may say ---------------------------------------------------------------------


def test_an_external_resource_may_not_depend_on_others(harness):
    with pytest.raises(TemplateError, match="Invalid dependency with external Test::Thing resource: thing-1"):
        harness.create(template(EXTERNAL + "\n    depends_on: [other]", output=False,
                                extra="  other: {type: Test::Thing, properties: {size: s}}"))


def test_an_external_id_must_resolve_to_a_string(harness):
    source = template("    external_id: {get_param: ids}", output=False).replace(
        "parameters:\n", "parameters:\n  ids: {type: json, default: [1]}\n")
    with pytest.raises(TemplateError, match='"external_id" of resource thing must resolve to a string, not a list'):
        harness.create(source)


def test_ordinary_resources_still_have_their_properties_checked(harness):
    with pytest.raises(TemplateError, match="size"):
        harness.create(template("    properties: {label: x}", output=False))


# -- updates ------------------------------------------------------------------------------------------

NOT_SUPPORTED = "NotSupported: resources.thing: Update to property external_id of thing (Test::Thing) is not supported."


def test_an_unchanged_external_id_leaves_the_resource_alone(harness):
    stack_id = harness.create(template(EXTERNAL))
    events = len(harness.events(stack_id))
    assert harness.update(stack_id, template(EXTERNAL + "\n    properties: {label: new}"))
    assert harness.state(stack_id) == "UPDATE_COMPLETE"
    assert Thing.calls == []
    assert [name for name, _, _ in harness.events(stack_id)[events:]] == ["stack", "stack"]
    assert harness.resource_states(stack_id) == {"thing": "CHECK_COMPLETE"}


@pytest.mark.parametrize("before, after", [
    (EXTERNAL, EXTERNAL.replace("{get_param: id}", "thing-2")),      # another id
    ("    properties: {size: s}", EXTERNAL),                           # an id added
    (EXTERNAL, "    properties: {size: s}"),                           # the id removed
])
def test_changing_adding_or_removing_an_external_id_is_refused(harness, before, after):
    stack_id = harness.create(template(before))
    calls = list(Thing.calls)
    assert not harness.update(stack_id, template(after), disable_rollback=True)
    assert harness.state(stack_id) == "UPDATE_FAILED"
    assert ("thing", "UPDATE_FAILED", NOT_SUPPORTED) in harness.events(stack_id, "thing")
    assert Thing.calls == calls
    assert "thing-1" in CLOUD


def test_a_failed_external_resource_is_adopted_again_by_an_update(harness):
    stack_id = harness.create(template(EXTERNAL), parameters={"id": "thing-3"}, disable_rollback=True)
    assert harness.resource_states(stack_id) == {"thing": "ADOPT_FAILED"}
    CLOUD["thing-3"] = {"address": "10.0.0.3"}
    assert harness.update(stack_id, template(EXTERNAL), parameters={"id": "thing-3"})
    assert harness.resource_states(stack_id) == {"thing": "CHECK_COMPLETE"}
    assert harness.outputs(stack_id)["address"] == "10.0.0.3"
    assert Thing.calls == []


def test_an_external_resource_added_by_an_update_is_adopted(harness):
    stack_id = harness.create(template("    properties: {size: s}", output=False))
    assert harness.update(stack_id, template("    properties: {size: s}", output=False, extra="""
  outside:
    type: Test::Thing
    external_id: thing-2"""))
    assert harness.resource_states(stack_id) == {"thing": "CREATE_COMPLETE", "outside": "CHECK_COMPLETE"}
    assert harness.update(stack_id, template("    properties: {size: s}", output=False))
    assert "outside" not in harness.resources(stack_id)
    assert "thing-2" in CLOUD and ("delete", "outside") not in Thing.calls


# -- crash safety --------------------------------------------------------------------------------------


@pytest.mark.parametrize("interrupted, physical_id", [
    ("ADOPT_IN_PROGRESS", None),
    ("ADOPT_COMPLETE", "thing-1"),
    ("CHECK_IN_PROGRESS", "thing-1"),
])
def test_an_interrupted_adoption_is_resumed(harness, interrupted, physical_id):
    job = harness.engine.create_stack(harness.request(template(EXTERNAL, type_="Test::Checked")))
    action, status = interrupted.split("_", 1)
    with harness.database.engine.begin() as connection:
        connection.execute(update(ResourceRow).where(ResourceRow.stack_id == job.stack_id).values(
            action=action, status=status, physical_id=physical_id))
        locks.release(connection, job.stack_id, job.holder)
    assert harness.engine.recover() == [(job.stack_id, "CREATE_COMPLETE")]
    row = harness.resources(job.stack_id)["thing"]
    assert (row.action, row.status, row.physical_id) == ("CHECK", "COMPLETE", "thing-1")
    states = [state for _, state, _ in harness.events(job.stack_id, "thing")]
    assert interrupted not in states or states.count(interrupted) == 1
    assert states[-1] == "CHECK_COMPLETE"
    assert ("create", "thing") not in Thing.calls
    assert harness.outputs(job.stack_id)["address"] == "10.0.0.1"
