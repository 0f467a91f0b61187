"""When the store cannot write (a full disk, an I/O error): what the daemon keeps in memory, and
how it tells.

A write the SQLite file refuses for lack of space is not lost: the transport worker keeps it in
its store queue, in order, and tries it again until it succeeds (worker.py); meanwhile it claims
nothing new. The console cannot learn this from the store (nothing can be written there), so the
daemon also keeps a small state file beside the database, ``<database>.etat``, written in place at a
fixed size (a full disk still lets a file overwrite the blocks it has): the dashboard and
`vigie status` read it (``problem``).
"""

import json
import logging
import os
import threading
import time

import peewee as pw

log = logging.getLogger(__name__)

STATE_SIZE = 1024                       # bytes of the state file, reserved at start, written in place
_MARKS = ("database or disk is full", "disk i/o error", "no space left", "disk is full")


def is_full(e: BaseException | None) -> bool:
    """Whether ``e`` is the store refusing a write for lack of space (or a write I/O error), also when
    it hides behind the failed ROLLBACK that follows (SQLite rolls back a full transaction itself)."""
    seen = 0
    while e is not None and seen < 5:
        if isinstance(e, (pw.OperationalError, pw.DatabaseError, OSError)):
            text = str(e).lower()
            if any(mark in text for mark in _MARKS):
                return True
        e, seen = e.__cause__ or e.__context__, seen + 1
    return False


def state_path(database_path: str) -> str:
    return database_path + ".etat"


class Trouble:
    """The daemon's one record of a store that cannot write: set by the workers, written to the
    state file on every change, in French."""

    def __init__(self):
        self._lock = threading.Lock()
        self.since: float | None = None
        self.pending = 0
        self.path: str | None = None

    def attach(self, database_path: str) -> None:
        """Reserve the state file (at start, while the disk has room) and say all is well."""
        self.path = state_path(database_path)
        self.since, self.pending = None, 0
        self._publish()

    def failed(self, e: BaseException, pending: int) -> None:
        with self._lock:
            first = self.since is None
            if first:
                self.since = time.time()
            self.pending = pending
        if first:
            log.error("disque plein : écriture dans la base impossible (%s) ; l'envoi est suspendu, ce qui "
                      "doit être écrit est gardé en mémoire et réessayé", e)
        self._publish()

    def recovered(self) -> None:
        with self._lock:
            since, self.since, self.pending = self.since, None, 0
        if since is not None:
            log.warning("disque de nouveau disponible après %.0f s : écritures rattrapées, l'envoi reprend",
                        time.time() - since)
            self._publish()

    @property
    def full(self) -> bool:
        return self.since is not None

    def _publish(self) -> None:
        if self.path is None:
            return
        state = {"full": self.full, "since": self.since, "pending": self.pending, "updated_at": time.time()}
        data = json.dumps(state).encode().ljust(STATE_SIZE)[:STATE_SIZE]
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                os.pwrite(fd, data, 0)
            finally:
                os.close(fd)
        except OSError:
            log.exception("fichier d'état %s non écrit", self.path)


TROUBLE = Trouble()


def problem(database_path: str | None) -> str:
    """The French sentence the dashboard and `vigie status` show while the daemon cannot write, or ""."""
    if not database_path:
        return ""
    try:
        with open(state_path(database_path), "rb") as f:
            state = json.loads(f.read(STATE_SIZE).decode().strip() or "{}")
    except (OSError, ValueError):
        return ""
    if not state.get("full"):
        return ""
    since = time.strftime("%d/%m/%Y à %H:%M:%S", time.localtime(state.get("since") or time.time()))
    pending = int(state.get("pending") or 0)
    kept = f"{pending} écritures en attente sont gardées" if pending > 1 else \
        f"{pending} écriture en attente est gardée"
    return (f"Disque plein depuis le {since} : le démon ne peut plus écrire dans la base ; l'envoi est "
            f"suspendu et {kept} en mémoire. Libérez de la place : l'envoi reprendra seul.")
