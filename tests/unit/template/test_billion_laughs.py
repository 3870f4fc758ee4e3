"""Documents built to exhaust memory or time are refused, quickly, with a ``TemplateError``.

The loader budgets YAML aliases by the number of nodes they would add and
checks nesting depth as each level opens, so hostile documents fail after
reading a few hundred events instead of expanding (or recursing) first.
The classic "billion laughs" must be refused in under 100 ms; the timing
takes the best of five runs so a busy CI machine does not make it flaky.
"""

from __future__ import annotations

import time

import pytest
import yaml

from orchestrator.template.errors import TemplateError
from orchestrator.template.loader import DEFAULT_LIMITS, load
from orchestrator.template.template import Template

ALIAS_MESSAGE = (f"YAML aliases expand to more than {DEFAULT_LIMITS.max_alias_nodes} nodes; refusing to "
                 "expand them (is this a 'billion laughs' document?)")


def _libyaml_limits_depth() -> bool:
    """Whether the installed libyaml refuses flow nesting past its own limit of 1000 (0.2.6+)."""
    try:
        list(yaml.parse("[" * 1001, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except yaml.MarkedYAMLError as exc:
        return exc.problem == "exceeded maximum nesting depth"
    return False


#: libyaml 0.2.6+ scans a run of flow brackets ahead of the parser, so it stops
#: at its level 1001 before the loader's own check opens level 101
FLOW_LEVEL_SHIFT = 900 if _libyaml_limits_depth() else 0


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    """``lol1`` holds ``width`` strings; each further level holds ``width`` aliases of the one before."""
    lines = ["heat_template_version: 2016-10-14",
             "lol1: &lol1 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(2, levels + 1):
        lines.append(f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def best_time_to_refuse(text: str, runs: int = 5, loader=load) -> tuple[float, TemplateError]:
    """The fastest of ``runs`` refusals of ``text`` (seconds), and the error of the last one."""
    best = float("inf")
    error = None
    for _ in range(runs):
        started = time.perf_counter()
        try:
            loader(text, "bomb.yaml")
        except TemplateError as exc:
            elapsed = time.perf_counter() - started
            error = exc
        else:
            pytest.fail("the document was accepted")
        best = min(best, elapsed)
    return best, error


def test_billion_laughs_is_refused_in_under_100_ms():
    """9 levels of 10: 10**9 strings if expanded; refused at the first alias over the budget."""
    text = billion_laughs(9, 10)
    elapsed, error = best_time_to_refuse(text)
    assert elapsed < 0.100, f"refusing took {elapsed * 1000:.1f} ms"
    [problem] = error.problems
    assert problem.message == ALIAS_MESSAGE
    # Aliases add 10 * 11 (lol2) + 10 * 111 (lol3) = 1220 nodes, then 1111 per *lol3 in lol4: the
    # 8th one (line 5, after "lol4: &lol4 [" and 7 times "*lol3, ") takes the total over 10000.
    assert (problem.source, problem.line, problem.column) == ("bomb.yaml", 5, 14 + 7 * 7)


def test_billion_laughs_is_refused_by_template_load_too():
    elapsed, error = best_time_to_refuse(billion_laughs(9, 10), loader=Template.load)
    assert elapsed < 0.100
    assert error.problems[0].message == ALIAS_MESSAGE


@pytest.mark.parametrize("levels, width, refused", [
    (3, 20, False),  # aliases add 20 * 21 + 20 * 421 = 8840 nodes
    (4, 10, True),  # 10 * 11 + 10 * 111 + 10 * 1111 = 12330 nodes
    (2, 99, False),  # 99 aliases of a 100-node list: 9900 nodes
    (2, 100, True),  # 100 aliases of a 101-node list: 10100 nodes
])
def test_alias_trees_are_expanded_up_to_the_budget(levels, width, refused):
    """Small alias trees are expanded; ones whose expansion passes the budget are refused."""
    text = billion_laughs(levels, width)
    if refused:
        with pytest.raises(TemplateError) as caught:
            load(text)
        assert caught.value.problems[0].message == ALIAS_MESSAGE
    else:
        assert len(load(text).data[f"lol{levels}"]) == width


def test_three_levels_of_ten_are_expanded():
    data = load(billion_laughs(3, 10)).data
    assert len(data["lol3"]) == 10 and len(data["lol3"][0]) == 10 and data["lol3"][9][9] == ["lol"] * 10


@pytest.mark.parametrize("anchor, aliases", [
    ("[" + ", ".join(["x"] * 5000) + "]", 5000),  # one big list, aliased many times
    ("'" + "x" * 100_000 + "'", 50_000),  # one big string: each alias is 1 node, so many are allowed...
])
def test_quadratic_blowup_is_refused(anchor, aliases):
    """A large anchor aliased many times: the text is small, the expansion quadratic."""
    text = f"base: &b {anchor}\nuse: [" + ", ".join(["*b"] * aliases) + "]\n"
    assert len(text.encode()) < DEFAULT_LIMITS.max_bytes
    elapsed, error = best_time_to_refuse(text, runs=3)
    assert elapsed < 0.5
    [problem] = error.problems
    assert problem.message == ALIAS_MESSAGE
    assert problem.line == 2


def test_big_string_aliased_within_the_budget_is_shared_not_copied():
    """A big scalar counts as one node per alias: a few thousand references are fine."""
    text = "base: &b '" + "x" * 100_000 + "'\nuse: [" + ", ".join(["*b"] * 1000) + "]\n"
    data = load(text).data
    assert len(data["use"]) == 1000 and data["use"][999] is data["base"]


@pytest.mark.parametrize("name, text, position", [
    ("yaml flow lists", "a: " + "[" * 100_000 + "]" * 100_000, (1, 103 + FLOW_LEVEL_SHIFT)),
    ("json objects", '{"a": ' * 70_000 + "1" + "}" * 70_000, (1, 601)),  # just under the size limit
    ("json in a yaml value", "a: " + '{"b": ' * 50_000 + "1" + "}" * 50_000, (1, 598)),
    ("unclosed", "[" * 200_000, (1, 101 + FLOW_LEVEL_SHIFT)),
])
def test_json_in_yaml_nesting_bomb_is_refused_quickly(name, text, position):
    """Deep nesting is refused as the 101st level opens: no recursion, no reading to the end."""
    elapsed, error = best_time_to_refuse(text, runs=3)
    assert elapsed < 0.5, f"{name}: {elapsed * 1000:.1f} ms"
    [problem] = error.problems
    assert problem.message == "nesting is deeper than 100 levels"
    assert (problem.line, problem.column) == position


def test_nesting_bomb_that_only_the_json_parser_reads_is_refused():
    """A leading tab sends JSON to the JSON parser: its recursion limit must not escape as RecursionError."""
    for depth in (150, 100_000):
        with pytest.raises(TemplateError) as caught:
            load("\t" + "[" * depth + "]" * depth, "bomb.json")
        assert caught.value.problems[0].source == "bomb.json"
