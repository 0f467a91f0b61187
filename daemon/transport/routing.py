"""Routing between transports: which worker may claim which message.

Every worker still claims by itself, with the outbox's one compare-and-set (no message claimed
twice); the router only tells it, for each due message, whether it is the best transport for it
now. A worker claims a message when no other transport ranks better for it:

* a normal message goes to the transport of highest ``priority`` that is **up** (its worker
  « prêt », not stuck on one segment for ``STALL_SECONDS``), **under quota** for this message
  (quotas.py, counted from the outbox) and **not refusing** (``REFUSE_AFTER`` sends failed in a
  row: the others take over for ``REFUSE_SECONDS``, then it is tried again); transports of equal
  rank share the queue, as two modems always did;
* a panic message (priority ≥ outbox.PRIORITY_PANIC) goes to the **fastest** transport that is up:
  its declared seconds per SMS (a route's ``max_per_second``, ``[alerts] seconds_per_sms`` for a
  modem), priority breaking ties; one under quota first, but a panic is never held back by a
  quota when every transport that is up has reached its cap.

A transport at its cap is skipped; one that goes down or refuses gives back what it claimed ahead
(the worker's rules) and the others see it at their next poll, within a fraction of a second.
Everything here lives in the daemon's process: the workers' states are read as they change, the
quota counts are read from the store at most every ``REFRESH_SECONDS`` per transport, plus the
claims made since (by message id, so a claim is never counted twice).
"""

import threading
import time

from vigie.daemon.core import quotas
from vigie.daemon.core.outbox import PRIORITY_PANIC
from vigie.daemon.core.status import READY

STALL_SECONDS = 10.0        # a transport waiting this long for one segment is not « able to take it now »
REFUSE_AFTER = 3            # sends failed in a row before the others take over
REFUSE_SECONDS = 30.0       # how long they do, before the transport is tried again
REFRESH_SECONDS = 1.0       # quota counts read again from the store at most this often


class Route:
    """One transport as the router sees it; its worker updates ``state``, busy and outcomes."""

    def __init__(self, name: str, kind: str, priority: int, limits: quotas.Limits, seconds_per_sms: float):
        self.name, self.kind, self.priority = name, kind, priority
        self.limits, self.seconds_per_sms = limits, seconds_per_sms
        self.state: str | None = None
        self.busy_since: float | None = None
        self.failures = 0
        self.refusing_until = 0.0
        self._lock = threading.Lock()
        self._usage: quotas.Usage | None = None
        self._usage_at = 0.0
        self._claims: dict[int, tuple[str, int]] = {}      # claimed since the last read: id → (phone, parts)

    # -- what the worker tells --
    def busy(self, on: bool) -> None:
        self.busy_since = time.monotonic() if on else None

    def succeeded(self) -> None:
        self.failures, self.refusing_until = 0, 0.0

    def failed(self) -> bool:
        """A send failed (temporary or unknown outcome); True when the transport now counts as refusing."""
        self.failures += 1
        if self.failures >= REFUSE_AFTER:
            self.refusing_until = time.monotonic() + REFUSE_SECONDS
            return True
        return False

    def claimed(self, message) -> None:
        """A message this transport just claimed counts against its quotas at once."""
        if self.limits.any:
            with self._lock:
                if self._usage is None or message.id not in self._usage.pending:
                    self._claims[message.id] = (message.phone, message.parts or 1)

    def forget(self, message) -> None:
        """A message given back unsent (unclaimed, released) no longer counts."""
        with self._lock:
            self._claims.pop(message.id, None)
            if self._usage is not None and message.id in self._usage.pending:
                self._usage_at = 0.0            # read the store again at the next question

    # -- what the router asks --
    def up(self, now: float) -> bool:
        busy = self.busy_since
        return self.state == READY and (busy is None or now - busy < STALL_SECONDS)

    def refusing(self, now: float) -> bool:
        return now < self.refusing_until

    def usage(self) -> quotas.Usage:
        """The store's count (read again when stale) plus the claims made since."""
        with self._lock:
            now = time.monotonic()
            if self._usage is None or now - self._usage_at >= REFRESH_SECONDS:
                self._usage = quotas.usage(self.name, phones=self.limits.recipients_month is not None)
                self._usage_at = now
                self._claims = {k: v for k, v in self._claims.items() if k not in self._usage.pending}
            base, claims = self._usage, list(self._claims.values())
        if not claims:
            return base
        counts = dict(base.counts)
        recipients = set(base.recipients)
        for phone, parts in claims:
            for window in quotas.SMS_WINDOWS:
                counts[window] += parts
            if phone not in recipients:
                recipients.add(phone)
                counts["recipients_month"] += 1
        return quotas.Usage(counts=counts, recipients=recipients, pending=base.pending)

    def fits(self, message) -> bool:
        return not self.limits.any or quotas.allows(self.limits, self.usage(), message.phone, message.parts or 1)


class Router:
    """The routes of the daemon's transports; ``accepts(route, message)`` is asked before each claim.

    ``limits`` and ``speeds`` (by transport name) override what ``settings`` declare (tests)."""

    def __init__(self, settings=None, limits: dict | None = None, speeds: dict | None = None):
        self.settings = settings
        self.routes: list[Route] = []
        self._limits = dict(quotas.configured(settings)) if settings is not None else {}
        self._limit_overrides = limits or {}
        self._speeds = speeds or {}

    def add(self, transport) -> Route:
        name = transport.name
        limits = self._limit_overrides.get(name) or self._limits.get(name, (None, quotas.Limits()))[1]
        route = Route(name, transport.kind, transport.priority, limits, self._speed(transport))
        self.routes.append(route)
        return route

    def _speed(self, transport) -> float:
        """Declared seconds per SMS: a route's ``max_per_second``, else the modems' estimate."""
        if transport.name in self._speeds:
            return self._speeds[transport.name]
        declared = getattr(transport, "seconds_per_sms", None)
        if declared is not None:
            return float(declared)
        for entry in getattr(self.settings, "kannels", ()) or ():
            if entry.name == transport.name and getattr(entry, "max_per_second", None):
                return 1.0 / entry.max_per_second
        alerts = getattr(self.settings, "alerts", None)
        return float(getattr(alerts, "seconds_per_sms", 3.0))

    def _rank(self, route: Route, message, now: float, held: bool = False):
        """The route's rank for ``message`` (lower is better), None when it cannot take it.
        ``held``: the route holds the message claimed already (its quota counted it)."""
        if not route.up(now):
            return None
        fits = held or route.fits(message)
        healthy = not route.refusing(now)
        if message.priority >= PRIORITY_PANIC:
            return (not fits, not healthy, route.seconds_per_sms, -route.priority)
        if not fits:
            return None
        return (not healthy, -route.priority)

    def accepts(self, route: Route, message, held: bool = False) -> bool:
        """Whether ``route`` is (one of) the best transports for ``message`` now."""
        now = time.monotonic()
        mine = self._rank(route, message, now, held)
        if mine is None:
            return False
        for other in self.routes:
            if other is route:
                continue
            best_case = self._rank(other, message, now, held=True)     # its quota not read yet
            if best_case is None or best_case >= mine:
                continue                                                # it cannot do better anyway
            rank = self._rank(other, message, now)
            if rank is not None and rank < mine:
                return False
        return True
