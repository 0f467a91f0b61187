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

from vigie.daemon.core import callbacks, outbox
from vigie.daemon.core.models import InboundSms, database
from vigie.daemon.transport.base import DeliveryReport, Incoming
from vigie.daemon.transport.kannel import conf as kconf

log = logging.getLogger(__name__)

GIVE_UP_HOURS = 72.0         # a report whose part never shows up is kept as unmatched after this

TP_DELIVERED, TP_PENDING, TP_FAILED = 0x00, 0x20, 0x40
STAT_TEXT = {"UNDELIV": "non remis", "EXPIRED": "délai de validité dépassé", "DELETED": "supprimé",
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
    """French reason and code of a failed part, from the SMSC's answer."""
    answer = params.get("answer", "")
    nack = re.match(r"NACK/(0x[0-9a-fA-F]+|\d+)", answer)
    if nack:
        code = int(nack.group(1), 0)
        return f"Refusé par l'opérateur (erreur SMPP {code:#04x}).", code
    stat = re.search(r"stat:(\w+)", answer)
    err = re.search(r"err:(\w+)", answer)
    if stat:
        text = STAT_TEXT.get(stat.group(1).upper(), stat.group(1))
        code = int(err.group(1)) if err and err.group(1).isdigit() else None
        detail = f", erreur {err.group(1)}" if err else ""
        return f"Non remis par le réseau de l'opérateur ({text}{detail}).", code
    return "Non remis par le réseau de l'opérateur.", None


def _float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def apply_pending(limit: int = 500) -> dict:
    """Apply the stored callbacks whose turn has come: reports to their parts, SMS to the inbox.
    Returns counts by outcome ("inbox" > 0: the inbox has work)."""
    done = {}
    for row in callbacks.due(limit):
        params = callbacks.params(row)
        try:
            outcome = _apply(row, params)
        except (KeyError, ValueError) as e:
            log.warning("rappel Kannel %d illisible (%s) : ignoré", row.id, e)
            with database.atomic():
                callbacks.claim(row, "ignored")
            outcome = "ignored"
        if outcome:
            done[outcome] = done.get(outcome, 0) + 1
    return done


def _apply(row, params: dict) -> str | None:
    event = interpret(row.kind, params)
    with database.atomic():
        if isinstance(event, Incoming):
            if not callbacks.claim(row, "inbox"):
                return None
            InboundSms.create(modem=params.get("route") or params.get("smsc") or "kannel", phone=event.phone,
                              text=event.text, sms_time=event.time)
            return "inbox"
        if event.status == "accepted":
            return "accepted" if callbacks.claim(row, "accepted") else None
        ids = event.ids
        tp = {"delivered": TP_DELIVERED, "pending": TP_PENDING, "failed": TP_FAILED}[event.status]
        reason, code = failure_reason(params) if event.status == "failed" else (None, None)
        part = outbox.report_part(ids["message"], ids["attempt"], ids["part"], event.status, tp_status=tp,
                                  received_at=row.received_at, reason=reason, code=code)
        if part is not None:
            return "matched" if callbacks.claim(row, "matched") else None
        if time.time() - row.received_at > GIVE_UP_HOURS * 3600:
            log.warning("accusé Kannel sans partie correspondante : message %s partie %s essai %s",
                        ids["message"], ids["part"], ids["attempt"])
            return "unmatched" if callbacks.claim(row, "unmatched") else None
        callbacks.later(row)
        return None
