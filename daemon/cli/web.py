"""`vigie web`: serve the console with cheroot on [web] host/port, over HTTPS when a certificate is set."""

import signal
import threading

from vigie.daemon.cli._common import open_db
from vigie.daemon.core.errors import ConfigError


def build_server(settings, host: str, port: int):
    """A cheroot server for the console app (HTTPS with [web] certificate and key), hardened against
    slow clients (web/server.py)."""
    from vigie.web.app import make_app
    from vigie.web.server import make_server

    app = make_app(settings)
    # [web] trusted_proxies: read with a default until the configuration schema declares it.
    server = make_server(app, host, port, getattr(settings.web, "trusted_proxies", ()) or ())
    if settings.web.certificate:
        from vigie.web.server import QuickHandshakeAdapter
        try:
            server.ssl_adapter = QuickHandshakeAdapter(settings.web.certificate, settings.web.key)
        except (OSError, ValueError) as e:
            raise ConfigError(f"[web] certificat ou clé illisible : {e}.") from None
    return server


def cmd_web(args) -> int:
    settings = open_db(args)
    host = args.host or settings.web.host
    port = args.port or settings.web.port
    server = build_server(settings, host, port)
    scheme = "https" if settings.web.certificate else "http"
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        server.prepare()
    except OSError as e:
        raise ConfigError(f"Impossible d'écouter sur {host}:{port} : {e.strerror or e}.") from None
    print(f"Console web : {scheme}://{host}:{server.bind_addr[1]}/ (Ctrl+C pour arrêter)", flush=True)
    try:
        server.serve()
    finally:
        server.stop()
    return 0


def register(sub) -> None:
    p = sub.add_parser("web", help="lancer la console web")
    p.add_argument("--host", metavar="ADRESSE", help="adresse d'écoute (défaut : [web] host)")
    p.add_argument("--port", type=int, metavar="PORT", help="port d'écoute (défaut : [web] port)")
    p.set_defaults(func=cmd_web)
