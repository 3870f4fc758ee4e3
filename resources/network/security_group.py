"""OS::Neutron::SecurityGroup (rules inline) and OS::Neutron::SecurityGroupRule."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from openstack import exceptions

from orchestrator.template.constraints import CustomConstraint
from resources.base import Resource
from resources.schema import (AllowedValues, Attribute, Boolean, Integer, List, Map, PropertyProblem, Range,
                              String)

from .base import CUSTOM_CONSTRAINTS as _NEUTRON_CONSTRAINTS, NeutronResource, call, find_id

#: the Neutron lookups, for the engine to find next to the types defined here
CUSTOM_CONSTRAINTS = _NEUTRON_CONSTRAINTS

_DIRECTIONS = AllowedValues(["ingress", "egress"])
_ETHERTYPES = AllowedValues(["IPv4", "IPv6"])
_PORT = (Range(0, 65535),)

#: the fields that make two rules the same rule
_RULE_KEYS = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
              "remote_group_id")


def _rule_schema(*, with_group: bool) -> dict[str, Any]:
    schema = {
        "direction": String("The direction in which the rule is applied.", default="ingress",
                            constraints=(_DIRECTIONS,)),
        "ethertype": String("Ethertype of the traffic.", default="IPv4", constraints=(_ETHERTYPES,)),
        "port_range_min": Integer("The minimum port number in the range that is matched.", constraints=_PORT),
        "port_range_max": Integer("The maximum port number in the range that is matched.", constraints=_PORT),
        "protocol": String("The protocol that is matched by the security group rule.", default="tcp"),
        "remote_ip_prefix": String("The remote IP prefix (CIDR) to be associated with this rule.",
                                   constraints=(CustomConstraint("net_cidr"),)),
        "description": String("Description of the security group rule."),
    }
    if with_group:
        schema["remote_mode"] = String("Whether to specify a remote group or a remote IP prefix.",
                                       default="remote_ip_prefix",
                                       constraints=(AllowedValues(["remote_ip_prefix", "remote_group_id"]),))
        schema["remote_group_id"] = String("The remote group ID to be associated with this rule; the group "
                                           "itself when remote_mode is remote_group_id and none is given.")
    return schema


def _normal(rule: Mapping[str, Any]) -> tuple:
    return tuple(None if rule.get(key) in (None, "") else str(rule[key]) for key in _RULE_KEYS)


def _add_rule(cloud: Any, body: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return call(cloud, "POST", "/security-group-rules", {"security_group_rule": body})["security_group_rule"]
    except exceptions.ConflictException as exc:
        if "already exists" in str(exc):
            return None  # the rule is there already: what was asked for holds
        raise


class SecurityGroup(NeutronResource):
    """A security group; its rules are kept as the template lists them."""

    type_name = "OS::Neutron::SecurityGroup"
    description = "A Neutron security group with its rules."
    collection, singular = "security-groups", "security_group"
    properties_schema = {
        "name": String("A string specifying a symbolic name for the security group.", update_allowed=True),
        "description": String("Description of the security group.", update_allowed=True),
        "rules": List("List of security group rules.", default=[], update_allowed=True,
                      schema=Map(schema=_rule_schema(with_group=True))),
        "stateful": Boolean("Whether the security group is stateful.", default=True, update_allowed=True),
    }
    attributes_schema = {"show": Attribute("Detailed information about the security group.", "map")}

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        if properties.get("name") == "default":
            return [PropertyProblem(("name",), 'Security groups cannot be assigned the name "default".')]
        return ()

    def _format(self, rule: Mapping[str, Any]) -> dict[str, Any]:
        body = {key: value for key, value in rule.items() if key not in ("remote_mode",) and value is not None}
        body["security_group_id"] = self.physical_id
        if rule.get("remote_mode") == "remote_group_id":
            body.pop("remote_ip_prefix", None)
            group = rule.get("remote_group_id")
            body["remote_group_id"] = find_id(self.cloud, "security_group", group) if group else self.physical_id
        else:
            body.pop("remote_group_id", None)
        return body

    def _wanted(self, rules: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        wanted = [self._format(rule) for rule in rules]
        if not any(rule.get("direction") == "egress" for rule in wanted):
            # Neutron's allow-all egress rules stay until the template lists an egress rule of its own
            wanted += [{"security_group_id": self.physical_id, "direction": "egress", "ethertype": ethertype}
                       for ethertype in ("IPv4", "IPv6")]
        return wanted

    def _sync_rules(self, rules: list[Mapping[str, Any]]) -> None:
        wanted = self._wanted(rules)
        current = (self.body() or {}).get("security_group_rules") or []
        keep = {_normal(rule) for rule in wanted}
        for rule in current:
            if _normal(rule) not in keep:
                try:
                    call(self.cloud, "DELETE", f"/security-group-rules/{rule['id']}")
                except exceptions.NotFoundException:
                    pass
        have = {_normal(rule) for rule in current}
        for rule in wanted:
            if _normal(rule) not in have:
                _add_rule(self.cloud, rule)

    def create(self) -> None:
        props = self.properties
        self._create({"name": props.get("name") or self.runtime.physical_name(),
                      "description": props.get("description") or "", "stateful": props.get("stateful", True)})
        self._sync_rules(props.get("rules") or [])

    def check_create_complete(self) -> bool:
        return True

    def check_update_complete(self) -> bool:
        return True

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        body = {key: changed[key] for key in ("name", "description", "stateful") if key in changed}
        if "name" in body and not body["name"]:
            body["name"] = self.runtime.physical_name()
        if "description" in body and body["description"] is None:
            body["description"] = ""
        if body:
            self._update(body)
        if "rules" in changed:
            self._sync_rules(properties.get("rules") or [])

    def delete(self) -> None:
        if not self.physical_id:
            return
        # the rules of other groups that name this one go with it; Neutron removes its own rules
        super().delete()


class SecurityGroupRule(Resource):
    """One rule added to a security group."""

    type_name = "OS::Neutron::SecurityGroupRule"
    description = "A rule of a Neutron security group."
    properties_schema = {
        "security_group": String("Security group name or ID to add rule.", required=True,
                                 constraints=(CustomConstraint("neutron.security_group"),)),
        "remote_group": String("The remote group name or ID to be associated with this rule.",
                               constraints=(CustomConstraint("neutron.security_group"),)),
        **{key: value for key, value in _rule_schema(with_group=False).items()},
    }
    attributes_schema = {"show": Attribute("Detailed information about the rule.", "map")}

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        if properties.get("remote_group") and properties.get("remote_ip_prefix"):
            return [PropertyProblem(("remote_group",), "Cannot define the following properties at the same time: "
                                                       "remote_group, remote_ip_prefix.")]
        low, high = properties.get("port_range_min"), properties.get("port_range_max")
        if low is not None and high is not None and low > high:
            return [PropertyProblem(("port_range_min",), "The minimum port number must be less than or equal to "
                                                         "the maximum port number.")]
        return ()

    def create(self) -> None:
        cloud = self.runtime.cloud()
        props = self.properties
        body: dict[str, Any] = {"security_group_id": find_id(cloud, "security_group", props["security_group"])}
        for key in ("direction", "ethertype", "port_range_min", "port_range_max", "protocol", "remote_ip_prefix",
                    "description"):
            if props.get(key) is not None:
                body[key] = props[key]
        if props.get("remote_group"):
            body["remote_group_id"] = find_id(cloud, "security_group", props["remote_group"])
        made = call(cloud, "POST", "/security-group-rules", {"security_group_rule": body})["security_group_rule"]
        self.set_physical_id(made["id"])

    def delete(self) -> None:
        if not self.physical_id:
            return
        try:
            call(self.runtime.cloud(), "DELETE", f"/security-group-rules/{self.physical_id}")
        except exceptions.NotFoundException:
            pass

    def show(self) -> Any:
        if not self.physical_id:
            return None
        try:
            return call(self.runtime.cloud(), "GET", f"/security-group-rules/{self.physical_id}")[
                "security_group_rule"]
        except exceptions.NotFoundException:
            return None
