"""The panic button's logic: a long press sends the configured preset at top priority.

A short press does nothing but leave a trace (no broadcast by accident); a second long press
during the cooldown is refused (a nervous second press must not send the alert twice); the LED
tells the person at the button what happened. gpiozero's callbacks only put an event on a queue;
the controller's own thread writes the database. Nothing here depends on the web console.

Wiring in the daemon (``vigie run``)::

    panic = PanicController(settings, gpio_factory, on_alert=lambda alert: wake.set())
    panic.start()                     # devices + worker thread
    ...                               # control socket: {"cmd": "button.press", "seconds": S}
    answer = panic.simulate_press(S)  # -> {"ok": bool, "message": "...", "result": "..."}
    panic.close()
"""

import contextlib
import logging
import queue
import threading
import time
from dataclasses import dataclass

from vigie.daemon.box import gpio
from vigie.daemon.core import audit
from vigie.daemon.core.errors import VigieError
from vigie.daemon.core.models import Alert, Message
from vigie.daemon.core.reference import french

log = logging.getLogger(__name__)

ACTOR = "bouton"
MAX_SIMULATED_SECONDS = 60.0
# A press is never lost to a busy or failing database: storing the alert is tried again, with these
# pauses (then the last one, forever), until it is stored or the daemon stops.
STORE_RETRY_SECONDS = (0.1, 0.2, 0.5, 1.0, 2.0)


def is_storage_error(e: Exception) -> bool:
    """A database that is locked, full or failing (sqlite3's errors and peewee's wrappers of them)."""
    import sqlite3
    return isinstance(e, sqlite3.Error) or type(e).__module__ == "peewee"

# What one press came to; ``ok`` is False when a wanted broadcast did not happen.
RESULT_SENT, RESULT_SHORT, RESULT_BOUNCE, RESULT_REFUSED, RESULT_ERROR = (
    "sent", "short", "bounce", "refused", "error")


@dataclass(frozen=True)
class PressOutcome:
    result: str
    message: str
    alert_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.result in (RESULT_SENT, RESULT_SHORT, RESULT_BOUNCE)

    def as_answer(self) -> dict:
        return {"ok": self.ok, "message": self.message, "result": self.result, "alert": self.alert_id}


class PanicController:
    """Owns the button, the LED and the optional buzzer, and turns presses into a broadcast.

    ``gpio_factory``: a gpiozero pin factory (None: ``gpio.pin_factory(settings.button.simulate)``).
    ``on_alert(alert)``: called on the controller's thread once the preset's messages are queued,
    so the modem workers wake up at once. ``clock``: monotonic seconds, replaceable in tests.
    """

    def __init__(self, settings, gpio_factory=None, *, on_alert=None, clock=time.monotonic,
                 sent_display_seconds: float = 30.0, error_display_seconds: float = 60.0,
                 poll_seconds: float = 0.5, recheck_seconds: float = 10.0):
        self.settings = settings
        self.config = settings.button
        self.factory = gpio_factory
        self.on_alert = on_alert
        self.clock = clock
        self.sent_display_seconds = sent_display_seconds
        self.error_display_seconds = error_display_seconds
        self.poll_seconds = poll_seconds
        self.recheck_seconds = recheck_seconds
        self.button = self.led = self.beeper = None
        self.state = "idle"
        self.alert_id: int | None = None
        self.last_error = ""
        self.last_trigger: float | None = None
        self._events: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._outcomes: list[PressOutcome] = []
        self._press_at: float | None = None
        self._press_held = False
        self._held_outcome: PressOutcome | None = None
        self._state_until: float | None = None
        self._next_check = 0.0
        self._simulating = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- life cycle --
    def start(self) -> None:
        if self.factory is None:
            self.factory = gpio.pin_factory(self.config.simulate)
        c = self.config
        try:
            self.led = gpio.StatusLed(c.led_pin, factory=self.factory)
            if c.buzzer_pin is not None:
                self.beeper = gpio.Beeper(c.buzzer_pin, factory=self.factory)
            self.button = gpio.PanicButton(
                c.pin, hold_seconds=c.hold_seconds, bounce_seconds=c.bounce_seconds, factory=self.factory,
                on_press=lambda: self._events.put(("press", time.monotonic())),
                on_release=lambda: self._events.put(("release", time.monotonic())),
                on_hold=lambda: self._events.put(("hold", time.monotonic())))
        except Exception:
            self.close()                    # give back the pins already taken
            raise
        self._thread = threading.Thread(target=self._run, name="bouton", daemon=True)
        self._thread.start()
        log.info("bouton d'alerte prêt : GPIO%d, voyant GPIO%d, appui long %.1f s, modèle « %s »%s",
                 c.pin, c.led_pin, c.hold_seconds, c.preset, " (broches simulées)" if self.simulated else "")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.led is not None:
            with contextlib.suppress(Exception):
                self.led.show("off")        # a dark LED says "daemon stopped", not a frozen pattern
        for device in (self.button, self.beeper, self.led):
            if device is not None:
                try:
                    device.close()
                except Exception:
                    log.exception("fermeture d'une broche en échec")

    @property
    def simulated(self) -> bool:
        return gpio.is_mock(self.factory)

    def status(self) -> dict:
        """For the daemon's status answer: what the button shows and why."""
        remaining = max(0.0, self._cooldown_remaining())
        return {"state": self.state, "pattern": self.pattern, "preset": self.config.preset,
                "alert": self.alert_id, "error": self.last_error if self.state == "error" else "",
                "cooldown_seconds": round(remaining, 1), "simulated": self.simulated}

    @property
    def pattern(self) -> str:
        """What the LED shows now (a name of gpio.PATTERNS)."""
        return self.led.pattern if self.led else "off"

    # -- waiting, for the control socket and the tests --
    def wait_for(self, predicate, timeout: float) -> bool:
        """Wait until ``predicate(self)`` is true (re-checked at each change); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout)

    @property
    def outcomes(self) -> list[PressOutcome]:
        with self._changed:
            return list(self._outcomes)

    def simulate_press(self, seconds: float | None = None, timeout: float = 30.0) -> dict:
        """Press the button for ``seconds`` (default: the hold time + 0.5 s) and report the outcome.

        With mock pins the pin itself is driven low then high, so gpiozero does the timing as for
        a finger; with real pins the same events are put on the queue.
        """
        if seconds is None:
            seconds = self.config.hold_seconds + 0.5
        if not 0 < seconds <= MAX_SIMULATED_SECONDS:
            return {"ok": False, "result": "invalid",
                    "message": f"Durée d'appui invalide : {french.decimal_g(seconds)} s (entre 0 et "
                               f"{french.decimal_g(MAX_SIMULATED_SECONDS)} s)."}
        with self._simulating:
            before = len(self.outcomes)
            if self.button.simulated:
                self.button.drive(True)
                self._stop.wait(seconds)
                self.button.drive(False)
            else:
                pressed = time.monotonic()
                self._events.put(("press", pressed))
                held = seconds >= self.config.hold_seconds
                self._stop.wait(min(seconds, self.config.hold_seconds))
                if held:
                    self._events.put(("hold", time.monotonic()))
                    self._stop.wait(seconds - self.config.hold_seconds)
                self._events.put(("release", time.monotonic()))
            if not self.wait_for(lambda c: len(c._outcomes) > before, timeout):
                return {"ok": False, "result": "timeout",
                        "message": "Le bouton n'a pas traité l'appui à temps."}
            return self.outcomes[before].as_answer()

    # -- the worker --
    def _run(self) -> None:
        self._check_preset()
        self._refresh_led()
        while not self._stop.is_set():
            try:
                kind, at = self._events.get(timeout=self.poll_seconds)
            except queue.Empty:
                kind = at = None
            try:
                if kind == "press":
                    self._on_press(at)
                elif kind == "hold":
                    self._on_hold(at)
                elif kind == "release":
                    self._on_release(at)
                self._tick()
            except Exception as e:
                log.exception("bouton d'alerte : erreur de traitement")
                self._set_state("error", f"Erreur interne : {e}", self.error_display_seconds)
        with contextlib.suppress(Exception):
            from vigie.daemon.core.models import database
            if database.obj is not None:
                database.close()

    def _on_press(self, at: float) -> None:
        self._press_at = at
        self._press_held = False
        self._held_outcome = None
        self._refresh_led()

    def _on_hold(self, at: float) -> None:
        if self._press_at is None or self._press_held:
            return
        self._press_held = True
        remaining = self._cooldown_remaining()
        if remaining > 0:
            message = (f"Appui long refusé : une alerte vient d'être envoyée, nouvel envoi possible "
                       f"dans {remaining:.0f} s.")
            self._audit("button.refused", message)
            log.warning("bouton : %s", message)
            self._held_outcome = PressOutcome(RESULT_REFUSED, message, self.alert_id)
            self._refresh_led()
            return
        self._held_outcome = self._trigger()

    def _on_release(self, at: float) -> None:
        if self._press_at is None:          # released before we saw it pressed (start-up)
            return
        duration = at - self._press_at
        self._press_at = None
        if self._press_held:
            outcome = self._held_outcome or PressOutcome(RESULT_ERROR, "Appui long sans résultat.")
        elif duration < (self.config.bounce_seconds or 0):
            outcome = PressOutcome(RESULT_BOUNCE, "Rebond du contact ignoré.")
        else:
            message = (f"Appui court ({french.seconds(duration)}) ignoré : aucune alerte envoyée "
                       f"(il faut tenir le bouton {french.decimal_g(self.config.hold_seconds)} s).")
            self._audit("button.short", "appui court ignoré", detail={"secondes": round(duration, 2)})
            log.info("bouton : appui court ignoré (%.2f s)", duration)
            outcome = PressOutcome(RESULT_SHORT, message)
        self._press_held = False
        self._held_outcome = None
        self._refresh_led()
        with self._changed:
            self._outcomes.append(outcome)
            self._changed.notify_all()

    def _trigger(self) -> PressOutcome:
        """Send the preset: the one place a press becomes a broadcast."""
        name = self.config.preset
        self._set_state("sending")
        if self.beeper is not None:
            self.beeper.beep()
        from vigie.daemon.core import alerts
        failures: list[str] = []
        try:
            alert = self._until_stored(
                lambda: alerts.send_preset(name, settings=self.settings, author=ACTOR, source="button"),
                failures)
        except VigieError as e:
            return self._fail(f"Alerte « {name} » non envoyée : {e}")
        except Exception as e:
            log.exception("bouton : envoi du modèle « %s » en échec", name)
            return self._fail(f"Alerte « {name} » non envoyée (erreur de la base de données : {e}).")
        if alert is None:                   # the daemon stopped while the database refused
            return self._fail(f"Alerte « {name} » non enregistrée : arrêt du démon pendant que la base "
                              f"refusait l'écriture ({failures[-1] if failures else '?'}).")
        self.last_trigger = self.clock()
        self.alert_id = alert.id
        count = alert.recipient_count
        detail = ({"essais": len(failures) + 1, "erreur": failures[0]} if failures else None)
        self._until_stored(lambda: self._audit("button.hold", f"alerte n°{alert.id} envoyée", detail=detail,
                                               count=count), [])
        log.warning("bouton : alerte « %s » n°%d déclenchée vers %d destinataire(s)", name, alert.id, count)
        if self.on_alert is not None:
            try:
                self.on_alert(alert)
            except Exception:
                log.exception("bouton : rappel on_alert en échec")
        self._set_state("exercise" if alert.exercise else "sending")
        return PressOutcome(RESULT_SENT, f"Alerte « {name} » envoyée à {french.plural(count, 'destinataire')} "
                                         f"(alerte n°{alert.id}).", alert.id)

    def _until_stored(self, write, failures: list[str]):
        """Run ``write`` until the database takes it; a locked, full or failing database is waited
        for (each failure appended to ``failures``), anything else raised. None if the daemon stops."""
        while True:
            try:
                return write()
            except Exception as e:
                if not is_storage_error(e):
                    raise
                failures.append(str(e))
                pause = STORE_RETRY_SECONDS[min(len(failures), len(STORE_RETRY_SECONDS)) - 1]
                log.error("bouton : la base refuse l'écriture (%s) : nouvel essai dans %.1f s (essai %d)",
                          e, pause, len(failures) + 1)
                with contextlib.suppress(Exception):
                    from vigie.daemon.core.models import database
                    database.rollback()
                if self._stop.wait(pause):
                    return None

    def _fail(self, message: str) -> PressOutcome:
        log.error("bouton : %s", message)
        try:
            self._audit("button.error", message)
        except Exception:
            log.exception("bouton : journal d'audit inaccessible")
        self._set_state("error", message, self.error_display_seconds)
        return PressOutcome(RESULT_ERROR, message)

    def _tick(self) -> None:
        """Follow the alert being sent and let the LED go back to its heartbeat."""
        now = self.clock()
        if self.state in ("sending", "exercise") and self.alert_id is not None:
            alert = Alert.get_or_none(Alert.id == self.alert_id)
            if alert is None or alert.state != "sending":
                on_air = (Message.select().where((Message.alert == self.alert_id)
                                                 & Message.state.in_(("sent", "delivered"))).count())
                if alert is not None and alert.recipient_count and not on_air and alert.state == "done":
                    self._set_state("error", f"Alerte n°{self.alert_id} : aucun SMS n'est parti.",
                                    self.error_display_seconds)
                else:
                    self._set_state("sent", "", self.sent_display_seconds)
        elif self.state in ("sent", "error") and self._state_until is not None and now >= self._state_until:
            self._set_state("idle")
        if self.state in ("idle", "error") and self._state_until is None and now >= self._next_check:
            self._check_preset()

    def _check_preset(self) -> None:
        """A button that cannot work says so at once (the LED blinks "error") instead of on the day."""
        self._next_check = self.clock() + self.recheck_seconds
        try:
            from vigie.daemon.core import presets
            found = presets.find(self.config.preset) is not None
        except Exception as e:
            self._set_state("error", f"Base de données inaccessible : {e}")
            return
        if not found:
            if self.state != "error":
                log.error("bouton : le modèle d'alerte « %s » n'existe pas", self.config.preset)
            self._set_state("error", f"Le modèle d'alerte « {self.config.preset} » n'existe pas.")
        elif self.state == "error" and self._state_until is None:
            self._set_state("idle")

    # -- one method changes state --
    def _set_state(self, state: str, error: str = "", hold_for: float | None = None) -> None:
        self._state_until = self.clock() + hold_for if hold_for is not None else None
        if state == "error":
            self.last_error = error
        if state != self.state:
            log.info("bouton : état %s → %s", self.state, state)
            self.state = state
        self._refresh_led()

    def _refresh_led(self) -> None:
        pressing = self._press_at is not None and not self._press_held
        if self.led is not None:
            self.led.show("held" if pressing else self.state)
        with self._changed:
            self._changed.notify_all()

    def _cooldown_remaining(self) -> float:
        if self.last_trigger is None:
            return 0.0
        return self.last_trigger + self.config.cooldown_seconds - self.clock()

    def _audit(self, action: str, message: str, detail=None, count=None) -> None:
        data = {"message": message}
        if detail:
            data.update(detail)
        audit.record(ACTOR, action, target=self.config.preset, detail=data, count=count)
