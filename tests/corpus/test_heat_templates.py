"""Every template and environment of the shared Heat corpus passes structural validation.

The corpus is openstack/heat-templates, copied verbatim.  Resource types
that no plugin provides yet are accepted as deferred (``allow_unknown_types``),
exactly like ``orchestrator template validate --allow-unknown-types``.  The
only failures allowed are files the corpus itself lacks (scripts from the
separate heat-agents repository, listed in MANIFEST.json as unresolved); for
those templates every problem must be exactly such a missing file.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urljoin

import pytest

from orchestrator.template.environment import load_environment
from orchestrator.template.files import gather, path_to_url
from orchestrator.template.validation import Validator
from resources.registry import PluginRegistry

from .conftest import corpus_root, manifest

pytestmark = pytest.mark.corpus

_FILES = manifest()["files"]
HOT_TEMPLATES = sorted(f["path"] for f in _FILES if f["kind"] == "hot")
ENVIRONMENTS = sorted(f["path"] for f in _FILES if f["kind"] == "environment")


def _unresolved_urls() -> dict[str, set[str]]:
    """Template path -> URLs of the files it names that are not in the corpus."""
    root = corpus_root()
    missing: dict[str, set[str]] = {}
    for ref in manifest()["unresolved_references"]:
        referrer_url = path_to_url(str(root / ref["referrer"]))
        missing.setdefault(ref["referrer"], set()).add(urljoin(referrer_url, ref["ref"]))
    return missing


UNRESOLVED = _unresolved_urls()
CATALOG = PluginRegistry.discover()

# Environments and the corpus template each one is written for.
ENVIRONMENT_PAIRS = {
    "hot/mistral/nova_networking_server_with_ip_env.yaml": "hot/mistral/templates/autoscaling_using_mistral.yaml",
    "openshift-origin/centos65/highly-available/invalid/oso_ha_env.yaml":
        "openshift-origin/centos65/highly-available/invalid/oso_ha.yaml",
    "openshift-origin/centos65/highly-available/invalid/oso_node_env.yaml":
        "openshift-origin/centos65/highly-available/invalid/oso_node.yaml",
    **{f"hot/software-config/example-templates/{name}_env.yaml": f"hot/software-config/example-templates/{name}.yaml"
       for name in ("example-config-pristine-image", "example-pristine-atomic-docker-compose",
                    "example-pristine-atomic-tool")},
    # The boot-config environments map Heat::InstallConfigAgent for any template using it.
    **{f"hot/software-config/boot-config/{name}_env.yaml":
       "hot/software-config/example-templates/example-config-pristine-image.yaml"
       for name in ("centos7_rdo", "container_agent", "fedora_pip", "fedora_yum", "none", "test_image",
                    "ubuntu_pip")},
}


def validate(template: str, environments: tuple[str, ...] = ()):
    root = corpus_root()
    bundle = gather(str(root / template), [str(root / env) for env in environments])
    report = Validator(catalog=CATALOG, allow_unknown_types=True, documents=bundle.documents).validate(
        bundle.template, files=bundle.files, environment_files=bundle.environment_files)
    return bundle, report


def _missing_file_urls(problems) -> set[str]:
    prefix = "Could not fetch contents for "
    return {p.message[len(prefix):].split(": ")[0] for p in problems if p.message.startswith(prefix)}


def _assert_only_missing_corpus_files(bundle, report, allowed_urls: set[str]) -> None:
    unreadable = {(p.source, p.path) for p in bundle.problems}
    others = [p for p in report.all_problems() if (p.source, p.path) not in unreadable]
    assert others == [], "\n".join(map(str, others))
    assert _missing_file_urls(bundle.problems) <= allowed_urls, "\n".join(map(str, bundle.problems))


def test_the_corpus_is_the_expected_one():
    assert len(HOT_TEMPLATES) == 102
    assert len(ENVIRONMENTS) == 13
    assert set(ENVIRONMENT_PAIRS) == set(ENVIRONMENTS)


@pytest.mark.parametrize("path", HOT_TEMPLATES)
def test_template_passes_structural_validation(path: str):
    bundle, report = validate(path)
    if path in UNRESOLVED:
        assert bundle.problems, f"{path} names files the corpus lacks; they must be reported"
        _assert_only_missing_corpus_files(bundle, report, UNRESOLVED[path])
    else:
        assert bundle.problems == [], "\n".join(map(str, bundle.problems))
        assert report.all_problems() == [], "\n".join(map(str, report.all_problems()))
        assert report.definition is not None


@pytest.mark.parametrize("path", ENVIRONMENTS)
def test_environment_loads(path: str):
    text = (corpus_root() / path).read_text()
    environment = load_environment(text, path)
    assert environment.to_data() == load_environment(text, path).to_data()


@pytest.mark.parametrize("path", ENVIRONMENTS)
def test_environment_validates_with_its_template(path: str):
    template = ENVIRONMENT_PAIRS[path]
    bundle, report = validate(template, (path,))
    allowed = set().union(*UNRESOLVED.values())
    _assert_only_missing_corpus_files(bundle, report, allowed)
    if not bundle.problems:
        assert report.definition is not None


def test_environment_really_maps_types():
    """The pairing above is not vacuous: each environment decides what the mapped type becomes."""
    template = "hot/software-config/example-templates/example-config-pristine-image.yaml"
    _, report = validate(template, ("hot/software-config/boot-config/none_env.yaml",))
    agent = next(d for d in report.definition.resources.values() if d.type == "Heat::InstallConfigAgent")
    assert (agent.resolved_type, agent.template) == ("OS::Heat::SoftwareConfig", None)

    _, report = validate(template, ("hot/software-config/boot-config/container_agent_env.yaml",))
    agent = next(d for d in report.definition.resources.values() if d.type == "Heat::InstallConfigAgent")
    assert agent.template.endswith("boot-config/templates/install_container_agent.yaml")
    assert len(report.children) == 1


def test_missing_files_are_reported_where_they_are_named():
    path = "hot/software-config/boot-config/templates/install_config_agent_fedora_pip.yaml"
    bundle, _ = validate(path)
    assert _missing_file_urls(bundle.problems) == UNRESOLVED[path]
    for problem in bundle.problems:
        assert problem.source.endswith(os.path.basename(path))
        assert problem.line is not None and problem.path[-1] == "get_file"


def test_a_child_template_of_the_corpus_is_validated_in_its_own_file(corpus: Path):
    bundle, report = validate("openshift-origin/centos65/highly-available/invalid/oso_ha.yaml",
                              ("openshift-origin/centos65/highly-available/invalid/oso_ha_env.yaml",))
    assert report.children, "the registry maps OpenShift::Node::Server to oso_node.yaml"
    child = next(iter(report.children.values()))
    assert child.definition.template.name.endswith("oso_node.yaml")
