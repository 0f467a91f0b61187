"""The console and NAF 2025: member form and list in both nomenclatures, the alert preview listing the
members reached through multiple links (include or leave them), the to-do list of the migration aid."""

import re
import urllib.parse

from vigie.daemon.core import members
from vigie.daemon.core.models import AuditLog, Member

from .fixtures_web import ARGENTAN, add_member, siret_for

TEXT = "Gendarmerie : vols dans des bijouteries. Signalez tout fait suspect au 17."


def form(n: int, **overrides) -> dict:
    data = dict(siret=siret_for(n), name=f"Bijouterie {n}", sign="", naf_rev2="", naf_2025="", commune=ARGENTAN,
                phones="06 12 00 00 0%d" % n, chamber="cci", contact="", email="", address="", notes="",
                consent_date="", consent_channel="", consent_version="", status="active")
    data.update(overrides)
    return data


def test_member_form_takes_either_code_and_says_which(database, manager):
    page = manager.get("/adherents/nouveau")
    assert "Code APE en NAF rév. 2" in page.text and "Code APE en NAF 2025" in page.text
    answer = manager.submit("/adherents/nouveau", form(1, naf_2025="47.77Y"))
    assert answer.status == 303
    member = Member.get(Member.siret == siret_for(1))
    assert (member.naf, member.naf_2025) == ("", "47.77Y")
    answer = manager.submit("/adherents/nouveau", form(2, naf_rev2="47.77Y"))
    assert answer.status == 400 and "existe pas dans la nomenclature NAF rév. 2" in answer.text
    answer = manager.submit("/adherents/nouveau", form(2))
    assert answer.status == 400 and "obligatoire" in answer.text
    # Editing: the rév. 2 code is added; the NAF 2025 one stays.
    answer = manager.submit(f"/adherents/{member.id}", form(1, naf_rev2="47.77Z", naf_2025="47.77Y"))
    assert answer.status == 303
    assert (members.get(member.id).naf, members.get(member.id).naf_2025) == ("47.77Z", "47.77Y")
    page = manager.get("/adherents")
    assert "47.77Z (NAF rév. 2)" in page.text and "47.77Y (NAF 2025)" in page.text


def test_preview_lists_multiple_links_and_the_operator_includes_them(database, operator):
    add_member(1, naf="47.77Z", name="Bijouterie ancienne")
    add_member(2, naf="", naf_2025="47.77Y", name="Bijouterie nouvelle")
    query = urllib.parse.urlencode({"text": TEXT, "naf_codes": "47.77Z"})
    data = operator.get(f"/alertes/apercu.json?{query}").json()
    assert data["count"] == 1 and data["naf_correspondence"]["multiple"] == 1
    page = operator.submit("/alertes/nouvelle", {"text": TEXT, "naf_codes": "47.77Z"}, page="/alertes/nouvelle")
    assert page.status == 200 and 'id="naf-correspondence"' in page.text
    assert "Bijouterie nouvelle" in page.text and "47.77Y (NAF 2025)" in page.text
    assert 'id="confirm-count">1 téléphone' in page.text
    targeting = re.search(r'name="targeting" value="([^"]*)"', page.text).group(1).replace("&quot;", '"')
    page = operator.submit("/alertes/nouvelle", {"text": TEXT, "targeting": targeting, "action": "include_multiple"},
                           page="/alertes/nouvelle")
    assert page.status == 200 and 'id="confirm-count">2 téléphones' in page.text
    assert "Le laisser de côté" in page.text and "laissé de côté, sauf s" not in page.text
    # The composer's checkbox does the same.
    page = operator.submit("/alertes/nouvelle", {"text": TEXT, "naf_codes": "47.77Z", "include_multiple": "1"},
                           page="/alertes/nouvelle")
    assert 'id="confirm-count">2 téléphones' in page.text
    page = operator.submit("/alertes/nouvelle", {"text": TEXT, "naf_codes": "47"}, page="/alertes/nouvelle")
    assert page.status == 400 and "ambigu" in page.text


def test_naf2025_todo_page(database, manager):
    add_member(1, naf="01.11Z", name="Céréales")           # single: 01.11Y
    add_member(2, naf="47.77Z", name="Bijouterie")         # 47.77Y or 47.92J
    Member.update(sirene_naf_2025="47.77Y").where(Member.siret == siret_for(2)).execute()
    page = manager.get("/adherents")
    assert "Passage à la NAF 2025 (2 à faire)" in page.text
    page = manager.get("/adherents/naf2025")
    assert page.status == 200 and "Correspondance unique (1)" in page.text
    assert "À choisir par une personne (1)" in page.text
    assert "SIRENE : <strong>47.77Y</strong>" in page.text
    assert 'value="47.77Y" checked' in page.text and 'value="47.92J"' in page.text
    answer = manager.submit("/adherents/naf2025", {}, page="/adherents/naf2025")
    assert answer.status == 303
    assert members.get(siret_for(1)).naf_2025 == "01.11Y" and members.get(siret_for(2)).naf_2025 == ""
    assert AuditLog.select().where(AuditLog.action == "member.naf2025").count() == 1
    member = members.get(siret_for(2))
    page = manager.get(f"/adherents/{member.id}")           # the member's page points to the to-do list
    assert "Correspondance NAF 2025 de 47.77Z : 47.77Y, 47.92J (SIRENE : 47.77Y)" in page.text
    answer = manager.submit(f"/adherents/{member.id}/naf2025", {"naf_2025": "47.77Z"}, page="/adherents/naf2025")
    assert answer.status == 400 and "existe pas dans la nomenclature NAF 2025" in answer.text
    answer = manager.submit(f"/adherents/{member.id}/naf2025", {"naf_2025": "47.77Y"}, page="/adherents/naf2025")
    assert answer.status == 303 and members.get(member.id).naf_2025 == "47.77Y"
    page = manager.get("/adherents/naf2025")
    assert "Correspondance unique (0)" in page.text and "À choisir par une personne (0)" in page.text


def test_sector_page_counts_and_sector_export(database, admin):
    from vigie.daemon.core import defaults
    defaults.ensure_defaults()
    add_member(1, naf="47.77Z", name="Bijouterie ancienne")
    add_member(2, naf="", naf_2025="47.77Y", name="Bijouterie nouvelle")
    add_member(3, naf="56.10A", name="Restaurant")
    page = admin.get("/secteurs")
    assert "NAF rév. 2 : 1, NAF 2025 : 1" in page.text
    page = admin.get("/adherents?secteur=bijouteries")
    assert "2 adhérents" in page.text and "/adherents/export.csv?secteur=bijouteries" in page.text
    text = admin.get("/adherents/export.csv?secteur=bijouteries").text
    assert "Bijouterie nouvelle" in text and "Restaurant" not in text
    assert admin.get("/adherents/export.csv?secteur=47").status == 400
