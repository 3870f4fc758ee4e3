"""OS::Heat::TestResource: a resource with knobs for testing and benchmarks.

It stores a value and can be told to wait (per action), to fail, or to need
replacement on update.  Waiting is done the engine's way: the plugin notes
when it started and tells the engine how long is left, so a thousand test
resources wait together without a thread each.
"""

from __future__ import annotations

import time
from typing import Any, Mapping

from resources.base import Resource
from resources.errors import ResourceFailure, UpdateReplace
from resources.schema import Attribute, Boolean, Map, Number, String


class TestResource(Resource):
    """Stores ``value``; waits ``wait_secs`` (or ``action_wait_secs[action]``) after each action."""

    __test__ = False  # not a pytest test class, despite its name

    type_name = "OS::Heat::TestResource"
    description = "A resource for testing: stores a value, can wait and fail on demand."
    properties_schema = {
        "value": String("The input string to be stored.", default="test_string", update_allowed=True),
        "fail": Boolean("Whether the action should fail (to test failure handling).", default=False,
                        update_allowed=True),
        "update_replace": Boolean("Whether an update must replace the resource.", default=False,
                                  update_allowed=True),
        "update_replace_value": Boolean("Whether changing value replaces the resource.", default=False,
                                        update_allowed=True),
        "wait_secs": Number("Seconds to wait after an action (-1: forever).", default=0, update_allowed=True),
        "action_wait_secs": Map("Seconds to wait after each action, overriding wait_secs.", update_allowed=True,
                                schema={"create": Number(update_allowed=True), "update": Number(update_allowed=True),
                                        "delete": Number(update_allowed=True)}),
        "attr_wait_secs": Number("Seconds reading the output attribute takes.", default=0, update_allowed=True),
        "client_name": String("Client to poll while waiting (accepted for compatibility).", default="",
                              update_allowed=True),
        "entity_name": String("Entity to poll while waiting (accepted for compatibility).", default="",
                              update_allowed=True),
        "constraint_prop_secs": Number("Seconds the custom constraint check of this property takes.",
                                       default=0, update_allowed=True),
    }
    attributes_schema = {
        "output": Attribute("The stored string (also what get_resource gives)."),
    }

    @property
    def blocking(self) -> bool:  # type: ignore[override]
        """Only a simulated slow attribute read blocks; everything else runs on the event loop."""
        return bool(self.properties.get("attr_wait_secs"))

    # -- waiting --------------------------------------------------------------------

    def _wait_secs(self, action: str) -> float:
        per_action = (self.properties.get("action_wait_secs") or {}).get(action)
        return float(per_action if per_action is not None else self.properties.get("wait_secs") or 0)

    def _start(self, action: str) -> None:
        self.set_data("wait", {"action": action, "until": time.time() + self._wait_secs(action),
                               "forever": self._wait_secs(action) < 0})

    def _remaining(self, action: str) -> bool | float:
        wait = self.data.get("wait") or {}
        if wait.get("forever"):
            return 60.0
        left = float(wait.get("until", 0)) - time.time()
        if left > 0:
            return left
        if self.properties.get("fail") and action != "delete":
            raise ResourceFailure(f"Test Resource failed {self.name}")
        return True

    # -- lifecycle --------------------------------------------------------------------

    def create(self) -> None:
        if not self.properties.get("fail"):
            self.set_data("value", self.properties.get("value"))
            self.set_physical_id(self.runtime.physical_name())
        self._start("create")

    def check_create_complete(self) -> bool | float:
        return self._remaining("create")

    def needs_replace(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> bool:
        return bool(changed.get("update_replace") or (properties.get("update_replace") and changed)
                    or ("value" in changed and properties.get("update_replace_value")))

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        if self.needs_replace(properties, changed):
            raise UpdateReplace("update_replace is set")
        self.properties = dict(properties)
        if "value" in changed and not properties.get("fail"):
            self.set_data("value", changed["value"])
        self._start("update")

    def check_update_complete(self) -> bool | float:
        return self._remaining("update")

    def delete(self) -> None:
        self._start("delete")

    def check_delete_complete(self) -> bool | float:
        return self._remaining("delete")

    # -- reading ----------------------------------------------------------------------

    def resolve_attribute(self, name: str) -> Any:
        if name == "output":
            delay = float(self.properties.get("attr_wait_secs") or 0)
            if delay > 0:
                time.sleep(delay)  # simulates a slow API read: only ever on a worker thread
            return self.data.get("value")
        return super().resolve_attribute(name)
