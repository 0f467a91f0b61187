"""The project's exceptions: one root, a few meanings the callers can act on.

Messages are in French because they reach the operators unchanged.
"""


class VigieError(Exception):
    """Root of every exception this project raises on purpose."""


class InvalidInput(VigieError):
    """Bad input from a person or a file; ``field`` names what was refused."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
        self.message = message


class ConfigError(VigieError):
    """The configuration file is missing, unreadable or invalid."""


class NotFound(VigieError):
    """A named or numbered object does not exist."""


# --- sending outcomes, translated once by each transport ----------------------

class TransportError(VigieError):
    """Anything that went wrong talking to a transport (a GSM modem, an operator route)."""


class RetryLater(TransportError):
    """The network refused for now (a temporary error); the message may be retried."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class PermanentFailure(TransportError):
    """The network will never accept this message (a permanent error)."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class OutcomeUnknown(TransportError):
    """The segment went out but no answer came back: the SMS may or may not be on air.
    ``answer_may_come``: the transport still listens for a late answer (a LateReference event)."""

    answer_may_come = False


class TransportGone(TransportError):
    """The transport does not answer or its link vanished: reconnect before anything else.
    ``maybe_sent`` (default False) says the segment under way may have gone out."""

    maybe_sent = False


class TransportBlocked(TransportGone):
    """The transport must not be opened again by itself: doing so would harm it (a SIM that refused
    the configured PIN locks itself after three tries). ``key`` names what was refused; the worker
    keeps the block across restarts until the configuration's key changes."""

    def __init__(self, message: str, key: str):
        super().__init__(message)
        self.key = key


# The GSM adapter's names for the same meanings.
ModemError, ModemGone = TransportError, TransportGone
