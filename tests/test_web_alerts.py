"""Alert pages over WSGI: composer, live preview, confirmation, sending, tracking, resend, cancel."""

import re
import time
import urllib.parse

import pytest

from vigie.daemon.core import outbox, presets, sectors, zones
from vigie.daemon.core.models import Alert, AuditLog, Heartbeat, Message, ModemStatus, Preset
from vigie.daemon.transport import reports
from vigie.daemon.transport.base import DeliveryReport

from .fixtures_web import ALENCON, ARGENTAN, FLERS, add_member, siret_for

TEXT = "Vols par effraction de bijouteries cette nuit dans l'Orne. Fermez vos vitrines, signalez tout fait suspect au 17."


@pytest.fixture(autouse=True)
def box_can_send(database):
    """A live daemon with a ready modem, as the daemon writes them: the confirmation is a single step."""
    Heartbeat.create(component="daemon", pid=1, updated_at=time.time())
    ModemStatus.create(name="hat", state="ready", registered=True)


def compose(client, **fields):
    data = {"text": TEXT, "action": "preview"}
    data.update(fields)
    return client.submit("/alertes/nouvelle", data, page="/alertes/nouvelle")


def population():
    sectors.create("bijouteries", "47.77Z", actor="test")
    zones.create("bocage", [FLERS], actor="test")
    add_member(1, commune=ARGENTAN)
    add_member(2, commune=FLERS)
    add_member(3, commune=ALENCON)
    add_member(4, commune=FLERS, naf="56.10A", name="Restaurant")


def test_composer_page(database, operator):
    population()
    page = operator.get("/alertes/nouvelle")
    assert page.status == 200
    for text in ("Texte du SMS", "bijouteries", "bocage", "Argentan", "Autour de la commune", "Vérifier et confirmer"):
        assert text in page.text


def test_preview_json_counts_characters_parts_and_recipients(database, operator):
    population()
    query = urllib.parse.urlencode({"text": "Bonjour", "sector_group": "bijouteries"})
    data = operator.get(f"/alertes/apercu.json?{query}").json()
    assert (data["encoding"], data["chars"], data["parts"], data["remaining"]) == ("gsm7", 7, 1, 153)
    assert data["count"] == 3 and data["sms_total"] == 3 and data["error"] == ""
    assert data["estimate"] and data["transliterated"] is None

    query = urllib.parse.urlencode({"text": "Alerte \u2192 vol à Flers \U0001F6A8", "zone": "bocage"})
    data = operator.get(f"/alertes/apercu.json?{query}").json()
    assert data["encoding"] == "ucs2" and data["non_gsm"]
    assert data["transliterated"] and "\U0001F6A8" not in data["transliterated"]
    assert data["count"] == 2
    assert data["unsendable"] == ["\U0001F6A8"] and "ne peut pas envoyer" in data["refused"]  # said beforehand

    data = operator.get("/alertes/apercu.json?" + urllib.parse.urlencode({"text": "Code `A12`"})).json()
    assert (data["encoding"], data["non_gsm"], data["replaced"]) == ("gsm7", [], ["` → '"])
    assert data["unsendable"] == [] and data["refused"] == ""

    data = operator.get("/alertes/apercu.json?text=x").json()
    assert data["count"] is None and data["error"] == "" and "destinataires" in data["hint"]
    data = operator.get("/alertes/apercu.json?text=x&naf_codes=99.99Z").json()
    assert data["field"] == "sectors" and "99.99Z" in data["error"]
    data = operator.get("/alertes/apercu.json?text=x&radius_km=10").json()
    assert data["field"] == "around"


def test_confirmation_states_the_exact_numbers_and_sends_nothing(database, operator):
    population()
    answer = compose(operator, sector_group="bijouteries")
    assert answer.status == 200
    assert "3 téléphones recevront ce message de 1 SMS" in answer.text
    assert Message.select().count() == 0 and Alert.select().count() == 0
    long = compose(operator, text="Alerte " * 30, sector_group="bijouteries")
    assert "3 téléphones recevront ce message de 2 SMS" in long.text
    one = compose(operator, sirets=siret_for(2))
    assert "1 téléphone recevra ce message de 1 SMS" in one.text


def test_send_after_confirmation(database, operator):
    population()
    confirm = compose(operator, sector_group="bijouteries", zone="bocage", expires_hours="2")
    assert "1 téléphone recevra ce message de 1 SMS" in confirm.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', confirm.text.split(
        'action="/alertes/envoyer"')[1].split("</form>")[0]))
    fields = {k: v.replace("&quot;", '"').replace("&#039;", "'").replace("&amp;", "&") for k, v in fields.items()}
    answer = operator.post("/alertes/envoyer", fields)
    assert answer.status == 303
    alert = Alert.get()
    assert answer.location == f"/alertes/{alert.id}"
    assert alert.text == TEXT and alert.source == "console" and alert.author == "gendarme"
    assert Message.select().count() == 1 and Message.get().phone == "+33612000002"
    assert 1.9 * 3600 < alert.expires_at - alert.created_at < 2.1 * 3600
    assert AuditLog.get(AuditLog.action == "alert.send").count == 1
    page = operator.get(answer.location)
    assert "mise en file d&#039;envoi" in page.text and "en attente" in page.text


def test_send_refuses_when_the_count_changed_since_confirmation(database, operator):
    population()
    confirm = compose(operator, sector_group="bijouteries")
    targeting = re.search(r'name="targeting" value="([^"]*)"', confirm.text).group(1).replace("&quot;", '"')
    add_member(5, commune=ALENCON)
    answer = operator.submit("/alertes/envoyer", {"text": TEXT, "targeting": targeting, "confirmed_count": "3"})
    assert answer.status == 409
    assert "a changé" in answer.text and "4 téléphones recevront ce message de 1 SMS" in answer.text
    assert Message.select().count() == 0
    answer = operator.submit("/alertes/envoyer", {"text": TEXT, "targeting": targeting, "confirmed_count": "4"})
    assert answer.status == 303 and Message.select().count() == 4


def test_bad_alerts_are_refused_in_french_and_nothing_is_queued(database, operator):
    population()
    cases = [
        (dict(text="", sector_group="bijouteries"), "text"),
        (dict(text="x" * 1000, sector_group="bijouteries"), "SMS"),
        (dict(), "Ciblage vide"),
        (dict(naf_codes="01.11Z"), "aucun adhérent"),
        (dict(around=ARGENTAN, radius_km="-3"), "rayon"),
        (dict(all="1", expires_hours="500"), "validité"),
    ]
    for fields, words in cases:
        answer = compose(operator, **fields)
        assert answer.status == 400, fields
        errors = " ".join(re.findall(r'(?:flash error|field-error)[^>]*>([^<]*)<', answer.text))
        assert words.lower() in errors.lower(), (fields, errors)
    bad = operator.submit("/alertes/envoyer", {"text": TEXT, "targeting": "{pas du json", "confirmed_count": "1"})
    assert bad.status == 400
    bad = operator.submit("/alertes/nouvelle", {"text": TEXT, "targeting": "[1", "action": "edit"},
                          page="/alertes/nouvelle")
    assert bad.status == 400 and "Ciblage illisible" in bad.text
    assert Message.select().count() == 0 and Alert.select().count() == 0


def test_transliterate_without_javascript(database, operator):
    population()
    answer = operator.submit("/alertes/nouvelle", {"text": "Vol \u2192 Flers \u201cvite\u201d", "action": "transliterate",
                                                   "zone": "bocage"}, page="/alertes/nouvelle")
    assert answer.status == 200
    textarea = re.search(r'<textarea id="text"[^>]*>([^<]*)</textarea>', answer.text).group(1)
    assert "\u2192" not in textarea and "\u201c" not in textarea and "Flers" in textarea
    assert 'value="bocage" checked' in answer.text


def test_edit_from_the_confirmation_keeps_text_and_targeting(database, operator):
    population()
    confirm = compose(operator, zone="bocage")
    targeting = re.search(r'name="targeting" value="([^"]*)"', confirm.text).group(1).replace("&quot;", '"')
    answer = operator.submit("/alertes/nouvelle", {"text": TEXT, "targeting": targeting, "action": "edit"},
                             page="/alertes/nouvelle")
    assert answer.status == 200 and 'value="bocage" checked' in answer.text
    assert "Fermez vos vitrines" in answer.text


def test_save_and_load_presets_from_the_composer(database, operator):
    population()
    answer = compose(operator, action="save_preset", preset_name="panique", zone="bocage")
    assert answer.status == 303 and answer.location == "/alertes/nouvelle?modele=panique"
    preset = presets.get("panique")
    assert preset.text == TEXT and presets.targeting_of(preset).zones == ["bocage"]
    page = operator.get(answer.location)
    assert "Modèle « panique » enregistré." in page.text
    assert "Fermez vos vitrines" in page.text and 'value="bocage" checked' in page.text
    assert "(bouton d’alerte)" in page.text
    # Saving again updates it.
    compose(operator, text="Nouveau texte d'alerte", action="save_preset", preset_name="panique", zone="bocage")
    assert presets.get("panique").text == "Nouveau texte d'alerte"
    assert Preset.select().count() == 1
    refused = compose(operator, action="save_preset", preset_name="", zone="bocage")
    assert refused.status == 400 and "nom" in refused.text
    assert operator.get("/alertes/nouvelle?modele=inconnu").status == 404


def send(client, **fields) -> Alert:
    confirm = compose(client, **fields)
    targeting = re.search(r'name="targeting" value="([^"]*)"', confirm.text).group(1).replace("&quot;", '"')
    count = re.search(r'name="confirmed_count" value="(\d+)"', confirm.text).group(1)
    answer = client.submit("/alertes/envoyer", {"text": fields.get("text", TEXT), "targeting": targeting,
                                                "confirmed_count": count})
    assert answer.status == 303
    return Alert.get_by_id(int(answer.location.rsplit("/", 1)[1]))


def test_alert_page_tracks_each_recipient(database, operator):
    population()
    alert = send(operator, sector_group="bijouteries")
    # The daemon's side, through the real outbox: one delivered, one failed, one waiting.
    first = outbox.claim("hat")
    outbox.record_part(first, 1, 1, "hat", "17")
    outbox.mark_sent(first)
    reports.match("hat", DeliveryReport(reference="17", phone=first.phone, status="delivered", raw_status=0))
    second = outbox.claim("hat")
    outbox.mark_failed(second, "Numéro non attribué (CMS 1).", 1)

    page = operator.get(f"/alertes/{alert.id}")
    assert page.status == 200
    assert "délivré" in page.text and "échec" in page.text and "en attente" in page.text
    assert "Numéro non attribué (CMS 1)." in page.text
    data = operator.get(f"/alertes/{alert.id}/etat.json").json()
    assert data["summary"]["counts"]["delivered"] == 1 and data["summary"]["counts"]["failed"] == 1
    states = sorted(r["state_label"] for r in data["recipients"])
    assert states == ["délivré", "en attente", "échec"]
    failed = operator.get(f"/alertes/{alert.id}?etat=failed")
    assert failed.text.count("<tr data-id=") == 1
    assert operator.get(f"/alertes/{alert.id}?etat=nimporte").status == 400

    answer = operator.submit(f"/alertes/{alert.id}/renvoyer", page=f"/alertes/{alert.id}")
    assert answer.status == 303
    assert "1 message en échec remis dans la file" in operator.get(answer.location).text
    assert outbox.counts(alert.id)["failed"] == 0 and outbox.counts(alert.id)["queued"] == 2

    asked = operator.submit(f"/alertes/{alert.id}/annuler", page=f"/alertes/{alert.id}")
    assert asked.status == 200 and "2 messages non encore envoyés ne partiront pas" in asked.text
    assert outbox.counts(alert.id)["cancelled"] == 0                 # nothing cancelled by one click
    answer = operator.submit(f"/alertes/{alert.id}/annuler", {"confirme": "1"}, page=f"/alertes/{alert.id}")
    assert answer.status == 303
    assert "2 messages non encore envoyés : annulés." in operator.get(answer.location).text
    assert outbox.counts(alert.id)["cancelled"] == 2 and outbox.counts(alert.id)["delivered"] == 1
    assert Alert.get_by_id(alert.id).state == "cancelled"
    assert [a.action for a in AuditLog.select().where(AuditLog.action.startswith("alert."))
            .order_by(AuditLog.id)] == ["alert.send", "alert.resend_failed", "alert.cancel"]
    assert operator.get("/alertes/999").status == 404
    assert operator.get("/alertes/999/etat.json").status == 404


def test_alert_list(database, operator):
    population()
    send(operator, sector_group="bijouteries")
    send(operator, text="Deuxième alerte", zone="bocage")
    page = operator.get("/alertes")
    assert page.status == 200
    assert "Deuxième alerte" in page.text and "Vols par effraction" in page.text
    assert page.text.index("Deuxième alerte") < page.text.index("Vols par effraction")


def confirm_fields(confirm) -> dict:
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', confirm.text.split(
        'action="/alertes/envoyer"')[1].split("</form>")[0]))
    return {k: v.replace("&quot;", '"').replace("&#039;", "'").replace("&amp;", "&") for k, v in fields.items()}


def test_a_confirmation_submitted_twice_creates_one_alert(database, operator):
    population()
    fields = confirm_fields(compose(operator, sector_group="bijouteries"))
    assert fields["idempotency_key"]
    first = operator.post("/alertes/envoyer", fields)
    second = operator.post("/alertes/envoyer", fields)
    assert first.status == second.status == 303
    assert Alert.select().count() == 1 and Message.select().count() == 3
    assert second.location == first.location
    assert "n&#039;est pas envoyée deux fois" in operator.get(second.location).text
    # A new confirmation (a new preview) is a new alert.
    again = confirm_fields(compose(operator, sector_group="bijouteries"))
    assert again["idempotency_key"] != fields["idempotency_key"]
    assert operator.post("/alertes/envoyer", again).status == 303
    assert Alert.select().count() == 2


def test_when_nothing_can_send_the_confirmation_says_so_and_asks_twice(database, operator):
    population()
    ModemStatus.update(state="degraded").execute()
    confirm = compose(operator, sector_group="bijouteries")
    assert "rien ne peut partir maintenant" in confirm.text and "hat : sans réseau" in confirm.text
    assert 'name="send_anyway"' in confirm.text
    fields = confirm_fields(confirm)
    refused = operator.post("/alertes/envoyer", fields)
    assert refused.status == 409 and "Mettre en file malgré tout" in refused.text
    assert Alert.select().count() == 0 and Message.select().count() == 0
    sent = operator.post("/alertes/envoyer", dict(fields, send_anyway="1"))
    assert sent.status == 303 and Alert.select().count() == 1

    # The daemon silent for more than a minute: the same.
    ModemStatus.update(state="ready").execute()
    Heartbeat.update(updated_at=time.time() - 120).execute()
    confirm = compose(operator, sector_group="bijouteries")
    assert "Le service d&#039;envoi ne répond plus" in confirm.text and 'name="send_anyway"' in confirm.text
    assert operator.post("/alertes/envoyer", confirm_fields(confirm)).status == 409
    assert Alert.select().count() == 1
    Heartbeat.update(updated_at=time.time()).execute()
    confirm = compose(operator, sector_group="bijouteries")
    assert 'name="send_anyway"' not in confirm.text and "rien ne peut partir" not in confirm.text


def test_dashboard_says_which_messages_are_stuck_and_why(database, operator):
    population()
    send(operator, sector_group="bijouteries")
    page = operator.get("/")
    assert "Aucun message bloqué." in page.text
    first = outbox.claim("hat")
    outbox.mark_retry(first, "Refusé temporairement par le réseau : +CMS ERROR 38", code=38)
    ModemStatus.update(state="disconnected").execute()
    page = operator.get("/")
    assert "Messages bloqués" in page.text and "Aucun message bloqué." not in page.text
    assert "2 messages</strong> — Aucun modem n&#039;est prêt à envoyer (hat : déconnecté)" in page.text
    assert "1 message</strong> — Nouvel essai prévu après un échec temporaire : Refusé temporairement" in page.text
    data = operator.get("/etat.json").json()
    assert data["can_send"] is False and "déconnecté" in data["cannot_send"]
    assert sorted(g["kind"] for g in data["stuck"]) == ["blocked", "retry"]
    Message.update(state="sending", claimed_at=time.time() - 600, modem="hat").where(
        Message.id == first.id).execute()
    data = operator.get("/etat.json").json()
    sending = [g for g in data["stuck"] if g["kind"] == "sending"]
    assert sending and sending[0]["count"] == 1 and "modem hat" in sending[0]["reason"]
