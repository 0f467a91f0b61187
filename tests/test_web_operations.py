"""The console as an operations screen, over WSGI: incident reports on the dashboard's poll with the
menu's unread counter, « traité », the member linked, replies through the outbox (never to a STOP),
unknown senders; the panic-button banner on every page; the alert page's incremental refresh."""

import re
import sqlite3
import time

from vigie.daemon.core import alerts, inbox, outbox
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.models import Alert, AuditLog, InboundSms, Message, OptOut
from vigie.daemon.core.outbox import State
from vigie.daemon.core.targeting import Targeting

from .fixtures_web import FLERS, add_member, phone_for

UNKNOWN = "+33699887766"


def report(phone: str, text: str) -> InboundSms:
    """An SMS as the daemon stores and classifies it (store_incoming, then handle_pending)."""
    sms = inbox.store_incoming("hat", phone, text, sms_time=time.time())
    inbox.handle_pending(None)
    return InboundSms.get_by_id(sms.id)


def unread_in_menu(page) -> str:
    match = re.search(r'<a href="/messages" id="menu-inbox"[^>]*>Messages reçus<span id="inbox-unread" '
                      r'class="unread( hidden)?" data-unread="(\d+)"> \((\d+)\)</span>', page.text)
    assert match, "compteur du menu absent"
    return "" if match.group(1) else f"Messages reçus ({match.group(3)})"


def test_reports_reach_the_dashboard_poll_with_the_unread_counter(database, operator):
    member = add_member(1, name="Bijouterie Lemoine", commune=FLERS)
    page = operator.get("/")
    assert unread_in_menu(page) == "" and "Aucun signalement reçu." in page.text
    assert operator.get("/etat.json").json()["reports"] == []

    first = report(phone_for(1), "Voiture suspecte devant la vitrine depuis 20 min")
    report(UNKNOWN, "Deux individus rôdent rue de la Poste")
    report(phone_for(1), "STOP")                       # not a report
    data = operator.get("/etat.json").json()
    assert data["unread"] == 2
    assert [(r["kind"], r["member"], r["member_id"], r["treated"]) for r in data["reports"]] == [
        ("unknown", "", None, False), ("incident", "Bijouterie Lemoine", member.id, False)]
    assert data["reports"][1]["phone_label"] == "06 12 00 00 01"
    assert operator.get("/direct.json").json()["unread"] == 2
    page = operator.get("/")
    assert unread_in_menu(page) == "Messages reçus (2)"
    assert f'href="/adherents/{member.id}">Bijouterie Lemoine</a>' in page.text     # the member linked
    assert "numéro inconnu" in page.text and "Deux individus" in page.text

    # « traité »: the counter goes down, the journal says who
    answer = operator.submit(f"/messages/{first.id}/traite", {"traite": "1", "retour": "/messages"})
    assert answer.status == 303 and answer.location == "/messages"
    assert InboundSms.get_by_id(first.id).treated_by == "gendarme"
    assert operator.get("/direct.json").json()["unread"] == 1
    assert unread_in_menu(operator.get("/messages")) == "Messages reçus (1)"
    todo = operator.get("/messages?suivi=a-traiter")
    assert "Deux individus" in todo.text and "Voiture suspecte" not in todo.text
    assert AuditLog.select().where(AuditLog.action == "inbox.treated").count() == 1
    operator.submit(f"/messages/{first.id}/traite", {"traite": "0"})
    assert InboundSms.get_by_id(first.id).treated_at is None and inbox.unread_count() == 2


def test_reply_goes_through_the_outbox_and_never_to_a_stop(database, operator, manager):
    add_member(2, name="Tabac du Centre")
    sms = report(phone_for(2), "Un individu a tenté de forcer la porte")
    page = operator.get(f"/messages/{sms.id}")
    assert 'id="reply-form"' in page.text and "Tabac du Centre" in page.text
    answer = operator.submit(f"/messages/{sms.id}/repondre", {"text": "Patrouille en route, merci.",
                                                               "traite": "1"})
    assert answer.status == 303
    message = Message.get(Message.phone == phone_for(2), Message.alert.is_null(True))
    assert message.text == "Patrouille en route, merci." and message.state == "queued"
    assert InboundSms.get_by_id(sms.id).treated_at is not None
    row = AuditLog.get(AuditLog.action == "inbox.reply")
    assert row.actor == "gendarme" and row.target == phone_for(2)
    assert "1 réponse envoyée" in operator.get(f"/messages/{sms.id}").text

    # empty text, a STOP-listed phone, a short code: refused in French, nothing queued
    assert operator.submit(f"/messages/{sms.id}/repondre", {"text": "  "}).status == 400
    OptOut.create(phone=phone_for(2), source="sms")
    refused = operator.submit(f"/messages/{sms.id}/repondre", {"text": "Encore nous"})
    assert refused.status == 400 and "STOP" in refused.text and "Encore nous" in refused.text
    short = report("36665", "Votre forfait")
    assert 'id="reply-form"' not in operator.get(f"/messages/{short.id}").text
    assert operator.submit(f"/messages/{short.id}/repondre", {"text": "x"}).status == 400
    assert Message.select().where(Message.alert.is_null(True)).count() == 1
    # chamber staff do not read the inbox
    assert manager.get(f"/messages/{sms.id}").status == 403
    assert manager.get("/direct.json").json()["unread"] is None


def panic_alert(app) -> Alert:
    return alerts.create("Gendarmerie : alerte déclenchée par le bouton d'une bijouterie.", Targeting(all=True),
                         settings=app.config["vigie.settings"], author="bouton", source="button",
                         priority=outbox.PRIORITY_PANIC)


def test_panic_banner_on_every_page_while_it_runs(database, app, operator, manager):
    for n in range(1, 4):
        add_member(n)
    assert 'class="panic-banner' not in operator.get("/adherents").text
    alert = panic_alert(app)
    for path in ("/", "/adherents", "/messages", f"/alertes/{alert.id}", "/alertes"):
        page = operator.get(path)
        assert 'class="panic-banner running"' in page.text, path
        assert "ALERTE DU BOUTON EN COURS" in page.text and "bouton d&#039;alerte" in page.text
        assert "0 destinataire atteint sur 3" in page.text
    assert "bouton (bouton" not in operator.get(f"/alertes/{alert.id}").text
    assert "par le bouton d&#039;alerte" in operator.get(f"/alertes/{alert.id}").text
    live = operator.get("/direct.json").json()
    (banner,) = live["panic"]
    assert banner["id"] == alert.id and banner["author"] == "bouton d'alerte" and banner["running"]
    assert banner["total"] == 3 and banner["started_at"] == alert.created_at
    # its progress follows the messages
    first = outbox.claim("hat")
    outbox.mark_sent(first)
    outbox.transition(first.id, State.DELIVERED, State.SENT, delivered_at=time.time())
    assert operator.get("/direct.json").json()["panic"][0]["delivered"] == 1
    # an ordinary alert has no banner; chamber staff see none
    answer = manager.get("/direct.json")
    assert answer.json()["panic"] == [], answer.text
    # once over, the banner says so for a while, then goes
    for m in Message.select().where(Message.state == State.QUEUED.value):
        outbox.transition(m.id, State.CANCELLED, State.QUEUED)
    assert outbox.complete_finished_alerts() == 1
    assert Alert.get_by_id(alert.id).state == "done"
    assert not operator.get("/direct.json").json()["panic"][0]["running"]
    assert 'class="panic-banner ended"' in operator.get("/").text
    Alert.update(completed_at=time.time() - 3600).where(Alert.id == alert.id).execute()
    assert operator.get("/direct.json").json()["panic"] == []


def test_alert_page_refresh_sends_only_what_changed(database, app, operator):
    for n in range(1, 7):
        add_member(n)
    alert = alerts.create("Vols par effraction cette nuit : fermez vos vitrines.", Targeting(all=True),
                          settings=app.config["vigie.settings"], author="operateur", source="console")
    Message.update(changed_at=time.time() - 120).execute()      # nothing changed in the last two minutes
    full = operator.get(f"/alertes/{alert.id}/etat.json").json()
    assert len(full["recipients"]) == 6 and "incremental" not in full
    cursor = full["depuis"]
    quiet = operator.get(f"/alertes/{alert.id}/etat.json?depuis={cursor}").json()
    assert quiet["incremental"] and quiet["changes"] == [] and quiet["complete"]
    assert "recipients" not in quiet and quiet["summary"]["counts"]["queued"] == 6

    one, two = outbox.claim("hat"), outbox.claim("hat")
    outbox.mark_sent(one)
    changed = operator.get(f"/alertes/{alert.id}/etat.json?depuis={cursor}").json()
    assert sorted(r["id"] for r in changed["changes"]) == sorted([one.id, two.id])
    assert {r["id"]: r["state"] for r in changed["changes"]} == {one.id: "sent", two.id: "sending"}
    assert changed["summary"]["counts"]["queued"] == 4 and changed["progress"]["sent"] == 1
    assert changed["depuis"] >= cursor
    # with a state filter: the rows of the whole alert that changed; the page's bounds otherwise
    assert [r["id"] for r in operator.get(
        f"/alertes/{alert.id}/etat.json?etat=sent&depuis={cursor}").json()["changes"]] == sorted([one.id, two.id])
    far = operator.get(f"/alertes/{alert.id}/etat.json?debut=400&depuis={cursor}").json()
    assert far["changes"] == []
    page = operator.get(f"/alertes/{alert.id}")
    assert re.search(r'data-depuis="[0-9.]+"', page.text)
    bad = operator.get(f"/alertes/{alert.id}/etat.json?depuis=hier")
    assert bad.status == 400 and "horodatage" in bad.json()["erreur"]


def test_migration_8_adds_treated_and_changed_at_to_an_existing_database(db_path):
    db = db_mod.open_database(db_path)
    db_mod.close_database()
    raw = sqlite3.connect(db_path)
    raw.execute('DROP INDEX "message_alert_id_changed_at"')
    for table, column in (("inbound_sms", "treated_at"), ("inbound_sms", "treated_by"), ("message", "changed_at")):
        raw.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    raw.execute("INSERT INTO message (phone, text, priority, state, attempts, max_attempts, next_attempt_at, "
                "possible_duplicate, parts, created_at, sent_at) VALUES ('+33612000001', 'x', 0, 'sent', 1, 5, "
                "0, 0, 1, 100.0, 150.0)")
    raw.execute("PRAGMA user_version = 7")
    raw.commit()
    raw.close()
    db = db_mod.open_database(db_path)
    try:
        assert db_mod.schema_version(db) == len(db_mod.MIGRATIONS) >= 8
        assert Message.get().changed_at == 150.0               # the latest timestamp the row had
        assert {"treated_at", "treated_by"} <= db_mod._columns(db, "inbound_sms")
    finally:
        db_mod.close_database()
