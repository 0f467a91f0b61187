"""Alerts: a text and a targeting turned, in one transaction, into one outbox message per phone."""

import time

import peewee as pw

from vigie.daemon.core import acks, audit, fields, outbox, presets, schedule
from vigie.daemon.core import targeting as targeting_mod
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import Alert, IdempotencyKey, Member, Message, database
from vigie.daemon.core.outbox import AlertState, State
from vigie.daemon.core.reference import smstext
from vigie.daemon.core.targeting import Targeting

# An alert is abandoned at most this long after it is sent: past that, its news is stale.
MAX_EXPIRY_HOURS = 72


def expiry_after(hours, now: float | None = None) -> float:
    """The expiry of an alert valid for ``hours`` hours (a number, above 0 and at most 72)."""
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= MAX_EXPIRY_HOURS:
        raise InvalidInput(f"La durée de validité doit être comprise entre 0 et {MAX_EXPIRY_HOURS} heures.",
                           "expires_hours")
    return (time.time() if now is None else now) + hours * 3600


EXERCISE_PREFIX = "EXERCICE – "


def compose_text(text: str, *, exercise: bool = False, ack: bool = False) -> str:
    """The text as it goes on air: the exercise prefix and the acknowledgement request added once."""
    body = text if not exercise or text.startswith(EXERCISE_PREFIX) else EXERCISE_PREFIX + text
    return acks.with_request(body, ack)


def texts_for(alert: Alert, recipients) -> list[str]:
    """One text per recipient, its fields filled (the same text for all when it has none)."""
    if not fields.has_fields(alert.text):
        return [alert.text] * len(recipients)
    context = fields.Context(at=alert.start_at or alert.created_at or time.time(),
                             area=Targeting.from_json(alert.targeting).describe_area())
    return [fields.fill(alert.text, commune=r.commune, sign=r.sign, name=r.member_name, context=context)
            for r in recipients]


def sample_text(text: str, targeting: Targeting, recipients, at: float) -> str:
    """The text one recipient would read (the first one, or the fallbacks when nobody matches)."""
    context = fields.Context(at=at, area=targeting.describe_area())
    r = recipients[0] if recipients else None
    return fields.fill(text, commune=r.commune if r else "", sign=r.sign if r else "",
                       name=r.member_name if r else "", context=context)


def _measure(text: str, targeting: Targeting, recipients, settings, at: float):
    """Check and count the costliest text the alert will send (fields filled per recipient)."""
    if not fields.has_fields(text):
        return smstext.check(text, settings.alerts.max_parts)
    context = fields.Context(at=at, area=targeting.describe_area())
    filled = {fields.fill(text, commune=r.commune, sign=r.sign, name=r.member_name, context=context)
              for r in recipients} or {sample_text(text, targeting, [], at)}
    return smstext.check(fields.longest(filled), settings.alerts.max_parts)


def _enqueue(alert: Alert, recipients, settings) -> None:
    texts = texts_for(alert, recipients)
    outbox.enqueue_many([
        dict(alert=alert.id, member=r.member_id, phone=r.phone, text=text, priority=alert.priority,
             parts=smstext.analyze(text).parts, max_attempts=settings.daemon.max_attempts,
             expires_at=alert.expires_at)
        for r, text in zip(recipients, texts)
    ])


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
           at: float | None = None, urgent: bool = True, ack: bool = False, exercise: bool = False,
           valid_hours: float | None = None, idempotency_key: str | None = None,
           request_hash: str = "") -> Alert:
    """Validate, resolve and queue an alert; with ``dry_run`` nothing is written.

    ``at`` schedules the start (Europe/Paris for people, epoch here); a non-urgent alert also waits
    out the quiet hours. A scheduled alert is stored without messages: its recipients are resolved
    when it starts (``start_due``), so a STOP or a new member in between counts.

    With ``idempotency_key``, an alert is created once per key: the same key again returns the
    alert it created (``alert.replayed`` is then True), whatever the targeting reaches now."""
    if idempotency_key and not dry_run:
        existing = by_idempotency_key(idempotency_key, request_hash)
        if existing is not None:
            existing.sample_text = existing.text
            return existing
    if not text or not text.strip():
        raise InvalidInput("Le texte est vide.", "text")
    full = compose_text(text, exercise=exercise, ack=ack)
    fields.names(full)
    targeting.validate()
    now = time.time()
    if at is not None and at < now - 60:
        raise InvalidInput("L'heure de départ demandée est déjà passée.", "at")
    start = schedule.start_time(settings, at=at, urgent=urgent or priority >= outbox.PRIORITY_PANIC, now=now)
    scheduled = start > now + 1.0
    if valid_hours is not None:
        expires_at = expiry_after(valid_hours, now=start)      # valid for that long from its start
    if expires_at is None:
        expires_at = start + settings.alerts.default_expiry_hours * 3600
    elif expires_at <= start:
        raise InvalidInput("L'échéance de l'alerte tombe avant son départ." if scheduled
                           else "L'échéance de l'alerte est déjà passée.", "expires_at")
    elif expires_at > start + MAX_EXPIRY_HOURS * 3600:
        raise InvalidInput(f"L'échéance de l'alerte ne peut pas dépasser {MAX_EXPIRY_HOURS} heures.",
                           "expires_at")
    alert = Alert(text=full, encoding="gsm7", parts=1, targeting=targeting.to_json(),
                  author=author or "", source=source, priority=priority, preset=preset or "",
                  state=(AlertState.SCHEDULED if scheduled else AlertState.SENDING).value, expires_at=expires_at, created_at=now,
                  start_at=start if scheduled else None, urgent=bool(urgent), ack=bool(ack),
                  exercise=bool(exercise))
    if dry_run:
        recipients = targeting_mod.resolve(targeting)
        info = _measure(full, targeting, recipients, settings, start)
        alert.encoding, alert.parts, alert.recipient_count = info.encoding, info.parts, len(recipients)
        alert.sample_text = sample_text(full, targeting, recipients, start)
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
        info = _measure(full, targeting, recipients, settings, start)
        alert.encoding, alert.parts, alert.recipient_count = info.encoding, info.parts, len(recipients)
        alert.save(force_insert=True)
        if not scheduled:
            _enqueue(alert, recipients, settings)
        audit.record(author, "alert.schedule" if scheduled else "alert.send", f"alerte {alert.id}",
                     {"text": full, "targeting": targeting.describe(), "source": source,
                      "preset": preset or "", "priority": priority, "exercise": bool(exercise),
                      "ack": bool(ack), "urgent": bool(urgent),
                      **({"start_at": start} if scheduled else {})}, count=len(recipients))
        if idempotency_key:
            IdempotencyKey.create(key=idempotency_key, alert=alert.id, request_hash=request_hash or "",
                                  created_at=now)
    alert.replayed = False
    alert.sample_text = sample_text(full, targeting, recipients, start)
    return alert


def start_due(settings, now: float | None = None) -> int:
    """Start every scheduled alert whose time has come (the box may have been off then); each once:
    the state moves from « scheduled » by compare-and-set in the transaction that queues it."""
    now = now if now is not None else time.time()
    started = 0
    due = list(Alert.select(Alert.id).where((Alert.state == AlertState.SCHEDULED.value)
                                            & (Alert.start_at <= now)).tuples())
    for (alert_id,) in due:
        with database.atomic("IMMEDIATE"):
            alert = Alert.get_by_id(alert_id)
            if alert.expires_at is not None and alert.expires_at <= now:
                if outbox.ALERTS.move(AlertState.EXPIRED, AlertState.SCHEDULED, Alert.id == alert_id,
                                      completed_at=now):
                    audit.record("démon", "alert.expired", f"alerte {alert_id}",
                                 {"reason": "échéance passée avant le départ"}, count=0)
                continue
            if not outbox.ALERTS.move(AlertState.SENDING, AlertState.SCHEDULED, Alert.id == alert_id):
                continue
            recipients = targeting_mod.resolve(Targeting.from_json(alert.targeting))
            Alert.update(recipient_count=len(recipients)).where(Alert.id == alert_id).execute()
            if recipients:
                _enqueue(alert, recipients, settings)
            audit.record("démon", "alert.start", f"alerte {alert_id}",
                         {"scheduled_for": alert.start_at, "late_seconds": round(now - alert.start_at, 1)},
                         count=len(recipients))
            started += 1
    return started


def reschedule(alert_id: int, actor: str, *, settings, text: str | None = None, at: float | None = None,
               urgent: bool | None = None) -> Alert:
    """Edit a scheduled alert before it starts: its text, its start time, its urgency."""
    with database.atomic("IMMEDIATE"):
        alert = get(alert_id)
        if alert.state != AlertState.SCHEDULED.value:
            raise InvalidInput(f"L'alerte n° {alert_id} a déjà commencé : elle ne peut plus être modifiée.",
                               "state")
        now = time.time()
        if text is not None:
            plain = text
            if plain.startswith(EXERCISE_PREFIX):
                plain = plain[len(EXERCISE_PREFIX):]
            alert.text = compose_text(plain, exercise=alert.exercise, ack=alert.ack)
            fields.names(alert.text)
            smstext.check(sample_text(alert.text, Targeting.from_json(alert.targeting), [], now),
                          settings.alerts.max_parts)
        if urgent is not None:
            alert.urgent = bool(urgent)
        if at is not None or urgent is not None:
            if at is not None and at < now - 60:
                raise InvalidInput("L'heure de départ demandée est déjà passée.", "at")
            requested = at if at is not None else alert.start_at
            duration = (alert.expires_at or 0) - (alert.start_at or now)
            alert.start_at = schedule.start_time(settings, at=requested, urgent=alert.urgent, now=now)
            if alert.expires_at is not None:
                alert.expires_at = alert.start_at + max(duration, 3600)
        info = smstext.analyze(alert.text)
        alert.encoding, alert.parts = info.encoding, info.parts
        alert.save()
        audit.record(actor, "alert.reschedule", f"alerte {alert_id}",
                     {"text": alert.text, "start_at": alert.start_at, "urgent": alert.urgent})
    return alert


def send_preset(name: str, *, settings, author: str, source: str = "button") -> Alert:
    """Send a ready alert (the panic button's), at panic priority: urgent, at once, never delayed."""
    preset = presets.get(name)
    return create(preset.text, presets.targeting_of(preset), settings=settings, author=author,
                  source=source, priority=max(outbox.PRIORITY_PANIC, preset.priority), preset=preset.name,
                  urgent=True, ack=bool(preset.ack), exercise=bool(preset.exercise))


def get(alert_id: int) -> Alert:
    alert = Alert.get_or_none(Alert.id == alert_id)
    if alert is None:
        raise NotFound(f"Alerte n° {alert_id} introuvable.")
    return alert


def cancel(alert_id: int, actor: str) -> int:
    """Cancel what has not gone out yet (a scheduled alert entirely); returns how many messages were cancelled."""
    get(alert_id)
    outbox.ALERTS.move(AlertState.CANCELLED, AlertState.SCHEDULED, Alert.id == alert_id)
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
        "id": alert.id, "text": alert.text, "state": alert.state,
        "state_label": AlertState(alert.state).label, "created_at": alert.created_at,
        "completed_at": alert.completed_at, "source": alert.source, "author": alert.author,
        "recipient_count": alert.recipient_count, "parts": alert.parts, "encoding": alert.encoding,
        "priority": alert.priority, "preset": alert.preset, "expires_at": alert.expires_at,
        "counts": outbox.counts(alert.id), "targeting": _describe(alert),
        "start_at": alert.start_at, "urgent": bool(alert.urgent), "ack": bool(alert.ack),
        "exercise": bool(alert.exercise), **acks.stats(alert.id),
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
    return [{"id": a.id, "text": a.text, "state": a.state, "state_label": AlertState(a.state).label,
             "created_at": a.created_at, "completed_at": a.completed_at, "source": a.source,
             "author": a.author, "recipient_count": a.recipient_count, "parts": a.parts,
             "encoding": a.encoding, "priority": a.priority, "preset": a.preset, "counts": counts[a.id],
             "targeting": _describe(a), "start_at": a.start_at, "urgent": bool(a.urgent), "ack": bool(a.ack),
             "exercise": bool(a.exercise)} for a in alerts]


def page_bounds(alert_id: int, offset: int, limit: int) -> tuple[int, int] | None:
    """The first and last message ids of a page of an alert's recipients (all states), or None."""
    ids = Message.select(Message.id).where(Message.alert == alert_id).order_by(Message.id)
    first = ids.offset(offset).limit(1).scalar()
    if first is None:
        return None
    last = ids.offset(offset + limit - 1).limit(1).scalar()
    if last is None:
        last = Message.select(pw.fn.MAX(Message.id)).where(Message.alert == alert_id).scalar()
    return first, last


def recipients(alert_id: int, state: str | None = None, offset: int = 0, limit: int | None = None, *,
               since: float | None = None, between: tuple[int, int] | None = None) -> list[dict]:
    """Per-recipient outcome of an alert, in queueing order; ``since``: only the rows whose state changed
    after that time (``message.changed_at``), ``between``: only ids in that inclusive range."""
    get(alert_id)
    # Only the columns shown, as plain tuples: a page of 200 is built in a fraction of the time.
    query = (Message.select(Message.id, Message.phone, Member.name, Member.siret, Message.state,
                            Message.attempts, Message.error, Message.possible_duplicate, Message.sent_at,
                            Message.delivered_at, Message.acknowledged_at)
             .join(Member, pw.JOIN.LEFT_OUTER)
             .where(Message.alert == alert_id).order_by(Message.id).offset(offset))
    if state:
        if state not in {s.value for s in State}:
            raise InvalidInput(f"État inconnu : « {state} ».", "state")
        query = query.where(Message.state == state)
    if since is not None:
        query = query.where(Message.changed_at > since)
    if between is not None:
        query = query.where(Message.id.between(*between))
    if limit is not None:
        query = query.limit(limit)
    result = []
    for (message_id, phone, name, siret, state, attempts, error, duplicate, sent_at,
         delivered_at, acknowledged_at) in query.tuples():
        result.append({
            "id": message_id, "phone": phone, "member": name or "", "siret": siret or "", "state": state,
            "state_label": State(state).label, "attempts": attempts, "error": error or "",
            "possible_duplicate": bool(duplicate), "sent_at": sent_at, "delivered_at": delivered_at,
            "acknowledged_at": acknowledged_at,
        })
    return result


_BY_COMMUNE: dict[int, tuple] = {}       # alert id -> (its counts per state, the counts per commune)
_BY_COMMUNE_KEPT = 32


def counts_by_commune(alert_id: int) -> dict[str, dict[str, int]]:
    """An alert's message counts per state, per member commune (INSEE code), for the map.

    Kept while the alert's counts per state stay the same (a finished alert's for good): the alert
    page and its refresh ask for them every few seconds, and a join over 10,000 messages costs more
    than the rest of the page."""
    get(alert_id)
    key = tuple(sorted(outbox.counts(alert_id).items()))
    kept = _BY_COMMUNE.get(alert_id)
    if kept is not None and kept[0] == key:
        return {code: dict(states) for code, states in kept[1].items()}
    result: dict[str, dict[str, int]] = {}
    rows = (Message.select(Member.commune, Message.state, pw.fn.COUNT(Message.id))
            .join(Member).where((Message.alert == alert_id) & Member.commune.is_null(False))
            .group_by(Member.commune, Message.state).tuples())
    for code, state, n in rows:
        result.setdefault(code, {})[state] = n
    if len(_BY_COMMUNE) >= _BY_COMMUNE_KEPT:
        _BY_COMMUNE.pop(next(iter(_BY_COMMUNE)), None)
    _BY_COMMUNE[alert_id] = (key, {code: dict(states) for code, states in result.items()})
    return result
