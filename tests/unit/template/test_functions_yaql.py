"""The yaql function: evaluation, Heat's limits, and errors that never leak out of yaql."""

from __future__ import annotations

import pytest

from orchestrator.template.errors import TemplateError
from orchestrator.template.functions import yaql_function

from .helpers import error_of, evaluate, parse


def yaql(expression, **more):
    return {"yaql": {"expression": expression, **more}}


P = {"get_param": "p"}

RESULTS = [
    pytest.param(yaql("$.data.var1.sum()", data={"var1": [3, 2, 1]}), {}, 6, id="sum"),
    pytest.param(yaql("$.data"), {}, {}, id="data-defaults-to-empty-map"),
    pytest.param(yaql("$.data.l.where($ > 1)", data={"l": [1, 2, 3]}), {}, [2, 3], id="where"),
    pytest.param(yaql("$.data.m", data={"m": {"a": [1]}}), {}, {"a": [1]}, id="map-result"),
    pytest.param(yaql("$.data.l.toSet()", data={"l": [2, 2]}), {}, [2], id="set-result-becomes-list"),
    pytest.param(yaql(P, data={"x": 2}), {"parameters": {"p": "$.data.x * 2"}}, 4, id="expression-from-param"),
    pytest.param(yaql("$.data.len()", data=P), {"parameters": {"p": [1, 2]}}, 2, id="data-from-param"),
    pytest.param(yaql("$.data.len()", data={"l": P}), {"parameters": {"p": list(range(300))}}, 1,
                 id="large-data-allowed"),
    pytest.param({"if": [yaql("$.data.x > 1", data={"x": 2}), "big", "small"]}, {}, "big", id="as-condition"),
]


@pytest.mark.parametrize("snippet, scope, expected", RESULTS)
def test_result(snippet, scope, expected):
    result = evaluate(snippet, "2017-09-01", **scope)
    assert result == expected
    assert type(result) is type(expected)


ERRORS = [
    pytest.param({"yaql": ["$.data"]}, {}, 'Arguments to "yaql" must be a map.', id="not-a-map"),
    pytest.param({"yaql": {"data": {}}}, {},
                 '"yaql" syntax should be yaql: {expression: $.data.var1.sum(), data: {var1: [3, 2, 1]}} '
                 "(missing expression)", id="missing-expression"),
    pytest.param(yaql("$.data", extra=1, other=2), {},
                 '"yaql" syntax should be yaql: {expression: $.data.var1.sum(), data: {var1: [3, 2, 1]}} '
                 "(unknown key extra, other)", id="unknown-keys"),
    pytest.param(yaql(5), {}, 'The "expression" argument to yaql must contain a string, not a number.',
                 id="expression-not-string"),
    pytest.param(yaql("1 +"), {}, "Bad expression Parse error: unexpected end of statement.", id="syntax-error"),
    pytest.param(yaql("'abc"), {}, "Bad expression Lexical error: illegal character ''' at position 0.",
                 id="lexical-error"),
    pytest.param(yaql(P), {"parameters": {"p": "$$$"}},
                 "Bad expression Parse error: unexpected '$' at position 1 of expression '$$$'.",
                 id="syntax-error-from-param"),
    pytest.param(yaql("range(1000).toList()"), {},
                 'Evaluating the expression of "yaql" failed: CollectionTooLargeException: '
                 "Collection length exceeds 200 elements", id="iterator-limit"),
    pytest.param(yaql("$.data.s * 100000", data={"s": "ab"}), {},
                 'Evaluating the expression of "yaql" failed: MemoryQuotaExceededException: '
                 "Expression consumed too much memory", id="memory-quota"),
    pytest.param(yaql("1 / 0"), {},
                 'Evaluating the expression of "yaql" failed: ZeroDivisionError: integer division or modulo by zero',
                 id="python-error-inside-yaql"),
    pytest.param(yaql("$.data.x.foo()"), {},
                 "Evaluating the expression of \"yaql\" failed: KeyError: 'x'", id="missing-key"),
    pytest.param(yaql("nosuch()"), {},
                 'Evaluating the expression of "yaql" failed: NoFunctionRegisteredException: Unknown function "nosuch"',
                 id="unknown-function"),
]


@pytest.mark.parametrize("snippet, scope, message", ERRORS)
def test_error(snippet, scope, message):
    assert error_of(snippet, "2016-10-14", **scope) == message


def test_literal_expression_syntax_is_checked_when_parsing():
    with pytest.raises(TemplateError) as caught:
        parse({"out": yaql("1 +")}, "2016-10-14")
    assert caught.value.problems[0].path == ("out", "yaql", "expression")


def test_yaql_is_plain_data_before_2016_10_14():
    snippet = yaql("$.data")
    assert evaluate(snippet, "2016-04-08") == snippet


def test_engine_is_built_once_per_process(monkeypatch):
    evaluate(yaql("1 + 1"), "2016-10-14")

    def no_new_engines(*args, **kwargs):
        raise AssertionError("a yaql engine was built again")

    monkeypatch.setattr(yaql_function.yaql, "YaqlFactory", no_new_engines)
    monkeypatch.setattr(yaql_function.yaql, "create_context", no_new_engines)
    assert evaluate(yaql("$.data.a + 2", data={"a": 1}), "2016-10-14") == 3
