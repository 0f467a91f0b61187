"""The SIM and the modem (issue 14), end to end through python-gsmmodem-new on the pty simulator: a wrong
PIN is never sent twice, a modem refusing every send beside a healthy one burns no attempt, a module
slower than the send timeout sends no phone more than one flagged copy."""

import dataclasses

from tests.fixtures_daemon import daemon_settings, running_daemon, vigie, wait_until, write_config
from vigie.daemon.core import db as db_mod
from vigie.daemon.core import outbox
from vigie.daemon.core.models import Message, TransportBlock, TransportStatus


def with_modem_keys(settings, **keys):
    modems = tuple(dataclasses.replace(m, **keys) for m in settings.modems)
    return dataclasses.replace(settings, modems=modems)


def status_error(name: str) -> str:
    row = TransportStatus.get_or_none(TransportStatus.name == name)
    return row.last_error if row is not None else ""


def test_a_refused_pin_is_never_sent_again_across_reconnects_and_restarts(tmp_path, sims):
    sim = sims("sim0", model="sim800", pin="1234", pin_tries=3)
    settings = with_modem_keys(daemon_settings(tmp_path, [sim]), pin="0000")
    db_mod.open_database(settings.database.path)
    m = outbox.enqueue("+33611111111", "Essai")
    expected = ("code PIN refusé par la carte SIM : corrigez [[modem]] pin ; la box ne le réessaiera pas "
                "(il reste 2 essais)")
    for _restart in range(2):
        with running_daemon(settings):
            assert wait_until(lambda: status_error("sim0") == expected, 20), status_error("sim0")
            # Reconnections come every second in these settings: none may send the PIN again.
            assert not wait_until(lambda: sim.pin_tries < 2, 4)
            assert TransportStatus.get_by_id("sim0").state == "disconnected"
    assert sim.pin_tries == 2 and sim.sim_state == "SIM PIN"
    assert [e for e in sim.events if e["type"] == "wrong_pin"].__len__() == 1
    assert Message.get_by_id(m.id).state == "queued" and sim.air() == []
    config = write_config(tmp_path, [sim])
    shown = vigie(config, "status")
    assert expected in shown.stdout, shown.stdout + shown.stderr
    # The operator corrects the PIN: the block is lifted and the message goes out.
    with running_daemon(with_modem_keys(settings, pin="1234")):
        assert wait_until(lambda: Message.get_by_id(m.id).state == "delivered", 20)
    assert sim.pin_tries == 3 and TransportBlock.select().count() == 0


def test_a_sim_asking_for_its_puk_is_reported_never_guessed(tmp_path, sims):
    sim = sims("sim0", model="sim7600", pin="1234", pin_tries=0)
    settings = with_modem_keys(daemon_settings(tmp_path, [sim]), pin="1234")
    db_mod.open_database(settings.database.path)
    with running_daemon(settings):
        assert wait_until(lambda: "demande son code PUK" in status_error("sim0"), 20), status_error("sim0")
        assert not wait_until(lambda: any(e["type"] in ("wrong_puk", "wrong_pin", "sim_unlocked")
                                          for e in sim.events), 3)
    assert sim.sim_state == "SIM PUK"
    assert not any(c.startswith("AT+CPIN=") for _, c in sim.commands)



def test_a_modem_refusing_every_send_beside_a_healthy_one_burns_no_attempt(tmp_path, sims):
    refusing = sims("sim0", model="sim800")
    healthy = sims("sim1", model="sim7600", latency=0.2)
    refusing.fail_sends(38, rate=1.0)            # registered, yet every SMS refused « réseau hors service »
    settings = daemon_settings(tmp_path, [refusing, healthy])
    db_mod.open_database(settings.database.path)
    ids = [outbox.enqueue(f"+336000000{i:02d}", f"Alerte {i}", max_attempts=2).id for i in range(20)]
    with running_daemon(settings):
        assert wait_until(lambda: TransportStatus.get_or_none(TransportStatus.name == "sim0") is not None
                          and TransportStatus.get_by_id("sim0").state == "suspended", 30)
        assert "tous les envois sont refusés (+CMS ERROR 38 (réseau hors service))" in status_error("sim0")
        assert wait_until(lambda: all(Message.get_by_id(i).state == "delivered" for i in ids), 60), \
            [(m.id, m.state, m.attempts, m.error) for m in Message.select()]
    assert refusing.air() == [] and sorted(e["to"] for e in healthy.air()) == sorted(
        Message.get_by_id(i).phone for i in ids)
    assert [Message.get_by_id(i).attempts for i in ids] == [1] * 20
    assert not any(Message.get_by_id(i).possible_duplicate for i in ids)


def test_a_module_slower_than_the_send_timeout_sends_each_sms_once(tmp_path, sims):
    sim = sims("sim0", model="sim800")
    sim.late_cmgs(4, count=1000)                 # every +CMGS 4 s after its SMS went on air
    settings = daemon_settings(tmp_path, [sim], send_timeout_seconds=2.0)
    db_mod.open_database(settings.database.path)
    ids = [outbox.enqueue(f"+336100000{i:02d}", f"Alerte {i}").id for i in range(4)]
    with running_daemon(settings):
        assert wait_until(lambda: all(Message.get_by_id(i).state == "delivered" for i in ids), 90), \
            [(m.id, m.state, m.attempts, m.error) for m in Message.select()]
        assert "module lent" in status_error("sim0")
    on_air = [e["to"] for e in sim.air()]
    assert sorted(on_air) == sorted(Message.get_by_id(i).phone for i in ids)       # one copy each
    first = Message.get_by_id(ids[0])
    assert not first.possible_duplicate and first.attempts == 1
    assert [a.outcome for a in first.attempt_rows] == ["sent"]
