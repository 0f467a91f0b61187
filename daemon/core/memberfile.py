"""The member file: CSV import (checked line by line, all or nothing) and export, Excel-friendly.

Files come from chambers of commerce and spreadsheets: UTF-8 with or without BOM, or Windows-1252;
``;`` or ``,``; headers written any way ("Code APE", "code_ape", "CODE-APE", « Tél. mobile »), and how
each column was read can be corrected (``columns``: column index -> field); communes by INSEE code,
by name (unique among the loaded communes, the postal code breaking a tie) or by postal code + town.
The lines refused can be written back as a file of the same shape, with their reason.
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
    names: dict[int, str] = field(default_factory=dict)        # line -> business name, for messages
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)   # refused lines, cells as read
    header: list[str] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)       # field -> column index, as read
    delimiter: str = ";"
    encoding: str = "utf-8-sig"

    def label(self, line: int, word: str = "ligne") -> str:
        """« ligne 5 (« Boulangerie Martin ») »: where a problem is, for people."""
        name = self.names.get(line, "")
        return f"{word} {line} (« {name} »)" if name else f"{word} {line}"

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


def encoding_of(data: bytes) -> str:
    """The encoding decode() reads ``data`` with, for writing a file back the same way."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") >= first.count(",") and first.count(";") > 0 else (
        "\t" if first.count("\t") > first.count(",") else ",")


_NAF_WORDS = ("naf", "ape")
_NAF_STARTS = ("naf", "ape", "code", "activite", "nomenclature")


def _phone_slot(key: str) -> str:
    return f"phone{key[-1]}" if key[-1:] in ("1", "2", "3") else "phone1"


def header_field(name: str) -> str | None:
    """The field a column header means, read generously: NAF headers ("Code APE (NAF 2025)",
    "NAF rév. 2", "ape_2025": a NAF or APE word with 2025/25 says NAF 2025, with rev2/2008 rév. 2),
    phones (« Téléphone portable », « Tél. mobile », « N° de GSM »; a landline or fax column is left
    out), business names (« Raison sociale », « Dénomination de l'établissement »), communes…"""
    key = normalise_header(name)
    if key in HEADERS:
        return HEADERS[key]
    if not key or len(key) > 40:
        return None
    if key.startswith(_NAF_STARTS) and any(word in key for word in _NAF_WORDS) and len(key) <= 30:
        if key.endswith(("2025", "25")) or "2025" in key:
            return "naf_2025"
        if "rev2" in key or "2008" in key:
            return "naf_rev2"
        return "naf"
    if "siret" in key:
        return "siret"
    if "mail" in key or "courriel" in key or "electronique" in key:
        return "email"
    if any(word in key for word in ("fixe", "fax", "telecopie", "standard")):
        return None
    if any(word in key for word in ("portable", "mobile", "gsm", "cellulaire")) or key.startswith(("tel", "numtel")):
        return _phone_slot(key)
    if any(word in key for word in ("raisonsociale", "denomination", "nomdelentreprise", "nomentreprise",
                                    "nomdeletablissement", "nometablissement", "nomsociete", "nomcommercial")):
        return "name"
    if key in ("entreprise", "societe", "etablissement", "nomdelasociete"):
        return "name"
    if "enseigne" in key:
        return "sign"
    if "codepostal" in key or key in ("cpostal", "postal"):
        return "postal_code"
    if "insee" in key or key.startswith("commune") or key.endswith("commune"):
        return "commune"
    if key.startswith(("ville", "localite")):
        return "town"
    if "adresse" in key or key.startswith(("rue", "voie")):
        return "address"
    if any(word in key for word in ("contact", "dirigeant", "gerant", "responsable", "interlocuteur")):
        return "contact"
    if "chambre" in key:
        return "chamber"
    return None


# What a column can be read as, in the order the console's select lists them.
FIELD_LABELS = {
    "siret": "SIRET", "name": "Raison sociale (nom)", "sign": "Enseigne",
    "naf": "Code NAF / APE (nomenclature reconnue)", "naf_rev2": "Code NAF rév. 2", "naf_2025": "Code NAF 2025",
    "commune": "Commune (code INSEE ou nom)", "postal_code": "Code postal", "town": "Ville",
    "address": "Adresse", "phone1": "Téléphone portable", "phone2": "Téléphone portable n° 2",
    "phone3": "Téléphone portable n° 3", "contact": "Contact", "email": "Courriel", "chamber": "Chambre",
    "status": "Statut", "consent_date": "Date du consentement", "consent_channel": "Canal du consentement",
    "consent_version": "Version de la notice", "notes": "Notes",
}
_IGNORE_WORDS = ("", "ignorer", "ignore", "aucun", "aucune", "rien", "-")


def field_named(text: str) -> str | None:
    """A field from what a person writes after « = » in ``--column "Tél. mobile=telephone"``: a column
    name of the exported file (telephone, nom, code_postal…), a field, or a header the import reads
    (« portable »); « ignorer » leaves the column out. Raises InvalidInput."""
    key = normalise_header(text)
    if key in _IGNORE_WORDS:
        return None
    for field_key, column in COLUMN_NAMES.items():
        if key in (normalise_header(column), normalise_header(field_key)):
            return field_key
    found = header_field(text)
    if found is None:
        names = ", ".join(COLUMN_NAMES[k] for k in FIELD_LABELS)
        raise InvalidInput(f"Champ « {text.strip()} » inconnu (champs possibles : {names}, ou « ignorer »).",
                           "column")
    return found


def parse_column_options(options: list[str], header: list[str]) -> dict[int, str | None]:
    """``["Tél. mobile=telephone", "Fixe=ignorer"]`` against a file's header: column index -> field."""
    mapping: dict[int, str | None] = {}
    keys = [normalise_header(h) for h in header]
    for option in options or []:
        column, sep, target = option.rpartition("=")
        if not sep or not column.strip():
            raise InvalidInput(f"« {option} » : écrivez « en-tête=champ », par exemple « Tél. mobile=telephone ».",
                               "column")
        wanted = normalise_header(column)
        found = [i for i, k in enumerate(keys) if k == wanted]
        if not found:
            shown = ", ".join(f"« {h} »" for h in header if h.strip())
            raise InvalidInput(f"Aucune colonne « {column.strip()} » dans le fichier (colonnes : {shown}).", "column")
        mapping[found[0]] = field_named(target)
    return mapping


_MOBILE_WORDS = ("portable", "mobile", "gsm", "cellulaire")
_PHONES = ("phone1", "phone2", "phone3")


def _guess(header: list[str]) -> tuple[dict[int, str | None], list[str]]:
    """How each column is read when nobody said: index -> field (None: ignored), and the notes.

    Phone columns named as mobiles (« Téléphone portable ») come first; a plain « Téléphone » beside
    them is left out (in a chamber's export it is the landline), the user can take it back."""
    guessed, taken, notes = {}, {}, []
    for index, name in enumerate(header):
        guessed[index] = header_field(name)
    phones = [i for i, k in guessed.items() if k in _PHONES]
    mobiles = [i for i in phones if any(w in normalise_header(header[i]) for w in _MOBILE_WORDS)]
    slots: dict[str, int] = {}
    for index in sorted(phones, key=lambda i: (i not in mobiles, i)):
        own = guessed[index]
        guessed[index] = None
        if own in slots and slots[own] in mobiles and index not in mobiles:
            notes.append(f"colonne « {header[index]} » ignorée : les numéros de portable sont lus dans "
                         f"« {header[slots[own]]} »")
            continue
        free = [own] if own not in slots else [k for k in _PHONES if k not in slots]
        if free:
            slots[free[0]] = index
            guessed[index] = free[0]
    for index, key in guessed.items():
        if key is not None and key in taken:
            notes.append(f"colonne « {header[index]} » ignorée : « {header[taken[key]]} » donne déjà "
                         f"« {FIELD_LABELS[key]} »")
            guessed[index] = None
        elif key is not None:
            taken[key] = index
    return guessed, notes


def _columns(header: list[str], mapping: dict[int, str | None] | None = None) -> tuple[dict, list[str], list[str]]:
    """field -> column index, the problems with the header, and notes on how it was read."""
    guessed, notes = _guess(header)
    if mapping:
        guessed.update({i: f for i, f in mapping.items() if 0 <= i < len(header)})
        notes = []
    found, problems = {}, []
    for index, key in sorted(guessed.items()):
        if key is None:
            continue
        if key not in FIELD_LABELS:
            problems.append(f"colonne « {header[index]} » : champ « {key} » inconnu")
            continue
        if key in found:
            problems.append(f"« {FIELD_LABELS[key]} » donné par deux colonnes (« {header[found[key]]} » et "
                            f"« {header[index]} ») : ignorez l'une des deux")
            continue
        found[key] = index
    wanted = {"siret": "siret", "name": "nom (ou raison sociale)",
              "phone1": "telephone (ou téléphone portable, mobile)"}
    missing = [label for k, label in wanted.items() if k not in found]
    if not any(k in found for k in ("naf", "naf_rev2", "naf_2025")):
        missing.insert(2, "naf (ou code_ape, naf_rev2, naf_2025)")
    if "commune" not in found and "postal_code" not in found and "town" not in found:
        missing.append("commune (code INSEE ou nom) ou code_postal")
    if missing:
        problems.append("colonne(s) manquante(s) : " + ", ".join(missing))
    return found, problems, notes


def _commune(values: dict, names: geo.CommuneNames) -> str | None:
    """The INSEE code of a row: from a code, from a commune's name (the postal code breaking a tie
    between communes of the same name), or from a postal code covering one commune."""
    value = values.get("commune", "").strip()
    postal = values.get("postal_code", "").strip()
    town = values.get("town", "").strip()
    if value and (value.isdigit() or value[:2].upper() in ("2A", "2B")):
        return members.clean({"commune": value}, partial=True)["commune"]
    name = value or town
    if name:
        return names.find(name, postal).insee
    if postal:
        return geo.find_by_postal(postal, "").insee
    return None


def _row(values: dict, names: geo.CommuneNames) -> tuple[dict, list[str]]:
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
    commune = _commune(values, names)
    if commune is None:
        warnings.append("commune vide : l'adhérent ne sera pas atteint par un ciblage géographique")
    row["commune"] = commune
    return row, warnings


def _message(e: InvalidInput, columns: dict, header: list[str]) -> str:
    key = {"phone": "phone1", "phones": "phone1"}.get(e.field, e.field)
    if key == "commune" and key not in columns and "town" in columns:
        key = "town"
    if key in columns:
        return f"colonne « {header[columns[key]]} » : {e.message}"
    if key in COLUMN_NAMES:
        return f"colonne « {COLUMN_NAMES[key]} » : {e.message}"
    return e.message


def _row_errors(values: dict, columns: dict, header: list[str], first: InvalidInput,
                names: geo.CommuneNames) -> list[str]:
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
                _commune(values, names)
            elif key in ("naf", "naf_rev2", "naf_2025") and not value.strip():
                continue
            else:
                members.clean({key: value}, partial=True)
        except InvalidInput as e:
            text = _message(e, columns, header)
            if text not in messages:
                messages.append(text)
    if "commune" not in values and ("postal_code" in values or "town" in values):
        try:
            _commune(values, names)
        except InvalidInput as e:
            messages.append(_message(e, columns, header))
    return messages or [_message(first, columns, header)]


def _reader(text: str, delimiter: str):
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


@dataclass
class Column:
    index: int
    header: str
    field: str | None          # how it is read (None: ignored)
    samples: list[str]


def read_columns(data: bytes, mapping: dict[int, str | None] | None = None,
                 samples: int = 3) -> tuple[list[Column], list[str]]:
    """How each column of a file is read (guessed, or as ``mapping`` says), with a few sample values,
    for the console's mapping step; and the notes on the guess. Empty when the file has no header."""
    text = decode(data[:MAX_BYTES])
    if not text.strip():
        return [], []
    reader = _reader(text, sniff_delimiter(text))
    try:
        header = next(reader)
        lines = []
        for cells in reader:
            if any(c.strip() for c in cells):
                lines.append(cells)
            if len(lines) >= samples:
                break
    except csv.Error:
        return [], []
    guessed, notes = _guess(header)
    if mapping:
        guessed.update({i: f for i, f in mapping.items() if 0 <= i < len(header)})
        notes = []
    return [Column(i, h, guessed.get(i), [_unprotect(c[i].strip()) for c in lines if i < len(c) and c[i].strip()])
            for i, h in enumerate(header)], notes


def parse(data: bytes, columns: dict[int, str | None] | None = None) -> ImportReport:
    """Read and check a whole file; nothing is written. ``columns`` (column index -> field, None to
    ignore a column) corrects how the header was read."""
    report = ImportReport()
    if len(data) > MAX_BYTES:
        report.errors.append((0, f"Fichier trop gros ({len(data) // 1024} Kio, {MAX_BYTES // 1024 // 1024} Mio au plus)."))
        return report
    text = decode(data)
    report.encoding = encoding_of(data)
    if not text.strip():
        report.errors.append((1, "Le fichier est vide."))
        return report
    report.delimiter = sniff_delimiter(text)
    reader = _reader(text, report.delimiter)
    try:
        header = next(reader)
    except csv.Error as e:
        report.errors.append((1, f"En-tête illisible : {e}."))
        return report
    report.header = header
    found, problems, notes = _columns(header, columns)
    report.columns = found
    if problems:
        report.errors.extend((1, p) for p in problems)
        return report
    report.warnings.extend((1, n) for n in notes)
    used = set(found.values())
    ignored = [h for i, h in enumerate(header) if h.strip() and i not in used
               and not any(h in n for n in notes)]
    if ignored:
        report.warnings.append((1, "colonne(s) ignorée(s) : " + ", ".join(f"« {h} »" for h in ignored)))
    names = geo.CommuneNames()
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
        values = {k: _unprotect(cells[i].strip()) if i < len(cells) else "" for k, i in found.items()}
        if values.get("name"):
            report.names[line] = values["name"]
        try:
            row, warnings = _row(values, names)
        except InvalidInput as e:
            report.errors.append((line, "; ".join(_row_errors(values, found, header, e, names))))
            report.rejected.append((line, cells))
            continue
        if row["siret"] in seen:
            report.errors.append((line, f"colonne « {header[found['siret']]} » : SIRET {row['siret']} "
                                        f"déjà présent ligne {seen[row['siret']]}"))
            report.rejected.append((line, cells))
            continue
        seen[row["siret"]] = line
        report.warnings.extend((line, w) for w in warnings)
        row["line"] = line
        report.rows.append(row)
    if not report.rows and not report.errors:
        report.errors.append((2, "Aucune ligne d'adhérent dans le fichier."))
    return report


REJECT_COLUMNS = ("Ligne du fichier", "Motif du refus")


def rejected_file(report: ImportReport) -> bytes:
    """The refused lines as a file of the same shape as the one sent (its header, separator and
    encoding), each with its line number and reason in two more columns: corrected, it imports as is
    (the two columns are ignored)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=report.delimiter, lineterminator="\r\n")
    writer.writerow(list(report.header) + list(REJECT_COLUMNS))
    reasons = dict(report.errors)
    width = len(report.header)
    for line, cells in report.rejected:
        cells = list(cells[:width]) + [""] * (width - len(cells))
        writer.writerow(cells + [str(line), reasons.get(line, "")])
    text = out.getvalue()
    if report.encoding == "cp1252":
        return text.replace("\u202f", " ").replace("\u00a0", " ").encode("cp1252", errors="replace")
    return (b"\xef\xbb\xbf" if report.encoding == "utf-8-sig" else b"") + text.encode("utf-8")


def import_members(data: bytes, *, actor: str, dry_run: bool = False, partial: bool = False,
                   columns: dict[int, str | None] | None = None) -> ImportReport:
    """Create or update (by SIRET) the members of a file.

    All or nothing by default: one bad line and nothing is written. ``partial`` writes the good
    lines anyway. Importing the same file twice changes nothing the second time.

    Every line is checked before anything is written; the writing is then cut in short batches
    (BATCH_SECONDS each) so that the daemon and the panic button are never kept waiting for the
    database more than a fraction of a second. Should the process die in the middle, what was
    written is consistent, and importing the same file again completes it.
    """
    report = parse(data, columns)
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
