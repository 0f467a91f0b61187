"""Modem faults during a broadcast, each on its own and then mixed on two modems: nothing lost,
failures explained, and sending resumes by itself. The time from each fault's end to the next SMS
on air on that modem goes into the report."""

import os
import random
import time

import pytest

from tests.chaos._audit import audit, drained, fault_end, integrity_ok, next_air_after, record
from tests.fixtures_daemon import daemon_settings, running_daemon, wait_until
from tests.fixtures_web import add_member
from vigie.daemon.core import alerts, outbox
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.models import Message, ModemStatus, StatusReport
from vigie.daemon.core.targeting import Targeting
from vigie.daemon.simulator import pdu as codec

pytestmark = pytest.mark.chaos

TEXT = "Gendarmerie de l'Orne : cambriolages de commerces cette nuit, vérifiez vos fermetures."


def broadcast(settings, n: int, first: int = 0, text: str = TEXT):
    for i in range(first, first + n):
        add_member(i)
    return alerts.create(text, Targeting(all=True), settings=settings, author="chaos", source="cli")


def _after(sim, kind, since, n=1, timeout=60.0):
    """Time of the n-th simulator event of ``kind`` after ``since``."""
    seen = []
    found = sim.wait_event(lambda e: e["type"] == kind and e["time"] >= since
                           and (seen.append(e) or len(seen) >= n), timeout)
    assert found is not None, f"{kind} attendu {n} fois"
    return found["time"]


# --- faults: each injects, waits for its end, and returns the end time -------------------------------

def hang(sim, rng):
    t = time.time()
    sim.hang(4)
    return fault_end(sim, "hang_over", t)


def late_cmgs(sim, rng):
    t = time.time()
    sim.late_cmgs(5, count=1)           # longer than the daemon's send timeout: outcome unknown
    return _after(sim, "on_air", t) + 5


def unplug(sim, rng):
    t = time.time()
    sim.unplug(2)
    return fault_end(sim, "replugged", t)


def reboot(sim, rng):
    t = time.time()
    sim.reboot(down=1)
    return fault_end(sim, "boot_lines", t)


def registration_lost(sim, rng):
    t = time.time()
    sim.lose_registration(3)
    return fault_end(sim, "registered", t)


def cms_temporary(sim, rng):
    t = time.time()
    sim.fail_sends(rng.choice([38, 42, 47, 500]), count=4)
    return _after(sim, "cms_error", t, n=4)


def cms_permanent(sim, rng):
    t = time.time()
    sim.fail_sends(21, count=3)
    return _after(sim, "cms_error", t, n=3)


GARBAGE = [b"\xff\xfe\x00garbage\r\n", b"\r\n\x80\x81\x82\xc3\x28\r\n", b"+CMGS: \xff\r\n",
           b"\r\nOK\r\nERROR\r\n", b"\x1a\x1b> \r\n", b"\r\n+CME ERROR: \xe9\r\n", b"\x00" * 64,
           b"AT+CMGS=\r\n> ", bytes(range(256))]


def garbage(sim, rng):
    for _ in range(8):
        sim.send_garbage(rng.choice(GARBAGE))
        sim.wait_event(lambda e: e["type"] == "on_air" and e["time"] >= time.time() - 0.001, 5)
    return time.time()


MID_COMMAND = ['+CMTI: "SM",7', "RING", "+CREG: 1", '+CDSI: "SR",9', "+CSQ: 99,99", "NO CARRIER",
               "+CMS ERROR: 500", "\xe9t\xe9"]


def unsolicited_mid_command(sim, rng):
    t = time.time()
    for _ in range(6):
        sim.unsolicited_during_next_command(rng.choice(MID_COMMAND))
        _after(sim, "answer", time.time(), timeout=20)
    return t


def report_storm(sim, rng):
    """Hundreds of status reports at once: for unknown references, unknown numbers, repeated ones."""
    t = time.time()
    lines = []
    for _ in range(200):
        rep = codec.encode_status_report(rng.randrange(256), f"+3369{rng.randrange(10**7):07d}", t, t,
                                         rng.choice([0x00, 0x30, 0x41, 0x46]), smsc="+33689004000")
        lines.append(f"\r\n+CDS: {rep.tpdu_length}\r\n{rep.hex}\r\n".encode())
    for start in range(0, len(lines), 20):
        sim.send_garbage(b"".join(lines[start:start + 20]))
    return time.time()


def network_retrying(sim, rng):
    """Every SMS from now on gets two reports: "SC still trying", then "delivered"."""
    t = time.time()
    sim.set_report("temporary_then_delivered")
    _after(sim, "report", t, n=10)
    sim.set_report("delivered")
    return time.time()


FAULTS = {f.__name__: f for f in (hang, late_cmgs, unplug, reboot, registration_lost, cms_temporary,
                                  cms_permanent, garbage, unsolicited_mid_command, report_storm,
                                  network_retrying)}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_one_fault_during_a_broadcast(tmp_path, sims, report, fault):
    rng = random.Random(f"{os.environ.get('CHAOS_SEED', '20261129')}-{fault}")
    model = "sim800" if list(FAULTS).index(fault) % 2 == 0 else "sim7600"
    sim = sims("sim0", model=model, latency=0.01)
    settings = daemon_settings(tmp_path, [sim])
    db_mod.open_database(settings.database.path)
    alert = broadcast(settings, 100)
    with running_daemon(settings):
        assert sim.wait_air(15, 30)
        end = FAULTS[fault](sim, rng)
        report.add("faults_injected")
        recovery = next_air_after(sim, end, 60)
        assert recovery is not None, f"l'envoi n'a pas repris après {fault}"
        report.recovered(fault, recovery)
        assert drained(120), Message.select().where(Message.state != "delivered").count()
    assert integrity_ok()
    verdict = audit([sim], Message.select().where(Message.alert == alert.id))
    record(report, verdict)
    assert verdict.ok, verdict.problems()
    if fault == "cms_permanent":
        refused = list(Message.select().where(Message.state == "failed"))
        assert len(refused) == 3 and all(m.error_code == 21 and "Refusé" in m.error for m in refused)
    else:
        assert verdict.failed == 0, verdict.states
    if fault == "report_storm":
        assert StatusReport.select().where(StatusReport.part.is_null()).count() >= 150
    report.add("faults_survived")


def test_mixed_faults_on_two_modems(tmp_path, sims, report):
    """Faults one after another on either modem during one broadcast; both links end ready."""
    rng = random.Random(f"{os.environ.get('CHAOS_SEED', '20261129')}-mixed")
    a = sims("sim0", model="sim800", latency=0.05)
    b = sims("sim1", model="sim7600", latency=0.05)
    settings = daemon_settings(tmp_path, [a, b])
    db_mod.open_database(settings.database.path)
    alert = broadcast(settings, 400)
    names = [n for n in FAULTS if n != "cms_permanent"]
    with running_daemon(settings) as daemon:
        assert a.wait_air(5, 30) and b.wait_air(5, 30)
        for _ in range(10):
            if outbox.queue_depth() < 80:
                break               # keep work for the faulty modem to resume on
            sim = rng.choice([a, b])
            fault = rng.choice(names)
            end = FAULTS[fault](sim, rng)
            report.add("faults_injected")
            recovery = next_air_after(sim, end, 60)
            if recovery is None:    # the other modem finished the broadcast meanwhile
                assert outbox.queue_depth() == 0, f"{sim.name} n'a pas repris après {fault}"
            else:
                report.recovered(f"mixed.{fault}", recovery)
            report.add("faults_survived")
        assert drained(180)
        assert wait_until(lambda: {m.state for m in ModemStatus.select()} == {"ready"}, 30), \
            [(m.name, m.state, m.last_error) for m in ModemStatus.select()]
        assert daemon.healthy()
    assert integrity_ok()
    verdict = audit([a, b], Message.select().where(Message.alert == alert.id))
    record(report, verdict)
    assert verdict.ok, verdict.problems()
    assert verdict.failed == 0, verdict.states
