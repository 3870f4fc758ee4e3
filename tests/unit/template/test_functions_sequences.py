"""repeat, map_merge, map_replace, filter, list_concat(_unique) and contains, against Heat's behaviour."""

from __future__ import annotations

import pytest

from .helpers import error_of, evaluate


def params(**values):
    """Scope arguments giving the parameters ``values`` (to feed results of functions)."""
    return {"parameters": values}


P = {"get_param": "p"}  # a value known only at resolve time
Q = {"get_param": "q"}


def repeat(for_each, template, **more):
    return {"repeat": {"for_each": for_each, "template": template, **more}}


RESULTS = [
    # repeat
    pytest.param("2015-04-30", repeat({"%v%": ["a", "b"]}, "x-%v%"), {}, ["x-a", "x-b"], id="repeat"),
    pytest.param("2015-04-30", repeat({"%v%": ["a"]}, {"%v%": ["%v%", {"k": "in-%v%"}, 7]}), {},
                 [{"a": ["a", {"k": "in-a"}, 7]}], id="repeat-keys-and-nested-values"),
    pytest.param("2015-04-30", repeat({"%a%": ["1", "2"], "%b%": ["x", "y"]}, "%a%%b%"), {},
                 ["1x", "1y", "2x", "2y"], id="repeat-cartesian-product"),
    pytest.param("2015-04-30", repeat({"%a%": ["%b%"], "%b%": ["x"]}, "%a%"), {}, ["x"],
                 id="repeat-replaces-in-order"),
    pytest.param("2015-04-30", repeat({"%v%": P}, "%v%"), params(p=None), [], id="repeat-null-list"),
    pytest.param("2015-04-30", repeat({"%v%": P, "%w%": ["a"]}, "%v%"), params(p=None), [],
                 id="repeat-null-list-empties-product"),
    pytest.param("2015-04-30", repeat({"%v%": [1, 2]}, 7), {}, [7, 7], id="repeat-numbers-into-non-string"),
    pytest.param("2015-04-30", repeat(P, "%v%"), params(p={"%v%": ["a"]}), ["a"], id="repeat-for-each-from-param"),
    pytest.param("2015-04-30", repeat({"%v%": ["a"]}, P), params(p="<%v%>"), ["<a>"],
                 id="repeat-template-resolved-first"),
    pytest.param("2016-10-14", repeat({"%k%": {"x": 1, "y": 2}}, "%k%"), {}, ["x", "y"], id="repeat-map-keys"),
    pytest.param("2017-09-01", repeat({"%a%": ["1", "2"], "%b%": ["x", "y"]}, "%a%%b%", permutations=False), {},
                 ["1x", "2y"], id="repeat-zip"),
    pytest.param("2017-09-01", repeat({"%a%": ["1"], "%b%": ["x"]}, "%a%%b%", permutations=True), {},
                 ["1x"], id="repeat-permutations-true"),
    pytest.param("2017-09-01", repeat({"%a%": P, "%b%": ["x"]}, "%a%", permutations=False), params(p=None), [],
                 id="repeat-zip-null-list-not-counted"),
    # map_merge
    pytest.param("2016-04-08", {"map_merge": [{"a": 1}, {"b": 2}, {"a": 3}]}, {}, {"a": 3, "b": 2},
                 id="merge-later-wins"),
    pytest.param("2016-04-08", {"map_merge": [{"a": 1}, None]}, {}, {"a": 1}, id="merge-null-map"),
    pytest.param("2016-04-08", {"map_merge": [P, {"b": 2}]}, params(p={"a": {"x": 1}}), {"a": {"x": 1}, "b": 2},
                 id="merge-from-param"),
    pytest.param("2016-04-08", {"map_merge": P}, params(p=[{"a": 1}, None]), {"a": 1}, id="merge-list-from-param"),
    pytest.param("2016-04-08", {"map_merge": []}, {}, {}, id="merge-nothing"),
    # map_replace
    pytest.param("2016-10-14", {"map_replace": [{"k1": "v1", "k2": "v2"},
                                                {"keys": {"k1": "K1"}, "values": {"v2": "V2"}}]}, {},
                 {"K1": "v1", "k2": "V2"}, id="replace-keys-and-values"),
    pytest.param("2016-10-14", {"map_replace": [{"k": "v"}, {"keys": {"k": None}}]}, {}, {"k": "v"},
                 id="replace-null-key-keeps-key"),
    pytest.param("2016-10-14", {"map_replace": [{"k": ["v"], "n": 1}, {"values": {"v": "x", 1: "one"}}]}, {},
                 {"k": ["v"], "n": "one"}, id="replace-list-values-kept"),
    pytest.param("2016-10-14", {"map_replace": [{"k": "v"}, None]}, {}, {"k": "v"}, id="replace-null-replacements"),
    pytest.param("2016-10-14", {"map_replace": [None, {"keys": {}}]}, {}, {}, id="replace-null-map"),
    pytest.param("2016-10-14", {"map_replace": [P, {"keys": {"a": "b"}}]}, params(p={"a": 1}), {"b": 1},
                 id="replace-map-from-param"),
    # filter
    pytest.param("2017-02-24", {"filter": [[1, 3], [1, 2, 3, 4]]}, {}, [2, 4], id="filter"),
    pytest.param("2017-02-24", {"filter": [[{"a": 1}], [{"a": 1}, {"b": 2}]]}, {}, [{"b": 2}], id="filter-maps"),
    pytest.param("2017-02-24", {"filter": [None, [1, 2]]}, {}, [1, 2], id="filter-null-values"),
    pytest.param("2017-02-24", {"filter": [[], [1, 2]]}, {}, [1, 2], id="filter-no-values"),
    pytest.param("2017-02-24", {"filter": [[1], P]}, params(p=None), None, id="filter-null-sequence"),
    pytest.param("2017-02-24", {"filter": [[1], []]}, {}, [], id="filter-empty-sequence"),
    pytest.param("2017-02-24", {"filter": [[1], P]}, params(p=""), "", id="filter-empty-string-as-is"),
    pytest.param("2017-02-24", {"filter": [P, Q]}, {"parameters": {"p": ["a"], "q": ["a", "b"]}}, ["b"],
                 id="filter-from-params"),
    # list_concat(_unique)
    pytest.param("2017-09-01", {"list_concat": [[1, 2], [2, 3]]}, {}, [1, 2, 2, 3], id="concat"),
    pytest.param("2017-09-01", {"list_concat": [[1], None, []]}, {}, [1], id="concat-null-and-empty"),
    pytest.param("2017-09-01", {"list_concat": []}, {}, [], id="concat-nothing"),
    pytest.param("2017-09-01", {"list_concat": [P, ["b"]]}, params(p=["a"]), ["a", "b"], id="concat-from-param"),
    pytest.param("2017-09-01", {"list_concat_unique": [["v1", "v2"], ["v1", "v3"]]}, {}, ["v1", "v2", "v3"],
                 id="unique-first-occurrence"),
    pytest.param("2017-09-01", {"list_concat_unique": [[0, 1, 0, 2, 1, 2]]}, {}, [0, 1, 2], id="unique-within-list"),
    pytest.param("2017-09-01", {"list_concat_unique": [[{"v1": "v2"}], [{"v1": "v2"}]]}, {}, [{"v1": "v2"}],
                 id="unique-maps"),
    # contains
    pytest.param("2017-09-01", {"contains": ["a", ["a", "b"]]}, {}, True, id="contains"),
    pytest.param("2017-09-01", {"contains": ["c", ["a", "b"]]}, {}, False, id="contains-not"),
    pytest.param("2017-09-01", {"contains": [1, [1, 2]]}, {}, True, id="contains-number"),
    pytest.param("2017-09-01", {"contains": ["ell", "hello"]}, {}, True, id="contains-substring"),
    pytest.param("2017-09-01", {"contains": [P, Q]}, {"parameters": {"p": "x", "q": ["x"]}}, True,
                 id="contains-from-params"),
    pytest.param("2017-09-01", {"if": [{"contains": ["a", ["a"]]}, "yes", "no"]}, {}, "yes",
                 id="contains-as-condition"),
]


@pytest.mark.parametrize("version, snippet, scope, expected", RESULTS)
def test_result(version, snippet, scope, expected):
    result = evaluate(snippet, version, **scope)
    assert result == expected
    assert type(result) is type(expected)


_REPEAT_SYNTAX = ('"repeat" syntax should be repeat: {template: "This is %var%", '
                  "for_each: {%var%: ['a', 'b', 'c']}} (missing: template)")
_MAP_REPLACE_EXAMPLE = ('"map_replace" : [ { "key1": "val1" }, '
                        '{"keys": {"key1": "key2"}, "values": {"val1": "val2"}}]')
_CONCAT_USAGE = ('Incorrect arguments to "list_concat" should be: '
                 '"list_concat" : [ [ <value 1>, <value 2> ], [ <value 3>, <value 4> ] ]')

ERRORS = [
    # repeat
    pytest.param("2015-04-30", {"repeat": ["a"]}, {}, 'Arguments to "repeat" must be a map', id="repeat-not-a-map"),
    pytest.param("2015-04-30", {"repeat": {"for_each": {"%v%": ["a"]}}}, {}, _REPEAT_SYNTAX,
                 id="repeat-missing-template"),
    pytest.param("2015-04-30", repeat({"%v%": ["a"]}, "%v%", extra=1), {},
                 'Unknown argument "extra" to "repeat": the arguments are for_each, template', id="repeat-unknown-key"),
    pytest.param("2016-10-14", repeat({"%v%": ["a"]}, "%v%", permutations=False), {},
                 'Unknown argument "permutations" to "repeat": the arguments are for_each, template',
                 id="repeat-permutations-before-2017-09-01"),
    pytest.param("2017-09-01", repeat({"%v%": ["a"]}, "%v%", permutations="no"), {},
                 '"permutations" should be boolean type for repeat function.', id="repeat-permutations-not-boolean"),
    pytest.param("2015-04-30", repeat(["a"], "%v%"), {}, 'The "for_each" argument to "repeat" must contain a map',
                 id="repeat-for-each-list"),
    pytest.param("2015-04-30", repeat(P, "%v%"), params(p="a"),
                 'The "for_each" argument to "repeat" must contain a map', id="repeat-for-each-from-param"),
    pytest.param("2015-04-30", repeat({}, "%v%"), {},
                 'The "for_each" argument to "repeat" must name at least one variable', id="repeat-no-variables"),
    pytest.param("2015-04-30", repeat({1: ["a"]}, "x"), {},
                 'The variables in the "for_each" argument to "repeat" must be strings', id="repeat-number-variable"),
    pytest.param("2015-10-15", repeat({"%v%": "abc"}, "%v%"), {},
                 'The values of the "for_each" argument to "repeat" must be lists', id="repeat-string-values"),
    pytest.param("2015-10-15", repeat({"%v%": {"a": 1}}, "%v%"), {},
                 'The values of the "for_each" argument to "repeat" must be lists', id="repeat-map-before-2016-10-14"),
    pytest.param("2016-10-14", repeat({"%v%": P}, "%v%"), params(p="abc"),
                 'The values of the "for_each" argument to "repeat" must be lists or maps',
                 id="repeat-string-values-from-param"),
    pytest.param("2017-09-01", repeat({"%v%": {"a": 1}}, "%v%", permutations=False), {},
                 'The values of the "for_each" argument to "repeat" must be lists', id="repeat-zip-map"),
    pytest.param("2017-09-01", repeat({"%a%": ["1", "2"], "%b%": ["x"]}, "%a%", permutations=False), {},
                 "For repeat, the length of for_each values should be equal if no nested loop.",
                 id="repeat-zip-unequal-lengths"),
    pytest.param("2015-04-30", repeat({"%v%": [80, 443]}, {"port": "%v%"}), {},
                 'The values of the "for_each" variable %v% of "repeat" must be strings to be substituted into '
                 "the template, not a number", id="repeat-number-into-string"),
    # map_merge
    pytest.param("2016-04-08", {"map_merge": {"a": 1}}, {},
                 'Incorrect arguments to "map_merge" should be: "map_merge" : [ { "key1": "val1" }, '
                 '{ "key2": "val2" } ]', id="merge-not-a-list"),
    pytest.param("2016-04-08", {"map_merge": [{"a": 1}, 1]}, {},
                 "Incorrect arguments: Items to merge must be maps. 1 is a number instead of a map", id="merge-number"),
    pytest.param("2016-04-08", {"map_merge": [P]}, params(p=["x"]),
                 "Incorrect arguments: Items to merge must be maps. ['x'] is a list instead of a map",
                 id="merge-list-from-param"),
    # map_replace
    pytest.param("2016-10-14", {"map_replace": {"a": 1}}, {},
                 f'Incorrect arguments to "map_replace" should be: {_MAP_REPLACE_EXAMPLE} (two arguments are needed)',
                 id="replace-not-a-list"),
    pytest.param("2016-10-14", {"map_replace": [{}, {}, {}]}, {},
                 f'Incorrect arguments to "map_replace" should be: {_MAP_REPLACE_EXAMPLE} (two arguments are needed)',
                 id="replace-three-arguments"),
    pytest.param("2016-10-14", {"map_replace": [["a"], {}]}, {},
                 f'Incorrect arguments: to "map_replace", arguments must be a list of maps. '
                 f"Example:  {_MAP_REPLACE_EXAMPLE}", id="replace-list-to-replace-in"),
    pytest.param("2016-10-14", {"map_replace": [{}, {"keys": {}, "foo": {}}]}, {},
                 f'Incorrect arguments to "map_replace" should be: {_MAP_REPLACE_EXAMPLE} (unknown key "foo")',
                 id="replace-unknown-key"),
    pytest.param("2016-10-14", {"map_replace": [{}, {"keys": "a"}]}, {},
                 f'Incorrect arguments: to "map_replace", arguments must be a list of maps. '
                 f"Example:  {_MAP_REPLACE_EXAMPLE}", id="replace-keys-not-a-map"),
    pytest.param("2016-10-14", {"map_replace": [{}, P]}, params(p={"values": ["x"]}),
                 f'Incorrect arguments: to "map_replace", arguments must be a list of maps. '
                 f"Example:  {_MAP_REPLACE_EXAMPLE}", id="replace-values-not-a-map-from-param"),
    pytest.param("2016-10-14", {"map_replace": [{"a": 1, "b": 2}, {"keys": {"a": "b"}}]}, {},
                 "key replacement b collides with a key in the input map", id="replace-collides-input"),
    pytest.param("2016-10-14", {"map_replace": [{"a": 1, "b": 2}, {"keys": {"a": "c", "b": "c"}}]}, {},
                 "key replacement c collides with a key in the output map", id="replace-collides-output"),
    pytest.param("2016-10-14", {"map_replace": [{"a": 1}, {"keys": {"a": ["x"]}}]}, {},
                 "key replacement ['x'] for a must be a string or a number", id="replace-key-to-list"),
    # filter
    pytest.param("2017-02-24", {"filter": "abc"}, {}, 'Argument to "filter" must be a list', id="filter-not-a-list"),
    pytest.param("2017-02-24", {"filter": [[1], [1], [2]]}, {},
                 '"filter" expected 2 arguments of the form [values, sequence] but got 3 arguments instead',
                 id="filter-arity"),
    pytest.param("2017-02-24", {"filter": [[1], "abc"]}, {}, '"filter" only works with lists',
                 id="filter-string-sequence"),
    pytest.param("2017-02-24", {"filter": ["a", ["a"]]}, {},
                 '"filter" filters a list of values: the values to remove must be a list', id="filter-string-values"),
    # list_concat
    pytest.param("2017-09-01", {"list_concat": "abc"}, {}, _CONCAT_USAGE, id="concat-not-a-list"),
    pytest.param("2017-09-01", {"list_concat": [[1], "x"]}, {},
                 'Incorrect arguments: Items to concat must be lists. [[1], "x"] contains an item that is not a '
                 'list: "x"', id="concat-string-item"),
    pytest.param("2017-09-01", {"list_concat_unique": [P]}, params(p={"a": 1}),
                 'Incorrect arguments: Items to concat must be lists. [{"a": 1}] contains an item that is not a '
                 'list: {"a": 1}', id="unique-map-item-from-param"),
    # contains
    pytest.param("2017-09-01", {"contains": "abc"}, {},
                 'Incorrect arguments to "contains" should be: "contains" : [ "value1", [ "value1", "value2"]]',
                 id="contains-not-a-list"),
    pytest.param("2017-09-01", {"contains": []}, {},
                 'Incorrect arguments to "contains" should be: "contains" : [ "value1", [ "value1", "value2"]]',
                 id="contains-empty"),
    pytest.param("2017-09-01", {"contains": ["a"]}, {},
                 'Arguments to "contains" must be of the form: [value1, [value1, value2]]', id="contains-arity"),
    pytest.param("2017-09-01", {"contains": ["a", {"a": 1}]}, {},
                 'Second argument to "contains" should be a sequence, not a map.', id="contains-map"),
    pytest.param("2017-09-01", {"contains": ["a", P]}, params(p=None),
                 'Second argument to "contains" should be a sequence, not null.', id="contains-null"),
    pytest.param("2017-09-01", {"contains": [1, "a1"]}, {},
                 'The value to look for in a string with "contains" must be a string, not a number',
                 id="contains-number-in-string"),
]


@pytest.mark.parametrize("version, snippet, scope, message", ERRORS)
def test_error(version, snippet, scope, message):
    assert error_of(snippet, version, **scope) == message


NOT_YET_FUNCTIONS = [
    pytest.param("2014-10-16", repeat({"%v%": ["a"]}, "%v%"), id="repeat-before-2015-04-30"),
    pytest.param("2015-10-15", {"map_merge": [{"a": 1}]}, id="map_merge-before-2016-04-08"),
    pytest.param("2016-04-08", {"map_replace": [{"a": 1}, {}]}, id="map_replace-before-2016-10-14"),
    pytest.param("2016-10-14", {"filter": [[1], [1, 2]]}, id="filter-before-2017-02-24"),
    pytest.param("2017-02-24", {"list_concat": [[1]]}, id="list_concat-before-2017-09-01"),
    pytest.param("2017-02-24", {"list_concat_unique": [[1]]}, id="list_concat_unique-before-2017-09-01"),
    pytest.param("2017-02-24", {"contains": ["a", ["a"]]}, id="contains-before-2017-09-01"),
]


@pytest.mark.parametrize("version, snippet", NOT_YET_FUNCTIONS)
def test_function_of_a_later_version_is_plain_data(version, snippet):
    assert evaluate(snippet, version) == snippet


def test_repeat_does_not_share_structure_between_copies():
    first, second = evaluate(repeat({"%v%": ["a", "b"]}, {"list": ["%v%"]}), "2015-04-30")
    first["list"].append("changed")
    assert second == {"list": ["b"]}
