"""The sandbox: an OpenStack API emulator, the embedded default cloud.

It serves the Keystone v3, Nova, Glance, Neutron, Cinder, Octavia, Gnocchi
and Aodh APIs that the resource plugins use, with the real services' paths,
bodies, status transitions and error codes, over HTTP (``orchestrator sandbox
serve``) or in-process through a requests adapter (``adapter.py``).  The
plugins only ever speak openstacksdk, so they cannot tell it from a cloud.

Layout: ``store.py`` keeps the objects (SQLite), ``service.py`` is what every
emulated service shares (authentication, injected latency and faults, error
bodies, version documents), and one module per service holds its routes.
"""

from .app import close_sandbox, create_app, start_alarm_evaluator

__all__ = ["close_sandbox", "create_app", "start_alarm_evaluator"]
