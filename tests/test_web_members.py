"""Adhérents pages over WSGI: list and filters, create, edit, status, erase, RGPD export, CSV import/export."""

import re

from vigie.daemon.core import members, sectors, zones
from vigie.daemon.core.models import AuditLog, Contact, Member

from .fixtures_web import ALENCON, ARGENTAN, FLERS, add_member, members_csv, phone_for, siret_for


def member_form(n: int, **overrides) -> dict:
    data = dict(siret=siret_for(n), name=f"Horlogerie {n}", sign="", naf="47.77Z", commune=ARGENTAN,
                phones="06 12 00 00 0%d" % (n % 10), chamber="cci", contact="", email="", address="",
                notes="", consent_date="01/03/2025", consent_channel="bulletin", consent_version="v1",
                status="active")
    data.update(overrides)
    return data


def test_list_search_filters_and_pagination(database, manager):
    sectors.create("bijouteries", "47.77Z", actor="test")
    zones.create("bocage", [FLERS], actor="test")
    for n in range(60):
        add_member(n, name=f"Bijouterie {n:02d}", commune=FLERS if n % 2 else ARGENTAN,
                   naf="47.77Z" if n < 55 else "56.10A", chamber="cma" if n == 7 else "cci")
    members.set_status(members.get(siret_for(3)).id, "suspended", "test")

    page = manager.get("/adherents")
    assert page.status == 200 and "60 adhérents" in page.text
    assert page.text.count('href="/adherents/') >= 50 and "Suivants" in page.text
    assert "Bijouterie 55" not in page.text
    assert "Bijouterie 55" in manager.get("/adherents?debut=50").text

    assert "1 adhérent" in manager.get("/adherents?q=Bijouterie+07").text
    assert "Bijouterie 12" in manager.get(f"/adherents?q={siret_for(12)}").text
    assert "30 adhérents" in manager.get(f"/adherents?commune={FLERS}").text
    assert "30 adhérents" in manager.get("/adherents?zone=bocage").text
    assert "55 adhérents" in manager.get("/adherents?secteur=bijouteries").text
    assert "1 adhérent" in manager.get("/adherents?chambre=cma").text
    suspended = manager.get("/adherents?statut=suspended").text
    assert "1 adhérent" in suspended and "Bijouterie 03" in suspended
    bad = manager.get("/adherents?secteur=ZZZ")
    assert bad.status == 400 and "Secteur inconnu" in bad.text


def test_create_member_and_refusals_change_nothing(database, manager):
    answer = manager.submit("/adherents/nouveau", member_form(1, siret="12345678900000"))
    assert answer.status == 400 and "SIRET" in answer.text
    assert 'value="Horlogerie 1"' in answer.text            # what was typed is kept
    answer = manager.submit("/adherents/nouveau", member_form(1, phones="02 33 12 34 56"))
    assert answer.status == 400 and "fixe" in answer.text
    answer = manager.submit("/adherents/nouveau", member_form(1, naf="47"))
    assert answer.status == 400 and "NAF" in answer.text
    assert Member.select().count() == 0

    answer = manager.submit("/adherents/nouveau", member_form(1, phones="06 12 00 00 01\n07 98 76 54 32"))
    assert answer.status == 303
    member = Member.get(Member.siret == siret_for(1))
    assert answer.location == f"/adherents/{member.id}"
    assert [c.phone for c in members.contacts(member)] == ["+33612000001", "+33798765432"]
    assert member.consent_date == "2025-03-01"
    page = manager.get(answer.location)
    assert "Adhérent « Horlogerie 1 » enregistré." in page.text and "06 12 00 00 01" in page.text
    assert AuditLog.get(AuditLog.action == "member.add").actor == "cci"

    duplicate = manager.submit("/adherents/nouveau", member_form(1))
    assert duplicate.status == 400 and "déjà" in duplicate.text
    assert Member.select().count() == 1


def test_edit_member(database, manager):
    member = add_member(1)
    url = f"/adherents/{member.id}"
    answer = manager.submit(url, member_form(1, name="Nouveau nom", phones="07 81 22 33 44", commune=ALENCON),
                            page=url)
    assert answer.status == 303
    member = members.get(member.id)
    assert member.name == "Nouveau nom" and member.commune_id == ALENCON
    assert members.phones_of(member) == ["+33781223344"]

    answer = manager.submit(url, member_form(1, name="", phones="07 81 22 33 44"), page=url)
    assert answer.status == 400 and "obligatoire" in answer.text
    assert members.get(member.id).name == "Nouveau nom"


def test_suspend_and_reactivate(database, manager):
    member = add_member(1)
    url = f"/adherents/{member.id}"
    assert manager.submit(f"{url}/statut", {"status": "suspended"}, page=url).status == 303
    assert members.get(member.id).status == "suspended"
    assert "Réactiver" in manager.get(url).text
    assert manager.submit(f"{url}/statut", {"status": "active"}, page=url).status == 303
    assert members.get(member.id).status == "active"
    bad = manager.submit(f"{url}/statut", {"status": "erased"}, page=url)
    assert bad.status == 400 and members.get(member.id).status == "active"


def test_erase_needs_confirmation(database, manager):
    member = add_member(1, notes="client fidèle")
    url = f"/adherents/{member.id}/effacer"
    page = manager.get(url)
    assert "irréversible" in page.text
    refused = manager.submit(url, {}, page=url)
    assert refused.status == 400 and "confirmation" in refused.text
    assert members.get(member.id).status == "active"
    answer = manager.submit(url, {"confirm": "oui"}, page=url)
    assert answer.status == 303 and answer.location == "/adherents"
    erased = Member.get_by_id(member.id)
    assert erased.status == "erased" and erased.siret is None and erased.notes == ""
    assert Contact.select().where(Contact.member == member.id).count() == 0


def test_rgpd_export_of_one_member(database, manager):
    member = add_member(1, contact="Mme Durand")
    answer = manager.get(f"/adherents/{member.id}/donnees.json")
    assert answer.status == 200 and "attachment" in answer.header("Content-Disposition")
    data = answer.json()
    assert data["member"]["siret"] == siret_for(1)
    assert data["contacts"][0]["phone"] == phone_for(1) and data["contacts"][0]["name"] == "Mme Durand"
    assert AuditLog.select().where(AuditLog.action == "member.rgpd_export").count() == 1
    assert manager.get("/adherents/999/donnees.json").status == 404


def test_import_preview_then_commit(database, manager, admin):
    data = members_csv([
        (siret_for(1), "Bijouterie Martin", "47.77Z", ARGENTAN, "06 12 00 00 01"),
        (siret_for(2), "Tabac du centre", "47.26Z", FLERS, "06 12 00 00 02"),
    ])
    preview = manager.post("/adherents/import", {"csrf": manager.csrf()}, files={"file": ("a.csv", data)})
    assert preview.status == 200
    assert "2 ligne(s) valide(s)" in preview.text and "0 ligne(s) en erreur" in preview.text
    assert "2 adhérent(s) à créer" in preview.text
    assert Member.select().count() == 0                # nothing written before confirmation
    key = re.search(r'name="key" value="([0-9a-f]{32})"', preview.text).group(1)

    # Another user cannot commit this upload, and made-up keys lead nowhere.
    for client, other in ((admin, key), (manager, "0" * 32), (manager, "../../etc/passwd")):
        answer = client.submit("/adherents/import/confirmer", {"key": other})
        assert answer.status == 400 and Member.select().count() == 0

    answer = manager.submit("/adherents/import/confirmer", {"key": key})
    assert answer.status == 303 and Member.select().count() == 2
    assert "2 adhérent(s) créé(s)" in manager.get("/adherents").text
    # The file is gone once imported.
    again = manager.submit("/adherents/import/confirmer", {"key": key})
    assert again.status == 400 and "plus disponible" in again.text


def test_import_with_errors_lists_lines_and_imports_nothing(database, manager):
    data = members_csv([
        (siret_for(1), "Bijouterie Martin", "47.77Z", ARGENTAN, "06 12 00 00 01"),
        ("12345678900000", "Mauvais SIRET", "47.77Z", ARGENTAN, "06 12 00 00 02"),
        (siret_for(3), "Fixe", "47.77Z", ARGENTAN, "02 33 00 00 00"),
    ])
    preview = manager.post("/adherents/import", {"csrf": manager.csrf()}, files={"file": ("a.csv", data)})
    assert "1 ligne(s) valide(s)" in preview.text and "2 ligne(s) en erreur" in preview.text
    # line number and business name, then the reason
    assert re.search(r"<td>3</td><td>Mauvais SIRET</td><td>[^<]*SIRET", preview.text)
    assert re.search(r"<td>4</td><td>Fixe</td><td>[^<]*fixe", preview.text)
    assert 'id="import-confirm"' not in preview.text and 'id="import-partial"' in preview.text
    key = re.search(r'name="key" value="([0-9a-f]{32})"', preview.text).group(1)
    refused = manager.submit("/adherents/import/confirmer", {"key": key})      # all or nothing
    assert refused.status == 400 and "été importé" in refused.text
    assert Member.select().count() == 0


def test_import_without_file(database, manager):
    answer = manager.post("/adherents/import", {"csrf": manager.csrf()}, files={})
    assert answer.status == 400 and "Choisissez un fichier" in answer.text


def test_export_csv(database, manager):
    add_member(1, name="Bijouterie Martin")
    add_member(2, name="Tabac du centre")
    answer = manager.get("/adherents/export.csv")
    assert answer.status == 200 and answer.header("Content-Type").startswith("text/csv")
    text = answer.body.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("siret;nom")
    assert siret_for(1) in text and "Tabac du centre" in text


def test_sector_filter_takes_a_naf_code_too(database, operator):
    add_member(1, naf="47.77Z")
    add_member(2, naf="56.10A", name="Restaurant")
    page = operator.get("/adherents?secteur=rev2:56")
    assert "1 adhérent" in page.text and "Restaurant" in page.text
    page = operator.get("/adherents?secteur=56")     # division 56 exists in both nomenclatures
    assert page.status == 400 and "ambigu" in page.text and "2025:56" in page.text


def test_edit_form_shows_the_consent_date_as_typed_in_france(database, manager):
    member = add_member(1, consent_date="2025-03-01")
    page = manager.get(f"/adherents/{member.id}")
    assert 'value="01/03/2025"' in page.text
    url = f"/adherents/{member.id}"
    fields = dict(re.findall(r'<input id="f-(\w+)" name="\w+" type="\w+" value="([^"]*)"', page.text))
    fields.update(phones="06 12 00 00 01", commune="61006", chamber="", notes="")
    assert manager.submit(url, fields, page=url).status == 303
    assert members.get(member.id).consent_date == "2025-03-01"


def test_edit_page_tells_which_phones_answered_stop(database, manager):
    from vigie.daemon.core.models import OptOut
    member = add_member(1)
    assert "a répondu STOP" not in manager.get(f"/adherents/{member.id}").text
    OptOut.create(phone=phone_for(1))
    page = manager.get(f"/adherents/{member.id}")
    assert "06 12 00 00 01 a répondu STOP" in page.text
