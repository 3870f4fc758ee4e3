"""What the Zabbix emulator's API methods share: errors as Zabbix words them, ids, and ``*.get`` parameters.

Zabbix objects are global (Zabbix has no projects): each is a document of
kind ``zabbix_<object>`` in the sandbox's store with ``project_id`` unset.
Every value the API shows is a string, as Zabbix sends them; keys starting
with ``_`` are the emulator's own (relations, history).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from ..service import store
from ..store import public

#: error codes of Zabbix's JSON-RPC API
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, APPLICATION_ERROR = (
    -32700, -32600, -32601, -32602, -32500)
MESSAGES = {PARSE_ERROR: "Parse error", INVALID_REQUEST: "Invalid request.", METHOD_NOT_FOUND: "Method not found.",
            INVALID_PARAMS: "Invalid params.", APPLICATION_ERROR: "Application error."}
#: what Zabbix answers for an id that names nothing (or nothing the caller may see)
NO_OBJECT = "No permissions to referred object or it does not exist!"
#: where each kind's ids start (near a fresh Zabbix 6.0's, so that ids look familiar)
FIRST_IDS = {"hostgroup": 20, "host": 10500, "interface": 100, "item": 45000, "trigger": 24000, "script": 10,
             "action": 10, "event": 1, "alert": 1, "token": 1, "template": 10001}


class ZabbixError(Exception):
    """A JSON-RPC error as Zabbix gives it: a code, its fixed message, and what went wrong (``data``)."""

    def __init__(self, code: int, data: str):
        super().__init__(data)
        self.code, self.data = code, data

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": MESSAGES[self.code], "data": self.data}


def invalid(data: str) -> ZabbixError:
    """Invalid parameters (a name clash, a missing field, a bad expression)."""
    return ZabbixError(INVALID_PARAMS, data)


def missing() -> ZabbixError:
    """An id that names nothing."""
    return ZabbixError(APPLICATION_ERROR, NO_OBJECT)


def kind(name: str) -> str:
    """The store kind of Zabbix object ``name``."""
    return f"zabbix_{name}"


def next_id(name: str) -> str:
    """A new id for an object ``name`` (within the caller's store transaction)."""
    sequences = store()
    counter = sequences.get(kind("sequence"), name)
    value = counter["next"] if counter else FIRST_IDS.get(name, 1)
    if counter:
        sequences.change(kind("sequence"), name, {"next": value + 1})
    else:
        sequences.add(kind("sequence"), {"id": name, "next": value + 1})
    return str(value)


def add(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Store a new object ``name`` whose id field is ``<name>id`` (given, or a new one)."""
    field = id_field(name)
    body.setdefault(field, next_id(name))
    return store().add(kind(name), {"id": body[field], **body})


def id_field(name: str) -> str:
    return {"hostgroup": "groupid", "template": "templateid"}.get(name, f"{name}id")


def find(name: str, object_id: Any) -> dict[str, Any]:
    """The object, or the error Zabbix gives for an id that names nothing."""
    found = store().get(kind(name), str(object_id)) if object_id is not None else None
    if found is None:
        raise missing()
    return found


def all_of(name: str, where: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
    return store().list(kind(name), where=where)


def ids_of(value: Any) -> list[str]:
    """A parameter that holds one id or a list of them (or of ``{"<x>id": …}`` objects), as strings."""
    items = value if isinstance(value, list) else [value]
    return [str(next(iter(item.values())) if isinstance(item, Mapping) else item) for item in items
            if item is not None]


def text(value: Any) -> str:
    """A value as Zabbix stores and shows it."""
    return "" if value is None else str(value)


def required(params: Mapping[str, Any], field: str, where: str = "/1") -> Any:
    if params.get(field) in (None, ""):
        raise invalid(f'Invalid parameter "{where}": the parameter "{field}" is missing.')
    return params[field]


def unique(name: str, field: str, value: str, label: str, except_id: str | None = None) -> None:
    """A name clash is refused with Zabbix's message (``Host group "web" already exists.``)."""
    clash = all_of(name, lambda body: body.get(field) == value and body["id"] != except_id)
    if clash:
        raise invalid(f'{label} "{value}" already exists.')


def select(name: str, params: Mapping[str, Any], filters: Mapping[str, Callable[[dict, list[str]], bool]],
           extra: Callable[[dict[str, Any], dict[str, Any]], None] | None = None) -> Any:
    """``<object>.get``: by ids and ``filters`` (parameter → test), ``filter`` on fields, ``output``, ``limit``.

    ``extra(object, shown)`` adds what ``select*`` parameters ask for.
    """
    wanted = {parameter: ids_of(params[parameter]) for parameter in filters if params.get(parameter) is not None}
    exact = {field: [text(value) for value in (values if isinstance(values, list) else [values])]
             for field, values in (params.get("filter") or {}).items()}

    def matches(body: dict[str, Any]) -> bool:
        return (all(filters[parameter](body, ids) for parameter, ids in wanted.items())
                and all(body.get(field) in values for field, values in exact.items()))

    found = sorted(all_of(name, matches), key=lambda body: int(body["id"]))
    if params.get("countOutput"):
        return str(len(found))
    if params.get("limit"):
        found = found[:int(params["limit"])]
    return [_shown(body, params.get("output", "extend"), id_field(name), extra) for body in found]


def _shown(body: dict[str, Any], output: Any, key_field: str, extra: Callable | None) -> dict[str, Any]:
    shown = {key: value for key, value in public(body).items() if key != "id"}
    if isinstance(output, list):  # Zabbix adds the id to the fields asked for
        shown = {key: value for key, value in shown.items() if key in output or key == key_field}
    if extra is not None:
        extra(body, shown)
    return shown


def by_ids(field: str) -> Callable[[dict[str, Any], list[str]], bool]:
    """A ``*.get`` filter: the object's ``field`` is one of the ids asked for."""
    return lambda body, ids: body.get(field) in ids


def in_list(field: str) -> Callable[[dict[str, Any], list[str]], bool]:
    """A ``*.get`` filter: the object's list ``field`` (``_groups``) holds one of the ids asked for."""
    return lambda body, ids: bool(set(body.get(field) or []) & set(ids))


def deleted(name: str, ids: Iterable[str]) -> dict[str, list[str]]:
    """Delete objects ``name`` by id (each must exist); Zabbix's answer."""
    ids = [str(object_id) for object_id in ids]
    for object_id in ids:
        find(name, object_id)
    for object_id in ids:
        store().remove(kind(name), object_id)
    return {f"{id_field(name)}s": ids}
