"""Time real OpenStack Heat validating a template, in process (no DB, no services).

Run it with the interpreter of a virtualenv that has Heat (never the project's
.venv: nothing of Heat belongs in this repository)::

    python3 -m venv /tmp/heat-venv
    /tmp/heat-venv/bin/pip install openstack-heat==27.0.1
    .venv/bin/python bench/template_bench.py --resources 1000 --write /tmp/bench1000.yaml
    /tmp/heat-venv/bin/python bench/heat_validate.py /tmp/bench1000.yaml --runs 5

One run times what heat-engine's create_stack does to a template before
it stores anything (EngineService._parse_template_and_validate_stack):

  parse     heat.common.template_format.parse(text)             YAML -> dict
  template  Template(...), merge_environments, Environment, tmpl.validate()
  stack     heat.engine.stack.Stack(admin RequestContext, 'bench', tmpl)
  validate  stack.validate(): parameters, conditions, resource definitions,
            dependencies, properties of each distinct definition, outputs

``--validate-only`` takes the validate_template API path for the last two
(strict_validate=False, validate_res_tmpl_only=True).  Left out, as they are
not template validation: the DB check that the stack name is unused, the
resource-type policy check and the deferred-auth check.  Nothing is stubbed:
with the native OS::Heat::* types used here no step reaches a DB or a client.

Prints the median of ``--runs`` runs after one warm-up run, in the format of
bench/template_bench.py.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
import warnings
from importlib.metadata import version

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # printed on import

from oslo_config import cfg  # noqa: E402

from heat.common import context, environment_util, template_format  # noqa: E402
from heat.engine import environment, resources, stack as stack_mod  # noqa: E402
from heat.engine import template as template_mod  # noqa: E402


def setup() -> context.RequestContext:
    """Config defaults, plugin registry and an admin context, as heat-engine's startup does."""
    cfg.CONF([], project="heat", default_config_files=[])  # option defaults, no heat.conf
    logging.getLogger("heat").setLevel(logging.ERROR)  # silence the plugin-registry warnings
    resources.initialise()
    return context.get_admin_context()


def run_once(ctx: context.RequestContext, text: str, validate_only: bool) -> dict[str, float]:
    """Seconds spent in each phase for one pass over ``text``."""
    start = time.perf_counter()
    document = template_format.parse(text)
    parsed = time.perf_counter()
    tmpl = template_mod.Template(document, files={})
    params: dict = {}
    environment_util.merge_environments(None, {}, params, tmpl.all_param_schemata({}))
    tmpl.env = environment.Environment(params)
    tmpl.validate()
    templated = time.perf_counter()
    stack = stack_mod.Stack(ctx, "bench", tmpl, strict_validate=not validate_only)
    built = time.perf_counter()
    stack.validate(validate_res_tmpl_only=validate_only)
    validated = time.perf_counter()
    assert len(stack.resources) > 0
    return {"parse": parsed - start, "template": templated - parsed, "stack": built - templated,
            "validate": validated - built, "total": validated - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--validate-only", action="store_true",
                        help="validate_template API path instead of create_stack's")
    args = parser.parse_args()

    with open(args.template) as f:
        text = f.read()
    ctx = setup()
    run_once(ctx, text, args.validate_only)  # warm-up: imports, yaql engine, caches
    runs = [run_once(ctx, text, args.validate_only) for _ in range(args.runs)]
    count = len(template_format.parse(text).get("resources", {}))
    path = "validate_template" if args.validate_only else "create_stack"
    print(f"template: {count} resources, {len(text) / 1024:.0f} KiB; median of {args.runs} runs "
          f"(Heat {version('openstack-heat')}, {path} path)")
    for phase in runs[0]:
        values = [run[phase] for run in runs]
        print(f"  {phase:<15} {statistics.median(values) * 1000:8.1f} ms   "
              f"(min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})")


if __name__ == "__main__":
    sys.exit(main())
