"""OS::Heat::ScalingPolicy: a signal to it resizes an OS::Heat::AutoScalingGroup by a set adjustment.

Alarms (Aodh, Zabbix, the sandbox's evaluator) POST to the policy's
``alarm_url``, a pre-signed URL that needs no token, or to its
``signal_url``, the resource's authenticated signal endpoint of the API.
Whatever the alarm's state, as in Heat, a signal asks the engine's
``"scaling"`` service to adjust the group; the service ignores it
(``NoActionRequired``: answered with success, no event) while the group is
not complete, is resizing or is in its cooldown, or when the capacity would
not change.  A signal that resizes leaves a SIGNAL event on the policy with
Heat's reason (``alarm state changed from ok to alarm (…)`` for an alarm's
body), and the resize itself runs as a job on the group's nested stack.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Protocol

from resources.base import Resource
from resources.errors import NoActionRequired
from resources.schema import AllowedValues, Attribute, Integer, Number, PropertyProblem, Range, String

from .autoscaling_group import ADJUSTMENTS, PERCENT


class ScalingService(Protocol):
    """What the engine's ``"scaling"`` service offers a policy (``orchestrator.engine.scaling``)."""

    def adjust(self, group: str, adjustment: float, adjustment_type: str, min_adjustment_step: int | None,
               cooldown: float | None) -> None:
        """Resize the group whose reference id (or name) is ``group``; ``NoActionRequired`` when nothing is done."""


class ScalingPolicy(Resource):
    """Resizes an autoscaling group when signalled."""

    type_name = "OS::Heat::ScalingPolicy"
    description = "Resizes an OS::Heat::AutoScalingGroup when an alarm (or anyone) signals it."
    blocking = False
    properties_schema = {
        "auto_scaling_group_id": String("The reference id of the group to resize (get_resource of it).",
                                        required=True),
        "adjustment_type": String("How scaling_adjustment reads.", required=True, update_allowed=True,
                                  constraints=(AllowedValues(tuple(ADJUSTMENTS)),)),
        "scaling_adjustment": Number("The size of the adjustment: members, a capacity, or a percentage.",
                                     required=True, update_allowed=True),
        "cooldown": Number("Seconds after a resize during which no policy resizes the group again "
                           "(default: the group's cooldown).", update_allowed=True),
        "min_adjustment_step": Integer("The fewest members a percent_change_in_capacity step adds or removes.",
                                       constraints=(Range(min=0),), update_allowed=True),
    }
    attributes_schema = {
        "alarm_url": Attribute("A pre-signed URL that signals this policy with no token (for alarm actions).",
                               type="string"),
        "signal_url": Attribute("The API's signal URL of this policy (needs a token).", type="string"),
    }

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """``min_adjustment_step`` is only for percentage adjustments (Heat's rule)."""
        step_given = properties.get("min_adjustment_step") is not None or "min_adjustment_step" in unknown
        if step_given and "adjustment_type" not in unknown and properties.get("adjustment_type") != PERCENT:
            yield PropertyProblem(("min_adjustment_step",),
                                  f"min_adjustment_step may only be given when adjustment_type is {PERCENT}")

    # -- lifecycle ------------------------------------------------------------------------------

    def create(self) -> None:
        self.set_physical_id(self.runtime.physical_name())

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        self.properties = dict(properties)

    def signal(self, details: Any) -> str | None:
        """Ask the engine to adjust the group; the SIGNAL event's reason is Heat's description of ``details``."""
        if self.physical_id is None:
            raise NoActionRequired(f"{self.name} is not created")
        scaling: ScalingService = self.runtime.service("scaling")
        properties = self.properties
        scaling.adjust(properties["auto_scaling_group_id"], properties["scaling_adjustment"],
                       properties["adjustment_type"], properties.get("min_adjustment_step"),
                       properties.get("cooldown"))
        return None

    # -- attributes -------------------------------------------------------------------------------

    def resolve_attribute(self, name: str) -> Any:
        if name not in self.attributes_schema or self.physical_id is None:
            return super().resolve_attribute(name)
        try:
            signals = self.runtime.service("signals")
        except LookupError:  # no API to reach: nobody could call the URL
            return None
        if name == "alarm_url":
            return signals.signal_details(self.runtime.stack_id, self.name, "CFN_SIGNAL").get("alarm_url")
        return signals.resource_signal_url()
