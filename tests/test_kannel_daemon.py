"""`vigie run` with an operator route, nothing played by the test: the daemon's worker sends the outbox
through Kannel to the simulated SMSC, its callback listener ([daemon] callback_listen) takes Kannel's
reports and incoming SMS, and its loop applies them."""

import pytest

from tests.fixtures_daemon import running_daemon
from tests.fixtures_kannel import SECRET, free_port, http_get, wait_until
from vigie.daemon.core import config as config_mod
from vigie.daemon.core import db as db_mod
from vigie.daemon.core import outbox
from vigie.daemon.core.models import Callback, Contact, Member, Message, OptOut, Part, TransportStatus
from vigie.daemon.simulator.smsc.protocol import ESME_RSUBMITFAIL
from vigie.daemon.transport.kannel import conf as kconf

LONG = ("Vigientreprise : série de cambriolages de commerces à Argentan et Écouché cette nuit. Fermez vos "
        "locaux, activez vos alarmes et signalez tout véhicule suspect au 17.")


def settings_for(tmp_path, k, port, **daemon):
    values = {"callback_listen": f"127.0.0.1:{port}", "callback_secret": SECRET,
              "control_socket": str(tmp_path / "control.sock"), "poll_interval_seconds": 0.05,
              "health_interval_seconds": 0.5, "retry_base_seconds": 0.2, "retry_max_seconds": 1.0,
              "reconnect_max_seconds": 1.0, "send_timeout_seconds": 10.0}
    values.update(daemon)
    return config_mod.parse({
        "database": {"path": str(tmp_path / "vigie.db")},
        "kannel": [{"name": "operateur", "sendsms_url": f"http://127.0.0.1:{k.conf.sendsms_port}/cgi-bin/sendsms",
                    "username": k.conf.username, "password": k.conf.password, "sender": k.conf.sender,
                    "smsc": k.conf.smsc_id, "max_per_second": 100, "admin_url": f"http://127.0.0.1:{k.conf.admin_port}",
                    "admin_password": k.conf.admin_password}],
        "daemon": values,
        "button": {"enabled": False},
    })


@pytest.fixture
def route(tmp_path, smsc, kannel):
    port = free_port()
    k = kannel(callback_listen=f"127.0.0.1:{port}", callback_secret=SECRET)
    yield k, settings_for(tmp_path, k, port), port
    db_mod.close_database()


def delivered(ids) -> bool:
    return all(Message.get_by_id(i).state == "delivered" for i in ids)


def test_broadcast_through_kannel_every_report_matched(route, smsc):
    k, settings, _ = route
    with running_daemon(settings):
        ids = [outbox.enqueue(f"+336123450{n:02d}", LONG if n % 3 == 0 else f"Alerte {n} : fermez vos locaux").id
               for n in range(30)]
        assert wait_until(lambda: delivered(ids), 120), (outbox.counts(), k.logs())
        status = TransportStatus.get_by_id("operateur")
        assert (status.kind, status.state, status.priority) == ("kannel", "ready", 10)
    air = smsc.air()
    assert len(air) == 10 * 2 + 20 == Part.select().count()
    assert {p.status for p in Part.select()} == {"delivered"}
    assert {(a["phone"], a["part"]) for a in air} == {(p.phone, p.number) for p in Part.select()}
    assert {a["message_id"] for a in air} == {c.params.split('"foreign": "')[1].split('"')[0]
                                               for c in Callback.select().where(Callback.outcome == "matched")}


def test_stop_through_the_smsc_unsubscribes_and_is_answered(route, smsc):
    k, settings, port = route
    with running_daemon(settings):
        member = Member.create(name="Garage du Perche", naf="45.20A")
        Contact.create(member=member, phone="+33698765432")
        smsc.inject_mo("+33698765432", "STOP")
        assert wait_until(lambda: OptOut.get_or_none(OptOut.phone == "+33698765432"), 60), k.logs()
        # the confirmation goes back out through the operator route
        assert smsc.wait_air(1, 60) and smsc.air()[0]["phone"] == "+33698765432"
        assert "vous ne recevrez plus" in smsc.air()[0]["text"]
        forged = f"http://127.0.0.1:{port}{kconf.MO_PATH}?secret=faux&from=%2B33698765432&text=START&id=x"
        assert http_get(forged)[0] == 403
        assert Callback.select().where(Callback.key == "mo:x").count() == 0
        assert OptOut.get_or_none(OptOut.phone == "+33698765432") is not None


def test_refusing_and_throttling_smsc(route, smsc):
    k, settings, _ = route
    smsc.throttle(5)
    with running_daemon(settings):
        ok = [outbox.enqueue(f"+336123451{n:02d}", f"Débit {n}").id for n in range(15)]
        assert wait_until(lambda: delivered(ok), 120), (outbox.counts(), k.logs())
        assert smsc.events("submit_refused")            # Kannel was throttled, and waited
        smsc.throttle(None)
        smsc.refuse(ESME_RSUBMITFAIL, count=1)
        refused = outbox.enqueue("+33612345200", "Refusé une fois").id
        assert wait_until(lambda: Message.get_by_id(refused).state == "failed", 60), k.logs()
    row = Message.get_by_id(refused)
    assert row.error_code == ESME_RSUBMITFAIL and "erreur SMPP 0x45" in row.error
    assert sorted(a["text"] for a in smsc.air()) == sorted(f"Débit {n}" for n in range(15))


def test_route_down_then_back(route, smsc):
    k, settings, _ = route
    with running_daemon(settings):
        first = outbox.enqueue("+33612345300", "Avant la coupure").id
        assert wait_until(lambda: delivered([first]), 60), k.logs()
        smsc.drop(refuse_seconds=3600)
        assert wait_until(lambda: TransportStatus.get_by_id("operateur").state == "degraded", 60)
        waiting = outbox.enqueue("+33612345301", "Pendant la coupure").id
        assert Message.get_by_id(waiting).state == "queued"     # a route that is down sends nothing
        smsc.drop(refuse_seconds=0)
        assert wait_until(lambda: delivered([waiting]), 90), k.logs()
        assert TransportStatus.get_by_id("operateur").state == "ready"


def test_kannel_killed_and_restarted_mid_broadcast(route, smsc):
    k, settings, _ = route
    smsc.set_report("delivered", delay=1.0)
    with running_daemon(settings):
        ids = [outbox.enqueue(f"+336123454{n:02d}", f"Diffusion {n}").id for n in range(20)]
        assert smsc.wait_air(5, 60)
        k.kill()
        k.start()
        assert wait_until(lambda: delivered(ids), 120), (outbox.counts(), k.logs())
    sent = [a["text"] for a in smsc.air()]
    assert set(sent) == {f"Diffusion {n}" for n in range(20)}
    duplicates = {t for t in sent if sent.count(t) > 1}
    flagged = {Message.get_by_id(i).text for i in ids if Message.get_by_id(i).possible_duplicate}
    assert duplicates <= flagged                        # no duplicate goes unflagged
    assert len(flagged) < len(ids)                      # and what went out after the restart is not flagged
