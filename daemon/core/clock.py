"""The box's clocks, one seam: the wall clock (``wall``, epoch seconds, what the store records) and a
monotonic one (``monotonic``, what waits are measured with), and the detection of wall-clock steps.

A Raspberry Pi has no real-time clock: it boots with the time it had at shutdown and NTP steps it,
maybe by hours, once the network answers; a person may also set it by hand. Retries
(``next_attempt_at``) and validity (``expires_at``) are stored in wall time, because other processes
read them and they must survive a restart. So the outbox watches the offset between the two clocks:
when it jumps by more than ``STEP_TOLERANCE`` seconds, the wall clock stepped, and every stored delay
still running is moved by the same step (``outbox.rebase_if_stepped``): a retry due in one second is
still due in one second, an alert valid for six hours still has its six hours. A slow drift (NTP
slewing) is followed without moving anything.

Tests swap the source with ``use(FakeClock(...))``; the project's modules read the time through here.
"""

import contextlib
import threading
import time

STEP_TOLERANCE = 2.0        # seconds: a larger jump of wall − monotonic is a step, not a drift


class SystemClock:
    def wall(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock(SystemClock):
    """The system's clocks with the wall clock moved by ``offset`` seconds (``step(seconds)`` moves it)."""

    def __init__(self, offset: float = 0.0):
        self.offset = offset

    def wall(self) -> float:
        return time.time() + self.offset

    def step(self, seconds: float) -> None:
        self.offset += seconds


_source: SystemClock = SystemClock()


def wall() -> float:
    return _source.wall()


def monotonic() -> float:
    return _source.monotonic()


@contextlib.contextmanager
def use(source: SystemClock):
    """Read the time from ``source`` in this block (tests)."""
    global _source
    previous, _source = _source, source
    try:
        yield source
    finally:
        _source = previous


class StepWatch:
    """Tells how far the wall clock stepped since it was last asked (0.0: no step)."""

    def __init__(self):
        self._offset: float | None = None
        self._source: SystemClock | None = None
        self._lock = threading.Lock()

    def step(self) -> float:
        """(A clock swapped by ``use`` is a new baseline, not a step.)"""
        offset = wall() - monotonic()
        with self._lock:
            previous, self._offset = self._offset, offset
            if self._source is not _source:
                self._source, previous = _source, None
        if previous is None or abs(offset - previous) <= STEP_TOLERANCE:
            return 0.0
        return offset - previous
