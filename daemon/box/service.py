"""`vigie run`: the daemon's main loop.

It opens the store (then tells systemd READY=1: a dead modem must not fail the unit), recovers
what was in flight at the last stop, starts one worker per configured transport (built through the
transport registry), the panic button and the control socket, and then does the periodic
housekeeping. Signal handlers only set an event.
"""

import json
import logging
import os
import signal
import sys
import threading
import time

from vigie.daemon.box import sdnotify
from vigie.daemon.core import alerts, inbox, outbox, storage
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.control import ControlServer, dispatcher
from vigie.daemon.core.models import Heartbeat
from vigie.daemon.core.status import STATE_LABELS
from vigie.daemon.transport import build, configured
from vigie.daemon.transport.routing import Router
from vigie.daemon.transport.worker import TransportWorker

log = logging.getLogger(__name__)


class Daemon:
    def __init__(self, settings, gpio_factory=None):
        self.settings = settings
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.incoming = threading.Event()
        self.workers: list[TransportWorker] = []
        self.router = Router(settings)          # which worker may claim which message (routing.py)
        self.panic = None
        self.control = None
        self.gpio_factory = gpio_factory
        self.queue_depth = 0
        self.listener = None                    # Kannel's callbacks ([daemon] callback_listen)
        self.callbacks_due = threading.Event()

    # -- life cycle --
    def start(self) -> None:
        # A worker whose module just answered must get the interpreter at once, not after another
        # modem's store thread has had its 5 ms default slice: 1 ms keeps that wait off every SMS.
        sys.setswitchinterval(0.001)
        # The AT traffic has its own logger, silent unless [daemon] log_at asks for it.
        logging.getLogger("vigie.at").setLevel(logging.DEBUG if self.settings.daemon.log_at else logging.WARNING)
        db_mod.open_database(self.settings.database.path)
        storage.TROUBLE.attach(self.settings.database.path)     # the state file read while the disk is full
        outbox.recover_in_flight()
        self._start_listener()
        sdnotify.notify("READY=1")
        for table, entry in configured(self.settings):
            transport = build(table, entry, self.settings, power_cycle=self._power_cycler(entry))
            worker = TransportWorker(transport, self.settings, self.wake, self.stop, on_incoming=self.incoming.set,
                                     router=self.router)
            self.workers.append(worker)
            worker.start()
        self._start_button()
        handlers = {"wake": self._cmd_wake, "status": self._cmd_status}
        if self.panic is not None:
            handlers["button.press"] = self._cmd_button_press
        self.control = ControlServer(self.settings.daemon.control_socket, dispatcher(handlers))
        try:
            self.control.start()
        except OSError as e:
            log.error("socket de commande %s indisponible : %s", self.settings.daemon.control_socket, e)
            self.control = None
        self.incoming.set()
        log.info("démon démarré : %d transport(s)", len(self.workers))

    def _start_listener(self) -> None:
        """Kannel's delivery reports and incoming SMS: stored as they come, applied by the loop."""
        daemon = self.settings.daemon
        if not self.settings.kannels:
            return
        if not daemon.callback_secret:
            log.error("[daemon] callback_secret est vide : les accusés et SMS reçus par Kannel ne sont pas écoutés "
                      "(choisissez un secret, puis « vigie kannel config »)")
            return
        from vigie.daemon.transport.kannel.listener import CallbackListener
        try:
            self.listener = CallbackListener(daemon.callback_listen, daemon.callback_secret, self.settings.kannels,
                                             on_stored=lambda kind: self.callbacks_due.set()).start()
        except OSError as e:
            log.error("écoute des rappels de Kannel sur %s impossible : %s", daemon.callback_listen, e)
        self.callbacks_due.set()            # what was stored before a restart is applied now

    def apply_callbacks(self) -> None:
        try:
            from vigie.daemon.transport.kannel.callbacks import apply_pending
            done = apply_pending(window_hours=self.settings.daemon.report_window_hours)
            if done.get("inbox"):
                self.incoming.set()
        except Exception:
            log.exception("accusés et SMS reçus de Kannel non appliqués")

    def _power_cycler(self, entry):
        """A PWRKEY power cycle for an entry that has a GPIO wired to its module's power key."""
        if getattr(entry, "power_pin", None) is None:
            return None
        from vigie.daemon.box import gpio
        key = gpio.ModemPowerKey(entry.power_pin, model=entry.model, simulate=self.settings.button.simulate)
        return key.power_cycle

    def _start_button(self) -> None:
        if not self.settings.button.enabled:
            return
        try:
            from vigie.daemon.box import panic
            self.panic = panic.PanicController(self.settings, on_alert=lambda alert: self.wake.set())
            self.panic.start()
        except Exception:
            log.exception("bouton d'alerte indisponible")
            self.panic = None

    def run_forever(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop.set())
        self.start()
        self.loop()

    def loop(self) -> None:
        """Housekeeping until stopped; then a clean shutdown (in-flight messages finish)."""
        interval = sdnotify.watchdog_interval()
        next_housekeeping = 0.0
        try:
            while not self.stop.is_set():
                now = time.monotonic()
                if now >= next_housekeeping:
                    self.housekeeping()
                    next_housekeeping = now + 1.0
                    if self.settings.kannels:
                        self.callbacks_due.set()        # reports waiting for their part, retried
                if self.callbacks_due.is_set():
                    self.callbacks_due.clear()
                    self.apply_callbacks()
                self._notify(interval)
                if self.incoming.is_set():
                    self.incoming.clear()
                    self.handle_inbox()
                self.stop.wait(min(1.0, interval or 1.0))
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        self.stop.set()
        self.wake.set()
        sdnotify.notify("STOPPING=1")
        if self.listener is not None:
            self.listener.stop()            # smsbox keeps what it could not hand over and retries
        for worker in self.workers:
            worker.join(timeout=self.settings.daemon.send_timeout_seconds + 10)
        if self.panic is not None:
            self.panic.close()
        if self.control is not None:
            self.control.close()
        log.info("démon arrêté")

    # -- periodic work --
    def housekeeping(self) -> None:
        try:
            if alerts.start_due(self.settings):
                self.wake.set()             # a scheduled alert just queued its messages
            outbox.expire_due()
            outbox.complete_finished_alerts()
            depth = self.queue_depth = outbox.queue_depth()
            info = json.dumps({"queue": depth, "modems": {w.name_: w.state for w in self.workers}})
            row = dict(pid=os.getpid(), info=info, updated_at=time.time())
            Heartbeat.insert(component="daemon", **row).on_conflict(
                conflict_target=[Heartbeat.component], update=row).execute()
            if depth:
                self.wake.set()
        except Exception as e:
            if not storage.is_full(e):      # a full disk is told once, by storage.TROUBLE
                log.exception("maintenance périodique en échec")

    def handle_inbox(self) -> None:
        try:
            if inbox.handle_pending(self.settings):
                self.wake.set()
        except Exception:
            log.exception("traitement des SMS reçus en échec")
            self.incoming.set()

    def healthy(self) -> bool:
        limit = max(120.0, 3 * self.settings.daemon.send_timeout_seconds)
        now = time.monotonic()
        return all(w.is_alive() and now - w.last_beat < limit for w in self.workers)

    def _notify(self, interval) -> None:
        states = ", ".join(f"{w.name_} {STATE_LABELS.get(w.state, w.state)}" for w in self.workers)
        sdnotify.notify(f"STATUS=modems : {states or 'aucun'} ; file : {self.queue_depth} SMS")
        if interval and self.healthy():
            sdnotify.notify("WATCHDOG=1")

    # -- control socket handlers --
    def _cmd_wake(self, request) -> dict:
        self.wake.set()
        return {"ok": True, "message": "File d'envoi relancée."}

    def _cmd_status(self, request) -> dict:
        answer = {"ok": True, "modems": {w.name_: w.state for w in self.workers},
                  "healthy": self.healthy()}
        if self.panic is not None:
            answer["button"] = self.panic.status()
        return answer

    def _cmd_button_press(self, request) -> dict:
        seconds = request.get("seconds")
        return self.panic.simulate_press(float(seconds) if seconds else None)

