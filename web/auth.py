"""Who is asking: server-side sessions, CSRF tokens, roles, API bearer tokens.

A session cookie holds a random token; the database keeps only its SHA-256 (models.Session), so a
copy of the database opens no session. A new token is issued at every sign-in, never adopted from
the request (no fixation). Every state change is a POST carrying the session's CSRF token.
"""

import functools
import hmac
import ipaddress
import secrets
import time

import bottle
from bottle import request, response

from vigie.daemon.core import users
from vigie.daemon.core.errors import NotFound
from vigie.daemon.core.models import Session, User

SESSION_COOKIE = "vigie_session"
LOGIN_COOKIE = "vigie_login"          # double-submit CSRF token of the sign-in form

# What each role may do. admin: everything; operator: alerts and members; manager: members.
PERMISSIONS = {
    "dashboard": {"admin", "operator"},
    "members": {"admin", "operator", "manager"},
    "alerts": {"admin", "operator"},
    "inbox": {"admin", "operator"},
    "settings": {"admin", "operator"},      # zones, sector groups, presets
    "users": {"admin"},
    "audit": {"admin"},
    "stats": {"admin", "operator", "manager"},    # the convention's figures: chamber staff read them too
    "account": {"admin", "operator", "manager"},
}


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def home_for(role: str) -> str:
    return "/" if allowed(role, "dashboard") else "/adherents"


def is_https() -> bool:
    return request.urlparts.scheme == "https"


def _trusted(address: str, proxies) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    for proxy in proxies:
        try:
            if ip in ipaddress.ip_network(str(proxy).strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def trusted_proxies() -> tuple:
    """[web] trusted_proxies: addresses or networks of the reverse proxies whose X-Forwarded-For is
    believed; none by default."""
    settings = request.app.config.get("vigie.settings")
    web = getattr(settings, "web", None)
    return tuple(getattr(web, "trusted_proxies", ()) or ())


def client_address() -> str:
    """The address of the client: the TCP peer, never a header it could write itself.

    Only when the peer is a configured trusted proxy is X-Forwarded-For read, from the right: the
    first address that is not itself a trusted proxy is the client (what comes before it was written
    by the client and proves nothing)."""
    peer = request.environ.get("REMOTE_ADDR") or ""
    proxies = trusted_proxies()
    if not proxies or not _trusted(peer, proxies):
        return peer
    forwarded = request.environ.get("HTTP_X_FORWARDED_FOR", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer          # garbage from the proxy's own client: keep the proxy's address
    return peer


def idle_seconds() -> float:
    return request.app.config["vigie.settings"].web.session_idle_minutes * 60


def _set_cookie(name: str, value: str, **kw) -> None:
    response.set_cookie(name, value, path="/", httponly=True, samesite="strict", secure=is_https(), **kw)


# --- sessions -----------------------------------------------------------------------

def open_session(user: User) -> Session:
    """Start a fresh session for ``user`` and set its cookie; any session of this browser ends."""
    old = request.get_cookie(SESSION_COOKIE)
    if old:
        Session.delete().where(Session.token_hash == users.hash_token(old)).execute()
    token = secrets.token_urlsafe(32)
    session = Session.create(token_hash=users.hash_token(token), user=user.id, csrf=secrets.token_urlsafe(32),
                             address=client_address()[:64])
    _set_cookie(SESSION_COOKIE, token)
    session.user = user
    request.environ["vigie.session"] = session
    request.environ["vigie.user"] = user
    Session.delete().where(Session.last_seen < time.time() - idle_seconds()).execute()
    return session


def close_session() -> None:
    token = request.get_cookie(SESSION_COOKIE)
    if token:
        Session.delete().where(Session.token_hash == users.hash_token(token)).execute()
    response.delete_cookie(SESSION_COOKIE, path="/")


# Activity is written at most this often: a write per page would queue every click behind the
# daemon's writes and cost an fsync on the SD card; the idle limit counts in minutes.
TOUCH_SECONDS = 30.0


def current_session(touch: bool = True) -> Session | None:
    """The request's live session, or None; expired sessions are deleted.

    ``touch`` records activity; the pages' automatic polling does not, so an unattended console
    still signs out after [web] session_idle_minutes.
    """
    if "vigie.session" in request.environ:
        return request.environ["vigie.session"]
    session = None
    token = request.get_cookie(SESSION_COOKIE)
    if token and len(token) < 200:
        row = (Session.select(Session, User).join(User)
               .where(Session.token_hash == users.hash_token(token)).first())
        now = time.time()
        if row is not None and (row.last_seen + idle_seconds() < now or row.user.disabled):
            row.delete_instance()
            row = None
        if row is not None:
            if touch and now - row.last_seen > TOUCH_SECONDS:
                Session.update(last_seen=now).where(Session.token_hash == row.token_hash).execute()
            session = row
    request.environ["vigie.session"] = session
    request.environ["vigie.user"] = session.user if session else None
    return session


def current_user() -> User | None:
    if "vigie.user" not in request.environ:
        current_session()
    return request.environ.get("vigie.user")


def csrf_token() -> str:
    session = current_session()
    return session.csrf if session else ""


def login_csrf_token() -> str:
    """The sign-in form's token: a random value in a cookie, repeated in the form."""
    token = request.environ.get("vigie.login_csrf") or request.get_cookie(LOGIN_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(24)
        _set_cookie(LOGIN_COOKIE, token)
    request.environ["vigie.login_csrf"] = token
    return token


def login_csrf_valid() -> bool:
    cookie = request.get_cookie(LOGIN_COOKIE) or ""
    sent = request.forms.get("csrf") or ""
    return bool(cookie) and hmac.compare_digest(cookie.encode(), sent.encode())


def csrf_valid(session: Session) -> bool:
    sent = request.forms.get("csrf") or request.environ.get("HTTP_X_CSRF_TOKEN", "")
    return hmac.compare_digest(session.csrf.encode(), sent.encode())


# --- guards ---------------------------------------------------------------------------------

def _safe_next(path: str) -> str:
    """Only a local path: never "//host" or "/\\host", which browsers read as another site."""
    if not path.startswith("/") or path.startswith(("//", "/\\")) or any(ord(c) < 32 for c in path):
        return "/"
    return path


def requires(permission: str, *, json: bool = False):
    """Guard a console route: signed in (else redirect, or 401 for JSON), allowed, CSRF on POST."""
    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(*args, **kwargs):
            session = current_session(touch=not json)
            if session is None:
                if json or request.method != "GET":
                    bottle.abort(401, "Session expirée ou absente : reconnectez-vous.")
                target = request.fullpath + ("?" + request.query_string if request.query_string else "")
                bottle.redirect("/connexion?suite=" + bottle.urlquote(_safe_next(target)), 303)
            if not allowed(session.user.role, permission):
                bottle.abort(403, "Votre rôle ne permet pas cette action.")
            if request.method == "POST" and not csrf_valid(session):
                bottle.abort(403, "Jeton de sécurité absent ou invalide : rechargez la page et recommencez.")
            try:
                return handler(*args, **kwargs)
            except NotFound as e:
                bottle.abort(404, str(e))
        wrapper.permission = permission
        wrapper.json = json
        return wrapper
    return decorate


def api_user() -> User:
    """The owner of the request's bearer token, or a 401."""
    header = request.environ.get("HTTP_AUTHORIZATION", "")      # raw: may hold any byte
    scheme, _, token = header.partition(" ")
    user = users.token_user(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        bottle.abort(401, "Jeton d'API absent ou invalide.")
    request.environ["vigie.user"] = user
    return user


def api(permission: str):
    """Guard an API route: bearer token, and the owner's role must allow ``permission``."""
    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(*args, **kwargs):
            user = api_user()
            if not allowed(user.role, permission):
                bottle.abort(403, "Le rôle du propriétaire de ce jeton ne permet pas cette action.")
            try:
                return handler(*args, **kwargs)
            except NotFound as e:
                bottle.abort(404, str(e))
        wrapper.permission = permission
        wrapper.api = True
        return wrapper
    return decorate
