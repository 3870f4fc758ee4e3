"""The emulator's JSON-RPC endpoint: ``POST /zabbix/api_jsonrpc.php``, answered as Zabbix 6.0 answers.

A call is checked as Zabbix checks it (content type, JSON, ``method``, the
API and method names, then the caller's session or token) and runs in one
store transaction, so a refused call changes nothing.  Errors carry
Zabbix's codes and words (``common.py``); HTTP is 200 whatever the outcome,
as with Zabbix, except for a request that is not JSON-RPC at all.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping

from flask import Blueprint, Response, jsonify, request

from ..service import store
from . import actions, auth, hosts, items
from .common import INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, ZabbixError, invalid

#: the version ``apiinfo.version`` gives (the API of Zabbix 6.0 LTS)
VERSION = "6.0.14"
#: the content types Zabbix accepts (anything else: HTTP 412)
CONTENT_TYPES = ("application/json-rpc", "application/json", "application/jsonrequest")
METHODS: dict[str, Callable[[Any, Any], Any]] = {
    "apiinfo.version": lambda _params, _caller: VERSION,
    **auth.METHODS, **hosts.METHODS, **items.METHODS, **actions.METHODS,
}
APIS = {method.partition(".")[0] for method in METHODS}

blueprint = Blueprint("zabbix", __name__, url_prefix="/zabbix")


@blueprint.post("/api_jsonrpc.php")
def json_rpc() -> Response:
    """One JSON-RPC call."""
    if request.mimetype not in CONTENT_TYPES:
        return Response(status=412)
    try:
        call = json.loads(request.get_data() or b"")
    except ValueError:
        return _answer(None, error=ZabbixError(
            PARSE_ERROR, "Invalid JSON. An error occurred on the server while parsing the JSON text."))
    if not isinstance(call, dict):
        return _answer(None, error=ZabbixError(INVALID_REQUEST, 'Invalid parameter "/": an array is expected.'))
    try:
        result = _dispatch(call)
    except ZabbixError as exc:
        return _answer(call.get("id"), error=exc)
    return _answer(call.get("id"), result=result)


def _dispatch(call: Mapping[str, Any]) -> Any:
    method = call.get("method")
    if not isinstance(method, str) or not method:
        raise ZabbixError(INVALID_REQUEST, 'Invalid parameter "/": the parameter "method" is missing.')
    api = method.partition(".")[0]
    if api not in APIS:
        raise ZabbixError(METHOD_NOT_FOUND, f'Incorrect API "{api}".')
    if method not in METHODS:
        raise ZabbixError(METHOD_NOT_FOUND, f'Incorrect method "{method}".')
    with store().transaction():
        if method in auth.UNAUTHENTICATED:
            if method == "apiinfo.version" and call.get("auth") is not None:
                raise invalid('The "apiinfo.version" method must be called without the "auth" parameter.')
            caller = None
        else:
            caller = auth.authenticate(call.get("auth") or _bearer())
        params = call.get("params") if call.get("params") is not None else {}
        try:
            return METHODS[method](params, caller)
        except (TypeError, AttributeError, KeyError, ValueError) as exc:
            # parameters of a form no method expects: an answer, as Zabbix's, never a traceback
            raise invalid(f'Invalid parameter "/": the parameters of {method} are not of the form it takes '
                          f'({type(exc).__name__}: {exc}).') from None


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def _answer(request_id: Any, result: Any = None, error: ZabbixError | None = None) -> Response:
    body: dict[str, Any] = {"jsonrpc": "2.0"}
    if error is not None:
        body["error"] = error.body()
    else:
        body["result"] = result
    body["id"] = request_id
    return jsonify(body)
