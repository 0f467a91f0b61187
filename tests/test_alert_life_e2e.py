"""Alerts with a life, end to end: the daemon and the simulated modem (python-gsmmodem-new on a pty)."""

import dataclasses
import json
import signal
import time

from vigie.daemon.core import alerts, members, schedule
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.models import Alert, Message, ModemStatus
from vigie.daemon.core.targeting import Targeting

from .fixtures_daemon import daemon_settings, running_daemon, vigie, vigie_process, wait_until, write_config
from .fixtures_domain import make_siret

PHONES = ["+33611111111", "+33622222222", "+33633333333"]


def _members():
    members.add(siret=make_siret(1), name="Bijouterie du Centre", sign="Or et Lumière", naf="47.77Z",
                commune="61006", phones=["06 11 11 11 11"], actor="test")
    members.add(siret=make_siret(2), name="Tabac de la Gare", naf="47.26Z", commune="61001",
                phones=["06 22 22 22 22"], actor="test")
    members.add(siret=make_siret(3), name="Ferme des Prés", naf="01.11Z", commune="61483",
                phones=["06 33 33 33 33"], actor="test")


def _ready(name="sim0"):
    return wait_until(lambda: (row := ModemStatus.get_or_none(ModemStatus.name == name)) is not None
                      and row.state == "ready", 30)


def _on_air(sim, needle):
    return [e for e in sim.air() if needle in e["text"]]


def test_a_scheduled_alert_is_sent_once_after_a_restart_across_its_time(tmp_path, sims):
    sim = sims("sim0")
    config = write_config(tmp_path, [sim])
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    _members()
    # the CLI schedules in Paris time and says so (far ahead: the machine's speed does not matter)
    later = schedule.paris(time.time() + 86400).strftime("%Y-%m-%d %H:%M")
    result = vigie(config, "alert", "send", "--all", "--text", "Réunion demain.", "--at", later, "--json")
    assert result.returncode == 0, result.stderr
    planned = json.loads(result.stdout)
    assert planned["state"] == "scheduled" and planned["recipients"] == 3
    assert vigie(config, "alert", "cancel", str(planned["id"])).returncode == 0
    first = vigie_process(config, "run")
    try:
        assert _ready()
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=120)
    # the box is off when the alert's time comes
    alert = alerts.create("Alerte programmée.", Targeting(all=True), settings=settings, author="chef",
                          source="cli", at=time.time() + 3)
    assert alert.state == "scheduled"
    assert wait_until(lambda: time.time() > alert.start_at + 1, 30)
    assert _on_air(sim, "Alerte programmée") == []
    second = vigie_process(config, "run")
    try:
        assert wait_until(lambda: len(_on_air(sim, "Alerte programmée")) >= 3, 120)
        assert wait_until(lambda: Alert.get_by_id(alert.id).state == "done", 120)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=120)
    on_air = _on_air(sim, "Alerte programmée")
    assert sorted(e["to"] for e in on_air) == PHONES                 # each phone once
    assert _on_air(sim, "Réunion demain") == []                      # the cancelled one never left


def test_quiet_hours_hold_a_non_urgent_alert_while_an_urgent_one_goes_out(tmp_path, sims):
    sim = sims("sim0")
    settings = daemon_settings(tmp_path, [sim])
    now = schedule.paris(time.time())
    window = f"{(now.hour - 1) % 24:02d}:00-{(now.hour + 2) % 24:02d}:00"
    settings = dataclasses.replace(settings, alerts=dataclasses.replace(settings.alerts, quiet_hours=window))
    db_mod.open_database(settings.database.path)
    _members()
    with running_daemon(settings):
        assert _ready()
        calm = alerts.create("Rappel non urgent.", Targeting(all=True), settings=settings, author="chef",
                             source="cli", urgent=False)
        alerts.create("Urgent : vol en cours.", Targeting(all=True), settings=settings, author="chef",
                      source="cli")
        assert wait_until(lambda: len(_on_air(sim, "Urgent")) == 3, 60)
        assert _on_air(sim, "Rappel non urgent") == [] and Alert.get_by_id(calm.id).state == "scheduled"
        # the end of the quiet hours, as the daemon's housekeeping would see it
        assert alerts.start_due(settings, now=Alert.get_by_id(calm.id).start_at + 1) == 1
        assert wait_until(lambda: len(_on_air(sim, "Rappel non urgent")) == 3, 60)


def test_exercise_prefix_fields_and_acknowledgements_on_air(tmp_path, sims):
    sim = sims("sim0")
    config = write_config(tmp_path, [sim])
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    _members()
    with running_daemon(settings):
        assert _ready()
        alert = alerts.create("Cambriolages signalés à {commune} : soyez vigilants.", Targeting(all=True),
                              settings=settings, author="chef", source="cli", exercise=True, ack=True)
        assert wait_until(lambda: len(_on_air(sim, "Cambriolages")) == 3, 60)
        assert wait_until(lambda: all(m.state != "sending" and m.sent_at for m in
                                      Message.select().where(Message.alert == alert.id)), 60)
        texts = {}
        for e in sim.air():                     # the parts of each phone's SMS, in order
            texts[e["to"]] = texts.get(e["to"], "") + e["text"]
        assert all(t.startswith("EXERCICE – Cambriolages signalés à ") for t in texts.values())
        assert "à Argentan" in texts[PHONES[0]] and "à Alençon" in texts[PHONES[1]]
        assert all(t.endswith("Répondez OK pour confirmer la lecture.") for t in texts.values())
        assert wait_until(lambda: Message.select().where((Message.alert == alert.id)
                                                         & Message.sent_at.is_null(False)).count() == 3, 30)
        sim.inject_sms(PHONES[0], "OK")
        sim.inject_sms(PHONES[2], "ok merci")
        sim.inject_sms(PHONES[1], "Un homme regarde les vitrines")
        assert wait_until(lambda: Message.select().where((Message.alert == alert.id)
                                                         & Message.acknowledged_at.is_null(False)).count() == 2, 30)
    shown = vigie(config, "alert", "show", str(alert.id), "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["acknowledged"] == 2 and data["exercise"] is True
    acked = {r["phone"]: r["acknowledged_at"] for r in data["recipients"]}
    assert acked[PHONES[0]] and acked[PHONES[2]] and acked[PHONES[1]] is None
