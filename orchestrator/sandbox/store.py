"""The sandbox's objects, kept in their own SQLite database so they survive a restart.

Every emulated object (a server, a port, a token, …) is one JSON document
filed under its kind, id and project.  Asynchronous behaviour is data, not
threads: an object carries the changes still to come and when they happen
(``schedule``), and every read applies the ones whose time has come.  A
server created with a 2 s build time is ``BUILD`` until 2 s have passed and
``ACTIVE`` after, whoever looks and whenever, even across a restart.

Keys that start with ``_`` are the sandbox's own bookkeeping; ``public``
strips them before an object is shown.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import JSON, Column, MetaData, String, Table, create_engine, delete, event, insert, select, update
from sqlalchemy.pool import StaticPool

metadata = MetaData()

objects = Table(
    "sandbox_object", metadata,
    Column("kind", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("project_id", String(64), index=True),
    Column("body", JSON, nullable=False),
)

#: the key holding scheduled changes: ``[[epoch_seconds, {changes}], …]``, earliest first
PENDING = "_pending"
#: a scheduled change with this key set removes the object (a deletion that takes time)
GONE = "_gone"


def public(body: dict[str, Any]) -> dict[str, Any]:
    """The object as the API shows it: without the sandbox's own keys."""
    return {key: value for key, value in body.items() if not key.startswith("_")}


def new_id() -> str:
    """A fresh object id (a UUID, as OpenStack's services make them)."""
    return str(uuid.uuid4())


class Store:
    """The object documents, with scheduled changes applied as they come due.

    One process owns a sandbox database; a lock serialises writes, and
    ``transaction`` lets a service check and change several objects at once
    (a port's IP taken from its subnet's pool, say) with nothing in between.
    """

    def __init__(self, url: str = "sqlite://", clock: Callable[[], float] = time.time):
        options: dict[str, Any] = {}
        if url in ("sqlite://", "sqlite:///:memory:"):
            options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        self.engine = create_engine(url, **options)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)
        self.clock = clock
        self._lock = threading.RLock()
        self._local = threading.local()

    def close(self) -> None:
        """Release the database."""
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the store for several reads and writes that must not interleave with others."""
        with self._lock:
            outer = getattr(self._local, "connection", None)
            if outer is not None:
                yield
                return
            with self.engine.begin() as connection:
                self._local.connection = connection
                try:
                    yield
                finally:
                    self._local.connection = None

    @contextmanager
    def _connection(self):
        with self.transaction():
            yield self._local.connection

    # -- reads ------------------------------------------------------------------------------

    def get(self, kind: str, object_id: str, project_id: str | None = None) -> dict[str, Any] | None:
        """The object, with its due changes applied; ``None`` if there is none (in ``project_id``)."""
        with self._connection() as connection:
            row = connection.execute(select(objects.c.body, objects.c.project_id).where(
                objects.c.kind == kind, objects.c.id == object_id)).first()
            if row is None or (project_id is not None and row.project_id != project_id):
                return None
            return self._settled(connection, kind, object_id, row.body)

    def list(self, kind: str, project_id: str | None = None,
             where: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
        """Every object of ``kind`` (in ``project_id``), settled, that ``where`` accepts."""
        with self._connection() as connection:
            query = select(objects.c.id, objects.c.body).where(objects.c.kind == kind)
            if project_id is not None:
                query = query.where(objects.c.project_id == project_id)
            found = []
            for row in connection.execute(query.order_by(objects.c.id)).all():
                body = self._settled(connection, kind, row.id, row.body)
                if body is not None and (where is None or where(body)):
                    found.append(body)
            return found

    def count(self, kind: str, project_id: str | None = None,
              where: Callable[[dict[str, Any]], bool] | None = None) -> int:
        """How many objects ``list`` would give."""
        return len(self.list(kind, project_id, where))

    # -- writes -----------------------------------------------------------------------------

    def add(self, kind: str, body: dict[str, Any], project_id: str | None = None) -> dict[str, Any]:
        """Store a new object; it gets an ``id`` unless it has one."""
        body = dict(body)
        body.setdefault("id", new_id())
        with self._connection() as connection:
            connection.execute(insert(objects).values(kind=kind, id=body["id"], project_id=project_id, body=body))
        return body

    def change(self, kind: str, object_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply ``changes`` (``None`` removes a key) to the object; the object after."""
        with self._connection() as connection:
            body = self.get(kind, object_id)
            if body is None:
                raise KeyError(f"{kind} {object_id} does not exist")
            body = _merged(body, changes)
            connection.execute(update(objects).where(objects.c.kind == kind, objects.c.id == object_id)
                               .values(body=body))
            return body

    def schedule(self, kind: str, object_id: str, after: float, changes: dict[str, Any],
                 replace: bool = False) -> dict[str, Any]:
        """Make ``changes`` happen ``after`` seconds from now (at once when ``after`` is 0).

        ``replace`` drops the changes still pending first (a delete that
        overtakes a build).  ``{GONE: True}`` removes the object when due.
        """
        with self._connection():
            body = self.get(kind, object_id)
            if body is None:
                raise KeyError(f"{kind} {object_id} does not exist")
            pending = [] if replace else list(body.get(PENDING) or [])
            pending.append([self.clock() + max(after, 0.0), changes])
            pending.sort(key=lambda item: item[0])
            self.change(kind, object_id, {PENDING: pending})
            return self.get(kind, object_id) or {}

    def remove(self, kind: str, object_id: str) -> bool:
        """Delete the object now; whether there was one."""
        with self._connection() as connection:
            result = connection.execute(delete(objects).where(objects.c.kind == kind, objects.c.id == object_id))
            return result.rowcount > 0

    def remove_all(self, kind: str, ids: Iterable[str]) -> None:
        """Delete several objects of one kind."""
        for object_id in list(ids):
            self.remove(kind, object_id)

    # -- scheduled changes ------------------------------------------------------------------

    def _settled(self, connection, kind: str, object_id: str, body: dict[str, Any]) -> dict[str, Any] | None:
        pending = body.get(PENDING)
        if not pending:
            return body
        now = self.clock()
        due = [changes for at, changes in pending if at <= now]
        if not due:
            return body
        rest = [item for item in pending if item[0] > now]
        for changes in due:
            if changes.get(GONE):
                connection.execute(delete(objects).where(objects.c.kind == kind, objects.c.id == object_id))
                return None
            body = _merged(body, changes)
        body = _merged(body, {PENDING: rest or None})
        connection.execute(update(objects).where(objects.c.kind == kind, objects.c.id == object_id)
                           .values(body=body))
        return body


def _merged(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(body)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = json.loads(json.dumps(value))  # a copy: stored documents share nothing
    return merged


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
