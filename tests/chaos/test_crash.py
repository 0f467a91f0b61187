"""Crash and power loss: a broadcast of a few hundred recipients on two simulated modems while the
daemon (a real `vigie run` process) is killed with SIGKILL at chosen dangerous moments and restarted,
and the console process is killed in the middle of sign-ins. The store is checked after each kill."""

import os
import random
import shutil
import signal
import sqlite3
import threading
import time

import pytest

from tests.chaos._audit import audit, integrity_ok, record
from tests.chaos._web import Browser, add_web_section, free_port, start_web, wait_port_free
from tests.fixtures_daemon import vigie_process, wait_until, write_config
from tests.fixtures_web import add_member
from vigie.daemon.core import alerts, outbox, users
from vigie.daemon.core import config as config_mod
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.models import Message
from vigie.daemon.core.targeting import Targeting

pytestmark = pytest.mark.chaos

# Moments of a send worth dying in: command written, "> " prompt given, PDU received (not yet on air),
# just on air (before +CMGS reached the daemon), a status report out.
KILL_MOMENTS = ("command", "prompt", "pdu", "on_air", "report")
RECIPIENTS = 300
KILLS = 6
PASSWORD = "mot-de-passe-chaos-1"


def broadcast(settings, n: int, text: str, first: int = 0):
    for i in range(first, first + n):
        add_member(i)
    return alerts.create(text, Targeting(all=True), settings=settings, author="chaos", source="cli")


def daemon_log(tmp_path):
    return open(tmp_path / "daemon.log", "a", encoding="utf-8")


def test_sigkill_daemon_and_console_during_a_broadcast(tmp_path, sims, report):
    seed = int(os.environ.get("CHAOS_SEED", "20261129"))
    rng = random.Random(seed)
    a = sims("sim0", model="sim800", latency=0.01)
    b = sims("sim1", model="sim7600", latency=0.01)
    config = write_config(tmp_path, [a, b])
    add_web_section(config, free_port())
    settings = config_mod.load(config)
    db_mod.open_database(settings.database.path)
    users.create("chef", PASSWORD, "admin", actor="chaos")
    alert = broadcast(settings, RECIPIENTS, "Gendarmerie : cambriolages en série, fermez vos accès.")
    assert alert.recipient_count == RECIPIENTS

    web = start_web(config, str(tmp_path / "web.log"))
    in_flight = 0
    kill_log = []
    for k in range(KILLS):
        started = time.time()
        with daemon_log(tmp_path) as log:
            proc = vigie_process(config, "run", stderr=log)
        if k:
            report.recovered("daemon_restart_after_sigkill", _first_air_after([a, b], started))
        sim = rng.choice([a, b])
        moment = rng.choice(KILL_MOMENTS)
        target = len(a.air()) + len(b.air()) + rng.randint(5, 40)
        assert wait_until(lambda: len(a.air()) + len(b.air()) >= target, 60), "l'envoi ne progresse pas"
        event = sim.wait_event(lambda e: e["type"] == moment and e["time"] >= time.time() - 0.001, 20)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        report.add("daemon_sigkills")
        sending = Message.select().where(Message.state == "sending").count()
        in_flight += sending
        kill_log.append((sim.name, moment, bool(event), sending))
        assert integrity_ok(), f"base corrompue après l'arrêt brutal n° {k + 1}"
        report.add("integrity_checks_ok")
        report.add("crashes_survived")
        if k == KILLS // 2:
            _kill_console_during_sign_ins(tmp_path, config, web, report)
            started = time.time()
            web = start_web(config, str(tmp_path / "web.log"))
            assert Browser(web.port).login("chef", PASSWORD).status == 303
            report.recovered("console_restart_after_sigkill", time.time() - started)

    started = time.time()
    with daemon_log(tmp_path) as log:
        proc = vigie_process(config, "run", stderr=log)
    if outbox.queue_depth():
        report.recovered("daemon_restart_after_sigkill", _first_air_after([a, b], started))
    try:
        assert wait_until(lambda: outbox.queue_depth() == 0, 120), outbox.counts()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
    assert integrity_ok()
    report.add("integrity_checks_ok")
    logs = "".join((tmp_path / name).read_text(encoding="utf-8") for name in ("daemon.log", "web.log"))
    locked = logs.lower().count("database is locked")
    report.add("database_locked_errors", locked)
    assert locked == 0
    verdict = audit([a, b], Message.select().where(Message.alert == alert.id))
    record(report, verdict)
    report.add("in_flight_at_kills", in_flight)
    report.set("daemon_kill_moments", ", ".join(f"{name}:{moment}{'' if seen else '(timeout)'}"
                                                 for name, moment, seen, _ in kill_log))
    assert verdict.ok, verdict.problems()
    assert verdict.targeted == RECIPIENTS
    assert verdict.failed == 0, verdict.states        # no fault but the kills: every phone got its SMS
    assert verdict.duplicates <= in_flight, (verdict.duplicates, kill_log)
    for m in Message.select().where(Message.possible_duplicate == True):  # noqa: E712
        assert m.error or m.state in ("delivered", "sent")


def _first_air_after(sims, moment: float, timeout: float = 60.0) -> float:
    """Seconds from ``moment`` to the first SMS on air on any of ``sims``."""
    assert wait_until(lambda: any(e["type"] == "on_air" and e["time"] >= moment
                                  for sim in sims for e in sim.events), timeout), "aucun envoi après la relance"
    return min(e["time"] for sim in sims for e in sim.events if e["type"] == "on_air" and e["time"] >= moment) - moment


def _kill_console_during_sign_ins(tmp_path, config, web, report):
    """SIGKILL `vigie web` while several browsers sign in and read pages; the store stays sound."""
    stop = threading.Event()
    errors = []

    def browse():
        while not stop.is_set():
            try:
                b = Browser(web.port)
                if b.login("chef", PASSWORD).status == 303:
                    b.get("/")
                    b.get("/alertes")
            except (OSError, AssertionError, ConnectionError):
                pass            # the server is dying: refused or reset connections are expected
            except Exception as e:      # pragma: no cover - anything else is a bug
                errors.append(repr(e))

    threads = [threading.Thread(target=browse, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    assert wait_until(lambda: _sessions() >= 3, 30), "aucune connexion n'a abouti"
    web.send_signal(signal.SIGKILL)
    web.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    report.add("console_sigkills")
    report.add("crashes_survived")
    assert not errors, errors
    assert integrity_ok()
    report.add("integrity_checks_ok")
    assert wait_port_free(web.port)


def _sessions() -> int:
    from vigie.daemon.core.models import Session
    return Session.select().count()


def test_power_cut_images_of_the_store_open_clean(tmp_path, sims, report):
    """A copy of the database file and its WAL taken while the daemon writes is what a power cut
    leaves on the card: it must open, pass the integrity check, and recover what was in flight."""
    a = sims("sim0", model="sim800", latency=0.005)
    config = write_config(tmp_path, [a])
    settings = config_mod.load(config)
    db_mod.open_database(settings.database.path)
    alert = broadcast(settings, 120, "Gendarmerie : vols de câbles signalés, soyez vigilants.")
    with daemon_log(tmp_path) as log:
        proc = vigie_process(config, "run", stderr=log)
    images = []
    try:
        for i in range(5):
            assert wait_until(lambda: len(a.air()) >= 15 * (i + 1), 60)
            image = tmp_path / f"image{i}"
            image.mkdir()
            # WAL first, then the main file: what a dying card holds is never newer in the main file.
            for suffix in ("-wal", ""):
                src = settings.database.path + suffix
                if os.path.exists(src):
                    shutil.copyfile(src, str(image / ("vigie.db" + suffix)))
            images.append(str(image / "vigie.db"))
        assert wait_until(lambda: outbox.queue_depth() == 0, 90), outbox.counts()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    db_mod.close_database()
    for path in images:
        raw = sqlite3.connect(path)
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        raw.close()
        db_mod.open_database(path)
        assert integrity_ok()
        outbox.recover_in_flight()
        assert Message.select().where(Message.state == "sending").count() == 0
        assert Message.select().where(Message.alert == alert.id).count() == 120
        db_mod.close_database()
        report.add("power_cut_snapshots")
        report.add("integrity_checks_ok")
    db_mod.open_database(settings.database.path)
    verdict = audit([a], Message.select().where(Message.alert == alert.id))
    record(report, verdict)
    assert verdict.ok, verdict.problems()
