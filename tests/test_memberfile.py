"""CSV import and export of members: encodings, separators, bad lines, all-or-nothing, idempotence."""

import pytest

from vigie.daemon.core import memberfile, members
from vigie.daemon.core.models import AuditLog, Contact, Member

from .fixtures_domain import make_siret

HEADER = "SIRET;Raison sociale;Enseigne;Code APE;Code INSEE;Téléphone;Téléphone 2;Contact;E-mail;Chambre;Statut"
ROWS = [
    f"{make_siret(1)};Bijouterie Lefèvre;Or et Éclat;47.77Z;61001;06 00 00 01 01;;Hélène Lefèvre;h@exemple.fr;CCI;actif",
    f"{make_siret(2)};Tabac de la Poste;;4726Z;61169;06 00 00 02 01 / 06 00 00 02 02;;;;cci;",
    f"{make_siret(3)};EARL du Bocage;;01.41Z;61003;+33600000301;06 00 00 03 02;Rémi;;Chambre d'agriculture;suspendu",
]


def csv_bytes(lines, sep=";", encoding="utf-8", bom=False):
    text = "\r\n".join(line.replace(";", sep) for line in lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


@pytest.mark.parametrize("encoding,bom,sep", [
    ("utf-8", False, ";"), ("utf-8", True, ";"), ("cp1252", False, ";"), ("utf-8", False, ","),
    ("cp1252", False, ","),
])
def test_parse_every_encoding_and_separator(database, encoding, bom, sep):
    data = csv_bytes([HEADER] + ROWS, sep, encoding, bom)
    report = memberfile.parse(data)
    assert report.errors == []
    assert [r["line"] for r in report.rows] == [2, 3, 4]
    first, second, third = report.rows
    assert first["name"] == "Bijouterie Lefèvre" and first["sign"] == "Or et Éclat"
    assert first["contact"] == "Hélène Lefèvre" and first["chamber"] == "cci"
    assert second["naf"] == "47.26Z" and second["phones"] == ["+33600000201", "+33600000202"]
    assert third["commune"] == "61167"            # former commune mapped
    assert third["phones"] == ["+33600000301", "+33600000302"]
    assert third["chamber"] == "ca" and third["status"] == "suspended"


def test_postal_code_and_town_instead_of_insee(database):
    data = csv_bytes(["siret;nom;naf;code_postal;ville;portable",
                      f"{make_siret(4)};Garage;45.20A;61100;Flers;0600000401",
                      f"{make_siret(5)};Ferme;01.11Z;61550;Anceins;0600000501"])
    report = memberfile.parse(data)
    assert report.errors == []
    assert [r["commune"] for r in report.rows] == ["61169", "61167"]


def test_dry_run_lists_every_bad_line_with_column(database):
    data = csv_bytes([HEADER,
                      ROWS[0],
                      f"{make_siret(6)[:-1]}9;Mauvais SIRET;;47.77Z;61001;0600000601;;;;;",
                      f"{make_siret(7)};Fixe;;47.77Z;61001;02 33 26 12 34;;;;;",
                      f"{make_siret(8)};NAF inconnu;;99.99Z;61001;0600000801;;;;;",
                      f"{make_siret(9)};Commune inconnue;;47.77Z;75056;0600000901;;;;;",
                      f"{make_siret(1)};Doublon;;47.77Z;61001;0600001001;;;;;",
                      f"{make_siret(11)};;;47.77Z;61001;0600001101;;;;;",
                      ROWS[1]])
    report = memberfile.import_members(data, actor="test", dry_run=True)
    lines = dict(report.errors)
    assert sorted(lines) == [3, 4, 5, 6, 7, 8]
    assert "« SIRET »" in lines[3]
    assert "« Téléphone »" in lines[4] and "fixe" in lines[4]
    assert "« Code APE »" in lines[5]
    assert "« Code INSEE »" in lines[6]
    assert "ligne 2" in lines[7]
    assert "« Raison sociale »" in lines[8]
    assert Member.select().count() == 0


def test_missing_column_is_reported_on_the_header(database):
    report = memberfile.parse(csv_bytes(["siret;nom;commune;telephone", f"{make_siret(1)};A;61001;0600000001"]))
    assert len(report.errors) == 1 and report.errors[0][0] == 1
    assert "naf" in report.errors[0][1]
    report = memberfile.parse(csv_bytes(["siret;nom;naf;telephone", f"{make_siret(1)};A;47.77Z;0600000001"]))
    assert "commune" in report.errors[0][1]


def test_all_or_nothing_then_partial(database):
    data = csv_bytes([HEADER, ROWS[0], f"{make_siret(7)};Fixe;;47.77Z;61001;02 33 26 12 34;;;;;", ROWS[1]])
    report = memberfile.import_members(data, actor="test")
    assert len(report.errors) == 1 and not report.written
    assert Member.select().count() == 0
    report = memberfile.import_members(data, actor="test", partial=True)
    assert report.written and report.created == 2
    assert Member.select().count() == 2


def test_import_is_idempotent_and_updates_by_siret(database):
    data = csv_bytes([HEADER] + ROWS)
    first = memberfile.import_members(data, actor="test")
    assert (first.created, first.updated) == (3, 0)
    audit_before = AuditLog.select().count()
    again = memberfile.import_members(data, actor="test")
    assert (again.created, again.updated) == (0, 0)
    assert AuditLog.select().count() == audit_before             # nothing changed, nothing written
    assert Member.select().count() == 3 and Contact.select().count() == 5
    changed = csv_bytes([HEADER, ROWS[0].replace("06 00 00 01 01", "06 00 00 01 09")] + ROWS[1:])
    report = memberfile.import_members(changed, actor="test")
    assert (report.created, report.updated) == (0, 1)
    assert members.phones_of(members.get(make_siret(1))) == ["+33600000109"]
    assert members.get(make_siret(3)).status == "suspended"


def test_import_without_status_column_keeps_status(database):
    memberfile.import_members(csv_bytes([HEADER] + ROWS), actor="test")
    members.set_status(members.get(make_siret(1)).id, "left", "test")
    memberfile.import_members(csv_bytes(["siret;nom;naf;commune;telephone",
                                         f"{make_siret(1)};Bijouterie Lefèvre;47.77Z;61001;0600000101"]),
                              actor="test")
    assert members.get(make_siret(1)).status == "left"


def test_export_import_round_trip(database):
    memberfile.import_members(csv_bytes([HEADER] + ROWS), actor="test")
    members.update(members.get(make_siret(2)).id, actor="t",
                   phones=["0600000201", "0600000202", "0600000203", "0600000204"])
    before = {m.siret: members.as_dict(m) for m in Member.select()}
    exported = memberfile.export_members()
    assert exported.startswith(b"\xef\xbb\xbf")
    text = exported.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("siret;nom;enseigne;naf_rev2;naf_2025;commune")
    assert "06 00 00 01 01" in text
    # into an empty database: the same members come back
    for m in list(Member.select()):
        members.erase(m.id, "t")
    report = memberfile.import_members(exported, actor="test")
    assert report.errors == [] and report.created == 3
    after = {m.siret: members.as_dict(m) for m in Member.select().where(Member.status != "erased")}
    keys = ["name", "sign", "naf", "commune", "phones", "contact", "email", "chamber", "status", "consent_date"]
    assert {s: {k: d[k] for k in keys} for s, d in after.items()} == \
           {s: {k: d[k] for k in keys} for s, d in before.items()}
    # and exporting again gives the same file
    assert memberfile.export_members() == exported


def test_shipped_demo_file_imports_cleanly(database):
    import importlib.resources
    data = (importlib.resources.files("vigie.daemon") / "data" / "demo-members.csv").read_bytes()
    report = memberfile.import_members(data, actor="test")
    assert report.errors == [] and report.created >= 100
    phones = [c.phone for c in Contact.select()]
    assert all(p.startswith("+33600") for p in phones)


def test_one_line_with_several_problems_lists_them_all(database):
    report = memberfile.parse(csv_bytes(["siret;nom;naf;commune;telephone;mobile 2;colonne perso",
                                         "123;Commerce;99.99Z;75056;0600000001;02 33 26 12 34;x"]))
    (line, reason), = report.errors
    assert line == 2
    for column in ("« siret »", "« naf »", "« commune »", "« mobile 2 »"):
        assert column in reason
    assert "« telephone »" not in reason
    assert report.warnings == [(1, "colonne(s) ignorée(s) : « colonne perso »")]


def test_export_neutralises_formulas_and_round_trips_them(database):
    members.add(siret=make_siret(2), name="'=déjà protégé", naf="47.77Z", commune="61001",
                phones=["0600000201"], actor="t")
    members.add(siret=make_siret(1), name="=HYPERLINK(\"http://x\")", naf="47.77Z", commune="61001",
                phones=["0600000101"], notes="-5 % sur tout", actor="t")
    exported = memberfile.export_members().decode("utf-8-sig")
    assert "'=HYPERLINK" in exported and "'-5 %" in exported
    members.erase(members.get(make_siret(1)).id, "t")
    members.erase(members.get(make_siret(2)).id, "t")
    memberfile.import_members(exported.encode("utf-8"), actor="t")
    again = members.get(make_siret(1))
    assert again.name == "=HYPERLINK(\"http://x\")" and again.notes == "-5 % sur tout"
    assert members.get(make_siret(2)).name == "'=déjà protégé"


from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

TRICKY = st.text(alphabet=st.sampled_from(list("abcXYZ éèçœ';,\"=+-@/«»&%\t")), min_size=1, max_size=30)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(TRICKY, min_size=1, max_size=4), notes=TRICKY)
def test_round_trip_keeps_any_text(database, names, notes):
    from vigie.daemon.core.models import AuditLog
    Contact.delete().execute()
    Member.delete().execute()
    AuditLog.delete().execute()
    expected = {}
    for i, name in enumerate(names):
        clean = " ".join(name.split())
        if not clean:
            continue
        members.add(siret=make_siret(i), name=name, naf="47.77Z", commune="61001",
                    phones=[f"06 00 00 {i:02d} 01"], notes=notes, actor="t")
        expected[make_siret(i)] = (clean, notes.strip())
    assume(expected)
    exported = memberfile.export_members()
    Contact.delete().execute()
    Member.delete().execute()
    report = memberfile.import_members(exported, actor="t")
    assert report.errors == []
    got = {m.siret: (m.name, m.notes) for m in Member.select()}
    assert got == expected
