"""The daemon's local control socket: one JSON request per line, one JSON answer per line.

Only local processes with access to the socket file (the daemon's user and root) can use it.
Handlers are plain functions registered by name; they run on the socket's thread and must only
queue work or read state.
"""

import json
import logging
import os
import socket
import threading

log = logging.getLogger(__name__)


class ControlServer(threading.Thread):
    """Serves ``handle(request) -> answer`` (dicts) on a Unix socket; used by the daemon and by the
    simulated modem."""

    def __init__(self, path: str, handle, name: str = "control"):
        super().__init__(name=name, daemon=True)
        self.path = path
        self.handle = handle
        self._sock = None

    def start(self):
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(self.path)
        os.chmod(self.path, 0o660)
        self._sock.listen(8)
        super().start()

    def run(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn, conn.makefile("rwb") as f:
            for raw in f:
                try:
                    request = json.loads(raw)
                    if not isinstance(request, dict):
                        raise ValueError("un objet JSON est attendu")
                    answer = self.handle(request)
                except (ValueError, KeyError, TypeError) as e:
                    answer = {"ok": False, "message": f"Requête invalide : {e}"}
                except Exception as e:      # whatever a client sends, the server keeps running
                    log.exception("requête de contrôle en échec")
                    answer = {"ok": False, "message": f"Erreur : {e}"}
                f.write(json.dumps(answer, ensure_ascii=False).encode() + b"\n")
                f.flush()

    def close(self):
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                try:
                    os.unlink(self.path)
                except OSError:
                    pass


def dispatcher(handlers: dict):
    """A ``handle`` function calling ``handlers[request["cmd"]](request)``."""
    def handle(request: dict) -> dict:
        handler = handlers.get(request.get("cmd"))
        if handler is None:
            return {"ok": False, "message": f"Commande inconnue : {request.get('cmd')!r}"}
        return handler(request)
    return handle


def exchange(path: str, payload: dict, timeout: float = 30.0) -> dict:
    """Client side: send one request and return the answer; socket errors are the caller's."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(json.dumps(payload, ensure_ascii=False).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data or b"{}")


def request(path: str, payload: dict, timeout: float = 30.0) -> dict:
    """Ask the running daemon; its absence or silence is told in French."""
    from vigie.daemon.core.errors import VigieError
    try:
        return exchange(path, payload, timeout)
    except (FileNotFoundError, ConnectionRefusedError):
        raise VigieError(f"Le démon ne tourne pas (pas de socket de commande {path}).") from None
    except PermissionError:
        raise VigieError(f"Accès refusé au socket de commande {path}.") from None
    except TimeoutError:
        raise VigieError("Le démon n'a pas répondu à temps.") from None


def wake(path: str, timeout: float = 0.5) -> bool:
    """Best effort: tell the daemon that messages were just queued, so its workers start now
    instead of at their next poll. False when no daemon answered (it polls anyway)."""
    try:
        return bool(exchange(path, {"cmd": "wake"}, timeout).get("ok"))
    except (OSError, ValueError):
        return False
