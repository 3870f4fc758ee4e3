"""``orchestrator template validate``: what users see, exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestrator.cli import main


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def run(*args: str):
    result = CliRunner().invoke(main, ["template", "validate", *args])
    return result.exit_code, result.stdout, result.stderr


VALID = """
    heat_template_version: 2018-08-31
    parameters:
      size: {type: number, default: 2}
      password: {type: string, hidden: true, default: s3cret}
    resources:
      web:
        type: OS::Heat::TestResource
        properties:
          value: {get_attr: [db, output]}
      db:
        type: OS::Heat::TestResource
        properties:
          value: {get_param: size}
    outputs:
      answer:
        description: the value
        value: {get_attr: [web, output]}
"""


def test_a_valid_template_prints_its_plan(workdir):
    write(workdir / "t.yaml", VALID)
    code, out, err = run("t.yaml")
    assert code == 0, err
    assert out.splitlines()[0] == "t.yaml: valid HOT 2018-08-31 template"
    lines = [line.split() for line in out.splitlines()]
    assert ["size", "number", "=", "2"] in lines
    assert ["password", "string", "=", "******"] in lines
    order = [line[0] for line in lines if line and line[0] in ("db", "web")]
    assert order == ["db", "web"], "dependency order: web needs db"
    assert ["web", "OS::Heat::TestResource", "after", "db"] in lines
    assert ["answer", "the", "value"] in lines


def test_problems_are_printed_as_file_line_column_path_message(workdir):
    write(workdir / "sub" / "t.yaml", """
        heat_template_version: 2018-08-31
        resources:
          web:
            type: OS::Heat::TestResource
            properties:
              value: {get_param: missing}
    """)
    code, out, err = run("sub/t.yaml")
    assert code == 1
    assert out == ""
    first, summary = err.strip().splitlines()
    assert first == ("sub/t.yaml:6:15: resources.web.properties.value.get_param: The Parameter (missing) was "
                     "not provided: the template declares no parameter 'missing'")
    assert summary == "sub/t.yaml: 1 problem found"


def test_every_problem_is_reported_in_file_order(workdir):
    write(workdir / "t.yaml", """
        heat_template_version: 2014-10-16
        resources:
          a:
            type: OS::Heat::None
            properties: {x: {"Fn::Join": [",", []]}}
          b:
            properties: {}
          c:
            type: OS::Heat::None
            deletion_policy: Keep
    """)
    code, _, err = run("t.yaml")
    assert code == 1
    lines = err.strip().splitlines()
    assert [line.split(":")[1] for line in lines[:-1]] == ["5", "6", "10"]
    assert "removed after 2013-05-23" in lines[0]
    assert "Each resource must contain a type key." in lines[1]
    assert 'Invalid deletion policy "Keep"' in lines[2]
    assert lines[-1] == "t.yaml: 3 problems found"


def test_environment_files_and_parameters(workdir):
    write(workdir / "t.yaml", """
        heat_template_version: 2018-08-31
        parameters:
          flavor: {type: string, constraints: [{allowed_values: [small, large]}]}
          count: {type: number, default: 1}
        resources:
          thing: {type: My::Thing}
    """)
    write(workdir / "envs" / "env.yaml", """
        parameters:
          count: 3
        resource_registry:
          My::Thing: ../lib/thing.yaml
    """)
    write(workdir / "lib" / "thing.yaml", """
        heat_template_version: 2018-08-31
        resources:
          inner:
            type: OS::Heat::TestResource
            properties:
              value: {get_file: data.txt}
    """)
    write(workdir / "lib" / "data.txt", "hello\n")
    code, out, err = run("t.yaml", "-e", "envs/env.yaml", "-P", "flavor=large")
    assert code == 0, err
    assert ["count", "number", "=", "3"] in [line.split() for line in out.splitlines()]
    assert "thing  My::Thing -> " in out and "lib/thing.yaml" in out
    assert "(nested stack of thing)" in out

    code, _, err = run("t.yaml", "-e", "envs/env.yaml", "-P", "flavor=medium")
    assert code == 1
    assert "parameters.flavor: Parameter 'flavor' is invalid: \"medium\" is not an allowed value" in err


def test_required_parameters_need_no_value_to_validate(workdir):
    write(workdir / "t.yaml", """
        heat_template_version: 2018-08-31
        parameters:
          key: {type: string, constraints: [{length: {min: 4}}]}
        resources: {}
    """)
    code, out, err = run("t.yaml")
    assert code == 0, err
    assert "(required; no value given)" in out
    code, _, err = run("t.yaml", "-P", "key=ab")
    assert code == 1 and "length (2) is out of range" in err


def test_a_missing_file_is_reported_once_where_it_is_named(workdir):
    write(workdir / "t.yaml", """
        heat_template_version: 2018-08-31
        resources:
          config:
            type: OS::Heat::TestResource
            properties:
              value: {get_file: scripts/boot.sh}
    """)
    code, _, err = run("t.yaml")
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("t.yaml:6:15: resources.config.properties.value.get_file: Could not fetch contents")
    assert "scripts/boot.sh: No such file or directory" in lines[0]


def test_json_output(workdir):
    write(workdir / "t.yaml", VALID)
    code, out, _ = run("t.yaml", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["valid"] is True
    assert [r["name"] for r in data["resources"]] == ["db", "web"]
    write(workdir / "bad.yaml", "heat_template_version: 2099-01-01\n")
    code, out, _ = run("bad.yaml", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["valid"] is False
    assert data["problems"][0]["line"] == 1 and data["problems"][0]["path"] == "heat_template_version"


def test_bad_parameter_syntax_is_a_usage_error(workdir):
    write(workdir / "t.yaml", VALID)
    code, _, err = run("t.yaml", "-P", "novalue")
    assert code == 2 and "'novalue' is not KEY=VALUE" in err


def test_the_installed_command_runs(workdir):
    """The console script itself, in a subprocess, as users run it."""
    write(workdir / "t.yaml", VALID)
    command = Path(sys.executable).with_name("orchestrator")
    result = subprocess.run([str(command), "template", "validate", "t.yaml"], capture_output=True, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "error"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("t.yaml: valid HOT 2018-08-31 template")
