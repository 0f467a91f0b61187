"""SIRENE check on a small StockEtablissement extract written by the test (CSV and ZIP)."""

import csv
import io
import tracemalloc
import zipfile

import pytest

from vigie.daemon.core import memberfile, members, sirene
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import AuditLog

from .fixtures_domain import make_siret

# A realistic subset of the columns, in INSEE's order, plus one INSEE may add later.
COLUMNS = ["siren", "nic", "siret", "statutDiffusionEtablissement", "dateCreationEtablissement",
           "trancheEffectifsEtablissement", "etablissementSiege", "enseigne1Etablissement",
           "codePostalEtablissement", "libelleCommuneEtablissement", "codeCommuneEtablissement",
           "dateDebut", "etatAdministratifEtablissement", "denominationUsuelleEtablissement",
           "activitePrincipaleEtablissement", "nomenclatureActivitePrincipaleEtablissement",
           "caractereEmployeurEtablissement", "colonneFuture"]


def establishment(siret, state="A", naf="47.77Z", nomenclature="NAFRev2", commune="61001", diffusion="O"):
    row = dict.fromkeys(COLUMNS, "")
    row.update(siren=siret[:9], nic=siret[9:], siret=siret, statutDiffusionEtablissement=diffusion,
               etatAdministratifEtablissement=state, activitePrincipaleEtablissement=naf,
               nomenclatureActivitePrincipaleEtablissement=nomenclature, codeCommuneEtablissement=commune,
               etablissementSiege="true", colonneFuture="x")
    if diffusion == "P":
        row.update(enseigne1Etablissement="[ND]", denominationUsuelleEtablissement="[ND]",
                   codePostalEtablissement="[ND]", libelleCommuneEtablissement="[ND]")
    return row


def write_stock(path, rows, filler=0):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, COLUMNS)
        w.writeheader()
        for n in range(filler):                    # other establishments of France
            w.writerow(establishment(make_siret(500_000 + n), commune="75056"))
        for row in rows:
            w.writerow(row)
    return path


@pytest.fixture
def four_members(database):
    csv_text = "siret;nom;naf;commune;telephone\n" + "\n".join([
        f"{make_siret(1)};Ouvert;47.77Z;61001;0600000101",
        f"{make_siret(2)};Fermé;47.26Z;61001;0600000201",
        f"{make_siret(3)};Inconnu;47.26Z;61001;0600000301",
        f"{make_siret(4)};Sans NAF ni commune;;;0600000401",
    ])
    report = memberfile.import_members(csv_text.encode(), actor="test")
    assert report.errors == [] and report.created == 4
    return report


def stock_rows():
    return [establishment(make_siret(1)),
            establishment(make_siret(2), state="F", naf="[ND]", diffusion="P"),
            establishment(make_siret(4), naf="10.71C", commune="61169", diffusion="P")]


def test_check_reports_unknown_and_closed(tmp_path, four_members):
    path = write_stock(tmp_path / "StockEtablissement_utf8.csv", stock_rows(), filler=50)
    report = sirene.check(str(path), actor="test")
    assert report.rows_read == 53 and report.members_checked == 4
    assert [m["siret"] for m in report.unknown] == [make_siret(3)]
    assert [m["name"] for m in report.closed] == ["Fermé"]
    assert report.filled == [{"siret": make_siret(4), "name": "Sans NAF ni commune", "naf": "10.71C",
                              "commune": "61169"}]
    member = members.get(make_siret(4))
    assert member.naf == "" and member.commune_id is None          # without --fill nothing changes
    assert AuditLog.get(AuditLog.action == "sirene.check").count == 4


def test_fill_from_zip(tmp_path, four_members):
    csv_path = write_stock(tmp_path / "StockEtablissement_utf8.csv", stock_rows())
    zip_path = tmp_path / "StockEtablissement_utf8.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(csv_path, "StockEtablissement_utf8.csv")
    report = sirene.check(str(zip_path), fill=True, actor="test")
    assert len(report.filled) == 1
    member = members.get(make_siret(4))
    assert (member.naf, member.commune_id) == ("10.71C", "61169")
    # what is already known is never overwritten, and masked [ND] values are never used
    assert members.get(make_siret(2)).naf == "47.26Z"
    assert AuditLog.select().where(AuditLog.action == "sirene.fill").count() == 1


def test_old_nomenclature_is_not_used_to_fill(tmp_path, four_members):
    rows = [establishment(make_siret(4), naf="52.4X", nomenclature="NAFRev1", commune="61169")]
    report = sirene.check(str(write_stock(tmp_path / "s.csv", rows)), fill=True, actor="test")
    member = members.get(make_siret(4))
    assert member.naf == "" and member.commune_id == "61169"
    assert report.filled[0].get("naf") is None


def test_not_a_sirene_file(tmp_path, database):
    bad = tmp_path / "autre.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        sirene.check(str(bad), actor="test")
    with pytest.raises(InvalidInput):
        sirene.check(str(tmp_path / "absent.csv"), actor="test")


def test_scan_memory_stays_flat(database):
    """The scan keeps only the wanted SIRETs: peak memory does not grow with the file."""
    header = ",".join(COLUMNS) + "\n"

    def stream(n):
        def lines():
            yield header
            for i in range(n):
                yield f"{i:09d},00010,{i:09d}00010,O,2001-01-01,NN,true,,,,61001,,A,,47.77Z,NAFRev2,N,x\n"
        return LineStream(lines())

    peaks = []
    for n in (5_000, 20_000):
        tracemalloc.start()
        found, rows = sirene.scan(stream(n), {"00000000500010"})
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert rows == n and list(found) == ["00000000500010"]
    assert peaks[1] < peaks[0] * 1.5 + 200_000


class LineStream(io.TextIOBase):
    """A text stream produced on the fly, never held whole in memory."""

    def __init__(self, lines):
        self._lines = lines

    def readable(self):
        return True

    def __iter__(self):
        return self._lines

    def __next__(self):
        return next(self._lines)
