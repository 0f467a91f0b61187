"""Faults of the box's processes and storage (issue 14): a second `vigie run` started on the database
during a broadcast, a large member import while the panic button is pressed, slow clients dripping
headers at the console. Each adds its lines to the chaos report; the air logs are the truth."""

import socket
import threading

import pytest

from tests.chaos._audit import audit, drained, integrity_ok, record
from tests.chaos._web import Browser, add_web_section, free_port, start_web
from tests.fixtures_daemon import vigie, vigie_process, wait_until, write_config
from tests.fixtures_domain import make_siret
from tests.fixtures_web import add_member
from vigie.daemon.core import alerts, presets
from vigie.daemon.core import config as config_mod
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.models import Alert, AuditLog, Heartbeat, Member, Message
from vigie.daemon.core.targeting import Targeting

pytestmark = pytest.mark.chaos


def test_a_second_daemon_during_a_broadcast_is_refused(tmp_path, sims, report):
    sim = sims("sim0", model="sim800", latency=0.05)
    config = write_config(tmp_path, [sim])
    settings = config_mod.load(config)
    db_mod.open_database(settings.database.path)
    for i in range(100):
        add_member(i)
    alerts.create("Gendarmerie : vols en série, fermez vos accès.", Targeting(all=True), settings=settings,
                  author="chaos", source="cli")
    first = vigie_process(config, "run")
    try:
        assert wait_until(lambda: len(sim.air()) >= 20, 60)
        for _ in range(3):                          # started again and again, mid-broadcast
            second = vigie(config, "run")
            report.add("second_daemons_started")
            if second.returncode != 0 and "un seul démon par base" in second.stderr:
                report.add("second_daemons_refused")
        assert drained(120)
    finally:
        first.terminate()
        first.wait(timeout=30)
    v = audit([sim])
    record(report, v)
    assert v.lost == [] and v.duplicates == 0, (v.lost, v.duplicated)
    assert integrity_ok()


def test_a_large_import_during_a_panic_press_loses_nothing(tmp_path, sims, report):
    sim = sims("sim0", model="sim7600", latency=0.02)
    config = write_config(tmp_path, [sim])
    text = open(config, encoding="utf-8").read().replace(
        "[button]\nenabled = false\n",
        "[button]\nenabled = true\nsimulate = true\npreset = \"panique\"\nhold_seconds = 0.5\n"
        "cooldown_seconds = 1\n")
    open(config, "w", encoding="utf-8").write(text)
    settings = config_mod.load(config)
    db_mod.open_database(settings.database.path)
    chosen = [add_member(10_000 + i).siret for i in range(5)]     # the imported ones are not reached
    presets.create("panique", "Alerte gendarmerie : danger immédiat, restez à l'abri.",
                   Targeting(members=chosen), actor="chaos")
    rows = ["siret;nom;naf;commune;telephone"]
    rows += [f"{make_siret(i)};Commerce {i};47.77Z;61001;06{20000000 + i:08d}" for i in range(1, 3001)]
    big = tmp_path / "adherents.csv"
    big.write_text("\n".join(rows) + "\n", encoding="utf-8")
    daemon = vigie_process(config, "run")
    try:
        assert wait_until(lambda: Heartbeat.get_or_none(Heartbeat.component == "daemon") is not None, 30)
        importer = vigie_process(config, "member", "import", str(big))
        assert wait_until(lambda: Member.select().count() > 5, 120)        # the import is writing
        presses = [vigie(config, "button", "press", "--seconds", "0.8")]
        report.add("panic_presses_during_import")
        assert importer.poll() is None, "the import ended before the press: make the file bigger"
        assert importer.wait(timeout=600) == 0
        stored = Alert.select().where(Alert.source == "button").count()
        report.add("panic_presses_stored", stored)
        report.add("panic_presses_lost", len(presses) - stored)
        assert stored == len(presses), [p.stdout + p.stderr for p in presses]
        assert drained(120)
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    v = audit([sim], Message.select().where(Message.alert.in_(Alert.select(Alert.id).where(Alert.source == "button"))))
    record(report, v)
    assert v.lost == []
    assert AuditLog.select().where(AuditLog.action == "button.error").count() == 0
    assert integrity_ok()


def test_slow_clients_do_not_starve_the_console(tmp_path, report):
    config = write_config(tmp_path, [])
    add_web_section(config, free_port())
    db_mod.open_database(config_mod.load(config).database.path)
    web = start_web(config, str(tmp_path / "web.log"))
    slow, stop = [], threading.Event()
    try:
        for i in range(40):                       # from four hosts, more than the server's threads
            s = socket.create_connection(("127.0.0.1", web.port), timeout=30,
                                         source_address=(f"127.0.0.{2 + i % 4}", 0))
            s.sendall(b"GET /connexion HTTP/1.1\r\nHost: localhost\r\n")
            slow.append(s)

        def drip():
            while not stop.wait(1.0):
                for s in slow:
                    try:
                        s.sendall(b"X-Lent: 1\r\n")
                    except OSError:
                        pass

        threading.Thread(target=drip, daemon=True).start()
        report.add("slow_clients", len(slow))
        errors = 0
        for _ in range(20):
            try:
                answer = Browser(web.port).get("/connexion", timeout=30)
                errors += answer.status != 200
            except OSError:
                errors += 1
            report.add("console_requests_beside_slow_clients")
        report.add("console_errors_beside_slow_clients", errors)
        assert errors == 0
    finally:
        stop.set()
        for s in slow:
            s.close()
        web.terminate()
        web.wait(timeout=30)
