"""One daemon per database: an exclusive lock on a file beside it, held while `vigie run` lives.

A second daemon on the same file would reset the first one's in-flight messages to « en file » and
send them twice. ``flock`` is released by the kernel when the process dies, however it dies (a
SIGKILL or a power cut leaves no stale lock); the file itself stays, with the holder's PID in it.
"""

import errno
import fcntl
import os

from vigie.daemon.core.errors import VigieError


class AlreadyRunning(VigieError):
    """Another daemon holds the database."""


def lock_path(db_path: str) -> str:
    return os.path.abspath(db_path) + ".run-lock"


def acquire(db_path: str) -> int | None:
    """Take the daemon lock of ``db_path``; returns the open descriptor to keep (None for ``:memory:``).

    Raises AlreadyRunning, in French, naming the other daemon's PID, when it is taken."""
    if db_path == ":memory:":
        return None
    path = lock_path(db_path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            os.close(fd)
            raise
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
        os.close(fd)
        raise AlreadyRunning(
            f"un démon (vigie run, PID {holder}) utilise déjà la base {os.path.abspath(db_path)} : "
            "un seul démon par base, sinon les SMS en cours partiraient deux fois. Arrêtez l'autre "
            "(« systemctl stop vigientreprise ») ou donnez une autre base.") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return fd


def release(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)
