"""Failover between the operator route and a GSM modem, end to end: the real daemon with a [[kannel]]
route (bearerbox and smsbox against the simulated SMSC) preferred over a simulated modem. The SMSC's
and the modem's air logs are the ground truth: every phone got its SMS once, or its message is
flagged as a possible duplicate. Runs once the Kannel transport is there (branch kannel) and Kannel
is installed."""

import collections

import pytest

kannel_fixtures = pytest.importorskip("tests.fixtures_kannel")

from tests.fixtures_daemon import running_daemon, wait_until
from vigie.daemon.core import config as config_mod
from vigie.daemon.core import db as db_mod
from vigie.daemon.core import outbox
from vigie.daemon.core.models import Message, TransportStatus


def settings_for(tmp_path, k, port, sim, max_per_second):
    return config_mod.parse({
        "database": {"path": str(tmp_path / "vigie.db")},
        "kannel": [{"name": "operateur", "sendsms_url": f"http://127.0.0.1:{k.conf.sendsms_port}/cgi-bin/sendsms",
                    "username": k.conf.username, "password": k.conf.password, "sender": k.conf.sender,
                    "smsc": k.conf.smsc_id, "max_per_second": max_per_second, "priority": 10,
                    "admin_url": f"http://127.0.0.1:{k.conf.admin_port}", "admin_password": k.conf.admin_password}],
        "modem": [{"name": sim.name, "port": sim.port, "model": sim.model, "priority": 0}],
        "daemon": {"callback_listen": f"127.0.0.1:{port}", "callback_secret": kannel_fixtures.SECRET,
                   "control_socket": str(tmp_path / "control.sock"), "poll_interval_seconds": 0.05,
                   "health_interval_seconds": 0.5, "retry_base_seconds": 0.2, "retry_max_seconds": 1.0,
                   "reconnect_max_seconds": 1.0, "send_timeout_seconds": 10.0},
        "button": {"enabled": False},
    })


def state(name):
    row = TransportStatus.get_or_none(TransportStatus.name == name)
    return row.state if row else None


def test_the_route_goes_down_mid_broadcast_the_modem_takes_over_then_the_route_takes_it_back(
        tmp_path, sims, smsc, kannel):
    port = kannel_fixtures.free_port()
    k = kannel(callback_listen=f"127.0.0.1:{port}", callback_secret=kannel_fixtures.SECRET)
    sim = sims("sim0", latency=0.2)
    settings = settings_for(tmp_path, k, port, sim, max_per_second=5)
    db_mod.open_database(settings.database.path)
    phones = [f"+3366{i:07d}" for i in range(80)]
    try:
        with running_daemon(settings):
            assert wait_until(lambda: state("operateur") == "ready" and state("sim0") == "ready", 60)
            outbox.enqueue_many([dict(phone=p, text=f"Relais {i}", parts=1) for i, p in enumerate(phones)])
            assert smsc.wait_air(10, 60)
            assert sim.air() == []                              # the route, preferred, sends alone
            # A panic message goes out on the fastest transport that is up: the route.
            panic = outbox.enqueue("+33699999999", "PANIQUE", priority=outbox.PRIORITY_PANIC).id
            assert wait_until(lambda: Message.get_by_id(panic).modem == "operateur", 30)
            smsc.drop(refuse_seconds=3600)                      # the operator's SMSC is gone
            assert wait_until(lambda: state("operateur") == "degraded", 60)
            assert wait_until(lambda: len(sim.air()) >= 5, 60)  # the modem took over
            smsc.drop(refuse_seconds=0)
            assert wait_until(lambda: state("operateur") == "ready", 90)
            on_modem = len(sim.air())
            assert wait_until(lambda: all(m.state in ("sent", "delivered") for m in Message.select()), 120), \
                outbox.counts()
    finally:
        db_mod.close_database()
    assert len(sim.air()) <= on_modem + 2                       # back on the route: the modem stopped
    counted = collections.Counter([a["phone"] for a in smsc.air()] + [e["to"] for e in sim.air()])
    assert set(counted) == set(phones) | {"+33699999999"}
    flagged = {m.phone for m in Message.select().where(Message.possible_duplicate == True)}  # noqa: E712
    assert {p for p, n in counted.items() if n > 1} <= flagged
