"""Alerts: a text and a targeting turned, in one transaction, into one outbox message per phone."""

import time

import peewee as pw

from vigie.daemon.core import audit, outbox, presets
from vigie.daemon.core import targeting as targeting_mod
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import Alert, IdempotencyKey, Member, Message, database
from vigie.daemon.core.outbox import State
from vigie.daemon.core.reference import smstext
from vigie.daemon.core.targeting import Targeting


class IdempotencyConflict(InvalidInput):
    """An idempotency key already used for a different request."""


def by_idempotency_key(key: str, request_hash: str = "") -> Alert | None:
    """The alert a key was already turned into, or None; a different request with it is refused."""
    row = IdempotencyKey.get_or_none(IdempotencyKey.key == key)
    if row is None:
        return None
    if request_hash and row.request_hash and row.request_hash != request_hash:
        raise IdempotencyConflict("Cette clé d'idempotence a déjà servi pour une autre alerte (n° "
                                  f"{row.alert_id}) : une nouvelle alerte demande une nouvelle clé.",
                                  "Idempotency-Key")
    alert = Alert.get_by_id(row.alert_id)
    alert.replayed = True
    return alert


def create(text: str, targeting: Targeting, *, settings, author: str, source: str, priority: int = 0,
           expires_at: float | None = None, preset: str = "", dry_run: bool = False,
           idempotency_key: str | None = None, request_hash: str = "") -> Alert:
    """Validate, resolve and queue an alert; with ``dry_run`` nothing is written.

    With ``idempotency_key``, an alert is created once per key: the same key again returns the
    alert it created (``alert.replayed`` is then True), whatever the targeting reaches now."""
    if idempotency_key and not dry_run:
        existing = by_idempotency_key(idempotency_key, request_hash)
        if existing is not None:
            return existing
    info = smstext.check(text, settings.alerts.max_parts)
    targeting.validate()
    now = time.time()
    if expires_at is None:
        expires_at = now + settings.alerts.default_expiry_hours * 3600
    elif expires_at <= now:
        raise InvalidInput("L'échéance de l'alerte est déjà passée.", "expires_at")
    alert = Alert(text=text, encoding=info.encoding, parts=info.parts, targeting=targeting.to_json(),
                  author=author or "", source=source, priority=priority, preset=preset or "",
                  state="sending", expires_at=expires_at, created_at=now)
    if dry_run:
        alert.recipient_count = len(targeting_mod.resolve(targeting))
        return alert
    with database.atomic("IMMEDIATE"):
        if idempotency_key:
            # Checked again under the write lock: two submissions racing create one alert.
            existing = by_idempotency_key(idempotency_key, request_hash)
            if existing is not None:
                return existing
        recipients = targeting_mod.resolve(targeting)
        if not recipients:
            raise InvalidInput("Ce ciblage n'atteint aucun adhérent actif joignable : rien n'a été envoyé.",
                               "targeting")
        alert.recipient_count = len(recipients)
        alert.save(force_insert=True)
        outbox.enqueue_many([
            dict(alert=alert.id, member=r.member_id, phone=r.phone, text=text, priority=priority,
                 parts=info.parts, max_attempts=settings.daemon.max_attempts, expires_at=expires_at)
            for r in recipients
        ])
        audit.record(author, "alert.send", f"alerte {alert.id}",
                     {"text": text, "targeting": targeting.describe(), "source": source,
                      "preset": preset or "", "priority": priority}, count=len(recipients))
        if idempotency_key:
            IdempotencyKey.create(key=idempotency_key, alert=alert.id, request_hash=request_hash or "",
                                  created_at=now)
    alert.replayed = False
    return alert


def send_preset(name: str, *, settings, author: str, source: str = "button") -> Alert:
    """Send a ready alert (the panic button's), at panic priority."""
    preset = presets.get(name)
    return create(preset.text, presets.targeting_of(preset), settings=settings, author=author,
                  source=source, priority=max(outbox.PRIORITY_PANIC, preset.priority), preset=preset.name)


def get(alert_id: int) -> Alert:
    alert = Alert.get_or_none(Alert.id == alert_id)
    if alert is None:
        raise NotFound(f"Alerte n° {alert_id} introuvable.")
    return alert


def cancel(alert_id: int, actor: str) -> int:
    """Cancel what has not gone out yet; returns how many messages were cancelled."""
    get(alert_id)
    n = outbox.cancel_alert(alert_id)
    audit.record(actor, "alert.cancel", f"alerte {alert_id}", count=n)
    return n


def resend_failed(alert_id: int, actor: str) -> int:
    """Queue the failed messages of an alert again; returns how many."""
    get(alert_id)
    n = outbox.requeue_failed(alert_id)
    audit.record(actor, "alert.resend_failed", f"alerte {alert_id}", count=n)
    return n


def _describe(alert: Alert) -> str:
    try:
        return Targeting.from_json(alert.targeting).describe()
    except Exception:
        return ""


def summary(alert_id: int) -> dict:
    alert = get(alert_id)
    return {
        "id": alert.id, "text": alert.text, "state": alert.state, "created_at": alert.created_at,
        "completed_at": alert.completed_at, "source": alert.source, "author": alert.author,
        "recipient_count": alert.recipient_count, "parts": alert.parts, "encoding": alert.encoding,
        "priority": alert.priority, "preset": alert.preset, "expires_at": alert.expires_at,
        "counts": outbox.counts(alert.id), "targeting": _describe(alert),
    }


def list_alerts(offset: int = 0, limit: int | None = 50) -> list[dict]:
    """The most recent alerts first, each with its message counts."""
    query = Alert.select().order_by(Alert.created_at.desc(), Alert.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    alerts = list(query)
    counts = {a.id: {s.value: 0 for s in State} for a in alerts}
    if alerts:
        for alert_id, state, n in (Message.select(Message.alert, Message.state, pw.fn.COUNT(Message.id))
                                   .where(Message.alert.in_(list(counts)))
                                   .group_by(Message.alert, Message.state).tuples()):
            counts[alert_id][state] = n
    return [{"id": a.id, "text": a.text, "state": a.state, "created_at": a.created_at,
             "completed_at": a.completed_at, "source": a.source, "author": a.author,
             "recipient_count": a.recipient_count, "parts": a.parts, "encoding": a.encoding,
             "priority": a.priority, "preset": a.preset, "counts": counts[a.id],
             "targeting": _describe(a)} for a in alerts]


def recipients(alert_id: int, state: str | None = None, offset: int = 0, limit: int | None = None) -> list[dict]:
    """Per-recipient outcome of an alert, in queueing order."""
    get(alert_id)
    # Only the columns shown, as plain tuples: a page of 200 is built in a fraction of the time.
    query = (Message.select(Message.id, Message.phone, Member.name, Member.siret, Message.state,
                            Message.attempts, Message.error, Message.possible_duplicate, Message.sent_at,
                            Message.delivered_at)
             .join(Member, pw.JOIN.LEFT_OUTER)
             .where(Message.alert == alert_id).order_by(Message.id).offset(offset))
    if state:
        if state not in {s.value for s in State}:
            raise InvalidInput(f"État inconnu : « {state} ».", "state")
        query = query.where(Message.state == state)
    if limit is not None:
        query = query.limit(limit)
    result = []
    for (message_id, phone, name, siret, state, attempts, error, duplicate, sent_at,
         delivered_at) in query.tuples():
        result.append({
            "id": message_id, "phone": phone, "member": name or "", "siret": siret or "", "state": state,
            "state_label": State(state).label, "attempts": attempts, "error": error or "",
            "possible_duplicate": bool(duplicate), "sent_at": sent_at, "delivered_at": delivered_at,
        })
    return result
