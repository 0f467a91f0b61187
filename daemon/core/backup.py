"""Online backup of the live database: a consistent copy taken while the daemon keeps writing.

sqlite3's backup API copies the pages under one read transaction; in WAL mode the daemon's writes
go on beside it. The copy is written under a temporary name, turned into a self-contained file
(journal_mode=DELETE, no -wal beside it), checked with ``PRAGMA integrity_check`` and only then
renamed to ``vigie-YYYYmmdd-HHMMSS.db``: a file with that name is always a sound database.
Then the oldest copies beyond ``keep`` are removed.
"""

import datetime
import logging
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass, field

from vigie.daemon.core.errors import InvalidInput, VigieError

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"^vigie-(\d{8})-(\d{6})(?:-(\d+))?\.db$")
DEFAULT_KEEP = 14


@dataclass(frozen=True)
class BackupResult:
    path: str
    size: int
    removed: list = field(default_factory=list)


def backup_name(when: datetime.datetime, serial: int = 0) -> str:
    stamp = when.strftime("%Y%m%d-%H%M%S")
    return f"vigie-{stamp}.db" if not serial else f"vigie-{stamp}-{serial}.db"


def list_backups(dest: str) -> list[str]:
    """The backups in ``dest``, oldest first (their names sort by time)."""
    try:
        names = os.listdir(dest)
    except FileNotFoundError:
        return []

    def key(name):
        m = NAME_RE.match(name)
        return (m.group(1), m.group(2), int(m.group(3) or 0))

    return [os.path.join(dest, n) for n in sorted((n for n in names if NAME_RE.match(n)), key=key)]


def create_backup(db_path: str, dest: str, keep: int = DEFAULT_KEEP, now: datetime.datetime | None = None,
                  busy_timeout: float = 30.0) -> BackupResult:
    """Copy the database at ``db_path`` into the directory ``dest`` and keep the ``keep`` newest."""
    if keep < 1:
        raise InvalidInput("Il faut conserver au moins une sauvegarde.", "keep")
    if db_path == ":memory:" or not os.path.isfile(db_path):
        raise VigieError(f"Base de données introuvable : {db_path}.")
    try:
        os.makedirs(dest, mode=0o750, exist_ok=True)
    except OSError as e:
        raise VigieError(f"Dossier de sauvegarde inutilisable : {dest} ({e.strerror}).") from None
    if not os.path.isdir(dest):
        raise InvalidInput(f"{dest} n'est pas un dossier.", "dest")
    _check_space(db_path, dest)

    now = now or datetime.datetime.now()
    serial = 0
    while os.path.exists(os.path.join(dest, backup_name(now, serial))):
        serial += 1
    final = os.path.join(dest, backup_name(now, serial))
    partial = os.path.join(dest, "." + os.path.basename(final) + ".partiel")
    try:
        _copy(db_path, partial, busy_timeout)
        _check(partial)
        os.chmod(partial, 0o640)
        os.replace(partial, final)
        _fsync_dir(dest)
    except sqlite3.Error as e:
        _remove(partial)
        raise VigieError(f"Sauvegarde impossible : {e}.") from None
    except OSError as e:
        _remove(partial)
        raise VigieError(f"Sauvegarde impossible : {e.strerror or e} ({e.filename or dest}).") from None
    except BaseException:
        _remove(partial)
        raise
    removed = rotate(dest, keep)
    size = os.path.getsize(final)
    log.info("sauvegarde écrite : %s (%d octets), %d ancienne(s) supprimée(s)", final, size, len(removed))
    return BackupResult(final, size, removed)


def rotate(dest: str, keep: int) -> list[str]:
    """Remove the oldest backups so that ``keep`` remain; returns the removed paths."""
    backups = list_backups(dest)
    doomed = backups[:-keep] if len(backups) > keep else []
    for path in doomed:
        _remove(path)
    return doomed


def integrity(path: str) -> str:
    """``ok`` when SQLite finds the file sound, else its first complaint."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def _copy(source_path: str, target_path: str, busy_timeout: float) -> None:
    source = sqlite3.connect(source_path, timeout=busy_timeout)
    try:
        target = sqlite3.connect(target_path)
        try:
            # One step (pages=-1): a step-wise copy restarts whenever another connection writes.
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=DELETE")
            target.commit()
        finally:
            target.close()
    finally:
        source.close()
    with open(target_path, "rb") as f:
        os.fsync(f.fileno())


def _check(path: str) -> None:
    result = integrity(path)
    if result != "ok":
        raise VigieError(f"La copie ne passe pas le contrôle d'intégrité : {result}.")


def _check_space(db_path: str, dest: str) -> None:
    needed = os.path.getsize(db_path)
    wal = db_path + "-wal"
    if os.path.exists(wal):
        needed += os.path.getsize(wal)
    free = shutil.disk_usage(dest).free
    if free < needed * 1.1 + 1_000_000:
        raise VigieError(f"Place insuffisante dans {dest} : {free // 1_000_000} Mo libres, "
                         f"il en faut environ {needed // 1_000_000 + 1}.")


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: str) -> None:
    for p in (path, path + "-journal", path + "-wal", path + "-shm"):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
