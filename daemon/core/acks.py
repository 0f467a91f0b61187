"""Acknowledgements: an alert may ask its recipients to answer « OK »; replies are matched to the
latest such alert sent to that phone and still valid, and counted per alert."""

import statistics
import time

import peewee as pw

from vigie.daemon.core.models import Alert, Message

# Added by the box to the text of an alert that asks for an acknowledgement (counted in its parts).
ACK_REQUEST = " Répondez OK pour confirmer la lecture."

# A reply made only of these words (accents, case and punctuation ignored) acknowledges.
ACK_WORDS = {"ok", "okay", "oki", "okk", "recu", "bienrecu", "lu", "vu", "daccord", "entendu", "compris",
             "merci", "okmerci", "recumerci", "bienrecumerci", "cbon", "oui"}


def is_ack(words: list[str]) -> bool:
    """``words`` as inbox.words() gives them: « OK », « Bien reçu, merci ! », « ok. » acknowledge."""
    return bool(words) and "".join(words) in ACK_WORDS


def with_request(text: str, ack: bool) -> str:
    return text + ACK_REQUEST if ack and not text.endswith(ACK_REQUEST) else text


def acknowledge(phone: str, at: float | None = None) -> Message | None:
    """Mark the latest message of a still-valid alert asking ``phone`` for an OK; None if there is none."""
    at = at or time.time()
    candidates = (Message.select(Message.id, Message.alert).join(Alert)
                  .where((Message.phone == phone) & (Alert.ack == True)  # noqa: E712
                         & Message.sent_at.is_null(False) & (Message.sent_at <= at)
                         & ((Alert.expires_at.is_null(True)) | (Alert.expires_at > at)))
                  .order_by(Message.sent_at.desc(), Message.id.desc()).limit(1))
    found = candidates.first()
    if found is None:
        return None
    (Message.update(acknowledged_at=at, changed_at=time.time())
     .where((Message.id == found.id) & Message.acknowledged_at.is_null(True)).execute())
    return Message.get_by_id(found.id)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def stats(alert_id: int) -> dict:
    """acknowledged / not yet, and seconds from sending to the OK (median, 95th percentile)."""
    counted = (Message.alert == alert_id) & (Message.state != "cancelled")
    # counted in SQLite, only the acknowledged rows read: the alert page asks at every refresh
    total, acknowledged = (Message.select(pw.fn.COUNT(Message.id), pw.fn.COUNT(Message.acknowledged_at))
                           .where(counted).tuples().get())
    rows = (Message.select(Message.sent_at, Message.acknowledged_at)
            .where(counted & Message.acknowledged_at.is_null(False)).tuples()) if acknowledged else []
    delays = sorted(ack - sent for sent, ack in rows if sent is not None)
    return {"acknowledged": acknowledged, "not_acknowledged": total - acknowledged,
            "ack_median_seconds": statistics.median(delays) if delays else None,
            "ack_p95_seconds": _percentile(delays, 95)}
