"""The sandbox application: every emulated service on one Flask app, each under its own path.

The catalog that Keystone hands out lists ``SERVICES``; a service's module
defines ``blueprint`` (a ``service.ServiceBlueprint``) and, when it has
objects to start with, ``seed(settings)``.  The one thread a sandbox may
run, its alarm evaluator, is started by whoever serves it
(``start_alarm_evaluator``) and stopped with it (``close_sandbox``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from flask import Flask

from orchestrator.config import SandboxSettings

from . import zabbix
from .service import SandboxError, reply
from .store import Store
from .telemetry.evaluator_thread import AlarmEvaluator


@dataclass(frozen=True)
class SandboxService:
    """One emulated service: its catalog entry and the module that serves it."""

    type: str
    name: str
    #: the catalog URL's path (``{project_id}`` is replaced by the token's project)
    endpoint_path: str
    module: str


SERVICES: tuple[SandboxService, ...] = (
    SandboxService("identity", "keystone", "/identity", "identity"),
    SandboxService("compute", "nova", "/compute/v2.1", "compute"),
    SandboxService("image", "glance", "/image", "image"),
    SandboxService("network", "neutron", "/network", "network"),
    SandboxService("block-storage", "cinder", "/volume/v3/{project_id}", "volume"),
    SandboxService("load-balancer", "octavia", "/load-balancer", "loadbalancer"),
    SandboxService("metric", "gnocchi", "/metric", "telemetry.metric"),
    SandboxService("alarming", "aodh", "/alarming", "telemetry.alarming"),
    SandboxService("metering", "ceilometer", "/metering", "telemetry.metering"),
)


@dataclass
class SandboxState:
    """What the views reach through ``current_app.extensions["sandbox"]``."""

    settings: SandboxSettings
    store: Store
    #: the alarm evaluator thread, once started (``start_alarm_evaluator``)
    evaluator: AlarmEvaluator | None = None


def create_app(settings: SandboxSettings | None = None, store: Store | None = None) -> Flask:
    """The sandbox for ``settings`` on ``store`` (an in-memory one by default), seeded on first start."""
    settings = settings or SandboxSettings()
    store = store or Store(settings.database_url or "sqlite://")
    app = Flask("orchestrator.sandbox")
    app.json.sort_keys = False
    app.extensions["sandbox"] = SandboxState(settings, store)
    modules = [importlib.import_module(f"{__package__}.{service.module}") for service in SERVICES]
    for module in modules:
        app.register_blueprint(module.blueprint)

    @app.errorhandler(404)
    def _no_route(_error: Any):
        return reply({"error": {"code": 404, "title": "Not Found",
                                "message": "The resource could not be found."}}, 404)

    @app.errorhandler(SandboxError)
    def _sandbox_error(error: SandboxError):  # raised outside any service blueprint
        return reply({"error": {"code": error.status, "title": error.kind, "message": error.message}}, error.status)

    with app.app_context():
        for module in modules:
            seed = getattr(module, "seed", None)
            if seed is not None:
                seed(settings)
    # Zabbix is no OpenStack service: served beside them, out of Keystone's catalog
    zabbix.attach(app, settings.zabbix_evaluation_seconds)
    return app


def start_alarm_evaluator(app: Flask) -> AlarmEvaluator:
    """Start evaluating the sandbox's alarms every ``[sandbox] alarm_evaluation_seconds`` (once per app).

    For a sandbox that serves people or a service; tests evaluate by hand
    (``telemetry.evaluator.evaluate_all``) unless they start it.
    """
    state: SandboxState = app.extensions["sandbox"]
    if state.evaluator is None:
        state.evaluator = AlarmEvaluator(state.store, state.settings.alarm_evaluation_seconds)
    app.extensions["zabbix"].start()  # the Zabbix emulator's triggers, every [sandbox] zabbix_evaluation_seconds
    return state.evaluator.start()


def close_sandbox(app: Flask) -> None:
    """Stop the sandbox's alarm evaluator, if it runs, then release its store."""
    state: SandboxState = app.extensions["sandbox"]
    if state.evaluator is not None:
        state.evaluator.stop()
    app.extensions["zabbix"].stop()
    state.store.close()
