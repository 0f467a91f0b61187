"""The SIM card: its PIN, the wrong tries it counts (3, then the PUK is required), and its PUK (10 tries)."""

import time

PIN_TRIES = 3
PUK_TRIES = 10
DEFAULT_PUK = "12345678"


class SimCard:
    """``state`` is what ``AT+CPIN?`` answers: "READY", "SIM PIN" or "SIM PUK" ("SIM PUK" with no PUK try left:
    the card is blocked for good, ``+CME ERROR: 16`` to every try)."""

    def __init__(self, pin=None, puk=DEFAULT_PUK, pin_tries=PIN_TRIES, busy_delay=0.0):
        self.pin = pin
        self.puk = puk or DEFAULT_PUK
        self.pin_tries = int(pin_tries)
        self.puk_tries = PUK_TRIES
        self.busy_delay = float(busy_delay)  # after the PIN, SIM busy (+CME ERROR: 14) this long, like a SIM800
        self.busy_until = 0.0
        self.unlocked = False
        self.power_up()

    def power_up(self):
        """A power cycle: a card with a PIN asks for it again."""
        self.unlocked = not self.pin

    @property
    def state(self):
        if self.pin_tries <= 0:
            return "SIM PUK"
        return "READY" if self.unlocked else "SIM PIN"

    @property
    def locked(self):
        return self.state != "READY"

    def busy(self):
        return time.monotonic() < self.busy_until

    def enter(self, code, new_pin=None):
        """``AT+CPIN=<code>[,<new pin>]``: returns (outcome, CME error code or None); outcome is "unlocked",
        "wrong" or "refused"."""
        state = self.state
        if state == "READY":
            return "refused", 3
        if state == "SIM PUK":
            if new_pin is None:
                return "refused", 12 if self.puk_tries > 0 else 16   # "SIM PUK required"
            if self.puk_tries <= 0 or code != self.puk:
                self.puk_tries = max(0, self.puk_tries - 1)
                return "wrong", 16
            self.pin, self.pin_tries, self.puk_tries = new_pin, PIN_TRIES, PUK_TRIES
        elif code != self.pin:
            self.pin_tries -= 1
            return "wrong", 16
        else:
            self.pin_tries = PIN_TRIES
        self.unlocked = True
        self.busy_until = time.monotonic() + self.busy_delay
        return "unlocked", None

    def configure(self, pin=..., puk=None, tries=None):
        """Change the card (``...`` keeps the PIN): a new PIN is asked at the next power-up; ``tries`` sets the
        PIN tries left (0: the PUK is required now)."""
        if pin is not ...:
            self.pin = pin
            if not pin:
                self.unlocked, self.pin_tries = True, PIN_TRIES
        if puk is not None:
            self.puk = puk
        if tries is not None:
            self.pin_tries = max(0, int(tries))
            if self.pin_tries == 0:
                self.unlocked = False
