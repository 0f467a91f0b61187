"""Retention: alert history older than the configured period is deleted (RGPD minimisation).

Only what is over and done goes: messages in a final state, the alerts left empty, status reports,
incoming SMS already handled. The audit trail stays (it records counts, not phones).
"""

import time

from vigie.daemon.core import audit
from vigie.daemon.core.models import Alert, InboundPart, InboundSms, Message, StatusReport, database
from vigie.daemon.core.outbox import FINAL, AlertState


def purge(days: int | None = None, *, settings, actor: str, now: float | None = None) -> dict:
    """Delete history older than ``days`` (default settings.database.retention_days); returns counts."""
    days = settings.database.retention_days if days is None else int(days)
    if days < 1:
        from vigie.daemon.core.errors import InvalidInput
        raise InvalidInput("La durée de conservation doit être d'au moins un jour.", "days")
    cutoff = (now or time.time()) - days * 86400
    final = [s.value for s in FINAL]
    with database.atomic("IMMEDIATE"):
        messages = (Message.delete()
                    .where(Message.state.in_(final) & (Message.created_at < cutoff)).execute())
        busy = Message.select(Message.alert).where(Message.alert.is_null(False))
        alerts = (Alert.delete()
                  .where((Alert.created_at < cutoff) & (Alert.state != AlertState.SENDING.value)
                         & Alert.id.not_in(busy))
                  .execute())
        reports = StatusReport.delete().where(StatusReport.received_at < cutoff).execute()
        inbound = (InboundSms.delete()
                   .where((InboundSms.received_at < cutoff) & (InboundSms.kind != "")).execute())
        fragments = InboundPart.delete().where(InboundPart.received_at < cutoff).execute()
        result = {"days": days, "messages": messages, "alerts": alerts, "status_reports": reports,
                  "incoming_sms": inbound, "fragments": fragments}
        audit.record(actor, "retention.purge", f"{days} jours", result, count=messages)
    return result
