"""Signals that arrive at the same moment: each one is kept (``Runtime.merge_data``)."""

from __future__ import annotations

import threading

from resources.base import Resource

from .test_native_wait_condition import creating, wait_template

SENDERS = 24


def send_together(harness, stack_id: str, bodies: list) -> None:
    """Signal the handle with every body at once, each from a thread of its own (as API workers would)."""
    start = threading.Barrier(len(bodies))
    errors: list[BaseException] = []

    def send(body) -> None:
        start.wait()
        try:
            harness.engine.signal(stack_id, "handle", body)
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors


def test_concurrent_signals_are_all_counted(harness):
    bodies = [{"id": f"server-{n}", "data": n} for n in range(SENDERS // 2)]
    bodies += [{"data": f"anonymous-{n}"} for n in range(SENDERS // 2)]  # ids given by arrival order
    with creating(harness, wait_template(count=SENDERS), hold_wait=True) as stack_id:
        send_together(harness, stack_id, bodies)
        signals = harness.resources(stack_id)["handle"].data["signals"]
        assert len(signals) == SENDERS, f"{SENDERS - len(signals)} signals were lost"
        harness.engine.signal(stack_id, "wait", {"unset_hook": "pre-create"})
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.stack(stack_id).status_reason
    received = sorted(str(entry["data"]) for entry in signals.values())
    assert received == sorted(str(body["data"]) for body in bodies)
    anonymous = sorted(int(key) for key in signals if not key.startswith("server-"))
    assert len(anonymous) == SENDERS // 2, "every signal without an id got an id of its own"
    signal_events = [reason for _, state, reason in harness.events(stack_id, "handle") if state.startswith("SIGNAL")]
    assert len(signal_events) == SENDERS


class Recorder:
    """A runtime that keeps what ``merge_data`` stores, as the engine would."""

    def __init__(self):
        self.stored: dict = {}

    def merge_data(self, key, entries):
        current = dict(self.stored.get(key) or {})
        current.update(entries(dict(current)) if callable(entries) else entries)
        self.stored[key] = current
        return current


def test_merge_data_keeps_the_plugin_copy_in_step():
    plugin = Resource("r", {}, Recorder(), data={"seen": {"a": 1}})
    assert plugin.merge_data("seen", {"b": 2}) == {"b": 2}
    assert plugin.data["seen"] == {"b": 2}, "what the runtime stored, not a merge of a stale copy"
    assert plugin.merge_data("seen", lambda current: {str(len(current) + 1): "next"}) == {"b": 2, "2": "next"}
    assert plugin.data["seen"] == {"b": 2, "2": "next"}
