"""The example templates and environments users start from stay valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.template.environment import load_environment
from orchestrator.template.files import gather
from orchestrator.template.validation import Validator
from resources.registry import PluginRegistry

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p for p in (ROOT / "templates").glob("*.yaml"))
ENVIRONMENTS = sorted(p for p in (ROOT / "environments").glob("*.yaml"))


def test_there_are_examples():
    assert len(TEMPLATES) >= 3 and len(ENVIRONMENTS) >= 3


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_example_template_validates(path):
    bundle = gather(str(path))
    report = Validator(catalog=PluginRegistry.discover(), allow_unknown_types=True,
                       documents=bundle.documents).validate(bundle.template, files=bundle.files)
    assert bundle.problems == [] and report.all_problems() == []


@pytest.mark.parametrize("path", ENVIRONMENTS, ids=lambda p: p.name)
def test_example_environment_loads(path):
    load_environment(path.read_text(), str(path))


def test_the_environments_work_together_with_the_web_app():
    bundle = gather(str(ROOT / "templates/web_app.yaml"), [str(p) for p in ENVIRONMENTS])
    report = Validator(catalog=PluginRegistry.discover(), allow_unknown_types=True,
                       documents=bundle.documents).validate(
        bundle.template, files=bundle.files, environment_files=bundle.environment_files)
    assert report.all_problems() == []
    definition = report.definition
    assert definition.parameters["flavor"] == "m1.small"
    assert definition.resources["load_balancer"].restricted_actions == {"replace"}
