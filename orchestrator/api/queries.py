"""Reading stacks for the API: find one the caller may see, list with Heat's filters and paging.

Every query here is scoped to the caller's project (an admin asking with
``global_tenant`` sees all); a stack of another project is "not found", as
in Heat, so its existence does not leak.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import Connection, and_, func, or_, select

from orchestrator.db.models import Event as EventRow
from orchestrator.db.models import RawTemplate, Snapshot
from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import Stack as StackRow
from orchestrator.db.templates import load_template

from .faults import BadRequest, NotFound

#: Heat's sort keys → columns
SORT_KEYS = {"stack_name": StackRow.name, "stack_status": StackRow.status, "creation_time": StackRow.created_at,
             "updated_time": StackRow.updated_at, "name": StackRow.name, "status": StackRow.status,
             "created_at": StackRow.created_at, "updated_at": StackRow.updated_at}
#: Heat's list filters → columns
FILTERS = {"id": StackRow.id, "name": StackRow.name, "status": StackRow.status, "action": StackRow.action,
           "username": StackRow.username, "owner_id": StackRow.owner_id, "tenant": StackRow.project_id}


def not_found(name_or_id: str) -> NotFound:
    return NotFound(f"The Stack ({name_or_id}) could not be found.")


def find_stack(connection: Connection, project_id: str, name_or_id: str) -> Any:
    """The live top-level or nested stack called (or with id) ``name_or_id`` in the project."""
    visible = (StackRow.project_id == project_id) & StackRow.deleted_at.is_(None)
    row = connection.execute(select(StackRow).where(visible, StackRow.id == name_or_id)).first()
    if row is None:
        # a name: prefer the top-level stack, as names are unique only among those
        row = connection.execute(select(StackRow).where(visible, StackRow.name == name_or_id)
                                 .order_by(StackRow.owner_id.is_not(None), StackRow.created_at.desc())).first()
    if row is None:
        raise not_found(name_or_id)
    return row


def stack_by_identity(connection: Connection, project_id: str, name: str, stack_id: str) -> Any:
    """The stack a canonical URL names; its name must match too."""
    row = connection.execute(select(StackRow).where(StackRow.id == stack_id, StackRow.project_id == project_id,
                                                    StackRow.deleted_at.is_(None))).first()
    if row is None or row.name != name:
        raise not_found(f"{name}/{stack_id}" if row is None else name)
    return row


def count_top_level_stacks(connection: Connection, project_id: str) -> int:
    return connection.execute(select(func.count()).select_from(StackRow).where(
        StackRow.project_id == project_id, StackRow.owner_id.is_(None), StackRow.deleted_at.is_(None))).scalar()


@dataclass
class ListQuery:
    """A stack list request, as parsed from Heat's query parameters."""

    project_id: str | None
    filters: dict[str, list[str]]
    limit: int | None = None
    marker: str | None = None
    sort_keys: tuple[str, ...] = ("creation_time",)
    sort_dir: str = "desc"
    show_deleted: bool = False
    show_nested: bool = False
    tags: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    not_tags: tuple[str, ...] = ()
    not_tags_any: tuple[str, ...] = ()


def list_stacks(connection: Connection, query: ListQuery) -> list[Any]:
    """Stacks matching ``query``, sorted, after ``marker``, at most ``limit``."""
    statement = select(StackRow)
    if query.project_id is not None:
        statement = statement.where(StackRow.project_id == query.project_id)
    if not query.show_deleted:
        statement = statement.where(StackRow.deleted_at.is_(None))
    if not query.show_nested:
        statement = statement.where(StackRow.owner_id.is_(None))
    for key, values in query.filters.items():
        statement = statement.where(FILTERS[key].in_(values))
    for key in query.sort_keys:
        if key not in SORT_KEYS:
            raise BadRequest(f"Sort key {key} is not supported; use one of "
                             "stack_name, stack_status, creation_time, updated_time.")
    columns = [SORT_KEYS[key] for key in query.sort_keys] + [StackRow.id]
    descending = query.sort_dir == "desc"
    filtered = statement
    statement = statement.order_by(*(column.desc() if descending else column.asc() for column in columns))
    tagged = query.tags or query.tags_any or query.not_tags or query.not_tags_any
    if not tagged and not any(column.expression.nullable for column in columns):
        # Paged in the database: a page of 20 reads 20 rows, not the project's every stack.
        # (Tags are JSON, matched here; NULLs sort differently on each database.)
        if query.marker is not None:
            marker = connection.execute(filtered.with_only_columns(*columns)
                                        .where(StackRow.id == query.marker)).first()
            if marker is None:
                raise NotFound(f"The marker {query.marker} could not be found.", "Invalid")
            statement = statement.where(_after_marker(columns, tuple(marker), descending))
        if query.limit is not None:
            statement = statement.limit(query.limit)
        return list(connection.execute(statement).all())
    rows: Iterable[Any] = connection.execute(statement).all()
    if query.tags or query.tags_any or query.not_tags or query.not_tags_any:
        rows = [row for row in rows if _tags_match(set(row.tags or ()), query)]
    rows = list(rows)
    if query.marker is not None:
        position = next((i for i, row in enumerate(rows) if row.id == query.marker), None)
        if position is None:
            raise NotFound(f"The marker {query.marker} could not be found.", "Invalid")
        rows = rows[position + 1:]
    return rows if query.limit is None else rows[:query.limit]


def _after_marker(columns: list[Any], values: tuple[Any, ...], descending: bool) -> Any:
    """Rows after the marker row, whose sort values are ``values``, in the order of ``columns``."""
    clauses = []
    for position, column in enumerate(columns):
        beyond = column < values[position] if descending else column > values[position]
        clauses.append(and_(*(earlier == values[number] for number, earlier in enumerate(columns[:position])),
                            beyond))
    return or_(*clauses)


def _tags_match(tags: set[str], query: ListQuery) -> bool:
    return ((not query.tags or set(query.tags) <= tags)
            and (not query.tags_any or bool(tags & set(query.tags_any)))
            and (not query.not_tags or not set(query.not_tags) <= tags)
            and (not query.not_tags_any or not tags & set(query.not_tags_any)))


class Descriptions:
    """Template descriptions by template id: lists show one per stack, and templates never change."""

    def __init__(self, size: int = 4096):
        self._known: dict[int, str] = {}
        self._size = size
        self._lock = threading.Lock()

    def of(self, connection: Connection, template_ids: Iterable[int]) -> dict[int, str]:
        wanted = set(template_ids)
        with self._lock:
            missing = wanted - self._known.keys()
        if missing:
            found = {row.id: _description(row.template) for row in connection.execute(
                select(RawTemplate.id, RawTemplate.template).where(RawTemplate.id.in_(missing)))}
            with self._lock:
                if len(self._known) + len(found) > self._size:
                    self._known.clear()
                self._known.update(found)
        with self._lock:
            return {template_id: self._known.get(template_id, "") for template_id in wanted}


def _description(template: Any) -> str:
    if not isinstance(template, dict):
        return ""
    description = template.get("description", template.get("Description", ""))
    return description if isinstance(description, str) else ""


# -- resources and events of a stack (resources.py, events.py) --------------------------------
# These take stack ids the caller was allowed to see (``stack_by_identity``): the scoping is there.

#: Heat's states, for filters that take ``COMPLETE`` or ``CREATE_COMPLETE``
STATUSES = ("IN_PROGRESS", "COMPLETE", "FAILED")


def state_filter(values: Iterable[str]) -> tuple[set[str], set[tuple[str, str]]]:
    """Status filter values as plain statuses and ``(action, status)`` pairs (``CREATE_COMPLETE``)."""
    statuses: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for value in values:
        value = value.upper()
        suffix = next((s for s in STATUSES if value.endswith("_" + s)), None)
        if value in STATUSES or suffix is None:
            statuses.add(value)
        else:
            pairs.add((value[:-len(suffix) - 1], suffix))
    return statuses, pairs


def current_resources(connection: Connection, stack_ids: Iterable[str]) -> list[Any]:
    """The current resource rows of the stacks, oldest first: a replaced row gives way to its replacement."""
    rows = connection.execute(select(ResourceRow).where(ResourceRow.stack_id.in_(list(stack_ids)),
                                                        ResourceRow.replaced_by.is_(None))
                              .order_by(ResourceRow.id)).all()
    latest = {(row.stack_id, row.name): row for row in rows}
    return sorted(latest.values(), key=lambda row: row.id)


def find_resource(connection: Connection, stack_id: str, name: str, *, physical_id: bool = False) -> Any:
    """The current row of resource ``name`` of a stack (or, with ``physical_id``, the one with that id)."""
    for row in reversed(current_resources(connection, [stack_id])):
        if row.name == name:
            return row
    if physical_id:
        for row in current_resources(connection, [stack_id]):
            if row.physical_id == name:
                return row
    raise NotFound(f"The Resource ({name}) could not be found.", "ResourceNotFound")


def child_stacks(connection: Connection, parent_ids: Iterable[str]) -> list[Any]:
    """The live nested stacks the stacks ``parent_ids`` own, oldest first."""
    parent_ids = list(parent_ids)
    if not parent_ids:
        return []
    return connection.execute(select(StackRow).where(StackRow.owner_id.in_(parent_ids),
                                                     StackRow.deleted_at.is_(None))
                              .order_by(StackRow.created_at, StackRow.id)).all()


def stack_tree(connection: Connection, stack: Any, depth: int) -> list[Any]:
    """``stack`` and its live nested stacks down to ``depth`` levels below it, level by level."""
    tree, level = [stack], [stack]
    for _ in range(max(depth, 0)):
        level = child_stacks(connection, [row.id for row in level])
        if not level:
            break
        tree.extend(level)
    return tree


def nested_stack_of(resource: Any, children: Iterable[Any]) -> Any:
    """The nested stack a resource owns among ``children`` (its stack's nested stacks), if any."""
    by_parent = None
    for child in children:
        if resource.nested_stack_id is not None and child.id == resource.nested_stack_id:
            return child
        if child.owner_id == resource.stack_id and child.parent_resource == resource.name:
            by_parent = child  # the newest, as children come oldest first
    return by_parent


#: Heat's event sort keys → columns (``event_time`` is when the event happened)
EVENT_SORT_KEYS = {"event_time": "created_at", "created_at": "created_at", "resource_type": "resource_type",
                   "resource_name": "resource_name", "resource_action": "action", "resource_status": "status"}
#: Heat's event filters → columns
EVENT_FILTERS = {"resource_action": "action", "resource_status": "status", "resource_name": "resource_name",
                 "resource_type": "resource_type"}


@dataclass
class EventQuery:
    """An event list request: the stacks whose events to list, Heat's filters, sorting and paging."""

    stack_ids: tuple[str, ...]
    filters: dict[str, list[str]]
    limit: int | None = None
    marker: str | None = None
    sort_keys: tuple[str, ...] = ()
    sort_dir: str = "asc"


def list_events(connection: Connection, query: EventQuery) -> list[Any]:
    """Events matching ``query``, sorted, after ``marker``, at most ``limit``: all done by the database.

    Events are ordered by the sort keys, then by their row id (the order they
    were written in), so that paging with a marker neither repeats nor skips
    an event; the marker's position is compared in SQL, never loaded in bulk.
    """
    statement = select(EventRow).where(EventRow.stack_id.in_(list(query.stack_ids)))
    for key, values in query.filters.items():
        column = getattr(EventRow, EVENT_FILTERS[key])
        if key == "resource_status":
            statuses, pairs = state_filter(values)
            statement = statement.where(or_(column.in_(statuses), *(
                and_(EventRow.action == action, EventRow.status == status) for action, status in pairs)))
        elif key == "resource_action":
            statement = statement.where(column.in_([value.upper() for value in values]))
        else:
            statement = statement.where(column.in_(values))
    columns = []
    for key in query.sort_keys:
        if key not in EVENT_SORT_KEYS:
            raise BadRequest(f"Sort key {key} is not supported; use one of {', '.join(EVENT_SORT_KEYS)}.")
        column = EventRow.__table__.c[EVENT_SORT_KEYS[key]]
        if not any(column is known for known in columns):
            columns.append(column)
    # nullable text columns sort (and compare) as empty text, so the marker's comparison is exact
    keys = [func.coalesce(column, "") if column.nullable else column for column in columns] + [EventRow.__table__.c.id]
    descending = query.sort_dir == "desc"
    if query.marker is not None:
        marker_id = connection.execute(select(EventRow.id).where(
            EventRow.uuid == query.marker, EventRow.stack_id.in_(list(query.stack_ids)))).scalar()
        if marker_id is None:
            raise NotFound(f"The marker {query.marker} could not be found.", "EntityNotFound")
        statement = statement.where(_after(keys, marker_id, descending))
    statement = statement.order_by(*(key.desc() if descending else key.asc() for key in keys))
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return connection.execute(statement).all()


def _after(keys: list[Any], marker_id: int, descending: bool) -> Any:
    """Rows after the marker row in the order of ``keys`` (the last key is the unique row id)."""
    def marker_value(key: Any) -> Any:
        return select(key).where(EventRow.id == marker_id).scalar_subquery()

    clauses = []
    for position, key in enumerate(keys):
        equal = [earlier == marker_value(earlier) for earlier in keys[:position]]
        beyond = key < marker_value(key) if descending else key > marker_value(key)
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


def find_event(connection: Connection, stack_id: str, resource_name: str, event_id: str) -> Any:
    """Event ``event_id`` of resource ``resource_name`` of a stack (404 otherwise)."""
    row = connection.execute(select(EventRow).where(EventRow.uuid == event_id, EventRow.stack_id == stack_id,
                                                    EventRow.resource_name == resource_name)).first()
    if row is None:
        raise NotFound(f"The Event ({event_id}) could not be found.", "EntityNotFound")
    return row


def has_events(connection: Connection, stack_id: str, resource_name: str) -> bool:
    """Whether a stack has any event about ``resource_name``."""
    return connection.execute(select(EventRow.id).where(EventRow.stack_id == stack_id,
                                                        EventRow.resource_name == resource_name)
                              .limit(1)).first() is not None


def stored_template(connection: Connection, template_id: int) -> tuple[dict, dict, dict]:
    """``(template, environment, files)`` as stored (the environment without the stack's parameter values)."""
    template, environment, files, _ = load_template(connection, template_id)
    return template, environment, files


def resource_rows_by_name(connection: Connection, stack_id: str) -> dict[str, Any]:
    """A stack's current resource rows by name (a replaced row gives way to its replacement).

    The ``metadata`` column reads as ``metadata_``, as on the model.
    """
    columns = [column.label("metadata_") if column.name == "metadata" else column
               for column in ResourceRow.__table__.columns]
    rows = connection.execute(select(*columns).where(ResourceRow.stack_id == stack_id,
                                                     ResourceRow.replaced_by.is_(None))
                              .order_by(ResourceRow.id)).all()
    return {row.name: row for row in rows}


def list_snapshots(connection: Connection, stack_id: str) -> list[Any]:
    """A stack's snapshots, oldest first."""
    return list(connection.execute(select(Snapshot.__table__).where(Snapshot.stack_id == stack_id)
                                   .order_by(Snapshot.created_at, Snapshot.id)).all())


def find_snapshot(connection: Connection, stack: Any, snapshot_id: str) -> Any:
    """The snapshot ``snapshot_id`` of ``stack`` (404 if it has none by that id)."""
    row = connection.execute(select(Snapshot.__table__).where(Snapshot.id == snapshot_id,
                                                              Snapshot.stack_id == stack.id)).first()
    if row is None:
        raise snapshot_not_found(snapshot_id, stack.name)
    return row


def snapshot_not_found(snapshot_id: str, stack_name: str) -> NotFound:
    return NotFound(f"The Snapshot ({snapshot_id}) for Stack ({stack_name}) could not be found.")
