"""Storage and processes under ordinary faults (issue 14): one daemon per database, long imports
that never block the sender or the panic button, a CLI that answers a locked or full database in
one French line."""

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import peewee as pw
import pytest

from tests.fixtures_daemon import vigie, vigie_process, wait_until, write_config
from tests.fixtures_domain import make_siret
from vigie.daemon import cli
from vigie.daemon.core import db as db_mod
from vigie.daemon.core import outbox
from vigie.daemon.core.models import Heartbeat, Member, Message


def test_a_second_daemon_on_the_same_database_is_refused_in_french(tmp_path, sims):
    sim = sims("sim0")
    config = write_config(tmp_path, [sim])
    db_mod.open_database(str(tmp_path / "vigie.db"))
    first = vigie_process(config, "run")
    try:
        assert wait_until(lambda: Heartbeat.get_or_none(Heartbeat.component == "daemon") is not None, 30)
        # A message the first daemon is sending: a second one would reset it to « en file ».
        message = outbox.enqueue("+33612000001", "en vol", max_attempts=5)
        Message.update(state="sending", modem="autre", claimed_at=time.time()).where(
            Message.id == message.id).execute()
        second = vigie(config, "run")
        assert second.returncode == 1, (second.stdout, second.stderr)
        lines = second.stderr.strip().splitlines()
        assert lines[-1].startswith("Erreur : un démon (vigie run, PID ")
        assert f"PID {first.pid})" in lines[-1] and "un seul démon par base" in lines[-1]
        assert "Traceback" not in second.stderr
        again = Message.get_by_id(message.id)
        assert again.state == "sending" and not again.possible_duplicate
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
    # The lock dies with its daemon, even killed: the next one starts.
    Message.update(state="queued").execute()
    proc = vigie_process(config, "run")
    try:
        assert wait_until(lambda: Message.get_by_id(message.id).state in ("sent", "delivered"), 30)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc = vigie_process(config, "run")
        beat = Heartbeat.get(Heartbeat.component == "daemon").updated_at
        assert wait_until(lambda: Heartbeat.get(Heartbeat.component == "daemon").updated_at > beat, 30)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert os.path.exists(str(tmp_path / "vigie.db") + ".run-lock")


def _member_add(config, n: int, **kw):
    return vigie(config, "member", "add", "--siret", make_siret(n), "--name", f"Commerce {n}", "--naf", "47.77Z",
                 "--commune", "61001", "--phone", f"06 12 00 {n // 100:02d} {n % 100:02d}", **kw)


def test_cli_facing_a_locked_database_prints_one_french_line(tmp_path, sims):
    config = write_config(tmp_path, [])
    db_mod.open_database(str(tmp_path / "vigie.db"))
    db_mod.close_database()
    holder = sqlite3.connect(str(tmp_path / "vigie.db"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO audit_log (at, actor, action, target, detail) VALUES (0, 't', 't', '', '')")
    try:
        answer = _member_add(config, 1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert answer.returncode == 4, answer.stderr
    assert answer.stderr.strip().splitlines() == [
        "Erreur : la base de données est occupée par un autre programme depuis trop longtemps : rien n'a "
        "été enregistré ; réessayez dans un instant."], answer.stderr
    assert _member_add(config, 1).returncode == 0


def test_cli_facing_a_full_disk_prints_one_french_line(tmp_path):
    config = write_config(tmp_path, [])
    path = str(tmp_path / "vigie.db")
    db_mod.open_database(path)
    db_mod.close_database()
    wal = os.path.getsize(path + "-wal") if os.path.exists(path + "-wal") else 0

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = wal + 1001          # the journal may not grow past this: its next page write is cut short
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    answer = subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "--config", config, "member", "add",
                             "--siret", make_siret(1), "--name", "X" * 50, "--naf", "47.77Z", "--commune", "61001",
                             "--phone", "0612000001"],
                            capture_output=True, text=True, timeout=120, preexec_fn=small_disk)
    assert answer.returncode == 4, answer.stderr
    lines = answer.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Erreur : "), answer.stderr
    assert "rien n'a été enregistré" in lines[0] and "disque" in lines[0]


def test_a_full_database_is_named_as_such(tmp_path):
    con = sqlite3.connect(str(tmp_path / "petit.db"))
    con.execute("CREATE TABLE t (x TEXT)")
    con.execute("PRAGMA max_page_count = 3")
    with pytest.raises(sqlite3.OperationalError) as full:
        for _ in range(100):
            con.execute("INSERT INTO t VALUES (?)", ("x" * 2000,))
    assert "full" in str(full.value)
    assert cli.database_failure(full.value).startswith("le disque de la base de données est plein")


def test_a_large_import_never_keeps_a_sender_waiting(tmp_path):
    """`vigie member import` of a big file while another process writes with a 1 s busy timeout (the
    daemon waits 15 s; a panic press must get in at once): the writer is never refused."""
    config = write_config(tmp_path, [])
    path = str(tmp_path / "vigie.db")
    db_mod.open_database(path)
    rows = ["siret;nom;naf;commune;telephone"]
    rows += [f"{make_siret(i)};Commerce {i};47.77Z;61001;06{10000000 + i:08d}" for i in range(1, 1501)]
    big = tmp_path / "adherents.csv"
    big.write_text("\n".join(rows) + "\n", encoding="utf-8")
    stop, refused, written = threading.Event(), [], []

    def sender():
        con = sqlite3.connect(path, timeout=1.0, isolation_level=None)
        while not stop.is_set():
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("INSERT OR REPLACE INTO heartbeat (component, pid, info, updated_at) "
                            "VALUES ('essai', 1, '', ?)", (time.time(),))
                con.execute("COMMIT")
                written.append(time.time())
            except sqlite3.OperationalError as e:
                refused.append(str(e))
                if con.in_transaction:
                    con.execute("ROLLBACK")
            stop.wait(0.01)
        con.close()

    thread = threading.Thread(target=sender)
    thread.start()
    try:
        answer = vigie(config, "member", "import", str(big))
    finally:
        stop.set()
        thread.join(timeout=30)
    assert answer.returncode == 0, answer.stderr
    assert Member.select().count() == 1500
    first, last = (Member.select(fn(Member.created_at)).scalar() for fn in (pw.fn.MIN, pw.fn.MAX))
    during = [t for t in written if first < t < last]
    assert refused == [], refused[:3]
    assert len(during) >= 10, (len(during), last - first)
    # Importing the same file again changes nothing.
    again = vigie(config, "member", "import", str(big))
    assert again.returncode == 0 and Member.select().count() == 1500
