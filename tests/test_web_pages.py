"""The other console pages over WSGI: dashboard, inbox, zones, sector groups, presets, users, audit."""

import re
import time

from vigie.daemon.core import presets, sectors, users, zones
from vigie.daemon.core.models import AuditLog, Heartbeat, InboundSms, ModemStatus, Preset, SectorGroup, User, Zone
from vigie.daemon.core.targeting import Targeting

from .fixtures_web import ALENCON, ARGENTAN, FLERS, PASSWORD, add_member

# --- dashboard --------------------------------------------------------------------------------

def test_dashboard_warns_when_the_daemon_is_silent(database, operator):
    page = operator.get("/")
    assert "Le service d&#039;envoi ne répond plus" in page.text and "jamais donné signe de vie" in page.text
    Heartbeat.create(component="daemon", pid=1, updated_at=time.time())
    page = operator.get("/")
    assert 'id="daemon-warning" class="flash error big hidden"' in page.text
    Heartbeat.update(updated_at=time.time() - 300).execute()
    page = operator.get("/")
    assert "Le service d&#039;envoi ne répond plus depuis 5 min" in page.text
    data = operator.get("/etat.json").json()
    assert data["daemon"]["ok"] is False and data["daemon"]["age"] >= 300


def test_dashboard_shows_modems_queue_alerts_and_reports(database, operator):
    ModemStatus.create(name="hat", state="ready", signal=18, operator="Orange F", registered=True,
                       last_contact=time.time())
    ModemStatus.create(name="cle-usb", state="disconnected", last_error="port introuvable")
    add_member(1)
    member = add_member(2)
    from vigie.daemon.core import alerts
    alert = alerts.create("Alerte test", Targeting(all=True), settings=operator.app.config["vigie.settings"],
                          author="test", source="cli")
    InboundSms.create(modem="hat", phone="+33612000002", text="Individu suspect rue de la gare", kind="incident",
                      member=member.id)
    page = operator.get("/")
    for text in ("hat", "prêt", "bon (18/31)", "Orange F", "cle-usb", "déconnecté", "port introuvable",
                 f"Alerte n° {alert.id}", "Individu suspect rue de la gare", "Bijouterie n° 2"):
        assert text in page.text, text
    assert re.search(r'id="queue-depth">2<', page.text)
    data = operator.get("/etat.json").json()
    assert data["queue_depth"] == 2 and data["alerts"][0]["total"] == 2
    assert {m["name"] for m in data["modems"]} == {"hat", "cle-usb"}


# --- inbox ------------------------------------------------------------------------------------

def test_inbox_lists_and_filters_incoming_sms(database, operator):
    InboundSms.create(modem="hat", phone="+33612000001", text="Voiture suspecte", kind="incident")
    InboundSms.create(modem="hat", phone="+33612000002", text="STOP", kind="stop")
    InboundSms.create(modem="hat", phone="+33612000003", text="START", kind="start")
    page = operator.get("/messages")
    assert all(t in page.text for t in ("Voiture suspecte", "désinscription", "réinscription", "signalement"))
    stops = operator.get("/messages?type=stop")
    assert "06 12 00 00 02" in stops.text and "Voiture suspecte" not in stops.text
    assert operator.get("/messages?type=autre").status == 400


# --- zones and sector groups ----------------------------------------------------------------------

def test_zone_create_edit_delete(database, operator):
    answer = operator.submit("/zones", {"name": "bocage", "description": "secteur de Flers",
                                        "commune": [FLERS, ARGENTAN]}, page="/zones")
    assert answer.status == 303
    zone = Zone.get()
    assert sorted(zones.communes_of(zone)) == sorted([FLERS, ARGENTAN])
    assert "bocage" in operator.get("/zones").text

    refused = operator.submit("/zones", {"name": "vide", "commune": []}, page="/zones")
    assert refused.status == 400 and "au moins une commune" in refused.text
    refused = operator.submit("/zones", {"name": "bocage", "commune": [FLERS]}, page="/zones")
    assert refused.status == 400 and "existe déjà" in refused.text
    assert Zone.select().count() == 1

    url = f"/zones/{zone.id}"
    answer = operator.submit(url, {"name": "bocage ornais", "description": "", "commune": [ALENCON]}, page=url)
    assert answer.status == 303
    assert zones.communes_of("bocage ornais") == [ALENCON]
    refused = operator.submit(url, {"name": "bocage ornais", "commune": []}, page=url)
    assert refused.status == 400 and zones.communes_of("bocage ornais") == [ALENCON]

    assert operator.submit(f"{url}/supprimer", {}, page=url).status == 400
    assert operator.submit(f"{url}/supprimer", {"confirm": "oui"}, page=url).status == 303
    assert Zone.select().count() == 0
    assert operator.get("/zones/999").status == 404


def test_sector_group_create_edit_delete(database, operator):
    answer = operator.submit("/secteurs", {"name": "bijouteries", "codes": "47.77Z 4778C"}, page="/secteurs")
    assert answer.status == 303
    group = SectorGroup.get()
    assert sectors.codes_of(group) == ["47.77Z", "47.78C"]
    assert "bijouteries" in operator.get("/secteurs").text
    refused = operator.submit("/secteurs", {"name": "faux", "codes": "99.99Z"}, page="/secteurs")
    assert refused.status == 400 and "99.99Z" in refused.text
    assert SectorGroup.select().count() == 1
    url = f"/secteurs/{group.id}"
    assert operator.submit(url, {"name": "bijoux", "codes": "47.77Z", "description": "d"}, page=url).status == 303
    assert sectors.codes_of(sectors.get("bijoux")) == ["47.77Z"]
    assert operator.submit(f"{url}/supprimer", {"confirm": "oui"}, page=url).status == 303
    assert SectorGroup.select().count() == 0


# --- presets -------------------------------------------------------------------------------------

def test_preset_pages(database, operator):
    zones.create("bocage", [FLERS], actor="test")
    listing = operator.get("/modeles")
    assert "« panique », qui n'existe pas encore" in listing.text
    answer = operator.submit("/modeles", {"name": "panique", "text": "Alerte générale, restez vigilants.",
                                          "priority": "5", "zone": "bocage"}, page="/modeles/nouveau")
    assert answer.status == 303
    preset = presets.get("panique")
    assert preset.priority == 5 and presets.targeting_of(preset).zones == ["bocage"]
    listing = operator.get("/modeles")
    assert "n'existe pas encore" not in listing.text and "(bouton d’alerte)" in listing.text
    assert "/alertes/nouvelle?modele=panique" in listing.text

    url = f"/modeles/{preset.id}"
    refused = operator.submit(url, {"name": "panique", "text": "", "zone": "bocage"}, page=url)
    assert refused.status == 400 and presets.get("panique").text == "Alerte générale, restez vigilants."
    refused = operator.submit(url, {"name": "panique", "text": "Texte", "zone": "inconnue"}, page=url)
    assert refused.status == 400 and "Zone inconnue" in refused.text
    assert operator.submit(url, {"name": "panique", "text": "Texte modifié", "all": "1"}, page=url).status == 303
    assert presets.get("panique").text == "Texte modifié"
    assert operator.submit(f"{url}/supprimer", {"confirm": "oui"}, page=url).status == 303
    assert Preset.select().count() == 0


# --- users (admin) ---------------------------------------------------------------------------------

def test_admin_manages_users(database, admin):
    answer = admin.submit("/utilisateurs", {"username": "martin", "role": "operator", "password": PASSWORD,
                                            "confirm": PASSWORD}, page="/utilisateurs")
    assert answer.status == 303 and users.get("martin").role == "operator"
    refused = admin.submit("/utilisateurs", {"username": "paul", "role": "operator", "password": "court",
                                             "confirm": "court"}, page="/utilisateurs")
    assert refused.status == 400 and "10 caractères" in refused.text
    refused = admin.submit("/utilisateurs", {"username": "paul", "role": "operator", "password": PASSWORD,
                                             "confirm": PASSWORD + "x"}, page="/utilisateurs")
    assert refused.status == 400 and "diffèrent" in refused.text
    assert User.select().count() == 2

    martin = users.get("martin")
    url = f"/utilisateurs/{martin.id}"
    assert admin.submit(url, {"action": "role", "role": "manager"}, page="/utilisateurs").status == 303
    assert users.get("martin").role == "manager"
    assert admin.submit(url, {"action": "disable"}, page="/utilisateurs").status == 303
    assert users.get("martin").disabled
    assert admin.submit(url, {"action": "enable"}, page="/utilisateurs").status == 303
    assert admin.submit(url, {"action": "password", "password": "reinitialise-2025",
                              "confirm": "reinitialise-2025"}, page="/utilisateurs").status == 303
    assert users.authenticate("martin", "reinitialise-2025")
    User.update(locked_until=time.time() + 600).where(User.id == martin.id).execute()
    assert "verrouillé jusqu" in admin.get("/utilisateurs").text
    assert admin.submit(url, {"action": "unlock"}, page="/utilisateurs").status == 303
    assert not users.is_locked(users.get("martin"))
    assert admin.submit(url, {"action": "delete"}, page="/utilisateurs").status == 400
    assert admin.submit(url, {"action": "delete", "confirm_delete": "oui"}, page="/utilisateurs").status == 303
    assert User.select().where(User.username == "martin").count() == 0

    me = users.get("chef")
    refused = admin.submit(f"/utilisateurs/{me.id}", {"action": "role", "role": "operator"}, page="/utilisateurs")
    assert refused.status == 400 and "dernier administrateur" in refused.text
    assert admin.submit("/utilisateurs/999", {"action": "disable"}, page="/utilisateurs").status == 404
    actions = {a.action for a in AuditLog.select().where(AuditLog.actor == "chef")}
    assert {"user.add", "user.role", "user.disable", "user.enable", "user.password", "user.unlock",
            "user.delete"} <= actions


# --- audit ------------------------------------------------------------------------------------------

def test_audit_journal_filters(database, admin):
    from vigie.daemon.core import audit
    audit.record("martin", "member.add", "123", {"name": "Bijouterie"})
    old = audit.record("paul", "alert.send", "alerte 1", count=12)
    AuditLog.update(at=time.mktime((2025, 1, 15, 12, 0, 0, 0, 0, -1))).where(AuditLog.id == old.id).execute()
    added, sent = "Adhérent ajouté par martin (123)", "Alerte envoyée à 12 destinataires par paul (alerte n° 1)"
    page = admin.get("/journal")
    assert added in page.text and sent in page.text and "nom : Bijouterie" in page.text
    only = admin.get("/journal?acteur=paul")
    assert sent in only.text and added not in only.text
    only = admin.get("/journal?action=member")
    assert added in only.text and sent not in only.text
    dated = admin.get("/journal?du=2025-01-15&au=2025-01-15")
    assert sent in dated.text and added not in dated.text
    bad = admin.get("/journal?du=15/01/2025")
    assert "Date « 15/01/2025 » invalide" in bad.text
    exported = admin.get("/journal.csv?action=alert")
    assert exported.status == 200 and "text/csv" in exported.header("Content-Type")
    lines = exported.body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("date;qui;action;phrase") and len(lines) == 2 and sent in lines[1]
