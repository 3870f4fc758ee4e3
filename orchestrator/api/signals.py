"""Pre-signed signal URLs: ``POST /v1/signal/<signature>`` signals one resource, with no token.

Booting servers, wait-condition clients and alarm services (Aodh, Zabbix)
call these URLs; they carry no credentials, so the URL itself is the
credential.  The signature (``orchestrator.engine.signing``) names the stack,
the resource's name and its row id under the service's key: it cannot be
guessed or altered.  The URL works only while that very row is the current
resource of a live stack: a replaced or deleted resource, or a deleted
stack, answers 404 like a signature that was never made, and so does any
failure to verify, so that nothing is learnt from probing.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, g
from sqlalchemy import select

from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import Stack as StackRow
from orchestrator.engine.signing import SignedTarget

from .app import services
from .faults import NotFound
from .resources import deliver_signal, signal_body

blueprint = Blueprint("signals", __name__)


@blueprint.route("/v1/signal/<signature>", methods=["POST"])
def signal(signature: str):
    """Signal the resource a signed URL names; the body is any JSON (or nothing)."""
    g.request_id = f"req-{uuid.uuid4()}"
    target = services().signer.verify(signature)
    if target is None or not _still_current(target):
        raise NotFound("The signal URL is not valid (its resource may have been deleted or replaced).")
    deliver_signal(target.stack_id, target.resource_name, signal_body())
    return "", 200


def _still_current(target: SignedTarget) -> bool:
    """Whether the signed row is still the resource of that name in that stack, and the stack lives."""
    with services().engine.context.database.reading() as connection:
        row: Any = connection.execute(
            select(ResourceRow.name, ResourceRow.replaced_by, ResourceRow.action, ResourceRow.status,
                   StackRow.deleted_at)
            .join(StackRow, StackRow.id == ResourceRow.stack_id)
            .where(ResourceRow.id == target.resource_id, ResourceRow.stack_id == target.stack_id)).first()
    return (row is not None and row.name == target.resource_name and row.replaced_by is None
            and row.deleted_at is None and (row.action, row.status) != ("DELETE", "COMPLETE"))
