"""``orchestrator sandbox``: the OpenStack API emulator on its own, for ``[cloud] sandbox_url`` and the CLI."""

from __future__ import annotations

import signal
from dataclasses import replace

import click

from orchestrator.config import SandboxSettings, Settings

#: the seeded users, each a member of the project of its name (``admin`` also holds the admin role)
SEEDED_USERS = ("admin", "demo")


@click.group()
def sandbox() -> None:
    """The sandbox: an emulated OpenStack cloud (Keystone, Nova, Glance, Neutron, Cinder, Octavia)."""


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
        app.extensions["sandbox"].store.close()


def _stop(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def sandbox_settings(settings: Settings, host: str | None, port: int | None, data_dir: str | None) -> Settings:
    """The configured settings with the command's options."""
    sandbox_ = replace(settings.sandbox, host=host or settings.sandbox.host,
                       port=settings.sandbox.port if port is None else port)
    service = replace(settings.service, data_dir=data_dir) if data_dir else settings.service
    return replace(settings, sandbox=sandbox_, service=service)


def open_sandbox(settings: Settings):
    """The sandbox application on its configured database (``sandbox.db`` in the data directory by default)."""
    from orchestrator.sandbox import create_app

    if not settings.sandbox.database_url:
        settings.data_path.mkdir(parents=True, exist_ok=True)
    configured: SandboxSettings = replace(settings.sandbox, database_url=settings.sandbox_database_url())
    return create_app(configured)


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
