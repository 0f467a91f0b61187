"""One worker per modem: it owns every library call for its modem, sends what the outbox gives it,
records reports and incoming SMS, and supervises the link.

The link's state changes in one place, ``_set_state``, which logs ``from → to`` and publishes it in
the ModemStatus row the console shows:

    disconnected → connecting → ready ⇄ degraded (no network: sends nothing, others take the work)
                       ↑                   │
                       └──── disconnected ←┘ (port gone, no answer, module rebooted, reader dead)

Pipelining: a module takes seconds per SMS and the software must not add to it. Once a PDU is
written (the module busy for seconds), the worker's store thread records the previous message's
parts, outcome and reports, and claims the next message (durable before its PDU goes out); between
two SMS the worker only talks to the module. The store thread runs its writes in order, so a part
is recorded before its status report is matched. A message claimed ahead is given back untouched
when a more urgent one (the panic button's) arrived meanwhile, or when the link goes down.
"""

import concurrent.futures
import logging
import queue
import threading
import time

from vigie.daemon.core import outbox
from vigie.daemon.core.errors import ModemGone, OutcomeUnknown, PermanentFailure, RetryLater
from vigie.daemon.core.models import InboundPart, InboundSms, Message, ModemStatus, database
from vigie.daemon.core.status import CONNECTING, DEGRADED, DISCONNECTED, READY
from vigie.daemon.transport.gsm.modem import Health, Incoming, Lost, Modem, Rebooted, Report, Stored, encode_parts

log = logging.getLogger(__name__)

REPORT_SWEEP_EVERY = 20        # messages sent between two listings of the module's report store


class ModemWorker(threading.Thread):
    """Send loop and supervisor of one modem."""

    def __init__(self, modem_settings, settings, wake: threading.Event, stop: threading.Event,
                 on_incoming=None, power_cycle=None):
        super().__init__(name=f"modem-{modem_settings.name}", daemon=True)
        self.ms = modem_settings
        self.settings = settings
        self.name_ = modem_settings.name
        self.modem = Modem(modem_settings, send_timeout=settings.daemon.send_timeout_seconds)
        self.wake = wake
        self.stop_event = stop
        self.on_incoming = on_incoming or (lambda: None)
        self.power_cycle = power_cycle
        self.state = None
        self.last_beat = time.monotonic()
        self.failures = 0
        self._next_health = 0.0
        self._next_sweep = 0.0
        self._last_error = ""
        self._sent_since_sweep = 0
        # One thread writes the store for this modem, in submission order (see the module docstring).
        self._store = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"store-{self.name_}")
        self._writes: list[concurrent.futures.Future] = []
        self._deferred: list[tuple] = []                         # writes held until the PDU is out
        self._next: concurrent.futures.Future | None = None     # the message claimed ahead

    # -- state --
    def _set_state(self, state: str, error: str = "", **fields) -> None:
        if error:
            self._last_error = error
        if state != self.state:
            log.info("modem %s : %s → %s%s", self.name_, self.state or "—", state,
                     f" ({error})" if error else "")
            self.state = state
        row = dict(state=state, updated_at=time.time(), last_error=self._last_error, **fields)
        try:
            (ModemStatus.insert(name=self.name_, **row)
             .on_conflict(conflict_target=[ModemStatus.name], update=row).execute())
        except Exception:
            log.exception("état du modem %s non enregistré", self.name_)

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
                self._drain_events()
                self._check_health()
                if self.state != READY:
                    self._give_back()
                    self.stop_event.wait(min(2.0, self.settings.daemon.health_interval_seconds))
                    continue
                if self._send_one():
                    if not self._sent_since_sweep:
                        self.wake.set()     # a burst begins: the other idle modems start now, not at their poll
                    self._sent_since_sweep += 1
                    if self.modem.stores_reports and self._sent_since_sweep % REPORT_SWEEP_EVERY == 0:
                        # During a burst reports pile up in the module's "SR" store faster than it
                        # announces them, and a full store drops new ones: empty it in one listing.
                        for found in self.modem.sweep(("SR",)):
                            self._handle(found)
                else:
                    self._submit_deferred()
                    if self._sent_since_sweep:
                        # A burst just ended: collect what the module stored without telling us.
                        self._sent_since_sweep = 0
                        self._sweep()
                    self.wake.wait(self.settings.daemon.poll_interval_seconds)
                    self.wake.clear()
            except ModemGone as e:
                self.modem.close()
                self._give_back()
                self.failures += 1
                self._set_state(DISCONNECTED, str(e))
                if self.power_cycle and self.failures % 3 == 0:
                    log.warning("modem %s : aucune réponse après %d essais, redémarrage électrique",
                                self.name_, self.failures)
                    try:
                        self.power_cycle()
                    except Exception:
                        log.exception("redémarrage électrique du modem %s impossible", self.name_)
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, self.settings.daemon.reconnect_max_seconds)
            except Exception:
                log.exception("modem %s : erreur inattendue", self.name_)
                self.modem.close()
                self._give_back()
                self._set_state(DISCONNECTED, "erreur interne, reconnexion")
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, self.settings.daemon.reconnect_max_seconds)
        self.modem.close()
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
        """A store write for when the module is busy (the next PDU written), or the worker idle."""
        self._deferred.append((func, args, kwargs))

    def _submit_deferred(self) -> None:
        deferred, self._deferred = self._deferred, []
        for func, args, kwargs in deferred:
            self._write(func, *args, **kwargs)

    def _on_wire(self) -> None:
        """The PDU is out, the module busy: the store catches up and claims the next message."""
        self._submit_deferred()
        if self._next is None:
            self._next = self._write(outbox.claim, self.name_)

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
                self.wake.set()     # another modem may take it now
        except Exception:
            log.exception("modem %s : message réservé d'avance non rendu", self.name_)
        try:
            self._flush()
        except Exception:
            log.exception("modem %s : écriture en échec", self.name_)

    def _connect(self) -> None:
        self._set_state(CONNECTING)
        info = self.modem.open()
        # Reboot notices seen while connecting belong to the start-up just finished.
        kept = []
        while True:
            try:
                event = self.modem.events.get_nowait()
            except queue.Empty:
                break
            if not isinstance(event, (Rebooted, Lost)):
                kept.append(event)
        for event in kept:
            self.modem.events.put(event)
        self.failures = 0
        self._next_health = 0.0
        self._next_sweep = 0.0
        self._set_state(CONNECTING, model=info.get("model", ""), imei=info.get("imei", ""),
                        last_contact=time.time())
        self._check_health()

    def _check_health(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.modem.is_alive():
            raise ModemGone("fil de lecture du modem arrêté ou port fermé")
        if not force and now < self._next_health:
            return
        health: Health = self.modem.health()
        state = READY if health.registered else DEGRADED
        interval = self.settings.daemon.health_interval_seconds if state == READY else 2.0
        self._next_health = now + interval
        self._set_state(state, "" if health.registered else "pas d'enregistrement sur le réseau",
                        signal=health.signal, operator=health.operator, registered=health.registered,
                        last_contact=time.time())
        if state == READY and self._last_error and health.registered:
            self._last_error = ""
        if now >= self._next_sweep:
            self._sweep()

    def _sweep(self) -> None:
        self._next_sweep = time.monotonic() + 120
        for event in self.modem.sweep():
            self._handle(event)

    # -- events from the module --
    def _drain_events(self) -> None:
        while True:
            try:
                event = self.modem.events.get_nowait()
            except queue.Empty:
                return
            self._handle(event)

    def _handle(self, event) -> None:
        if isinstance(event, Report):
            self._defer(outbox.match_report, self.name_, event.mr, event.number, event.status,
                        received_at=time.time(), window_hours=self.settings.daemon.report_window_hours,
                        time_sent=event.time_sent, time_finalized=event.time_finalized)
        elif isinstance(event, Stored):
            if event.memory.upper() == "SR":
                # Reports pile up faster than the module announces them during a burst, and a full
                # "SR" store drops new ones: one listing empties it instead of one read per notice.
                for found in self.modem.sweep(("SR",)):
                    self._handle(found)
            else:
                found = self.modem.read_stored(event.memory, event.index)
                if found is not None:
                    self._handle(found)
        elif isinstance(event, Incoming):
            self._defer(self._store_incoming, event)
        elif isinstance(event, Rebooted):
            raise ModemGone(f"le module a redémarré ({event.line}) : réglages perdus")
        elif isinstance(event, Lost):
            raise ModemGone(event.reason)

    def _store_incoming(self, event: Incoming) -> None:
        store_incoming(self.name_, event)
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
            parts = encode_parts(message.phone, message.text, concat_ref=message.id, validity_hours=validity)
        except Exception as e:
            outbox.mark_failed(message, f"Texte ou numéro impossible à encoder : {e}")
            return True
        sent, failure = [], None
        try:
            for part in parts:
                sent.append((part, self.modem.send_part(part, on_wire=self._on_wire), time.time()))
        except (RetryLater, PermanentFailure, OutcomeUnknown, ModemGone) as e:
            failure = e
        self._defer(self._record, message, len(parts), sent, done=failure is None)
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
            for part, mr, sent_at in sent:
                outbox.record_part(message, part.number, part.count, self.name_, mr, sent_at=sent_at)
            if done:
                outbox.mark_sent(message)
                (ModemStatus.update(sent_count=ModemStatus.sent_count + 1, last_contact=time.time())
                 .where(ModemStatus.name == self.name_).execute())

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
            if sent_any or getattr(e, "maybe_sent", False):
                outbox.mark_retry(message, f"Modem perdu pendant l'envoi : {e}", outcome="modem_gone",
                                  possible_duplicate=True, base=min(base, 5.0), cap=cap)
            else:
                outbox.release(message, f"Modem perdu avant l'envoi : {e}")
                self.wake.set()     # another modem may take it now
            raise e


def store_incoming(modem: str, event: Incoming) -> InboundSms | None:
    """Store an incoming SMS; a concatenated one is stored once all its parts are in."""
    phone = event.number
    with database.atomic():
        if event.concat is None or event.concat[1] <= 1:
            return InboundSms.create(modem=modem, phone=phone, text=event.text, sms_time=event.time)
        ref, count, number = event.concat
        (InboundPart.insert(modem=modem, phone=phone, ref=ref, number=number, count=count, text=event.text)
         .on_conflict_ignore().execute())
        parts = list(InboundPart.select().where((InboundPart.phone == phone) & (InboundPart.ref == ref)
                                                & (InboundPart.count == count))
                     .order_by(InboundPart.number))
        if len({p.number for p in parts}) < count:
            return None
        text = "".join(p.text for p in parts)
        InboundPart.delete().where(InboundPart.id.in_([p.id for p in parts])).execute()
        return InboundSms.create(modem=modem, phone=phone, text=text, sms_time=event.time)
