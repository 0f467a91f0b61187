"""A circuit breaker per transport: one that refuses every send is paused, and its refusals cost the
messages nothing.

A GSM module still registered may refuse every SMS with a temporary error (``+CMS ERROR: 38``, the
network out of order for it): without a breaker it claims message after message and burns their
attempts while another modem is healthy. Here:

    closed ──(TRIP_AFTER temporary refusals in a row, on at least two messages)──→ open
    open ──(the pause is over)──→ half-open: one message is tried (the probe)
    half-open ──(sent)──→ closed          half-open ──(refused)──→ open, pause doubled (up to MAX_PAUSE)

A refusal that trips the breaker, and the probe's, are the transport's fault, not the message's:
the worker gives those messages back without counting the attempt, and refunds the attempts of
the refusals that led to the trip (``outbox.refund``). While open the worker claims nothing (its
state is « en pause »), so the other transports take the queue. Two refusals of the same message
in a row do not trip it: one message the network refuses is that message's business.
"""

import time

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

TRIP_AFTER = 3              # temporary refusals in a row before the transport is paused
FIRST_PAUSE = 10.0          # seconds of the first pause; doubled by each failed probe
MAX_PAUSE = 600.0


class Breaker:
    def __init__(self, trip_after: int = TRIP_AFTER, pause: float | None = None, max_pause: float = MAX_PAUSE,
                 clock=time.monotonic):
        self.trip_after, self.max_pause = trip_after, max_pause
        self.first_pause = FIRST_PAUSE if pause is None else pause
        self.clock = clock
        self.state = CLOSED
        self.streak: list[int] = []         # messages refused in a row, oldest first
        self.pause = 0.0
        self.until = 0.0
        self.reason = ""
        self.trips = 0

    def allows(self) -> bool:
        """Whether the transport may take a message now (moving open → half-open when the pause is over)."""
        if self.state == OPEN and self.clock() >= self.until:
            self.state = HALF_OPEN
        return self.state != OPEN

    def remaining(self) -> float:
        return max(0.0, self.until - self.clock()) if self.state == OPEN else 0.0

    def succeeded(self) -> None:
        self.state, self.streak, self.pause, self.reason = CLOSED, [], 0.0, ""

    def refused(self, message_id: int, reason: str) -> list[int] | None:
        """A temporary refusal of ``message_id`` with nothing on air. None: the message's own business
        (its attempt counts). A list: the breaker is open now, this refusal and the listed earlier
        ones (a message may come more than once) were the transport's: their attempts are given back."""
        self.reason = reason
        if self.state == HALF_OPEN:
            self._open(min(self.max_pause, max(self.first_pause, self.pause * 2)))
            return []
        self.streak.append(message_id)
        if len(self.streak) >= self.trip_after and len(set(self.streak)) >= 2:
            earlier = self.streak[:-1]
            self._open(self.first_pause)
            return earlier
        return None

    def _open(self, pause: float) -> None:
        self.state, self.pause, self.until = OPEN, pause, self.clock() + pause
        self.streak = []
        self.trips += 1

    def describe(self) -> str:
        """The pause in French, for the status row (« en pause »)."""
        seconds = max(1, round(self.pause))
        return (f"tous les envois sont refusés ({self.reason}) : mis en pause {seconds} s, les autres moyens "
                f"d'envoi prennent le relais ; un essai suivra, sans compter de tentative aux messages")
