"""Alerts with a life: scheduled, quiet hours, acknowledgements, exercises, text fields — in the
domain, then end to end through the simulated modem."""

import dataclasses
import datetime as dt
import json
import time

import pytest

from vigie.daemon.core import acks, alerts, fields, inbox, members, schedule
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Alert, AuditLog, InboundSms, Message
from vigie.daemon.core.targeting import Targeting

from .fixtures_domain import make_siret

UTC = dt.UTC


def _members():
    members.add(siret=make_siret(1), name="Bijouterie du Centre", sign="Or et Lumière", naf="47.77Z",
                commune="61006", phones=["06 11 11 11 11"], actor="test")          # Argentan
    members.add(siret=make_siret(2), name="Tabac de la Gare", naf="47.26Z", commune="61001",
                phones=["06 22 22 22 22"], actor="test")                            # Alençon, no sign
    members.add(siret=make_siret(3), name="Ferme des Prés", naf="01.11Z", commune="61006",
                phones=["06 33 33 33 33"], actor="test", )


def _settings(settings, **alert_values):
    return dataclasses.replace(settings, alerts=dataclasses.replace(settings.alerts, **alert_values))


def _messages(alert_id):
    return list(Message.select().where(Message.alert == alert_id).order_by(Message.id))


# --- time ------------------------------------------------------------------------------------

def test_start_times_are_read_in_paris_time_whatever_the_season():
    winter = schedule.parse_when("2026-12-02 08:00")
    summer = schedule.parse_when("02/07/2027 08:00")
    assert dt.datetime.fromtimestamp(winter, UTC) == dt.datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    assert dt.datetime.fromtimestamp(summer, UTC) == dt.datetime(2027, 7, 2, 6, 0, tzinfo=UTC)
    assert schedule.fmt_paris(winter) == "02/12/2026 à 08:00"
    with pytest.raises(InvalidInput) as e:
        schedule.parse_when("demain matin")
    assert "AAAA-MM-JJ HH:MM" in e.value.message and e.value.field == "at"


def test_quiet_hours_span_midnight_and_release_at_their_end_across_dst():
    window = schedule.QuietHours.parse("21:00-07:30")
    late = schedule.parse_when("2027-03-27 23:00")          # the night summer time begins
    assert window.contains(late)
    assert not window.contains(schedule.parse_when("2027-03-27 12:00"))
    released = window.release(late)
    assert schedule.fmt_paris(released) == "28/03/2027 à 07:30"
    assert dt.datetime.fromtimestamp(released, UTC).hour == 5          # CEST, UTC+2
    early = schedule.parse_when("2027-03-28 03:00")
    assert window.release(early) == released
    noon = schedule.parse_when("2027-03-28 12:00")
    assert window.release(noon) == noon
    for bad in ("21:00", "25:00-07:00", "08:00-08:00"):
        with pytest.raises(InvalidInput):
            schedule.QuietHours.parse(bad)
    assert schedule.QuietHours.parse("") is None


# --- scheduled alerts ------------------------------------------------------------------------

def test_a_scheduled_alert_waits_then_starts_once(domain_settings):
    _members()
    at = time.time() + 3600
    alert = alerts.create("Vols signalés ce matin.", Targeting(all=True), settings=domain_settings,
                          author="chef", source="cli", at=at)
    assert alert.state == "scheduled" and alert.start_at == at and alert.recipient_count == 3
    assert _messages(alert.id) == []
    assert alerts.start_due(domain_settings, now=at - 1) == 0
    assert alerts.start_due(domain_settings, now=at + 5) == 1
    assert alerts.start_due(domain_settings, now=at + 6) == 0          # once
    assert len(_messages(alert.id)) == 3
    assert Alert.get_by_id(alert.id).state == "sending"
    assert AuditLog.select().where(AuditLog.action == "alert.start").count() == 1


def test_recipients_are_resolved_when_a_scheduled_alert_starts(domain_settings):
    _members()
    at = time.time() + 600
    alert = alerts.create("Texte.", Targeting(all=True), settings=domain_settings, author="chef",
                          source="cli", at=at)
    members.add(siret=make_siret(4), name="Nouvelle adhérente", naf="47.77Z", commune="61001",
                phones=["06 44 44 44 44"], actor="test")
    alerts.start_due(domain_settings, now=at)
    assert {m.phone for m in _messages(alert.id)} >= {"+33644444444"}


def test_a_scheduled_alert_that_expired_while_the_box_was_off_is_not_sent(domain_settings):
    _members()
    at = time.time() + 60
    alert = alerts.create("Texte.", Targeting(all=True), settings=domain_settings, author="chef",
                          source="cli", at=at, expires_at=at + 3600)
    assert alerts.start_due(domain_settings, now=at + 7200) == 0
    assert Alert.get_by_id(alert.id).state == "expired"
    assert _messages(alert.id) == []


def test_a_scheduled_alert_can_be_edited_or_cancelled_until_it_starts(domain_settings):
    _members()
    at = time.time() + 3600
    alert = alerts.create("Premier texte.", Targeting(all=True), settings=domain_settings, author="chef",
                          source="cli", at=at)
    edited = alerts.reschedule(alert.id, "chef", settings=domain_settings, text="Texte corrigé.", at=at + 600)
    assert (edited.text, edited.start_at) == ("Texte corrigé.", at + 600)
    alerts.start_due(domain_settings, now=at + 700)
    assert {m.text for m in _messages(alert.id)} == {"Texte corrigé."}
    with pytest.raises(InvalidInput):
        alerts.reschedule(alert.id, "chef", settings=domain_settings, text="Trop tard.")
    other = alerts.create("Annulée.", Targeting(all=True), settings=domain_settings, author="chef",
                          source="cli", at=at)
    alerts.cancel(other.id, "chef")
    assert alerts.start_due(domain_settings, now=at + 10) == 0
    assert Alert.get_by_id(other.id).state == "cancelled" and _messages(other.id) == []


def test_a_start_in_the_past_is_refused(domain_settings):
    _members()
    with pytest.raises(InvalidInput) as e:
        alerts.create("Texte.", Targeting(all=True), settings=domain_settings, author="chef", source="cli",
                      at=time.time() - 3600)
    assert e.value.field == "at"


# --- quiet hours -----------------------------------------------------------------------------

def _quiet_now():
    """A quiet window around the present minute (Paris time)."""
    now = schedule.paris(time.time())
    start = (now - dt.timedelta(hours=1)).strftime("%H:%M")
    end = (now + dt.timedelta(hours=2)).strftime("%H:%M")
    return f"{start}-{end}"


def test_non_urgent_alerts_wait_out_quiet_hours_urgent_ones_and_the_button_do_not(domain_settings):
    _members()
    settings = _settings(domain_settings, quiet_hours=_quiet_now())
    calm = alerts.create("Rappel de prudence.", Targeting(all=True), settings=settings, author="chef",
                         source="cli", urgent=False)
    assert calm.state == "scheduled" and calm.start_at > time.time() + 3600
    urgent = alerts.create("Vol en cours.", Targeting(all=True), settings=settings, author="chef", source="cli")
    assert urgent.state == "sending" and len(_messages(urgent.id)) == 3
    from vigie.daemon.core import presets
    presets.create("panique", "Alerte immédiate.", Targeting(all=True), actor="test")
    button = alerts.send_preset("panique", settings=settings, author="bouton")
    assert button.state == "sending" and len(_messages(button.id)) == 3


# --- fields, exercises, test group -----------------------------------------------------------

def test_fields_are_filled_per_recipient_with_fallbacks(domain_settings):
    _members()
    at = schedule.parse_when("2026-12-24 08:15")
    text = "{enseigne} à {commune} : vols le {date} vers {heure}, {secteur}."
    alert = alerts.create(text, Targeting(around="61006", radius_km=5), settings=domain_settings,
                          author="chef", source="cli", at=at)
    alerts.start_due(domain_settings, now=at)
    texts = {m.phone: m.text for m in _messages(alert.id)}
    assert texts["+33611111111"] == "Or et Lumière à Argentan : vols le 24/12/2026 vers 08:15, 5 km autour d'Argentan."
    assert texts["+33633333333"].startswith("Ferme des Prés à Argentan")      # no sign: the name
    assert fields.fill("{commune}", context=fields.Context(at=at)) == "votre commune"
    with pytest.raises(InvalidInput) as e:
        alerts.create("Bonjour {prenom}", Targeting(all=True), settings=domain_settings, author="c", source="cli")
    assert "{prenom}" in e.value.message


def test_parts_are_counted_on_the_longest_filled_text(domain_settings):
    members.add(siret=make_siret(5), name="A", naf="47.77Z", commune="61001", phones=["06 55 55 55 55"],
                actor="test")
    members.add(siret=make_siret(6), name="B" * 120, naf="47.77Z", commune="61001", phones=["06 66 66 66 66"],
                actor="test")
    preview = alerts.create("{enseigne} : " + "x" * 100, Targeting(all=True), settings=domain_settings,
                            author="chef", source="cli", dry_run=True)
    assert preview.parts == 2                     # 120 + 3 + 100 characters for B, 104 for A


def test_an_exercise_is_labelled_in_every_sms_and_can_target_the_test_group(domain_settings):
    _members()
    members.update(members.get(make_siret(2)).id, actor="test", test_group="oui")
    alert = alerts.create("Vol simulé à la gare.", Targeting(test_group=True), settings=domain_settings,
                          author="chef", source="cli", exercise=True)
    sent = _messages(alert.id)
    assert [m.phone for m in sent] == ["+33622222222"]
    assert sent[0].text == "EXERCICE – Vol simulé à la gare."
    detail = json.loads(AuditLog.get(AuditLog.action == "alert.send").detail)
    assert detail["exercise"] is True
    assert alerts.summary(alert.id)["exercise"] is True


# --- acknowledgements ------------------------------------------------------------------------

def _reply(phone, text, at=None):
    sms = InboundSms.create(modem="sim0", phone=phone, text=text, received_at=at or time.time())
    return inbox.handle(sms, None)


def test_ok_replies_acknowledge_the_latest_alert_that_asked_and_other_texts_stay_reports(domain_settings):
    _members()
    alert = alerts.create("Vols à Argentan.", Targeting(all=True), settings=domain_settings, author="chef",
                          source="cli", ack=True)
    assert _messages(alert.id)[0].text.endswith(acks.ACK_REQUEST)
    sent_at = time.time() - 120
    Message.update(state="sent", sent_at=sent_at).where(Message.alert == alert.id).execute()
    assert _reply("+33611111111", "Ok !") == "ack"
    assert _reply("+33622222222", "Bien reçu, merci") == "ack"
    assert _reply("+33633333333", "Une camionnette blanche tourne") == "incident"
    stats = alerts.summary(alert.id)
    assert (stats["acknowledged"], stats["not_acknowledged"]) == (2, 1)
    assert 100 < stats["ack_median_seconds"] < 200
    plain = alerts.create("Sans accusé.", Targeting(members=[make_siret(3)]), settings=domain_settings,
                          author="chef", source="cli")
    Message.update(state="sent", sent_at=time.time()).where(Message.alert == plain.id).execute()
    assert _reply("+33633333333", "OK") == "ack"          # the earlier alert asked this phone
    Alert.update(expires_at=time.time() - 1).where(Alert.id == alert.id).execute()
    assert _reply("+33611111111", "OK") == "incident"     # nothing valid asked for it any more
    assert _reply("+33611111111", "STOP") == "stop"
