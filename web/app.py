"""The console's WSGI application: ``make_app(settings)`` builds a fresh Bottle app (never the global one).

Per request the shared SQLite connection is opened and closed again; request bodies are capped
(2 MB for a member file, 64 KB otherwise); every answer carries security headers; errors are
French pages, or French JSON under /api/.
"""

import importlib
import json
import os
import time

import bottle
from bottle import request, response

from vigie.daemon.core import db as db_mod
from vigie.daemon.core import models
from vigie.daemon.core.reference import validate

from . import render

STATIC = os.path.join(os.path.dirname(__file__), "static")
ROUTE_MODULES = ("account", "dashboard", "members", "alerts", "inbox", "zones", "presets",
                 "users", "audit", "stats", "api", "carte")

UPLOAD_LIMIT = 2 * 1024 * 1024
BODY_LIMIT = 64 * 1024
UPLOAD_PATHS = ("/adherents/import",)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
}

ERROR_TITLES = {
    400: "Requête invalide", 401: "Connexion requise", 403: "Accès refusé", 404: "Page introuvable",
    405: "Méthode non autorisée", 411: "Longueur requise", 413: "Envoi trop volumineux",
    500: "Erreur interne",
}
DEFAULT_MESSAGES = {
    400: "La requête est invalide.", 401: "Connexion requise.",
    403: "Vous n'avez pas accès à cette page.", 404: "Cette page n'existe pas.",
    405: "Cette méthode n'est pas autorisée ici.", 411: "La longueur de l'envoi doit être indiquée.",
    413: "L'envoi est trop volumineux.",
    500: "Une erreur interne est survenue ; elle a été consignée dans le journal du serveur.",
}


# A request opens its own connection and closes it: a small page cache is enough (the kernel
# caches the file), and eight threads with the shared 8 MB each would make the console heavy.
CONSOLE_CACHE_KIB = 2000


def _open_db() -> None:
    if models.database.connect(reuse_if_open=True):
        models.database.execute_sql(f"PRAGMA cache_size = -{CONSOLE_CACHE_KIB}")


def _close_db() -> None:
    db = models.database.obj
    if db is not None and not db.is_closed() and not db.in_transaction():
        db.close()


def _add_security_headers() -> None:
    for name, value in SECURITY_HEADERS.items():
        response.set_header(name, value)
    if request.urlparts.scheme == "https":
        response.set_header("Strict-Transport-Security", "max-age=31536000")


def _limit_body() -> None:
    if request.method in ("GET", "HEAD"):
        return
    if "chunked" in request.environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        bottle.abort(411, "Envoi fragmenté refusé : la longueur de l'envoi doit être indiquée.")
    limit = UPLOAD_LIMIT if request.path in UPLOAD_PATHS else BODY_LIMIT
    if request.content_length > limit:
        bottle.abort(413, f"Envoi trop volumineux (au plus {limit // 1024} Ko).")


def _message(error: bottle.HTTPError) -> str:
    body = error.body if isinstance(error.body, str) else ""
    if not body or body in ("Not found: '%s'" % request.path, "Unknown Error.") or body.startswith(
            ("Not found:", "Method not allowed", "Internal Server Error", "File does not exist",
             "Access denied")):
        return DEFAULT_MESSAGES.get(error.status_code, "Erreur.")
    return body


def wants_json() -> bool:
    return (request.path.startswith("/api/") or request.path.endswith(".json")
            or "application/json" in (request.get_header("Accept") or ""))


def _error_handler(error: bottle.HTTPError) -> str:
    _add_security_headers()
    status = error.status_code
    message = _message(error)
    if status == 500:
        message = DEFAULT_MESSAGES[500]
    if wants_json():
        response.content_type = "application/json; charset=utf-8"
        return json.dumps({"erreur": message, "statut": status}, ensure_ascii=False)
    _open_db()
    try:
        return render.page("error", title=ERROR_TITLES.get(status, "Erreur"), status=status, message=message)
    finally:
        _close_db()


def _static(path: str):
    full = os.path.abspath(os.path.join(STATIC, path))
    if not full.startswith(STATIC + os.sep) or not os.path.isfile(full):
        bottle.abort(404, "Fichier introuvable.")
    answer = bottle.static_file(os.path.relpath(full, STATIC), root=STATIC)
    answer.set_header("Cache-Control", "max-age=3600")
    return answer


def _tame_malloc() -> None:
    """Keep the console's resident memory low on a Pi (glibc only; elsewhere nothing happens).

    A sign-in verifies an argon2 hash in 19 MB; after the first one glibc raises its mmap threshold
    and serves the next from a per-thread heap it never gives back, and cheroot's threads each get
    such a heap: 90 MB resident after ten sign-ins and a few previews. A fixed threshold sends big
    blocks back to the system when freed, and two arenas are plenty for a LAN console."""
    import ctypes
    import ctypes.util
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_mmap_threshold, m_arena_max = -3, -8
    mallopt(m_mmap_threshold, 128 * 1024)
    mallopt(m_arena_max, 2)
    global _malloc_trim
    _malloc_trim = getattr(libc, "malloc_trim", None)


_malloc_trim = None
_last_trim = [0.0]


def _give_memory_back() -> None:
    """After a request, at most every 5 s: the free pages of SQLite's page caches go back to the system."""
    now = time.monotonic()
    if _malloc_trim is not None and now - _last_trim[0] > 5.0:
        _last_trim[0] = now
        _malloc_trim(0)


def make_app(settings) -> bottle.Bottle:
    """A console application bound to ``settings``; opens the database if nobody has yet."""
    _tame_malloc()
    if models.database.obj is None:
        db_mod.open_database(settings.database.path)
    validate.allow_foreign_mobiles(settings.daemon.allow_foreign_mobiles)
    app = bottle.Bottle()
    app.config["vigie.settings"] = settings
    app.add_hook("before_request", _open_db)
    app.add_hook("before_request", _limit_body)
    app.add_hook("after_request", _close_db)
    app.add_hook("after_request", _give_memory_back)
    app.add_hook("after_request", _add_security_headers)
    for status in ERROR_TITLES:
        app.error(status)(_error_handler)
    app.route("/static/<path:path>", "GET", _static)
    for name in ROUTE_MODULES:
        importlib.import_module(f"{__package__}.routes.{name}").register(app)
    return app
