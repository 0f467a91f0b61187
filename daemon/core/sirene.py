"""Checking the member file against INSEE's SIRENE stock of establishments.

The national StockEtablissement file is several GB: it is streamed row by row and only the set of
member SIRETs (and what was found for them) is kept, so memory stays flat on a Raspberry Pi.
"""

import csv
import io
import os
import sys
import zipfile
from dataclasses import dataclass, field

from vigie.daemon.core import audit
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Commune, Member, database
from vigie.daemon.core.reference import validate

NEEDED = ("siret",)
MASKED = "[ND]"
NAF25_COLUMN = "activitePrincipaleNAF25Etablissement"
NAF25_NAMES = ("NAF2025", "NAFREV21", "NAF25")


@dataclass
class Found:
    state: str              # A | F
    naf: str                # NAFRev2 code or ""
    commune: str            # INSEE code or ""
    naf_2025: str = ""      # NAF 2025 code (activitePrincipaleNAF25Etablissement) or ""


@dataclass
class SireneReport:
    rows_read: int = 0
    members_checked: int = 0
    unknown: list[dict] = field(default_factory=list)      # {"siret", "name"}
    closed: list[dict] = field(default_factory=list)       # {"siret", "name"}
    filled: list[dict] = field(default_factory=list)       # {"siret", "name", "naf", "naf_2025", "commune"}
    naf_2025_column: bool = False                          # the file has activitePrincipaleNAF25Etablissement

    def as_dict(self) -> dict:
        return {"rows_read": self.rows_read, "members_checked": self.members_checked,
                "unknown": self.unknown, "closed": self.closed, "filled": self.filled,
                "naf_2025_column": self.naf_2025_column}


def open_text(path: str):
    """A text stream over the CSV, inside a .zip or not (no full read, no temporary file)."""
    if not os.path.exists(path):
        raise InvalidInput(f"Fichier introuvable : {path}.", "file")
    if zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
        if not names:
            raise InvalidInput(f"L'archive {path} ne contient aucun fichier CSV.", "file")
        raw = archive.open(names[0])
        return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def scan(stream, wanted: set[str], info: dict | None = None) -> tuple[dict[str, Found], int]:
    """Stream the CSV once; return what was found for the wanted SIRETs and the row count.
    ``info``, when given, is told whether the file has the NAF 2025 column (``naf_2025_column``)."""
    csv.field_size_limit(min(sys.maxsize, 2 ** 31 - 1))
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("Le fichier SIRENE est vide.", "file") from None
    index = {name.strip(): i for i, name in enumerate(header)}
    if "siret" not in index:
        raise InvalidInput("Ce fichier n'est pas un stock SIRENE des établissements : colonne « siret » absente.",
                           "file")
    i_siret = index["siret"]
    i_state = index.get("etatAdministratifEtablissement")
    i_naf = index.get("activitePrincipaleEtablissement")
    i_nomenclature = index.get("nomenclatureActivitePrincipaleEtablissement")
    i_commune = index.get("codeCommuneEtablissement")
    i_naf_2025 = index.get(NAF25_COLUMN)
    if info is not None:
        info["naf_2025_column"] = i_naf_2025 is not None

    def cell(row, i):
        if i is None or i >= len(row):
            return ""
        value = row[i].strip()
        return "" if value == MASKED else value

    found = {}
    rows = 0
    for row in reader:
        rows += 1
        if i_siret >= len(row):
            continue
        siret = row[i_siret]
        if siret not in wanted:
            continue
        nomenclature = cell(row, i_nomenclature)
        naf = cell(row, i_naf)
        naf_2025 = cell(row, i_naf_2025)
        if nomenclature and nomenclature.upper().replace(".", "") in NAF25_NAMES:
            naf_2025, naf = naf_2025 or naf, ""        # SIRENE's main column once it moves to NAF 2025
        elif nomenclature and nomenclature != "NAFRev2":
            naf = ""
        found[siret] = Found(state=cell(row, i_state) or "A", naf=naf, commune=cell(row, i_commune),
                             naf_2025=naf_2025)
    return found, rows



def check(path: str, *, fill: bool = False, actor: str) -> SireneReport:
    """Members unknown to SIRENE or closed there; with ``fill``, complete missing NAF codes (rév. 2 and,
    when the file has ``activitePrincipaleNAF25Etablissement``, NAF 2025) and communes.

    Without ``fill`` no member field changes; the NAF 2025 code SIRENE gives is kept beside the member
    (``sirene_naf_2025``) for the migration aid's to-do list."""
    members = {m.siret: m for m in Member.select().where(Member.siret.is_null(False) & (Member.status != "erased"))}
    report = SireneReport(members_checked=len(members))
    header = {}
    with open_text(path) as stream:
        found, report.rows_read = scan(stream, set(members), header)
    report.naf_2025_column = header["naf_2025_column"]
    communes = {row[0] for row in Commune.select(Commune.insee).tuples()}
    seen_2025 = {}
    for siret, member in sorted(members.items(), key=lambda kv: (kv[1].name, kv[0])):
        item = found.get(siret)
        if item is None:
            report.unknown.append({"siret": siret, "name": member.name})
            continue
        if item.state == "F":
            report.closed.append({"siret": siret, "name": member.name})
        changes = {}
        if not member.naf and item.naf:
            try:
                changes["naf"] = validate.naf_code(item.naf)
            except InvalidInput:
                pass
        naf_2025 = ""
        if item.naf_2025:
            try:
                naf_2025 = validate.naf_activity(item.naf_2025, "2025")[1]
            except InvalidInput:
                naf_2025 = ""
        if naf_2025 and naf_2025 != member.sirene_naf_2025:
            seen_2025[siret] = naf_2025
        if naf_2025 and not member.naf_2025:
            changes["naf_2025"] = naf_2025
        if member.commune_id is None and item.commune:
            try:
                code = validate.insee_code(item.commune)
            except InvalidInput:
                code = ""
            if code in communes:
                changes["commune"] = code
        if changes:
            report.filled.append({"siret": siret, "name": member.name, **changes})
    with database.atomic("IMMEDIATE"):
        for siret, code in seen_2025.items():
            Member.update(sirene_naf_2025=code).where(Member.siret == siret).execute()
        if fill:
            for item in report.filled:
                values = {k: item[k] for k in ("naf", "naf_2025", "commune") if k in item}
                Member.update(**values).where(Member.siret == item["siret"]).execute()
    audit.record(actor, "sirene.fill" if fill else "sirene.check", os.path.basename(path),
                 {"rows": report.rows_read, "unknown": len(report.unknown), "closed": len(report.closed),
                  "filled": len(report.filled) if fill else 0}, count=report.members_checked)
    return report
