"""Parameter constraints and custom constraints, from Heat's documented behaviour."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from orchestrator.template import versions
from orchestrator.template.constraints import (
    AllowedPattern, AllowedValues, CustomConstraint, CustomConstraints, Length, Modulo, Range,
    check_constraints, default_custom_constraints, parse_constraint,
)
from orchestrator.template.custom_constraints import DEFERRED_NAMES, LOCAL_CHECKERS
from orchestrator.template.errors import InvalidArguments

ALL_KEYS = versions.by_name("2021-04-16").constraint_keys


def parse(definition, param_type="string", keys=ALL_KEYS, normalise=None):
    return parse_constraint(definition, param_type, keys, normalise)


def error_of(callable_, *args, **kwargs) -> InvalidArguments:
    with pytest.raises(InvalidArguments) as info:
        callable_(*args, **kwargs)
    return info.value


# -- parsing --------------------------------------------------------------------------

@pytest.mark.parametrize("definition, param_type, cls", [
    ({"length": {"min": 1}}, "string", Length),
    ({"length": {"max": 3}}, "comma_delimited_list", Length),
    ({"length": {"min": 1, "max": 2}}, "json", Length),
    ({"range": {"min": 1, "max": 5}}, "number", Range),
    ({"range": {"min": 0.5}}, "number", Range),
    ({"range": {"max": "10"}}, "number", Range),  # numeric strings are numbers, as in Heat
    ({"modulo": {"step": 2, "offset": 1}}, "number", Modulo),
    ({"modulo": {"step": -3, "offset": -1}}, "number", Modulo),
    ({"modulo": {"step": 4, "offset": 0}}, "number", Modulo),
    ({"allowed_values": ["a", "b"]}, "string", AllowedValues),
    ({"allowed_values": [1, 2]}, "number", AllowedValues),
    ({"allowed_values": [True]}, "boolean", AllowedValues),
    ({"allowed_values": ["a"]}, "comma_delimited_list", AllowedValues),
    ({"allowed_pattern": "[a-z]+"}, "string", AllowedPattern),
    ({"custom_constraint": "nova.flavor"}, "string", CustomConstraint),
    ({"custom_constraint": "ip_addr", "description": "an IP"}, "comma_delimited_list",
     CustomConstraint),
])
def test_valid_definitions_parse(definition, param_type, cls):
    constraint = parse(definition, param_type)
    assert type(constraint) is cls
    assert constraint.description == definition.get("description")


@pytest.mark.parametrize("definition, param_type, message, subpath", [
    ({}, "string", "No constraint expressed", ()),
    ({"description": "x"}, "string", "No constraint expressed", ()),
    ("length", "string", "Invalid parameter constraints, expected a mapping", ()),
    ({"lenght": {"min": 1}}, "string", "Invalid key 'lenght' for parameter constraints",
     ("lenght",)),
    ({"length": {"min": 1}, "range": {"min": 1}}, "string", "exactly one constraint key", ()),
    ({"length": {}}, "string",
     "A length constraint must have a min value and/or a max value specified.", ("length",)),
    ({"length": [1, 2]}, "string", "Invalid length constraint, expected a mapping", ("length",)),
    ({"length": {"min": 1.5}}, "string", "min/max length must be integral", ("length", "min")),
    ({"length": {"mini": 1}}, "string", "Invalid key 'mini' for length constraint",
     ("length", "mini")),
    ({"range": {}}, "number",
     "A range constraint must have a min value and/or a max value specified.", ("range",)),
    ({"range": {"min": "abc"}}, "number", "min/max must be numeric", ("range", "min")),
    ({"range": {"max": True}}, "number", "min/max must be numeric", ("range", "max")),
    ({"modulo": {"step": 2}}, "number",
     "A modulo constraint must have a step value and an offset value specified.", ("modulo",)),
    ({"modulo": {"step": "x", "offset": 1}}, "number", "step/offset must be numeric",
     ("modulo", "step")),
    ({"modulo": {"step": 2.5, "offset": 1}}, "number", "step/offset must be integer",
     ("modulo", "step")),
    ({"modulo": {"step": 0, "offset": 0}}, "number", "step cannot be 0.", ("modulo", "step")),
    ({"modulo": {"step": 2, "offset": 2}}, "number",
     "offset must be smaller (by absolute value) than step.", ("modulo", "offset")),
    ({"modulo": {"step": 3, "offset": -1}}, "number",
     "step and offset must be both positive or both negative.", ("modulo",)),
    ({"allowed_values": "abc"}, "string", "AllowedValues must be a list", ("allowed_values",)),
    ({"allowed_pattern": 5}, "string", "AllowedPattern must be a string", ("allowed_pattern",)),
    ({"allowed_pattern": "[a-"}, "string", "Invalid allowed_pattern", ("allowed_pattern",)),
    ({"custom_constraint": 3}, "string", "custom_constraint must be the name",
     ("custom_constraint",)),
    ({"allowed_values": ["a"], "description": 7}, "string", "description of a constraint",
     ("description",)),
])
def test_syntax_errors(definition, param_type, message, subpath):
    error = error_of(parse, definition, param_type)
    assert message in error.message
    assert error.subpath == subpath


@pytest.mark.parametrize("key, definition, bad_types", [
    ("length", {"min": 1}, ("number", "boolean")),
    ("range", {"min": 1}, ("string", "json", "comma_delimited_list", "boolean")),
    ("modulo", {"step": 2, "offset": 0}, ("string", "json", "comma_delimited_list", "boolean")),
    ("allowed_values", ["a"], ("json",)),
    ("allowed_pattern", "a", ("number", "json", "comma_delimited_list", "boolean")),
    ("custom_constraint", "ip_addr", ("json",)),
])
def test_constraint_invalid_for_type(key, definition, bad_types):
    heat_name = {"length": "Length", "range": "Range", "modulo": "Modulo",
                 "allowed_values": "AllowedValues", "allowed_pattern": "AllowedPattern",
                 "custom_constraint": "CustomConstraint"}[key]
    for param_type in bad_types:
        error = error_of(parse, {key: definition}, param_type)
        assert error.message == f"{heat_name} constraint invalid for {param_type}"
        assert error.subpath == (key,)


@pytest.mark.parametrize("version, ok", [
    ("2013-05-23", False), ("2016-10-14", False), ("2017-02-24", True), ("2021-04-16", True),
])
def test_modulo_exists_only_from_2017_02_24(version, ok):
    keys = versions.by_name(version).constraint_keys
    definition = {"modulo": {"step": 2, "offset": 1}}
    if ok:
        assert isinstance(parse(definition, "number", keys), Modulo)
    else:
        error = error_of(parse, definition, "number", keys)
        assert "Invalid key 'modulo' for parameter constraints" in error.message
        assert "2017-02-24" in error.message


# -- checking values ----------------------------------------------------------------------

@pytest.mark.parametrize("definition, param_type, value, message", [
    ({"length": {"min": 2, "max": 3}}, "string", "ab", None),
    ({"length": {"min": 2, "max": 3}}, "string", "abc", None),
    ({"length": {"min": 2, "max": 3}}, "string", "a", "length (1) is out of range (min: 2, max: 3)"),
    ({"length": {"max": 3}}, "string", "abcd", "length (4) is out of range (min: None, max: 3)"),
    ({"length": {"min": 1}}, "comma_delimited_list", ["a"], None),
    ({"length": {"min": 1}}, "comma_delimited_list", [],
     "length (0) is out of range (min: 1, max: None)"),
    ({"length": {"max": 1}}, "json", {"a": 1, "b": 2},
     "length (2) is out of range (min: None, max: 1)"),
    ({"length": {"max": 1}}, "json", [1], None),
    ({"range": {"min": 1, "max": 10}}, "number", 1, None),
    ({"range": {"min": 1, "max": 10}}, "number", 10, None),
    ({"range": {"min": 1, "max": 10}}, "number", 10.5, "10.5 is out of range (min: 1, max: 10)"),
    ({"range": {"min": 1}}, "number", 0, "0 is out of range (min: 1, max: None)"),
    ({"modulo": {"step": 2, "offset": 1}}, "number", 7, None),
    ({"modulo": {"step": 2, "offset": 1}}, "number", 8,
     "8 is not a multiple of 2 with an offset of 1"),
    ({"modulo": {"step": -3, "offset": -1}}, "number", 2, None),
    ({"allowed_values": ["a", "b"]}, "string", "b", None),
    ({"allowed_values": ["a", "b"]}, "string", "c", '"c" is not an allowed value [a, b]'),
    ({"allowed_values": [1, 2]}, "number", 2, None),
    ({"allowed_values": [1, 2]}, "number", 2.0, None),
    ({"allowed_values": [1, 2]}, "number", 3, '"3" is not an allowed value [1, 2]'),
    ({"allowed_values": ["a", "b"]}, "comma_delimited_list", ["a", "b", "a"], None),
    ({"allowed_values": ["a", "b"]}, "comma_delimited_list", ["a", "c"],
     "\"['a', 'c']\" is not an allowed value [a, b]"),
    ({"allowed_pattern": "[a-z]+"}, "string", "abc", None),
    ({"allowed_pattern": "[a-z]+"}, "string", "abc1", '"abc1" does not match pattern "[a-z]+"'),
    ({"allowed_pattern": "[a-z]"}, "string", "ab", '"ab" does not match pattern "[a-z]"'),
    ({"allowed_pattern": "a|ab"}, "string", "ab", '"ab" does not match pattern "a|ab"'),  # Heat: first match from the start must reach the end
])
def test_constraint_checks(definition, param_type, value, message):
    constraint = parse(definition, param_type)
    if message is None:
        constraint.check(value)
    else:
        assert error_of(constraint.check, value).message == message


def test_allowed_values_compare_in_the_parameter_type():
    to_number = lambda v: int(v) if isinstance(v, int) else float(v)  # noqa: E731
    constraint = parse({"allowed_values": ["1", "2.5"]}, "number", normalise=to_number)
    constraint.check(2.5)
    constraint.check(1)
    with pytest.raises(InvalidArguments):
        constraint.check(3)


def test_allowed_values_must_convert_to_the_parameter_type():
    def to_number(value):
        if not isinstance(value, (int, float)):
            raise InvalidArguments("not a number")
        return value

    error = error_of(parse, {"allowed_values": [1, "x"]}, "number", normalise=to_number)
    assert error.message == "Invalid allowed value 'x': not a number"
    assert error.subpath == ("allowed_values", 1)


def test_allowed_values_for_lists_compare_text():
    constraint = parse({"allowed_values": [1, 2]}, "comma_delimited_list")
    constraint.check(["1", "2"])
    with pytest.raises(InvalidArguments):
        constraint.check(["3"])


@pytest.mark.parametrize("definition, param_type, bad_value", [
    ({"length": {"min": 5}}, "string", "abc"),
    ({"range": {"max": 5}}, "number", 6),
    ({"modulo": {"step": 2, "offset": 0}}, "number", 3),
    ({"allowed_values": ["a"]}, "string", "b"),
    ({"allowed_pattern": "x+"}, "string", "y"),
    ({"custom_constraint": "ip_addr"}, "string", "not-an-ip"),
    ({"custom_constraint": "no.such.thing"}, "string", "v"),
])
def test_description_replaces_the_message(definition, param_type, bad_value):
    constraint = parse({**definition, "description": "Use a better value"}, param_type)
    assert error_of(constraint.check, bad_value).message == "Use a better value"


def test_hidden_values_are_not_echoed():
    constraint = parse({"allowed_values": ["a"]})
    assert error_of(constraint.check, "s3cret", "******").message == \
        '"******" is not an allowed value [a]'
    custom = parse({"custom_constraint": "ip_addr"})
    assert "s3cret" not in error_of(custom.check, "s3cret", "******").message


def test_check_constraints_can_skip_custom_ones():
    constraints = [parse({"length": {"max": 20}}), parse({"custom_constraint": "ip_addr"})]
    check_constraints(constraints, "not-an-ip", skip_custom=True)
    with pytest.raises(InvalidArguments, match="Invalid IP address"):
        check_constraints(constraints, "not-an-ip")
    with pytest.raises(InvalidArguments, match="length"):
        check_constraints(constraints, "x" * 21, skip_custom=True)


def test_constraints_compare_by_definition():
    assert parse({"length": {"min": 1}}) == parse({"length": {"min": 1}})
    assert parse({"length": {"min": 1}}) != parse({"length": {"min": 2}})
    assert len({parse({"allowed_values": ["a"]}), parse({"allowed_values": ["a"]})}) == 1


# -- custom constraints ---------------------------------------------------------------

FUTURE = (datetime.now(timezone.utc) + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("name, value, message", [
    ("ip_addr", "10.0.0.1", None),
    ("ip_addr", "::1", None),
    ("ip_addr", "fe80::1:2", None),
    ("ip_addr", "1.2.3", "Invalid IP address"),
    ("ip_addr", "256.1.1.1", "Invalid IP address"),
    ("ip_addr", "", "Invalid IP address"),
    ("net_cidr", "10.0.0.0/8", None),
    ("net_cidr", "10.0.0.5/24", None),
    ("net_cidr", "2001:db8::/32", None),
    ("net_cidr", "10.0.0.1", None),
    ("net_cidr", "10.0.0.0/33", "Invalid net cidr"),
    ("net_cidr", "10/8", "Invalid net cidr"),
    ("net_cidr", "10.0.0.0/8 ", "contains whitespace"),
    ("mac_addr", "fa:16:3e:00:11:22", None),
    ("mac_addr", "FA-16-3E-00-11-22", None),
    ("mac_addr", "fa16.3e00.1122", None),
    ("mac_addr", "fa163e001122", None),
    ("mac_addr", "fa:16:3e:00:11", "Invalid MAC address."),
    ("mac_addr", "fa:16:3e:00:11:zz", "Invalid MAC address."),
    ("iso_8601", "2015-01-01", None),
    ("iso_8601", "2015-01-01T12:30:00Z", None),
    ("iso_8601", "2015-01-01T12:30:00+02:00", None),
    ("iso_8601", "yesterday", "Error validating value 'yesterday'"),
    ("expiration", FUTURE, None),
    ("expiration", "2050-01-01", None),
    ("expiration", "", None),
    ("expiration", "1970-01-01",
     "Expiration 1970-01-01 is invalid: Expiration time is out of date."),
    ("expiration", "Fri 13th, 2050",
     "Expiration Fri 13th, 2050 is invalid: Unable to parse date string 'Fri 13th, 2050'"),
    ("dns_name", "myvm.openstack.org", None),
    ("dns_name", "myvm.openstack.org.", None),
    ("dns_name", "", None),
    ("dns_name", "my_vm.org", "'my_vm.org' not in valid format. Reason: Name 'my_vm' must be"),
    ("dns_name", "-vm.org", "must not start or end with a hyphen"),
    ("dns_name", "a..b", "Encountered an empty component."),
    ("dns_name", "host.123.", "TLD '123' must not be all numeric."),
    ("dns_name", ("a" * 60 + ".") * 5, "character FQDN limit"),
    ("dns_domain", "openstack.org.", None),
    ("dns_domain", "openstack.org", "'openstack.org' must end with '.'."),
    ("rel_dns_name", "myvm.openstack", None),
    ("rel_dns_name", "myvm.openstack.",
     "'myvm.openstack.' is a FQDN. It should be a relative domain name."),
    ("rel_dns_name", "a" * 253, "Adding a domain name will cause it to exceed"),
    ("timezone", "Europe/Paris", None),
    ("timezone", "UTC", None),
    ("timezone", "Mars/Olympus", "Invalid timezone: 'Mars/Olympus'"),
    ("timezone", "../etc/passwd", "Invalid timezone"),
    ("cron_expression", "*/5 * * * *", None),
    ("cron_expression", "0 0 1,15 * mon-fri", None),
    ("cron_expression", "0 12 L jan-jun 5#3", None),
    ("cron_expression", "30 2 * * sun 10", None),
    ("cron_expression", "@daily", None),
    ("cron_expression", "", None),
    ("cron_expression", "* * * *", "expected 5 or 6 fields, found 4"),
    ("cron_expression", "60 * * * *", "60 is out of range 0-59"),
    ("cron_expression", "* 24 * * *", "hour"),
    ("cron_expression", "* * 0 * *", "day-of-month"),
    ("cron_expression", "* * * 13 *", "month"),
    ("cron_expression", "* * * * 8", "day-of-week"),
    ("cron_expression", "*/0 * * * *", "step"),
    ("cron_expression", "5-1 * * * *", "runs backwards"),
    ("cron_expression", "a * * * *", "'a' is not a number"),
    ("cron_expression", "1,,2 * * * *", "Invalid CRON expression"),
])
def test_common_custom_constraints(name, value, message):
    registry = default_custom_constraints()
    if message is None:
        registry.check(name, value)
    else:
        assert message in error_of(registry.check, name, value).message


def test_checker_messages_are_wrapped_as_heat_does():
    registry = default_custom_constraints()
    assert error_of(registry.check, "ip_addr", "x").message == \
        "Error validating value 'x': Invalid IP address"


@pytest.mark.parametrize("name", ["nova.flavor", "glance.image", "neutron.network",
                                  "cinder.volume", "keystone.project", "test_constr"])
def test_deferred_constraints_pass_until_a_checker_is_attached(name):
    registry = default_custom_constraints()
    assert registry.is_deferred(name)
    registry.check(name, "anything at all")

    def missing(value, context):
        raise InvalidArguments(f"The {name} ({value}) could not be found.")

    registry.attach(name, missing)
    assert error_of(registry.check, name, "m1.huge").message == \
        f"Error validating value 'm1.huge': The {name} (m1.huge) could not be found."


def test_attached_checkers_receive_the_context():
    registry = default_custom_constraints()
    seen = []
    registry.attach("nova.keypair", lambda value, context: seen.append((value, context)))
    registry.check("nova.keypair", "key", context="ctx")
    assert seen == [("key", "ctx")]


def test_attach_needs_a_deferred_name():
    registry = default_custom_constraints()
    with pytest.raises(KeyError):
        registry.attach("no.such", lambda v, c: None)
    with pytest.raises(KeyError):
        registry.attach("ip_addr", lambda v, c: None)


def test_unknown_names_fail_and_say_which():
    registry = default_custom_constraints()
    error = error_of(registry.check, "nova.flavour", "m1.small")
    assert error.message == '"m1.small" does not validate nova.flavour (constraint not found)'


def test_default_registry_knows_every_name_and_is_fresh():
    first, second = default_custom_constraints(), default_custom_constraints()
    for name in (*LOCAL_CHECKERS, *DEFERRED_NAMES):
        assert name in first
    assert not first.is_deferred("ip_addr")
    first.register("site.rack", lambda v, c: None)
    assert "site.rack" in first and "site.rack" not in second


def test_registry_entries_can_be_added_and_replaced():
    registry = CustomConstraints()

    def even(value, context):
        if value % 2:
            raise InvalidArguments("")

    registry.register("even", even)
    registry.check("even", 2)
    assert error_of(registry.check, "even", 3).message == "Error validating value '3'"
    copy = registry.copy()
    copy.register("even", lambda v, c: None)
    copy.check("even", 3)
    with pytest.raises(InvalidArguments):
        registry.check("even", 3)


def test_custom_constraint_checks_each_list_item():
    constraint = parse({"custom_constraint": "ip_addr"}, "comma_delimited_list")
    constraint.check(["10.0.0.1", "10.0.0.2"], custom=default_custom_constraints())
    error = error_of(constraint.check, ["10.0.0.1", "nope"], custom=default_custom_constraints())
    assert error.message == "Error validating value 'nope': Invalid IP address"


def test_custom_constraint_uses_the_given_registry():
    registry = CustomConstraints()
    constraint = parse({"custom_constraint": "ip_addr"})
    assert "constraint not found" in error_of(constraint.check, "1.2.3.4", custom=registry).message
