"""list_join, str_replace (and its strict forms), str_split, digest and make_url, against Heat's behaviour."""

from __future__ import annotations

import hashlib

import pytest

from orchestrator.template.errors import TemplateError

from .helpers import error_of, evaluate, parse


def params(**values):
    """Scope arguments giving the parameters ``values`` (to feed results of functions)."""
    return {"parameters": values}


P = {"get_param": "p"}  # a value known only at resolve time

RESULTS = [
    # list_join, 2013-05-23
    pytest.param("2013-05-23", {"list_join": ["-", ["a", "b", "c"]]}, {}, "a-b-c", id="join"),
    pytest.param("2013-05-23", {"list_join": ["-", ["a", None, "b"]]}, {}, "a--b", id="join-null-item"),
    pytest.param("2013-05-23", {"list_join": ["-", P]}, params(p=None), "", id="join-null-list"),
    pytest.param("2013-05-23", {"list_join": ["-", []]}, {}, "", id="join-empty-list"),
    pytest.param("2013-05-23", {"list_join": [P, ["a", "b"]]}, params(p=", "), "a, b", id="join-delimiter-param"),
    pytest.param("2013-05-23", {"list_join": ["", P]}, params(p=["x", "y"]), "xy", id="join-list-param"),
    # list_join, 2015-10-15: several lists, JSON for maps and lists
    pytest.param("2015-10-15", {"list_join": ["-", ["a"], ["b", "c"]]}, {}, "a-b-c", id="join-multiple"),
    pytest.param("2015-10-15", {"list_join": [",", [{"b": 1, "a": 2}, ["x", 1]]]}, {},
                 '{"a": 2, "b": 1},["x", 1]', id="join-json-sorted-keys"),
    pytest.param("2015-10-15", {"list_join": [",", ["a"], P]}, params(p=None), "a", id="join-multiple-null-list"),
    pytest.param("2015-10-15", {"list_join": [",", ["a"], P]}, params(p=""), "a", id="join-multiple-empty-value"),
    pytest.param("2015-10-15", {"list_join": [",", ["a", None]]}, {}, "a,", id="join-multiple-null-item"),
    # str_replace
    pytest.param("2013-05-23", {"str_replace": {"template": "Template var1 string var2",
                                                "params": {"var1": "foo", "var2": "bar"}}}, {},
                 "Template foo string bar", id="replace"),
    pytest.param("2013-05-23", {"str_replace": {"template": "foobar foo", "params": {"foo": "X", "foobar": "Y"}}},
                 {}, "Y X", id="replace-longest-first"),
    pytest.param("2013-05-23", {"str_replace": {"template": "abc", "params": {"bc": "2", "ab": "1"}}}, {},
                 "1c", id="replace-same-length-lexicographic"),
    pytest.param("2013-05-23", {"str_replace": {"template": "a", "params": {"a": "b", "b": "c"}}}, {},
                 "b", id="replace-values-not-rescanned"),
    pytest.param("2013-05-23", {"str_replace": {"template": "$n $f $b", "params": {"$n": 1, "$f": 1.5, "$b": True}}},
                 {}, "1 1.5 True", id="replace-numbers-and-booleans"),
    pytest.param("2013-05-23", {"str_replace": {"template": "[x]", "params": {"x": None}}}, {}, "[]",
                 id="replace-null-value"),
    pytest.param("2013-05-23", {"str_replace": {"template": "x y", "params": P}}, params(p={"x": "1", "y": "2"}),
                 "1 2", id="replace-params-from-param"),
    pytest.param("2013-05-23", {"str_replace": {"template": P, "params": {"x": "1"}}}, params(p="xx"),
                 "11", id="replace-template-from-param"),
    pytest.param("2013-05-23", {"str_replace": {"template": "x", "params": {"y": "1"}}}, {}, "x",
                 id="replace-unused-param-allowed"),
    pytest.param("2015-10-15", {"str_replace": {"template": "v", "params": {"v": {"foo": 123, "bar": 1}}}}, {},
                 '{"bar": 1, "foo": 123}', id="replace-json-map"),
    pytest.param("2015-10-15", {"str_replace": {"template": "v", "params": {"v": ["foo", 123]}}}, {},
                 '["foo", 123]', id="replace-json-list"),
    pytest.param("2015-10-15", {"str_replace": {"template": "v", "params": {"v": [P, 1]}}}, params(p="x"),
                 '["x", 1]', id="replace-json-list-holding-a-function"),
    pytest.param("2017-02-24", {"str_replace_strict": {"template": "a b", "params": {"a": "1", "b": ["x"]}}}, {},
                 '1 ["x"]', id="replace-strict"),
    pytest.param("2017-09-01", {"str_replace_vstrict": {"template": "a", "params": {"a": 0}}}, {}, "0",
                 id="replace-vstrict-zero-is-not-empty"),
    # str_split
    pytest.param("2015-10-15", {"str_split": [",", "a,b,c"]}, {}, ["a", "b", "c"], id="split"),
    pytest.param("2015-10-15", {"str_split": ["::", "a::b"]}, {}, ["a", "b"], id="split-long-delimiter"),
    pytest.param("2015-10-15", {"str_split": [",", "a,b,c", 1]}, {}, "b", id="split-index"),
    pytest.param("2015-10-15", {"str_split": [",", "a,b,c", "2"]}, {}, "c", id="split-index-string"),
    pytest.param("2015-10-15", {"str_split": [",", "a,b,c", -1]}, {}, "c", id="split-index-negative"),
    pytest.param("2015-10-15", {"str_split": [",", P]}, params(p=None), None, id="split-null-string"),
    pytest.param("2015-10-15", {"str_split": P}, params(p=[",", "x,y"]), ["x", "y"], id="split-args-from-param"),
    # digest
    pytest.param("2015-04-30", {"digest": ["md5", "foo"]}, {}, hashlib.md5(b"foo").hexdigest(), id="digest-md5"),
    pytest.param("2015-04-30", {"digest": ["sha512", "foo"]}, {}, hashlib.sha512(b"foo").hexdigest(),
                 id="digest-sha512"),
    pytest.param("2015-04-30", {"digest": ["SHA256", "foo"]}, {}, hashlib.sha256(b"foo").hexdigest(),
                 id="digest-algorithm-any-case"),
    pytest.param("2015-04-30", {"digest": ["md5", "\u00e9"]}, {}, hashlib.md5(b"\xe9").hexdigest(),
                 id="digest-latin-1-bytes"),
    pytest.param("2015-04-30", {"digest": ["sha1", P]}, params(p="x"), hashlib.sha1(b"x").hexdigest(),
                 id="digest-value-from-param"),
    # make_url
    pytest.param("2017-09-01", {"make_url": {"scheme": "https", "username": "user@x", "password": "p:w",
                                             "host": "example.com", "port": 8080, "path": "/a b",
                                             "query": {"q": "a/b c"}, "fragment": "frag ment"}}, {},
                 "https://user%40x:p%3Aw@example.com:8080/a%20b?q=a/b+c#frag%20ment", id="url-quoted"),
    pytest.param("2017-09-01", {"make_url": {"scheme": "http", "host": "::1", "port": "80"}}, {},
                 "http://[::1]:80", id="url-ipv6-bracketed-port-string"),
    pytest.param("2017-09-01", {"make_url": {"scheme": "http", "host": "[fe80::1]"}}, {}, "http://[fe80::1]",
                 id="url-ipv6-already-bracketed"),
    pytest.param("2017-09-01", {"make_url": {"scheme": "http", "host": "h", "path": "a"}}, {}, "http://h/a",
                 id="url-relative-path-gets-slash"),
    pytest.param("2017-09-01", {"make_url": {"host": "h", "password": "p"}}, {}, "//:p@h", id="url-password-only"),
    pytest.param("2017-09-01", {"make_url": {"scheme": "file", "path": "/etc/x"}}, {}, "file:///etc/x",
                 id="url-no-host"),
    pytest.param("2017-09-01", {"make_url": {"scheme": "http", "host": P}}, params(p="db.example"),
                 "http://db.example", id="url-host-from-param"),
]


@pytest.mark.parametrize("version, snippet, scope, expected", RESULTS)
def test_result(version, snippet, scope, expected):
    result = evaluate(snippet, version, **scope)
    assert result == expected
    assert type(result) is type(expected)


_ALL_URL_KEYS = "scheme, username, password, host, port, path, query, fragment"
_REPLACE_SYNTAX = ('"str_replace" syntax should be str_replace: {template: "This is var1 template var2", '
                   'params: {var1: a, var2: string}} (missing: params)')
_SPLIT_USAGE = 'Incorrect arguments to "str_split" should be: "str_split" : [ ",", "apples,pears", <index>]'
_VSTRICT_EMPTY = ("str_replace_vstrict has an undefined or empty value for param a, "
                  "must be a defined non-empty value")

ERRORS = [
    # list_join
    pytest.param("2013-05-23", {"list_join": "a,b"}, {},
                 'Incorrect arguments to "list_join" should be: "list_join" : [ " ", [ "str1", "str2"]]',
                 id="join-not-a-list"),
    pytest.param("2013-05-23", {"list_join": [",", ["a"], ["b"]]}, {},
                 'Incorrect arguments to "list_join" should be: "list_join" : [ " ", [ "str1", "str2"]]',
                 id="join-2013-one-list-only"),
    pytest.param("2015-10-15", {"list_join": [","]}, {},
                 'Incorrect arguments to "list_join" should be: "list_join" : [ " ", [ "str1", "str2"] ...]',
                 id="join-no-list"),
    pytest.param("2013-05-23", {"list_join": [1, ["a"]]}, {}, '"list_join" delimiter must be a string, not a number',
                 id="join-delimiter-literal"),
    pytest.param("2015-10-15", {"list_join": [P, ["a"]]}, params(p=["x"]),
                 '"list_join" delimiter must be a string, not a list', id="join-delimiter-from-param"),
    pytest.param("2013-05-23", {"list_join": [",", "abc"]}, {}, '"list_join" must operate on a list, not a string',
                 id="join-string-instead-of-list"),
    pytest.param("2015-10-15", {"list_join": [",", ["a"], {"a": 1}]}, {},
                 '"list_join" must operate on a list, not a map', id="join-multiple-map-instead-of-list"),
    pytest.param("2013-05-23", {"list_join": [",", ["a", {"foo": "json"}]]}, {},
                 "Items to join must be strings not {'foo': 'json'}", id="join-2013-no-json"),
    pytest.param("2013-05-23", {"list_join": [",", ["a", 1]]}, {}, "Items to join must be strings not 1",
                 id="join-2013-number-item"),
    pytest.param("2015-10-15", {"list_join": [",", [True]]}, {}, "Items to join must be string, map or list not True",
                 id="join-boolean-item"),
    pytest.param("2015-10-15", {"list_join": [",", [{1: "a", "b": 2}]]}, {},
                 "Items to join must be string, map or list. {1: 'a', 'b': 2} failed json serialization",
                 id="join-unserialisable-map"),
    # str_replace
    pytest.param("2013-05-23", {"str_replace": ["a"]}, {}, 'Arguments to "str_replace" must be a map',
                 id="replace-not-a-map"),
    pytest.param("2013-05-23", {"str_replace": {"template": "a"}}, {}, _REPLACE_SYNTAX, id="replace-missing-params"),
    pytest.param("2013-05-23", {"str_replace": {"template": "a", "params": ["a"]}}, {},
                 '"str_replace" parameters must be a mapping', id="replace-params-literal-list"),
    pytest.param("2013-05-23", {"str_replace": {"template": 5, "params": {}}}, {},
                 '"str_replace" template must be a string, not a number', id="replace-template-literal"),
    pytest.param("2013-05-23", {"str_replace": {"template": P, "params": {}}}, params(p=None),
                 '"str_replace" template must be a string, not null', id="replace-template-from-param"),
    pytest.param("2013-05-23", {"str_replace": {"template": "a", "params": P}}, params(p=["a"]),
                 '"str_replace" params must be a map, not a list', id="replace-params-from-param"),
    pytest.param("2013-05-23", {"str_replace": {"template": "a", "params": {1: "x"}}}, {},
                 '"str_replace" param placeholders must be strings, not a number', id="replace-number-placeholder"),
    pytest.param("2013-05-23", {"str_replace": {"template": "a", "params": {"": "x"}}}, {},
                 '"str_replace" param placeholders must not be empty', id="replace-empty-placeholder"),
    pytest.param("2013-05-23", {"str_replace": {"template": "v", "params": {"v": {"foo": 123}}}}, {},
                 '"str_replace" params must be strings or numbers, param v is not valid', id="replace-2013-no-json"),
    pytest.param("2013-05-23", {"str_replace": {"template": "v", "params": {"v": P}}}, params(p=["x"]),
                 '"str_replace" params must be strings or numbers, param v is not valid',
                 id="replace-2013-no-json-from-param"),
    pytest.param("2017-02-24", {"str_replace_strict": {"template": "x",
                                                       "params": {"x": "1", "a": "2", "bbb": "3", "cc": "4"}}}, {},
                 "The following params were not found in the template: bbb,cc,a", id="strict-missing-ordered"),
    pytest.param("2017-02-24", {"str_replace_strict": {"template": "foobar", "params": {"foo": "1", "foobar": "2"}}},
                 {}, "The following params were not found in the template: foo", id="strict-shadowed-placeholder"),
    pytest.param("2017-09-01", {"str_replace_vstrict": {"template": "a", "params": {"a": None}}}, {},
                 _VSTRICT_EMPTY, id="vstrict-null"),
    pytest.param("2017-09-01", {"str_replace_vstrict": {"template": "a", "params": {"a": ""}}}, {},
                 _VSTRICT_EMPTY, id="vstrict-empty-string"),
    pytest.param("2017-09-01", {"str_replace_vstrict": {"template": "a", "params": {"a": []}}}, {},
                 _VSTRICT_EMPTY, id="vstrict-empty-list"),
    pytest.param("2017-09-01", {"str_replace_vstrict": {"template": "a", "params": {"a": P}}}, params(p={}),
                 _VSTRICT_EMPTY, id="vstrict-empty-map-from-param"),
    pytest.param("2017-09-01", {"str_replace_vstrict": {"template": "b", "params": {"a": "1", "b": "2"}}}, {},
                 "The following params were not found in the template: a", id="vstrict-is-strict"),
    # str_split
    pytest.param("2015-10-15", {"str_split": "a,b"}, {}, _SPLIT_USAGE, id="split-string-argument"),
    pytest.param("2015-10-15", {"str_split": {"a": "b"}}, {}, _SPLIT_USAGE, id="split-map-argument"),
    pytest.param("2015-10-15", {"str_split": [","]}, {}, _SPLIT_USAGE, id="split-one-argument"),
    pytest.param("2015-10-15", {"str_split": P}, params(p=[","]), _SPLIT_USAGE, id="split-one-argument-from-param"),
    pytest.param("2015-10-15", {"str_split": [",", "a,b", "x"]}, {},
                 'Incorrect index to "str_split" should be: "str_split" : [ ",", "apples,pears", <index>]',
                 id="split-index-not-a-number"),
    pytest.param("2015-10-15", {"str_split": [",", "a,b,c", 5]}, {},
                 'Incorrect index to "str_split" should be between 0 and 2', id="split-index-out-of-range"),
    pytest.param("2015-10-15", {"str_split": [",", 5]}, {},
                 'The string to split with "str_split" must be a string, not a number', id="split-number"),
    pytest.param("2015-10-15", {"str_split": ["", "ab"]}, {},
                 'The delimiter of "str_split" must be a non-empty string', id="split-empty-delimiter"),
    # digest
    pytest.param("2015-04-30", {"digest": "md5"}, {}, 'Argument to function "digest" must be a list of strings',
                 id="digest-not-a-list"),
    pytest.param("2015-04-30", {"digest": ["md5", 1]}, {}, 'Argument to function "digest" must be a list of strings',
                 id="digest-number-value"),
    pytest.param("2015-04-30", {"digest": ["md5"]}, {}, 'Function "digest" usage: ["<algorithm>", "<value>"]',
                 id="digest-arity"),
    pytest.param("2015-04-30", {"digest": P}, params(p=["md5", "a", "b"]),
                 'Function "digest" usage: ["<algorithm>", "<value>"]', id="digest-arity-from-param"),
    pytest.param("2015-04-30", {"digest": ["md5", "\u20ac"]}, {},
                 'The value to "digest" must contain only Latin-1 characters', id="digest-not-latin-1"),
    # make_url
    pytest.param("2017-09-01", {"make_url": ["http"]}, {}, 'The arguments to "make_url" must be a map',
                 id="url-not-a-map"),
    pytest.param("2017-09-01", {"make_url": {"foo": "x", "bar": "y", "host": "h"}}, {},
                 f'Invalid arguments to "make_url": bar, foo (the arguments are {_ALL_URL_KEYS})',
                 id="url-unknown-keys"),
    pytest.param("2017-09-01", {"make_url": {"host": 5}}, {}, 'The "host" argument to "make_url" must be a string',
                 id="url-host-not-string"),
    pytest.param("2017-09-01", {"make_url": {"fragment": P, "query": {}}}, params(p=1),
                 'The "fragment" argument to "make_url" must be a string', id="url-fragment-from-param"),
    pytest.param("2017-09-01", {"make_url": {"query": ["a"]}}, {}, 'The "query" argument to "make_url" must be a map',
                 id="url-query-not-map"),
    pytest.param("2017-09-01", {"make_url": {"port": "abc"}}, {},
                 "Invalid URL port \"abc\" for make_url called with {'port': 'abc'}", id="url-port-not-number"),
    pytest.param("2017-09-01", {"make_url": {"port": True}}, {},
                 "Invalid URL port \"True\" for make_url called with {'port': True}", id="url-port-boolean"),
    pytest.param("2017-09-01", {"make_url": {"port": 0}}, {}, "Invalid URL port 0, must be in range 1-65535",
                 id="url-port-zero"),
    pytest.param("2017-09-01", {"make_url": {"port": P}}, params(p=65536),
                 "Invalid URL port 65536, must be in range 1-65535", id="url-port-too-big-from-param"),
    pytest.param("2017-09-01", {"make_url": {"scheme": "http:", "host": "h"}}, {},
                 "URL \"scheme\" should not contain ':'", id="url-scheme-colon"),
]


@pytest.mark.parametrize("version, snippet, scope, message", ERRORS)
def test_error(version, snippet, scope, message):
    assert error_of(snippet, version, **scope) == message


@pytest.mark.parametrize("snippet", [
    pytest.param({"digest": ["nope", "a"]}, id="literal"),
    pytest.param({"digest": [P, "a"]}, id="from-param"),
    pytest.param({"digest": ["shake_128", "a"]}, id="needs-a-length"),
])
def test_digest_unknown_algorithm_lists_the_known_ones(snippet):
    message = error_of(snippet, "2015-04-30", **params(p="nope"))
    assert message.startswith("Algorithm must be one of ")
    assert {"md5", "sha1", "sha256", "sha512"} <= set(message.split("of ", 1)[1].split(", "))
    assert "shake_128" not in message


NOT_YET_FUNCTIONS = [
    pytest.param("2014-10-16", {"str_split": [",", "a,b"]}, id="str_split-before-2015-10-15"),
    pytest.param("2014-10-16", {"digest": ["md5", "a"]}, id="digest-before-2015-04-30"),
    pytest.param("2016-10-14", {"str_replace_strict": {"template": "a", "params": {}}}, id="strict-before-2017-02-24"),
    pytest.param("2017-02-24", {"str_replace_vstrict": {"template": "a", "params": {}}}, id="vstrict-before-2017-09-01"),
    pytest.param("2017-02-24", {"make_url": {"host": "h"}}, id="make_url-before-2017-09-01"),
]


@pytest.mark.parametrize("version, snippet", NOT_YET_FUNCTIONS)
def test_function_of_a_later_version_is_plain_data(version, snippet):
    assert evaluate(snippet, version) == snippet


PATHS = [
    pytest.param({"list_join": [1, ["a"]]}, ("list_join", 0), id="join-delimiter"),
    pytest.param({"str_replace": {"template": "a", "params": {"a": {"x": 1}}}}, ("str_replace", "params", "a"),
                 id="replace-param-value"),
    pytest.param({"str_split": [",", "a", 9]}, ("str_split", 2), id="split-index"),
    pytest.param({"make_url": {"port": 0}}, ("make_url", "port"), id="url-port"),
]


@pytest.mark.parametrize("snippet, path", PATHS)
def test_error_points_at_the_argument(snippet, path):
    with pytest.raises(TemplateError) as caught:
        evaluate(snippet, "2013-05-23" if "str_replace" in snippet else "2017-09-01")
    assert caught.value.problems[0].path == path


def test_literal_shape_errors_are_found_when_parsing():
    with pytest.raises(TemplateError) as caught:
        parse({"a": {"list_join": "x"}, "b": {"make_url": {"port": 0}}}, "2017-09-01")
    assert [problem.path for problem in caught.value.problems] == [("a", "list_join"), ("b", "make_url", "port")]
