"""NAF 2025 beside NAF rév. 2 (issue 17): members in either nomenclature, imports mixing them, sector
alerts reaching both, the correspondence's multiple links left to the operator, the SIRENE check filling
NAF 2025, the migration aid, and migration 5 on a database of the rév. 2 era."""

import json
import os
import shutil

import pytest

from vigie.daemon.core import alerts, defaults, memberfile, members, naf2025, presets, sectors, sirene
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import AuditLog, Member, Message, Preset, SectorGroup
from vigie.daemon.core.targeting import Targeting, correspondence, resolve

from .fixtures_daemon import daemon_settings, running_daemon, wait_until
from .fixtures_domain import make_siret

SIRENE_FILE = os.path.join(os.path.dirname(__file__), "data", "StockEtablissement-naf2025.csv")
TEXT = "Gendarmerie de l'Orne : vols dans des bijouteries du secteur. Signalez tout fait suspect au 17."


def add(n, *, naf="", naf_2025="", name=None, commune="61001", **kw):
    return members.add(siret=make_siret(n), name=name or f"Commerce {n}", naf=naf, naf_2025=naf_2025,
                       commune=commune, phones=[f"06 00 00 {n:02d} 01"], actor="test", **kw)


def csv_bytes(lines):
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- members in either nomenclature ---------------------------------------------------------------

def test_member_code_recognised_said_or_refused(database):
    a = add(1, naf="4777Z")
    b = add(2, naf="47.77Y")                          # given without saying: recognised as NAF 2025
    c = add(3, naf_2025="01.48G")
    d = add(4, naf="47.77Z", naf_2025="47.77Y")
    assert (a.naf, a.naf_2025) == ("47.77Z", "")
    assert (b.naf, b.naf_2025) == ("", "47.77Y")
    assert (c.naf, c.naf_2025) == ("", "01.48G")
    assert (d.naf, d.naf_2025) == ("47.77Z", "47.77Y")
    shown = members.as_dict(d)
    assert [x["display"] for x in shown["naf_codes"]] == ["47.77Z (NAF rév. 2)", "47.77Y (NAF 2025)"]
    assert (shown["naf"], shown["naf_2025"]) == ("47.77Z", "47.77Y")
    # The class 47.77 exists in both nomenclatures with different contents: refused, in French.
    with pytest.raises(InvalidInput) as e:
        add(5, naf="47.77")
    assert e.value.field == "naf" and "ambigu" in e.value.message and "2025:47.77" in e.value.message
    # Said, it is one sub-class.
    assert add(5, naf="2025:47.77").naf_2025 == "47.77Y"
    with pytest.raises(InvalidInput, match="n'existe pas dans la nomenclature NAF 2025"):
        add(6, naf_2025="47.77Z")
    with pytest.raises(InvalidInput, match="Deux codes NAF 2025 différents"):
        add(6, naf="47.77Y", naf_2025="47.26Y")
    with pytest.raises(InvalidInput, match="obligatoire"):
        add(6)
    assert Member.select().count() == 5


def test_update_adds_and_clears_codes(database):
    m = add(1, naf="47.77Z")
    m = members.update(m.id, actor="test", naf_2025="47.77Y")
    assert (m.naf, m.naf_2025) == ("47.77Z", "47.77Y")
    m = members.update(m.id, actor="test", naf_rev2="")
    assert (m.naf, m.naf_2025) == ("", "47.77Y")
    with pytest.raises(InvalidInput, match="gardez au moins"):
        members.update(m.id, actor="test", naf_2025="")
    assert members.get(m.id).naf_2025 == "47.77Y"


# --- CSV import and export ------------------------------------------------------------------------

def test_import_mixing_rev2_and_2025_codes_and_export_both(database):
    data = csv_bytes([
        "siret;nom;Code APE;Code APE (NAF 2025);commune;telephone",
        f"{make_siret(1)};Bijouterie ancienne;47.77Z;;61001;0600000101",
        f"{make_siret(2)};Bijouterie nouvelle;47.77Y;;61001;0600000201",      # recognised in the APE column
        f"{make_siret(3)};Bijouterie des deux;47.77Z;47.77Y;61001;0600000301",
        f"{make_siret(4)};Élevage;;01.48G;61001;0600000401",
    ])
    report = memberfile.import_members(data, actor="test")
    assert report.errors == [] and report.created == 4, report.errors
    codes = {m.name: (m.naf, m.naf_2025) for m in Member.select()}
    assert codes == {"Bijouterie ancienne": ("47.77Z", ""), "Bijouterie nouvelle": ("", "47.77Y"),
                     "Bijouterie des deux": ("47.77Z", "47.77Y"), "Élevage": ("", "01.48G")}
    text = memberfile.export_members().decode("utf-8-sig")
    header = text.splitlines()[0].split(";")
    assert header[3:5] == ["naf_rev2", "naf_2025"]
    row = next(line for line in text.splitlines() if "Bijouterie des deux" in line).split(";")
    assert row[3:5] == ["47.77Z", "47.77Y"]
    # The export imports back unchanged.
    again = memberfile.import_members(text.encode("utf-8"), actor="test")
    assert again.errors == [] and (again.created, again.updated) == (0, 0)


def test_import_refuses_ambiguous_and_misplaced_codes(database):
    data = csv_bytes([
        "siret;nom;naf;naf_2025;commune;telephone",
        f"{make_siret(1)};Ambigu;47.77;;61001;0600000101",
        f"{make_siret(2)};Mal placé;;47.77Z;61001;0600000201",
        f"{make_siret(3)};Bon;47.77Z;47.77Y;61001;0600000301",
    ])
    report = memberfile.import_members(data, actor="test")
    assert [line for line, _ in report.errors] == [2, 3]
    assert "colonne « naf »" in report.errors[0][1] and "ambigu" in report.errors[0][1]
    assert "colonne « naf_2025 »" in report.errors[1][1] and "NAF 2025" in report.errors[1][1]
    assert Member.select().count() == 0                     # all or nothing


@pytest.mark.parametrize("header, field", [
    ("naf_2025", "naf_2025"), ("NAF 2025", "naf_2025"), ("Code APE 2025", "naf_2025"), ("ape_25", "naf_2025"),
    ("activitePrincipaleNAF25Etablissement", "naf_2025"), ("Code NAF (2025)", "naf_2025"),
    ("NAF rév. 2", "naf_rev2"), ("code_naf_rev2", "naf_rev2"), ("NAF 2008", "naf_rev2"),
    ("Code APE", "naf"), ("naf", "naf"), ("telephone", "phone1"),
    ("Papeterie 2025", None), ("Chiffre d'affaires 2025", None),
])
def test_generous_naf_headers(header, field):
    assert memberfile.header_field(header) == field


# --- targeting across both nomenclatures ------------------------------------------------------

@pytest.fixture
def jewellers(database):
    defaults.ensure_defaults()
    return {
        "old": add(1, naf="47.77Z", name="Bijouterie rév. 2"),
        "new": add(2, naf="47.77Y", name="Bijouterie NAF 2025"),
        "both": add(3, naf="47.77Z", naf_2025="47.77Y", name="Bijouterie deux codes"),
        "broker": add(4, naf_2025="47.92J", name="Intermédiaire"),   # intermediation: not a jeweller
        "market": add(5, naf="47.89Z", name="Marché"),               # also leads to 47.77Y in NAF 2025
        "tabac": add(6, naf="47.26Z", name="Tabac"),
    }


def reached(t):
    return {r.member_name for r in resolve(t)}


def test_shipped_groups_are_defined_in_both_nomenclatures(jewellers):
    assert sectors.codes_of(sectors.get("bijouteries")) == ["47.77Z", "47.77Y"]
    unit = sectors.unit("bijouteries")
    assert unit == {"rev2": {"47.77Z"}, "2025": {"47.77Y"}}
    for name, *_ in defaults.SECTOR_GROUPS:
        assert set(sectors.unit(name)) == {"rev2", "2025"}, name
    # Chosen by hand: the retail intermediation 47.77Z also leads to is not a jeweller.
    assert "47.92J" not in sectors.expand(["bijouteries"])
    assert "47.92H" not in sectors.expand(["tabac-presse"])
    assert not sectors.expand(["commerces de détail"]) & sectors.expand(["2025:47.9", "2025:47.8"])


def test_bijouteries_reach_both_nomenclatures_and_follow_no_link(jewellers):
    t = Targeting(sectors=["bijouteries"])
    assert reached(t) == {"Bijouterie rév. 2", "Bijouterie NAF 2025", "Bijouterie deux codes"}
    assert correspondence(t)["total"] == 0


def test_a_rev2_criterion_lists_multiple_links_for_the_operator(jewellers):
    t = Targeting(sectors=["47.77Z"])
    # 47.77Y also comes from market stalls and distance selling: a multiple link, not followed silently.
    assert reached(t) == {"Bijouterie rév. 2", "Bijouterie deux codes"}
    info = correspondence(t)
    # 47.77Z also leads to the retail intermediation 47.92J: the intermediary is listed as well.
    assert (info["single"], info["multiple"], info["multiple_included"]) == (0, 2, False)
    listed, broker = info["multiple_members"]
    assert broker["name"] == "Intermédiaire" and broker["code"] == "47.92J (NAF 2025)"
    assert (listed["name"], listed["code"], listed["included"]) == ("Bijouterie NAF 2025", "47.77Y (NAF 2025)",
                                                                    False)
    assert listed["counterparts"] == ["47.77Z", "47.89Z", "47.91B", "47.99A", "47.99B"]
    # The operator includes them all, or one by its SIRET.
    assert "Bijouterie NAF 2025" in reached(Targeting(sectors=["47.77Z"], include_multiple=True))
    chosen = Targeting(sectors=["47.77Z"], members=[jewellers["new"].siret])
    assert "Bijouterie NAF 2025" in reached(chosen)
    assert correspondence(chosen)["multiple_members"][0]["included"] is True
    assert "liens multiples" in Targeting(sectors=["47.77Z"], include_multiple=True).describe()


def test_a_2025_criterion_reaches_rev2_members_through_single_links(jewellers):
    t = Targeting(sectors=["2025:47"])
    info = correspondence(t)
    # Every target of 47.77Z, 47.89Z and 47.26Z lies in NAF 2025 division 47: single.
    assert reached(t) == {m.name for m in jewellers.values()}
    assert info["single"] == 3 and info["multiple"] == 0
    # 47.77Y alone: the 47.77Z member may be an intermediary (47.92J): multiple.
    info = correspondence(Targeting(sectors=["47.77Y"]))
    assert {m["name"] for m in info["multiple_members"]} == {"Bijouterie rév. 2", "Marché"}
    assert reached(Targeting(sectors=["47.77Y"])) == {"Bijouterie NAF 2025", "Bijouterie deux codes"}


def test_ambiguous_sector_refused_and_said_accepted(jewellers):
    with pytest.raises(InvalidInput) as e:
        Targeting(sectors=["47"]).validate()
    assert e.value.field == "sectors" and "ambigu" in e.value.message
    Targeting(sectors=["rev2:47"]).validate()
    with pytest.raises(InvalidInput):
        sectors.create("mes commerces", "47", actor="test")
    group = sectors.create("mes commerces", "2025:47 47.77Z", actor="test")
    assert sectors.codes_of(group) == ["2025:47", "47.77Z"]
    assert sectors.code_label("2025:47") == "47 (NAF 2025)"


def test_member_search_and_counts_by_sector_across_both(jewellers):
    found, total = members.search(naf="bijouteries")
    assert total == 3
    assert {m.name for m in members.search(naf="47.77Y")[0]} == {"Bijouterie NAF 2025", "Bijouterie deux codes"}


def test_alert_to_bijouteries_reaches_47_77Z_and_47_77Y_over_the_simulated_modem(tmp_path, sims):
    sim = sims("sim0", model="sim7600")
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    defaults.ensure_defaults()
    old = add(1, naf="47.77Z", name="Bijouterie rév. 2")
    new = add(2, naf_2025="47.77Y", name="Bijouterie NAF 2025")
    add(3, naf_2025="47.92J", name="Intermédiaire")
    add(4, naf="47.26Z", name="Tabac")
    alert = alerts.create(TEXT, Targeting(sectors=["bijouteries"]), settings=settings, author="test", source="cli")
    assert alert.recipient_count == 2
    with running_daemon(settings):
        assert wait_until(lambda: Message.select().where(Message.state == "delivered").count() == 2, 60)
    on_air = {entry["to"] for entry in sim.air()}
    assert on_air == {members.phones_of(old)[0], members.phones_of(new)[0]}


# --- CLI ------------------------------------------------------------------------------------------

def test_cli_member_and_dry_run_say_the_nomenclature(database, vigie_cli):
    rc, out, err = vigie_cli("member", "add", "--siret", make_siret(1), "--name", "Bijouterie Y",
                             "--naf", "47.77Y", "--commune", "61001", "--phone", "0600000101", "--json")
    assert rc == 0, err
    assert json.loads(out)["naf_2025"] == "47.77Y" and json.loads(out)["naf"] == ""
    rc, out, err = vigie_cli("member", "add", "--siret", make_siret(2), "--name", "Ambigu",
                             "--naf", "47.77", "--commune", "61001", "--phone", "0600000201")
    assert rc != 0 and "ambigu" in err and "naf" in err
    vigie_cli("member", "add", "--siret", make_siret(3), "--name", "Bijouterie Z", "--naf-rev2", "47.77Z",
              "--commune", "61001", "--phone", "0600000301")
    rc, out, _ = vigie_cli("member", "show", make_siret(1))
    assert "NAF 2025 :" in out and "47.77Y — Commerce de détail" in out
    rc, out, _ = vigie_cli("member", "list")
    assert "47.77Y (NAF 2025)" in out and "47.77Z (NAF rév. 2)" in out
    rc, out, err = vigie_cli("alert", "send", "--text", TEXT, "--sector", "47.77Z", "--dry-run", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["recipients"] == 1 and data["naf_correspondence"]["multiple"] == 1
    assert data["naf_correspondence"]["multiple_members"][0]["siret"] == make_siret(1)
    rc, out, _ = vigie_cli("alert", "send", "--text", TEXT, "--sector", "47.77Z", "--include-multiple",
                           "--dry-run", "--json")
    assert json.loads(out)["recipients"] == 2
    rc, out, _ = vigie_cli("alert", "send", "--text", TEXT, "--sector", "47.77Z", "--dry-run")
    assert "laissé de côté" in out and "lien multiple" in out
    rc, _, err = vigie_cli("alert", "send", "--text", TEXT, "--sector", "47", "--dry-run")
    assert rc != 0 and "rev2:47" in err


# --- SIRENE -----------------------------------------------------------------------------------------

def test_sirene_check_fills_naf_2025(database, tmp_path):
    add(1, naf="47.77Z", name="Rév. 2 seulement")
    add(2, naf="47.26Z", naf_2025="47.26Y", name="Déjà en NAF 2025")
    memberfile.import_members(csv_bytes(["siret;nom;naf;commune;telephone",
                                         f"{make_siret(3)};Sans code;;61169;0600000301"]), actor="test")
    add(4, naf="47.89Z", name="Masqué")
    add(5, naf="47.30Z", name="Fermé")
    report = sirene.check(SIRENE_FILE, actor="test")
    assert report.naf_2025_column and report.closed == [{"siret": make_siret(5), "name": "Fermé"}]
    filled = {item["siret"]: {k: v for k, v in item.items() if k not in ("siret", "name")} for item in report.filled}
    assert filled == {make_siret(1): {"naf_2025": "47.77Y"}, make_siret(3): {"naf": "47.77Z", "naf_2025": "47.77Y"},
                      make_siret(5): {"naf_2025": "47.30Y"}}
    assert members.get(make_siret(1)).naf_2025 == ""                       # without --fill nothing changes
    assert members.get(make_siret(1)).sirene_naf_2025 == "47.77Y"          # but the to-do list knows it
    sirene.check(SIRENE_FILE, fill=True, actor="test")
    assert members.get(make_siret(1)).naf_2025 == "47.77Y"
    assert (members.get(make_siret(3)).naf, members.get(make_siret(3)).naf_2025) == ("47.77Z", "47.77Y")
    assert members.get(make_siret(2)).naf_2025 == "47.26Y"
    assert members.get(make_siret(4)).naf_2025 == ""                       # [ND]: masked, nothing filled
    # A file without the NAF 2025 column says so and fills rév. 2 only.
    plain = tmp_path / "stock.csv"
    with open(SIRENE_FILE, encoding="utf-8") as f:
        lines = [",".join(line.rstrip("\n").split(",")[:-1]) for line in f]
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert not sirene.check(str(plain), actor="test").naf_2025_column


# --- the migration aid ---------------------------------------------------------------------------

def test_migration_aid_single_and_multiple_links(database, vigie_cli):
    add(1, naf="01.11Z", name="A céréales")                 # single: 01.11Y
    add(2, naf="47.77Z", name="B bijouterie")               # multiple: 47.77Y or 47.92J
    add(3, naf="47.26Z", naf_2025="47.26Y", name="C déjà fait")
    add(4, naf_2025="47.77Y", name="D NAF 2025 seulement")
    Member.update(sirene_naf_2025="47.77Y").where(Member.siret == make_siret(2)).execute()
    plan = naf2025.plan()
    assert [(i.name, i.kind, i.proposed, i.candidates) for i in plan.items] == [
        ("A céréales", "single", "01.11Y", ["01.11Y"]),
        ("B bijouterie", "multiple", None, ["47.77Y", "47.92J"])]
    assert plan.items[1].as_dict()["sirene_is_candidate"] is True
    rc, out, _ = vigie_cli("member", "naf2025", "--json")
    data = json.loads(out)
    assert (data["single"], data["multiple"], data["applied"], data["dry_run"]) == (1, 1, 0, True)
    assert members.get(make_siret(1)).naf_2025 == ""
    rc, out, _ = vigie_cli("member", "naf2025")
    assert "01.11Z (NAF rév. 2) → 01.11Y (NAF 2025)" in out and "SIRENE : 47.77Y" in out
    rc, out, _ = vigie_cli("member", "naf2025", "--apply")
    assert rc == 0 and "1 code NAF 2025 enregistré ; 1 adhérent reste à traiter." in out
    assert members.get(make_siret(1)).naf_2025 == "01.11Y"
    assert members.get(make_siret(2)).naf_2025 == ""                      # left for a person
    entry = AuditLog.get(AuditLog.action == "member.naf2025")
    assert entry.target == make_siret(1) and json.loads(entry.detail)["naf_2025"] == "01.11Y"
    assert naf2025.apply(actor="test").applied == []                      # idempotent


# --- migration 5 on a database of the rév. 2 era -----------------------------------------------------

def test_migration_5_upgrades_a_rev2_database(db_path, tmp_path):
    db = db_mod.open_database(db_path)
    defaults.ensure_defaults()
    add(1, naf="47.77Z")
    SectorGroup.update(codes="47.77Z").where(SectorGroup.name == "bijouteries").execute()   # the old default
    SectorGroup.update(codes="47 62.01Z").where(SectorGroup.name == "commerces de détail").execute()  # edited
    Preset.create(name="commerces", text="x", targeting=json.dumps({"sectors": ["47", "bijouteries", "47.77Z"]}))
    # Back to schema version 4 (before NAF 2025): no NAF 2025 columns.
    db.execute_sql('DROP INDEX "member_naf_2025"')
    db.execute_sql('ALTER TABLE "member" DROP COLUMN "naf_2025"')
    db.execute_sql('ALTER TABLE "member" DROP COLUMN "sirene_naf_2025"')
    db.execute_sql("PRAGMA user_version = 4")
    db_mod.close_database()
    old_copy = tmp_path / "old.db"
    shutil.copy(db_path, old_copy)

    db = db_mod.open_database(db_path)
    assert db_mod.schema_version(db) == db_mod.SCHEMA_VERSION
    assert members.get(make_siret(1)).naf_2025 == ""
    assert sectors.codes_of(sectors.get("bijouteries")) == ["47.77Z", "47.77Y"]
    assert sectors.codes_of(sectors.get("commerces de détail")) == ["rev2:47", "62.01Z"]
    assert presets.targeting_of(presets.get("commerces")).sectors == ["rev2:47", "bijouteries", "47.77Z"]
    presets.targeting_of(presets.get("commerces")).validate()
    db_mod.migrate(db)                                                   # nothing left to do
    assert sectors.codes_of(sectors.get("bijouteries")) == ["47.77Z", "47.77Y"]


# --- statistics and exports by sector ---------------------------------------------------------------

def test_counts_and_export_by_sector_across_both(jewellers, vigie_cli):
    [counts] = members.count_by_sector(["bijouteries"])
    assert counts == {"sector": "bijouteries", "members": 3, "rev2": 2, "naf_2025": 2, "multiple": 0}
    [counts] = members.count_by_sector(["47.77Z"])
    assert (counts["members"], counts["multiple"]) == (2, 2)      # 47.77Y and 47.92J members left out
    text = memberfile.export_members(sector="bijouteries").decode("utf-8-sig")
    assert len(text.splitlines()) == 4
    assert {line.split(";")[1] for line in text.splitlines()[1:]} == {
        "Bijouterie rév. 2", "Bijouterie NAF 2025", "Bijouterie deux codes"}
    rc, out, _ = vigie_cli("sector", "list", "--json")
    by_name = {g["name"]: g for g in json.loads(out)}
    assert (by_name["bijouteries"]["members"], by_name["bijouteries"]["members_naf_2025"]) == (3, 2)
    assert by_name["bijouteries"]["codes"][1]["display"] == "47.77Y (NAF 2025)"
    rc, out, _ = vigie_cli("sector", "search", "horlogerie bijouterie")
    assert "47.77Y" in out and "NAF 2025" in out and "47.77Z" in out


def test_report_counts_members_by_sector_and_section_across_both(jewellers):
    import datetime as dt

    from vigie.daemon.core import report
    today = dt.date.today()
    data = report.figures(today, today)["members"]
    by_sector = {s["sector"]: s for s in data["by_sector_group"]}
    assert (by_sector["bijouteries"]["members"], by_sector["bijouteries"]["naf_2025"]) == (3, 2)
    sections = {(s["nomenclature"], s["section"]): s for s in data["by_naf_section"]}
    # Members with a NAF 2025 code are counted in its section, the others in their rév. 2 section.
    assert sections[("2025", "G")]["members"] == 3 and sections[("rev2", "G")]["members"] == 3
    assert sections[("2025", "G")]["label"].endswith("(NAF 2025)")
