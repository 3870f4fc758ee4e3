"""Zabbix monitoring as resources: OS::Zabbix::HostGroup, Host, TemplateLink, Item, Trigger and Action.

The servers a stack makes register themselves with a Zabbix server as hosts;
items and triggers watch them, and an Action calls webhooks (a scaling
policy's ``alarm_url``, say) when its trigger fires and when it recovers, so
that Zabbix drives an autoscaling group instead of Aodh alarms.

This package is also the example of a third-party plugin: it imports nothing
of the service but the plugin API (``resources.base``, ``resources.schema``,
``resources.errors``) and zabbix_utils, and its modules import one another
relatively, so the folder works unchanged when copied into a plugin folder
(where it is found through ``resource_mapping``) or shipped in a package of
its own.  docs/plugins.md walks through it.

| module | job |
|---|---|
| ``connection.py`` | where the stack's Zabbix is, logging in, errors that name what went wrong and no secret |
| ``objects.py`` | what the types made of one Zabbix object share: create, update in place, delete, show |
| ``hosts.py`` | ``HostGroup``, ``Host`` and ``TemplateLink`` |
| ``monitoring.py`` | ``Item`` and ``Trigger`` |
| ``actions.py`` | ``Action``: webhook scripts run by a Zabbix action on PROBLEM and on OK |
"""

from __future__ import annotations

from .actions import Action
from .hosts import Host, HostGroup, TemplateLink
from .monitoring import Item, Trigger

__all__ = ["Action", "Host", "HostGroup", "Item", "TemplateLink", "Trigger", "resource_mapping"]


def resource_mapping() -> dict[str, type]:
    """Every type of the package, by name (how a plugin folder holding the package offers them)."""
    return {cls.type_name: cls for cls in (HostGroup, Host, TemplateLink, Item, Trigger, Action)}
