"""Kannel's callbacks, from the HTTP query smsbox sends to what they mean for the box.

Two kinds, both stored first (core/callbacks.py) and applied afterwards by ``apply_pending``:
- ``dlr``: a delivery report on the dlr-url of one part, with the box's ids (message, part, attempt) and
  Kannel's escapes: %d the DLR value (1 delivered, 2 not delivered, 4 queued on the SMSC, 8 accepted by
  the SMSC, 16 refused by the SMSC), %A the SMSC's answer ("NACK/0x00000045/..." or the receipt text);
- ``mo``: an incoming SMS on the sms-service get-url (%p sender, %b text as received, %c coding, %C charset,
  %I Kannel's id of the message, stable across its retries).
"""

import hashlib
import logging
import re
import time

from vigie.daemon.core import callbacks, inbox
from vigie.daemon.core.models import Callback, Message, Part, database
from vigie.daemon.transport import reports
from vigie.daemon.transport.base import DeliveryReport, Incoming
from vigie.daemon.transport.kannel import conf as kconf

log = logging.getLogger(__name__)

GIVE_UP_HOURS = 72.0         # a report whose part never shows up is kept as unmatched after this

STAT_TEXT = {"UNDELIV": "non distribuable", "EXPIRED": "délai de validité dépassé", "DELETED": "supprimé",
             "REJECTD": "refusé", "UNKNOWN": "issue inconnue"}


def decode_text(raw: bytes, coding: str, charset: str) -> str:
    """The text of an incoming SMS from smsbox's %b, %c and %C."""
    charset = (charset or "").strip().lower()
    if coding == "2" or charset in ("utf-16be", "ucs-2", "ucs2"):
        return raw.decode("utf-16-be", errors="replace")
    for name in (charset if charset not in ("", "gsm", "binary") else "utf-8", "utf-8"):
        try:
            return raw.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("cp1252", errors="replace")


def key_of(kind: str, params: dict) -> str:
    """What makes two callbacks the same one (Kannel retrying it)."""
    if kind == "mo" and params.get("id"):
        return f"mo:{params['id']}"
    if kind == "dlr":
        fields = [params.get(k, "") for k in ("route", "message", "part", "attempt", "status", "foreign")]
        return "dlr:" + ":".join(fields)
    digest = hashlib.sha256(repr(sorted(params.items())).encode()).hexdigest()
    return f"{kind}:{digest}"


def interpret(kind: str, params: dict):
    """A stored callback as the seam's event: DeliveryReport (with the box's ids) or Incoming."""
    if kind == "mo":
        return Incoming(phone=params.get("from", ""), text=params.get("text", ""),
                        time=_float(params.get("time")))
    value = int(params.get("status") or 0)
    ids = {"message": int(params["message"]), "part": int(params["part"]), "attempt": int(params["attempt"])}
    if value & kconf.DLR_DELIVERED:
        status = "delivered"
    elif value & (kconf.DLR_FAILED | kconf.DLR_SMSC_NACK):
        status = "failed"
    elif value & kconf.DLR_BUFFERED:
        status = "pending"
    else:
        status = "accepted"                 # by the SMSC: the part is on its way, nothing to change
    return DeliveryReport(reference=f"{ids['message']}.{ids['part']}.{ids['attempt']}",
                          phone=params.get("phone", ""), status=status, raw_status=value, ids=ids)


def failure_reason(params: dict) -> tuple[str, int | None]:
    """French reason (the words inside « Non remis par le réseau (…) ») and code of a failed part, from
    the SMSC's answer."""
    answer = params.get("answer", "")
    nack = re.match(r"NACK/(0x[0-9a-fA-F]+|\d+)", answer)
    if nack:
        code = int(nack.group(1), 0)
        return f"refusé par l'opérateur, erreur SMPP {code:#04x}", code
    stat = re.search(r"stat:(\w+)", answer)
    err = re.search(r"err:(\w+)", answer)
    if stat:
        text = STAT_TEXT.get(stat.group(1).upper(), stat.group(1))
        code = int(err.group(1)) if err and err.group(1).isdigit() else None
        detail = f", erreur {err.group(1)}" if err else ""
        return f"{text}{detail}", code
    return "échec définitif selon l'opérateur", None


def _float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _flag_second_acceptance(route: str, params: dict) -> None:
    """One part accepted twice by the SMSC under two of its ids: Kannel sent it twice (it resends from its
    store file what it had not marked done when it was killed). The box cannot undo it: it says so."""
    prefix = "dlr:" + ":".join([route] + [params.get(k, "") for k in ("message", "part", "attempt")]) + ":"
    foreigns = {c.key.rsplit(":", 1)[1] for c in Callback.select(Callback.key)
                .where(Callback.key.startswith(prefix) & (Callback.outcome == "accepted"))
                if c.key[len(prefix):].split(":", 1)[0] == str(kconf.DLR_SMSC_ACK)}
    if len(foreigns) > 1:
        log.warning("message %s partie %s envoyé %d fois par Kannel (redémarrage) : doublon possible",
                    params.get("message"), params.get("part"), len(foreigns))
        Message.update(possible_duplicate=True).where(Message.id == int(params["message"])).execute()


def flag_resent(route: str, since: float, before: float) -> int:
    """Kannel restarted at ``before``: what it had been given since ``since`` and had not seen accepted by
    the SMSC (no report of any kind before the restart) it sends again from its store file, and some of it
    may have gone out already. Those messages are flagged « doublon possible »; returns how many."""
    prefix = f"dlr:{route}:"
    reported = set()
    for (key,) in (Callback.select(Callback.key)
                   .where((Callback.kind == "dlr") & Callback.key.startswith(prefix)
                          & (Callback.received_at < before)).tuples()):
        reported.add(tuple(key[len(prefix):].split(":")[:3]))
    ids = {message for message, number, attempt in
           Part.select(Part.message, Part.number, Part.attempt)
           .where((Part.modem == route) & (Part.sent_at >= since - 1) & (Part.sent_at < before)).tuples()
           if (str(message), str(number), str(attempt)) not in reported}
    if ids:
        Message.update(possible_duplicate=True).where(Message.id.in_(sorted(ids))).execute()
        log.warning("route %s : Kannel a redémarré, %d message(s) sans accusé du SMSC renvoyé(s) par Kannel : "
                    "doublons possibles", route, len(ids))
    return len(ids)


BATCH = 100                  # callbacks applied per transaction (one commit, one fsync, for a whole batch)


def apply_pending(limit: int = 500, window_hours: float = 72.0) -> dict:
    """Apply the stored callbacks whose turn has come: reports to their parts, SMS to the inbox, a batch
    per transaction. Returns counts by outcome ("inbox" > 0: the inbox has work)."""
    done = {}
    rows = callbacks.due(limit)
    for start in range(0, len(rows), BATCH):
        with database.atomic():
            for row in rows[start:start + BATCH]:
                outcome = _apply_one(row, window_hours)
                if outcome:
                    done[outcome] = done.get(outcome, 0) + 1
    return done


def _apply_one(row, window_hours: float) -> str | None:
    try:
        with database.atomic():             # a savepoint: a row that fails leaves the batch whole
            return _apply(row, callbacks.params(row), window_hours)
    except (KeyError, ValueError) as e:
        log.warning("rappel Kannel %d illisible (%s) : ignoré", row.id, e)
        callbacks.claim(row, "ignored")
        return "ignored"
    except Exception:
        log.exception("rappel Kannel %d non appliqué : nouvel essai plus tard", row.id)
        callbacks.later(row, 30.0)
        return None


def _apply(row, params: dict, window_hours: float) -> str | None:
    event = interpret(row.kind, params)
    route = params.get("route") or params.get("smsc") or "kannel"
    with database.atomic():
        if isinstance(event, Incoming):
            if not callbacks.claim(row, "inbox"):
                return None
            inbox.store_incoming(route, event.phone, event.text, event.time)
            return "inbox"
        if event.status == "accepted":
            if not callbacks.claim(row, "accepted"):
                return None
            _flag_second_acceptance(route, params)
            return "accepted"
        part = reports.find_part(route, event, row.received_at, window_hours)
        if part is None:
            if time.time() - row.received_at <= GIVE_UP_HOURS * 3600:
                callbacks.later(row)        # the worker records its parts just after their submission
                return None
            if not callbacks.claim(row, "unmatched"):
                return None
            reports.match(route, event, received_at=row.received_at, window_hours=window_hours)
            return "unmatched"
        if not callbacks.claim(row, "matched"):
            return None
        code = None
        if event.status == "failed":
            event.detail, code = failure_reason(params)
        reports.match(route, event, received_at=row.received_at, window_hours=window_hours)
        if code is not None:
            (Message.update(error_code=code)
             .where((Message.id == part.message_id) & (Message.state == "failed")).execute())
        return "matched"
