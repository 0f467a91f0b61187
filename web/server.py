"""The console's HTTP server: cheroot, made to cope with slow clients.

cheroot gives each connection a worker thread while it reads the request, and its timeout bounds
each read, not the whole request: a client dripping one header line every few seconds keeps its
thread forever, and ten of them stopped the console for everyone. Here the request line and the
headers must all arrive within HEADER_SECONDS (a watchdog shuts the socket of a late one, which
frees its thread at once), one address may have at most MAX_SLOW_PER_ADDRESS requests still
sending their headers, and there are more threads than one slow host may hold.
"""

import ipaddress
import logging
import select
import socket
import ssl
import threading
import time

from cheroot import errors as cheroot_errors
from cheroot import server as cheroot_server
from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

log = logging.getLogger(__name__)

THREADS = 16
HEADER_SECONDS = 10.0            # request line + headers, however slowly sent
SOCKET_TIMEOUT = 10              # seconds, each read or write (the body included)
MAX_SLOW_PER_ADDRESS = 4         # requests from one address whose headers are still arriving
WATCH_INTERVAL = 0.25
HANDSHAKE_SECONDS = 2.0          # a TLS handshake, whole: cheroot does it in the thread that accepts


class _HeaderGuard:
    """The requests whose headers are being read: their deadline and their address."""

    def __init__(self):
        self._lock = threading.Lock()
        self._reading: dict[int, tuple[float, str, object]] = {}
        self._thread: threading.Thread | None = None
        self.exempt: list = []          # networks of trusted proxies: every client comes through them

    def _limited(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return bool(address)
        return not any(ip in network for network in self.exempt)

    def enter(self, conn) -> bool:
        """Start watching ``conn``; False when its address already has too many slow requests."""
        address = getattr(conn, "remote_addr", None) or ""
        with self._lock:
            pending = sum(1 for _, a, _ in self._reading.values() if a == address)
            if pending >= MAX_SLOW_PER_ADDRESS and self._limited(address):
                return False
            self._reading[id(conn)] = (time.monotonic() + HEADER_SECONDS, address, conn)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._watch, name="console-en-tetes", daemon=True)
                self._thread.start()
        return True

    def leave(self, conn) -> None:
        with self._lock:
            self._reading.pop(id(conn), None)

    def _watch(self) -> None:
        while True:
            time.sleep(WATCH_INTERVAL)
            now = time.monotonic()
            with self._lock:
                late = [(key, address, conn) for key, (deadline, address, conn) in self._reading.items()
                        if deadline <= now]
                for key, _, _ in late:
                    del self._reading[key]
            for _, address, conn in late:
                log.warning("console : en-têtes de %s incomplets après %.0f s, connexion fermée",
                            address or "?", HEADER_SECONDS)
                _cut(conn)


def _cut(conn) -> None:
    """End a connection from another thread: its blocked read returns at once."""
    try:
        conn.socket.shutdown(socket.SHUT_RDWR)
    except (OSError, AttributeError):
        pass


GUARD = _HeaderGuard()


class GuardedRequest(cheroot_server.HTTPRequest):
    def parse_request(self):
        if not GUARD.enter(self.conn):
            log.warning("console : trop de requêtes lentes depuis %s, connexion refusée", self.conn.remote_addr)
            self.ready = False
            _cut(self.conn)
            return
        try:
            super().parse_request()
        finally:
            GUARD.leave(self.conn)


class GuardedConnection(cheroot_server.HTTPConnection):
    RequestHandlerClass = GuardedRequest


class QuickHandshakeAdapter(BuiltinSSLAdapter):
    """cheroot's TLS adapter with the handshake bounded as a whole (HANDSHAKE_SECONDS), not per read:
    the handshake runs in the thread that accepts every connection, so a client that stays silent
    or drips its ClientHello would otherwise hold up everyone's connections for the socket timeout."""

    def wrap(self, sock):
        timeout = sock.gettimeout()
        try:
            s = self.context.wrap_socket(sock, do_handshake_on_connect=False, server_side=True)
            s.settimeout(0.0)
            deadline = time.monotonic() + HANDSHAKE_SECONDS
            while True:
                try:
                    s.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    wait = ([s], [])
                except ssl.SSLWantWriteError:
                    wait = ([], [s])
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not any(select.select(*wait, [], remaining)[:2]):
                    raise cheroot_errors.FatalSSLAlert("négociation TLS trop lente")
            s.settimeout(timeout)
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError) as e:
            raise cheroot_errors.FatalSSLAlert(*e.args) from e
        except ssl.SSLError as e:
            if e.errno == ssl.SSL_ERROR_SSL and "http request" in str(e).lower():
                raise cheroot_errors.NoSSLError(*e.args) from e
            raise cheroot_errors.FatalSSLAlert(*e.args) from e
        except OSError as e:
            raise cheroot_errors.FatalSSLAlert(*e.args) from e
        return s, self.get_environ(s)


def make_server(app, host: str, port: int, trusted_proxies=()) -> wsgi.Server:
    """The console's server; ``trusted_proxies`` (addresses or networks) escape the per-address limit."""
    networks = []
    for proxy in trusted_proxies or ():
        try:
            networks.append(ipaddress.ip_network(str(proxy).strip(), strict=False))
        except ValueError:
            log.warning("console : mandataire de confiance invalide ignoré : %r", proxy)
    GUARD.exempt = networks
    server = wsgi.Server((host, port), app, numthreads=THREADS, server_name="vigientreprise",
                         request_queue_size=64, timeout=SOCKET_TIMEOUT)
    server.ConnectionClass = GuardedConnection
    return server
