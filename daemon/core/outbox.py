"""The outbox as data: message states written once, their transitions in one table, claims by CAS.

Every change of a message's state goes through ``transition()``: a compare-and-set in SQL that
does nothing when the row is no longer in an expected state, so two modem workers (or the daemon
and the console) can never both move the same message. Retries are a ``next_attempt_at`` column,
never a sleep; counters are incremented in SQL.
"""

import enum
import logging
import random
import re
import time

import peewee as pw

from vigie.daemon.core.models import Alert, Attempt, Message, OptOut, Part, StatusReport, database

log = logging.getLogger(__name__)


class State(str, enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    RETRY_WAIT = "retry_wait"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    State.QUEUED: "en attente",
    State.SENDING: "en cours d'envoi",
    State.SENT: "envoyé",
    State.DELIVERED: "délivré",
    State.RETRY_WAIT: "nouvel essai prévu",
    State.FAILED: "échec",
    State.EXPIRED: "expiré",
    State.CANCELLED: "annulé",
}

TRANSITIONS = {
    State.QUEUED: {State.SENDING, State.EXPIRED, State.CANCELLED},
    State.RETRY_WAIT: {State.SENDING, State.EXPIRED, State.CANCELLED},
    State.SENDING: {State.SENT, State.RETRY_WAIT, State.FAILED, State.QUEUED},
    State.SENT: {State.DELIVERED, State.FAILED},
    State.FAILED: {State.QUEUED},          # "renvoyer aux échecs" from the console
    State.DELIVERED: set(),
    State.EXPIRED: set(),
    State.CANCELLED: set(),
}

# Nothing more will happen to these without a person deciding so.
FINAL = frozenset({State.DELIVERED, State.FAILED, State.EXPIRED, State.CANCELLED})
WAITING = (State.QUEUED, State.RETRY_WAIT)

PRIORITY_NORMAL = 0
PRIORITY_PANIC = 100


class IllegalTransition(RuntimeError):
    pass


def transition(message_id: int, to: State, expected: State | tuple, **fields) -> bool:
    """Move one message to ``to`` if it is still in ``expected``; True when this call moved it."""
    expected = (expected,) if isinstance(expected, State) else tuple(expected)
    for state in expected:
        if to not in TRANSITIONS[state]:
            raise IllegalTransition(f"{state.value} → {to.value}")
    fields["state"] = to.value
    if to in FINAL:
        fields.setdefault("finished_at", time.time())
    moved = (Message.update(**fields)
             .where((Message.id == message_id) & (Message.state.in_([s.value for s in expected])))
             .execute())
    if moved:
        log.debug("message %d : %s → %s", message_id, "/".join(s.value for s in expected), to.value)
    return bool(moved)


# --- queueing -------------------------------------------------------------------

def enqueue(phone: str, text: str, *, priority: int = PRIORITY_NORMAL, alert=None, member=None,
            expires_at: float | None = None, max_attempts: int = 5, parts: int = 1) -> Message:
    """Queue one SMS; committed before returning."""
    with database.atomic():
        return Message.create(phone=phone, text=text, priority=priority, alert=alert, member=member,
                              expires_at=expires_at, max_attempts=max_attempts, parts=parts,
                              state=State.QUEUED.value, next_attempt_at=0.0)


def enqueue_many(rows: list[dict]) -> int:
    """Bulk-insert outbox rows (dicts of Message fields); the caller holds the transaction.

    One prepared INSERT run by executemany, every field given (model defaults included): 5,000
    messages in milliseconds, where peewee's insert_many spent a second building the SQL."""
    now = time.time()
    fields = [f for f in Message._meta.sorted_fields if f.name != "id"]
    unknown = {key for row in rows for key in row} - {f.name for f in fields}
    if unknown:
        raise ValueError(f"champs de message inconnus : {sorted(unknown)}")
    defaults = {}
    for f in fields:
        default = f.default() if callable(f.default) else f.default
        defaults[f.name] = default
    defaults.update(state=State.QUEUED.value, next_attempt_at=0.0, created_at=now)
    sql = 'INSERT INTO "message" ({}) VALUES ({})'.format(
        ", ".join(f'"{f.column_name}"' for f in fields), ", ".join("?" for _ in fields))
    values = [tuple(f.db_value(row[f.name] if f.name in row else defaults[f.name]) for f in fields)
              for row in rows]
    if values:
        with database.atomic():
            database.cursor().executemany(sql, values)
    return len(rows)


# --- claiming and outcomes ---------------------------------------------------------

def expire_due(now: float | None = None) -> int:
    """Unsent messages past their alert's expiry expire rather than go out stale."""
    now = now or time.time()
    n = (Message.update(state=State.EXPIRED.value, finished_at=now,
                        error="Expiré avant l'envoi : l'alerte n'était plus d'actualité.")
         .where(Message.state.in_([s.value for s in WAITING]) & Message.expires_at.is_null(False)
                & (Message.expires_at <= now))
         .execute())
    if n:
        log.info("%d message(s) expiré(s)", n)
    return n


def next_candidates(now: float, limit: int = 4) -> list[int]:
    return [row[0] for row in
            Message.select(Message.id)
            .where(Message.state.in_([s.value for s in WAITING]) & (Message.next_attempt_at <= now))
            .order_by(Message.priority.desc(), Message.id)
            .limit(limit).tuples()]


def claim(modem: str, now: float | None = None) -> Message | None:
    """Take the most urgent due message for ``modem``; None when there is nothing to send."""
    now = now or time.time()
    while True:
        candidates = next_candidates(now)
        if not candidates:
            return None
        for message_id in candidates:
            with database.atomic():         # the claim and its attempt row: one commit, one fsync
                moved = (Message.update(state=State.SENDING.value, modem=modem, claimed_at=now,
                                        attempts=Message.attempts + 1)
                         .where((Message.id == message_id)
                                & Message.state.in_([s.value for s in WAITING])
                                & (Message.expires_at.is_null() | (Message.expires_at > now)))
                         .execute())
                if moved:
                    message = Message.get_by_id(message_id)
                    Attempt.create(message=message_id, number=message.attempts, modem=modem, started_at=now)
                    return message
        expire_due(now)


_OUTRANKED_SQL = ('SELECT 1 FROM "message" WHERE "state" IN (?, ?) AND "priority" > ? AND "next_attempt_at" <= ? '
                  'LIMIT 1')


def outranked(priority: int, now: float | None = None) -> bool:
    """A due message more urgent than ``priority`` waits (a panic alert behind one claimed ahead).

    Asked between two SMS of a burst, so in plain SQL: peewee would take longer to build it than
    SQLite takes to answer it from the (state, priority, next_attempt_at) index."""
    now = now or time.time()
    row = database.execute_sql(_OUTRANKED_SQL, (State.QUEUED.value, State.RETRY_WAIT.value, priority, now))
    return row.fetchone() is not None


def unclaim(message: Message) -> bool:
    """Give back a message claimed ahead of time and never put on the line: as if never claimed."""
    with database.atomic():
        Attempt.delete().where((Attempt.message == message.id) & (Attempt.number == message.attempts)
                               & (Attempt.outcome == "pending")).execute()
        return transition(message.id, State.QUEUED, State.SENDING, attempts=Message.attempts - 1,
                          modem=None, claimed_at=None)


def record_part(message: Message, part_number: int, part_count: int, modem: str, mr: int,
                sent_at: float | None = None) -> None:
    """A part is on air with its TP-MR: kept so its status report can be matched."""
    Part.create(message=message.id, attempt=message.attempts, number=part_number, count=part_count,
                modem=modem, mr=mr, phone=message.phone, sent_at=sent_at or time.time())


def _close_attempt(message: Message, outcome: str, code=None, error=None) -> None:
    (Attempt.update(ended_at=time.time(), outcome=outcome, error_code=code, error=error)
     .where((Attempt.message == message.id) & (Attempt.number == message.attempts)).execute())


def mark_sent(message: Message) -> bool:
    with database.atomic():
        _close_attempt(message, "sent")
        moved = transition(message.id, State.SENT, State.SENDING, sent_at=time.time(), error=None,
                           error_code=None)
        _maybe_delivered(message.id)
    return moved


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter on the upper half, capped."""
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.5, 1.0)


def mark_retry(message: Message, reason: str, *, code: int | None = None, outcome: str = "temporary",
               possible_duplicate: bool = False, base: float = 30.0, cap: float = 900.0) -> State:
    """A temporary failure: retry later, or fail for good after the last allowed attempt."""
    with database.atomic():
        _close_attempt(message, outcome, code, reason)
        extra = {"possible_duplicate": True} if possible_duplicate else {}
        if message.attempts >= message.max_attempts:
            transition(message.id, State.FAILED, State.SENDING, error_code=code,
                       error=f"Échec après {message.attempts} tentative(s) : {reason}", **extra)
            return State.FAILED
        transition(message.id, State.RETRY_WAIT, State.SENDING, error=reason, error_code=code,
                   next_attempt_at=time.time() + backoff(message.attempts, base, cap), **extra)
        return State.RETRY_WAIT


def mark_failed(message: Message, reason: str, code: int | None = None) -> bool:
    with database.atomic():
        _close_attempt(message, "permanent", code, reason)
        return transition(message.id, State.FAILED, State.SENDING, error=reason, error_code=code)


def release(message: Message, reason: str) -> bool:
    """Give a claimed message back untouched (its modem went away before sending it)."""
    with database.atomic():
        _close_attempt(message, "modem_gone", None, reason)
        return transition(message.id, State.QUEUED, State.SENDING, attempts=Message.attempts - 1,
                          modem=None)


def recover_in_flight() -> int:
    """At start-up: what was being sent when the daemon died may be on air; send again, flagged."""
    with database.atomic():
        ids = [m.id for m in Message.select(Message.id).where(Message.state == State.SENDING.value)]
        for message_id in ids:
            transition(message_id, State.QUEUED, State.SENDING, possible_duplicate=True,
                       error="Envoi interrompu (arrêt du démon) : renvoyé, doublon possible.")
        (Attempt.update(outcome="unknown", ended_at=time.time(),
                        error="Interrompu par l'arrêt du démon.")
         .where(Attempt.message.in_(ids) & (Attempt.outcome == "pending")).execute())
    if ids:
        log.warning("%d message(s) en cours d'envoi à l'arrêt précédent : renvoyés (doublons possibles)",
                    len(ids))
    return len(ids)


# --- delivery reports ------------------------------------------------------------------

def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")[-9:]


def match_report(modem: str, mr: int, phone: str, status: int, *, received_at: float | None = None,
                 window_hours: float = 72.0, time_sent: float | None = None,
                 time_finalized: float | None = None) -> StatusReport:
    """Store a status report and apply it to the part it belongs to, if any.

    A part is found by (modem, TP-MR, destination) among those sent within the window, the most
    recent first: TP-MR wraps at 256, so an older part with the same reference is a different SMS.
    """
    received_at = received_at or time.time()
    with database.atomic():
        candidates = (Part.select()
                      .where((Part.modem == modem) & (Part.mr == mr)
                             & (Part.sent_at >= received_at - window_hours * 3600)
                             & (Part.sent_at <= received_at + 60))
                      .order_by(Part.sent_at.desc()))
        part = next((p for p in candidates if not phone or _digits(p.phone) == _digits(phone)), None)
        report = StatusReport.create(modem=modem, mr=mr, phone=phone or "", status=status,
                                     received_at=received_at, time_sent=time_sent,
                                     time_finalized=time_finalized, part=part)
        if part is None:
            log.warning("accusé de réception sans message correspondant : modem %s, référence %d, %s",
                        modem, mr, phone)
            return report
        if status < 0x20:
            part_status = "delivered"
        elif status < 0x40:
            part_status = "pending"
        else:
            part_status = "failed"
        Part.update(status=part_status, report_status=status, report_at=received_at).where(
            Part.id == part.id).execute()
        if part_status == "delivered":
            _maybe_delivered(part.message_id)
        elif part_status == "failed":
            transition(part.message_id, State.FAILED, State.SENT,
                       error=f"Non remis par le réseau (statut {status:#04x} : {report_status_text(status)}).")
    return report


def _maybe_delivered(message_id: int) -> bool:
    """Delivered once every part number has a delivered part, in any attempt."""
    message = Message.get_by_id(message_id)
    delivered = (Part.select(pw.fn.COUNT(pw.fn.DISTINCT(Part.number)))
                 .where((Part.message == message_id) & (Part.status == "delivered")).scalar())
    if delivered >= message.parts:
        return transition(message_id, State.DELIVERED, State.SENT, delivered_at=time.time(),
                          error=None)
    return False


def report_status_text(status: int) -> str:
    if status < 0x20:
        return "remis au destinataire"
    if status < 0x40:
        return "le réseau réessaie"
    return {
        0x40: "erreur distante", 0x41: "service incompatible", 0x42: "connexion refusée",
        0x43: "destinataire inconnu", 0x44: "message refusé", 0x45: "erreur de service",
        0x46: "délai de validité dépassé", 0x47: "message supprimé par l'émetteur",
        0x48: "message supprimé par l'opérateur", 0x49: "message inexistant",
        0x60: "destinataire injoignable (congestion)", 0x61: "destinataire occupé",
        0x62: "pas de réponse du destinataire", 0x63: "service rejeté",
        0x64: "qualité de service indisponible", 0x65: "erreur du destinataire",
    }.get(status, "échec définitif")


# --- counts and cancellation ----------------------------------------------------------------

def counts(alert_id: int | None = None) -> dict:
    """Messages by state (all states present, zero included)."""
    query = Message.select(Message.state, pw.fn.COUNT(Message.id)).group_by(Message.state)
    if alert_id is not None:
        query = query.where(Message.alert == alert_id)
    result = {s.value: 0 for s in State}
    for state, n in query.tuples():
        result[state] = n
    return result


def cancel_alert(alert_id: int) -> int:
    """Cancel what an alert has not sent yet; what is on air stays as it is."""
    with database.atomic():
        n = (Message.update(state=State.CANCELLED.value, finished_at=time.time(),
                            error="Annulé par un opérateur avant l'envoi.")
             .where((Message.alert == alert_id) & Message.state.in_([s.value for s in WAITING]))
             .execute())
        Alert.update(state="cancelled", completed_at=time.time()).where(
            (Alert.id == alert_id) & (Alert.state == "sending")).execute()
    return n


def requeue_failed(alert_id: int) -> int:
    """Send again to an alert's failed recipients (operator's decision), except the phones that have
    answered STOP since: they stay failed, with the reason."""
    with database.atomic():
        failed = (Message.alert == alert_id) & (Message.state == State.FAILED.value)
        opted_out = Message.phone.in_(OptOut.select(OptOut.phone))
        note = " — Non renvoyé : le destinataire a répondu STOP depuis."
        (Message.update(error=pw.fn.COALESCE(Message.error, "Échec").concat(note))
         .where(failed & opted_out & ~pw.fn.COALESCE(Message.error, "").contains(note)).execute())
        n = (Message.update(state=State.QUEUED.value, next_attempt_at=0.0, attempts=0,
                            finished_at=None, error=None, error_code=None)
             .where(failed & ~opted_out).execute())
        if n:
            Alert.update(state="sending", completed_at=None).where(Alert.id == alert_id).execute()
    return n


def complete_finished_alerts() -> int:
    """Mark alerts done when none of their messages waits or is being sent."""
    busy = (Message.select(Message.alert)
            .where(Message.alert.is_null(False)
                   & Message.state.in_([State.QUEUED.value, State.RETRY_WAIT.value, State.SENDING.value])))
    return (Alert.update(state="done", completed_at=time.time())
            .where((Alert.state == "sending") & Alert.id.not_in(busy)).execute())


def queue_depth() -> int:
    return Message.select().where(
        Message.state.in_([State.QUEUED.value, State.RETRY_WAIT.value, State.SENDING.value])).count()
