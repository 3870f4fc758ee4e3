"""What every plugin made of one nested stack shares: start an action on the child, then ask how it went.

The child stack's id is the plugin's physical id (as in Heat), so a plugin
keeps nothing in memory: after an engine restart ``check_*_complete`` asks
the engine about the stored child, and the engine resumes the child's
operation if nobody is carrying it on.  While a child runs, ``check_*_complete``
answers with the child's task instead of ``False``, and the engine wakes the
resource when that task ends (no polling of a thousand children).  Subclasses say which template and
parameters the child gets (``child_template``, ``child_parameters``).
"""

from __future__ import annotations

from typing import Any, Mapping

from resources.base import Resource
from resources.errors import ResourceFailure, UpdateReplace


#: data key: the digest of the child's template and files at the last create or update
CONTENT = "content_digest"


class StackResource(Resource):
    """A resource whose implementation is a nested stack."""

    #: the engine's nested-stack calls read and write the database
    blocking = True
    #: a failed child is updated (its failed resources replaced), not thrown away with its siblings
    replace_on_failure = False

    # -- what subclasses provide ---------------------------------------------------------

    def child_template(self, properties: Mapping[str, Any]) -> Any:
        """The child's template (data or a parsed ``Template``) for these properties."""
        raise NotImplementedError

    def child_parameters(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """The child's parameter values for these properties."""
        return {}

    def child_timeout(self, properties: Mapping[str, Any]) -> int | None:
        """The child's timeout in minutes (``None``: the parent's)."""
        return None

    def compared_template(self, properties: Mapping[str, Any], template: Any) -> Any:
        """What the stored content digest is taken of: ``template`` (the child's, for these properties).

        A subclass whose child template also says how the work is ordered
        (a group's batches) gives the template without that, so that the
        order alone never makes the resource ``outdated``.
        """
        return template

    # -- lifecycle ---------------------------------------------------------------------------

    def nested(self) -> Any:
        """The engine's nested-stack service for this resource's stack."""
        return self.runtime.service("nested_stacks")

    def create(self) -> None:
        template = self.child_template(self.properties)
        child = self.nested().create(self.name, template, parameters=self.child_parameters(self.properties),
                                     timeout_mins=self.child_timeout(self.properties))
        self.set_physical_id(child)
        self.set_data(CONTENT, self._content_digest(self.properties, template))

    def outdated(self, properties: Mapping[str, Any]) -> bool:
        """Whether the child's template (or a file it uses) changed since the last create or update."""
        return self.data.get(CONTENT) != self._content_digest(properties, self.child_template(properties))

    def _content_digest(self, properties: Mapping[str, Any], template: Any) -> str:
        return self.nested().content_digest(self.compared_template(properties, template))

    def check_create_complete(self) -> Any:
        return self._finished("CREATE")

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        if self.physical_id is None:
            raise UpdateReplace("the nested stack was never created")
        template = self.child_template(properties)
        self.nested().update(self.physical_id, template, parameters=self.child_parameters(properties),
                             timeout_mins=self.child_timeout(properties))
        self.set_data(CONTENT, self._content_digest(properties, template))
        self.properties = dict(properties)

    def check_update_complete(self) -> Any:
        return self._finished("UPDATE")

    def delete(self) -> None:
        if self.physical_id is not None:
            self.nested().delete(self.physical_id)

    def check_delete_complete(self) -> Any:
        if self.physical_id is None:
            return True
        try:
            return self._finished("DELETE")
        except LookupError:
            return True  # never stored, or already purged: gone either way

    def suspend(self) -> None:
        self._start("SUSPEND")

    def check_suspend_complete(self) -> Any:
        return self._finished("SUSPEND")

    def resume(self) -> None:
        self._start("RESUME")

    def check_resume_complete(self) -> Any:
        return self._finished("RESUME")

    def check(self) -> None:
        self._start("CHECK")

    def check_check_complete(self) -> Any:
        return self._finished("CHECK")

    # -- helpers -------------------------------------------------------------------------------

    def _start(self, action: str) -> None:
        if self.physical_id is not None:
            self.nested().action(self.physical_id, action)

    def _finished(self, action: str) -> Any:
        """Whether the child finished ``action``; raise with the child's reason if it failed.

        While it runs, the answer is the child's task (or ``False``): the
        engine waits for that task to end rather than polling.
        """
        if self.physical_id is None:
            return True
        child_action, status, reason = self.nested().state(self.physical_id)
        if status == "IN_PROGRESS":
            return self.nested().waiter(self.physical_id) or False
        if status == "FAILED" or child_action != action:
            raise ResourceFailure(f"Nested stack {action} failed: {reason or f'{child_action}_{status}'}")
        return True
