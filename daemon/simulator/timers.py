"""One thread that runs callables at given times (status reports, end of faults, USB re-enumeration)."""

import heapq
import itertools
import logging
import threading
import time

log = logging.getLogger(__name__)


class Scheduler:
    """A heap of (due, seq, fn) served by one daemon thread waiting on a Condition."""

    def __init__(self, name: str):
        self._heap = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=f"{name}-timers", daemon=True)
        self._thread.start()

    def call_later(self, delay: float, fn, *args) -> None:
        with self._cond:
            if self._stopped:
                return
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), next(self._seq), fn, args))
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join(5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._heap:
                        wait = self._heap[0][0] - time.monotonic()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                if self._stopped:
                    return
                _, _, fn, args = heapq.heappop(self._heap)
            try:
                fn(*args)
            except Exception:  # a broken action must not stop the timers of the other faults
                log.exception("scheduled action failed")
