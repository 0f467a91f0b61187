"""The member file: CSV import (checked line by line, all or nothing) and export, Excel-friendly.

Files come from chambers of commerce and spreadsheets: UTF-8 with or without BOM, or Windows-1252;
``;`` or ``,``; headers written any way ("Code APE", "code_ape", "CODE-APE").
"""

import csv
import io
import time
import unicodedata
from dataclasses import dataclass, field

from vigie.daemon.core import audit, members, sectors
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Commune, Contact, Member, database
from vigie.daemon.core.reference import geo

# Normalised header -> field. Normalised = lower case, no accents, no spaces/_/-/./'.
HEADERS = {
    "siret": "siret", "numerosiret": "siret",
    "nom": "name", "raisonsociale": "name", "denomination": "name", "nomraisonsociale": "name",
    "enseigne": "sign",
    "naf": "naf", "codenaf": "naf", "codeape": "naf", "ape": "naf", "apenaf": "naf", "nafape": "naf",
    "activiteprincipale": "naf", "activiteprincipaleetablissement": "naf",
    "nafrev2": "naf_rev2", "codenafrev2": "naf_rev2", "aperev2": "naf_rev2", "codeaperev2": "naf_rev2",
    "naf2008": "naf_rev2", "codenaf2008": "naf_rev2", "ape2008": "naf_rev2", "nafr2": "naf_rev2",
    "naf2025": "naf_2025", "codenaf2025": "naf_2025", "ape2025": "naf_2025", "codeape2025": "naf_2025",
    "naf25": "naf_2025", "ape25": "naf_2025", "nafrev21": "naf_2025",
    "activiteprincipalenaf25etablissement": "naf_2025", "activiteprincipalenaf25": "naf_2025",
    "commune": "commune", "codeinsee": "commune", "insee": "commune", "codecommune": "commune",
    "codepostal": "postal_code", "cp": "postal_code",
    "ville": "town", "localite": "town", "libellecommune": "town",
    "adresse": "address",
    "telephone": "phone1", "tel": "phone1", "portable": "phone1", "mobile": "phone1",
    "telephone1": "phone1", "tel1": "phone1", "portable1": "phone1", "mobile1": "phone1",
    "telephone2": "phone2", "tel2": "phone2", "portable2": "phone2", "mobile2": "phone2",
    "telephone3": "phone3", "tel3": "phone3", "portable3": "phone3", "mobile3": "phone3",
    "contact": "contact", "nomcontact": "contact",
    "email": "email", "courriel": "email", "mail": "email", "adressemail": "email",
    "chambre": "chamber", "chambreconsulaire": "chamber",
    "statut": "status",
    "dateconsentement": "consent_date",
    "canalconsentement": "consent_channel",
    "versionnotice": "consent_version", "notice": "consent_version",
    "notes": "notes", "note": "notes", "remarques": "notes",
}
# The column names people read in error messages and in the exported file.
COLUMN_NAMES = {
    "siret": "siret", "name": "nom", "sign": "enseigne", "naf": "naf", "naf_rev2": "naf_rev2",
    "naf_2025": "naf_2025", "commune": "commune",
    "postal_code": "code_postal", "town": "ville", "address": "adresse", "phone1": "telephone",
    "phone2": "telephone_2", "phone3": "telephone_3", "contact": "contact", "email": "email",
    "chamber": "chambre", "status": "statut", "consent_date": "date_consentement",
    "consent_channel": "canal_consentement", "consent_version": "version_notice", "notes": "notes",
}
EXPORT_COLUMNS = ["siret", "name", "sign", "naf_rev2", "naf_2025", "commune", "postal_code", "town", "address",
                  "phone1", "phone2", "phone3", "contact", "email", "chamber", "status", "consent_date",
                  "consent_channel", "consent_version", "notes"]
STATUS_EXPORT = {"active": "actif", "suspended": "suspendu", "left": "parti"}
MAX_BYTES = 20 * 1024 * 1024
# A large import writes in short transactions: each holds the write lock at most about BATCH_SECONDS,
# then lets go for BATCH_PAUSE_SECONDS, longer than SQLite's busy handler sleeps between two tries
# at that stage, so the daemon (a claim, a panic alert) always gets in between two batches.
BATCH_SECONDS = 0.05
BATCH_PAUSE_SECONDS = 0.03


@dataclass
class ImportReport:
    rows: list[dict] = field(default_factory=list)            # valid, normalised (with "line")
    errors: list[tuple[int, str]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    warnings: list[tuple[int, str]] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return "".join(c for c in text if c.isalnum())


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not), else Windows-1252 (what Excel writes on French Windows)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") >= first.count(",") and first.count(";") > 0 else (
        "\t" if first.count("\t") > first.count(",") else ",")


_NAF_WORDS = ("naf", "ape")
_NAF_STARTS = ("naf", "ape", "code", "activite", "nomenclature")


def header_field(name: str) -> str | None:
    """The field a column header means; NAF headers are read generously ("Code APE (NAF 2025)",
    "NAF rév. 2", "ape_2025"): a NAF or APE word with 2025/25 says NAF 2025, with rev2/2008 rév. 2."""
    key = normalise_header(name)
    if key in HEADERS:
        return HEADERS[key]
    if key.startswith(_NAF_STARTS) and any(word in key for word in _NAF_WORDS) and len(key) <= 30:
        if key.endswith(("2025", "25")) or "2025" in key:
            return "naf_2025"
        if "rev2" in key or "2008" in key:
            return "naf_rev2"
    return None


def _columns(header: list[str]) -> tuple[dict, list[str]]:
    """field -> column index, and the problems with the header."""
    found, problems = {}, []
    for index, name in enumerate(header):
        key = header_field(name)
        if key is None:
            continue
        if key in found:
            problems.append(f"colonne « {name} » en double")
            continue
        found[key] = index
    wanted = {"siret": "siret", "name": "nom (ou raison sociale)", "phone1": "telephone (ou portable, mobile)"}
    missing = [label for k, label in wanted.items() if k not in found]
    if not any(k in found for k in ("naf", "naf_rev2", "naf_2025")):
        missing.insert(2, "naf (ou code_ape, naf_rev2, naf_2025)")
    if "commune" not in found and "postal_code" not in found:
        missing.append("commune (code INSEE) ou code_postal")
    if missing:
        problems.append("colonne(s) manquante(s) : " + ", ".join(missing))
    return found, problems


def _commune(values: dict, columns: dict) -> str | None:
    """The INSEE code of a row, from `commune` or from `code_postal` + `ville`."""
    value = values.get("commune", "").strip()
    postal = values.get("postal_code", "").strip()
    town = values.get("town", "").strip()
    if value:
        if value.isdigit() or value[:2].upper() in ("2A", "2B"):
            return members.clean({"commune": value}, partial=True)["commune"]
        town = town or value
    if postal:
        return geo.find_by_postal(postal, town).insee
    if value:
        raise InvalidInput(f"« {value} » n'est pas un code INSEE (indiquez aussi le code postal).", "commune")
    return None


def _row(values: dict, columns: dict) -> tuple[dict, list[str]]:
    """Normalise one line; raises InvalidInput naming the field. Returns the row and its warnings."""
    warnings = []
    raw = {k: v for k, v in values.items() if k in ("siret", "name", "sign", "naf", "naf_rev2", "naf_2025",
                                                    "chamber", "contact",
                                                    "email", "address", "notes", "status", "consent_date",
                                                    "consent_channel", "consent_version")}
    raw["phones"] = [values.get(k, "") for k in ("phone1", "phone2", "phone3") if values.get(k, "").strip()]
    raw["allow_blank_naf"] = True
    if not any(values.get(k, "").strip() for k in ("naf", "naf_rev2", "naf_2025")):
        warnings.append("code NAF vide : l'adhérent ne sera pas atteint par un ciblage par secteur "
                        "(« vigie sirene check --fill » peut le compléter)")
    row = members.clean(raw, partial=True)
    row.setdefault("naf", "")
    row.setdefault("naf_2025", "")
    row["phones"] = members.clean_phones(raw["phones"])
    commune = _commune(values, columns)
    if commune is None:
        warnings.append("commune vide : l'adhérent ne sera pas atteint par un ciblage géographique")
    row["commune"] = commune
    return row, warnings


def _message(e: InvalidInput, columns: dict, header: list[str]) -> str:
    key = {"phone": "phone1", "phones": "phone1"}.get(e.field, e.field)
    if key in columns:
        return f"colonne « {header[columns[key]]} » : {e.message}"
    if key in COLUMN_NAMES:
        return f"colonne « {COLUMN_NAMES[key]} » : {e.message}"
    return e.message


def _row_errors(values: dict, columns: dict, header: list[str], first: InvalidInput) -> list[str]:
    """Every problem of a refused line, one per column, so a dry run shows them all at once."""
    messages = []
    for key, value in values.items():
        try:
            if key in ("phone1", "phone2", "phone3"):
                if value.strip():
                    try:
                        members.clean_phones([value])
                    except InvalidInput as e:
                        messages.append(f"colonne « {header[columns[key]]} » : {e.message}")
                continue
            elif key in ("postal_code", "town"):
                continue
            elif key == "commune":
                _commune(values, columns)
            elif key in ("naf", "naf_rev2", "naf_2025") and not value.strip():
                continue
            else:
                members.clean({key: value}, partial=True)
        except InvalidInput as e:
            text = _message(e, columns, header)
            if text not in messages:
                messages.append(text)
    if "commune" not in values and "postal_code" in values:
        try:
            _commune(values, columns)
        except InvalidInput as e:
            messages.append(_message(e, columns, header))
    return messages or [_message(first, columns, header)]


def parse(data: bytes) -> ImportReport:
    """Read and check a whole file; nothing is written."""
    report = ImportReport()
    if len(data) > MAX_BYTES:
        report.errors.append((0, f"Fichier trop gros ({len(data) // 1024} Kio, {MAX_BYTES // 1024 // 1024} Mio au plus)."))
        return report
    text = decode(data)
    if not text.strip():
        report.errors.append((1, "Le fichier est vide."))
        return report
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        header = next(reader)
    except csv.Error as e:
        report.errors.append((1, f"En-tête illisible : {e}."))
        return report
    columns, problems = _columns(header)
    if problems:
        report.errors.extend((1, p) for p in problems)
        return report
    ignored = [h for h in header if h.strip() and header_field(h) is None]
    if ignored:
        report.warnings.append((1, "colonne(s) ignorée(s) : " + ", ".join(f"« {h} »" for h in ignored)))
    seen = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            report.errors.append((reader.line_num, f"ligne illisible : {e}"))
            continue
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        values = {k: _unprotect(cells[i].strip()) if i < len(cells) else "" for k, i in columns.items()}
        try:
            row, warnings = _row(values, columns)
        except InvalidInput as e:
            report.errors.append((line, "; ".join(_row_errors(values, columns, header, e))))
            continue
        if row["siret"] in seen:
            report.errors.append((line, f"colonne « {header[columns['siret']]} » : SIRET {row['siret']} "
                                        f"déjà présent ligne {seen[row['siret']]}"))
            continue
        seen[row["siret"]] = line
        report.warnings.extend((line, w) for w in warnings)
        row["line"] = line
        report.rows.append(row)
    if not report.rows and not report.errors:
        report.errors.append((2, "Aucune ligne d'adhérent dans le fichier."))
    return report


def import_members(data: bytes, *, actor: str, dry_run: bool = False, partial: bool = False) -> ImportReport:
    """Create or update (by SIRET) the members of a file.

    All or nothing by default: one bad line and nothing is written. ``partial`` writes the good
    lines anyway. Importing the same file twice changes nothing the second time.

    Every line is checked before anything is written; the writing is then cut in short batches
    (BATCH_SECONDS each) so that the daemon and the panic button are never kept waiting for the
    database more than a fraction of a second. Should the process die in the middle, what was
    written is consistent, and importing the same file again completes it.
    """
    report = parse(data)
    if report.errors and not partial:
        return report
    existing = {}
    sirets = [r["siret"] for r in report.rows]
    for start in range(0, len(sirets), 500):
        existing.update({m.siret: m for m in Member.select().where(Member.siret.in_(sirets[start:start + 500]))})
    plan = []
    for row in report.rows:
        data_row = {k: v for k, v in row.items() if k != "line"}
        member = existing.get(row["siret"])
        if member is None:
            data_row.setdefault("status", "active")
            plan.append((None, data_row))
            continue
        for column in ("naf", "naf_2025"):
            if not data_row.get(column):
                data_row.pop(column, None)        # keep what SIRENE or the migration aid filled in
        if data_row.get("commune") is None:
            data_row.pop("commune", None)
        if members.changes(member, data_row):
            plan.append((member, data_row))
    report.created = sum(1 for member, _ in plan if member is None)
    report.updated = len(plan) - report.created
    if dry_run or not plan:
        return report
    done = 0
    while done < len(plan):
        with database.atomic("IMMEDIATE"):
            started = time.monotonic()
            while done < len(plan):
                member, data_row = plan[done]
                if member is None:
                    # Inserted by someone else since the plan (between two batches): update it instead.
                    member = Member.get_or_none(Member.siret == data_row["siret"])
                if member is None:
                    members._insert(data_row, actor, action="member.import")
                else:
                    members._apply(member, data_row, actor, action="member.import")
                done += 1
                if time.monotonic() - started >= BATCH_SECONDS:
                    break
            if done == len(plan):
                audit.record(actor, "member.import.file", "", {"created": report.created,
                                                               "updated": report.updated,
                                                               "errors": len(report.errors)},
                             count=len(report.rows))
        if done < len(plan):
            time.sleep(BATCH_PAUSE_SECONDS)      # the lock is free: whoever waits for it gets it now
    report.written = True
    return report


# A cell starting with one of these is a formula for Excel or LibreOffice (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _protect(value: str) -> str:
    """Prefix a quote, as spreadsheets do, so the cell stays text (a leading quote is doubled)."""
    return "'" + value if value.startswith(FORMULA_START + ("'",)) else value


def _unprotect(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START + ("'",)) else value


def national(phone: str) -> str:
    """+33612345678 -> 06 12 34 56 78 (what people type and read); other countries unchanged."""
    if phone.startswith("+33") and len(phone) == 12:
        digits = "0" + phone[3:]
        return " ".join(digits[i:i + 2] for i in range(0, 10, 2))
    return phone


def export_members(sector=None) -> bytes:
    """Every member not erased (of a sector, a selector or group name, whatever nomenclature their code is
    in, when given), in the import format: ``;``, UTF-8 with BOM; both NAF columns."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([COLUMN_NAMES[k] for k in EXPORT_COLUMNS])
    communes = {c.insee: c for c in Commune.select()}
    phones: dict[int, list] = {}
    contact_names: dict[int, str] = {}
    for c in Contact.select().order_by(Contact.member, Contact.position, Contact.id):
        phones.setdefault(c.member_id, []).append(c.phone)
        if c.position == 0 or c.member_id not in contact_names:
            contact_names.setdefault(c.member_id, c.name)
    query = Member.select().where(Member.status != "erased")
    if sector:
        query = query.where(members.sector_conditions(sectors.reach([sector]))[0])
    for m in query.order_by(Member.name, Member.id):
        numbers = [national(p) for p in phones.get(m.id, [])]
        commune = communes.get(m.commune_id)
        values = {
            "siret": m.siret, "name": m.name, "sign": m.sign, "naf_rev2": m.naf, "naf_2025": m.naf_2025,
            "commune": m.commune_id or "",
            "postal_code": commune.postal_code if commune else "", "town": commune.name if commune else "",
            "address": m.address, "phone1": numbers[0] if numbers else "",
            "phone2": numbers[1] if len(numbers) > 1 else "", "phone3": " / ".join(numbers[2:]),
            "contact": contact_names.get(m.id, ""), "email": m.email, "chamber": m.chamber,
            "status": STATUS_EXPORT.get(m.status, m.status), "consent_date": m.consent_date,
            "consent_channel": m.consent_channel, "consent_version": m.consent_version, "notes": m.notes,
        }
        writer.writerow([_protect(str(values[k] or "")) for k in EXPORT_COLUMNS])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
