"""The simulated SMSC's fault switches: throttling, refusals, the outcome and delay of delivery receipts.

Each switch is data read by the session at the moment it matters; tests flip them while traffic flows.
"""

import collections
import random
import threading
import time

from vigie.daemon.simulator.smsc.protocol import ESME_ROK, ESME_RTHROTTLED

OUTCOMES = ("delivered", "undeliverable", "expired", "none")


class Faults:
    def __init__(self, seed=None, throttle_per_second: int | None = None, report: str = "delivered",
                 report_delay: float = 0.0):
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.throttle_per_second = throttle_per_second
        self._accepted = collections.deque()       # monotonic times of the submissions of the last second
        self._refuse_status = None
        self._refuse_count = None                  # None: no count limit (rate or always)
        self._refuse_rate = None
        self.set_report(report, report_delay)
        self.hold_answers = False                  # True: submit_sm gets no answer (the ESME times out)

    # ---------------------------------------------------------------- switches
    def throttle(self, per_second: int | None) -> None:
        """Accept at most ``per_second`` submissions in any second; answer ESME_RTHROTTLED beyond (None: off)."""
        with self._lock:
            self.throttle_per_second = per_second
            self._accepted.clear()

    def refuse(self, status: int, count: int | None = None, rate: float | None = None) -> None:
        """Answer ``status`` to the next ``count`` submissions, or to a proportion ``rate`` of them, or to all
        (neither given). ``count=0`` or ``rate=0`` switches refusals off."""
        with self._lock:
            if count == 0 or rate == 0:
                self._refuse_status = self._refuse_count = self._refuse_rate = None
                return
            self._refuse_status, self._refuse_count, self._refuse_rate = status, count, rate

    def set_report(self, outcome: str, delay: float | None = None) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown report outcome {outcome!r} (one of {', '.join(OUTCOMES)})")
        with self._lock:
            self.report = outcome
            if delay is not None:
                self.report_delay = max(0.0, float(delay))

    # ---------------------------------------------------------------- decisions
    def submission_status(self) -> int:
        """The command_status for a submission arriving now (ESME_ROK: accept it)."""
        with self._lock:
            if self._refuse_status is not None:
                hit = self._refuse_rate is None or self._random.random() < self._refuse_rate
                if hit and self._refuse_count is not None:
                    self._refuse_count -= 1
                    if self._refuse_count <= 0:
                        status = self._refuse_status
                        self._refuse_status = self._refuse_count = self._refuse_rate = None
                        return status
                if hit:
                    return self._refuse_status
            if self.throttle_per_second is not None:
                now = time.monotonic()
                while self._accepted and now - self._accepted[0] >= 1.0:
                    self._accepted.popleft()
                if len(self._accepted) >= self.throttle_per_second:
                    return ESME_RTHROTTLED
                self._accepted.append(now)
            return ESME_ROK

    def report_plan(self) -> tuple[str, float]:
        with self._lock:
            return self.report, self.report_delay
