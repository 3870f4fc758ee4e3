"""The Flask application: Heat's v1 API in front of the engine.

``create_app`` wires the pieces: authentication (``auth``), Heat's error
bodies (``faults``), the blueprints (one module per group of Heat's
endpoints) and the OpenAPI document that flask-smorest generates from the
marshmallow schemas at ``/v1/openapi.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import uuid

from flask import Flask, current_app, g, request
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

from orchestrator.config import Settings
from orchestrator.engine.service import Engine
from orchestrator.worker import JobQueue

from . import faults
from .schemas import HeatError
from .auth import Authenticator, authenticator
from orchestrator.engine.signing import SignalSigner

API_VERSION = "1.0"


@dataclass
class ApiServices:
    """What the views use: the engine that accepts requests, the queue its jobs go to, and so on."""

    settings: Settings
    engine: Engine
    queue: JobQueue
    authenticate: Authenticator
    signer: SignalSigner


def services() -> ApiServices:
    """The services of the application handling the current request."""
    return current_app.extensions["orchestrator"]


class _HeatErrorsApi(Api):
    """flask-smorest without its own error bodies: ``faults`` answers every error the Heat way."""

    ERROR_SCHEMA = HeatError

    def _register_error_handlers(self) -> None:
        pass


def create_app(settings: Settings, engine: Engine, queue: JobQueue, *, signer: SignalSigner | None = None) -> Flask:
    """The API application for ``engine``, sending jobs to ``queue``."""
    app = Flask("orchestrator.api")
    app.config.update(
        MAX_CONTENT_LENGTH=settings.limits.max_request_bytes,
        JSON_SORT_KEYS=False,
        API_TITLE="Orchestration API (Heat v1 compatible)",
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.json.sort_keys = False
    app.extensions["orchestrator"] = ApiServices(
        settings, engine, queue, authenticator(settings.api, settings.keystone),
        signer or SignalSigner.from_settings(settings))
    from .lookup import StackIdConverter
    app.url_map.converters["stack_id"] = StackIdConverter
    api = _HeatErrorsApi(app)
    api.spec.components.security_scheme("token", {"type": "apiKey", "in": "header", "name": "X-Auth-Token"})
    api.spec.options["security"] = [{"token": []}]
    faults.install(app)

    from . import events, resources, signals, stack_actions, stack_data, stacks, types, validate, versions
    app.register_blueprint(versions.blueprint)
    for module in (stacks, stack_data, stack_actions, resources, events, validate, types):
        api.register_blueprint(module.blueprint)
    app.register_blueprint(signals.blueprint)

    @app.after_request
    def _request_id(response):
        response.headers.setdefault("x-openstack-request-id", getattr(g, "request_id", ""))
        return response

    return app


class _HeatParser(FlaskParser):
    """Request bodies and queries that do not fit their schema are Heat's 400, not 422."""

    DEFAULT_VALIDATION_STATUS = 400


class ProjectBlueprint(SmorestBlueprint):
    """A group of endpoints under ``/v1/<project_id>``: every request is authenticated first.

    The views do not see ``project_id``: they read the caller, acting in that
    project, from ``g.context``.
    """

    ARGUMENTS_PARSER = _HeatParser()

    def __init__(self, name: str, import_name: str, **options: Any):
        super().__init__(name, import_name, url_prefix="/v1/<project_id>", **options)
        self.url_value_preprocessor(_authenticate)


def _authenticate(endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.request_id = f"req-{uuid.uuid4()}"
    if values is None or "project_id" not in values:
        return
    project_id = values.pop("project_id")
    g.context = services().authenticate(request.headers.get("X-Auth-Token"), project_id).acting_in(project_id)
