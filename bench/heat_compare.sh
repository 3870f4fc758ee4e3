#!/usr/bin/env bash
# Ours, then real Heat, on the same generated template; prints both medians and the ratio.
#
#   bash bench/heat_compare.sh [RESOURCES] [RUNS]      (defaults: 1000 5)
#
# HEAT_PY is the interpreter of a venv with Heat (see bench/heat_validate.py),
# default /tmp/heat-venv/bin/python; the template goes to $TMPDIR or /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
resources=${1:-1000}
runs=${2:-5}
heat_py=${HEAT_PY:-/tmp/heat-venv/bin/python}
file=${TMPDIR:-/tmp}/bench${resources}.yaml

ours=$(.venv/bin/python bench/template_bench.py --resources "$resources" --runs "$runs" --write "$file")
heat=$("$heat_py" bench/heat_validate.py "$file" --runs "$runs")
printf '== ours ==\n%s\n== heat ==\n%s\n' "$ours" "$heat"
total() { awk '$1 == "total" { print $2 }' <<<"$1"; }
awk -v o="$(total "$ours")" -v h="$(total "$heat")" \
    'BEGIN { printf "median total: ours %.1f ms, heat %.1f ms, heat/ours %.1fx\n", o, h, h / o }'
