"""The callback listener of `vigie run` ([daemon] callback_listen, default 127.0.0.1:13080).

smsbox calls it for each delivery report (dlr-url of a part) and each incoming SMS (sms-service get-url).
A call is answered 200 only once it is committed to the database (core/callbacks.py), so smsbox, which
retries what was not answered 200, loses nothing across a restart of the box; the same call twice is one
row. A call without the right secret is answered 403 and nothing is stored.
"""

import hmac
import http.server
import logging
import threading
import urllib.parse

from vigie.daemon.core import callbacks
from vigie.daemon.transport.kannel import conf as kconf
from vigie.daemon.transport.kannel.callbacks import decode_text, key_of

log = logging.getLogger(__name__)

KINDS = {kconf.DLR_PATH: "dlr", kconf.MO_PATH: "mo"}
REQUIRED = {"dlr": ("message", "part", "attempt", "status"), "mo": ("from",)}


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_query(raw_query: str) -> dict[str, bytes]:
    """Parameters as bytes (the text of an SMS may be UTF-16 or any charset): first value of each."""
    out = {}
    for key, value in urllib.parse.parse_qsl(raw_query, keep_blank_values=True, encoding="latin-1"):
        out.setdefault(key, value.encode("latin-1"))
    return out


class CallbackListener:
    def __init__(self, listen: str, secret: str, routes=(), on_stored=None):
        if not secret:
            raise ValueError("the callback listener needs a secret")
        host, _, port = listen.rpartition(":")
        self.secret = secret.encode("utf-8")
        self.routes = {r.smsc: r.name for r in routes if r.smsc}
        self.default_route = routes[0].name if routes else "kannel"
        self.on_stored = on_stored or (lambda kind: None)
        self.stored = 0
        self.repeats = 0
        self.refused = 0
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"       # smsbox keeps its connections alive

            def do_GET(self):
                status = listener.handle(self.path, self.client_address[0])
                body = {200: b"", 400: b"Requete incomplete\n", 403: b"Secret invalide\n",
                        404: b"Inconnu\n", 503: b"Base indisponible, reessayez\n"}[status]
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass                        # smsbox went away (stored already: its retry is a repeat)

            def do_POST(self):
                self.send_error(405)

            def log_message(self, fmt, *args):
                log.debug("rappel %s : " + fmt, self.client_address[0], *args)

        self._server = http.server.ThreadingHTTPServer((host, int(port)), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="kannel-callbacks", daemon=True)

    @property
    def address(self) -> tuple:
        return self._server.server_address

    def start(self):
        self._thread.start()
        log.info("écoute des accusés et SMS reçus de Kannel sur %s:%d", *self.address[:2])
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # ---------------------------------------------------------------- one call
    def handle(self, target: str, peer: str) -> int:
        path, _, raw_query = target.partition("?")
        kind = KINDS.get(path)
        if kind is None:
            return 404
        query = parse_query(raw_query)
        if not hmac.compare_digest(query.get("secret", b""), self.secret):
            self.refused += 1
            log.warning("rappel Kannel refusé (secret invalide) depuis %s", peer)
            return 403
        if any(not query.get(k) for k in REQUIRED[kind]):
            return 400
        params = {k: _text(v) for k, v in query.items() if k not in ("secret", "text")}
        if kind == "mo":
            params["text"] = decode_text(query.get("text", b""), params.get("coding", "0"),
                                         params.get("charset", ""))
            params.setdefault("route", self.routes.get(params.get("smsc", ""), self.default_route))
        try:
            new = callbacks.store(kind, key_of(kind, params), params)
        except Exception:
            log.exception("rappel Kannel non enregistré : smsbox le représentera")
            return 503
        if new:
            self.stored += 1
            self.on_stored(kind)
        else:
            self.repeats += 1
        return 200
