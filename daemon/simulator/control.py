"""Control channel of a running emulator: a Unix socket next to the link, one JSON object per line each way."""

import json
import logging
import os
import socket
import threading

log = logging.getLogger(__name__)


class ControlServer:
    """Accepts connections on ``path``; each JSON line is applied to the modem and answered with a JSON line."""

    def __init__(self, sim, path):
        self.sim = sim
        self.path = path
        self._sock = None
        self._thread = None

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(self.path)
        self._sock.listen(8)
        self._thread = threading.Thread(target=self._accept_loop, name=f"{self.sim.name}-control", daemon=True)
        self._thread.start()

    def stop(self):
        sock, self._sock = self._sock, None
        if sock:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        if os.path.exists(self.path):
            os.unlink(self.path)
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(5)

    def _accept_loop(self):
        while self._sock is not None:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn, conn.makefile("rwb") as f:
            for raw in f:
                try:
                    reply = self.sim.handle_control(json.loads(raw.decode("utf-8")))
                except (ValueError, KeyError, TypeError) as e:
                    reply = {"ok": False, "error": f"commande invalide : {e}"}
                except Exception as e:  # the emulator keeps running whatever a client sends
                    log.exception("control command failed")
                    reply = {"ok": False, "error": str(e)}
                f.write((json.dumps(reply, ensure_ascii=False) + "\n").encode("utf-8"))
                f.flush()
