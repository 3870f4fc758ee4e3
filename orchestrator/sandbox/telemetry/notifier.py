"""Delivering alarm notifications: Aodh's webhook POSTs, with a timeout and a few retries.

``http``/``https`` actions get Aodh's JSON body; ``trust+http(s)`` actions
are posted the same way without a token (the sandbox has no trusts to act
with there, and our signal URLs need none); ``log://`` actions are logged.
A delivery that fails, or an action the sandbox cannot deliver
(``zaqar://``), is logged and written into the alarm's history as an
``action failure`` entry (a sandbox addition: Aodh only logs it); nothing
here ever raises, so the evaluator thread goes on.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Iterable

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..store import Store
from .alarms import ALARM, add_history, history_entry
from .evaluator import Notification

log = logging.getLogger(__name__)

#: seconds a webhook may take to answer
TIMEOUT = 5.0
#: further tries of a webhook after a connection error or a 5xx answer
RETRIES = 2


def _session() -> requests.Session:
    session = requests.Session()
    retry = Retry(total=RETRIES, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504), allowed_methods=None,
                  raise_on_status=False)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _record_failure(store: Store, notification: Notification, error: str) -> None:
    log.warning("alarm %s: action %s failed: %s", notification.alarm_id, notification.url, error)
    alarm = store.get(ALARM, notification.alarm_id)
    if alarm is not None:
        add_history(store, notification.alarm_id, history_entry(
            alarm, "action failure", {"action": notification.url, "error": error,
                                      "current": notification.body.get("current")},
            store.clock(), None, None))


def deliver_one(store: Store, notification: Notification, session: requests.Session) -> bool:
    """Call one action; whether it was delivered (a failure is recorded)."""
    url = notification.url
    scheme, _, rest = url.partition("://")
    if scheme == "log":
        log.info("alarm %s (%s): %s → %s: %s", notification.body["alarm_name"], notification.alarm_id,
                 notification.body["previous"], notification.body["current"], notification.body["reason"])
        return True
    if scheme in ("trust+http", "trust+https"):
        url = f"{scheme.removeprefix('trust+')}://{rest.rpartition('@')[2]}"
    elif scheme not in ("http", "https"):
        _record_failure(store, notification, f"the sandbox does not deliver {scheme}:// actions")
        return False
    try:
        response = session.post(url, data=json.dumps(notification.body), timeout=TIMEOUT, headers={
            "Content-Type": "application/json", "x-openstack-request-id": f"req-{uuid.uuid4()}"})
    except requests.RequestException as exc:
        _record_failure(store, notification, f"{type(exc).__name__}: {exc}")
        return False
    if response.status_code >= 400:
        _record_failure(store, notification, f"HTTP {response.status_code}: {response.text[:200]}")
        return False
    return True


def deliver(store: Store, notifications: Iterable[Notification]) -> int:
    """Call every notification's action, in order; how many were delivered."""
    delivered = 0
    with _session() as session:
        for notification in notifications:
            try:
                delivered += deliver_one(store, notification, session)
            except Exception as exc:  # a webhook must never stop the evaluator
                log.exception("alarm %s: delivering %s failed", notification.alarm_id, notification.url)
                _record_failure(store, notification, f"{type(exc).__name__}: {exc}")
    return delivered
