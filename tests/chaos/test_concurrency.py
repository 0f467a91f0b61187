"""Concurrency: the console (a real `vigie web` process) under load — sign-ins, member edits, alert
previews — while the daemon (a real `vigie run` process) sends a broadcast on two modems. No
"database is locked" reaches a user or the daemon, every edit lands, nothing is lost."""

import re
import signal
import threading

import pytest

from tests.chaos._audit import audit, integrity_ok, record
from tests.chaos._web import Browser, add_web_section, free_port, start_web
from tests.fixtures_daemon import vigie_process, wait_until, write_config
from tests.fixtures_web import add_member
from vigie.daemon.core import alerts, members, outbox, users
from vigie.daemon.core import config as config_mod
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.models import Member, Message
from vigie.daemon.core.targeting import Targeting

pytestmark = pytest.mark.chaos

PASSWORD = "mot-de-passe-charge-1"
WORKERS = 4
MEMBER_FORM = ("siret", "name", "sign", "naf", "commune", "chamber", "contact", "email", "address", "notes",
               "consent_date", "consent_channel", "consent_version")


def _member_form(page: str) -> dict:
    """The values an edit form shows (inputs and textareas), as a browser would post them back."""
    values = {}
    for name in MEMBER_FORM + ("phones",):
        m = (re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
             or re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S))
        values[name] = _unescape(m.group(1)) if m else ""
    for name in ("commune", "chamber"):
        sel = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
        if sel:
            opt = re.search(r'<option[^>]*value="([^"]*)"[^>]*selected', sel.group(0))
            values[name] = _unescape(opt.group(1)) if opt else values[name]
    return values


def _unescape(text: str) -> str:
    import html
    return html.unescape(text)


# A locked database surfacing in a page, in SQLite's words or the console's (not « stuck-blocked »).
LOCKED = re.compile(r"database is locked|base de données (est )?verrouillée", re.I)


def test_console_under_load_while_the_daemon_sends(tmp_path, sims, report):
    a = sims("sim0", model="sim800", latency=0.02)
    b = sims("sim1", model="sim7600", latency=0.02)
    config = write_config(tmp_path, [a, b])
    add_web_section(config, free_port())
    settings = config_mod.load(config)
    db_mod.open_database(settings.database.path)
    for i in range(WORKERS):
        users.create(f"agent{i}", PASSWORD, "admin" if i % 2 == 0 else "operator", actor="chaos")
    for i in range(300):
        add_member(i)
    alert = alerts.create("Gendarmerie : vols par ruse signalés, ne laissez entrer personne.",
                          Targeting(all=True), settings=settings, author="chaos", source="cli")
    edited = {i: Member.get(Member.siret.is_null(False) & (Member.id == 10 + i)).id for i in range(WORKERS)}
    phones_before = {m: members.phones_of(Member.get_by_id(m)) for m in edited.values()}

    web = start_web(config, str(tmp_path / "web.log"))
    with open(tmp_path / "daemon.log", "a", encoding="utf-8") as log:
        daemon = vigie_process(config, "run", stderr=log)
    stop = threading.Event()
    problems, counts, last_note = [], [0] * WORKERS, {}

    def check(answer, what, expected=(200, 303)):
        counts[worker_index()] += 1
        if answer.status not in expected or LOCKED.search(answer.text):
            problems.append((what, answer.status, answer.text[:300]))

    local = threading.local()

    def worker_index():
        return local.index

    def load(index: int):
        local.index = index
        user = f"agent{index}"
        n = 0
        while not stop.is_set():
            n += 1
            browser = Browser(web.port)
            check(browser.login(user, PASSWORD), "connexion")
            check(browser.get("/"), "tableau de bord")
            check(browser.get("/alertes/apercu.json?text=Cambriolage+%C3%A0+Flers&all=1"), "aperçu json")
            token = browser.csrf("/alertes/nouvelle")
            check(browser.post("/alertes/nouvelle", {"csrf": token, "text": "Rôdeurs à Sées", "all": "1",
                                                     "action": "preview"}), "aperçu")
            if index % 2 == 0:          # admins edit members
                member_id = edited[index]
                page = browser.get(f"/adherents/{member_id}")
                check(page, "fiche adhérent")
                values = _member_form(page.text)
                values["notes"] = f"modification {n} par {user}"
                values["csrf"] = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
                answer = browser.post(f"/adherents/{member_id}", values)
                check(answer, "modification adhérent", expected=(303,))
                if answer.status == 303:
                    last_note[member_id] = values["notes"]
            check(browser.get(f"/alertes/{alert.id}"), "suivi de l'alerte")

    threads = [threading.Thread(target=load, args=(i,), daemon=True) for i in range(WORKERS)]
    try:
        for t in threads:
            t.start()
        assert wait_until(lambda: outbox.queue_depth() == 0, 180), outbox.counts()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
    logs = (tmp_path / "daemon.log").read_text(encoding="utf-8") + (tmp_path / "web.log").read_text(encoding="utf-8")
    locked = logs.lower().count("database is locked")
    report.add("database_locked_errors", locked)
    report.add("console_requests_under_load", sum(counts))
    report.add("console_errors_under_load", len(problems))
    assert not problems, problems[:5]
    assert locked == 0, [line for line in logs.splitlines() if "locked" in line.lower()][:5]
    assert sum(counts) >= 50, counts          # the console really was under load
    for member_id, note in last_note.items():
        member = Member.get_by_id(member_id)
        assert member.notes == note
        assert members.phones_of(member) == phones_before[member_id]     # the form kept the phones
    assert integrity_ok()
    report.add("integrity_checks_ok")
    verdict = audit([a, b], Message.select().where(Message.alert == alert.id))
    record(report, verdict)
    assert verdict.ok, verdict.problems()
    assert verdict.duplicates == 0
