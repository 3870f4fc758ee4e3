"""A Zabbix 6.0 API emulator in the sandbox: what the ``OS::Zabbix::*`` plugins use, and monitoring that fires.

Served at ``<sandbox>/zabbix/api_jsonrpc.php`` (zabbix_utils takes
``<sandbox>/zabbix`` as its URL), with user ``Admin``, password ``zabbix``,
and API tokens.  It keeps host groups, hosts (and the few stock templates of
``hosts.TEMPLATES``), items, triggers, webhook scripts and actions in the
sandbox's store, refuses what Zabbix refuses with Zabbix's error codes and
words, and watches the sandbox's servers: ``evaluator.py`` gives items the
servers' load, evaluates triggers and calls the actions' webhooks, so the
loop from load to scaling runs offline.

| module | job |
|---|---|
| ``rpc.py`` | the JSON-RPC endpoint: checks, authentication, dispatch, errors |
| ``common.py`` | errors, ids, and the ``*.get`` parameters every object shares |
| ``auth.py`` | users, ``user.login`` sessions, API tokens |
| ``hosts.py``, ``items.py``, ``actions.py`` | the objects' methods |
| ``expressions.py`` | trigger expressions and calculated items' formulas |
| ``evaluator.py`` | the monitoring loop |

Not emulated: the trapper protocol (``zabbix_sender``), media types and
users' media, template triggers, maintenance, proxies, and the permissions of
users other than the super administrator.
"""

from __future__ import annotations

from typing import Any

from . import auth, hosts
from .evaluator import ZabbixEvaluator
from .rpc import blueprint

__all__ = ["ZabbixEvaluator", "attach", "blueprint"]


def attach(app: Any, interval: float) -> ZabbixEvaluator:
    """Serve the emulator on ``app``, seeded; its evaluator (``app.extensions["zabbix"]``) is not started yet.

    ``app.start_alarm_evaluator`` starts it (every ``interval`` seconds) with
    the alarm evaluator; tests run passes by hand (``evaluate``).
    """
    app.register_blueprint(blueprint)
    evaluator = ZabbixEvaluator(app, interval)
    app.extensions["zabbix"] = evaluator
    with app.app_context():
        auth.seed()
        hosts.seed()
    return evaluator
