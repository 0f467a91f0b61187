"""One worker per transport: it owns every call to its transport, sends what the outbox gives it,
records reports and incoming SMS, and supervises the link. It knows no protocol: a GSM modem, an
operator route or the in-process fake are all a ``Transport`` (see base.py).

The link's state changes in one place, ``_set_state``, which logs ``from → to`` and publishes it in
the transport's status row the console shows:

    disconnected → connecting → ready ⇄ degraded (no network: sends nothing, others take the work)
                       ↑                   │
                       └──── disconnected ←┘ (link gone, no answer, module rebooted, reader dead)

Pipelining: a transport takes time per SMS (seconds for a GSM module) and the software must not
add to it. ``submit()`` returns once a segment is on its way (the PDU written, the module busy);
while it goes, the worker's store thread records the previous message's parts, outcome and
reports, and claims the next message (durable before its first segment goes out); only then does
the worker ask the pending handle for the provider's reference. The store thread runs its writes
in order, so a part is recorded before its delivery report is matched. A message claimed ahead is
given back untouched when a more urgent one (the panic button's) arrived meanwhile, or when the
link goes down.

Routing (routing.py): with a router, the worker claims only the messages it is the best transport
for now (priority, up, under quota, not refusing; a panic message on the fastest); the claim stays
the outbox's one compare-and-set. A message claimed ahead that a better transport could now take
(it came back) is given back untouched; a few sends failed in a row let the others take over a while.
"""

import concurrent.futures
import logging
import queue
import threading
import time

from vigie.daemon.core import blocks, clock, inbox, outbox, storage
from vigie.daemon.core.errors import OutcomeUnknown, PermanentFailure, RetryLater, TransportBlocked, TransportGone
from vigie.daemon.core.models import Message, TransportStatus, database
from vigie.daemon.core.status import CONNECTING, DEGRADED, DISCONNECTED, KIND_LABELS, READY, SUSPENDED
from vigie.daemon.transport import reports
from vigie.daemon.transport.base import DeliveryReport, Incoming, LateReference, LinkLost, Transport
from vigie.daemon.transport.breaker import Breaker

log = logging.getLogger(__name__)


def late_cap(send_timeout: float) -> float:
    """The most a slow transport's send timeout is raised to, and how long an « issue inconnue »
    waits for a late answer before it is sent again: within the daemon's watchdog limit."""
    return max(2 * send_timeout, 60.0)


class TransportWorker(threading.Thread):
    """Send loop and supervisor of one transport."""

    def __init__(self, transport: Transport, settings, wake: threading.Event, stop: threading.Event,
                 on_incoming=None, router=None):
        super().__init__(name=f"transport-{transport.name}", daemon=True)
        self.transport = transport
        self.settings = settings
        self.name_ = transport.name
        self.label = f"{KIND_LABELS.get(transport.kind, transport.kind)} {transport.name}"
        self.wake = wake
        self.stop_event = stop
        self.on_incoming = on_incoming or (lambda: None)
        self.state = None
        self.last_beat = time.monotonic()
        self.failures = 0
        self._next_health = 0.0
        self._last_error = ""
        self._burst = 0                                          # messages sent since last idle
        # One thread writes the store for this transport, in submission order (see the docstring).
        self._store = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"store-{self.name_}")
        self._writes: list[concurrent.futures.Future] = []
        self._deferred: list[tuple] = []                         # writes held until a segment is out
        self._next: concurrent.futures.Future | None = None     # the message claimed ahead
        # Routing between transports (routing.py): without a router, this worker takes any message.
        self.router = router
        self.route = router.add(transport) if router is not None else None
        self.breaker = Breaker()                                  # paused while it refuses every send
        self._store_full = False                                  # the disk refused a write (storage.py)
        # A module slower than send_timeout_seconds: the timeout follows its late answers, up to a cap.
        self.send_timeout = settings.daemon.send_timeout_seconds
        self.slow_note = ""

    # -- state --
    def _set_state(self, state: str, error: str = "", **fields) -> None:
        if error:
            self._last_error = error
        if state != self.state:
            log.info("%s : %s → %s%s", self.label, self.state or "—", state, f" ({error})" if error else "")
            left_ready = self.state == READY
            self.state = state
            if self.route is not None:
                self.route.state = state
                if left_ready:
                    self.wake.set()     # the other transports take over now, not at their next poll
        row = dict(state=state, kind=self.transport.kind, priority=self.transport.priority,
                   updated_at=time.time(), last_error=self._last_error or self.slow_note, **fields)
        try:
            (TransportStatus.insert(name=self.name_, **row)
             .on_conflict(conflict_target=[TransportStatus.name], update=row).execute())
        except Exception as e:
            if not storage.is_full(e):
                log.exception("état de %s non enregistré", self.label)

    # -- main loop --
    def run(self) -> None:
        self._set_state(DISCONNECTED)
        backoff = 1.0
        while not self.stop_event.is_set():
            self.last_beat = time.monotonic()
            if self._store_full:
                # The store cannot write: claim nothing, read nothing off the module; the store
                # thread keeps what it must write and tries again (see _durable).
                self.stop_event.wait(0.5)
                continue
            try:
                if self.state in (DISCONNECTED, CONNECTING, None):
                    if self._blocked():
                        self.stop_event.wait(self.settings.daemon.health_interval_seconds)
                        continue
                    self._connect()
                    backoff = 1.0
                self._service()
                self._check_health()
                self._gate()
                if self.state != READY:
                    self._give_back()
                    self.stop_event.wait(min(2.0, self.settings.daemon.health_interval_seconds))
                    continue
                if self._send_one():
                    if not self._burst:
                        self.wake.set()     # a burst begins: the other idle workers start now, not at their poll
                    self._burst += 1
                else:
                    self._submit_deferred()
                    if self._burst:
                        self._burst = 0
                        self._service(idle=True)
                    self.wake.wait(self.settings.daemon.poll_interval_seconds)
                    self.wake.clear()
            except TransportBlocked as e:
                self.transport.close()
                self._give_back()
                self._block(e)
            except TransportGone as e:
                self.transport.close()
                self._give_back()
                self.failures += 1
                self._set_state(DISCONNECTED, str(e))
                self.transport.recover(self.failures)
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, self.settings.daemon.reconnect_max_seconds)
            except Exception as e:
                if storage.is_full(e):
                    self._full(e, probe=True)   # a claim or a give-back refused: nothing to keep
                    continue
                log.exception("%s : erreur inattendue", self.label)
                self.transport.close()
                self._give_back()
                self._set_state(DISCONNECTED, "erreur interne, reconnexion")
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, self.settings.daemon.reconnect_max_seconds)
        self.transport.close()
        self._give_back()
        self._store.shutdown(wait=True)
        self._set_state(DISCONNECTED, "démon arrêté")

    # -- the store thread --
    def _write(self, func, *args, **kwargs) -> concurrent.futures.Future:
        """Queue a store write; it runs after every write queued before it."""
        self._check_writes()
        future = self._store.submit(self._durable, func, args, kwargs)
        self._writes.append(future)
        return future

    def _durable(self, func, args, kwargs):
        """Store thread: a write the disk refuses (full) is tried again until it succeeds, the writes
        queued after it waiting in order; the daemon says so (storage.TROUBLE) meanwhile. Given up
        only when the daemon stops (what was in flight is then flagged at the next start)."""
        delay = 0.2
        while True:
            try:
                result = func(*args, **kwargs)
            except Exception as e:
                if not storage.is_full(e) or self.stop_event.is_set():
                    raise
                self._full(e)
                self.stop_event.wait(delay)
                delay = min(delay * 2, 5.0)
                continue
            if self._store_full:
                self._store_full = False
                storage.TROUBLE.recovered()
                self.wake.set()
            return result

    def _full(self, e: Exception, probe: bool = False) -> None:
        """The disk refused a write. ``probe`` (worker thread, nothing queued to retry): a small write
        is queued to tell when the disk has room again."""
        first = not self._store_full
        self._store_full = True
        if first and probe:
            self._write(self._touch)
        storage.TROUBLE.failed(e, pending=len(self._writes) + len(self._deferred))

    def _touch(self) -> None:
        TransportStatus.update(updated_at=time.time()).where(TransportStatus.name == self.name_).execute()

    def _defer(self, func, *args, **kwargs) -> None:
        """A store write for when the transport is busy (the next segment on its way), or the worker idle."""
        self._deferred.append((func, args, kwargs))

    def _submit_deferred(self) -> None:
        deferred, self._deferred = self._deferred, []
        for func, args, kwargs in deferred:
            self._write(func, *args, **kwargs)

    def _on_its_way(self) -> None:
        """A segment is on its way, the transport busy: the store catches up and claims the next message."""
        try:
            self._submit_deferred()
            if self._next is None:
                self._next = self._write(self._claim)
        except Exception:
            log.exception("travail pendant l'envoi en échec")

    def _check_writes(self) -> None:
        """Forget the writes done; a failed one is raised here, in the worker, as if it had run here."""
        done = [f for f in self._writes if f.done()]
        self._writes = [f for f in self._writes if not f.done()]
        for future in done:
            future.result()

    def _flush(self) -> None:
        """Wait for every queued write (before acting on what they record)."""
        self._submit_deferred()
        writes, self._writes = self._writes, []
        for future in writes:
            future.result()

    def _claim(self) -> Message | None:
        """One claim: any due message without a router, else only those this transport is the best for."""
        if self.router is None:
            return outbox.claim(self.name_)
        message = outbox.claim(self.name_, accept=lambda candidate: self.router.accepts(self.route, candidate))
        if message is not None:
            self.route.claimed(message)
        return message

    def _unclaim(self, message: Message) -> None:
        outbox.unclaim(message)
        if self.route is not None:
            self.route.forget(message)

    def _take(self) -> Message | None:
        """The message to send now: the one claimed ahead unless a more urgent one waits or a better
        transport is back for it, else a claim."""
        future, self._next = self._next, None
        message = future.result() if future is not None else None
        if message is not None and outbox.outranked(message.priority):
            self._unclaim(message)
            message = None
        elif message is not None and self.router is not None \
                and not self.router.accepts(self.route, message, held=True):
            self._unclaim(message)
            self.wake.set()         # the better transport takes it now
            message = None
        return message if message is not None else self._claim()

    def _give_back(self) -> None:
        """The message claimed ahead goes back to the queue unsent (link down, daemon stopping)."""
        future, self._next = self._next, None
        try:
            message = future.result() if future is not None else None
            if message is not None:
                self._unclaim(message)
                self.wake.set()     # another worker may take it now
        except Exception:
            log.exception("%s : message réservé d'avance non rendu", self.label)
        try:
            self._flush()
        except Exception:
            log.exception("%s : écriture en échec", self.label)

    # -- blocks kept across restarts (a SIM that refused its PIN) --
    def _blocked(self) -> bool:
        """Whether a kept block forbids opening the transport; its reason is what the status row says."""
        try:
            reason = blocks.blocked(self.name_, getattr(self.transport, "block_key", None))
        except Exception:
            log.exception("%s : blocage enregistré illisible", self.label)
            return False
        if reason is None:
            return False
        if self._last_error != reason or self.state != DISCONNECTED:
            log.error("%s : %s", self.label, reason)
        self.last_beat = time.monotonic()
        self._set_state(DISCONNECTED, reason)
        return True

    def _block(self, e: TransportBlocked) -> None:
        log.error("%s : %s", self.label, e)
        try:
            blocks.block(self.name_, e.key, str(e))
        except Exception:
            log.exception("%s : blocage non enregistré", self.label)
        self._set_state(DISCONNECTED, str(e))

    def _connect(self) -> None:
        self._set_state(CONNECTING)
        info = self.transport.open()
        if getattr(self.transport, "block_key", None):
            blocks.lift(self.name_)
        self.failures = 0
        self._next_health = 0.0
        self._set_state(CONNECTING, model=info.get("model", ""), imei=info.get("imei", ""),
                        network_time_offset=info.get("network_time_offset"), last_contact=time.time())
        self._check_health()

    def _check_health(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.transport.is_alive():
            raise TransportGone("liaison interrompue (fil de lecture arrêté ou port fermé)")
        if not force and now < self._next_health:
            return
        health = self.transport.health()
        state = READY if health.up else DEGRADED
        if state == READY and self.state == SUSPENDED and not self.breaker.allows():
            state = SUSPENDED
        interval = self.settings.daemon.health_interval_seconds if state == READY else 2.0
        self._next_health = now + interval
        self._set_state(state, "" if health.up else (health.detail or "hors service"),
                        signal=health.signal, operator=health.operator, registered=health.up,
                        last_contact=time.time())
        if state == READY and self._last_error:
            self._last_error = ""

    # -- the circuit breaker (breaker.py) --
    def _gate(self) -> None:
        """« en pause » while the breaker is open; « prêt » again for its probe."""
        if self.state == READY and not self.breaker.allows():
            self._set_state(SUSPENDED, self.breaker.describe())
        elif self.state == SUSPENDED and self.breaker.allows():
            self._set_state(READY)

    def _refused(self, message: Message, e: RetryLater) -> bool:
        """A temporary refusal with nothing on air; True when it is the transport's (breaker open):
        the message goes back uncounted, the refusals that led here are refunded."""
        earlier = self.breaker.refused(message.id, str(e))
        if earlier is None:
            return False
        self._write(outbox.release, message, f"Refusé par {self.label}, en panne : {e}", outcome="temporary",
                    code=e.code, refunded=earlier.count(message.id))
        self._write(outbox.refund, [i for i in earlier if i != message.id], self.name_)
        log.warning("%s : %s (%d tentative(s) non comptée(s))", self.label, self.breaker.describe(),
                    len(earlier) + 1)
        self._set_state(SUSPENDED, self.breaker.describe())
        self.wake.set()             # the other transports take these messages now
        return True

    # -- events from the transport --
    def _service(self, idle: bool = False) -> None:
        """The transport's upkeep, then its events turned into store writes, in order."""
        try:
            self.transport.service(idle)
        finally:
            self._drain_events()

    def _drain_events(self) -> None:
        while True:
            try:
                event = self.transport.events.get_nowait()
            except queue.Empty:
                return
            if isinstance(event, DeliveryReport):
                self._defer(reports.match, self.name_, event, received_at=time.time(),
                            window_hours=self.settings.daemon.report_window_hours)
            elif isinstance(event, Incoming):
                self._defer(self._store_incoming, event)
            elif isinstance(event, LateReference):
                self._late(event)
            elif isinstance(event, LinkLost):
                raise TransportGone(event.reason)

    def _late(self, event: LateReference) -> None:
        """A segment counted « issue inconnue » answered late: it is on air, recorded as sent (not
        sent again), and the send timeout is raised toward the module's pace (at most the cap)."""
        ids = event.ids or {}
        if ids.get("message"):
            self._defer(outbox.sent_late, ids["message"], ids.get("attempt") or 0, ids.get("part") or 1,
                        self.name_, event.reference)
        cap = late_cap(self.settings.daemon.send_timeout_seconds)
        wanted = min(cap, max(self.send_timeout, event.elapsed * 1.5 + 1.0))
        if wanted > self.send_timeout + 1.0:
            self.send_timeout = wanted
            self.slow_note = (f"module lent : réponse à un envoi en {event.elapsed:.0f} s, "
                              f"délai d'attente porté à {wanted:.0f} s")
            log.warning("%s : %s", self.label, self.slow_note)
            self._last_error = self.slow_note

    def _store_incoming(self, event: Incoming) -> None:
        inbox.store_incoming(self.name_, event.phone, event.text, event.time, event.concat)
        self.on_incoming()

    # -- sending --
    def _send_one(self) -> bool:
        message = self._take()
        if message is None:
            return False
        self.last_beat = time.monotonic()
        try:
            validity = None
            if message.expires_at:
                validity = max(1.0, (message.expires_at - clock.wall()) / 3600)
            segments = self.transport.segments(message.phone, message.text, message.id, validity)
        except Exception as e:
            outbox.mark_failed(message, f"Texte ou numéro impossible à encoder : {e}")
            return True
        sent, failure = [], None
        try:
            for segment in segments:
                self._busy(True)
                try:
                    pending = self.transport.submit(segment, {"message": message.id, "part": segment.number,
                                                              "attempt": message.attempts})
                    self._on_its_way()
                    try:
                        reference = pending.result(self.send_timeout)
                    except TransportGone as e:
                        e.maybe_sent = True     # lost once on its way: the segment may be on air
                        raise
                finally:
                    self._busy(False)
                sent.append((segment, reference, time.time()))
        except (RetryLater, PermanentFailure, OutcomeUnknown, TransportGone) as e:
            failure = e
        self._defer(self._record, message, len(segments), sent, done=failure is None)
        if failure is None:
            self.breaker.succeeded()
            if self.route is not None:
                self.route.succeeded()
        if failure is not None:
            self._submit_deferred()     # parts on air are recorded before the outcome (same store thread)
            self._fail(message, failure, sent_any=bool(sent))
        return True

    def _record(self, message: Message, count: int, sent: list, done: bool) -> None:
        """Store thread: the parts put on air, and the message sent once all its parts are."""
        with database.atomic():
            if message.parts != count:
                Message.update(parts=count).where(Message.id == message.id).execute()
                message.parts = count
            for segment, reference, sent_at in sent:
                outbox.record_part(message, segment.number, segment.count, self.name_, reference,
                                   sent_at=sent_at)
            if done:
                outbox.mark_sent(message)
                (TransportStatus.update(sent_count=TransportStatus.sent_count + 1, last_contact=time.time())
                 .where(TransportStatus.name == self.name_).execute())

    def _busy(self, on: bool) -> None:
        if self.route is not None:
            self.route.busy(on)

    def _route_refused(self, e: Exception) -> None:
        """A temporary or unknown failure: after a few in a row the router lets the other transports take
        over a while (the breaker, ``_refused``, pauses a transport that refuses every send outright)."""
        if self.route is not None and self.route.failed():
            log.warning("%s : %d envois en échec de suite (%s) : les autres moyens d'envoi prennent le relais",
                        self.label, self.route.failures, e)
            self._last_error = f"{self.route.failures} envois en échec de suite : relais par les autres moyens d'envoi"
            self.wake.set()

    def _fail(self, message: Message, e: Exception, sent_any: bool) -> None:
        """The outcome of a failed send, written by the store thread (kept and retried on a full disk)."""
        base, cap = self.settings.daemon.retry_base_seconds, self.settings.daemon.retry_max_seconds
        if isinstance(e, RetryLater) and not sent_any and self._refused(message, e):
            return
        if isinstance(e, (RetryLater, OutcomeUnknown)):
            self._route_refused(e)
        if isinstance(e, RetryLater):
            self._write(outbox.mark_retry, message, str(e), code=e.code, possible_duplicate=sent_any,
                        base=base, cap=cap)
        elif isinstance(e, PermanentFailure):
            self._write(outbox.mark_failed, message, f"Refusé par le réseau : {e}", code=e.code)
        elif isinstance(e, OutcomeUnknown):
            # An answer that may still come (a GSM module's late +CMGS, ``answer_may_come``): sent
            # again only once it could have proved the SMS went out (LateReference, outbox.sent_late).
            patience = min(base, 5.0)
            if getattr(e, "answer_may_come", False):
                patience = late_cap(self.settings.daemon.send_timeout_seconds)
            self._write(outbox.mark_retry, message, f"Issue inconnue : {e}", outcome="unknown",
                        possible_duplicate=True, base=patience, cap=max(cap, patience))
        else:
            if sent_any or e.maybe_sent:
                self._write(outbox.mark_retry, message, f"Liaison perdue pendant l'envoi : {e}",
                            outcome="modem_gone", possible_duplicate=True, base=min(base, 5.0), cap=cap)
            else:
                self._write(outbox.release, message, f"Liaison perdue avant l'envoi : {e}")
                if self.route is not None:
                    self.route.forget(message)
                self.wake.set()     # another worker may take it now
            raise e
