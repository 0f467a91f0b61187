"""The box's pins behind a few small classes (button, LED, buzzer, PWRKEY); the only module importing gpiozero.

On a Raspberry Pi the pins are the header's (gpiozero picks lgpio on Bookworm). Elsewhere, or when
``[button] simulate = true``, they are gpiozero's MockFactory pins: a complete driver, where
``pin.drive_low()`` plays the world and ``pin.states`` keeps what an output did, so the daemon and
its tests run the same code without hardware. Numbers are BCM GPIO numbers.
"""

import logging
import threading
import time
from dataclasses import dataclass

from gpiozero import LED, Button, Buzzer, DigitalOutputDevice
from gpiozero.pins.mock import MockFactory

log = logging.getLogger(__name__)

DEVICE_TREE_MODEL = "/proc/device-tree/model"

_factories: dict = {}
_factories_lock = threading.Lock()


def on_raspberry_pi(model_file: str = DEVICE_TREE_MODEL) -> bool:
    try:
        with open(model_file, "rb") as f:
            return b"Raspberry Pi" in f.read()
    except OSError:
        return False


def pin_factory(simulate: bool = False):
    """The pin factory for the box's devices: one shared MockFactory when simulating or off a Pi.

    On a Pi this returns None: every device then uses gpiozero's default factory (lgpio on
    Bookworm), itself one per process, so the button, the LED and the power keys share a driver.
    In simulation they share one set of mock pins.
    """
    if not simulate and on_raspberry_pi():
        return None
    with _factories_lock:
        if "mock" not in _factories:
            if not simulate:
                log.warning("pas de Raspberry Pi détecté : broches GPIO simulées")
            _factories["mock"] = MockFactory()
        return _factories["mock"]


def is_mock(factory) -> bool:
    return isinstance(factory, MockFactory)


class PanicButton:
    """A push button wired between a GPIO and GND (internal pull-up): pressed reads low.

    The three callbacks (no argument) are called on gpiozero's threads: they must only queue work.
    """

    def __init__(self, pin: int, *, hold_seconds: float, bounce_seconds: float | None, factory,
                 on_press=None, on_release=None, on_hold=None):
        self.device = Button(pin, pull_up=True, bounce_time=bounce_seconds or None,
                             hold_time=hold_seconds, hold_repeat=False, pin_factory=factory)
        self.device.when_pressed = _no_arg(on_press)
        self.device.when_released = _no_arg(on_release)
        self.device.when_held = _no_arg(on_hold)
        self.simulated = is_mock(factory)

    @property
    def pin(self):
        """The gpiozero pin object (a MockPin in simulation)."""
        return self.device.pin

    @property
    def is_pressed(self) -> bool:
        return self.device.is_pressed

    def drive(self, pressed: bool) -> None:
        """Simulation only: press (pin low) or release (pin high) the mock button."""
        if not self.simulated:
            raise RuntimeError("bouton réel : impossible de piloter la broche")
        if pressed:
            self.pin.drive_low()
        else:
            self.pin.drive_high()

    def close(self) -> None:
        self.device.close()


@dataclass(frozen=True)
class Pattern:
    """How the status LED shows a state: on/off seconds, or steady."""

    name: str
    on_seconds: float = 0.0
    off_seconds: float = 0.0
    steady: bool | None = None          # True: on, False: off, None: blink

    @property
    def label(self) -> str:
        return PATTERN_LABELS.get(self.name, self.name)


PATTERNS = {
    "idle": Pattern("idle", 0.1, 1.9),          # heartbeat: alive and armed
    "held": Pattern("held", 0.1, 0.1),          # pressed, threshold not yet reached
    "sending": Pattern("sending", steady=True),  # broadcast in progress
    "exercise": Pattern("exercise", 0.5, 0.5),  # exercise broadcast in progress: never taken for the real thing
    "sent": Pattern("sent", 1.0, 1.0),          # broadcast done
    "error": Pattern("error", 0.05, 0.05),      # preset missing, no recipients, database error
    "off": Pattern("off", steady=False),
}
PATTERN_LABELS = {
    "idle": "veille (clignotement bref toutes les 2 s)",
    "held": "appui en cours (clignotement rapide)",
    "sending": "envoi en cours (allumée fixe)",
    "exercise": "exercice en cours (clignotement régulier, une demi-seconde)",
    "sent": "alerte envoyée (clignotement lent)",
    "error": "erreur (clignotement très rapide)",
    "off": "éteinte",
}


class StatusLed:
    """The LED (GPIO → 330 Ω → LED → GND) that tells the person at the button what happened."""

    def __init__(self, pin: int, *, factory):
        self.device = LED(pin, active_high=True, initial_value=False, pin_factory=factory)
        self.pattern = "off"
        self._lock = threading.Lock()

    @property
    def pin(self):
        return self.device.pin

    def show(self, name: str) -> None:
        """Switch to a named pattern; nothing happens when it is already showing."""
        pattern = PATTERNS[name]
        with self._lock:
            if name == self.pattern:
                return
            if pattern.steady is True:
                self.device.on()
            elif pattern.steady is False:
                self.device.off()
            else:
                self.device.blink(on_time=pattern.on_seconds, off_time=pattern.off_seconds)
            self.pattern = name        # only once the pin shows it: readers of .pattern see the truth
        log.debug("voyant : %s", pattern.label)

    def close(self) -> None:
        self.device.close()


class Beeper:
    """An optional active buzzer: two short beeps when the alert is triggered."""

    def __init__(self, pin: int, *, factory):
        self.device = Buzzer(pin, active_high=True, initial_value=False, pin_factory=factory)

    def beep(self, times: int = 2) -> None:
        self.device.beep(on_time=0.15, off_time=0.1, n=times, background=True)

    def close(self) -> None:
        self.device.close()


@dataclass(frozen=True)
class PowerTiming:
    """PWRKEY timings of a module, from its hardware design guide.

    ``off_pulse``: how long PWRKEY is held low to switch the module off; ``off_wait``: how long it
    takes to shut down; ``on_pulse``: how long to hold it low to switch it on again.
    """

    off_pulse: float
    off_wait: float
    on_pulse: float


POWER_TIMINGS = {
    # SIM800/SIM868: PWRKEY low > 1 s switches on, 1 s .. 33 s switches off; off in about 2 s.
    "sim800": PowerTiming(off_pulse=1.5, off_wait=3.0, on_pulse=1.5),
    # SIM7600: PWRKEY low >= 0.5 s switches on, >= 2.5 s switches off; off may take up to ~25 s.
    # (Waveshare's own example holds the key 2 s to switch on, below the 2.5 s that switches off.)
    "sim7600": PowerTiming(off_pulse=3.0, off_wait=25.0, on_pulse=1.0),
    "generic": PowerTiming(off_pulse=3.0, off_wait=10.0, on_pulse=1.2),
}


class ModemPowerKey:
    """The GPIO driving a module's PWRKEY, for a hard restart when soft recovery failed.

    On the Waveshare HATs the Pi drives a transistor that pulls PWRKEY low, so a *high* pulse on
    the GPIO is a press of the key (``active_high=True``, the default). PWRKEY toggles: a module
    that was already off is switched on by the first pulse; ``pulse()`` alone does one press.
    """

    def __init__(self, pin: int, *, model: str = "generic", simulate: bool = False, factory=None,
                 active_high: bool = True, timing: PowerTiming | None = None):
        factory = factory if factory is not None else pin_factory(simulate)
        self.timing = timing or POWER_TIMINGS.get(model, POWER_TIMINGS["generic"])
        self.device = DigitalOutputDevice(pin, active_high=active_high, initial_value=False,
                                          pin_factory=factory)
        self.model = model
        self.cycles = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    @property
    def pin(self):
        return self.device.pin

    def pulse(self, seconds: float) -> None:
        """Press PWRKEY for ``seconds``."""
        self.device.on()
        try:
            self._stop.wait(seconds)
        finally:
            self.device.off()

    def power_cycle(self) -> None:
        """Switch the module off, wait for it to shut down, switch it on again (blocks ~5-30 s)."""
        with self._lock:
            self.cycles += 1
            log.warning("redémarrage électrique du modem (PWRKEY sur %s, %s)", self.pin, self.model)
            started = time.monotonic()
            self.pulse(self.timing.off_pulse)
            self._stop.wait(self.timing.off_wait)
            self.pulse(self.timing.on_pulse)
            log.info("PWRKEY : cycle terminé en %.1f s", time.monotonic() - started)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self.device.close()


def _no_arg(callback):
    if callback is None:
        return None
    return lambda: callback()
