"""Delivery reports matched to the parts they speak of, whatever the transport.

A part is found by (transport, provider reference, destination) among those sent within the
window, the most recent first: a GSM TP-MR wraps at 256, so an older part with the same reference
is a different SMS. A provider that echoes the box's own ids (Kannel's dlr-url) is matched on them.
"""

import logging
import re
import time

from vigie.daemon.core import outbox
from vigie.daemon.core.models import Attempt, Message, Part, StatusReport, database
from vigie.daemon.transport.base import DeliveryReport

log = logging.getLogger(__name__)


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")[-9:]


def find_part(transport: str, report: DeliveryReport, received_at: float, window_hours: float) -> Part | None:
    ids = report.ids or {}
    if ids.get("message") and ids.get("part"):
        query = Part.select().where((Part.message == ids["message"]) & (Part.number == ids["part"]))
        if ids.get("attempt"):
            query = query.where(Part.attempt == ids["attempt"])
        return query.order_by(Part.sent_at.desc()).first()
    candidates = (Part.select()
                  .where((Part.modem == transport) & (Part.reference == report.reference)
                         & (Part.sent_at >= received_at - window_hours * 3600)
                         & (Part.sent_at <= received_at + 60))
                  .order_by(Part.sent_at.desc()))
    return next((p for p in candidates if not report.phone or _digits(p.phone) == _digits(report.phone)), None)


def _unknown_outcome_part(transport: str, report: DeliveryReport, received_at: float,
                          window_hours: float) -> Part | None:
    """A report nobody's part claims, for a single-part message whose last attempt on this transport
    ended « issue inconnue »: that SMS went out after all (its reference never came back). The part is
    recorded from the report (outbox.sent_late) so the message is sent, not sent again."""
    if not report.phone or not report.reference:
        return None
    since = received_at - window_hours * 3600
    candidates = (Message.select(Message.id, Message.phone, Message.attempts)
                  .join(Attempt, on=((Attempt.message == Message.id) & (Attempt.number == Message.attempts)))
                  .where((Message.parts == 1) & (Message.modem == transport)
                         & Message.state.in_([outbox.State.RETRY_WAIT.value, outbox.State.FAILED.value])
                         & (Attempt.outcome == "unknown") & (Attempt.modem == transport)
                         & (Attempt.started_at >= since))
                  .order_by(Attempt.started_at.desc()))
    for message in candidates:
        if _digits(message.phone) == _digits(report.phone):
            log.info("accusé de réception pour le message %d resté sans réponse du modem : il est parti",
                     message.id)
            outbox.sent_late(message.id, message.attempts, 1, transport, report.reference)
            return (Part.select().where((Part.message == message.id) & (Part.attempt == message.attempts))
                    .first())
    return None


def match(transport: str, report: DeliveryReport, *, received_at: float | None = None,
          window_hours: float = 72.0) -> StatusReport:
    """Store a delivery report and apply it to the part it belongs to, if any."""
    received_at = received_at or time.time()
    with database.atomic():
        part = find_part(transport, report, received_at, window_hours)
        if part is None and report.status in ("delivered", "pending", "failed"):
            part = _unknown_outcome_part(transport, report, received_at, window_hours)
        row = StatusReport.create(modem=transport, reference=report.reference, phone=report.phone or "",
                                  status=report.raw_status if report.raw_status is not None else 0,
                                  received_at=received_at, time_sent=report.time_sent,
                                  time_finalized=report.time_finalized, part=part)
        if part is None:
            log.warning("accusé de réception sans message correspondant : %s, référence %s, %s",
                        transport, report.reference, report.phone)
            return row
        Part.update(status=report.status, report_status=report.raw_status, report_at=received_at).where(
            Part.id == part.id).execute()
        if report.status == "delivered":
            outbox.maybe_delivered(part.message_id)
        elif report.status == "failed":
            outbox.transition(part.message_id, outbox.State.FAILED, outbox.State.SENT,
                              error=f"Non remis par le réseau ({report.detail or 'échec définitif'}).")
    return row
