"""A stack's Keystone trust through its life: made at create, renewed by another user's update, deleted with it.

Only when stacks act with trusts (``EngineContext.trusts``, ``[cloud] auth =
"trust"``); otherwise every function here does nothing.  The trust belongs
to the root stack: nested stacks carry a copy of its id and act with it, and
only the root's delete or abandon deletes it.

An update by another user of the stack's project replaces the trust with
one from that user, as Heat (Zed) does: the stack then acts with the roles
of whoever last changed it, and keeps working when its creator leaves the
project.  An update made with a token of another project (an administrator
acting in the stack's project) keeps the trust it has.  A stack made before
its service acted with trusts gets one at its first update.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .context import EngineContext


@dataclass(frozen=True)
class StackTrust:
    """A trust made for a stack: its id and the user who gave it."""

    trust_id: str
    trustor_id: str

    def columns(self) -> dict[str, str]:
        """The stack row's columns that hold it."""
        return {"trust_id": self.trust_id, "trustor_id": self.trustor_id}


def new_trust(context: EngineContext, credentials: Any, project_id: str) -> StackTrust | None:
    """A trust from the caller (``keystone.CallerToken``) for a stack of ``project_id``; raises ``TrustError``."""
    if context.trusts is None:
        return None
    trust_id = context.trusts.create_trust(credentials, project_id)
    return StackTrust(trust_id, credentials.user_id)


def renewed_trust(context: EngineContext, row: Any, credentials: Any) -> StackTrust | None:
    """A trust from the updating caller, when it should replace the stack's (see the module docstring)."""
    if context.trusts is None or credentials is None or row.owner_id is not None:
        return None
    if credentials.project_id != row.project_id:
        return None
    if row.trust_id is not None and credentials.user_id == row.trustor_id:
        return None
    return new_trust(context, credentials, row.project_id)


def discard(context: EngineContext, trust: StackTrust | None) -> None:
    """Delete a trust made for a request that was not stored after all."""
    if trust is not None and context.trusts is not None:
        context.trusts.delete_trust(trust.trust_id)


def delete_stack_trust(context: EngineContext, row: Any) -> None:
    """Delete the trust of a root stack that is gone (deleted or abandoned); a nested stack's is its root's."""
    if context.trusts is not None and row.trust_id and row.owner_id is None:
        context.trusts.delete_trust(row.trust_id)
