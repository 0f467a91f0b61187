"""Incoming SMS: STOP and START honoured automatically, everything else kept for the operators.

A transport's worker stores each complete SMS (``store_incoming`` reassembles concatenated ones)
with ``kind == ""``; ``handle_pending()`` classifies it. A row is
claimed by compare-and-set on ``kind``, so two callers never answer the same SMS twice.
"""

import logging
import re
import time
import unicodedata

from vigie.daemon.core import acks, audit, outbox
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Contact, InboundPart, InboundSms, Member, OptOut, database
from vigie.daemon.core.reference import validate

log = logging.getLogger(__name__)

STOP_WORDS = {"stop", "stopp", "arret", "arreter", "arrete", "arretez", "desinscription", "desinscrire",
              "desinscrivez", "desabonner", "desabonnement", "desabonnez", "unsubscribe", "stopsms",
              "stopalerte", "stopalertes", "fin", "supprimer", "radier"}
START_WORDS = {"start", "demarrer", "demarrage", "reprise", "reprendre", "reinscription", "reinscrire",
               "subscribe", "restart"}
# Words that may follow the keyword ("STOP ALERTES", "stop svp merci") without making it a report.
FILLER = {"alerte", "alertes", "sms", "svp", "merci", "vigientreprise", "gendarmerie", "les", "des",
          "moi", "please", "stp", "message", "messages", "a", "au", "aux", "bien", "vigie", "entreprise"}

STOP_REPLY = ("Vigientreprise : vous ne recevrez plus d'alertes de la gendarmerie. "
              "Répondez START pour vous réinscrire.")
START_REPLY = ("Vigientreprise : vous recevrez de nouveau les alertes de la gendarmerie. "
               "Répondez STOP pour ne plus les recevoir.")
KINDS = ("stop", "start", "ack", "incident", "unknown")
KIND_LABELS = {"stop": "désinscription", "start": "réinscription", "ack": "accusé de lecture",
               "incident": "signalement", "unknown": "numéro inconnu", "": "à traiter"}


def store_incoming(transport: str, phone: str, text: str, sms_time: float | None = None,
                   concat: tuple | None = None) -> InboundSms | None:
    """Store an incoming SMS received by ``transport``; a concatenated one (``concat`` is its
    (reference, part count, part number)) is stored once all its parts are in."""
    with database.atomic():
        if concat is None or concat[1] <= 1:
            return InboundSms.create(modem=transport, phone=phone, text=text, sms_time=sms_time)
        ref, count, number = concat
        (InboundPart.insert(modem=transport, phone=phone, ref=ref, number=number, count=count, text=text)
         .on_conflict_ignore().execute())
        parts = list(InboundPart.select().where((InboundPart.phone == phone) & (InboundPart.ref == ref)
                                                & (InboundPart.count == count))
                     .order_by(InboundPart.number))
        if len({p.number for p in parts}) < count:
            return None
        whole = "".join(p.text for p in parts)
        InboundPart.delete().where(InboundPart.id.in_([p.id for p in parts])).execute()
        return InboundSms.create(modem=transport, phone=phone, text=whole, sms_time=sms_time)


def words(text: str) -> list[str]:
    """Lower case, accents and punctuation removed, split in words."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.findall(r"[a-z0-9]+", text)


def command(text: str) -> str | None:
    """'stop', 'start' or None: a keyword possibly followed by polite filler, nothing more."""
    tokens = words(text)
    if not tokens:
        return None
    joined = "".join(tokens)
    if joined in STOP_WORDS:
        return "stop"
    if joined in START_WORDS:
        return "start"
    head, rest = tokens[0], tokens[1:]
    if len(rest) > 3 or any(w not in FILLER and w != head for w in rest):
        return None
    if head in STOP_WORDS:
        return "stop"
    if head in START_WORDS:
        return "start"
    return None


def normalise_phone(phone: str) -> str:
    """E.164 when it is a mobile number; otherwise (short code, sender name) as received."""
    try:
        return validate.mobile_phone(phone, allow_foreign=True)     # a foreign sender is still heard
    except InvalidInput:
        return phone


def member_for(phone: str) -> Member | None:
    """The member owning that phone, an active one first."""
    rows = list(Member.select().join(Contact).where(Contact.phone == phone)
                .order_by((Member.status != "active"), Member.id))
    return rows[0] if rows else None


def _claim(sms: InboundSms, kind: str, member: Member | None) -> bool:
    return bool(InboundSms.update(kind=kind, member=member.id if member else None, handled_at=time.time())
                .where((InboundSms.id == sms.id) & (InboundSms.kind == "")).execute())


def handle(sms: InboundSms, settings) -> str | None:
    """Classify one stored SMS; returns its kind, None if another caller took it."""
    phone = normalise_phone(sms.phone)
    member = member_for(phone)
    what = command(sms.text)
    expiry = time.time() + 24 * 3600
    max_attempts = settings.daemon.max_attempts if settings else 5
    with database.atomic("IMMEDIATE"):
        if what == "stop":
            if not _claim(sms, "stop", member):
                return None
            if OptOut.get_or_none(OptOut.phone == phone) is None:
                OptOut.create(phone=phone, source="sms")
                outbox.enqueue(phone, STOP_REPLY, member=member.id if member else None,
                               expires_at=expiry, max_attempts=max_attempts)
                audit.record(f"sms:{phone}", "optout.stop", phone, {"text": sms.text[:160]})
            return "stop"
        if what == "start":
            if not _claim(sms, "start", member):
                return None
            removed = OptOut.delete().where(OptOut.phone == phone).execute()
            if removed:
                outbox.enqueue(phone, START_REPLY, member=member.id if member else None,
                               expires_at=expiry, max_attempts=max_attempts)
                audit.record(f"sms:{phone}", "optout.start", phone, {"text": sms.text[:160]})
            return "start"
        if acks.is_ack(words(sms.text)):
            # « OK » to an alert that asked for it; an OK nobody asked for stays a report
            if acks.acknowledge(phone, at=sms.received_at) is not None:
                return "ack" if _claim(sms, "ack", member) else None
        kind = "incident" if member is not None else "unknown"
        if not _claim(sms, kind, member):
            return None
        return kind


def handle_pending(settings) -> int:
    """Classify every stored SMS not yet handled; returns how many were."""
    handled = 0
    for sms in list(InboundSms.select().where(InboundSms.kind == "").order_by(InboundSms.id)):
        kind = handle(sms, settings)
        if kind is not None:
            handled += 1
            log.info("SMS reçu de %s classé « %s »", sms.phone, KIND_LABELS[kind])
    return handled


def incidents(limit: int = 50) -> list[InboundSms]:
    """The latest reports sent by members (what is not STOP or START)."""
    return list(InboundSms.select().where(InboundSms.kind == "incident")
                .order_by(InboundSms.received_at.desc(), InboundSms.id.desc()).limit(limit))


def messages(kind: str | None = None, limit: int = 50, offset: int = 0) -> list[InboundSms]:
    query = InboundSms.select().order_by(InboundSms.received_at.desc(), InboundSms.id.desc())
    if kind is not None:
        if kind not in KINDS and kind != "":
            raise InvalidInput(f"Type inconnu : « {kind} » (stop, start, incident ou unknown).", "kind")
        query = query.where(InboundSms.kind == kind)
    return list(query.offset(offset).limit(limit))


def as_dict(sms: InboundSms) -> dict:
    member = Member.get_or_none(Member.id == sms.member_id) if sms.member_id else None
    return {"id": sms.id, "phone": sms.phone, "text": sms.text, "kind": sms.kind,
            "kind_label": KIND_LABELS.get(sms.kind, sms.kind), "received_at": sms.received_at,
            "sms_time": sms.sms_time, "modem": sms.modem, "member": member.name if member else "",
            "siret": (member.siret or "") if member else "", "member_id": sms.member_id}
