"""An in-process transport, complete and controllable, in the spirit of gpiozero's MockFactory: the
worker's policy (claims, pipelining, retries, reports, incoming SMS, link loss) is tested through
it in milliseconds, with no serial port and no simulator. The pty simulator stays the ground truth
of the end-to-end tests.

What a test controls:
- ``latency``: seconds between a segment on its way and its reference;
- ``hold()`` / ``release()``: pending results wait until released (to look at the store while a
  segment is in flight);
- ``fail(phone, error, at="submit"|"result", count=1)``: the next sends to ``phone`` (None: any
  phone) raise ``error`` when submitted or when their result is asked;
- ``outcome[phone]``: the delivery report sent for each segment to ``phone`` ("delivered",
  "failed", "pending" or None for no report; default ``default_outcome``);
- ``report(...)``, ``receive(phone, text, concat)``: a delivery report or an incoming SMS on demand;
- ``lose_link(reason)``: the link is lost at the next upkeep; ``refuse_open(n)``: the next n
  connections fail; ``up``: network registration.
What a test reads: ``air`` (segments put on their way, in order), ``opens``, ``submitted``.
"""

import dataclasses
import itertools
import queue
import threading
import time

from vigie.daemon.core.errors import TransportGone
from vigie.daemon.transport.base import DeliveryReport, Health, Incoming, LinkLost, Segment


@dataclasses.dataclass
class OnAir:
    phone: str
    text: str
    number: int
    count: int
    reference: str
    ids: dict
    time: float


class FakePending:
    def __init__(self, transport: "FakeTransport", segment: Segment, reference: str, error: Exception | None):
        self._transport, self._segment, self._reference, self._error = transport, segment, reference, error
        self._started = time.monotonic()

    def result(self, timeout: float | None = None) -> str:
        t = self._transport
        t._released.wait(timeout if timeout is not None else 60.0)
        delay = t.latency - (time.monotonic() - self._started)
        if delay > 0:
            time.sleep(delay)
        if self._error is not None:
            raise self._error
        return self._reference


class FakeTransport:
    """A transport that lives in memory; every control is a plain attribute or method (see above)."""

    kind = "fake"

    def __init__(self, name: str = "fake0", priority: int = 0, latency: float = 0.0,
                 default_outcome: str | None = "delivered", part_length: int = 153):
        self.name, self.priority, self.latency = name, priority, latency
        self.default_outcome = default_outcome
        self.part_length = part_length
        self.events: queue.Queue = queue.Queue()
        self.outcome: dict[str, str | None] = {}
        self.up = True
        self.air: list[OnAir] = []
        self.opens = 0
        self.submitted = threading.Event()        # set at every submit (tests clear it)
        self._alive = False
        self._refuse = 0
        self._lost: str | None = None
        self._failures: list[list] = []           # [phone, error, at, count]
        self._released = threading.Event()
        self._released.set()
        self._references = itertools.count(1)
        self._reports: list[DeliveryReport] = []
        self._lock = threading.Lock()

    # -- controls --
    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def fail(self, phone: str | None, error: Exception, at: str = "submit", count: int = 1) -> None:
        with self._lock:
            self._failures.append([phone, error, at, count])

    def report(self, reference: str, phone: str, status: str = "delivered", raw_status: int | None = None,
               detail: str = "", ids: dict | None = None) -> None:
        self.events.put(DeliveryReport(reference=reference, phone=phone, status=status, raw_status=raw_status,
                                       detail=detail, ids=ids))

    def receive(self, phone: str, text: str, concat: tuple | None = None) -> None:
        self.events.put(Incoming(phone=phone, text=text, time=time.time(), concat=concat))

    def lose_link(self, reason: str = "liaison simulée perdue") -> None:
        self._lost = reason

    def refuse_open(self, count: int = 1) -> None:
        self._refuse = count

    # -- the Transport protocol --
    def open(self) -> dict:
        self.opens += 1
        if self._refuse:
            self._refuse -= 1
            raise TransportGone("connexion refusée (simulée)")
        self._alive = True
        return {"model": "fake", "imei": ""}

    def close(self) -> None:
        self._alive = False

    def is_alive(self) -> bool:
        return self._alive

    def health(self) -> Health:
        return Health(up=self.up, detail="" if self.up else "réseau simulé absent", signal=None,
                      operator="fake")

    def recover(self, failures: int) -> None:
        pass

    def segments(self, phone: str, text: str, ref: int, validity_hours: float | None) -> list[Segment]:
        if not phone.startswith("+"):
            raise ValueError(f"numéro invalide : {phone!r}")
        size = 160 if len(text) <= 160 else self.part_length
        chunks = [text[i:i + size] for i in range(0, len(text), size)] or [""]
        return [Segment(phone=phone, text=chunk, number=i + 1, count=len(chunks)) for i, chunk in enumerate(chunks)]

    def submit(self, segment: Segment, ids: dict) -> FakePending:
        if not self._alive:
            raise TransportGone("transport fermé")
        error = self._take_failure(segment.phone, "submit")
        self.submitted.set()
        if error is not None:
            raise error
        reference = str(next(self._references))
        self.air.append(OnAir(segment.phone, segment.text, segment.number, segment.count, reference, dict(ids),
                              time.time()))
        error = self._take_failure(segment.phone, "result")
        if error is None:
            status = self.outcome.get(segment.phone, self.default_outcome)
            if status is not None:
                self._reports.append(DeliveryReport(reference=reference, phone=segment.phone, status=status,
                                                    raw_status=0 if status == "delivered" else 1,
                                                    detail="" if status == "delivered" else "refus simulé"))
        return FakePending(self, segment, reference, error)

    def service(self, idle: bool = False) -> None:
        if self._lost is not None:
            reason, self._lost = self._lost, None
            self._alive = False
            self.events.put(LinkLost(reason))
            return
        reports, self._reports = self._reports, []
        for report in reports:
            self.events.put(report)

    def _take_failure(self, phone: str, at: str) -> Exception | None:
        with self._lock:
            for entry in self._failures:
                if entry[2] == at and entry[0] in (None, phone) and entry[3] > 0:
                    entry[3] -= 1
                    if entry[3] == 0:
                        self._failures.remove(entry)
                    return entry[1]
        return None
