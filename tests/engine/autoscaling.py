"""Templates and readers shared by the autoscaling tests (OS::Heat::AutoScalingGroup, OS::Heat::ScalingPolicy)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from orchestrator.db.models import Event

#: an Aodh webhook body, as the sandbox's evaluator (and Aodh) POST it
ALARM = {"alarm_name": "cpu_high", "alarm_id": "a1", "severity": "low", "previous": "ok", "current": "alarm",
         "reason": "Transition to alarm due to 1 samples outside threshold, most recent: 91.0",
         "reason_data": {"type": "threshold", "disposition": "outside", "count": 1, "most_recent": 91.0}}
ALARM_REASON = ("alarm state changed from ok to alarm (Transition to alarm due to 1 samples outside threshold, "
                "most recent: 91.0)")


def scaling_template(min_size: int = 1, max_size: int = 5, *, desired: int | None = None,
                     cooldown: int | None = None, member: dict | None = None, rolling: dict | None = None,
                     policies: dict | None = None, outputs: dict | None = None) -> dict:
    """A group of TestResource members (unless ``member`` says otherwise) and its policies.

    ``policies`` maps a policy name to its properties without the group;
    the default is ``up`` (+1) and ``down`` (-1), without cooldown.
    """
    group: dict[str, Any] = {"min_size": min_size, "max_size": max_size,
                             "resource": member or {"type": "OS::Heat::TestResource",
                                                    "properties": {"value": "member"}}}
    if desired is not None:
        group["desired_capacity"] = desired
    if cooldown is not None:
        group["cooldown"] = cooldown
    if rolling is not None:
        group["rolling_updates"] = rolling
    policies = policies if policies is not None else {
        "up": {"adjustment_type": "change_in_capacity", "scaling_adjustment": 1},
        "down": {"adjustment_type": "change_in_capacity", "scaling_adjustment": -1}}
    resources: dict[str, Any] = {"group": {"type": "OS::Heat::AutoScalingGroup", "properties": group}}
    for name, properties in policies.items():
        resources[name] = {"type": "OS::Heat::ScalingPolicy",
                           "properties": {"auto_scaling_group_id": {"get_resource": "group"}, **properties}}
    return {"heat_template_version": "2018-08-31", "resources": resources, "outputs": outputs or {}}


def nested(harness, stack_id: str) -> Any:
    """The group's nested stack row."""
    return harness.children(stack_id)["group"]


def members(harness, stack_id: str) -> dict[str, Any]:
    """The group's current member rows by name, oldest first (rows being deleted left out)."""
    rows = harness.resources(nested(harness, stack_id).id)
    return {name: row for name, row in sorted(rows.items(), key=lambda item: item[1].id)
            if row.action != "DELETE"}


def signal_events(harness, stack_id: str, policy: str) -> list[str]:
    """The reasons of the policy's SIGNAL events."""
    return [reason for _, state, reason in harness.events(stack_id, policy) if state.startswith("SIGNAL")]


def scale(harness, stack_id: str, policy: str, details: Any = None) -> bool:
    """Signal a policy and run the resize it starts to its end; whether there was one."""
    job = harness.engine.signal(stack_id, policy, details)
    if job is None:
        return False
    assert harness.run(job), harness.stack(job.stack_id).status_reason
    return True


def end_cooldown(harness, stack_id: str) -> None:
    """Move the group's last resize into the past, as if its cooldown had run out (the fact it is derived from)."""
    child = nested(harness, stack_id)
    with harness.database.engine.begin() as connection:
        rows = connection.execute(select(Event.id, Event.created_at)
                                  .where(Event.stack_id == child.id, Event.physical_id == child.id)).all()
        for row in rows:
            connection.execute(update(Event).where(Event.id == row.id)
                               .values(created_at=row.created_at - timedelta(days=1)))
