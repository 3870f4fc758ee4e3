"""The API as a WSGI application for servers such as gunicorn: ``orchestrator.api.wsgi:application``."""

from __future__ import annotations

from dataclasses import replace

from flask import Flask

from orchestrator.config import Settings, load_settings


def application_for(settings: Settings) -> Flask:
    """The API for ``settings``, sending jobs to the configured broker (the schema must be current).

    The locks of the jobs it accepts get ``[worker] queued_lease_seconds``, not
    the workers' short lease: a job may wait in the queue while every worker
    is busy, and a recovery pass must not mistake it for the job of a dead
    worker (it would fail an update that simply had not started yet).  The
    worker that takes the job renews the lock with its own lease at once, and
    a job the broker refuses has its lease ended at once.
    """
    from orchestrator.engine.context import freeze_startup_objects
    from orchestrator.engine.setup import engine_settings, open_engine
    from orchestrator.worker import CeleryQueue, celery_app

    from .app import create_app

    accepting = replace(engine_settings(settings), lock_lease=settings.worker.queued_lease_seconds)
    engine = open_engine(settings, upgrade=False, engine_settings_=accepting)
    jobs = celery_app(settings.worker.broker_url, settings.worker.queue)
    app = create_app(settings, engine, CeleryQueue(jobs, engine))
    freeze_startup_objects()  # the long-lived objects of this process stay out of full collections
    return app


def __getattr__(name: str):
    # built on first use, so importing this module costs nothing
    if name == "application":
        global application
        application = application_for(load_settings())
        return application
    raise AttributeError(name)
