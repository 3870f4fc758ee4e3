"""The thread that evaluates the sandbox's alarms: every ``[sandbox] alarm_evaluation_seconds``, and at once
when new measures or a new load level arrive.

The sandbox application owns one (``app.start_alarm_evaluator``), started
where the sandbox serves people or a service (``orchestrator sandbox serve``,
``orchestrator serve``) and stopped when it closes (``app.close_sandbox``).
Each pass is ``evaluator.evaluate_all`` followed by ``notifier.deliver``; a
pass that fails is logged and the next one comes as usual.
"""

from __future__ import annotations

import logging
import threading
import time

from ..store import Store
from .evaluator import evaluate_all
from .notifier import deliver

log = logging.getLogger(__name__)

#: how long a wake-up waits for more news before evaluating (measures often come in bursts)
SETTLE_SECONDS = 0.05


class AlarmEvaluator:
    """A daemon thread evaluating the alarms of ``store`` every ``interval`` seconds, or when woken."""

    def __init__(self, store: Store, interval: float):
        if interval <= 0:
            raise ValueError(f"the alarm evaluation interval must be positive, not {interval}")
        self.store = store
        self.interval = interval
        self.passes = 0
        self._woken = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "AlarmEvaluator":
        """Start evaluating (once; starting a running evaluator does nothing)."""
        if not self.running:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="sandbox-alarm-evaluator", daemon=True)
            self._thread.start()
        return self

    def wake(self) -> None:
        """Evaluate as soon as possible (new data has come)."""
        self._woken.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the pass in progress, if any; waits up to ``timeout`` seconds for the thread."""
        self._stopping.set()
        self._woken.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the alarm evaluator did not stop within %s s", timeout)
            self._thread = None

    def run_once(self) -> int:
        """One pass: evaluate every alarm, deliver the notifications; how many were delivered."""
        notifications = evaluate_all(self.store, self.store.clock())
        self.passes += 1
        return deliver(self.store, notifications)

    def _until_next_pass(self) -> float:
        """Seconds until the next multiple of the interval (plus a moment for the data to settle).

        Passes fall just after each interval's end, so a data point whose
        granularity is the interval is read as soon as it is complete,
        not up to a whole interval later.
        """
        return self.interval - time.time() % self.interval + SETTLE_SECONDS

    def _run(self) -> None:
        while not self._stopping.is_set():
            if self._woken.wait(self._until_next_pass()):
                self._stopping.wait(SETTLE_SECONDS)
            self._woken.clear()
            if self._stopping.is_set():
                return
            try:
                self.run_once()
            except Exception:  # the next pass may well work: a failure must not end evaluation
                log.exception("an alarm evaluation pass failed")
