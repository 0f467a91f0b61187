"""Member establishments and their mobile phones: validated once here, for the CLI, the console and imports."""

import re
import time

import peewee as pw

from vigie.daemon.core import audit, outbox, sectors, zones
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import (
    ApiToken,
    AuditLog,
    Commune,
    Contact,
    InboundSms,
    Member,
    Message,
    OptOut,
    Session,
    User,
    database,
)
from vigie.daemon.core.reference import naf, validate

ERASED = "effacé"     # what replaces an erased member's phone in the history
STATUSES = ("active", "suspended", "left", "erased")
STATUS_LABELS = {"active": "actif", "suspended": "suspendu", "left": "parti", "erased": "effacé"}
# Accepted spellings in files and on the command line.
STATUS_WORDS = {
    "active": "active", "actif": "active", "adherent": "active", "": "active",
    "suspended": "suspended", "suspendu": "suspended", "suspendue": "suspended", "pause": "suspended",
    "left": "left", "parti": "left", "partie": "left", "resilie": "left", "resiliee": "left",
    "radie": "left", "radiee": "left", "sorti": "left",
}
TEXT_LIMITS = {"name": 200, "sign": 200, "contact": 120, "address": 300, "notes": 2000,
               "consent_channel": 60, "consent_version": 60}


def _text(value, field: str, label: str, required: bool = False) -> str:
    value = " ".join(str(value or "").split()) if field != "notes" else str(value or "").strip()
    if required and not value:
        raise InvalidInput(f"{label} est obligatoire.", field)
    if len(value) > TEXT_LIMITS.get(field, 200):
        raise InvalidInput(f"{label} est trop long ({len(value)} caractères, {TEXT_LIMITS[field]} au plus).", field)
    return value


def _as(field: str, func, value):
    """Run a validator and make its error name our field."""
    try:
        return func(value)
    except InvalidInput as e:
        raise InvalidInput(e.message, field) from None


def _ascii_fold(text: str) -> str:
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def clean_status(value) -> str:
    word = _ascii_fold(str(value or "")).strip()
    if word not in STATUS_WORDS:
        raise InvalidInput(f"Statut « {value} » inconnu (actif, suspendu ou parti).", "status")
    return STATUS_WORDS[word]


def clean_consent_date(value) -> str:
    import datetime
    value = str(value or "").strip()
    if not value:
        return ""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"):
        try:
            day = datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if day > datetime.date.today():
            raise InvalidInput(f"Date de consentement dans le futur : « {value} ».", "consent_date")
        return day.isoformat()
    raise InvalidInput(f"Date de consentement « {value} » illisible (attendu JJ/MM/AAAA ou AAAA-MM-JJ).",
                       "consent_date")


def clean_phones(phones) -> list[str]:
    """Mobile numbers in E.164, duplicates dropped; at least one."""
    if isinstance(phones, str):
        phones = [phones]
    result = []
    for cell in phones or []:
        for phone in _as("phone", validate.phones, cell) if cell and str(cell).strip() else []:
            if phone not in result:
                result.append(phone)
    if not result:
        raise InvalidInput("Indiquez au moins un numéro de mobile.", "phone")
    return result


NAF_FIELDS = {"naf": None, "naf_rev2": naf.REV2, "naf_2025": naf.NAF2025}   # field -> nomenclature it says
NAF_COLUMNS = {naf.REV2: "naf", naf.NAF2025: "naf_2025"}                   # nomenclature -> Member column


def clean_naf(fields: dict, *, partial: bool = False) -> dict:
    """The member's APE codes from ``naf`` (either nomenclature, recognised), ``naf_rev2`` and ``naf_2025``
    (said): {"naf": rév. 2 code, "naf_2025": NAF 2025 code}, only the keys given when ``partial``.

    A blank said field clears that code; at least one code is required unless ``allow_blank_naf``
    or ``partial``. Raises InvalidInput naming the field.
    """
    out = {}
    origin = {}
    for key, said in NAF_FIELDS.items():
        if key not in fields and (partial or key != "naf"):
            continue
        value = str(fields.get(key) or "").strip()
        if not value:
            if said is not None:
                out.setdefault(NAF_COLUMNS[said], "")
            continue
        nomenclature, code = _as(key, lambda v, s=said: validate.naf_activity(v, s), value)
        column = NAF_COLUMNS[nomenclature]
        if out.get(column) and out[column] != code:
            raise InvalidInput(f"Deux codes {naf.nomenclature_name(nomenclature)} différents : {out[column]} "
                               f"(« {origin[column]} ») et {code} (« {key} »).", key)
        out[column], origin[column] = code, key
    if not partial and not any(out.values()) and not fields.get("allow_blank_naf"):
        raise InvalidInput("Le code NAF (APE) est obligatoire (NAF rév. 2 ou NAF 2025).", "naf")
    if not partial:
        out = {"naf": out.get("naf", ""), "naf_2025": out.get("naf_2025", "")}
    return out


def clean(fields: dict, *, partial: bool = False) -> dict:
    """Validate and normalise member fields; ``partial`` checks only the keys given.

    Keys: siret, name, sign, naf (either nomenclature), naf_rev2, naf_2025, commune, phones, chamber,
    contact, email, address, notes, consent_date, consent_channel, consent_version, status. Raises InvalidInput naming the field.
    """
    out = {}
    def given(key):
        return key in fields or not partial

    if given("siret"):
        out["siret"] = _as("siret", validate.siret, fields.get("siret") or "")
    if given("name"):
        out["name"] = _text(fields.get("name"), "name", "Le nom (raison sociale)", required=True)
    if given("sign"):
        out["sign"] = _text(fields.get("sign"), "sign", "L'enseigne")
    if given("naf") or given("naf_rev2") or given("naf_2025"):
        out.update(clean_naf(fields, partial=partial))
    if given("commune"):
        value = str(fields.get("commune") or "").strip()
        if not value and fields.get("allow_blank_commune"):
            out["commune"] = None
        else:
            if not value:
                raise InvalidInput("La commune (code INSEE) est obligatoire.", "commune")
            out["commune"] = _as("commune", validate.insee_code, value)
    if given("phones"):
        out["phones"] = clean_phones(fields.get("phones"))
    if given("chamber"):
        out["chamber"] = _as("chamber", validate.chamber, fields.get("chamber") or "")
    if given("contact"):
        out["contact"] = _text(fields.get("contact"), "contact", "Le nom du contact")
    if given("email"):
        value = str(fields.get("email") or "").strip()
        out["email"] = _as("email", validate.email, value) if value else ""
    if given("address"):
        out["address"] = _text(fields.get("address"), "address", "L'adresse")
    if given("notes"):
        out["notes"] = _text(fields.get("notes"), "notes", "Les notes")
    if given("consent_date"):
        out["consent_date"] = clean_consent_date(fields.get("consent_date"))
    if given("consent_channel"):
        out["consent_channel"] = _text(fields.get("consent_channel"), "consent_channel", "Le canal de consentement")
    if given("consent_version"):
        out["consent_version"] = _text(fields.get("consent_version"), "consent_version", "La version de la notice")
    if "test_group" in fields:
        out["test_group"] = _as("test_group", validate_yes_no, fields.get("test_group"))
    if given("status"):
        status = clean_status(fields.get("status") or "active")
        if status == "erased":
            raise InvalidInput("Le statut « effacé » ne s'obtient que par l'effacement.", "status")
        out["status"] = status
    return out


def _write_contacts(member: Member, phones: list[str], contact_name: str) -> None:
    Contact.delete().where(Contact.member == member.id).execute()
    Contact.insert_many([{"member": member.id, "phone": p, "name": contact_name if i == 0 else "",
                          "position": i} for i, p in enumerate(phones)]).execute()


MEMBER_FIELDS = ("siret", "name", "sign", "naf", "naf_2025", "commune", "chamber", "address", "email", "notes",
                 "consent_date", "consent_channel", "consent_version", "status", "test_group")


def validate_yes_no(value) -> bool:
    """oui/non, yes/no, 1/0, true/false (a real bool passes)."""
    if isinstance(value, bool):
        return value
    text = _ascii_fold(str(value or "")).strip().lower()
    if text in ("oui", "o", "yes", "y", "1", "true", "vrai"):
        return True
    if text in ("non", "n", "no", "0", "false", "faux", ""):
        return False
    raise InvalidInput(f"Valeur « {value} » : répondez oui ou non.")


def add(*, siret, name, naf="", commune, phones: list[str], sign="", chamber="", contact="", email="",
        address="", notes="", consent_date="", consent_channel="", consent_version="",
        status="active", actor: str, naf_rev2="", naf_2025="") -> Member:
    """Register a member; refused (InvalidInput naming the field) when anything is wrong.

    ``naf`` is an APE code in either nomenclature (recognised); ``naf_rev2`` / ``naf_2025`` say theirs."""
    data = clean(dict(siret=siret, name=name, naf=naf, naf_rev2=naf_rev2, naf_2025=naf_2025,
                      commune=commune, phones=phones, sign=sign,
                      chamber=chamber, contact=contact, email=email, address=address, notes=notes,
                      consent_date=consent_date, consent_channel=consent_channel,
                      consent_version=consent_version, status=status))
    with database.atomic("IMMEDIATE"):
        return _insert(data, actor)


def _insert(data: dict, actor: str, action: str = "member.add") -> Member:
    if Member.select().where(Member.siret == data["siret"]).exists():
        raise InvalidInput(f"Un adhérent a déjà le SIRET {data['siret']}.", "siret")
    now = time.time()
    member = Member.create(**{k: data[k] for k in MEMBER_FIELDS if k in data}, created_at=now, updated_at=now)
    _write_contacts(member, data["phones"], data.get("contact", ""))
    audit.record(actor, action, data["siret"], {"name": data["name"]})
    return member


def changes(member: Member, data: dict) -> list[str]:
    """The fields (and "phones") that ``data`` would change on ``member``."""
    changed = sorted(k for k in MEMBER_FIELDS if k in data and getattr(member, _attr(k)) != data[k])
    current = contacts(member)
    if "phones" in data and data["phones"] != [c.phone for c in current]:
        changed.append("phones")
    if "contact" in data and data["contact"] != (current[0].name if current else ""):
        changed.append("contact")
    return changed


def _apply(member: Member, data: dict, actor: str, action: str = "member.update") -> list[str]:
    """Write ``data`` on ``member``; returns the changed fields (nothing written when none)."""
    if "siret" in data and data["siret"] != member.siret:
        other = Member.get_or_none(Member.siret == data["siret"])
        if other is not None and other.id != member.id:
            raise InvalidInput(f"Un adhérent a déjà le SIRET {data['siret']}.", "siret")
    changed = changes(member, data)
    if not changed:
        return changed
    current = contacts(member)
    for key in MEMBER_FIELDS:
        if key in data:
            setattr(member, key, data[key])
    member.updated_at = time.time()
    member.save()
    if "phones" in changed or "contact" in changed:
        phones = data.get("phones") or [c.phone for c in current]
        name = data["contact"] if "contact" in data else (current[0].name if current else "")
        _write_contacts(member, phones, name)
    audit.record(actor, action, member.siret or str(member.id), {"fields": changed})
    return changed


def _attr(key: str) -> str:
    return "commune_id" if key == "commune" else key


def update(member_id: int, *, actor: str, phones: list[str] | None = None, **fields) -> Member:
    """Change some fields of a member (only those given); ``phones`` replaces all its numbers."""
    member = get(member_id)
    if member.status == "erased":
        raise InvalidInput("Cet adhérent a été effacé : il ne peut plus être modifié.", "status")
    unknown = set(fields) - set(MEMBER_FIELDS) - {"contact", "naf_rev2"}
    if unknown:
        raise InvalidInput(f"Champ inconnu : {', '.join(sorted(unknown))}.", sorted(unknown)[0])
    if phones is not None:
        fields["phones"] = phones
    data = clean(fields, partial=True)
    if not (data.get("naf", member.naf) or data.get("naf_2025", member.naf_2025)):
        raise InvalidInput("Le code NAF (APE) est obligatoire : gardez au moins le code NAF rév. 2 ou le "
                           "code NAF 2025.", "naf")
    with database.atomic("IMMEDIATE"):
        _apply(member, data, actor)
    return get(member.id)


def set_status(member_id, status: str, actor: str) -> Member:
    member = get(member_id)
    status = clean_status(status)
    if member.status == "erased":
        raise InvalidInput("Cet adhérent a été effacé : son statut ne peut plus changer.", "status")
    with database.atomic("IMMEDIATE"):
        Member.update(status=status, updated_at=time.time()).where(Member.id == member.id).execute()
        audit.record(actor, "member.status", member.siret, {"from": member.status, "to": status})
    member.status = status
    return member


def phone_forms(phone: str) -> list[str]:
    """The ways a stored or typed text may hold ``phone`` (E.164), longest first: +33612345678,
    0033612345678, 33612345678, 0612345678, 06 12 34 56 78, 06.12.34.56.78, 06-12-34-56-78, 612345678."""
    digits = phone.lstrip("+")
    forms = [phone, "00" + digits, digits]
    if phone.startswith("+33") and len(phone) == 12:
        national = "0" + phone[3:]
        pairs = [national[i:i + 2] for i in range(0, 10, 2)]
        forms += [national, " ".join(pairs), ".".join(pairs), "-".join(pairs), phone[3:]]
    return sorted(set(forms), key=len, reverse=True)


def _phone_pattern(phones: list[str]) -> re.Pattern:
    """Every form of ``phones``, never as a piece of a longer number (another member's SIRET, a
    reference): no digit right before or after."""
    forms = sorted({f for p in phones for f in phone_forms(p)}, key=len, reverse=True)
    return re.compile(r"(?<!\d)(?:" + "|".join(re.escape(f) for f in forms) + r")(?!\d)")


def _scrub_everywhere(phones: list[str]) -> int:
    """Replace every form of ``phones`` in every text column of every table: per-part records,
    delivery reports, incoming fragments, audit actors, targets and details, texts that quote the
    number. The STOP list is left alone (the number must stay unreachable), and so are contacts
    (the erased member's are gone; another member's shared number is theirs) and the tables of
    secrets (password hashes, session and token hashes: never a phone, and never to be altered)."""
    if not phones:
        return 0
    pattern = _phone_pattern(phones)
    forms = sorted({f for p in phones for f in phone_forms(p)})
    changed = 0
    # Every table in the file, those added by later migrations too (Kannel's callbacks, for one):
    # what SQLite says it holds, not a list kept by hand that a new table would escape.
    kept = {m._meta.table_name for m in (OptOut, Contact, User, Session, ApiToken)}
    tables = [r[0] for r in database.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall()]
    for table in tables:
        if table in kept:
            continue
        for _, column, sql_type, *_ in database.execute_sql(f'PRAGMA table_info("{table}")').fetchall():
            if not any(word in (sql_type or "").upper() for word in ("CHAR", "TEXT", "CLOB")):
                continue
            where = " OR ".join(f'instr("{column}", ?) > 0' for _ in forms)
            rows = database.execute_sql(f'SELECT rowid, "{column}" FROM "{table}" WHERE {where}', forms)
            for rowid, value in rows.fetchall():
                if not isinstance(value, str):
                    continue
                cleaned = pattern.sub(ERASED, value)
                if cleaned != value:
                    database.execute_sql(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', (cleaned, rowid))
                    changed += 1
    return changed


def _forget_old_pages() -> None:
    """What the erasure replaced must not survive in the file: freed space was zeroed (secure_delete);
    the journal's old copies of the pages are checkpointed into the file and the journal truncated
    (best effort: a reader holding an old snapshot delays it to a later checkpoint)."""
    try:
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except pw.OperationalError:
        pass


def erase(member_id, actor: str) -> Member:
    """Right to erasure: personal data deleted, anonymous counts kept.

    Contacts go, identifying fields are blanked, the SIRET is released, and the member's phones
    disappear from every table (outbox, per-part records, delivery reports, incoming SMS, audit),
    in every form, except from the STOP list when the member had answered STOP. Freed space is
    zeroed and the journal checkpointed, so the number is not left in the file's free pages.
    """
    member = get(member_id)
    if member.status == "erased":
        return member
    database.execute_sql("PRAGMA secure_delete = ON")
    try:
        _erase(member, actor)
    finally:
        database.execute_sql("PRAGMA secure_delete = OFF")
    _forget_old_pages()
    return Member.get_by_id(member.id)


def _erase(member: Member, actor: str) -> None:
    with database.atomic("IMMEDIATE"):
        # what has not gone out yet is cancelled: nobody should receive it after the erasure
        outbox.MESSAGES.move(outbox.State.CANCELLED, outbox.WAITING, Message.member == member.id,
                             error="Annulé : données de l'adhérent effacées.")
        phones = phones_of(member)
        shared = {row[0] for row in Contact.select(Contact.phone)
                  .where(Contact.phone.in_(phones) & (Contact.member != member.id)).tuples()}
        own = [p for p in phones if p not in shared]
        Message.update(phone=ERASED).where(
            (Message.member == member.id) | (Message.member.is_null() & Message.phone.in_(own))).execute()
        InboundSms.update(phone=ERASED, text="(effacé)").where(
            (InboundSms.member == member.id) | InboundSms.phone.in_(own)).execute()
        Contact.delete().where(Contact.member == member.id).execute()
        Member.update(name=f"Adhérent effacé n° {member.id}", sign="", address="", email="", notes="",
                      siret=None, status="erased", consent_date="", consent_channel="", consent_version="",
                      updated_at=time.time()).where(Member.id == member.id).execute()
        if member.siret:    # the trail keeps who did what, without naming the establishment
            AuditLog.update(target=f"adhérent n° {member.id}", detail="").where(
                AuditLog.target == member.siret).execute()
        _scrub_everywhere(own)
        audit.record(actor, "member.erase", f"adhérent n° {member.id}", {"phones": len(phones)})


def get(siret_or_id) -> Member:
    """A member by id (int) or SIRET (14 digits, spaces allowed)."""
    member = None
    if isinstance(siret_or_id, int):
        member = Member.get_or_none(Member.id == siret_or_id)
    else:
        text = "".join(str(siret_or_id or "").split())
        if text.isdigit() and len(text) == 14:
            member = Member.get_or_none(Member.siret == text)
        elif text.isdigit():
            member = Member.get_or_none(Member.id == int(text))
    if member is None:
        raise NotFound(f"Adhérent introuvable : « {siret_or_id} ».")
    return member


def contacts(member: Member) -> list[Contact]:
    return list(Contact.select().where(Contact.member == member.id).order_by(Contact.position, Contact.id))


def phones_of(member: Member) -> list[str]:
    return [c.phone for c in contacts(member)]


def search(text: str = "", *, naf=None, commune=None, zone=None, chamber=None, status=None,
           offset: int = 0, limit: int | None = 50) -> tuple[list[Member], int]:
    """Members matching every filter given, by name; returns (page, total).

    ``text`` matches name, sign, SIRET, commune name or a phone; ``naf`` is a selector or group
    name (or a list of them); ``status`` None means every status except erased.
    """
    query = Member.select()
    if text and text.strip():       # the commune's name is searched too; no join otherwise (a 7x faster count)
        query = query.join(Commune, join_type=pw.JOIN.LEFT_OUTER, on=(Member.commune == Commune.insee))
    if status:
        wanted = "erased" if status == "erased" else clean_status(status)
        query = query.where(Member.status == wanted)
    else:
        query = query.where(Member.status != "erased")
    if text and text.strip():
        term = text.strip()
        digits = "".join(c for c in term if c.isdigit())
        cond = (Member.name.contains(term) | Member.sign.contains(term) | Commune.name.contains(term))
        if len(digits) >= 4:
            cond |= Member.siret.contains(digits)
            tail = digits[-9:]
            cond |= Member.id.in_(Contact.select(Contact.member).where(Contact.phone.contains(tail)))
        query = query.where(cond)
    if naf:
        certain, _ = sector_conditions(sectors.reach([naf] if isinstance(naf, str) else naf))
        query = query.where(certain)
    if commune:
        codes = zones.clean_communes([commune] if isinstance(commune, str) else commune)
        query = query.where(Member.commune.in_(codes))
    if zone:
        query = query.where(Member.commune.in_(zones.communes_of(zone)))
    if chamber:
        query = query.where(Member.chamber == _as("chamber", validate.chamber, chamber))
    total = query.count()
    query = query.order_by(Member.name, Member.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(query), total


def _among(column, codes) -> pw.Expression:
    return column.in_(sorted(codes))       # peewee writes an empty IN as (0 = 1)


def sector_conditions(reach: naf.Reach) -> tuple[pw.Expression, pw.Expression]:
    """SQL conditions on Member for a sector criterion: (reached directly or through a single link,
    reached through a multiple link only). A member is judged on its code in the criterion's
    nomenclature; the correspondence is followed only for a member carrying no code in it."""
    rev2, new = naf.REV2, naf.NAF2025
    no_rev2, no_2025 = Member.naf == "", Member.naf_2025 == ""
    certain = (_among(Member.naf, reach.direct[rev2]) | _among(Member.naf_2025, reach.direct[new])
               | (no_2025 & _among(Member.naf, reach.single[rev2]))
               | (no_rev2 & _among(Member.naf_2025, reach.single[new])))
    multiple = ((no_2025 & _among(Member.naf, reach.multiple[rev2]))
                | (no_rev2 & _among(Member.naf_2025, reach.multiple[new])))
    return certain, multiple


def naf_of(member) -> list[dict]:
    """The member's APE codes, each with its nomenclature and label (what every page shows)."""
    result = []
    for nomenclature, column in NAF_COLUMNS.items():
        code = getattr(member, column) if not isinstance(member, dict) else member[column]
        if code:
            try:
                text = naf.label(code, nomenclature)
            except InvalidInput:
                text = ""
            result.append({"nomenclature": nomenclature, "nomenclature_name": naf.nomenclature_name(nomenclature),
                           "code": code, "label": text, "display": naf.display(code, nomenclature)})
    return result


_FETCH = object()


def as_dict(member: Member, commune=_FETCH, member_contacts: list[Contact] | None = None) -> dict:
    """A member for JSON outputs and the console (``as_dicts`` gives the commune and contacts of a page)."""
    if commune is _FETCH:
        commune = Commune.get_or_none(Commune.insee == member.commune_id) if member.commune_id else None
    cs = contacts(member) if member_contacts is None else member_contacts
    return {
        "id": member.id, "siret": member.siret, "name": member.name, "sign": member.sign,
        "naf": member.naf, "naf_2025": member.naf_2025, "naf_codes": naf_of(member),
        "commune": member.commune_id, "commune_name": commune.name if commune else "",
        "phones": [c.phone for c in cs], "contact": cs[0].name if cs else "", "chamber": member.chamber,
        "email": member.email, "address": member.address, "notes": member.notes,
        "status": member.status, "status_label": STATUS_LABELS.get(member.status, member.status),
        "consent_date": member.consent_date, "consent_channel": member.consent_channel,
        "consent_version": member.consent_version, "test_group": bool(member.test_group),
        "created_at": member.created_at,
        "updated_at": member.updated_at,
    }


def as_dicts(page: list[Member]) -> list[dict]:
    """``as_dict`` for a page of members in two queries, not two per member."""
    codes = {m.commune_id for m in page if m.commune_id}
    communes = {c.insee: c for c in Commune.select().where(Commune.insee.in_(codes))} if codes else {}
    by_member: dict[int, list[Contact]] = {m.id: [] for m in page}
    if page:
        for c in (Contact.select().where(Contact.member.in_(list(by_member)))
                  .order_by(Contact.position, Contact.id)):
            by_member[c.member_id].append(c)
    return [as_dict(m, communes.get(m.commune_id), by_member[m.id]) for m in page]


def personal_data(member_id) -> dict:
    """RGPD access: everything held about one member."""
    member = get(member_id)
    phones = phones_of(member)
    messages = (Message.select().where((Message.member == member.id) | Message.phone.in_(phones))
                .order_by(Message.created_at))
    inbound = (InboundSms.select().where((InboundSms.member == member.id) | InboundSms.phone.in_(phones))
               .order_by(InboundSms.received_at))
    targets = [t for t in (member.siret, f"adhérent n° {member.id}", str(member.id)) if t]
    audit_rows = AuditLog.select().where(AuditLog.target.in_(targets)).order_by(AuditLog.at)
    return {
        "member": as_dict(member),
        "contacts": [{"phone": c.phone, "name": c.name, "position": c.position} for c in contacts(member)],
        "opted_out": [o.phone for o in OptOut.select().where(OptOut.phone.in_(phones))],
        "messages": [{"id": m.id, "alert": m.alert_id, "phone": m.phone, "text": m.text, "state": m.state,
                      "created_at": m.created_at, "sent_at": m.sent_at, "delivered_at": m.delivered_at}
                     for m in messages],
        "incoming_sms": [{"id": s.id, "phone": s.phone, "text": s.text, "kind": s.kind,
                          "received_at": s.received_at} for s in inbound],
        "audit": [{"at": a.at, "actor": a.actor, "action": a.action, "detail": a.detail} for a in audit_rows],
    }


def count_by_sector(selectors=None) -> list[dict]:
    """Active members per sector group (or per selector given), whatever nomenclature their code is in:
    ``members`` (directly or through a single link of the correspondence), of which ``rev2`` and
    ``naf_2025`` carry a code of that nomenclature, and ``multiple`` (reached only through a multiple link,
    not counted in ``members``)."""
    names = selectors if selectors is not None else [g.name for g in sectors.list_all()]
    result = []
    active = Member.status == "active"
    for name in names:
        certain, multiple = sector_conditions(sectors.reach([name]))
        reached = Member.select().where(active & certain)
        result.append({"sector": name, "members": reached.count(),
                       "rev2": reached.where(Member.naf != "").count(),
                       "naf_2025": reached.where(Member.naf_2025 != "").count(),
                       "multiple": Member.select().where(active & multiple & ~certain).count()})
    return result


def count_by_status() -> dict:
    result = {s: 0 for s in STATUSES}
    for status, n in Member.select(Member.status, pw.fn.COUNT(Member.id)).group_by(Member.status).tuples():
        result[status] = n
    return result
