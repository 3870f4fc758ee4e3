"""The Zabbix integration suite: the OS::Zabbix:: plugins against a real Zabbix server.

It needs a Zabbix 6.0 or later: ``scripts/zabbix.sh start`` installs (once)
and starts one on loopback, and ``make test-zabbix`` runs the suite against
it.  ``ZABBIX_URL`` (default ``http://127.0.0.1:8080/api_jsonrpc.php``),
``ZABBIX_USER`` and ``ZABBIX_PASSWORD`` (``Admin``/``zabbix``) name another;
``ZABBIX_SENDER_PORT`` is its trapper port (10051).

The suite is selected with ``-m zabbix`` only (a plain ``pytest`` run leaves
it out: it needs that server); selected without a Zabbix that answers, it
fails and says how to start one.  Every object it makes is named with a
prefix of its own and deleted afterwards.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from zabbix_utils import ZabbixAPI
from zabbix_utils.exceptions import ModuleBaseException

from orchestrator.engine.plugin_configuration import PluginConfiguration
from tests.engine.harness import Harness, make_harness

URL = os.environ.get("ZABBIX_URL", "http://127.0.0.1:8080/api_jsonrpc.php")
USER = os.environ.get("ZABBIX_USER", "Admin")
PASSWORD = os.environ.get("ZABBIX_PASSWORD", "zabbix")
SENDER_PORT = int(os.environ.get("ZABBIX_SENDER_PORT", "10051"))
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mine = [item for item in items if Path(str(item.fspath)).is_relative_to(HERE)]
    for item in mine:
        item.add_marker(pytest.mark.zabbix)
    if "zabbix" not in (config.getoption("markexpr") or ""):
        config.hook.pytest_deselected(items=mine)
        items[:] = [item for item in items if item not in mine]


@dataclass
class RealZabbix:
    """The Zabbix under test: its API (as the suite's user) and the prefix of this run's objects."""

    url: str
    api: ZabbixAPI
    prefix: str

    def settings(self, **changes: str) -> dict[str, str]:
        """The ``[zabbix]`` settings that reach it."""
        return {"url": self.url, "user": USER, "password": PASSWORD, **changes}


@pytest.fixture(scope="session")
def real_zabbix() -> Iterator[RealZabbix]:
    try:
        api = ZabbixAPI(url=URL, user=USER, password=PASSWORD)
    except ModuleBaseException as exc:
        pytest.fail(f"no Zabbix answers at {URL} ({exc}): start one with scripts/zabbix.sh start", pytrace=False)
    prefix = f"orch{uuid.uuid4().hex[:8]}-"
    try:
        yield RealZabbix(URL, api, prefix)
    finally:
        left = remove_leftovers(api, prefix)
        api.logout()
    assert not left, f"the suite left Zabbix objects behind (now deleted): {left}"


def remove_leftovers(api: ZabbixAPI, prefix: str) -> dict[str, list[str]]:
    """Delete what is named with ``prefix`` (what failed tests left); what there was, by kind."""
    found = {}
    for kind, name in (("action", "name"), ("script", "name"), ("host", "host"), ("hostgroup", "name")):
        rows = getattr(api, kind).get(search={name: prefix}, startSearch=True, output=[_id(kind), name])
        if rows:
            getattr(api, kind).delete([row[_id(kind)] for row in rows])
            found[kind] = [row[name] for row in rows]
    return found


def _id(kind: str) -> str:
    return "groupid" if kind == "hostgroup" else f"{kind}id"


@pytest.fixture
def harness(tmp_path, real_zabbix: RealZabbix) -> Iterator[Harness]:
    """An engine (no cloud) whose Zabbix plugins act on the real Zabbix."""
    with make_harness(tmp_path) as running:
        running.context.extra_services["configuration"] = PluginConfiguration({"zabbix": real_zabbix.settings()})
        yield running
