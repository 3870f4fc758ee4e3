"""Running the service: ``serve`` (everything in one process), ``api`` and ``worker`` (distributed)."""

from __future__ import annotations

import logging
import os
import secrets
import threading
import warnings
from dataclasses import replace
from pathlib import Path

import click
import yaml
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from orchestrator.config import ConfigError, Settings, load_settings

from .sandbox import close_sandbox, open_sandbox

#: the cloud name ``serve`` writes into clouds.yaml
CLOUD_NAME = "orchestrator"
#: the clouds.yaml cloud of the sandbox ``serve`` runs (when no other cloud is configured)
SANDBOX_CLOUD_NAME = "sandbox"
#: where ``serve`` serves its sandbox over HTTP, beside the API
SANDBOX_PREFIX = "/sandbox"
#: the project of the embedded service's own token
EMBEDDED_PROJECT = "demo"
TOKEN_FILE = "admin-token"
#: how often (seconds) the embedded worker looks for a job in the in-process queue
SERVE_POLL_INTERVAL = 0.1


def _logging(level: str) -> int:
    """Log to stderr at ``level``; the level as a number."""
    number = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(level=number, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return number


def _quiet_embedded_worker() -> None:
    """Silence Celery's warning about running as root, for the in-process worker only.

    Celery refuses root outright only when it would unpickle messages; ours
    accept JSON, and come from this very process, so the warning says nothing
    a user of ``serve`` can act on.
    """
    from celery.exceptions import SecurityWarning

    warnings.filterwarnings("ignore", category=SecurityWarning)


@click.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to listen on (default 8004).")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Where the database, keys and clouds.yaml go (default: the configured data directory).")
@click.option("--cloud", default=None, metavar="NAME",
              help="Act on cloud NAME of clouds.yaml instead of the embedded sandbox (as [cloud] name).")
@click.option("--keystone", default=None, is_flag=False, flag_value="", metavar="[NAME]",
              help="Keystone mode: users call the API with their own Keystone tokens, and each stack acts in the "
                   "cloud with the trust its user gives the service user, whose credentials are cloud NAME of "
                   "clouds.yaml (without NAME: the [keystone] section).")
@click.option("--log-level", default="WARNING", show_default=True)
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, data_dir: str | None, cloud: str | None,
          keystone: str | None, log_level: str) -> None:
    """Run the API and a worker in this process, on SQLite and an in-process queue: nothing else needed.

    Unless ``--cloud``, ``--keystone`` or ``[cloud]`` names another cloud,
    the sandbox runs here too: the plugins reach it in-process, and people
    reach it under ``/sandbox``.
    """
    from waitress import create_server

    from orchestrator.api import create_app
    from orchestrator.clients import sandbox_connections
    from orchestrator.engine.context import freeze_startup_objects
    from orchestrator.engine.setup import open_engine
    from orchestrator.worker import InProcessQueue, celery_app, run_worker

    # quiet unless asked for INFO or DEBUG: no Celery banner, no root warning
    quiet = _logging(log_level) > logging.INFO
    if quiet:
        _quiet_embedded_worker()
    if cloud and keystone is not None:
        raise click.UsageError("--cloud and --keystone exclude each other: with --keystone every stack acts with "
                               "its own user's trust, not with the credentials of one cloud")
    if keystone is not None:
        settings = _keystone_mode(keystone)
    _require_service_user(settings)
    settings = _embedded_settings(settings, host, port, data_dir)
    if cloud:
        settings = replace(settings, cloud=replace(settings.cloud, name=cloud, sandbox_url=""))
    own_cloud = settings.cloud.sandbox_url or settings.cloud.name or settings.cloud.auth == "trust"
    sandbox_app = None if own_cloud else open_sandbox(settings)
    in_process_cloud = sandbox_connections(sandbox_app, settings.sandbox.password) if sandbox_app is not None else None
    engine = open_engine(settings, cloud_factory=in_process_cloud)
    # a job starts within 0.1 s (a person, or a client polling every few seconds, cannot tell)
    # while the API's threads keep the interpreter lock: reads are 25-30 % faster than at 10 ms
    jobs = celery_app(settings.worker.broker_url, settings.worker.queue, poll_interval=SERVE_POLL_INTERVAL)
    queue = InProcessQueue(jobs, engine)
    app = create_app(settings, engine, queue)
    served = app if sandbox_app is None else DispatcherMiddleware(app, {SANDBOX_PREFIX: sandbox_app})
    freeze_startup_objects()
    server = create_server(served, host=settings.api.host, port=settings.api.port, threads=16)
    # the port the server got (``--port 0`` asks for any free one)
    settings = replace(settings, api=replace(settings.api, port=server.effective_port))
    # users of keystone mode bring their own clouds.yaml: there is no token of the service's to write
    clouds = None if settings.api.auth == "keystone" else _write_clouds_yaml(settings, sandbox_app is not None)
    threading.Thread(target=server.run, name="api", daemon=True).start()
    endpoint = f"http://{settings.api.host}:{server.effective_port}"
    if clouds is None:
        click.echo(_keystone_usage(settings, endpoint), err=True)
    else:
        click.echo(f"Orchestration API listening on {endpoint}/v1/{EMBEDDED_PROJECT} "
                   f"(data in {settings.data_path})\n\n"
                   f"Use it with the openstack client:\n"
                   f"  export OS_CLIENT_CONFIG_FILE={clouds}\n"
                   f"  openstack --os-cloud {CLOUD_NAME} stack create -t templates/hello.yaml hello --wait\n"
                   f"  openstack --os-cloud {CLOUD_NAME} stack list\n", err=True)
    if sandbox_app is not None:
        click.echo(f"The sandbox cloud the stacks act on: {endpoint}{SANDBOX_PREFIX}/identity/v3 "
                   f"(users admin and demo, password {settings.sandbox.password!r})\n"
                   f"  openstack --os-cloud {SANDBOX_CLOUD_NAME} server list\n", err=True)
    queue.start()
    try:
        run_worker(jobs, engine, concurrency=settings.worker.concurrency,
                   recovery_interval=settings.worker.recovery_interval, loglevel=log_level, quiet=quiet,
                   on_start=queue.started)
    finally:
        queue.stop()
        server.close()
        engine.context.close()
        if sandbox_app is not None:
            in_process_cloud.close()
            close_sandbox(sandbox_app)


def _keystone_mode(cloud: str) -> Settings:
    """The configuration read again with ``--keystone [NAME]`` as its last word.

    That is ``[api] auth = keystone``, ``[cloud] auth = trust`` and, with
    NAME, ``[keystone] cloud = NAME``.  Read again rather than changed
    afterwards, so that what the named cloud gives (Keystone's URL, the
    service user, its region) fills the settings the configuration leaves
    empty exactly as a configured ``[keystone] cloud`` would.
    """
    overrides = {"ORCHESTRATOR_API__AUTH": "keystone", "ORCHESTRATOR_CLOUD__AUTH": "trust"}
    if cloud:
        overrides["ORCHESTRATOR_KEYSTONE__CLOUD"] = cloud
    config_file = click.get_current_context().find_root().params.get("config_file")
    try:
        return load_settings(config_file, environ={**os.environ, **overrides})
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _keystone_usage(settings: Settings, endpoint: str) -> str:
    """How users reach a service in keystone mode: through the catalog, or with a token and the endpoint."""
    keystone = settings.keystone
    return (f"Orchestration API listening on {endpoint}/v1/<project id> (data in {settings.data_path}), in "
            f"keystone mode: tokens are validated by {settings.api.keystone_url}, and stacks act with trusts "
            f"given to user {keystone.username!r}.\n\n"
            f"Register it in the catalog, for the openstack client and openstacksdk:\n"
            f"  openstack endpoint create --region {keystone.region_name or 'RegionOne'} orchestration public "
            f"'{endpoint}/v1/%(tenant_id)s'\n"
            f"or call it with a token of your own:\n"
            f"  openstack --os-auth-type admin_token --os-token \"$(openstack token issue -f value -c id)\" "
            f"--os-endpoint {endpoint}/v1/$(openstack token issue -f value -c project_id) stack list\n")


def _embedded_settings(settings: Settings, host: str | None, port: int | None, data_dir: str | None) -> Settings:
    """The configured settings with the command's options, and a token of its own when none is configured."""
    api = replace(settings.api, host=host or settings.api.host, port=port or settings.api.port)
    service = replace(settings.service, data_dir=data_dir) if data_dir else settings.service
    settings = replace(settings, api=api, service=service)
    settings.data_path.mkdir(parents=True, exist_ok=True)
    if settings.api.auth == "token" and not settings.api.tokens:
        token = _stored_token(settings.data_path / TOKEN_FILE)
        settings = replace(settings, api=replace(settings.api, tokens=(f"{token}={EMBEDDED_PROJECT}/member",)))
    return settings


def _stored_token(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    return token


def _write_clouds_yaml(settings: Settings, with_sandbox: bool = False) -> Path:
    """``DATA_DIR/clouds.yaml`` with a cloud ``orchestrator`` that reaches this service (and ``sandbox``, its cloud)."""
    endpoint = f"http://{settings.api.host}:{settings.api.port}/v1/{EMBEDDED_PROJECT}"
    if settings.api.auth == "none":
        cloud = {"auth_type": "none", "auth": {"endpoint": endpoint}}
    else:
        token = settings.api.tokens[0].partition("=")[0]
        cloud = {"auth_type": "admin_token", "auth": {"endpoint": endpoint, "token": token}}
    path = settings.data_path / "clouds.yaml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        clouds = {CLOUD_NAME: cloud}
        if with_sandbox:
            clouds[SANDBOX_CLOUD_NAME] = sandbox_cloud(settings)
        yaml.safe_dump({"clouds": clouds}, handle, default_flow_style=False)
    return path


def sandbox_cloud(settings: Settings) -> dict:
    """The clouds.yaml entry of the sandbox that ``serve`` serves under ``/sandbox``, as user ``demo``."""
    return {"auth_type": "password", "identity_api_version": 3, "region_name": "RegionOne",
            "auth": {"auth_url": f"http://{settings.api.host}:{settings.api.port}{SANDBOX_PREFIX}/identity/v3",
                     "username": "demo", "password": settings.sandbox.password, "project_name": "demo",
                     "user_domain_id": "default", "project_domain_id": "default"}}


def _require_current_schema(settings: Settings) -> None:
    """Refuse to start on a database that ``orchestrator db upgrade`` has not brought to the newest schema.

    ``api`` and ``worker`` never migrate (several of them start at once);
    without this they would start and fail on every request and recovery pass.
    """
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import SQLAlchemyError

    from orchestrator.cli.db import _hidden
    from orchestrator.db import migrate
    from orchestrator.db.database import Database

    url = settings.database_url()
    database = Database(url, pool_size=1)
    try:
        revision = migrate.current(database)
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise click.ClickException(f"cannot use database {_hidden(url)}: {detail}") from None
    finally:
        database.dispose()
    head = ScriptDirectory.from_config(migrate.alembic_config(database)).get_current_head()
    if revision != head:
        raise click.ClickException(f"database {_hidden(url)} is at revision {revision or 'none'}, not {head}: "
                                   "run 'orchestrator db upgrade' first")


def _require_service_user(settings: Settings) -> None:
    """Refuse to start acting with trusts when the service user cannot log in: every stack create would fail."""
    if settings.cloud.auth != "trust":
        return
    from orchestrator.keystone import ServiceUser, TrustError

    try:
        ServiceUser(settings.keystone).user_id
    except TrustError as exc:
        raise click.ClickException(str(exc)) from None


def _require_broker(settings: Settings) -> None:
    if not settings.worker.broker_url:
        raise click.UsageError("set [worker] broker_url (ORCHESTRATOR_WORKER__BROKER_URL): the API and the "
                               "workers are separate processes and need a broker (RabbitMQ or Redis)")


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: [api] host).")
@click.option("--port", default=None, type=int, help="Port to listen on (default: [api] port).")
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes.")
@click.option("--threads", default=8, show_default=True, help="Threads per gunicorn worker.")
@click.option("--log-level", default="INFO", show_default=True)
@click.pass_obj
def api(settings: Settings, host: str | None, port: int | None, workers: int, threads: int, log_level: str) -> None:
    """Run the API under gunicorn; jobs go to the configured broker (run ``orchestrator worker`` too)."""
    from gunicorn.app.base import BaseApplication

    _require_broker(settings)
    _require_current_schema(settings)
    _require_service_user(settings)
    _logging(log_level)  # the application's own loggers; gunicorn logs its own way
    settings = replace(settings, api=replace(settings.api, host=host or settings.api.host,
                                             port=port or settings.api.port))

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{settings.api.host}:{settings.api.port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")
            self.cfg.set("loglevel", log_level.lower())
            # gunicorn's control socket is one fixed path per user: two APIs on a host
            # would take it from each other, and nothing here uses it
            self.cfg.set("control_socket_disable", True)

        def load(self):
            # in each gunicorn worker, after the fork: database pools and threads are per process
            from orchestrator.api.wsgi import application_for

            return application_for(settings)

    Gunicorn().run()


@click.command()
@click.option("--concurrency", default=None, type=int, help="Operations run at once (default: [worker] concurrency).")
@click.option("--hostname", default=None, help="Celery node name (default: celery@<host>).")
@click.option("--log-level", default="INFO", show_default=True)
@click.pass_obj
def worker(settings: Settings, concurrency: int | None, hostname: str | None, log_level: str) -> None:
    """Run a Celery worker that carries out stack operations from the configured broker."""
    from orchestrator.engine.context import freeze_startup_objects
    from orchestrator.engine.setup import open_engine
    from orchestrator.worker import celery_app, run_worker

    _require_broker(settings)
    _require_current_schema(settings)
    _require_service_user(settings)
    _logging(log_level)
    engine = open_engine(settings, upgrade=False)
    freeze_startup_objects()
    try:
        run_worker(celery_app(settings.worker.broker_url, settings.worker.queue), engine,
                   concurrency=concurrency or settings.worker.concurrency,
                   recovery_interval=settings.worker.recovery_interval, hostname=hostname, loglevel=log_level)
    finally:
        engine.context.close()
