"""What every operation of one engine process shares: database, writer, plugins, threads, settings."""

from __future__ import annotations

import gc
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from orchestrator.db.database import Database
from orchestrator.template.constraints import CustomConstraints, default_custom_constraints
from resources.registry import PluginRegistry

from .writer import StateWriter


@dataclass(frozen=True)
class EngineSettings:
    """Knobs of the engine (Heat's defaults where Heat has one)."""

    #: threads for plugin calls that block on I/O (the cloud)
    worker_threads: int = 64
    #: how many times a failed create is retried (delete, then create again)
    action_retry_limit: int = 2
    #: seconds before the first retry; doubled for each further one (plus jitter)
    retry_backoff: float = 1.0
    #: first delay between two completion checks, its growth factor and its cap (seconds)
    poll_initial: float = 0.05
    poll_factor: float = 1.5
    poll_max: float = 2.0
    #: how often waiting resources look for a cleared hook or a cancel request (seconds)
    watch_interval: float = 0.2
    #: stack lock lease: the holder renews it every third of this (seconds)
    lock_lease: float = 30.0
    #: default stack timeout when a request gives none (minutes; Heat: 60)
    default_timeout_mins: int = 60
    #: seconds in one minute of ``timeout_mins`` (only tests shorten it)
    timeout_unit: float = 60.0
    max_nested_depth: int = 5
    max_resources_per_stack: int = 1000
    max_events_per_stack: int = 1000


@dataclass
class EngineContext:
    """Shared by every operation an engine process runs."""

    database: Database
    plugins: PluginRegistry
    settings: EngineSettings = field(default_factory=EngineSettings)
    custom_constraints: CustomConstraints = field(default_factory=default_custom_constraints)
    #: makes the openstacksdk connection plugins use (set when a cloud is configured)
    cloud_factory: Callable[[Any], Any] | None = None
    #: makes and deletes the Keystone trusts stacks act with (``clients.TrustConnections``, which is the
    #: ``cloud_factory`` too); ``None``: stacks act with the cloud's own credentials
    trusts: Any = None
    engine_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: services every plugin may ask for with ``runtime.service(name)`` besides the
    #: per-operation ones (``"signals"``: signed signal URLs); one with a
    #: ``bound_to(view, record)`` method is handed out bound to the asking resource
    extra_services: dict[str, Any] = field(default_factory=dict)
    writer: StateWriter = field(init=False)
    executor: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self.writer = StateWriter(self.database)
        self.executor = ThreadPoolExecutor(self.settings.worker_threads, thread_name_prefix="plugin")
        if self.plugins.custom_constraints is None:
            self.plugins.custom_constraints = self.custom_constraints

    def close(self) -> None:
        """Finish queued writes and stop the threads."""
        self.executor.shutdown(wait=True)
        self.writer.close()


def freeze_startup_objects() -> None:
    """Keep everything allocated so far out of the garbage collector's full passes.

    A service process starts with hundreds of thousands of long-lived
    objects (imported modules, SQLAlchemy and yaql machinery, plugin
    classes).  Without this, the first full collection during a large
    operation walks them all and stalls it for tens of milliseconds.  Call
    it once the engine is set up, before serving.
    """
    gc.collect()
    gc.freeze()
