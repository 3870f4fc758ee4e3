"""Building a process's engine from the service's settings."""

from __future__ import annotations

from typing import Any

from orchestrator.config import Settings
from orchestrator.db.database import Database
from resources.registry import PluginRegistry

from .cloud_constraints import attach_cloud_constraints
from .context import EngineContext, EngineSettings
from .plugin_configuration import PluginConfiguration
from .service import Engine
from .signing import SignalSigner, SignalUrls


def engine_settings(settings: Settings) -> EngineSettings:
    """The engine's knobs that the service's configuration sets."""
    limits = settings.limits
    return EngineSettings(max_nested_depth=limits.max_nested_stack_depth,
                          max_resources_per_stack=limits.max_resources_per_stack,
                          max_events_per_stack=limits.max_events_per_stack,
                          lock_lease=settings.worker.lock_lease_seconds)


def open_engine(settings: Settings, *, upgrade: bool = True, engine_settings_: EngineSettings | None = None,
                cloud_factory: Any = None) -> Engine:
    """An engine on the configured database (migrated to the newest schema unless ``upgrade`` is false).

    Its plugins act on ``cloud_factory``'s connections, else on the cloud of
    the ``[cloud]`` settings (none when neither is given); the plugins'
    custom constraints check values against that cloud.
    """
    if not settings.database.url:
        settings.data_path.mkdir(parents=True, exist_ok=True)
    database = Database(settings.database_url(), pool_size=settings.database.pool_size)
    if upgrade:
        database.upgrade()
    plugins = PluginRegistry.discover(settings.plugins.plugin_dirs)
    if cloud_factory is None:
        from orchestrator.clients import cloud_factory as configured_cloud

        cloud_factory = configured_cloud(settings)
    from orchestrator.clients import TrustConnections

    trusts = cloud_factory if isinstance(cloud_factory, TrustConnections) else None
    context = EngineContext(database, plugins, settings=engine_settings_ or engine_settings(settings),
                            cloud_factory=cloud_factory, trusts=trusts, extra_services=engine_services(settings))
    attach_cloud_constraints(context)
    return Engine(context)


def engine_services(settings: Settings) -> dict:
    """The services of the whole engine that plugins may ask for: ``"signals"`` makes signed URLs.

    The URLs start with the configured ``public_url``, else the API's host and
    port: a process whose port is chosen when it starts (tests) builds these again.
    ``"configuration"`` reads the plugins' configuration sections and the stack's
    ``parameter_defaults`` (``plugin_configuration.py``).
    """
    return {"signals": SignalUrls(SignalSigner.from_settings(settings)),
            "configuration": PluginConfiguration.from_settings(settings)}
