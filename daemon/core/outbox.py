"""The outbox as data: message and alert states written once, their transitions in one table
each, claims by CAS.

Every change of a message's or an alert's state goes through its ``Lifecycle`` (lifecycle.py):
``transition()`` for one message, ``MESSAGES.move()`` and ``ALERTS.move()`` for many rows at once.
Each is a compare-and-set in SQL, checked against the table, that does nothing to a row no longer
in an expected state, so two modem workers (or the daemon and the console) can never both move
the same message. Retries are a ``next_attempt_at`` column, never a sleep; counters are
incremented in SQL.
"""

import collections
import logging
import random
from typing import NamedTuple

import peewee as pw

from vigie.daemon.core import clock
from vigie.daemon.core.lifecycle import IllegalTransition as IllegalTransition  # raised by the moves below
from vigie.daemon.core.lifecycle import LabelledState, Lifecycle
from vigie.daemon.core.models import Alert, Attempt, Message, OptOut, Part, database
from vigie.daemon.core.reference import smstext
from vigie.daemon.core.reference.french import plural

log = logging.getLogger(__name__)


class State(LabelledState):
    """A message's state, and how it reads in French."""
    QUEUED = "queued", "en attente"
    SENDING = "sending", "en cours d'envoi"
    SENT = "sent", "envoyé"
    DELIVERED = "delivered", "délivré"
    RETRY_WAIT = "retry_wait", "nouvel essai prévu"
    FAILED = "failed", "échec"
    EXPIRED = "expired", "expiré"
    CANCELLED = "cancelled", "annulé"


LABELS = {s: s.label for s in State}

TRANSITIONS = {
    State.QUEUED: {State.SENDING, State.EXPIRED, State.CANCELLED},
    # RETRY_WAIT/FAILED → SENT: a late answer proves an « issue inconnue » went out (sent_late)
    State.RETRY_WAIT: {State.SENDING, State.SENT, State.EXPIRED, State.CANCELLED},
    State.SENDING: {State.SENT, State.RETRY_WAIT, State.FAILED, State.QUEUED},
    State.SENT: {State.DELIVERED, State.FAILED},
    State.FAILED: {State.QUEUED, State.SENT},          # "renvoyer aux échecs" from the console
    State.DELIVERED: set(),
    State.EXPIRED: set(),
    State.CANCELLED: set(),
}

# Nothing more will happen to these without a person deciding so.
FINAL = frozenset({State.DELIVERED, State.FAILED, State.EXPIRED, State.CANCELLED})
WAITING = (State.QUEUED, State.RETRY_WAIT)
ACTIVE = (State.QUEUED, State.RETRY_WAIT, State.SENDING)     # an alert with one of these is not done

MESSAGES = Lifecycle(Message.state, TRANSITIONS, final=FINAL, finished="finished_at")


class AlertState(LabelledState):
    """An alert's state: sending while any of its messages waits or is on its way."""
    SCHEDULED = "scheduled", "programmée"
    SENDING = "sending", "en cours"
    DONE = "done", "terminée"
    CANCELLED = "cancelled", "annulée"
    EXPIRED = "expired", "expirée"


ALERT_TRANSITIONS = {
    AlertState.SCHEDULED: {AlertState.SENDING, AlertState.CANCELLED, AlertState.EXPIRED},
    AlertState.SENDING: {AlertState.DONE, AlertState.CANCELLED},
    AlertState.DONE: {AlertState.SENDING},         # its failed messages sent again
    AlertState.CANCELLED: {AlertState.SENDING},    # likewise, after a cancellation
    AlertState.EXPIRED: set(),                     # its time passed before it could start
}

ALERTS = Lifecycle(Alert.state, ALERT_TRANSITIONS,
                   final={AlertState.DONE, AlertState.CANCELLED, AlertState.EXPIRED},
                   finished="completed_at")

PRIORITY_NORMAL = 0
PRIORITY_PANIC = 100


def transition(message_id: int, to: State, expected: State | tuple, **fields) -> bool:
    """Move one message to ``to`` if it is still in ``expected``; True when this call moved it."""
    moved = MESSAGES.move(to, expected, Message.id == message_id, **fields)
    if moved:
        expected = (expected,) if isinstance(expected, State) else tuple(expected)
        log.debug("message %d : %s → %s", message_id, "/".join(s.value for s in expected), to.value)
    return bool(moved)


# --- queueing -------------------------------------------------------------------

def enqueue(phone: str, text: str, *, priority: int = PRIORITY_NORMAL, alert=None, member=None,
            expires_at: float | None = None, max_attempts: int = 5, parts: int = 1) -> Message:
    """Queue one SMS (its text as it goes on air, smstext.for_air); committed before returning."""
    with database.atomic():
        return Message.create(phone=phone, text=smstext.for_air(text), priority=priority, alert=alert, member=member,
                              expires_at=expires_at, max_attempts=max_attempts, parts=parts,
                              state=State.QUEUED.value, next_attempt_at=0.0)


def enqueue_many(rows: list[dict]) -> int:
    """Bulk-insert outbox rows (dicts of Message fields); the caller holds the transaction.

    One prepared INSERT run by executemany, every field given (model defaults included): 5,000
    messages in milliseconds, where peewee's insert_many spent a second building the SQL."""
    now = clock.wall()
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
    rows = [dict(row, text=smstext.for_air(row["text"])) if "text" in row else row for row in rows]
    values = [tuple(f.db_value(row[f.name] if f.name in row else defaults[f.name]) for f in fields)
              for row in rows]
    if values:
        with database.atomic():
            database.cursor().executemany(sql, values)
    return len(rows)


# --- claiming and outcomes ---------------------------------------------------------

_STEPS = clock.StepWatch()


def rebase_if_stepped() -> float:
    """When the wall clock stepped (clock.py), move every delay still running by the same step: the
    retries due and the validity of what is not sent yet. Returns the step in seconds (0.0: none)."""
    step = _STEPS.step()
    if not step:
        return 0.0
    with database.atomic():
        n = (Message.update(next_attempt_at=Message.next_attempt_at + step)
             .where(Message.state.in_([s.value for s in WAITING]) & (Message.next_attempt_at > 0)).execute())
        (Message.update(expires_at=Message.expires_at + step)
         .where(Message.state.in_([s.value for s in ACTIVE]) & Message.expires_at.is_null(False)).execute())
        (Alert.update(expires_at=Alert.expires_at + step)
         .where(Alert.state.in_([AlertState.SENDING.value, AlertState.SCHEDULED.value])
                & Alert.expires_at.is_null(False)).execute())
    log.warning("l'horloge a sauté de %+.0f s : %d nouvel(s) essai(s) prévu(s) et les validités en cours "
                "décalés d'autant", step, n)
    return step


def expire_due(now: float | None = None) -> int:
    """Unsent messages past their alert's expiry expire rather than go out stale."""
    if now is None:
        rebase_if_stepped()
    now = now or clock.wall()
    due = Message.expires_at.is_null(False) & (Message.expires_at <= now)
    n = MESSAGES.move(State.EXPIRED, WAITING, due, finished_at=now,
                      error="Expiré avant l'envoi : l'alerte n'était plus d'actualité.")
    if n:
        log.info("%d message(s) expiré(s)", n)
    return n


def next_candidates(now: float, limit: int = 4) -> list[int]:
    return [c.id for c in due(now, limit)]


class Candidate(NamedTuple):
    """A due message as a router weighs it before the claim."""
    id: int
    phone: str
    priority: int
    parts: int


def due(now: float, limit: int = 4) -> list[Candidate]:
    """The most urgent due messages, in the order they are claimed."""
    return [Candidate(*row) for row in
            Message.select(Message.id, Message.phone, Message.priority, Message.parts)
            .where(Message.state.in_([s.value for s in WAITING]) & (Message.next_attempt_at <= now))
            .order_by(Message.priority.desc(), Message.id)
            .limit(limit).tuples()]


def claim(modem: str, now: float | None = None, accept=None) -> Message | None:
    """Take the most urgent due message for ``modem``; None when there is nothing to send.

    ``accept(candidate)``: whether this transport is the one for a due message (the router's word,
    routing.py); the claim itself stays one compare-and-set, whoever asks."""
    if now is None:
        rebase_if_stepped()
    now = now or clock.wall()
    while True:
        candidates = due(now, 4 if accept is None else 32)
        tried = False
        for candidate in candidates:
            if accept is not None and not accept(candidate):
                continue
            tried, message_id = True, candidate.id
            with database.atomic():         # the claim and its attempt row: one commit, one fsync
                moved = MESSAGES.move(State.SENDING, WAITING,
                                      (Message.id == message_id)
                                      & (Message.expires_at.is_null() | (Message.expires_at > now)),
                                      modem=modem, claimed_at=now, attempts=Message.attempts + 1)
                if moved:
                    message = Message.get_by_id(message_id)
                    Attempt.create(message=message_id, number=message.attempts, modem=modem, started_at=now)
                    return message
        if not tried:
            return None
        expire_due(now)


_OUTRANKED_SQL = ('SELECT 1 FROM "message" WHERE "state" IN (?, ?) AND "priority" > ? AND "next_attempt_at" <= ? '
                  'LIMIT 1')


def outranked(priority: int, now: float | None = None) -> bool:
    """A due message more urgent than ``priority`` waits (a panic alert behind one claimed ahead).

    Asked between two SMS of a burst, so in plain SQL: peewee would take longer to build it than
    SQLite takes to answer it from the (state, priority, next_attempt_at) index."""
    now = now or clock.wall()
    row = database.execute_sql(_OUTRANKED_SQL, (State.QUEUED.value, State.RETRY_WAIT.value, priority, now))
    return row.fetchone() is not None


def unclaim(message: Message) -> bool:
    """Give back a message claimed ahead of time and never put on the line: as if never claimed."""
    with database.atomic():
        Attempt.delete().where((Attempt.message == message.id) & (Attempt.number == message.attempts)
                               & (Attempt.outcome == "pending")).execute()
        return transition(message.id, State.QUEUED, State.SENDING, attempts=Message.attempts - 1,
                          modem=None, claimed_at=None)


def record_part(message: Message, part_number: int, part_count: int, transport: str, reference: str,
                sent_at: float | None = None) -> None:
    """A part is on air with its provider reference: kept so its delivery report can be matched."""
    Part.create(message=message.id, attempt=message.attempts, number=part_number, count=part_count,
                modem=transport, reference=reference, phone=message.phone, sent_at=sent_at or clock.wall())


def _close_attempt(message: Message, outcome: str, code=None, error=None) -> None:
    """Close the attempt under way; one given back (``release``) keeps its number but is closed already."""
    (Attempt.update(ended_at=clock.wall(), outcome=outcome, error_code=code, error=error)
     .where((Attempt.message == message.id) & (Attempt.number == message.attempts)
            & (Attempt.outcome == "pending")).execute())


def sent_late(message_id: int, attempt: int, part_number: int, transport: str, reference: str) -> bool:
    """A part counted « issue inconnue » answered late (its reference came after the timeout): it is
    on air. Recorded as such; a message whose every part of that attempt is now known is sent, not
    sent again, and no longer a possible duplicate unless another attempt may have gone out too.
    True when the message was moved to « envoyé »."""
    now = clock.wall()
    with database.atomic():
        message = Message.get_or_none(Message.id == message_id)
        if message is None:
            return False
        mine = (Part.message == message_id) & (Part.attempt == attempt)
        if Part.select().where(mine & (Part.number == part_number)).exists():
            return False
        Part.create(message=message_id, attempt=attempt, number=part_number, count=message.parts,
                    modem=transport, reference=reference, phone=message.phone, sent_at=now)
        known = Part.select(pw.fn.COUNT(pw.fn.DISTINCT(Part.number))).where(mine).scalar()
        if known < message.parts or message.state not in (State.RETRY_WAIT.value, State.FAILED.value):
            return False
        (Attempt.update(outcome="sent", ended_at=now, error="Réponse tardive du modem : SMS parti.")
         .where((Attempt.message == message_id) & (Attempt.number == attempt)).execute())
        others = (Part.select().where((Part.message == message_id) & (Part.attempt != attempt)).exists()
                  or Attempt.select().where((Attempt.message == message_id) & (Attempt.number != attempt)
                                            & Attempt.outcome.in_(["unknown", "modem_gone"])).exists())
        moved = transition(message_id, State.SENT, (State.RETRY_WAIT, State.FAILED), sent_at=now,
                           finished_at=None, error=None, error_code=None, possible_duplicate=others)
        if moved:
            log.info("message %d : réponse tardive du modem, compté comme envoyé (pas de nouvel envoi)",
                     message_id)
            maybe_delivered(message_id)
    return moved


def mark_sent(message: Message) -> bool:
    with database.atomic():
        _close_attempt(message, "sent")
        moved = transition(message.id, State.SENT, State.SENDING, sent_at=clock.wall(), error=None,
                           error_code=None)
        maybe_delivered(message.id)
    return moved


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter on the upper half, capped."""
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.5, 1.0)


def mark_retry(message: Message, reason: str, *, code: int | None = None, outcome: str = "temporary",
               possible_duplicate: bool = False, base: float = 30.0, cap: float = 900.0) -> State:
    """A temporary failure: retry later, or fail for good after the last allowed attempt."""
    rebase_if_stepped()
    with database.atomic():
        _close_attempt(message, outcome, code, reason)
        extra = {"possible_duplicate": True} if possible_duplicate else {}
        if message.attempts >= message.max_attempts:
            transition(message.id, State.FAILED, State.SENDING, error_code=code,
                       error=f"Échec après {plural(message.attempts, 'tentative')} : {reason}", **extra)
            return State.FAILED
        transition(message.id, State.RETRY_WAIT, State.SENDING, error=reason, error_code=code,
                   next_attempt_at=clock.wall() + backoff(message.attempts, base, cap), **extra)
        return State.RETRY_WAIT


def mark_failed(message: Message, reason: str, code: int | None = None) -> bool:
    with database.atomic():
        _close_attempt(message, "permanent", code, reason)
        return transition(message.id, State.FAILED, State.SENDING, error=reason, error_code=code)


def release(message: Message, reason: str, outcome: str = "modem_gone", code: int | None = None,
            refunded: int = 0) -> bool:
    """Give a claimed message back untouched, its attempt not counted (its modem went away before
    sending it, or refuses everything: ``outcome`` says which in the attempt's row), nor the
    ``refunded`` earlier ones that transport cost it."""
    with database.atomic():
        _close_attempt(message, outcome, code, reason)
        return transition(message.id, State.QUEUED, State.SENDING,
                          attempts=pw.fn.MAX(0, Message.attempts - 1 - refunded), modem=None)


def refund(message_ids: list[int], transport: str) -> int:
    """Attempts a failing transport cost these messages, given back: those waiting for their retry
    are due at once (for the other transports), those it made fail for good are queued again."""
    n = 0
    with database.atomic():
        for message_id, count in collections.Counter(message_ids).items():
            mine = Message.id == message_id
            attempts = pw.fn.MAX(0, Message.attempts - count)
            n += (Message.update(attempts=attempts, next_attempt_at=clock.wall())
                  .where(mine & (Message.state == State.RETRY_WAIT.value)).execute())
            # taken by another transport meanwhile (or done): the count only
            n += (Message.update(attempts=attempts)
                  .where(mine & Message.state.in_([State.SENDING.value, State.SENT.value,
                                                   State.DELIVERED.value]))
                  .execute())
            n += MESSAGES.move(State.QUEUED, State.FAILED, mine & (Message.modem == transport),
                               attempts=attempts, next_attempt_at=0.0, finished_at=None,
                               error="Refusé par un moyen d'envoi en panne : renvoyé par un autre.")
    return n


def recover_in_flight() -> int:
    """At start-up: what was being sent when the daemon died may be on air; send again, flagged."""
    with database.atomic():
        ids = [m.id for m in Message.select(Message.id).where(Message.state == State.SENDING.value)]
        for message_id in ids:
            transition(message_id, State.QUEUED, State.SENDING, possible_duplicate=True,
                       error="Envoi interrompu (arrêt du démon) : renvoyé, doublon possible.")
        (Attempt.update(outcome="unknown", ended_at=clock.wall(),
                        error="Interrompu par l'arrêt du démon.")
         .where(Attempt.message.in_(ids) & (Attempt.outcome == "pending")).execute())
    if ids:
        log.warning("%d message(s) en cours d'envoi à l'arrêt précédent : renvoyés (doublons possibles)",
                    len(ids))
    return len(ids)


# --- delivery ----------------------------------------------------------------------------

def maybe_delivered(message_id: int) -> bool:
    """Delivered once every part number has a delivered part, in any attempt."""
    message = Message.get_by_id(message_id)
    delivered = (Part.select(pw.fn.COUNT(pw.fn.DISTINCT(Part.number)))
                 .where((Part.message == message_id) & (Part.status == "delivered")).scalar())
    if delivered >= message.parts:
        return transition(message_id, State.DELIVERED, State.SENT, delivered_at=clock.wall(),
                          error=None)
    return False


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
        n = MESSAGES.move(State.CANCELLED, WAITING, Message.alert == alert_id,
                          error="Annulé par un opérateur avant l'envoi.")
        ALERTS.move(AlertState.CANCELLED, AlertState.SENDING, Alert.id == alert_id)
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
        n = MESSAGES.move(State.QUEUED, State.FAILED, (Message.alert == alert_id) & ~opted_out,
                          next_attempt_at=0.0, attempts=0, finished_at=None, error=None, error_code=None)
        if n:
            ALERTS.move(AlertState.SENDING, (AlertState.DONE, AlertState.CANCELLED), Alert.id == alert_id,
                        completed_at=None)
    return n


def complete_finished_alerts() -> int:
    """Mark alerts done when none of their messages waits or is being sent."""
    busy = (Message.select(Message.alert)
            .where(Message.alert.is_null(False) & Message.state.in_([s.value for s in ACTIVE])))
    return ALERTS.move(AlertState.DONE, AlertState.SENDING, Alert.id.not_in(busy))


def queue_depth() -> int:
    return Message.select().where(Message.state.in_([s.value for s in ACTIVE])).count()
