"""Every HOT version, as data: its sections, keys and table of functions.

Each version is written as the changes it made to the one before, so the
tables read like Heat's release notes and a new version is one entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping

from .functions import cfn, logic, references, sequences, strings
from .functions.yaql_function import Yaql

VERSION_KEY = "heat_template_version"
CFN_VERSION_KEYS = ("AWSTemplateFormatVersion", "HeatTemplateFormatVersion")


@dataclass(frozen=True)
class HotVersion:
    """One HOT version: what a template of that version may contain."""

    date: str
    aliases: tuple[str, ...]
    sections: frozenset[str]
    resource_keys: frozenset[str]
    output_keys: frozenset[str]
    parameter_keys: frozenset[str]
    constraint_keys: frozenset[str]
    deletion_policies: Mapping[str, str]
    functions: Mapping[str, type]
    condition_functions: Mapping[str, type]
    #: function name -> the last version that still had it
    removed: Mapping[str, str] = field(default_factory=dict)

    @property
    def has_conditions(self) -> bool:
        """Whether this version has the ``conditions`` section."""
        return "conditions" in self.sections

    def __str__(self) -> str:
        return self.date


def _derive(previous: HotVersion, date: str, *, aliases=(), add=None, remove=(), sections=(),
            resource_keys=(), output_keys=(), parameter_keys=(), constraint_keys=(),
            deletion_policies=None, condition_functions=None) -> HotVersion:
    functions = dict(previous.functions)
    functions.update(add or {})
    removed = dict(previous.removed)
    for name in remove:
        del functions[name]
        removed[name] = previous.date
    conditions = dict(previous.condition_functions)
    conditions.update(condition_functions or {})
    policies = dict(previous.deletion_policies)
    policies.update(deletion_policies or {})
    return replace(
        previous,
        date=date,
        aliases=tuple(aliases),
        sections=previous.sections | set(sections),
        resource_keys=previous.resource_keys | set(resource_keys),
        output_keys=previous.output_keys | set(output_keys),
        parameter_keys=previous.parameter_keys | set(parameter_keys),
        constraint_keys=previous.constraint_keys | set(constraint_keys),
        deletion_policies=MappingProxyType(policies),
        functions=MappingProxyType(functions),
        condition_functions=MappingProxyType(conditions),
        removed=MappingProxyType(removed),
    )


_CFN_FUNCTIONS = {
    "Fn::GetAZs": cfn.GetAZs,
    "Ref": cfn.Ref,
    "Fn::Join": cfn.Join,
    "Fn::Split": cfn.Split,
    "Fn::Replace": cfn.Replace,
    "Fn::Base64": cfn.Base64,
    "Fn::MemberListToMap": cfn.MemberListToMap,
    "Fn::ResourceFacade": cfn.ResourceFacade,
}

V2013_05_23 = HotVersion(
    date="2013-05-23",
    aliases=(),
    sections=frozenset(
        ("heat_template_version", "description", "parameter_groups", "parameters", "resources", "outputs")
    ),
    resource_keys=frozenset(
        ("type", "properties", "metadata", "depends_on", "deletion_policy", "update_policy", "description")
    ),
    output_keys=frozenset(("value", "description")),
    # "schema" is accepted and ignored, as Heat's parameter parser does.
    parameter_keys=frozenset(
        ("type", "label", "description", "default", "hidden", "constraints", "immutable", "schema")
    ),
    constraint_keys=frozenset(("length", "range", "allowed_values", "allowed_pattern", "custom_constraint")),
    deletion_policies=MappingProxyType({"Delete": "Delete", "Retain": "Retain", "Snapshot": "Snapshot"}),
    functions=MappingProxyType({
        "get_param": references.GetParam,
        "get_resource": references.GetResource,
        "get_attr": references.GetAttThenSelect,
        "get_file": references.GetFile,
        "resource_facade": references.ResourceFacade,
        "list_join": strings.Join,
        "str_replace": strings.Replace,
        "Fn::Select": cfn.Select,
        **_CFN_FUNCTIONS,
    }),
    condition_functions=MappingProxyType({}),
)

V2014_10_16 = _derive(
    V2013_05_23, "2014-10-16",
    add={"get_attr": references.GetAtt},
    remove=tuple(_CFN_FUNCTIONS),
)

V2015_04_30 = _derive(
    V2014_10_16, "2015-04-30",
    add={"repeat": sequences.Repeat, "digest": strings.Digest},
)

V2015_10_15 = _derive(
    V2015_04_30, "2015-10-15",
    add={
        "get_attr": references.GetAttAll,
        "list_join": strings.JoinMultiple,
        "str_replace": strings.ReplaceJson,
        "str_split": strings.StrSplit,
    },
    remove=("Fn::Select",),
)

V2016_04_08 = _derive(V2015_10_15, "2016-04-08", add={"map_merge": sequences.MapMerge})

V2016_10_14 = _derive(
    V2016_04_08, "2016-10-14",
    aliases=("newton",),
    add={"repeat": sequences.RepeatWithMap, "yaql": Yaql, "map_replace": sequences.MapReplace, "if": logic.If},
    sections=("conditions",),
    resource_keys=("external_id", "condition"),
    output_keys=("condition",),
    deletion_policies={"delete": "Delete", "retain": "Retain", "snapshot": "Snapshot"},
    condition_functions={
        "get_param": references.GetParam,
        "equals": logic.Equals,
        "not": logic.Not,
        "and": logic.And,
        "or": logic.Or,
    },
)

V2017_02_24 = _derive(
    V2016_10_14, "2017-02-24",
    aliases=("ocata",),
    add={"filter": sequences.Filter, "str_replace_strict": strings.ReplaceStrict},
    constraint_keys=("modulo",),
)

V2017_09_01 = _derive(
    V2017_02_24, "2017-09-01",
    aliases=("pike",),
    add={
        "repeat": sequences.RepeatWithNestedLoop,
        "make_url": strings.MakeURL,
        "list_concat": sequences.ListConcat,
        "list_concat_unique": sequences.ListConcatUnique,
        "str_replace_vstrict": strings.ReplaceVeryStrict,
        "contains": sequences.Contains,
    },
    condition_functions={"yaql": Yaql, "contains": sequences.Contains},
)

V2018_03_02 = _derive(V2017_09_01, "2018-03-02", aliases=("queens",), parameter_keys=("tags",))

V2018_08_31 = _derive(V2018_03_02, "2018-08-31", aliases=("rocky",))

V2021_04_16 = _derive(V2018_08_31, "2021-04-16", aliases=("wallaby",), add={"if": logic.IfNullable})

ALL_VERSIONS: tuple[HotVersion, ...] = (
    V2013_05_23, V2014_10_16, V2015_04_30, V2015_10_15, V2016_04_08, V2016_10_14,
    V2017_02_24, V2017_09_01, V2018_03_02, V2018_08_31, V2021_04_16,
)

_BY_NAME: dict[str, HotVersion] = {}
for _version in ALL_VERSIONS:
    _BY_NAME[_version.date] = _version
    for _alias in _version.aliases:
        _BY_NAME[_alias] = _version

#: The first version in which each function name appeared (for helpful warnings).
FIRST_APPEARANCE: dict[str, str] = {}
for _version in ALL_VERSIONS:
    for _name in list(_version.functions) + list(_version.condition_functions):
        FIRST_APPEARANCE.setdefault(_name, _version.date)


def first_version_with(attribute: str, key: str) -> str | None:
    """The first version whose ``attribute`` (``parameter_keys``, ``constraint_keys``, …) holds ``key``."""
    return next((v.date for v in ALL_VERSIONS if key in getattr(v, attribute)), None)


def by_name(name: object) -> HotVersion | None:
    """The version called ``name`` (a date or a code name), or ``None``."""
    if not isinstance(name, str):
        return None
    return _BY_NAME.get(name)


def valid_names() -> list[str]:
    """Every accepted value of ``heat_template_version``."""
    return list(_BY_NAME)
