"""What the OpenStack plugins share: the errors that mean "gone", and lookups for custom constraints."""

from __future__ import annotations

from typing import Any, Callable

from openstack import exceptions as sdk_exceptions

#: the errors that mean "the object is already gone"
GONE = (sdk_exceptions.NotFoundException, sdk_exceptions.ResourceNotFound)


def lookup(service: str, kind: str) -> Callable[[Any, str], None]:
    """A custom constraint's check: ``find_<kind>`` of the connection's ``service`` proxy finds the value.

    The check raises openstacksdk's not-found error (with the cloud's
    message) when nothing of that name or id exists.
    """
    def check(connection: Any, value: str) -> None:
        getattr(getattr(connection, service), f"find_{kind}")(value, ignore_missing=False)
    return check
