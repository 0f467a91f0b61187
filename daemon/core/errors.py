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


# --- modem outcomes, translated once in the modem adapter --------------------

class ModemError(VigieError):
    """Anything that went wrong talking to a modem."""


class RetryLater(ModemError):
    """The network refused for now (temporary +CMS ERROR); the message may be retried."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class PermanentFailure(ModemError):
    """The network will never accept this message (permanent +CMS ERROR)."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class OutcomeUnknown(ModemError):
    """The PDU went out but no answer came back: the SMS may or may not be on air."""


class ModemGone(ModemError):
    """The modem does not answer or its port vanished: reconnect before anything else."""
