"""Pages and JSON answers: templates from web/views (autoescaped), flash messages, formatting.

Every ``{{value}}`` in a template is HTML-escaped by Bottle's SimpleTemplate; no template uses the
unescaped ``{{!value}}`` form on stored data.
"""

import json
import os
import threading

import bottle
from bottle import request, response

from vigie.daemon.core import schedule
from vigie.daemon.core.memberfile import national as phone_label
from vigie.daemon.core.reference.french import duration, of, percent, plural
from vigie.daemon.core.users import role_label

from . import auth

VIEWS = os.path.join(os.path.dirname(__file__), "views")
_LOOKUP = [VIEWS]
_templates: dict[str, bottle.SimpleTemplate] = {}
_lock = threading.Lock()

# Flash messages survive one redirect; kept in memory per session (one console process).
_flashes: dict[str, list[tuple[str, str]]] = {}


def fmt_time(ts) -> str:
    if ts is None or ts == "":
        return "—"
    return schedule.paris(float(ts)).strftime("%d/%m/%Y %H:%M:%S")


def fmt_short(ts) -> str:
    if ts is None or ts == "":
        return "—"
    return schedule.paris(float(ts)).strftime("%d/%m %H:%M")


def paris_input(ts) -> str:
    """A time for an <input type="datetime-local">, in Paris time."""
    return schedule.paris(float(ts)).strftime("%Y-%m-%dT%H:%M") if ts else ""


def fmt_duration(seconds) -> str:
    """``2 min 30 s`` style, for estimates and ages."""
    return duration(seconds)


SOURCES = {"console": "console", "api": "API", "button": "bouton d'alerte", "cli": "ligne de commande"}


def source_label(source: str) -> str:
    return SOURCES.get(source, source)


def flash(message: str, kind: str = "ok") -> None:
    session = auth.current_session()
    if len(_flashes) > 1000:          # sessions that never came back for their message
        _flashes.clear()
    if session is not None:
        _flashes.setdefault(session.token_hash, []).append((kind, message))


def pop_flashes() -> list[tuple[str, str]]:
    session = auth.current_session()
    if session is None:
        return []
    return _flashes.pop(session.token_hash, [])


def _template(name: str) -> bottle.SimpleTemplate:
    with _lock:
        tpl = _templates.get(name)
        if tpl is None:
            tpl = _templates[name] = bottle.SimpleTemplate(name=name, lookup=_LOOKUP)
        return tpl


def page(template: str, /, **values) -> str:
    """Render a page template with the layout's common values."""
    from . import live
    user = auth.current_user()
    common = dict(
        live=live.state(user), author_label=live.author_label,
        user=user, role=user.role if user else "", role_label=role_label, csrf=auth.csrf_token() if user else "",
        allowed=(lambda perm: bool(user) and auth.allowed(user.role, perm)),
        flashes=pop_flashes() if user else [], path=request.path, fmt_time=fmt_time,
        fmt_short=fmt_short, fmt_duration=fmt_duration, phone=phone_label, source_label=source_label, plural=plural, errors={}, error="",
        percent=percent, of=of, fmt_paris=lambda ts: schedule.fmt_paris(ts) if ts else "—", paris_input=paris_input,
        title="Vigientreprise", query=request.query,
    )
    common.update(values)
    response.set_header("Cache-Control", "no-store")
    return _template(template + ".tpl").render(common)


def json_answer(obj, status: int = 200) -> str:
    response.status = status
    response.content_type = "application/json; charset=utf-8"
    response.set_header("Cache-Control", "no-store")
    return json.dumps(obj, ensure_ascii=False)


def see_other(url: str):
    """Redirect after a successful POST (303: the browser follows with a GET)."""
    bottle.redirect(url, 303)


def form(name: str, default: str = "") -> str:
    """A form field as text (Bottle's FormsDict gives UTF-8 correctly through getunicode)."""
    value = request.forms.getunicode(name)
    return default if value is None else value


def form_list(name: str) -> list[str]:
    return request.forms.decode().getall(name)


def query(name: str, default: str = "") -> str:
    value = request.query.getunicode(name)
    return default if value is None else value


def int_arg(value, default: int = 0, minimum: int | None = None) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return default
    if minimum is not None and n < minimum:
        return default
    return n
