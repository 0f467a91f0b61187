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
"""

import concurrent.futures
import logging
import queue
import threading
import time

from vigie.daemon.core import inbox, outbox
from vigie.daemon.core.errors import OutcomeUnknown, PermanentFailure, RetryLater, TransportGone
from vigie.daemon.core.models import Message, TransportStatus, database
from vigie.daemon.core.status import CONNECTING, DEGRADED, DISCONNECTED, KIND_LABELS, READY
from vigie.daemon.transport import reports
from vigie.daemon.transport.base import DeliveryReport, Incoming, LinkLost, Transport

log = logging.getLogger(__name__)


class TransportWorker(threading.Thread):
    """Send loop and supervisor of one transport."""

    def __init__(self, transport: Transport, settings, wake: threading.Event, stop: threading.Event,
                 on_incoming=None):
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

    # -- state --
    def _set_state(self, state: str, error: str = "", **fields) -> None:
        if error:
            self._last_error = error
        if state != self.state:
            log.info("%s : %s → %s%s", self.label, self.state or "—", state, f" ({error})" if error else "")
            self.state = state
        row = dict(state=state, kind=self.transport.kind, priority=self.transport.priority,
                   updated_at=time.time(), last_error=self._last_error, **fields)
        try:
            (TransportStatus.insert(name=self.name_, **row)
             .on_conflict(conflict_target=[TransportStatus.name], update=row).execute())
        except Exception:
            log.exception("état de %s non enregistré", self.label)

    # -- main loop --
    def run(self) -> None:
        self._set_state(DISCONNECTED)
        backoff = 1.0
        while not self.stop_event.is_set():
            self.last_beat = time.monotonic()
            try:
                if self.state in (DISCONNECTED, CONNECTING, None):
                    self._connect()
                    backoff = 1.0
                self._service()
                self._check_health()
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
            except TransportGone as e:
                self.transport.close()
                self._give_back()
                self.failures += 1
                self._set_state(DISCONNECTED, str(e))
                self.transport.recover(self.failures)
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, self.settings.daemon.reconnect_max_seconds)
            except Exception:
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
        future = self._store.submit(func, *args, **kwargs)
        self._writes.append(future)
        return future

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
                self._next = self._write(outbox.claim, self.name_)
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

    def _take(self) -> Message | None:
        """The message to send now: the one claimed ahead unless a more urgent one waits, else a claim."""
        future, self._next = self._next, None
        message = future.result() if future is not None else None
        if message is not None and outbox.outranked(message.priority):
            outbox.unclaim(message)
            message = None
        return message if message is not None else outbox.claim(self.name_)

    def _give_back(self) -> None:
        """The message claimed ahead goes back to the queue unsent (link down, daemon stopping)."""
        future, self._next = self._next, None
        try:
            message = future.result() if future is not None else None
            if message is not None:
                outbox.unclaim(message)
                self.wake.set()     # another worker may take it now
        except Exception:
            log.exception("%s : message réservé d'avance non rendu", self.label)
        try:
            self._flush()
        except Exception:
            log.exception("%s : écriture en échec", self.label)

    def _connect(self) -> None:
        self._set_state(CONNECTING)
        info = self.transport.open()
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
        interval = self.settings.daemon.health_interval_seconds if state == READY else 2.0
        self._next_health = now + interval
        self._set_state(state, "" if health.up else (health.detail or "hors service"),
                        signal=health.signal, operator=health.operator, registered=health.up,
                        last_contact=time.time())
        if state == READY and self._last_error:
            self._last_error = ""

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
            elif isinstance(event, LinkLost):
                raise TransportGone(event.reason)

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
                validity = max(1.0, (message.expires_at - time.time()) / 3600)
            segments = self.transport.segments(message.phone, message.text, message.id, validity)
        except Exception as e:
            outbox.mark_failed(message, f"Texte ou numéro impossible à encoder : {e}")
            return True
        sent, failure = [], None
        try:
            for segment in segments:
                pending = self.transport.submit(segment, {"message": message.id, "part": segment.number,
                                                          "attempt": message.attempts})
                self._on_its_way()
                try:
                    reference = pending.result()
                except TransportGone as e:
                    e.maybe_sent = True     # lost once on its way: the segment may be on air
                    raise
                sent.append((segment, reference, time.time()))
        except (RetryLater, PermanentFailure, OutcomeUnknown, TransportGone) as e:
            failure = e
        self._defer(self._record, message, len(segments), sent, done=failure is None)
        if failure is not None:
            self._flush()           # parts on air are recorded before the outcome
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

    def _fail(self, message: Message, e: Exception, sent_any: bool) -> None:
        base, cap = self.settings.daemon.retry_base_seconds, self.settings.daemon.retry_max_seconds
        if isinstance(e, RetryLater):
            outbox.mark_retry(message, str(e), code=e.code, possible_duplicate=sent_any, base=base, cap=cap)
        elif isinstance(e, PermanentFailure):
            outbox.mark_failed(message, f"Refusé par le réseau : {e}", code=e.code)
        elif isinstance(e, OutcomeUnknown):
            outbox.mark_retry(message, f"Issue inconnue : {e}", outcome="unknown",
                              possible_duplicate=True, base=min(base, 5.0), cap=cap)
        else:
            if sent_any or e.maybe_sent:
                outbox.mark_retry(message, f"Liaison perdue pendant l'envoi : {e}", outcome="modem_gone",
                                  possible_duplicate=True, base=min(base, 5.0), cap=cap)
            else:
                outbox.release(message, f"Liaison perdue avant l'envoi : {e}")
                self.wake.set()     # another worker may take it now
            raise e
