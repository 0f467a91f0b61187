"""Incoming SMS: STOP and START honoured automatically, everything else kept for the operators.

A transport's worker stores each complete SMS (``store_incoming`` reassembles concatenated ones)
with ``kind == ""``; ``handle_pending()`` classifies it. A row is
claimed by compare-and-set on ``kind``, so two callers never answer the same SMS twice.
"""

import logging
import re
import time
import unicodedata

import phonenumbers

from vigie.daemon.core import acks, audit, outbox
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import Contact, InboundPart, InboundSms, Member, Message, OptOut, database
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
# A confirmation goes only where an SMS costs the normal price: mobiles of metropolitan France and of
# the overseas departments and territories. Never to a short code (3xxxx–8xxxx: the sender bills
# the box for each SMS it receives), an alphanumeric sender or a foreign number.
REPLY_REGIONS = {"FR", "GP", "GF", "MQ", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF"}
# At most this many confirmations to one phone in REPLY_WINDOW_SECONDS: an automatic responder
# answering our confirmation with STOP / START never makes a loop.
REPLY_LIMIT = 2
REPLY_WINDOW_SECONDS = 24 * 3600
STOP_CANCEL_REASON = "Annulé : le destinataire a répondu STOP avant l'envoi."
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


def can_reply(phone: str) -> bool:
    """Whether a STOP/START confirmation may be sent to ``phone`` (an E.164 mobile, French or overseas)."""
    if not re.fullmatch(r"\+\d{8,15}", phone or ""):
        return False
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return (phonenumbers.is_valid_number(number)
            and phonenumbers.region_code_for_number(number) in REPLY_REGIONS
            and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE)


def _recent_replies(phone: str, now: float) -> int:
    return (Message.select().where((Message.phone == phone) & Message.alert.is_null()
                                   & Message.text.in_([STOP_REPLY, START_REPLY])
                                   & (Message.created_at > now - REPLY_WINDOW_SECONDS)).count())


def _confirm(phone: str, text: str, member: Member | None, settings, why: str) -> bool:
    """Queue a STOP/START confirmation if ``phone`` may receive one; says in the journal when not."""
    now = time.time()
    if not can_reply(phone):
        log.info("pas de confirmation %s à %s : ni mobile français ni d'outre-mer (numéro court, "
                 "expéditeur alphanumérique ou étranger)", why, phone)
        return False
    if _recent_replies(phone, now) >= REPLY_LIMIT:
        log.warning("pas de confirmation %s à %s : déjà %d confirmations en 24 h (répondeur automatique ?)",
                    why, phone, REPLY_LIMIT)
        return False
    outbox.enqueue(phone, text, member=member.id if member else None, expires_at=now + 24 * 3600,
                   max_attempts=settings.daemon.max_attempts if settings else 5)
    return True


def cancel_waiting(phone: str) -> int:
    """A STOP: what still waits for that phone (queued, or waiting for a retry) is not sent."""
    now = time.time()
    return (Message.update(state=outbox.State.CANCELLED.value, finished_at=now, changed_at=now,
                           error=STOP_CANCEL_REASON)
            .where((Message.phone == phone)
                   & Message.state.in_([s.value for s in outbox.WAITING])).execute())


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
    with database.atomic("IMMEDIATE"):
        if what == "stop":
            if not _claim(sms, "stop", member):
                return None
            cancelled = cancel_waiting(phone)
            if cancelled:
                log.info("STOP de %s : %d message(s) en attente annulé(s)", phone, cancelled)
            if OptOut.get_or_none(OptOut.phone == phone) is None:
                OptOut.create(phone=phone, source="sms")
                replied = _confirm(phone, STOP_REPLY, member, settings, "de désinscription")
                audit.record(f"sms:{phone}", "optout.stop", phone,
                             {"text": sms.text[:160], "cancelled": cancelled, "confirmation": replied},
                             count=cancelled)
            elif cancelled:
                audit.record(f"sms:{phone}", "optout.stop", phone,
                             {"text": sms.text[:160], "cancelled": cancelled, "confirmation": False},
                             count=cancelled)
            return "stop"
        if what == "start":
            if not _claim(sms, "start", member):
                return None
            removed = OptOut.delete().where(OptOut.phone == phone).execute()
            if removed:
                replied = _confirm(phone, START_REPLY, member, settings, "de réinscription")
                audit.record(f"sms:{phone}", "optout.start", phone,
                             {"text": sms.text[:160], "confirmation": replied})
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


# What operators read and act on: reports from members, and SMS from numbers no member has.
REPORT_KINDS = ("incident", "unknown")
REPLY_MAX_PARTS = 3
REPLY_HOURS = 24


def reports(limit: int = 8) -> list[InboundSms]:
    """The latest reports, a member's or an unknown sender's, newest first."""
    return list(InboundSms.select().where(InboundSms.kind.in_(REPORT_KINDS))
                .order_by(InboundSms.received_at.desc(), InboundSms.id.desc()).limit(limit))


def unread_count() -> int:
    """Reports nobody has marked « traité » yet (the menu's « Messages reçus (3) »)."""
    return (InboundSms.select().where(InboundSms.kind.in_(REPORT_KINDS) & InboundSms.treated_at.is_null(True))
            .count())


def set_treated(sms_id: int, actor: str, treated: bool = True) -> InboundSms:
    """Mark a received SMS « traité » (or back to « à traiter »), in the journal."""
    sms = InboundSms.get_or_none(InboundSms.id == sms_id)
    if sms is None:
        raise NotFound(f"Message reçu n° {sms_id} introuvable.")
    with database.atomic():
        if treated:
            changed = (InboundSms.update(treated_at=time.time(), treated_by=actor)
                       .where((InboundSms.id == sms_id) & InboundSms.treated_at.is_null(True)).execute())
        else:
            changed = (InboundSms.update(treated_at=None, treated_by="")
                       .where((InboundSms.id == sms_id) & InboundSms.treated_at.is_null(False)).execute())
        if changed:
            audit.record(actor, "inbox.treated" if treated else "inbox.reopened", sms.phone,
                         {"message": sms_id, "text": sms.text[:160]})
    return InboundSms.get_by_id(sms_id)


def reply(sms_id: int, text: str, actor: str, settings=None) -> Message:
    """Answer a received SMS: one SMS to its sender through the outbox, in the journal.

    Refused (InvalidInput) for a phone that answered STOP, a number that cannot receive an SMS at the
    normal price (short code, sender name, foreign), an empty or too long text."""
    from vigie.daemon.core.reference import smstext

    sms = InboundSms.get_or_none(InboundSms.id == sms_id)
    if sms is None:
        raise NotFound(f"Message reçu n° {sms_id} introuvable.")
    phone = normalise_phone(sms.phone)
    body = str(text or "").strip()
    if not body:
        raise InvalidInput("Écrivez le texte de la réponse.", "text")
    info = smstext.analyze(body)
    if info.parts > REPLY_MAX_PARTS:
        raise InvalidInput(f"Réponse trop longue : {info.parts} SMS ({REPLY_MAX_PARTS} au plus).", "text")
    if OptOut.get_or_none(OptOut.phone == phone) is not None:
        from vigie.daemon.core.memberfile import national
        raise InvalidInput(f"Le {national(phone)} a répondu STOP : ce numéro ne reçoit plus aucun SMS de la box "
                           "(il peut se réinscrire en répondant START).", "phone")
    if not can_reply(phone):
        raise InvalidInput(f"Le numéro « {sms.phone} » ne peut pas recevoir de réponse (numéro court, "
                           "expéditeur alphanumérique ou numéro étranger).", "phone")
    with database.atomic():
        message = outbox.enqueue(phone, body, member=sms.member_id, expires_at=time.time() + REPLY_HOURS * 3600,
                                 max_attempts=settings.daemon.max_attempts if settings else 5,
                                 parts=info.parts)
        audit.record(actor, "inbox.reply", phone, {"message": sms_id, "text": body[:160]})
    return message


def incidents(limit: int = 50) -> list[InboundSms]:
    """The latest reports sent by members (what is not STOP or START)."""
    return list(InboundSms.select().where(InboundSms.kind == "incident")
                .order_by(InboundSms.received_at.desc(), InboundSms.id.desc()).limit(limit))


def _messages_query(kind: str | None = None, follow: str | None = None):
    query = InboundSms.select()
    if kind is not None:
        if kind not in KINDS and kind != "":
            raise InvalidInput(f"Type inconnu : « {kind} » (stop, start, incident ou unknown).", "kind")
        query = query.where(InboundSms.kind == kind)
    if follow == "a-traiter":        # reports nobody has dealt with yet
        query = query.where(InboundSms.kind.in_(REPORT_KINDS) & InboundSms.treated_at.is_null(True))
    elif follow == "traites":
        query = query.where(InboundSms.treated_at.is_null(False))
    return query


def messages(kind: str | None = None, limit: int = 50, offset: int = 0, follow: str | None = None) -> list[InboundSms]:
    """Received SMS, newest first; ``follow`` is "a-traiter" (reports not yet « traité ») or "traites"."""
    query = _messages_query(kind, follow).order_by(InboundSms.received_at.desc(), InboundSms.id.desc())
    return list(query.offset(offset).limit(limit))


def messages_count(kind: str | None = None, follow: str | None = None) -> int:
    return _messages_query(kind, follow).count()


def as_dict(sms: InboundSms) -> dict:
    member = Member.get_or_none(Member.id == sms.member_id) if sms.member_id else None
    return {"id": sms.id, "phone": sms.phone, "text": sms.text, "kind": sms.kind,
            "kind_label": KIND_LABELS.get(sms.kind, sms.kind), "received_at": sms.received_at,
            "sms_time": sms.sms_time, "modem": sms.modem, "member": member.name if member else "",
            "siret": (member.siret or "") if member else "", "member_id": sms.member_id,
            "treated_at": sms.treated_at, "treated_by": sms.treated_by or "", "treated": sms.treated_at is not None,
            "replies": _replies(sms)}


def _replies(sms: InboundSms) -> int:
    """How many answers were queued to that sender since the SMS came (operators' replies)."""
    if not sms.phone.startswith("+"):
        return 0
    return (Message.select().where((Message.phone == sms.phone) & Message.alert.is_null(True)
                                   & (Message.created_at >= sms.received_at)
                                   & Message.text.not_in([STOP_REPLY, START_REPLY])).count())
