"""Benchmark: load + validate + compile a generated template with mixed functions.

    python bench/template_bench.py [--resources 1000] [--runs 7] [--write FILE]

Prints the median of each phase over ``--runs`` runs (in one process, after
one warm-up run) and the whole pipeline.  ``--write`` saves the generated
template, e.g. to validate the same file with real Heat
(bench/heat_validate.py) for the side-by-side figure in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generators import mixed_template  # noqa: E402
from orchestrator.template.compiler import compile_stack  # noqa: E402
from orchestrator.template.loader import load  # noqa: E402
from orchestrator.template.template import Template  # noqa: E402
from resources.registry import PluginRegistry  # noqa: E402

#: the plugin catalog, so compiling also checks property values as a real request does
CATALOG = PluginRegistry.discover()


def run_once(text: str) -> dict[str, float]:
    """Seconds spent in each phase for one pass over ``text``."""
    start = time.perf_counter()
    document = load(text, "bench.yaml")
    loaded = time.perf_counter()
    template = Template.parse(document)
    parsed = time.perf_counter()
    definition = compile_stack(template, catalog=CATALOG)
    compiled = time.perf_counter()
    assert len(definition.resources) > 0
    return {"load": loaded - start, "parse+validate": parsed - loaded, "compile": compiled - parsed,
            "total": compiled - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", help="also write the generated template to this file")
    args = parser.parse_args()

    text = mixed_template(args.resources)
    if args.write:
        Path(args.write).write_text(text)
    run_once(text)  # warm-up: imports, yaql engine, regex caches
    runs = [run_once(text) for _ in range(args.runs)]
    print(f"template: {args.resources} resources, {len(text) / 1024:.0f} KiB; median of {args.runs} runs")
    for phase in runs[0]:
        values = [run[phase] for run in runs]
        print(f"  {phase:<15} {statistics.median(values) * 1000:8.1f} ms   "
              f"(min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})")


if __name__ == "__main__":
    main()
