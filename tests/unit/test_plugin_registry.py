"""Plugin folders: every file is imported as a module of its own, whatever other folders hold."""

from __future__ import annotations

import sys
import textwrap

import pytest

from resources.registry import PluginError, PluginRegistry

PLUGIN = """
from resources.base import Resource


class Host(Resource):
    type_name = "{type_name}"
"""


def write_plugin(folder, file_name: str, type_name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / file_name).write_text(textwrap.dedent(PLUGIN.format(type_name=type_name)))


@pytest.fixture
def forget_plugin_modules():
    """Drop the plugin modules a test imported, so that tests do not see one another's."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith("orchestrator_plugins"):
            del sys.modules[name]


def test_files_of_the_same_name_in_two_folders_are_two_modules(tmp_path, forget_plugin_modules):
    write_plugin(tmp_path / "a", "zabbix.py", "A::Zabbix::Host")
    write_plugin(tmp_path / "b", "zabbix.py", "B::Zabbix::Host")
    registry = PluginRegistry.discover([str(tmp_path / "a"), str(tmp_path / "b")], use_entry_points=False)
    assert registry.types() == ["A::Zabbix::Host", "B::Zabbix::Host"]
    first, second = registry.get("A::Zabbix::Host"), registry.get("B::Zabbix::Host")
    assert first is not second and first.__module__ != second.__module__
    assert sys.modules[first.__module__].__file__ == str(tmp_path / "a" / "zabbix.py")
    assert sys.modules[second.__module__].__file__ == str(tmp_path / "b" / "zabbix.py")
    assert "a/zabbix.py" in registry.origin("A::Zabbix::Host")
    assert "b/zabbix.py" in registry.origin("B::Zabbix::Host")


def test_a_folder_discovered_twice_gives_the_same_classes(tmp_path, forget_plugin_modules):
    write_plugin(tmp_path / "plugins", "zabbix.py", "Z::Host")
    first = PluginRegistry.discover([str(tmp_path / "plugins")], use_entry_points=False)
    again = PluginRegistry.discover([str(tmp_path / "plugins")], use_entry_points=False)
    assert first.get("Z::Host") is again.get("Z::Host")


def test_two_folders_claiming_one_type_name_both_files(tmp_path, forget_plugin_modules):
    write_plugin(tmp_path / "a", "zabbix.py", "Z::Host")
    write_plugin(tmp_path / "b", "zabbix.py", "Z::Host")
    with pytest.raises(PluginError, match="provided twice") as raised:
        PluginRegistry.discover([str(tmp_path / "a"), str(tmp_path / "b")], use_entry_points=False)
    assert "a/zabbix.py" in str(raised.value) and "b/zabbix.py" in str(raised.value)
