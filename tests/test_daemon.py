"""The sending daemon end to end: outbox → worker → python-gsmmodem-new → pty → simulated modem.

The simulated modem's air log is the ground truth: every assertion about what reached a phone
counts its lines.
"""

import collections
import os
import signal
import time

import pytest

from tests.fixtures_daemon import daemon_settings, running_daemon, vigie, vigie_process, wait_until, write_config
from vigie.daemon.core import db as db_mod
from vigie.daemon.core import outbox
from vigie.daemon.core.models import Message, ModemStatus, Part, StatusReport

FRENCH = "Vol à l'étalage signalé à Sées, soyez vigilants"
UCS2 = "Gendarmerie : « cambriolages » à Flers ; fermez vos accès, même l'arrière-boutique. Œil ouvert, ça presse !"
LONG = ("Gendarmerie de l'Orne : plusieurs cambriolages de commerces ont été commis cette nuit dans le secteur "
        "d'Argentan. Les auteurs circulent en véhicule utilitaire blanc. Vérifiez vos fermetures, "
        "activez vos alarmes et signalez immédiatement tout comportement suspect au 17. Merci de votre vigilance.")


def states():
    return collections.Counter(m.state for m in Message.select(Message.state))


def air_texts(sim):
    """Whole texts per destination, parts joined by concatenation reference."""
    by_key = collections.defaultdict(dict)
    for entry in sim.air():
        by_key[(entry["to"], entry["ref"], entry["parts"])][entry["part"]] = entry["text"]
    return [(key[0], "".join(parts[i] for i in sorted(parts))) for key, parts in by_key.items()]


@pytest.mark.parametrize("model", ["sim800", "sim7600"])
def test_send_single_multipart_and_ucs2_then_delivered(tmp_path, sims, model):
    sim = sims("sim0", model=model)
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    texts = {"+33611111111": FRENCH, "+33622222222": UCS2, "+33633333333": LONG}
    ids = [outbox.enqueue(phone, text, parts=3).id for phone, text in texts.items()]
    with running_daemon(settings):
        assert wait_until(lambda: states().get("delivered") == 3, 30), states()
    assert sorted(air_texts(sim)) == sorted(texts.items())
    for message_id in ids:
        m = Message.get_by_id(message_id)
        parts = list(Part.select().where(Part.message == message_id))
        assert len(parts) == m.parts and all(p.status == "delivered" for p in parts)
        on_air = {(e["to"], e["mr"]) for e in sim.air()}
        assert all((m.phone, int(p.reference)) in on_air for p in parts)
    status = ModemStatus.get_by_id("sim0")
    assert status.sent_count == 3 and status.last_contact


def test_tp_mr_wraps_over_600_messages_and_each_report_matches(tmp_path, sims):
    sim = sims("sim0", model="sim7600")
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    rows = [dict(phone=f"+3361{i:07d}", text=f"Message {i}", parts=1) for i in range(600)]
    outbox.enqueue_many(rows)
    with running_daemon(settings):
        assert wait_until(lambda: states().get("delivered") == 600, 120), states()
    mrs = [e["mr"] for e in sim.air()]
    assert len(mrs) == 600 and max(mrs) == 255 and mrs.count(0) >= 2     # wrapped twice
    assert StatusReport.select().where(StatusReport.part.is_null()).count() == 0
    for part in Part.select().limit(50):
        assert part.phone == Message.get_by_id(part.message_id).phone


def test_temporary_error_then_success_and_permanent_error(tmp_path, sims):
    sim = sims("sim0")
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    sim.fail_sends(38, count=2)
    retried = outbox.enqueue("+33611111111", "réessai")
    with running_daemon(settings):
        assert wait_until(lambda: Message.get_by_id(retried.id).state == "delivered", 30)
        m = Message.get_by_id(retried.id)
        assert m.attempts == 3 and not m.possible_duplicate
        sim.fail_sends(21, count=1)
        refused = outbox.enqueue("+33622222222", "refusé")
        assert wait_until(lambda: Message.get_by_id(refused.id).state == "failed", 30)
    m = Message.get_by_id(refused.id)
    assert m.attempts == 1 and "21" in m.error and m.error_code == 21
    assert [e["to"] for e in sim.air()] == ["+33611111111"]


def test_max_attempts_then_failed_with_french_reason(tmp_path, sims):
    sim = sims("sim0")
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    sim.fail_sends(500, count=10)
    m = outbox.enqueue("+33611111111", "jamais", max_attempts=3)
    with running_daemon(settings):
        assert wait_until(lambda: Message.get_by_id(m.id).state == "failed", 30)
    row = Message.get_by_id(m.id)
    assert row.attempts == 3 and row.error.startswith("Échec après 3 tentative")
    assert sim.air() == []


def test_expiry_cancellation_and_priority(tmp_path, sims):
    sim = sims("sim0")
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    from vigie.daemon.core.models import Alert
    stale = outbox.enqueue("+33600000001", "périmé", expires_at=time.time() - 1)
    alert = Alert.create(text="annulée")
    cancelled = outbox.enqueue("+33600000002", "annulé", alert=alert)
    outbox.cancel_alert(alert.id)
    normal = [outbox.enqueue(f"+3361000000{i}", f"normal {i}").id for i in range(5)]
    outbox.enqueue("+33699999999", "panique", priority=outbox.PRIORITY_PANIC)
    with running_daemon(settings):
        assert wait_until(lambda: states().get("delivered") == 6, 30), states()
    assert Message.get_by_id(stale.id).state == "expired"
    assert Message.get_by_id(cancelled.id).state == "cancelled"
    destinations = [e["to"] for e in sim.air()]
    assert destinations[0] == "+33699999999"
    assert "+33600000001" not in destinations and "+33600000002" not in destinations
    assert len(normal) == 5


def test_two_modems_share_the_outbox_without_double_send(tmp_path, sims):
    a, b = sims("sim0"), sims("sim1", model="sim7600")
    settings = daemon_settings(tmp_path, [a, b])
    db_mod.open_database(settings.database.path)
    phones = [f"+3362{i:07d}" for i in range(200)]
    with running_daemon(settings):
        # Both links up first: a fast daemon would otherwise finish on one modem before the other connects.
        assert wait_until(lambda: ModemStatus.select().where(ModemStatus.state == "ready").count() == 2, 20)
        outbox.enqueue_many([dict(phone=p, text="partage", parts=1) for p in phones])
        assert wait_until(lambda: states().get("delivered") == 200, 60), states()
    sent = [e["to"] for e in a.air()] + [e["to"] for e in b.air()]
    assert sorted(sent) == sorted(phones)
    assert a.air() and b.air()          # both did work


def test_one_modem_dies_and_the_other_finishes(tmp_path, sims):
    a, b = sims("sim0", latency=0.01), sims("sim1", latency=0.01)
    settings = daemon_settings(tmp_path, [a, b])
    db_mod.open_database(settings.database.path)
    phones = [f"+3363{i:07d}" for i in range(150)]
    outbox.enqueue_many([dict(phone=p, text="panne", parts=1) for p in phones])
    with running_daemon(settings):
        assert wait_until(lambda: len(a.air()) >= 10, 30)
        a.unplug(60)                     # gone for the rest of the test
        assert wait_until(lambda: ModemStatus.get_by_id("sim0").state == "disconnected", 20)
        assert wait_until(lambda: states().get("delivered", 0) + states().get("sent", 0) == 150, 60), states()
    on_air = collections.Counter(e["to"] for e in a.air() + b.air())
    assert set(on_air) == set(phones)
    duplicates = [p for p, n in on_air.items() if n > 1]
    flagged = {m.phone for m in Message.select().where(Message.possible_duplicate == True)}  # noqa: E712
    assert set(duplicates) <= flagged


def test_incoming_sms_is_stored_and_multipart_reassembled(tmp_path, sims):
    sim = sims("sim0", model="sim7600")
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    from vigie.daemon.core.models import InboundSms
    with running_daemon(settings):
        assert wait_until(lambda: ModemStatus.get_or_none(ModemStatus.name == "sim0")
                          and ModemStatus.get_by_id("sim0").state == "ready", 20)
        sim.inject_sms("+33612345678", LONG)
        sim.inject_sms("+33687654321", "Rôdeur vu derrière la pharmacie", announce=False)
        assert wait_until(lambda: InboundSms.select().where(InboundSms.phone == "+33612345678").exists(), 20)
    got = InboundSms.get(InboundSms.phone == "+33612345678")
    assert got.text == LONG


def test_sigkill_mid_batch_then_restart_loses_nothing(tmp_path, sims):
    sim = sims("sim0", latency=0.02)
    config = write_config(tmp_path, [sim])
    db_mod.open_database(str(tmp_path / "vigie.db"))
    phones = [f"+3364{i:07d}" for i in range(120)]
    outbox.enqueue_many([dict(phone=p, text="coupure", parts=1) for p in phones])
    in_flight_at_kills = 0
    for round_ in range(2):
        proc = vigie_process(config, "run")
        assert wait_until(lambda: len(sim.air()) >= 30 * (round_ + 1), 60)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        in_flight_at_kills += Message.select().where(Message.state == "sending").count()
        assert db_mod.integrity_check(db_mod.models.database.obj) == "ok"
    proc = vigie_process(config, "run")
    try:
        # A SIM800 does not store reports: those that came while no daemon was listening are lost,
        # so a message sent just before a kill may stay "sent" (on air, no report), never "lost".
        assert wait_until(lambda: states().get("delivered", 0) + states().get("sent", 0) == 120, 90), states()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    on_air = collections.Counter(e["to"] for e in sim.air())
    assert set(on_air) == set(phones)
    duplicates = sum(n - 1 for n in on_air.values())
    assert duplicates <= in_flight_at_kills
    flagged = {m.phone for m in Message.select().where(Message.possible_duplicate == True)}  # noqa: E712
    assert {p for p, n in on_air.items() if n > 1} <= flagged


def test_cli_send_then_status_and_message_show(tmp_path, sims):
    sim = sims("sim0")
    config = write_config(tmp_path, [sim])
    out = vigie(config, "send", "--to", "06 12 34 56 78", "--text", FRENCH, "--json")
    assert out.returncode == 0, out.stderr
    import json
    message_id = json.loads(out.stdout)["id"]
    proc = vigie_process(config, "run")
    try:
        db_mod.open_database(str(tmp_path / "vigie.db"))
        assert wait_until(lambda: Message.get_by_id(message_id).state == "delivered", 30)
        status = json.loads(vigie(config, "status", "--json").stdout)
        assert status["daemon"]["alive"] is True
        assert status["modems"][0]["name"] == "sim0" and status["modems"][0]["state"] == "ready"
        transport = status["transports"][0]
        assert len(status["transports"]) == 1
        assert {k: transport[k] for k in ("name", "kind", "state", "state_label", "priority")} == {
            "name": "sim0", "kind": "gsm", "state": "ready", "state_label": "prêt", "priority": 0}
        assert status["queue"]["delivered"] == 1
        text = vigie(config, "status").stdout
        assert "Démon : en marche" in text and "délivré 1" in text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    shown = json.loads(vigie(config, "message", "show", str(message_id), "--json").stdout)
    assert shown["state"] == "delivered" and shown["phone"] == "+33612345678"
    assert shown["sms_parts"][0]["status"] == "delivered" and shown["attempt_log"][0]["outcome"] == "sent"
    part, report = shown["sms_parts"][0], shown["reports"][0]
    assert part["modem"] == part["transport"] == shown["modem"] == shown["transport"] == "sim0"
    assert part["mr"] == sim.air()[0]["mr"] and part["reference"] == str(part["mr"])      # the TP-MR, as text
    assert (report["modem"], report["transport"], report["mr"], report["reference"]) == (
        "sim0", "sim0", part["mr"], part["reference"])
    bad = vigie(config, "send", "--to", "02 33 12 34 56", "--text", "x")
    assert bad.returncode != 0 and "fixe" in bad.stderr.lower()
    assert sim.air()[0]["to"] == "+33612345678"


def test_stop_start_and_incident_replies_end_to_end(tmp_path, sims):
    """A STOP through the module opts the phone out and is confirmed once; START opts back in;
    anything else from a member becomes an incident report."""
    from vigie.daemon.core import members
    from vigie.daemon.core.models import InboundSms, OptOut
    sim = sims("sim0", model="sim800")
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    members.add(siret="73282932000074", name="Bijouterie du Centre", naf="47.77Z", commune="61001",
                phones=["06 12 34 56 78"], actor="test")
    with running_daemon(settings):
        assert wait_until(lambda: ModemStatus.get_or_none(ModemStatus.name == "sim0")
                          and ModemStatus.get_by_id("sim0").state == "ready", 20)
        sim.inject_sms("+33612345678", "Stop")
        assert wait_until(lambda: OptOut.get_or_none(OptOut.phone == "+33612345678"), 20)
        assert wait_until(lambda: any("START" in e["text"] for e in sim.air()), 20)
        sim.inject_sms("+33612345678", "STOP")          # a second STOP is not confirmed twice
        sim.inject_sms("+33612345678", "Deux individus cagoulés rôdent près du magasin")
        assert wait_until(lambda: InboundSms.select().where(InboundSms.kind == "incident").exists(), 20)
        sim.inject_sms("+33612345678", "start")
        assert wait_until(lambda: OptOut.get_or_none(OptOut.phone == "+33612345678") is None, 20)
        assert wait_until(lambda: len(sim.air()) >= 2, 20)
    kinds = [m.kind for m in InboundSms.select().order_by(InboundSms.id)]
    assert kinds == ["stop", "stop", "incident", "start"]
    incident = InboundSms.get(InboundSms.kind == "incident")
    assert incident.member.siret == "73282932000074"
    confirmations = [e for e in sim.air() if e["to"] == "+33612345678"]
    assert len(confirmations) == 2          # one for STOP, one for START


def test_systemd_notify_ready_with_a_dead_modem_then_watchdog_and_status(tmp_path):
    """READY=1 comes once the store is open, even when the modem does not exist; the watchdog is
    fed while the loop and the workers live; SIGTERM stops cleanly."""
    import socket
    import subprocess
    import sys

    class Absent:
        name, model, port = "hat", "sim800", str(tmp_path / "no-such-tty")

    config = write_config(tmp_path, [Absent()])
    notify_path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(notify_path)
    sock.settimeout(20)
    env = dict(os.environ, NOTIFY_SOCKET=notify_path, WATCHDOG_USEC="2000000")
    proc = subprocess.Popen([sys.executable, "-m", "vigie.daemon.cli", "--config", config, "run"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        seen = []
        while not ({"READY=1", "WATCHDOG=1"} <= set(seen) and any(s.startswith("STATUS=") for s in seen)):
            seen.append(sock.recv(4096).decode())
        assert seen[0] == "READY=1"
        status = next(s for s in seen if s.startswith("STATUS="))
        assert "hat" in status and "file" in status
        db_mod.open_database(str(tmp_path / "vigie.db"))
        assert wait_until(lambda: ModemStatus.get_or_none(ModemStatus.name == "hat")
                          and "port" in ModemStatus.get_by_id("hat").last_error, 20)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        sock.close()
