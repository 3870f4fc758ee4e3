"""OS::Heat::AutoScalingGroup: between ``min_size`` and ``max_size`` copies of one resource, resized by policies.

The members are the resources of one nested stack, named with random short
ids as Heat names them.  A group starts with ``desired_capacity`` members
(else ``min_size``); ``OS::Heat::ScalingPolicy`` signals resize it through
the engine's ``"scaling"`` service, which stores the new capacity in this
resource's data and runs the resize as a job on the nested stack.  A stack
update keeps that capacity unless it changes ``desired_capacity``, and
clamps it to a new ``min_size``/``max_size``.

Shrinking removes FAILED members first, then the oldest.  A change of
``resource`` replaces (or updates) the members in chained batches under
``rolling_updates``, like ``OS::Heat::ResourceGroup``'s rolling update:
``max_batch_size`` at a time, keeping ``min_in_service``; members that must
be replaced are created before the old ones are deleted.  ``pause_time`` is
accepted but not waited.

Attributes are read from the members as they are now, so a parent's outputs
follow the group after every resize.
"""

from __future__ import annotations

import base64
import copy
import math
import uuid
from typing import Any, Callable, Iterable, Mapping

from orchestrator.template.functions.references import select_from_attribute
from resources.errors import ResourceFailure
from resources.schema import AllowedValues, Attribute, Integer, Map, PropertyProblem, Range, String

from .group_members import (ROLLING_SCHEMA, TEMPLATE_VERSION, chain_in_batches, live_members, member_definition,
                            member_not_found, needs_attribute_name, references, rolling_batch_size)
from .stack_resource import CONTENT, StackResource

#: data keys: the capacity last decided (by a create, an update or a resize), and the cooldown
#: (seconds) that started when that decision was carried out
CAPACITY, COOLDOWN = "capacity", "cooldown"


def _change(current: int, adjustment: float) -> int:
    return current + math.trunc(adjustment)


def _exact(current: int, adjustment: float) -> int:
    return math.trunc(adjustment)


def _percent(current: int, adjustment: float) -> int:
    """Heat's rounding: a change smaller than one member rounds away from zero, a larger one toward zero."""
    delta = current * adjustment / 100.0
    if abs(delta) < 1:
        return current + (math.ceil(delta) if delta > 0 else math.floor(delta))
    return current + math.trunc(delta)


#: adjustment type -> the capacity it asks for, before ``min_adjustment_step`` and the size limits
ADJUSTMENTS: dict[str, Callable[[int, float], int]] = {
    "change_in_capacity": _change,
    "exact_capacity": _exact,
    "percent_change_in_capacity": _percent,
}
PERCENT = "percent_change_in_capacity"


def adjusted_capacity(current: int, adjustment: float, adjustment_type: str, min_adjustment_step: int | None,
                      lower: int, upper: int) -> int:
    """The capacity a scaling policy asks for, within ``lower``..``upper`` (Heat's ``calculate_new_capacity``).

    ``min_adjustment_step`` (percent changes only) is the smallest number of
    members a step adds or removes; a step that rounds to nothing takes the
    direction of ``adjustment``.
    """
    wanted = ADJUSTMENTS[adjustment_type](current, adjustment)
    if adjustment_type == PERCENT and min_adjustment_step and abs(wanted - current) < min_adjustment_step:
        direction = 1 if (wanted - current or adjustment) > 0 else -1
        wanted = current + direction * min_adjustment_step
    return max(lower, min(upper, wanted))


def short_id() -> str:
    """A random member name of 12 lowercase letters and digits, as Heat's members have."""
    return base64.b32encode(uuid.uuid4().bytes).decode().lower()[:12]


class AutoScalingGroup(StackResource):
    """A group of identical resources whose size scaling policies change."""

    type_name = "OS::Heat::AutoScalingGroup"
    description = "Keeps between min_size and max_size copies of a resource, resized by scaling policies."
    #: besides its declared attributes, "resource.<i>[.<attr>]"
    dynamic_attributes = True
    properties_schema = {
        "resource": Map("The definition of each member, as a resource of a HOT template.", required=True,
                        update_allowed=True, schema={
                            "type": String("The type of the members (a type name or a template).", required=True),
                            "properties": Map("The properties of each member."),
                            "metadata": Map("The metadata of each member."),
                            "update_policy": Map("The update policy of each member."),
                            "deletion_policy": String("The deletion policy of each member.", constraints=(
                                AllowedValues(("Delete", "Retain", "Snapshot")),)),
                        }),
        "max_size": Integer("The largest number of members.", required=True, constraints=(Range(min=0),),
                            update_allowed=True),
        "min_size": Integer("The smallest number of members.", required=True, constraints=(Range(min=0),),
                            update_allowed=True),
        "cooldown": Integer("Seconds after a resize during which policies do not resize again.",
                            update_allowed=True),
        "desired_capacity": Integer("The number of members to have (at creation, or when it changes).",
                                    update_allowed=True),
        "rolling_updates": Map("How members are replaced when resource changes.", update_allowed=True,
                               schema=ROLLING_SCHEMA,
                               default={"min_in_service": 0, "max_batch_size": 1, "pause_time": 0}),
    }
    attributes_schema = {
        "outputs": Attribute("An attribute of every member by name (get_attr: [group, outputs, attr]).",
                             type="map"),
        "outputs_list": Attribute("An attribute of every member, oldest first "
                                  "(get_attr: [group, outputs_list, attr]).", type="list"),
        "current_size": Attribute("The number of members now.", type="integer"),
        "refs": Attribute("The reference ids of the members, oldest first.", type="list"),
        "refs_map": Attribute("Each member's reference id by name.", type="map"),
    }

    #: set by ``update``: whether ``resource`` changed (the members are replaced in batches)
    _rolling = False

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._names: list[str] | None = None
        self._rows: dict[str, Any] | None = None
        self._fresh: list[str] = []

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """Heat's size rules: ``min_size <= max_size``, and ``desired_capacity`` between them."""
        known = {name: properties.get(name) for name in ("min_size", "max_size", "desired_capacity")
                 if name not in unknown}
        low, high, desired = known.get("min_size"), known.get("max_size"), known.get("desired_capacity")
        if low is not None and high is not None and low > high:
            yield PropertyProblem(("min_size",), f"min_size ({low}) may not be greater than max_size ({high})")
        elif desired is not None and ((low is not None and desired < low) or (high is not None and desired > high)):
            yield PropertyProblem(("desired_capacity",), f"desired_capacity ({desired}) must be between "
                                                         f"min_size ({low}) and max_size ({high})")

    # -- lifecycle --------------------------------------------------------------------------

    def create(self) -> None:
        initial = self.properties.get("desired_capacity") or self.properties["min_size"]
        self.set_data(CAPACITY, initial)
        self.set_data(COOLDOWN, self.properties.get("cooldown"))
        super().create()

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        self._rolling = "resource" in changed
        wanted = changed.get("desired_capacity")
        self.set_data(CAPACITY, _clamped(properties, wanted if wanted is not None else self._capacity(properties)))
        self.set_data(COOLDOWN, properties.get("cooldown"))
        super().update(properties, changed)

    def child_template(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """The members as a template; in a rolling update, chained in batches."""
        return self._members_template(properties, batched=True)

    def compared_template(self, properties: Mapping[str, Any], template: Any) -> dict[str, Any]:
        """The members without the batch chaining, which orders work but changes no member."""
        return self._members_template(properties, batched=False)

    # -- what the engine's scaling service asks ---------------------------------------------------

    def current_capacity(self) -> int:
        """How many members the nested stack's template holds now."""
        return len(self._current_names())

    def adjusted_capacity(self, adjustment: float, adjustment_type: str, min_adjustment_step: int | None) -> int:
        """The capacity a policy's adjustment asks for, within ``min_size``..``max_size``."""
        return adjusted_capacity(self.current_capacity(), adjustment, adjustment_type, min_adjustment_step,
                                 self.properties["min_size"], self.properties["max_size"])

    def cooldown_in_force(self) -> float:
        """Seconds after the end of the last resize during which policies leave the group alone."""
        return max(0.0, float(self.data.get(COOLDOWN) or 0))

    def resize_plan(self, capacity: int, cooldown: float | None,
                    digest: Callable[[dict], str]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The nested template for ``capacity`` members, and the data to store with it.

        ``cooldown`` is the policy's (``None``: the group's); ``digest`` makes
        the content digest of a template, which a later update compares.
        """
        self.data[CAPACITY] = capacity  # the service stores it, with the template, in one transaction
        template = self._members_template(self.properties, batched=False)
        in_force = cooldown if cooldown is not None else self.properties.get("cooldown")
        return template, {CAPACITY: capacity, COOLDOWN: in_force, CONTENT: digest(template)}

    # -- members ------------------------------------------------------------------------------

    def _capacity(self, properties: Mapping[str, Any]) -> int:
        """The number of members to have: the last decided capacity, within the size limits of ``properties``."""
        stored = self.data.get(CAPACITY)
        if stored is None:
            stored = properties.get("desired_capacity") or properties["min_size"]
        return _clamped(properties, stored)

    def _members_template(self, properties: Mapping[str, Any], batched: bool) -> dict[str, Any]:
        names = self._member_names(self._capacity(properties))
        definition = member_definition(properties["resource"])
        resources = {name: copy.deepcopy(definition) for name in names}
        if batched and self._rolling and self.physical_id is not None:
            chain_in_batches(resources, names, rolling_batch_size(len(names), properties["rolling_updates"]))
        return {"heat_template_version": TEMPLATE_VERSION, "resources": resources}

    def _member_names(self, capacity: int) -> list[str]:
        """The members after resizing to ``capacity``: the current ones, less those removed, plus new ones."""
        current = self._current_names()
        if capacity >= len(current):
            return current + self._new_names(capacity - len(current))
        removed = set(sorted(current, key=self._removal_key)[:len(current) - capacity])
        return [name for name in current if name not in removed]

    def _current_names(self) -> list[str]:
        """The members the nested stack's template holds, oldest first."""
        if self._names is None:
            if self.physical_id is None:
                self._names = []
            else:
                nested = self.nested()
                names = list((nested.template(self.physical_id).get("resources") or {}))
                self._rows = nested.resources(self.physical_id)
                position = {name: index for index, name in enumerate(names)}
                self._names = sorted(names, key=lambda name: (self._age(name), position[name]))
        return list(self._names)

    def _age(self, name: str) -> float:
        """Older members come first: the order their rows were made in (members not made yet last)."""
        row = (self._rows or {}).get(name)
        return row["id"] if row is not None else math.inf

    def _removal_key(self, name: str) -> tuple:
        """Members go FAILED (or never made) first, then the oldest (Heat's order)."""
        row = (self._rows or {}).get(name)
        return (row is not None and row["status"] != "FAILED", self._age(name))

    def _new_names(self, count: int) -> list[str]:
        """``count`` new member names, the same ones for every template this instance builds."""
        while len(self._fresh) < count:
            self._fresh.append(short_id())
        return self._fresh[:count]

    # -- attributes ---------------------------------------------------------------------------

    def attribute(self, name: str, path: Iterable[Any] = ()) -> Any:
        path = list(path)
        if self.physical_id is None or name == "show":
            return None
        nested, child = self.nested(), self.physical_id
        members = self._live_members()
        if name == "current_size":
            return select_from_attribute(len(members), path)
        if name in ("refs", "refs_map"):
            return references(members, path, as_map=name == "refs_map")
        if name in ("outputs", "outputs_list"):
            if not path:
                raise needs_attribute_name(self.name, name, f"get_attr: [group, {name}, attribute]")
            values = nested.attributes(child, list(members), str(path[0]), tuple(path[1:]))
            return values if name == "outputs" else list(values.values())
        if name.startswith("resource."):
            _, index, *attribute = name.split(".", 2)
            names = list(members)
            if not index.isdigit() or int(index) >= len(names):
                raise member_not_found(self.name, index)
            member = names[int(index)]
            if not attribute:
                return select_from_attribute(members[member]["reference"], path)
            return nested.attribute(child, member, attribute[0], tuple(path))
        raise ResourceFailure(f"The Referenced Attribute ({self.name} {name}) is incorrect.")

    def all_attributes(self) -> dict[str, Any]:
        members = self._live_members()  # read once for the three
        self._live_members = lambda: members  # type: ignore[method-assign]
        try:
            return {name: self.attribute(name) for name in ("current_size", "refs", "refs_map")}
        finally:
            del self._live_members

    def _live_members(self) -> dict[str, Any]:
        """The members now, oldest first."""
        return live_members(self.nested(), self.physical_id, lambda member_name, member: member["id"])


def _clamped(properties: Mapping[str, Any], capacity: int) -> int:
    return max(properties["min_size"], min(properties["max_size"], capacity))
