"""The cloud's Aodh (alarming API v2), reached through the connection's keystoneauth session.

openstacksdk has no alarming proxy, so the alarm plugins talk to the
``alarming`` service of the catalog with a keystoneauth adapter on the
session openstacksdk already holds: same token, same retries of what a busy
cloud answers.  Aodh's refusals become ``AodhError`` with Aodh's own words.
"""

from __future__ import annotations

from typing import Any

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ksa_exceptions

#: tries again after a connection error or one of these statuses (as the openstacksdk connections do)
RETRIES = 3
RETRIABLE_STATUSES = (500, 502, 503, 504)


class AodhError(Exception):
    """Aodh refused a request (``status`` is ``None`` when Aodh could not be reached at all)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def _fault(response: Any) -> str:
    """Aodh's message in an error response (``error_message.faultstring``), else the body as it is."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason
    if isinstance(body, dict):
        message = body.get("error_message", body)
        if isinstance(message, dict):
            return str(message.get("faultstring") or message.get("description") or message)
        return str(message)
    return str(body)


class Aodh:
    """Alarms of the cloud a connection acts on."""

    def __init__(self, connection: Any):
        config = getattr(connection, "config", None)
        interface = (config.get_interface() if config is not None else None) or "public"
        region = config.get_region_name() if config is not None else None
        self._adapter = adapter.Adapter(
            connection.session, service_type="alarming", interface=interface, region_name=region or None,
            connect_retries=RETRIES, status_code_retries=RETRIES, retriable_status_codes=list(RETRIABLE_STATUSES))

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            response = self._adapter.request(f"/v2/alarms{path}", method, json=body, raise_exc=False)
        except ksa_exceptions.EndpointNotFound:
            raise AodhError("the cloud has no alarming service (Aodh) in its catalog") from None
        except ksa_exceptions.ClientException as exc:
            raise AodhError(f"cannot reach the alarming service (Aodh): {exc}") from None
        if response.status_code >= 400:
            raise AodhError(_fault(response), response.status_code)
        return response.json() if response.content else None

    def create(self, alarm: dict[str, Any]) -> dict[str, Any]:
        """Create an alarm; Aodh's view of it."""
        return self._call("POST", "", alarm)

    def get(self, alarm_id: str) -> dict[str, Any] | None:
        """The alarm, or ``None`` when Aodh has no such alarm."""
        try:
            return self._call("GET", f"/{alarm_id}")
        except AodhError as exc:
            if exc.status == 404:
                return None
            raise

    def replace(self, alarm_id: str, alarm: dict[str, Any]) -> dict[str, Any]:
        """Replace the alarm's definition (Aodh's PUT takes the whole alarm); Aodh's view of it."""
        return self._call("PUT", f"/{alarm_id}", alarm)

    def delete(self, alarm_id: str) -> None:
        """Delete the alarm; one already gone is fine."""
        try:
            self._call("DELETE", f"/{alarm_id}")
        except AodhError as exc:
            if exc.status != 404:
                raise
