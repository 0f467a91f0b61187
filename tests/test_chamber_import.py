"""A member file as a chamber exports it (« ; », Windows-1252, « Raison sociale;SIRET;Code APE;Commune;
Téléphone portable », communes by name, phones « 06 12 34 56 78 ») imports without manual edits: in the
core, from the CLI (``--column``, ``--rejects``) and from the console (mapping step, partial import,
file of the refused lines)."""

import csv
import io
import re

import pytest

from vigie.daemon.core import memberfile
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Contact, Member
from vigie.daemon.core.reference import geo

from .fixtures_domain import make_siret

HEADER = "Raison sociale;SIRET;Code APE;Commune;Code postal;Téléphone;Téléphone portable"
GOOD = [
    ("BOULANGERIE MARTIN", 1, "4724Z", "Argentan", "", "02 33 00 00 01", "06 12 34 56 01"),
    ("Bijouterie Lefèvre", 2, "47.77Z", "L'Aigle", "", "", "07 81 34 56 02"),
    ("Tabac de la Gare", 3, "47.26Z", "ST GERMAIN DU CORBEIS", "", "", "06 12 34 56 03"),
    ("Garage du Mêle", 4, "45.20A", "Mele sur Sarthe", "", "", "06 12 34 56 04"),
    ("Ferme d'Anceins", 5, "01.11Z", "Anceins", "", "", "06 12 34 56 05"),       # a delegated commune
    ("Café des Sports", 6, "56.30Z", "Saint-Pierre-du-Regard", "61790", "", "06 12 34 56 06"),
]
BAD = [
    ("Quincaillerie Dupont", 7, "47.52A", "Argentann", "", "", "06 12 34 56 07"),     # misspelt commune
    ("Fleurs Éléonore", 8, "47.76Z", "Flers", "", "", "02 33 12 34 08"),              # a landline only
]


def chamber_file(rows=GOOD + BAD, header=HEADER) -> bytes:
    lines = [header] + [";".join([name, make_siret(n), naf, commune, cp, fixe, mobile])
                        for name, n, naf, commune, cp, fixe, mobile in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def test_commune_names_resolve_to_insee(database):
    names = geo.CommuneNames()
    assert names.find("Argentan").insee == "61006"
    assert names.find("ARGENTAN").insee == "61006"
    assert names.find("L'Aigle").insee == names.find("Aigle").insee == "61214"
    assert names.find("St Germain du Corbeis").insee == names.find("Saint-Germain-du-Corbéis").insee
    assert names.find("le mele sur sarthe").insee == names.find("Le Mêle-sur-Sarthe").insee
    assert names.find("Anceins").insee == "61167"                   # delegated commune -> its commune
    with pytest.raises(InvalidInput) as e:
        names.find("Argentann")
    assert "Argentan" in e.value.message                            # a suggestion
    with pytest.raises(InvalidInput):
        names.find("Paris")


def test_commune_name_tie_broken_by_postal_code(database):
    """Two communes of the same name: the postal code chooses; without it, a clear refusal."""
    from vigie.daemon.core.models import Commune
    Commune.create(insee="61998", name="Argentan", postal_code="61999", postal_codes="61999",
                   latitude=48.7, longitude=0.0, departement="61")
    names = geo.CommuneNames()
    with pytest.raises(InvalidInput) as e:
        names.find("Argentan")
    assert "code postal" in e.value.message and "61006" in e.value.message
    assert names.find("Argentan", "61200").insee == "61006"
    assert names.find("Argentan", "61999").insee == "61998"


def test_chamber_headers_are_read_generously():
    read = memberfile.header_field
    assert read("Téléphone portable") == read("Portable") == read("Tél. mobile") == "phone1"
    assert read("N° de GSM") == "phone1" and read("Téléphone fixe") is None and read("Fax") is None
    assert read("Raison sociale") == read("Dénomination de l'établissement") == "name"
    assert read("Code APE") == "naf" and read("Commune") == "commune" and read("Code postal") == "postal_code"
    assert read("Code APE 2025") == "naf_2025" and read("Adresse e-mail") == "email"


def test_chamber_file_imports_with_names_and_a_rejected_file(database):
    report = memberfile.parse(chamber_file())
    # the mobile column is read as the phone, the plain « Téléphone » (landlines) left out, said so
    assert report.columns["phone1"] == 6 and "phone2" not in report.columns
    assert any("« Téléphone » ignorée" in w for _, w in report.warnings)
    assert [r["name"] for r in report.rows] == [g[0] for g in GOOD]
    communes = {r["name"]: r["commune"] for r in report.rows}
    assert communes["BOULANGERIE MARTIN"] == "61006" and communes["Ferme d'Anceins"] == "61167"
    assert report.rows[0]["phones"] == ["+33612345601"]
    errors = dict(report.errors)
    assert sorted(errors) == [8, 9]
    assert "Argentann" in errors[8] and "vouliez-vous dire « Argentan »" in errors[8]
    assert report.names[8] == "Quincaillerie Dupont"
    assert report.label(9, "Ligne") == "Ligne 9 (« Fleurs Éléonore »)"

    rejected = memberfile.rejected_file(report)
    text = rejected.decode("cp1252")                     # same encoding as the file sent
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == HEADER.split(";") + ["Ligne du fichier", "Motif du refus"]
    assert [r[0] for r in rows[1:]] == ["Quincaillerie Dupont", "Fleurs Éléonore"]
    assert [r[-2] for r in rows[1:]] == ["8", "9"] and "fixe" in rows[2][-1]

    # corrected, the file of refused lines imports as it is (the two added columns are ignored)
    fixed = text.replace(";Argentann;", ";Argentan;").replace("02 33 12 34 08", "06 12 34 56 08")
    again = memberfile.parse(fixed.encode("cp1252"))
    assert again.errors == [] and len(again.rows) == 2


def test_mapping_corrects_how_a_column_is_read(database):
    data = chamber_file(GOOD[:2], header="Raison sociale;SIRET;Code APE;Commune;Code postal;Fixe;Contact tél")
    report = memberfile.parse(data)
    assert report.errors and "colonne(s) manquante(s)" in report.errors[0][1]
    columns, _ = memberfile.read_columns(data)
    assert [c.field for c in columns] == ["name", "siret", "naf", "commune", "postal_code", None, "contact"]
    assert columns[0].samples == ["BOULANGERIE MARTIN", "Bijouterie Lefèvre"]
    mapping = memberfile.parse_column_options(["Contact tél=telephone", "fixe=ignorer"], report.header)
    assert mapping == {6: "phone1", 5: None}
    report = memberfile.parse(data, mapping)
    assert report.errors == [] and report.rows[1]["phones"] == ["+33781345602"]
    with pytest.raises(InvalidInput):
        memberfile.parse_column_options(["Nulle part=telephone"], report.header)
    with pytest.raises(InvalidInput):
        memberfile.parse_column_options(["Fixe=pointure"], report.header)


def test_cli_column_partial_and_rejects(vigie_cli, tmp_path):
    path = tmp_path / "chambre.csv"
    path.write_bytes(chamber_file().replace("Téléphone portable".encode("cp1252"), "Tél. GSM perso".encode("cp1252")))
    rc, out, err = vigie_cli("member", "import", path, "--dry-run")
    assert rc == 1
    rejects = tmp_path / "refus.csv"
    rc, out, err = vigie_cli("member", "import", path, "--partial", "--column", "Téléphone=ignorer",
                             "--column", "Tél. GSM perso=telephone", "--rejects", rejects)
    assert rc == 0, err
    assert "Ligne 8 (« Quincaillerie Dupont ») : " in err and "Argentann" in err
    assert Member.select().count() == len(GOOD)
    assert Contact.get(Contact.phone == "+33612345601").member.commune_id == "61006"
    assert rejects.read_bytes().decode("cp1252").count("\r\n") == 3
    rc, _, err = vigie_cli("member", "import", path, "--column", "Téléphone=pointure")
    assert rc != 0 and "pointure" in err


def _key(page) -> str:
    return re.search(r'name="key" value="([0-9a-f]{32})"', page.text).group(1)


def test_console_mapping_partial_import_and_rejected_file(database, manager, admin):
    data = chamber_file(header="Raison sociale;SIRET;Code APE;Commune;Code postal;Téléphone;Contact tél")
    preview = manager.post("/adherents/import", {"csrf": manager.csrf()}, files={"file": ("chambre.csv", data)})
    # « Téléphone » (landlines) is taken as the phone, « Contact tél » as the contact: every line refused
    assert preview.status == 200 and "0 ligne(s) valide(s)" in preview.text
    # the mapping step shows how each column was read, with a select per column
    assert re.search(r'<select id="colonne_0" name="colonne_0">.*?<option value="name" selected', preview.text, re.S)
    assert "BOULANGERIE MARTIN" in preview.text            # sample values
    key = _key(preview)
    fields = {f"colonne_{i}": f for i, f in enumerate(["name", "siret", "naf", "commune", "postal_code", "",
                                                       "phone1"])}
    remapped = manager.submit("/adherents/import/colonnes", {"key": key, **fields})
    assert remapped.status == 200
    assert "6 ligne(s) valide(s)" in remapped.text and "2 ligne(s) en erreur" in remapped.text
    assert "6 adhérent(s) à créer" in remapped.text
    # the preview in French: commune names, national phone numbers; errors with line and business name
    assert "Argentan (61006)" in remapped.text and "06 12 34 56 01" in remapped.text
    assert re.search(r"<td>8</td><td>Quincaillerie Dupont</td><td>[^<]*Argentann", remapped.text)
    assert 'id="import-partial"' in remapped.text and 'id="import-confirm"' not in remapped.text
    # the refused lines can be downloaded before importing, in the file's format
    early = manager.get(f"/adherents/import/{key}/refus.csv")
    assert early.status == 200 and "windows-1252" in early.header("Content-Type")
    assert early.body.decode("cp1252").splitlines()[1].startswith("Quincaillerie Dupont;")
    assert admin.get(f"/adherents/import/{key}/refus.csv").status == 404      # another user's upload
    assert Member.select().count() == 0

    done = manager.submit("/adherents/import/confirmer", {"key": key, "partial": "1"})
    assert done.status == 303 and done.location == f"/adherents/import?refus={key}"
    assert Member.select().count() == 6
    after = manager.get(done.location)
    assert "6 adhérent(s) créé(s)" in after.text and "2 lignes refusées" in after.text
    assert f'href="/adherents/import/{key}/refus.csv"' in after.text
    rejected = manager.get(f"/adherents/import/{key}/refus.csv")
    rows = list(csv.reader(io.StringIO(rejected.body.decode("cp1252")), delimiter=";"))
    assert [(r[0], r[-2]) for r in rows[1:]] == [("Quincaillerie Dupont", "8"), ("Fleurs Éléonore", "9")]
    assert "fixe" in rows[2][-1]
    # the upload itself is gone
    assert manager.submit("/adherents/import/confirmer", {"key": key, "partial": "1"}).status == 400
