"""OS::Heat::AutoScalingGroup and OS::Heat::ScalingPolicy: sizes, validation, adjustments, cooldown, concurrency.

Signals go through ``Engine.signal`` as the API delivers them; a resize is
the job it returns, run here as a worker would run it.
"""

from __future__ import annotations

import re
import threading

import pytest

from orchestrator.engine import locks
from orchestrator.template.errors import TemplateError
from resources.orchestration.autoscaling_group import adjusted_capacity

from .autoscaling import (ALARM, ALARM_REASON, end_cooldown, members, nested, scale, scaling_template,
                          signal_events)


def test_a_group_starts_with_desired_capacity_else_min_size(harness):
    with_desired = harness.create(scaling_template(1, 5, desired=3), name="desired")
    without = harness.create(scaling_template(2, 5), name="minimum")
    assert harness.state(with_desired) == "CREATE_COMPLETE", harness.stack(with_desired).status_reason
    assert len(members(harness, with_desired)) == 3
    names = list(members(harness, without))
    assert len(names) == 2
    assert all(re.fullmatch(r"[a-z2-7]{12}", name) for name in names), "random short ids, as Heat's members"
    assert harness.resources(with_desired)["group"].physical_id == nested(harness, with_desired).id


@pytest.mark.parametrize("group, where, words", [
    ({"min_size": 3, "max_size": 2}, "resources.group.properties.min_size", "may not be greater than max_size"),
    ({"desired_capacity": 9}, "resources.group.properties.desired_capacity", "must be between min_size (1)"),
    ({"desired_capacity": 0}, "resources.group.properties.desired_capacity", "must be between"),
    ({"max_size": -1}, "resources.group.properties.max_size", "-1"),
    ({"resource": {"properties": {"value": "x"}}}, "resources.group.properties.resource.type", "not assigned"),
    ({"resource": {"type": "OS::Heat::None", "count": 2}}, "resources.group.properties.resource.count",
     "Unknown Property count"),
    ({"rolling_updates": {"max_batch_size": 0}}, "resources.group.properties.rolling_updates.max_batch_size",
     "0"),
])
def test_group_errors_name_their_path(harness, group, where, words):
    template = scaling_template(1, 5, policies={})
    template["resources"]["group"]["properties"].update(group)
    with pytest.raises(TemplateError) as raised:
        harness.engine.create_stack(harness.request(template))
    message = str(raised.value)
    assert where in message and words in message, message


@pytest.mark.parametrize("policy, where, words", [
    ({"adjustment_type": "change_in_capacity", "scaling_adjustment": 1, "min_adjustment_step": 1},
     "resources.up.properties.min_adjustment_step", "only be given when adjustment_type is percent"),
    ({"adjustment_type": "more", "scaling_adjustment": 1}, "resources.up.properties.adjustment_type", "more"),
    ({"adjustment_type": "exact_capacity"}, "resources.up.properties.scaling_adjustment", "not assigned"),
    ({"adjustment_type": "percent_change_in_capacity", "scaling_adjustment": 5, "min_adjustment_step": -1},
     "resources.up.properties.min_adjustment_step", "-1"),
])
def test_policy_errors_name_their_path(harness, policy, where, words):
    with pytest.raises(TemplateError) as raised:
        harness.engine.create_stack(harness.request(scaling_template(policies={"up": policy})))
    message = str(raised.value)
    assert where in message and words in message, message


@pytest.mark.parametrize("current, adjustment, kind, step, expected", [
    (2, 1, "change_in_capacity", None, 3),
    (2, -1, "change_in_capacity", None, 1),
    (2, 9, "change_in_capacity", None, 10),       # clamped to max_size
    (2, -9, "change_in_capacity", None, 1),       # clamped to min_size
    (4, 1.9, "change_in_capacity", None, 5),      # a fraction of a member is no member
    (4, 7, "exact_capacity", None, 7),
    (4, 50, "exact_capacity", None, 10),
    (4, 0, "exact_capacity", None, 1),
    (4, 50, "percent_change_in_capacity", None, 6),
    (4, 10, "percent_change_in_capacity", None, 5),   # +0.4 rounds up to one member
    (4, -10, "percent_change_in_capacity", None, 3),  # -0.4 rounds down to minus one
    (6, 33, "percent_change_in_capacity", None, 7),   # +1.98 truncates to one
    (6, -33, "percent_change_in_capacity", None, 5),  # -1.98 truncates to minus one
    (6, 10, "percent_change_in_capacity", 3, 9),      # +0.6 → 1, then at least three
    (6, -10, "percent_change_in_capacity", 2, 4),
    (6, 50, "percent_change_in_capacity", 2, 9),      # +3 is already more than the step
    (0, 50, "percent_change_in_capacity", 2, 2),      # nothing to take a percentage of: the step decides
])
def test_new_capacity_follows_heats_rules(current, adjustment, kind, step, expected):
    assert adjusted_capacity(current, adjustment, kind, step, lower=1 if current else 0, upper=10) == expected


def test_every_adjustment_type_resizes_the_group(harness):
    policies = {"plus_two": {"adjustment_type": "change_in_capacity", "scaling_adjustment": 2},
                "exactly_two": {"adjustment_type": "exact_capacity", "scaling_adjustment": 2},
                "half_more": {"adjustment_type": "percent_change_in_capacity", "scaling_adjustment": 50},
                "tenth_less": {"adjustment_type": "percent_change_in_capacity", "scaling_adjustment": -10,
                               "min_adjustment_step": 2}}
    stack_id = harness.create(scaling_template(1, 8, policies=policies))
    sizes = []
    for policy in ("plus_two", "half_more", "tenth_less", "exactly_two", "plus_two", "plus_two", "plus_two"):
        end_cooldown(harness, stack_id)
        scale(harness, stack_id, policy, ALARM)
        sizes.append(len(members(harness, stack_id)))
    assert sizes == [3, 4, 2, 2, 4, 6, 8]
    assert not scale(harness, stack_id, "plus_two", ALARM), "at max_size nothing changes"
    assert len(signal_events(harness, stack_id, "exactly_two")) == 0, "a signal that changes nothing leaves no event"
    assert signal_events(harness, stack_id, "half_more") == [ALARM_REASON]
    assert harness.state(nested(harness, stack_id).id) == "UPDATE_COMPLETE"


def test_any_alarm_state_scales_as_in_heat(harness):
    stack_id = harness.create(scaling_template())
    ok = {**ALARM, "previous": "alarm", "current": "ok", "reason": "back to normal"}
    assert scale(harness, stack_id, "up", ok)
    assert scale(harness, stack_id, "up", None)
    assert len(members(harness, stack_id)) == 3
    assert signal_events(harness, stack_id, "up") == ["alarm state changed from alarm to ok (back to normal)",
                                                      "No signal details provided"]


def test_signals_in_the_cooldown_are_accepted_and_ignored(harness):
    cooled = {"adjustment_type": "change_in_capacity", "scaling_adjustment": 1, "cooldown": 600}
    stack_id = harness.create(scaling_template(policies={"up": cooled, "free": {
        "adjustment_type": "change_in_capacity", "scaling_adjustment": 1}}))
    assert scale(harness, stack_id, "up", ALARM)
    before = harness.events(nested(harness, stack_id).id)
    assert harness.engine.signal(stack_id, "up", ALARM) is None
    # Heat's rule: the cooldown that runs is the one of the policy that resized, whichever policy signals next.
    assert harness.engine.signal(stack_id, "free", ALARM) is None
    assert len(members(harness, stack_id)) == 2
    assert signal_events(harness, stack_id, "up") == [ALARM_REASON]
    assert signal_events(harness, stack_id, "free") == []
    assert harness.events(nested(harness, stack_id).id) == before, "an ignored signal changes nothing"
    assert harness.lock(nested(harness, stack_id).id) is None

    end_cooldown(harness, stack_id)  # the resize ended long ago: the cooldown is over
    assert scale(harness, stack_id, "up", ALARM)
    assert len(members(harness, stack_id)) == 3


def test_the_groups_cooldown_starts_when_it_is_created(harness):
    stack_id = harness.create(scaling_template(cooldown=600))
    assert harness.engine.signal(stack_id, "up", ALARM) is None
    end_cooldown(harness, stack_id)
    assert scale(harness, stack_id, "up", ALARM)


def test_signals_while_the_group_resizes_are_ignored(harness):
    stack_id = harness.create(scaling_template())
    job = harness.engine.signal(stack_id, "up", ALARM)
    child = nested(harness, stack_id)
    assert harness.state(child.id) == "UPDATE_IN_PROGRESS"
    assert harness.lock(child.id)[0] == job.holder, "the resize holds the nested stack's lock until it runs"
    assert harness.engine.signal(stack_id, "down", ALARM) is None
    assert harness.engine.signal(stack_id, "up", ALARM) is None
    with pytest.raises(locks.StackBusy):  # nor may the stack change under the resize
        harness.engine.update_stack(stack_id, harness.request(scaling_template(max_size=9)))
    with pytest.raises(locks.StackBusy):
        harness.engine.delete_stack(stack_id)
    assert harness.run(job)
    assert len(members(harness, stack_id)) == 2
    assert signal_events(harness, stack_id, "down") == [] and len(signal_events(harness, stack_id, "up")) == 1
    assert harness.lock(child.id) is None and harness.lock(stack_id) is None


def test_signals_while_the_stack_changes_are_ignored(harness):
    stack_id = harness.create(scaling_template())
    update = harness.engine.update_stack(stack_id, harness.request(scaling_template(max_size=9)))
    assert harness.engine.signal(stack_id, "up", ALARM) is None
    assert harness.state(nested(harness, stack_id).id) == "CREATE_COMPLETE"
    assert harness.run(update)
    assert scale(harness, stack_id, "up", ALARM)


def test_two_signals_at_once_resize_the_group_once(harness):
    stack_id = harness.create(scaling_template())
    start = threading.Barrier(8)
    jobs, errors = [], []

    def send() -> None:
        start.wait()
        try:
            jobs.append(harness.engine.signal(stack_id, "up", ALARM))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    started = [job for job in jobs if job is not None]
    assert len(started) == 1, f"{len(started)} resizes started"
    assert len(signal_events(harness, stack_id, "up")) == 1
    assert harness.run(started[0])
    assert len(members(harness, stack_id)) == 2


def test_a_signal_naming_no_group_is_refused(harness):
    template = scaling_template(policies={"lost": {"adjustment_type": "change_in_capacity",
                                                   "scaling_adjustment": 1}})
    template["resources"]["lost"]["properties"]["auto_scaling_group_id"] = "nowhere"
    template["resources"]["other"] = {"type": "OS::Heat::None"}
    template["resources"]["odd"] = {"type": "OS::Heat::ScalingPolicy", "properties": {
        "auto_scaling_group_id": {"get_resource": "other"}, "adjustment_type": "change_in_capacity",
        "scaling_adjustment": 1}}
    stack_id = harness.create(template)
    with pytest.raises(LookupError, match='could not find scaling group named "nowhere"'):
        harness.engine.signal(stack_id, "lost", ALARM)
    with pytest.raises(Exception, match="other .* is not a scaling group"):
        harness.engine.signal(stack_id, "odd", ALARM)
    assert signal_events(harness, stack_id, "lost") == []
