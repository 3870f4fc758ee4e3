"""What groups made of one nested stack share: member definitions, batches, and reading the members.

``OS::Heat::ResourceGroup`` and ``OS::Heat::AutoScalingGroup`` both keep their
members as the resources of one nested stack.  Both build a member's
definition from a map in their properties, both order work in batches by
chaining members with ``depends_on`` (the engine then walks at most a batch
at a time), and both read their members back from the nested stack for
their attributes.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from orchestrator.template.functions.references import select_from_attribute
from resources.errors import ResourceFailure
from resources.schema import Integer, Number, Range

#: the HOT version of the templates groups give their nested stacks
TEMPLATE_VERSION = "2015-04-30"

#: the keys of a member definition that are copied into the nested template when set
DEFINITION_KEYS = ("properties", "metadata", "update_policy", "deletion_policy")

#: ``batch_create`` (and the base of ``rolling_update``): how many members at a time
BATCH_SCHEMA = {
    "max_batch_size": Integer("Members created or replaced at a time.", default=1, constraints=(Range(min=1),)),
    "pause_time": Number("Seconds between batches (accepted; no pause is made).", default=0,
                         constraints=(Range(min=0),)),
}
#: ``rolling_update`` (ResourceGroup) and ``rolling_updates`` (AutoScalingGroup)
ROLLING_SCHEMA = {
    **BATCH_SCHEMA,
    "min_in_service": Integer("Members kept in service while updating.", default=0, constraints=(Range(min=0),)),
}


def member_definition(resource_def: Mapping[str, Any]) -> dict[str, Any]:
    """A member's definition: unset properties left out (Heat's rule), empty sections dropped."""
    definition: dict[str, Any] = {"type": resource_def["type"]}
    properties = {key: value for key, value in (resource_def.get("properties") or {}).items() if value is not None}
    if properties:
        definition["properties"] = properties
    for key in DEFINITION_KEYS[1:]:
        if resource_def.get(key):
            definition[key] = resource_def[key]
    return definition


def rolling_batch_size(count: int, policy: Mapping[str, Any]) -> int:
    """Members replaced at a time by a rolling update of ``count`` members: at least one."""
    return max(1, min(policy["max_batch_size"], count - policy["min_in_service"]))


def chain_in_batches(resources: dict[str, dict[str, Any]], names: list[str], batch: int) -> None:
    """Make each batch of ``batch`` members (in the order of ``names``) wait for the batch before it.

    ``batch`` 0 leaves the members free to be worked on all at once.
    """
    if not batch:
        return
    for position, name in enumerate(names):
        if position >= batch:
            start = (position // batch - 1) * batch
            resources[name]["depends_on"] = names[start:start + batch]


def live_members(nested: Any, stack_id: str, order: Callable[[str, Mapping[str, Any]], Any]) -> dict[str, Any]:
    """The members of nested stack ``stack_id`` that are not being (or were not) deleted, sorted by ``order``.

    ``order(name, member)`` is the sort key; ``member`` is what
    ``NestedStacks.resources`` tells of each (``reference``, ``status``, row ``id``, …).
    """
    members = nested.resources(stack_id)
    return {name: members[name] for name in sorted(members, key=lambda n: order(n, members[n]))
            if members[name]["action"] != "DELETE"}


def references(members: Mapping[str, Any], path: Iterable[Any], as_map: bool) -> Any:
    """``refs`` (a list) or ``refs_map`` (by name) of ``members``, followed along ``path``."""
    refs = {name: member["reference"] for name, member in members.items()}
    return select_from_attribute(refs if as_map else list(refs.values()), list(path))


def needs_attribute_name(group: str, attribute: str, example: str) -> ResourceFailure:
    """The error of an attribute read that needs the name of a member attribute in its path."""
    return ResourceFailure(f"The Referenced Attribute ({group} {attribute}) needs the name of a member "
                           f"attribute: {example}")


def member_not_found(group: str, member: str) -> ResourceFailure:
    """The error of ``resource.<n>`` naming no member."""
    return ResourceFailure(f"Member '{member}' not found in group {group}")
