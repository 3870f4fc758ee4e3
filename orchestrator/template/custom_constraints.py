"""Named value checks for ``custom_constraint``, and the registry that finds them.

Heat resolves a ``custom_constraint`` name through a plugin registry.  Some
checks need nothing but the value (an IP address, a time zone); those are
implemented here with the standard library.  Others ask a cloud whether a
flavor or image exists; the template language cannot do that, so those names
are registered as *deferred*: they are known (a template using them is fine)
and the service layer attaches the real checker later.  Until it does, a
deferred check passes, which is what validating a template offline needs.
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

from .errors import InvalidArguments

#: ``(value, context) -> None``; raises ``InvalidArguments`` with the reason.
Checker = Callable[[Any, Any], None]


@dataclass(frozen=True)
class _Entry:
    checker: Checker | None
    deferred: bool


class CustomConstraints:
    """A registry of named checks, so deployments can add or replace them."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def register(self, name: str, checker: Checker) -> None:
        """Make ``name`` run ``checker`` (replacing whatever it ran before)."""
        self._entries[name] = _Entry(checker, deferred=False)

    def register_deferred(self, name: str) -> None:
        """Declare ``name`` as a cloud check whose checker is attached later."""
        entry = self._entries.get(name)
        self._entries[name] = _Entry(entry.checker if entry else None, deferred=True)

    def attach(self, name: str, checker: Checker) -> None:
        """Give a deferred name its real checker (the service layer does this)."""
        entry = self._entries.get(name)
        if entry is None or not entry.deferred:
            raise KeyError(f"{name!r} is not a deferred custom constraint")
        self._entries[name] = _Entry(checker, deferred=True)

    def is_deferred(self, name: str) -> bool:
        """Whether ``name`` is a cloud check (attached or not)."""
        entry = self._entries.get(name)
        return entry is not None and entry.deferred

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def copy(self) -> CustomConstraints:
        """An independent registry with the same entries."""
        other = CustomConstraints()
        other._entries = dict(self._entries)
        return other

    def check(self, name: str, value: Any, context: Any = None, shown: str | None = None) -> None:
        """Run the check called ``name``; raise ``InvalidArguments`` in Heat's words.

        ``shown`` is how the value appears in the message (hidden parameters
        pass ``'******'`` so that a rejected secret is not echoed back).
        """
        text = str(value) if shown is None else shown
        entry = self._entries.get(name)
        if entry is None:
            raise InvalidArguments(f'"{text}" does not validate {name} (constraint not found)')
        if entry.checker is None:
            return
        try:
            entry.checker(value, context)
        except InvalidArguments as exc:
            if exc.message:
                raise InvalidArguments(f"Error validating value '{text}': {exc.message}") from None
            raise InvalidArguments(f"Error validating value '{text}'") from None


# -- network ----------------------------------------------------------------------

def _text(value: Any, message: str) -> str:
    if not isinstance(value, str):
        raise InvalidArguments(message)
    return value


def check_ip_addr(value: Any, context: Any = None) -> None:
    """An IPv4 or IPv6 address; IPv4 needs all four parts, as in Heat."""
    text = _text(value, "Invalid IP address")
    if not _is_ip(text):
        raise InvalidArguments("Invalid IP address")


def _is_ip(text: str) -> bool:
    # ipaddress, unlike netaddr, already refuses short IPv4 forms such as 1.2.3.
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


_MAC_FORMATS = (
    re.compile(r"[0-9a-f]{1,2}([:-])[0-9a-f]{1,2}(\1[0-9a-f]{1,2}){4}", re.I),  # unix / EUI-48
    re.compile(r"[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}", re.I),                # cisco
    re.compile(r"[0-9a-f]{6}:?[0-9a-f]{6}", re.I),                               # bare / pgsql
)


def check_mac_addr(value: Any, context: Any = None) -> None:
    """A 48-bit MAC address in any of the usual spellings (as netaddr accepts)."""
    text = _text(value, "Invalid MAC address.")
    if not any(pattern.fullmatch(text) for pattern in _MAC_FORMATS):
        raise InvalidArguments("Invalid MAC address.")


def check_net_cidr(value: Any, context: Any = None) -> None:
    """A network in CIDR notation; host bits may be set and the prefix may be omitted."""
    text = _text(value, f"Invalid net cidr {value}")
    if len(text.split()) > 1 or text != text.strip():
        raise InvalidArguments(f"Invalid net cidr '{text}' contains whitespace")
    address = text.partition("/")[0]
    if not _is_ip(address):
        raise InvalidArguments(f"Invalid net cidr invalid IPNetwork {text}")
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise InvalidArguments(f"Invalid net cidr {exc}") from None


# -- DNS ----------------------------------------------------------------------------

_FQDN_MAX_LEN = 255
_LABEL_MAX_LEN = 63
# Heat's label rule is lower case only; we keep it so the same names pass.
_LABEL = re.compile(r"[a-z0-9-]{1,%d}" % _LABEL_MAX_LEN)


def _dns_format_error(text: str) -> str | None:
    trimmed = text[:-1] if text.endswith(".") else text
    if len(trimmed) > _FQDN_MAX_LEN:
        return f"'{trimmed}' exceeds the {_FQDN_MAX_LEN} character FQDN limit"
    labels = trimmed.split(".")
    for label in labels:
        if not label:
            return "Encountered an empty component."
        if label.startswith("-") or label.endswith("-"):
            return f"Name '{label}' must not start or end with a hyphen."
        if not _LABEL.fullmatch(label):
            return (f"Name '{label}' must be 1-{_LABEL_MAX_LEN} characters long, each of which can "
                    "only be alphanumeric or a hyphen.")
    # RFC 1123: a top-level domain is never all digits.
    if text.endswith(".") and len(labels) > 1 and labels[-1].isdigit():
        return f"TLD '{labels[-1]}' must not be all numeric."
    return None


def check_dns_name(value: Any, context: Any = None) -> None:
    """A host or domain name, absolute or relative; empty is allowed."""
    if not value:
        return
    text = _text(value, f"'{value}' not in valid format. Reason: not a string")
    error = _dns_format_error(text)
    if error:
        raise InvalidArguments(f"'{text}' not in valid format. Reason: {error}")


def check_dns_domain(value: Any, context: Any = None) -> None:
    """An absolute domain name (ending in a dot)."""
    if not value:
        return
    check_dns_name(value, context)
    if not value.endswith("."):
        raise InvalidArguments(f"'{value}' must end with '.'.")


def check_rel_dns_name(value: Any, context: Any = None) -> None:
    """A relative name that still fits in an FQDN once a domain is appended."""
    if not value:
        return
    text = _text(value, f"'{value}' not in valid format. Reason: not a string")
    if text.endswith("."):
        raise InvalidArguments(f"'{text}' is a FQDN. It should be a relative domain name.")
    if len(text) > _FQDN_MAX_LEN - 3:
        raise InvalidArguments(
            f"'{text}' contains '{len(text)}' characters. Adding a domain name will cause it to "
            f"exceed the maximum length of a FQDN of '{_FQDN_MAX_LEN}'.")
    check_dns_name(text, context)


# -- time ---------------------------------------------------------------------------

def _parse_iso(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:  # Heat's ISO parser assumes UTC
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def check_iso_8601(value: Any, context: Any = None) -> None:
    """An ISO 8601 date or date and time."""
    try:
        _parse_iso(_text(value, ""))
    except ValueError:
        raise InvalidArguments("") from None


def check_expiration(value: Any, context: Any = None) -> None:
    """An ISO 8601 date and time that is still in the future; empty is allowed."""
    if not value:
        return
    text = _text(value, f"Expiration {value} is invalid: Unable to parse date string '{value}'")
    try:
        moment = _parse_iso(text.strip())
    except ValueError:
        raise InvalidArguments(
            f"Expiration {text} is invalid: Unable to parse date string '{text}'") from None
    if moment <= datetime.now(timezone.utc):
        raise InvalidArguments(f"Expiration {text} is invalid: Expiration time is out of date.")


def check_timezone(value: Any, context: Any = None) -> None:
    """A name from the tz database; empty is allowed."""
    if not value:
        return
    try:
        zoneinfo.ZoneInfo(_text(value, ""))
    except (InvalidArguments, ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise InvalidArguments(f"Invalid timezone: '{value}'") from None


# -- cron ---------------------------------------------------------------------------

_MONTHS = {name: number for number, name in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_DAYS = {name: number for number, name in enumerate("sun mon tue wed thu fri sat".split())}


@dataclass(frozen=True)
class _CronField:
    name: str
    low: int
    high: int
    names: dict[str, int]
    special: re.Pattern | None = None  # forms only this field accepts (L, 5#3, 5L)


_CRON_FIELDS = (
    _CronField("minute", 0, 59, {}),
    _CronField("hour", 0, 23, {}),
    _CronField("day-of-month", 1, 31, {}, re.compile(r"L|\?", re.I)),
    _CronField("month", 1, 12, _MONTHS),
    _CronField("day-of-week", 0, 7, _DAYS, re.compile(r"\?|(\w+)(#[1-5]|L)", re.I)),
    _CronField("second", 0, 59, {}),
)

_CRON_ALIASES = frozenset(("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
                           "@hourly"))


def check_cron_expression(value: Any, context: Any = None) -> None:
    """A cron schedule: five fields (an optional sixth for seconds) or an @alias."""
    if not value:
        return
    text = _text(value, "Invalid CRON expression: not a string")
    if text.strip().lower() in _CRON_ALIASES:
        return
    fields = text.split()
    if len(fields) not in (5, 6):
        raise InvalidArguments(
            f"Invalid CRON expression: expected 5 or 6 fields, found {len(fields)}")
    for spec, field in zip(fields, _CRON_FIELDS):
        for item in spec.split(","):
            error = _cron_item_error(item, field)
            if error:
                raise InvalidArguments(f"Invalid CRON expression: [{item}] in the {field.name} "
                                       f"field: {error}")


def _cron_item_error(item: str, field: _CronField) -> str | None:
    if field.special is not None:
        special = field.special.fullmatch(item)
        if special is not None:
            base = special.groups()[0] if special.groups() else None
            return _cron_value_error(base, field) if base else None
    base, slash, step = item.partition("/")
    if slash and not (step.isdigit() and int(step) > 0):
        return f"step {step!r} is not a positive integer"
    if base == "*":
        return None
    low, dash, high = base.partition("-")
    error = _cron_value_error(low, field)
    if error or not dash:
        return error
    error = _cron_value_error(high, field)
    if error is None and _cron_number(low, field) > _cron_number(high, field):
        error = f"range {base} runs backwards"
    return error


def _cron_number(text: str, field: _CronField) -> int:
    lowered = text.lower()
    return field.names[lowered] if lowered in field.names else int(text)


def _cron_value_error(text: str, field: _CronField) -> str | None:
    if text.lower() in field.names:
        return None
    if not text.isdigit():
        return f"{text!r} is not a number" + (" or a name" if field.names else "")
    if not field.low <= int(text) <= field.high:
        return f"{text} is out of range {field.low}-{field.high}"
    return None


# -- the default registry ---------------------------------------------------------------

#: Checks that need nothing but the value.
LOCAL_CHECKERS: dict[str, Checker] = {
    "ip_addr": check_ip_addr,
    "net_cidr": check_net_cidr,
    "mac_addr": check_mac_addr,
    "iso_8601": check_iso_8601,
    "expiration": check_expiration,
    "dns_name": check_dns_name,
    "dns_domain": check_dns_domain,
    "rel_dns_name": check_rel_dns_name,
    "timezone": check_timezone,
    "cron_expression": check_cron_expression,
}

#: Heat's service constraint names, checked against a cloud once one is attached.
DEFERRED_NAMES: tuple[str, ...] = (
    "test_constr",
    "barbican.container", "barbican.secret",
    "blazar.reservation",
    "cinder.backup", "cinder.qos_specs", "cinder.snapshot", "cinder.volume", "cinder.vtype",
    "designate.domain", "designate.zone",
    "glance.image",
    "heat.resource_type",
    "ironic.node", "ironic.portgroup",
    "keystone.domain", "keystone.group", "keystone.project", "keystone.region", "keystone.role",
    "keystone.service", "keystone.user",
    "magnum.baymodel", "magnum.cluster_template",
    "manila.share_network", "manila.share_snapshot", "manila.share_type",
    "mistral.workflow",
    "monasca.notification",
    "neutron.address_scope", "neutron.availability_zone", "neutron.flow_classifier",
    "neutron.lb.provider", "neutron.lbaas.listener", "neutron.lbaas.loadbalancer",
    "neutron.lbaas.pool", "neutron.lbaas.provider", "neutron.network", "neutron.port",
    "neutron.port_pair", "neutron.port_pair_group", "neutron.qos_policy", "neutron.router",
    "neutron.security_group", "neutron.segment", "neutron.subnet", "neutron.subnetpool",
    "nova.flavor", "nova.host", "nova.keypair", "nova.network", "nova.server",
    "octavia.flavor", "octavia.flavorprofile", "octavia.l7policy", "octavia.listener",
    "octavia.loadbalancer", "octavia.pool",
    "sahara.cluster", "sahara.cluster_template", "sahara.data_source", "sahara.image",
    "sahara.job_binary", "sahara.job_type", "sahara.plugin",
    "senlin.cluster", "senlin.policy_type", "senlin.profile", "senlin.profile_type",
    "trove.flavor",
    "zun.container",
)


def default_custom_constraints(extra_deferred: Iterable[str] = ()) -> CustomConstraints:
    """A fresh registry with every name Heat knows (local checks real, cloud ones deferred)."""
    registry = CustomConstraints()
    for name, checker in LOCAL_CHECKERS.items():
        registry.register(name, checker)
    for name in (*DEFERRED_NAMES, *extra_deferred):
        registry.register_deferred(name)
    return registry
