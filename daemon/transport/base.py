"""The transport seam: what the generic worker asks of a way of sending SMS.

A transport speaks one protocol (AT commands to a GSM module, HTTP to Kannel's smsbox, nothing for
the in-process fake); the worker owns the queue policy (claim, pipeline, retry, failover, quotas).
``submit`` returns as soon as the segment is on its way (the PDU written, the HTTP request sent):
the worker records the previous message while the transport is busy, then asks the handle for the
provider's reference. No callback climbs back up through a library.

Events a transport puts on its ``events`` queue are plain dataclasses; the worker turns them into
store writes, in order, after each ``service()``. Errors are the four meanings of
``vigie.daemon.core.errors``: retry later, failed for good, outcome unknown (the segment may have
gone out), transport gone (reconnect). Every method is called from the transport's one worker thread.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from vigie.daemon.core.status import CONNECTING, DEGRADED, DISCONNECTED, READY, STATE_LABELS  # noqa: F401


@dataclass
class Segment:
    """One SMS part, ready for its transport (``payload`` is the transport's own: a PDU, a URL...)."""
    phone: str
    text: str
    number: int
    count: int
    payload: object = None


@dataclass
class Health:
    up: bool
    detail: str = ""
    signal: int | None = None
    operator: str = ""


@dataclass
class DeliveryReport:
    """A provider's word on a segment: ``status`` is delivered, failed or pending."""
    reference: str
    phone: str
    status: str
    raw_status: int | None = None
    ids: dict | None = None             # the box's own ids, when the provider echoes them
    time_sent: float | None = None
    time_finalized: float | None = None
    detail: str = ""                    # French reason of a failure (« statut 0x43 : destinataire inconnu »)


@dataclass
class Incoming:
    phone: str
    text: str
    time: float | None = None
    concat: tuple | None = None         # (reference, count, number) of a concatenated SMS


@dataclass
class LateReference:
    """The provider's reference of a segment whose answer came after the send timeout (the segment
    the worker counted as « issue inconnue »): proof it is on air. ``ids`` as given to ``submit``;
    ``elapsed``: seconds from ``submit`` to the answer."""
    reference: str
    ids: dict
    elapsed: float


@dataclass
class LinkLost:
    """The link is gone (port lost, module rebooted): the worker reconnects before anything else."""
    reason: str
    rebooted: bool = False


class Pending(Protocol):
    def result(self, timeout: float | None = None) -> str:
        """The provider's reference of the segment, or one of the four errors (a TransportGone
        raised here counts as "maybe sent": the segment was on its way)."""


@dataclass
class Done:
    """A handle whose outcome is already known."""
    reference: str = ""
    error: Exception | None = None

    def result(self, timeout: float | None = None) -> str:
        if self.error is not None:
            raise self.error
        return self.reference


@runtime_checkable
class Transport(Protocol):
    name: str
    kind: str                           # "gsm" | "kannel" | "fake"
    priority: int
    events: queue.Queue

    def open(self) -> dict: ...
    def close(self) -> None: ...
    def is_alive(self) -> bool: ...
    def health(self) -> Health: ...
    def segments(self, phone: str, text: str, ref: int, validity_hours: float | None) -> list[Segment]: ...
    def submit(self, segment: Segment, ids: dict) -> Pending: ...

    def service(self, idle: bool = False) -> None:
        """Upkeep between two sends (reading what the provider stored...), events put on ``events``.
        ``idle``: the worker has nothing more to send (a burst just ended)."""

    def recover(self, failures: int) -> None:
        """The link failed ``failures`` times in a row: a hard reset if the transport has one."""

