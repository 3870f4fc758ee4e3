"""Celery workers: every stack operation the API accepts runs here as a task.

The API stores a request (the stack in ``<ACTION>_IN_PROGRESS``, its lock
held for the job) and sends one small message, ``{stack_id, action, holder,
argument}``; a worker runs the job with ``Engine.run``.  Clients follow
progress in the database (events, states), never through Celery results, so
results are not kept.

Messages are acknowledged when a worker takes them, not when the job ends:
redelivering a half-run operation to a second worker would run it twice.
Crash safety comes from the engine instead: a job's lock is a lease, and
every worker looks now and then for leases that ran out (a worker that died,
a message lost with an in-process queue) and resumes or fails those
operations (``Engine.recover``).  A job still waiting in the queue must not
look dead: the distributed API gives its lock a long lease
(``[worker] queued_lease_seconds``) that the worker taking it shortens to its
own, and the embedded service renews the leases of the jobs waiting in its
in-process queue (``InProcessQueue``).
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Protocol

from celery import Celery

from orchestrator.engine import locks
from orchestrator.engine.requests import Job
from orchestrator.engine.service import Engine

log = logging.getLogger(__name__)

#: the Celery task that runs one job
RUN_JOB = "orchestrator.run_job"
#: the queue stack operations go to unless ``[worker] queue`` names another
QUEUE = "orchestrator"
#: the broker when none is configured: kombu's in-process transport (``orchestrator serve``);
#: named host only so that kombu does not warn about a missing one
IN_PROCESS_BROKER = "memory://localhost/"
#: how often (seconds) the in-process transport looks for a job when it found none: a job
#: waits at most this long to start, and every look takes the interpreter lock from the API's
#: threads (``orchestrator serve`` looks every 0.1 s: see docs/benchmarks.md, API)
IN_PROCESS_POLL_INTERVAL = 0.01

#: how soon (seconds) a worker notices SIGTERM/SIGINT when it is idle
SHUTDOWN_CHECK_INTERVAL = 1.0


class JobQueue(Protocol):
    """Where the API sends the jobs it has stored."""

    def submit(self, job: Job) -> None:
        """Hand ``job`` to a worker; returns once it is queued."""


def celery_app(broker_url: str = "", queue: str = QUEUE, *, poll_interval: float = IN_PROCESS_POLL_INTERVAL) -> Celery:
    """The Celery application, for producers (the API) and workers alike; jobs go to ``queue``.

    ``poll_interval`` applies to the in-process transport only (no ``broker_url``).
    """
    app = Celery("orchestrator", broker=broker_url or IN_PROCESS_BROKER, set_as_current=False)
    app.conf.update(
        task_default_queue=queue,
        task_ignore_result=True,
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        # the in-process transport polls (see IN_PROCESS_POLL_INTERVAL)
        broker_transport_options={"polling_interval": poll_interval} if not broker_url else {},
    )
    return app


class CeleryQueue:
    """Jobs as Celery messages.

    With ``engine``, a job the broker refuses has its lock's lease ended at
    once, so that the next recovery pass of any worker takes the stack over
    instead of waiting for a lease meant for jobs waiting in the queue.
    """

    def __init__(self, app: Celery, engine: Engine | None = None):
        self.app = app
        self.engine = engine

    def submit(self, job: Job) -> None:
        try:
            self.app.send_task(RUN_JOB, args=[job.to_message()], queue=self.app.conf.task_default_queue)
        except Exception:
            self._expire(job)
            raise

    def _expire(self, job: Job) -> None:
        if self.engine is None:
            return
        try:
            with self.engine.context.database.engine.begin() as connection:
                locks.renew(connection, job.stack_id, job.holder, 0)
        except Exception:
            log.exception("could not end the lease of %s of stack %s", job.action, job.stack_id)


class InProcessQueue(CeleryQueue):
    """Jobs for the worker in this very process (``orchestrator serve``), their locks kept alive while they wait.

    A job that waits longer than a lock lease (every slot of the worker
    busy) would look abandoned to the recovery pass, which would fail an
    update that simply has not started yet.  The queue lives in this process,
    so its jobs cannot be lost while the process lives: a thread renews the
    leases of waiting jobs until the worker takes them (``started``).  If the
    process dies, the renewals die with it and recovery works as usual.
    """

    def __init__(self, app: Celery, engine: Engine):
        super().__init__(app, engine)
        self._waiting: dict[str, str] = {}  # holder → stack id
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="queued-leases", daemon=True)

    def submit(self, job: Job) -> None:
        with self._lock:
            self._waiting[job.holder] = job.stack_id
        try:
            super().submit(job)
        except Exception:
            self.started(job)  # not queued: nothing to keep alive
            raise

    def started(self, job: Job) -> None:
        """The worker took ``job``: its own renewals keep the lock from now on."""
        with self._lock:
            self._waiting.pop(job.holder, None)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _renew(self) -> None:
        lease = self.engine.context.settings.lock_lease
        while not self._stop.wait(lease / 3):
            with self._lock:
                waiting = list(self._waiting.items())
            if not waiting:
                continue
            try:
                with self.engine.context.database.engine.begin() as connection:
                    lost = [holder for holder, stack_id in waiting
                            if not locks.renew(connection, stack_id, holder, lease)]
            except Exception:
                log.exception("could not renew the locks of queued jobs")
                continue
            with self._lock:
                for holder in lost:  # finished, or taken over: nothing left to keep
                    self._waiting.pop(holder, None)


def register_tasks(app: Celery, engine: Engine, on_start: Callable[[Job], None] | None = None) -> None:
    """Give ``app`` the task that runs jobs on ``engine`` (in a worker process); ``on_start(job)`` first."""

    @app.task(name=RUN_JOB, ignore_result=True, shared=False)  # bound to this engine, not every app
    def run_job(message: dict) -> bool:
        job = Job(**message)
        if on_start is not None:
            on_start(job)
        log.info("running %s of stack %s", job.action, job.stack_id)
        complete = engine.run(job)
        # what operators (and the distributed tests) read to see which worker ran what
        log.info("%s of stack %s ended %s", job.action, job.stack_id, "COMPLETE" if complete else "not COMPLETE")
        return complete


class Recoverer:
    """A thread that takes over operations whose engine died, every ``interval`` seconds."""

    def __init__(self, engine: Engine, interval: float):
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="recovery", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for stack_id, state in self.engine.recover():
                    log.warning("took over stack %s from a dead engine: %s", stack_id, state)
            except Exception:
                log.exception("recovery pass failed")
            self._stop.wait(self.interval)


def run_worker(app: Celery, engine: Engine, *, concurrency: int, recovery_interval: float,
               hostname: str | None = None, loglevel: str = "INFO", quiet: bool = False,
               on_start: Callable[[Job], None] | None = None) -> None:
    """Consume jobs until stopped (SIGTERM/SIGINT finish the running jobs first).

    A thread pool, not processes: jobs wait on the cloud, and each job's
    engine has its own threads for blocking plugin calls.  ``quiet`` leaves
    out Celery's start-up banner; ``on_start(job)`` is called as a job starts.
    """
    register_tasks(app, engine, on_start)
    recoverer = Recoverer(engine, recovery_interval)
    recoverer.start()
    try:
        worker = app.Worker(pool="threads", concurrency=concurrency, queues=[app.conf.task_default_queue],
                            hostname=hostname, loglevel=loglevel, quiet=quiet, without_heartbeat=True,
                            without_mingle=True, without_gossip=True)
        # A warm shutdown only sets a flag that the consumer loop reads when it
        # wakes up, and with nothing else scheduled it sleeps up to 10 s in
        # poll(): a tick every second makes SIGTERM take effect within one.
        worker.timer.call_repeatedly(SHUTDOWN_CHECK_INTERVAL, _tick)
        worker.start()
    finally:
        recoverer.stop()


def _tick() -> None:
    """Nothing: being called wakes the worker's event loop (see ``run_worker``)."""
