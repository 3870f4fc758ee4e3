"""The Zabbix plugin as a third party gets it: copied into a plugin folder, or installed as a package of its own.

Either way the copy is found the way the service finds plugins — a plugin
folder, or an entry point that ``importlib.metadata`` reads from an installed
distribution's metadata — and its stacks run against the sandbox's Zabbix.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path
from typing import Iterator

import pytest
from zabbix_utils import ZabbixAPI

from orchestrator.engine.plugin_configuration import PluginConfiguration
from resources.registry import ENTRY_POINT_GROUP, PluginRegistry
from tests.engine.harness import make_harness
from tests.plugins.zabbix_stacks import failures

PACKAGE = Path(__file__).resolve().parents[2] / "resources" / "zabbix"
TYPES = ["HostGroup", "Host", "TemplateLink", "Item", "Trigger", "Action"]

STACK = """
heat_template_version: 2018-08-31
resources:
  group:
    type: NAMESPACE::Zabbix::HostGroup
    properties: {name: third-party}
outputs:
  group_id: {value: {get_attr: [group, group_id]}}
"""


@pytest.fixture
def forget_copies() -> Iterator[None]:
    """Drop the modules the copies brought, so that other tests see only the service's own plugins."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith(("orchestrator_plugins", "acme_zabbix")):
            del sys.modules[name]


def copy_of_the_package(folder: Path, name: str = "zabbix") -> Path:
    """The plugin package copied into ``folder`` under ``name``, as a third party would copy it."""
    return Path(shutil.copytree(PACKAGE, folder / name, ignore=shutil.ignore_patterns("__pycache__")))


def run_a_stack(tmp_path: Path, cloud, registry: PluginRegistry, namespace: str) -> None:
    """A host group made and deleted through an engine whose only plugins are ``registry``'s."""
    (tmp_path / "engine").mkdir()
    with make_harness(tmp_path / "engine", plugins=registry, cloud=cloud.connections) as harness:
        harness.context.extra_services["configuration"] = PluginConfiguration(
            {"zabbix": {"url": f"{cloud.url}/zabbix", "user": "Admin", "password": "zabbix"}})
        stack_id = harness.create(STACK.replace("NAMESPACE", namespace))
        assert harness.state(stack_id) == "CREATE_COMPLETE", failures(harness, stack_id)
        api = ZabbixAPI(url=f"{cloud.url}/zabbix", user="Admin", password="zabbix")
        (group,) = api.hostgroup.get(filter={"name": "third-party"})
        assert group["groupid"] == harness.outputs(stack_id)["group_id"]
        assert harness.delete(stack_id), failures(harness, stack_id)
        assert api.hostgroup.get(filter={"name": "third-party"}) == []
        api.logout()


def test_a_copy_in_a_plugin_folder_is_found_and_works(tmp_path, cloud, forget_copies):
    copy = copy_of_the_package(tmp_path / "plugins")
    registry = PluginRegistry.discover(plugin_dirs=[str(tmp_path / "plugins")], use_entry_points=False)

    assert registry.types() == sorted(f"OS::Zabbix::{name}" for name in TYPES)
    host = registry.get("OS::Zabbix::Host")
    assert host.__module__.startswith("orchestrator_plugins.") and host.__module__.endswith(".zabbix.hosts")
    assert str(copy) in registry.origin("OS::Zabbix::Host")
    run_a_stack(tmp_path, cloud, registry, "OS")


def install_distribution(site: Path) -> None:
    """Lay out, in ``site``, what installing a distribution ``acme-zabbix-plugin`` lays out.

    Its code (a copy of the package, and a module that offers it under the
    distribution's own namespace, since the service already ships the
    ``OS::Zabbix::`` names) and its ``.dist-info`` metadata, whose
    ``entry_points.txt`` is how the service finds it.
    """
    copy_of_the_package(site, "acme_zabbix")
    (site / "acme_zabbix_plugin.py").write_text(
        '"""The Acme:: names of the Zabbix plugin."""\n\nfrom acme_zabbix import resource_mapping\n\n\n'
        "def acme_types():\n"
        '    return {name.replace("OS::", "Acme::"): cls for name, cls in resource_mapping().items()}\n')
    info = site / "acme_zabbix_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-zabbix-plugin\nVersion: 1.0\n"
                                   "Requires-Dist: zabbix-utils>=2.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nacme = acme_zabbix_plugin:acme_types\n")
    (info / "top_level.txt").write_text("acme_zabbix\nacme_zabbix_plugin\n")
    (info / "INSTALLER").write_text("pip\n")
    files = sorted(path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file())
    (info / "RECORD").write_text("".join(f"{name},,\n" for name in files) + f"{info.name}/RECORD,,\n")


@pytest.fixture
def installed(tmp_path, forget_copies) -> Iterator[Path]:
    """The distribution installed in a folder of ``sys.path``, for the test only."""
    site = tmp_path / "site-packages"
    site.mkdir()
    install_distribution(site)
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    try:
        yield site
    finally:
        sys.path.remove(str(site))
        importlib.invalidate_caches()


def test_an_installed_package_is_found_through_its_entry_point_and_works(tmp_path, cloud, installed):
    from importlib.metadata import distribution

    assert [entry.name for entry in distribution("acme-zabbix-plugin").entry_points] == ["acme"]
    registry = PluginRegistry.discover()

    acme = [name for name in registry.types() if name.startswith("Acme::")]
    assert acme == sorted(f"Acme::Zabbix::{name}" for name in TYPES)
    assert registry.origin("Acme::Zabbix::Host") == "entry point acme (acme_zabbix_plugin:acme_types)"
    assert registry.get("Acme::Zabbix::Host").__module__ == "acme_zabbix.hosts"
    assert registry.get("OS::Zabbix::Host").__module__ == "resources.zabbix.hosts", "the service's own stay"
    assert str(installed) in sys.modules["acme_zabbix"].__file__
    run_a_stack(tmp_path, cloud, registry, "Acme")
