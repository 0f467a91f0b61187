"""Online backup: consistent copies while the daemon writes, integrity check, rotation, CLI."""

import datetime
import os
import sqlite3
import threading

import pytest

from tests.fixtures_daemon import vigie
from vigie.daemon.core import backup, outbox
from vigie.daemon.core.errors import InvalidInput, VigieError
from vigie.daemon.core.models import AuditLog, Message


def count_messages(path):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM message").fetchone()[0]
    finally:
        conn.close()


class Writer(threading.Thread):
    """The daemon's part: keeps queuing messages, one transaction each, until told to stop."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.written = 0
        self.progress = threading.Condition()
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                outbox.enqueue(f"+336{10000000 + self.written:08d}", "écriture pendant la sauvegarde")
                with self.progress:
                    self.written += 1
                    self.progress.notify_all()
        except Exception as e:      # surfaced by the test
            self.error = e

    def wait_for(self, n, timeout=20):
        with self.progress:
            return self.progress.wait_for(lambda: self.written >= n or self.error, timeout)


def test_backups_taken_while_the_daemon_writes_are_consistent(database, db_path, tmp_path):
    dest = tmp_path / "sauvegardes"
    writer = Writer()
    writer.start()
    try:
        results = []
        for i in range(4):
            before = writer.written
            assert writer.wait_for(before + 20)          # writes really go on around each copy
            results.append((before, backup.create_backup(db_path, str(dest), keep=10,
                                                         now=datetime.datetime(2026, 1, 1, 3, 0, i)),
                            writer.written))
        assert writer.wait_for(writer.written + 20)
    finally:
        writer.stop.set()
        writer.join(10)
    assert writer.error is None
    for before, result, after in results:
        assert backup.integrity(result.path) == "ok"
        assert before <= count_messages(result.path) <= after + 1
        assert not os.path.exists(result.path + "-wal")
        conn = sqlite3.connect(result.path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        conn.close()
    final = backup.create_backup(db_path, str(dest), keep=10)
    assert count_messages(final.path) == writer.written == Message.select().count()
    assert oct(os.stat(final.path).st_mode & 0o777) == "0o640"
    assert not [n for n in os.listdir(dest) if n.startswith(".")]     # no partial file left


def test_rotation_keeps_the_newest_and_leaves_other_files_alone(database, db_path, tmp_path):
    dest = tmp_path / "sauvegardes"
    dest.mkdir()
    (dest / "notes.txt").write_text("à garder")
    paths = [backup.create_backup(db_path, str(dest), keep=3,
                                  now=datetime.datetime(2026, 1, day, 3, 0, 0)).path for day in range(1, 6)]
    names = sorted(n for n in os.listdir(dest))
    assert names == ["notes.txt", "vigie-20260103-030000.db", "vigie-20260104-030000.db",
                     "vigie-20260105-030000.db"]
    assert [os.path.basename(p) for p in backup.list_backups(str(dest))] == names[1:]
    assert not os.path.exists(paths[0])


def test_two_backups_in_the_same_second_do_not_overwrite_each_other(database, db_path, tmp_path):
    when = datetime.datetime(2026, 2, 1, 3, 0, 0)
    first = backup.create_backup(db_path, str(tmp_path), keep=5, now=when)
    second = backup.create_backup(db_path, str(tmp_path), keep=5, now=when)
    third = backup.create_backup(db_path, str(tmp_path), keep=2, now=when)
    assert [os.path.basename(p) for p in (first.path, second.path, third.path)] == [
        "vigie-20260201-030000.db", "vigie-20260201-030000-1.db", "vigie-20260201-030000-2.db"]
    assert third.removed == [first.path]


def test_a_corrupt_database_gives_no_backup(tmp_path):
    source = tmp_path / "abimee.db"
    conn = sqlite3.connect(source)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    conn.execute("CREATE INDEX ti ON t (x)")
    conn.commit()
    conn.close()
    with open(source, "r+b") as f:             # scribble over the middle pages
        f.seek(4096 * 3)
        f.write(os.urandom(4096 * 6))
    dest = tmp_path / "sauvegardes"
    with pytest.raises(VigieError) as e:
        backup.create_backup(str(source), str(dest), keep=3)
    assert "intégrité" in str(e.value) or "impossible" in str(e.value)
    assert os.listdir(dest) == []


def test_refusals_in_french(database, db_path, tmp_path):
    with pytest.raises(InvalidInput) as e:
        backup.create_backup(db_path, str(tmp_path / "b"), keep=0)
    assert e.value.field == "keep"
    with pytest.raises(VigieError, match="introuvable"):
        backup.create_backup(str(tmp_path / "absente.db"), str(tmp_path / "b"))
    (tmp_path / "fichier").write_text("")
    with pytest.raises(VigieError, match="inutilisable|n'est pas un dossier"):
        backup.create_backup(db_path, str(tmp_path / "fichier"))


def test_cli_backup_while_writing_with_rotation_and_audit(database, db_path, tmp_path):
    config = tmp_path / "vigie.toml"
    config.write_text(f'[database]\npath = "{db_path}"\n', encoding="utf-8")
    dest = tmp_path / "sauvegardes"
    writer = Writer()
    writer.start()
    try:
        for _ in range(3):
            done = vigie(config, "backup", str(dest), "--keep", "2")
            assert done.returncode == 0, done.stderr
            assert "Sauvegarde écrite" in done.stdout and "intégrité vérifiée" in done.stdout
    finally:
        writer.stop.set()
        writer.join(10)
    assert len(backup.list_backups(str(dest))) == 2
    for path in backup.list_backups(str(dest)):
        assert backup.integrity(path) == "ok"
    rows = list(AuditLog.select().where(AuditLog.action == "backup.create"))
    assert len(rows) == 3 and rows[0].actor.startswith("cli:")

    bad = vigie(config, "backup", str(dest), "--keep", "0")
    assert bad.returncode == 2 and "au moins une sauvegarde" in bad.stderr
    missing = tmp_path / "autre.toml"
    missing.write_text(f'[database]\npath = "{tmp_path / "absente.db"}"\n', encoding="utf-8")
    gone = vigie(missing, "backup", str(dest))
    assert gone.returncode == 1 and "introuvable" in gone.stderr
    assert not (tmp_path / "absente.db").exists()
