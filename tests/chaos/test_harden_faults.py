"""The SIM, the modem, the disk and the clock during a broadcast (issue 14): a wrong PIN beside a healthy
modem, a modem refusing every send beside a healthy one, a module slower than the send timeout, the disk
filling mid-broadcast, the wall clock stepping back and forth. Each adds its figures and one line per
fault class to the chaos report; the air logs are the truth."""

import dataclasses
import os
import subprocess

import pytest

from tests.chaos._audit import audit, drained, integrity_ok, record
from tests.fixtures_daemon import daemon_settings, running_daemon, wait_until
from tests.fixtures_web import add_member
from vigie.daemon.core import alerts, clock, storage
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.models import Message
from vigie.daemon.core.targeting import Targeting

pytestmark = pytest.mark.chaos

TEXT = "Gendarmerie de l'Orne : vols de cuivre cette nuit à Argentan, signalez tout véhicule suspect au 17."


def broadcast(settings, n: int):
    for i in range(n):
        add_member(i)
    return alerts.create(TEXT, Targeting(all=True), settings=settings, author="chaos", source="cli")


def conclude(report, fault: str, sims, extra: str = ""):
    verdict = audit(sims)
    record(report, verdict)
    report.add("faults_injected")
    if verdict.ok:
        report.add("faults_survived")
    report.set(f"fault_class.{fault}", f"{verdict.targeted} messages, {len(verdict.lost)} lost, "
                                       f"{len(verdict.unflagged)} unflagged duplicate(s), "
                                       f"{verdict.flagged} flagged{', ' + extra if extra else ''}")
    assert verdict.ok and verdict.lost == [] and verdict.unflagged == [], verdict.problems()
    assert integrity_ok()
    return verdict


def with_keys(settings, name, **keys):
    return dataclasses.replace(settings, modems=tuple(dataclasses.replace(m, **keys) if m.name == name else m
                                                      for m in settings.modems))


def test_sim_pin_refused_beside_a_healthy_modem(tmp_path, sims, report):
    locked = sims("sim0", model="sim800", pin="1234", pin_tries=3)
    healthy = sims("sim1", model="sim7600", latency=0.02)
    settings = with_keys(daemon_settings(tmp_path, [locked, healthy]), "sim0", pin="0000")
    db_mod.open_database(settings.database.path)
    broadcast(settings, 60)
    for _restart in range(2):                      # the daemon restarted mid-broadcast
        with running_daemon(settings):
            assert wait_until(lambda: sum(1 for e in healthy.air()) >= 20 or drained(0), 60)
    with running_daemon(settings):
        assert drained(120)
    assert locked.pin_tries == 2 and locked.air() == []
    conclude(report, "sim_pin", [locked, healthy], f"PIN tries left {locked.pin_tries}/3 after 2 restarts")


def test_failing_transport_beside_a_healthy_one(tmp_path, sims, report):
    refusing = sims("sim0", model="sim800")
    healthy = sims("sim1", model="sim7600", latency=0.05)
    refusing.fail_sends(38, rate=1.0)
    settings = daemon_settings(tmp_path, [refusing, healthy])
    db_mod.open_database(settings.database.path)
    broadcast(settings, 80)
    with running_daemon(settings):
        assert drained(180)
    burnt = Message.select().where(Message.attempts > 1).count()
    failed = Message.select().where(Message.state == "failed").count()
    assert burnt == 0 and failed == 0 and refusing.air() == []
    conclude(report, "failing_transport_beside_healthy", [refusing, healthy],
             f"{failed} failed, {burnt} message(s) with an attempt burnt by the failing modem")


def test_slow_module(tmp_path, sims, report):
    slow = sims("sim0", model="sim800")
    slow.late_cmgs(4, count=100000)               # every +CMGS 4 s after its SMS, the send timeout is 2 s
    settings = daemon_settings(tmp_path, [slow], send_timeout_seconds=2.0)
    db_mod.open_database(settings.database.path)
    broadcast(settings, 12)
    with running_daemon(settings):
        assert drained(240)
    verdict = conclude(report, "slow_module", [slow])
    assert verdict.duplicates <= 1


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"tmpfs impossible à monter ici : {done.stderr.decode().strip()}")
    yield mount
    db_mod.close_database()
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass
    finally:
        os.close(fd)


def test_disk_full_during_a_broadcast(tmp_path, sims, small_disk, report):
    sim = sims("sim0", model="sim7600", latency=0.2)
    settings = daemon_settings(tmp_path, [sim])
    path = str(small_disk / "vigie.db")
    settings = dataclasses.replace(settings, database=dataclasses.replace(settings.database, path=path))
    db_mod.open_database(path)
    broadcast(settings, 80)
    with running_daemon(settings):
        assert wait_until(lambda: len(sim.air()) >= 15, 60)
        _fill(small_disk)
        on_air = len(sim.air())
        assert wait_until(lambda: storage.problem(path), 60)
        stopped_at = len(sim.air())
        assert not wait_until(lambda: len(sim.air()) > stopped_at + 2, 3)      # it stopped claiming
        (small_disk / "filler").unlink()
        assert drained(180)
        assert wait_until(lambda: not storage.problem(path), 30)
    sending = Message.select().where(Message.state == "sending").count()
    assert sending == 0
    conclude(report, "disk_full", [sim],
             f"{on_air} SMS on air when the disk filled, 0 left « en cours d'envoi »")


def test_clock_steps_during_a_broadcast(tmp_path, sims, report):
    sim = sims("sim0", model="sim800", latency=0.05, seed=14)
    sim.fail_sends(42, rate=0.25)                # retries waiting while the clock steps
    settings = daemon_settings(tmp_path, [sim], retry_base_seconds=1.0, retry_max_seconds=2.0)
    db_mod.open_database(settings.database.path)
    with clock.use(clock.FakeClock()) as wall:
        broadcast(settings, 40)
        with running_daemon(settings):
            assert wait_until(lambda: Message.select().where(Message.state == "retry_wait").count() > 0, 60)
            wall.step(-3600)                     # NTP corrects a clock one hour ahead
            assert wait_until(lambda: len(sim.air()) >= 20, 60)
            wall.step(+7200)                     # then a person sets it two hours on
            assert drained(120)                  # an hour's wait or an expiry would fail here
            sim.fail_sends(42, rate=0)
        expired = Message.select().where(Message.state == "expired").count()
        assert expired == 0
        conclude(report, "clock_step", [sim], "steps -3600 s then +7200 s, 0 expired, no retry held back")
