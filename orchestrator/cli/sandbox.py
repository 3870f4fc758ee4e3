"""``orchestrator sandbox``: the OpenStack API emulator on its own, for ``[cloud] sandbox_url`` and the CLI."""

from __future__ import annotations

import signal
from dataclasses import replace
from urllib.parse import quote

import click

from orchestrator.config import SandboxSettings, Settings

#: the seeded users, each a member of the project of its name (``admin`` also holds the admin role)
SEEDED_USERS = ("admin", "demo")


@click.group()
def sandbox() -> None:
    """The sandbox: an emulated OpenStack cloud (Keystone, Nova, Glance, Neutron, Cinder, Octavia, Gnocchi, Aodh)."""


@sandbox.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: [sandbox] host, 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to listen on (default: [sandbox] port, 8100).")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Where sandbox.db goes (default: the configured data directory).")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, data_dir: str | None) -> None:
    """Serve the sandbox over HTTP; its objects are kept in its database and survive a restart."""
    from waitress import create_server

    settings = sandbox_settings(settings, host, port, data_dir)
    app = open_sandbox(settings)
    server = create_server(app, host=settings.sandbox.host, port=settings.sandbox.port, threads=8)
    root = f"http://{settings.sandbox.host}:{server.effective_port}"
    click.echo(sandbox_banner(root, settings.sandbox.password), err=True)
    # SIGTERM (a service manager stopping it) ends the loop like Ctrl-C: the store is closed cleanly
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        close_sandbox(app)


def _stop(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def sandbox_settings(settings: Settings, host: str | None, port: int | None, data_dir: str | None) -> Settings:
    """The configured settings with the command's options."""
    sandbox_ = replace(settings.sandbox, host=host or settings.sandbox.host,
                       port=settings.sandbox.port if port is None else port)
    service = replace(settings.service, data_dir=data_dir) if data_dir else settings.service
    return replace(settings, sandbox=sandbox_, service=service)


def open_sandbox(settings: Settings):
    """The sandbox application on its configured database (``sandbox.db`` in the data directory by default).

    Its alarm evaluator runs from now on: close it with ``close_sandbox``.
    """
    from orchestrator.sandbox import create_app, start_alarm_evaluator

    if settings.sandbox.alarm_evaluation_seconds <= 0:
        raise click.UsageError("[sandbox] alarm_evaluation_seconds must be a positive number of seconds, not "
                               f"{settings.sandbox.alarm_evaluation_seconds}")
    if not settings.sandbox.database_url:
        settings.data_path.mkdir(parents=True, exist_ok=True)
    configured: SandboxSettings = replace(settings.sandbox, database_url=settings.sandbox_database_url())
    app = create_app(configured)
    start_alarm_evaluator(app)
    return app


def close_sandbox(app) -> None:
    """Stop what ``open_sandbox`` started and release the sandbox's database."""
    from orchestrator.sandbox import close_sandbox as close

    close(app)


@sandbox.command("load")
@click.argument("target")
@click.argument("level", type=click.FloatRange(0, 100))
@click.option("--url", default=None, metavar="URL",
              help="The sandbox's root URL (default: [cloud] sandbox_url, else http://[sandbox] host:port; for "
                   "the sandbox of 'orchestrator serve': http://HOST:PORT/sandbox).")
@click.pass_obj
def load(settings: Settings, target: str, level: float, url: str | None) -> None:
    """Make sandbox servers busy: their CPU, memory and network metrics follow LEVEL (a percentage) from now on.

    TARGET is a server's id or name, or a group: every server whose metadata
    metering.server_group (or metering.stack) is TARGET, and those that join
    the group later.
    """
    from keystoneauth1 import exceptions as ksa_exceptions

    from orchestrator.clients import password_session

    root = (url or settings.cloud.sandbox_url or f"http://{settings.sandbox.host}:{settings.sandbox.port}").rstrip("/")
    session = password_session(f"{root}/identity/v3", "admin", settings.sandbox.password, "admin")
    try:
        response = session.put(f"{root}/metric/sandbox/load/{quote(target, safe='')}", json={"level": level},
                               raise_exc=False)
    except ksa_exceptions.ClientException as exc:
        raise click.ClickException(f"cannot reach the sandbox at {root}: {exc}") from None
    if response.status_code != 200:
        try:
            reason = response.json().get("description") or response.text
        except ValueError:
            reason = response.text
        raise click.ClickException(f"the sandbox at {root} refused: {reason}")
    changed = response.json()
    for server in changed["servers"]:
        click.echo(f"{server['name']} ({server['id']}): load {server['before']:g} % -> {server['level']:g} %")
    if changed.get("group"):
        click.echo(f"(servers that join group {changed['group']} later run at {level:g} % too)")


def sandbox_banner(root: str, password: str) -> str:
    """What a person needs to reach a sandbox served at ``root``: its auth URL and its users."""
    users = "\n".join(f"  {user} / {password} (project {user})" for user in SEEDED_USERS)
    return (f"Sandbox cloud listening on {root}\n"
            f"  auth URL: {root}/identity/v3 (region RegionOne, domain default)\n"
            f"Users:\n{users}\n\n"
            f"Use it from the orchestrator with [cloud] sandbox_url = \"{root}\", or with the openstack client:\n"
            f"  openstack --os-auth-url {root}/identity/v3 --os-identity-api-version 3 "
            f"--os-username demo --os-password {password} --os-project-name demo "
            f"--os-user-domain-id default --os-project-domain-id default server list\n")
