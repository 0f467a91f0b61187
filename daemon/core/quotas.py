"""Quotas of each transport, above all of each SIM, counted from the outbox.

What a transport used is read from the store, never kept apart: the SMS (parts) it put on air
(``Part`` rows: which transport, when, to whom) plus the messages it has claimed and not yet recorded
(a pending ``Attempt``: the claim and its attempt row are one commit, so a message claimed ahead
counts from the moment it is claimed). Windows: a rolling minute and hour, the calendar day and
month, and the distinct recipients of the calendar month, days and months in Europe/Paris time
(an operator's plan counts in French time, whatever the box's zone).

Limits are the ``quota_*`` keys of each ``[[modem]]`` / ``[[kannel]]`` table (none by default). The
worker's router (daemon/transport/routing.py) skips a transport at its cap; the console warns before
an alert the available transports cannot send now (:func:`alert_warning`).
"""

import dataclasses
import datetime
import time

from vigie.daemon.core.config import QUOTA_KEYS, QUOTA_WINDOWS
from vigie.daemon.core.models import database
from vigie.daemon.core.reference.french import plural
from vigie.daemon.core.schedule import PARIS

SMS_WINDOWS = ("minute", "hour", "day", "month")
# How the warning says when the quota frees up again.
WINDOW_WORDS = {"minute": "dans la minute", "hour": "dans l'heure", "day": "aujourd'hui", "month": "ce mois-ci",
                "recipients_month": "ce mois-ci"}
WINDOW_LABELS = {"minute": "SMS par minute", "hour": "SMS par heure", "day": "SMS aujourd'hui",
                 "month": "SMS ce mois-ci", "recipients_month": "destinataires ce mois-ci"}
# A cap per minute only paces a broadcast: the warning speaks of the windows that hold messages back.
WARNING_WINDOWS = ("hour", "day", "month", "recipients_month")


@dataclasses.dataclass(frozen=True)
class Limits:
    """A transport's caps by window (None: no limit)."""
    minute: int | None = None
    hour: int | None = None
    day: int | None = None
    month: int | None = None
    recipients_month: int | None = None

    @classmethod
    def of(cls, entry) -> "Limits":
        """The caps of one configuration entry (a [[modem]] or [[kannel]] table)."""
        return cls(**{w: getattr(entry, QUOTA_KEYS[w], None) for w in QUOTA_WINDOWS})

    def get(self, window: str) -> int | None:
        return getattr(self, window)

    @property
    def any(self) -> bool:
        return any(self.get(w) is not None for w in QUOTA_WINDOWS)


@dataclasses.dataclass
class Usage:
    """What a transport used in each window (``counts``, the distinct recipients of the month
    included); ``recipients``: those phones, when asked for; ``pending``: ids of the messages it
    holds claimed (counted, not yet recorded)."""
    counts: dict
    recipients: set = dataclasses.field(default_factory=set)
    pending: set = dataclasses.field(default_factory=set)

    def used(self, window: str) -> int:
        return self.counts[window]


def window_starts(now: float) -> dict:
    """Epoch second at which each window began: rolling minute and hour, Paris day and month."""
    local = datetime.datetime.fromtimestamp(now, PARIS)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    return {"minute": now - 60.0, "hour": now - 3600.0, "day": day.timestamp(), "month": month.timestamp(),
            "recipients_month": month.timestamp()}


_PARTS_SQL = ('SELECT SUM("sent_at" >= ?), SUM("sent_at" >= ?), SUM("sent_at" >= ?), COUNT(*) '
              'FROM "part" WHERE "modem" = ? AND "sent_at" >= ?')
_PENDING_SQL = ('SELECT m."id", m."parts" FROM "attempt" a JOIN "message" m ON m."id" = a."message_id" '
                'WHERE a."modem" = ? AND a."outcome" = \'pending\' AND m."state" = \'sending\' AND m."modem" = ?')
# This month's recipients: the parts' phones and those of the messages held claimed, each once.
_PHONES_SQL = ('SELECT "phone" FROM "part" WHERE "modem" = ? AND "sent_at" >= ? UNION '
               'SELECT m."phone" FROM "attempt" a JOIN "message" m ON m."id" = a."message_id" '
               'WHERE a."modem" = ? AND a."outcome" = \'pending\' AND m."state" = \'sending\' AND m."modem" = ?')


def usage(transport: str, now: float | None = None, phones: bool = True) -> Usage:
    """What ``transport`` used, from the outbox: parts on air plus the messages it holds claimed.
    ``phones``: also the set of this month's recipients (else only their number)."""
    now = time.time() if now is None else now
    starts = window_starts(now)
    since = min(starts.values())
    minute, hour, day, total = database.execute_sql(
        _PARTS_SQL, (starts["minute"], starts["hour"], starts["day"], transport, since)).fetchone()
    # The month began before the rolling windows except in the first hour of the 1st: count it apart then.
    month = total if since == starts["month"] else database.execute_sql(
        'SELECT COUNT(*) FROM "part" WHERE "modem" = ? AND "sent_at" >= ?', (transport, starts["month"])).fetchone()[0]
    counts = {"minute": minute or 0, "hour": hour or 0, "day": day or 0, "month": month or 0}
    pending = set()
    for message_id, parts in database.execute_sql(_PENDING_SQL, (transport, transport)):
        for window in SMS_WINDOWS:
            counts[window] += parts or 1
        pending.add(message_id)
    args = (transport, starts["month"], transport, transport)
    if phones:
        recipients = {row[0] for row in database.execute_sql(_PHONES_SQL, args)}
        counts["recipients_month"] = len(recipients)
    else:
        recipients = set()
        counts["recipients_month"] = database.execute_sql(f"SELECT COUNT(*) FROM ({_PHONES_SQL})", args).fetchone()[0]
    return Usage(counts=counts, recipients=recipients, pending=pending)


def allows(limits: Limits, used: Usage, phone: str, parts: int = 1) -> bool:
    """Whether a message of ``parts`` SMS to ``phone`` fits under every cap."""
    for window in SMS_WINDOWS:
        cap = limits.get(window)
        if cap is not None and used.counts[window] + max(1, parts) > cap:
            return False
    cap = limits.recipients_month
    return cap is None or phone in used.recipients or used.counts["recipients_month"] < cap


def reached(limits: Limits, used: Usage) -> list[str]:
    """The windows at their cap (for recipients: no new recipient fits; one already counted still does)."""
    return [w for w in QUOTA_WINDOWS if limits.get(w) is not None and used.used(w) >= limits.get(w)]


def table(limits: Limits, used: Usage) -> dict:
    """``{window: {"used": n, "limit": cap or None}}``: the `quota` of `vigie status --json`."""
    return {w: {"used": used.used(w), "limit": limits.get(w)} for w in QUOTA_WINDOWS}


def configured(settings) -> dict:
    """Name → (kind, Limits) of every transport the configuration declares."""
    out = {}
    for kind, entries in (("gsm", getattr(settings, "modems", ())), ("kannel", getattr(settings, "kannels", ()))):
        for entry in entries or ():
            out[entry.name] = (kind, Limits.of(entry))
    return out


def capacity(limits: Limits, used: Usage, phones: set, parts: int) -> tuple[int | None, str | None]:
    """How many of ``phones`` (a message of ``parts`` SMS each) the transport can still send now, and
    the window that binds (None, None: no limit that matters)."""
    best, binding = None, None
    for window in WARNING_WINDOWS:
        cap = limits.get(window)
        if cap is None:
            continue
        if window == "recipients_month":
            known = len(phones & used.recipients)
            n = known + max(0, cap - used.counts["recipients_month"])
        else:
            n = max(0, cap - used.counts[window]) // max(1, parts)
        n = min(n, len(phones))
        if best is None or n < best:
            best, binding = n, window
    return best, binding


def alert_warning(settings, phones, parts: int, now: float | None = None) -> str:
    """French warning when the transports available now cannot send the alert to every phone (empty
    when they can): « Cette alerte dépasse le quota de la SIM : 180 destinataires restants ce mois-ci. »

    Available: the configured transports whose worker last said « prêt »; all of them when none did
    (the daemon stopped: the console says so elsewhere, this says what the quotas allow)."""
    from vigie.daemon.core.models import TransportStatus
    from vigie.daemon.core.status import READY
    phones = set(phones)
    transports = configured(settings)
    if not phones or not transports:
        return ""
    ready = {t.name for t in TransportStatus.select(TransportStatus.name).where(TransportStatus.state == READY)}
    names = [n for n in transports if n in ready] or list(transports)
    total, windows, kinds = 0, set(), set()
    for name in names:
        kind, limits = transports[name]
        n, window = capacity(limits, usage(name, now, phones=limits.recipients_month is not None), phones, parts)
        if n is None:
            return ""                   # a transport without a cap takes the rest
        total += n
        windows.add(window)
        kinds.add(kind)
    if total >= len(phones):
        return ""
    if kinds == {"gsm"}:
        subject = "de la SIM" if len(names) == 1 else "des SIM"
    elif kinds == {"kannel"}:
        subject = "de la route opérateur" if len(names) == 1 else "des routes opérateur"
    else:
        subject = "des moyens d'envoi"
    when = WINDOW_WORDS[windows.pop()] if len(windows) == 1 else "pour l'instant"
    others = len(phones) - total
    rest = ("1 autre destinataire attendra" if others == 1 else f"Les {others} autres attendront")
    return (f"Cette alerte dépasse le quota {subject} : "
            f"{plural(total, 'destinataire restant', 'destinataires restants')} {when}. "
            f"{rest} que le quota le permette, ou que l'alerte expire.")
