"""OS::Heat::ResourceGroup: ``count`` copies of one resource definition, in one nested stack.

Members are named ``"0"``, ``"1"``, … and ``index_var`` in their properties
and metadata becomes their name.  Scaling is an update of the nested stack's
template, so the engine's update machinery adds and removes members: shrinking
drops the highest names, and names listed in ``removal_policies`` go first and
are never used again (the skiplist lives in the resource's data, as Heat's
``name_blacklist`` does).

Update policies (what Heat's options become here):

* ``batch_create {max_batch_size, pause_time}``: on create, members are
  chained in batches of ``max_batch_size`` with ``depends_on``, so at most a
  batch is created at a time.  ``pause_time`` is accepted and checked but no
  pause is made between batches.
* ``rolling_update {min_in_service, max_batch_size, pause_time}``: when
  ``resource_def`` changes, members are updated in chained batches of
  ``min(max_batch_size, count - min_in_service)`` (at least one); members that
  must be replaced are created before the old ones are deleted, so they stay in
  service.  ``pause_time`` is accepted but not waited.
"""

from __future__ import annotations

import copy
from typing import Any, Iterable, Iterator, Mapping

from orchestrator.template.functions.references import select_from_attribute
from resources.errors import ResourceFailure
from resources.schema import (AllowedValues, Attribute, Integer, Length, List, Map, Property, Range, String,
                              validate_properties)

from .group_members import (BATCH_SCHEMA, ROLLING_SCHEMA, TEMPLATE_VERSION, chain_in_batches, live_members,
                            member_definition, member_not_found, needs_attribute_name, references,
                            rolling_batch_size)
from .stack_resource import StackResource


class ResourceGroup(StackResource):
    """A group of identical resources, scaled by ``count``."""

    type_name = "OS::Heat::ResourceGroup"
    description = "Creates count identically configured resources in a nested stack."
    #: besides its declared attributes, "resource.<n>[.<attr>]" and any member attribute name
    dynamic_attributes = True
    #: set by ``update`` for the template it builds: whether ``resource_def`` changed (a rolling update)
    _rolling = False
    properties_schema = {
        "count": Integer("The number of resources to create.", default=1, constraints=(Range(min=0),),
                         update_allowed=True),
        "index_var": String("A variable replaced by each member's index in its definition.", default="%index%",
                            constraints=(Length(min=3),), update_allowed=True),
        "resource_def": Map("The definition of each member.", required=True, update_allowed=True, schema={
            "type": String("The type of the members.", required=True),
            "properties": Map("The properties of each member."),
            "metadata": Map("The metadata of each member."),
        }),
        "removal_policies": List("Members to remove first when the group shrinks.", default=[],
                                 update_allowed=True, schema=Map(schema={
                                     "resource_list": List("Member names or reference ids.", default=[]),
                                 })),
        "removal_policies_mode": String("Whether removal_policies add to the removed names or replace them.",
                                        default="append", constraints=(AllowedValues(("append", "update")),),
                                        update_allowed=True),
    }
    attributes_schema = {
        "refs": Attribute("The reference ids of the members, in index order.", type="list"),
        "refs_map": Attribute("Each member's reference id by name.", type="map"),
        "attributes": Attribute("An attribute of every member by name (get_attr: [group, attributes, attr]).",
                                type="map"),
        "removed_rsrc_list": Attribute("The names of the members removal policies removed.", type="list"),
    }
    update_policy_schema = {
        "batch_create": Property("map", "Create members in batches.", schema=BATCH_SCHEMA),
        "rolling_update": Property("map", "Update members in batches.", schema=ROLLING_SCHEMA),
    }

    # -- the nested template ----------------------------------------------------------------

    def create(self) -> None:
        self._update_skiplist(self.properties, create=True)
        super().create()

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        self._update_skiplist(properties)
        self._rolling = "resource_def" in changed
        super().update(properties, changed)

    def child_template(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """The members as a template: definitions with their index in place, batches chained."""
        return self._members_template(properties, batched=True)

    def compared_template(self, properties: Mapping[str, Any], template: Any) -> dict[str, Any]:
        """The members without the batch chaining: batches order the work but change no member.

        A create in batches or a rolling update chains the members it
        changes; the next update must not find the group outdated for that.
        """
        return self._members_template(properties, batched=False)

    def _members_template(self, properties: Mapping[str, Any], batched: bool) -> dict[str, Any]:
        names = list(self._member_names(properties["count"]))
        index_var = properties["index_var"]
        definition = member_definition(properties["resource_def"])
        resources = {name: _substitute(definition, index_var, name) for name in names}
        chain_in_batches(resources, names, self._batch_size(len(names)) if batched else 0)
        return {"heat_template_version": TEMPLATE_VERSION, "resources": resources}

    def _member_names(self, count: int) -> Iterator[str]:
        """The first ``count`` names not on the skiplist."""
        skip = set(self.data.get("name_blacklist") or ())
        index = 0
        while count > 0:
            if str(index) not in skip:
                yield str(index)
                count -= 1
            index += 1

    def _update_skiplist(self, properties: Mapping[str, Any], create: bool = False) -> None:
        """Add the members named by removal policies (by name or reference id) to the names never reused."""
        current = set(self.data.get("name_blacklist") or ())
        wanted = [str(item) for policy in properties.get("removal_policies") or ()
                  for item in (policy or {}).get("resource_list") or ()]
        found = set() if properties.get("removal_policies_mode") == "update" else set(current)
        members = {} if create or self.physical_id is None else self.nested().resources(self.physical_id)
        by_reference = {str(member["reference"]): name for name, member in members.items()}
        for item in wanted:
            if item in current or create or item in members:
                found.add(item)
            elif item in by_reference:
                found.add(by_reference[item])
        if found != current:
            self.set_data("name_blacklist", sorted(found, key=_index_order))

    def _batch_size(self, count: int) -> int:
        """Members per batch under the update policy (0: all at once)."""
        policy = self._update_policy()
        if self.physical_id is None and policy.get("batch_create"):
            return policy["batch_create"]["max_batch_size"]
        rolling = policy.get("rolling_update")
        if self.physical_id is not None and rolling and self._rolling:
            return rolling_batch_size(count, rolling)
        return 0

    def _update_policy(self) -> dict[str, Any]:
        """The resource's update policy, checked against ``update_policy_schema``."""
        raw = self.nested().facade(self.name).get("update_policy") or {}
        values, problems = validate_properties(self.update_policy_schema, raw)
        if problems:
            where = ".".join(str(part) for part in problems[0].path)
            raise ResourceFailure(f"Invalid update_policy {where}: {problems[0].message}")
        return {key: value for key, value in values.items() if value is not None}

    # -- attributes -------------------------------------------------------------------------------

    def attribute(self, name: str, path: Iterable[Any] = ()) -> Any:
        path = list(path)
        if name == "removed_rsrc_list":
            return select_from_attribute(list(self.data.get("name_blacklist") or []), path)
        if self.physical_id is None:
            return None
        nested, child = self.nested(), self.physical_id
        members = self._members()
        if name in ("refs", "refs_map"):
            return references(members, path, as_map=name == "refs_map")
        if name == "attributes":
            if not path:
                raise needs_attribute_name(self.name, name, "get_attr: [group, attributes, attribute]")
            return nested.attributes(child, list(members), str(path[0]), tuple(path[1:]))
        if name.startswith("resource."):
            _, index, *attribute = name.split(".", 2)
            if index not in members:
                raise member_not_found(self.name, index)
            if not attribute:
                return select_from_attribute(members[index]["reference"], path)
            return nested.attribute(child, index, attribute[0], tuple(path))
        if name == "show":
            return None
        return list(nested.attributes(child, list(members), name, tuple(path)).values())

    def all_attributes(self) -> dict[str, Any]:
        return {name: self.attribute(name) for name in ("refs", "refs_map", "removed_rsrc_list")}

    def _members(self) -> dict[str, Any]:
        """The current members in index order."""
        return live_members(self.nested(), self.physical_id, lambda name, member: _index_order(name))


def _index_order(name: str) -> tuple[int, Any]:
    return (0, int(name)) if name.isdigit() else (1, name)


def _substitute(value: Any, index_var: str, name: str) -> Any:
    """``value`` with ``index_var`` replaced by ``name`` in every string of properties and metadata."""
    if isinstance(value, dict):
        return {key: (value[key] if key == "type" else _replace(value[key], index_var, name)) for key in value}
    return copy.deepcopy(value)


def _replace(value: Any, index_var: str, name: str) -> Any:
    if isinstance(value, str):
        return value.replace(index_var, name)
    if isinstance(value, dict):
        return {key: _replace(item, index_var, name) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, index_var, name) for item in value]
    return value
