"""The CloudFormation-style functions of HOT 2013-05-23, against Heat's behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from orchestrator.template.functions.base import dependencies

from .helpers import FakeScope, error_of, evaluate, parse

P = {"get_param": "p"}
SCOPE = {
    "parameters": {"size": "m1.small", "p": None},
    "resources": {"server": {"ref": "id-1"}},
    "facade_values": {"metadata": {"a": 1}, "deletion_policy": "Retain", "update_policy": {"u": 2}},
}


def with_p(value):
    """The standard scope with the parameter ``p`` set to ``value``."""
    return {**SCOPE, "parameters": {**SCOPE["parameters"], "p": value}}


RESULTS = [
    pytest.param({"Ref": "size"}, SCOPE, "m1.small", id="ref-parameter"),
    pytest.param({"Ref": "server"}, SCOPE, "id-1", id="ref-resource"),
    pytest.param({"Ref": P}, with_p("server"), "id-1", id="ref-name-from-param"),
    pytest.param({"Fn::GetAZs": ""}, SCOPE, [], id="azs-unknown"),
    pytest.param({"Fn::Select": [1, ["a", "b"]]}, SCOPE, "b", id="select-list"),
    pytest.param({"Fn::Select": ["1", ["a", "b"]]}, SCOPE, "b", id="select-string-index"),
    pytest.param({"Fn::Select": [5, ["a", "b"]]}, SCOPE, "", id="select-out-of-range"),
    pytest.param({"Fn::Select": [-1, ["a", "b"]]}, SCOPE, "b", id="select-negative-index"),
    pytest.param({"Fn::Select": ["k", {"k": "v"}]}, SCOPE, "v", id="select-map"),
    pytest.param({"Fn::Select": ["x", {"k": "v"}]}, SCOPE, "", id="select-map-missing"),
    pytest.param({"Fn::Select": [0, '["a", "b"]']}, SCOPE, "a", id="select-json-list"),
    pytest.param({"Fn::Select": ["k", '{"k": [1]}']}, SCOPE, [1], id="select-json-map"),
    pytest.param({"Fn::Select": [0, ""]}, SCOPE, "", id="select-empty-string"),
    pytest.param({"Fn::Select": [0, P]}, with_p(None), "", id="select-null"),
    pytest.param({"Fn::Select": [0, "null"]}, SCOPE, "", id="select-json-null"),
    pytest.param({"Fn::Join": [",", ["a", None, "b"]]}, SCOPE, "a,,b", id="join"),
    pytest.param({"Fn::Join": [",", P]}, with_p(None), "", id="join-null-list"),
    pytest.param({"Fn::Split": [",", "a,b"]}, SCOPE, ["a", "b"], id="split"),
    pytest.param({"Fn::Split": [",", P]}, with_p("x"), ["x"], id="split-from-param"),
    pytest.param({"Fn::Replace": [{"$a": "x", "$ab": "y"}, "$ab $a"]}, SCOPE, "y x", id="replace-longest-first"),
    pytest.param({"Fn::Replace": [{"$n": 1, "$z": None}, "$n$z"]}, SCOPE, "1", id="replace-number-and-null"),
    pytest.param({"Fn::Base64": "plain text"}, SCOPE, "plain text", id="base64-is-identity"),
    pytest.param({"Fn::MemberListToMap": ["Name", "Value", [".member.0.Name=key", ".member.0.Value=door",
                                                            ".member.1.Name=a", ".member.1.Value=b=c"]]},
                 SCOPE, {"key": "door", "a": "b=c"}, id="member-list"),
    pytest.param({"Fn::MemberListToMap": ["Name", "Value", [".member.2.Name=k2", ".member.2.Value=v2",
                                                            ".member.1.Name=k1", ".member.1.Value=v1",
                                                            ".member.3.Name=lonely", "Other.member.4.Name=x"]]},
                 SCOPE, {"k1": "v1", "k2": "v2"}, id="member-list-incomplete-members-dropped"),
    pytest.param({"Fn::ResourceFacade": "Metadata"}, SCOPE, {"a": 1}, id="facade-metadata"),
    pytest.param({"Fn::ResourceFacade": "DeletionPolicy"}, SCOPE, "Retain", id="facade-deletion-policy"),
    pytest.param({"Fn::ResourceFacade": "UpdatePolicy"}, SCOPE, {"u": 2}, id="facade-update-policy"),
]


@pytest.mark.parametrize("snippet, scope, expected", RESULTS)
def test_result(snippet, scope, expected):
    result = evaluate(snippet, "2013-05-23", **scope)
    assert result == expected
    assert type(result) is type(expected)


_REPLACE_USAGE = ('Incorrect arguments to "Fn::Replace" should be: '
                  '{"Fn::Replace": [ {"$var1": "foo", "%var2%": "bar"}, "$var1 is %var2%"]}')
_MEMBER_USAGE = ('Wrong Arguments try: "{"Fn::MemberListToMap": ["Name", "Value", '
                 '[".member.0.Name=key", ".member.0.Value=door"]]}"')
_SELECT_USAGE = 'Arguments to "Fn::Select" must be of the form [index, collection]'

ERRORS = [
    pytest.param({"Ref": "nothing"}, SCOPE,
                 "The specified reference \"nothing\" is incorrect: there is no parameter or resource named 'nothing'",
                 id="ref-unknown"),
    pytest.param({"Ref": ["size"]}, SCOPE, 'Argument to "Ref" must be a parameter or resource name (a string)',
                 id="ref-not-a-name"),
    pytest.param({"Ref": P}, with_p(5), 'Argument to "Ref" must be a parameter or resource name (a string), '
                                        "not a number", id="ref-not-a-name-from-param"),
    pytest.param({"Fn::Select": [1]}, SCOPE, _SELECT_USAGE, id="select-arity"),
    pytest.param({"Fn::Select": "a"}, SCOPE, _SELECT_USAGE, id="select-not-a-list"),
    pytest.param({"Fn::Select": [1, {"k": "v"}]}, SCOPE, 'Index to "Fn::Select" must be a string',
                 id="select-map-number-index"),
    pytest.param({"Fn::Select": ["x", ["a"]]}, SCOPE, 'Index to "Fn::Select" must be an integer',
                 id="select-list-word-index"),
    pytest.param({"Fn::Select": [0, "[1,"]}, SCOPE, '"Fn::Select": Expecting value: line 1 column 4 (char 3)',
                 id="select-bad-json"),
    pytest.param({"Fn::Select": [0, 5]}, SCOPE,
                 "Arguments to Fn::Select not fully resolved: the collection is a number, not a list, a map or "
                 "JSON text of one", id="select-number"),
    pytest.param({"Fn::Join": "a"}, SCOPE,
                 'Incorrect arguments to "Fn::Join" should be: "Fn::Join" : [ " ", [ "str1", "str2"]]',
                 id="join-not-a-list"),
    pytest.param({"Fn::Join": [",", ["a", 1]]}, SCOPE, "Items to join must be strings not 1", id="join-number-item"),
    pytest.param({"Fn::Split": ",a"}, SCOPE,
                 'Incorrect arguments to "Fn::Split" should be: "Fn::Split" : [ ",", "str1,str2"]',
                 id="split-not-a-list"),
    pytest.param({"Fn::Split": [1, "a"]}, SCOPE, "Delimiter for Fn::Split must be a non-empty string",
                 id="split-number-delimiter"),
    pytest.param({"Fn::Split": [",", P]}, with_p(None), "String to split must be string; got null",
                 id="split-null-string"),
    pytest.param({"Fn::Replace": {"$a": "x"}}, SCOPE, _REPLACE_USAGE, id="replace-map-arguments"),
    pytest.param({"Fn::Replace": [{"$a": "x"}]}, SCOPE, _REPLACE_USAGE, id="replace-arity"),
    pytest.param({"Fn::Replace": [["$a"], "x"]}, SCOPE, '"Fn::Replace" parameters must be a mapping',
                 id="replace-params-not-a-map"),
    pytest.param({"Fn::Replace": [{"$a": "x"}, 5]}, SCOPE, '"Fn::Replace" template must be a string, not a number',
                 id="replace-template-not-string"),
    pytest.param({"Fn::Replace": [{"$a": ["x"]}, "$a"]}, SCOPE,
                 '"Fn::Replace" params must be strings or numbers, param $a is not valid', id="replace-list-value"),
    pytest.param({"Fn::Base64": P}, with_p(["x"]), '"Fn::Base64" argument must be a string, not a list',
                 id="base64-not-string"),
    pytest.param({"Fn::MemberListToMap": ["Name", ["a"]]}, SCOPE, _MEMBER_USAGE, id="member-list-arity"),
    pytest.param({"Fn::MemberListToMap": [1, "Value", []]}, SCOPE, "Fn::MemberListToMap Key Name must be a string",
                 id="member-list-key-name"),
    pytest.param({"Fn::MemberListToMap": ["Name", P, []]}, with_p(2),
                 "Fn::MemberListToMap Value Name must be a string", id="member-list-value-name-from-param"),
    pytest.param({"Fn::MemberListToMap": ["Name", "Value", "abc"]}, SCOPE, "Member list must be a list",
                 id="member-list-not-a-list"),
    pytest.param({"Fn::MemberListToMap": ["Name", "Value", [1]]}, SCOPE, "Member list items must be strings",
                 id="member-list-number-item"),
    pytest.param({"Fn::MemberListToMap": ["Name", "Value", [".member.0.Name"]]}, SCOPE,
                 'Member list item ".member.0.Name" must be of the form ".member.<n>.<name>=<value>"',
                 id="member-list-item-without-value"),
    pytest.param({"Fn::ResourceFacade": "metadata"}, SCOPE,
                 'Incorrect arguments to "Fn::ResourceFacade" should be: Fn::ResourceFacade: '
                 "(Metadata|DeletionPolicy|UpdatePolicy)", id="facade-hot-spelling"),
]


@pytest.mark.parametrize("snippet, scope, message", ERRORS)
def test_error(snippet, scope, message):
    assert error_of(snippet, "2013-05-23", **scope) == message


@dataclass
class ZonedScope(FakeScope):
    """A scope that knows the cloud's availability zones."""

    zones: list = field(default_factory=list)

    def availability_zones(self):
        return self.zones


def test_get_azs_asks_a_scope_that_knows_the_zones():
    assert evaluate({"Fn::GetAZs": ""}, "2013-05-23", scope=ZonedScope(zones=["az1", "az2"])) == ["az1", "az2"]


@pytest.mark.parametrize("snippet, expected", [
    pytest.param({"Ref": "server"}, ["server"], id="resource"),
    pytest.param({"Ref": "size"}, [], id="parameter"),
])
def test_ref_depends_only_on_resources(snippet, expected):
    assert list(dependencies(parse(snippet, "2013-05-23"), FakeScope(**SCOPE))) == expected


VERSIONS = [
    pytest.param("2014-10-16", {"Fn::Select": [0, ["a"]]}, "a", id="select-kept-in-2014-10-16"),
    pytest.param("2015-04-30", {"Fn::Select": [0, ["a"]]}, "a", id="select-kept-in-2015-04-30"),
]


@pytest.mark.parametrize("version, snippet, expected", VERSIONS)
def test_select_outlives_the_other_cfn_functions(version, snippet, expected):
    assert evaluate(snippet, version) == expected


REMOVED = [
    pytest.param("2015-10-15", {"Fn::Select": [0, ["a"]]}, "Fn::Select", "2015-04-30", id="select"),
    pytest.param("2014-10-16", {"Fn::Join": [",", ["a"]]}, "Fn::Join", "2013-05-23", id="join"),
    pytest.param("2014-10-16", {"Ref": "size"}, "Ref", "2013-05-23", id="ref"),
    pytest.param("2014-10-16", {"Fn::Base64": "a"}, "Fn::Base64", "2013-05-23", id="base64"),
    pytest.param("2014-10-16", {"Fn::ResourceFacade": "Metadata"}, "Fn::ResourceFacade", "2013-05-23", id="facade"),
]


@pytest.mark.parametrize("version, snippet, name, last", REMOVED)
def test_removed_function_is_an_error(version, snippet, name, last):
    assert error_of(snippet, version, **SCOPE) == (
        f'The function "{name}" is not supported in this version of HOT ({version}); it was removed after {last}')
