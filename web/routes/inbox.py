"""Messages reçus: incident reports, other incoming SMS, STOP/START events; a report can be marked
« traité » and answered (one SMS to its sender, through the outbox)."""

import bottle
from bottle import request

from vigie.daemon.core import inbox
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import InboundSms

from .. import auth
from ..render import flash, form, int_arg, page, query, see_other

PAGE_SIZE = 50
FOLLOW_UP = {"a-traiter": "à traiter", "traites": "traités"}


def _actor() -> str:
    return auth.current_user().username


@auth.requires("inbox")
def inbox_page():
    kind = query("type")
    follow = query("suivi") if query("suivi") in FOLLOW_UP else ""
    offset = int_arg(query("debut"), 0, minimum=0)
    error = ""
    try:
        rows = inbox.messages(kind or None, limit=PAGE_SIZE, offset=offset, follow=follow or None)
    except InvalidInput as e:
        rows, error = [], e.message
        bottle.response.status = 400
    total = inbox.messages_count(kind or None, follow=follow or None) if not error else 0
    params = {k: v for k, v in (("type", kind), ("suivi", follow)) if v}
    return page("inbox", title="Messages reçus", rows=[inbox.as_dict(r) for r in rows], kind=kind, follow=follow,
                kinds=inbox.KIND_LABELS, total=total, offset=offset, page_size=PAGE_SIZE, error=error,
                params=params, back=request.fullpath + ("?" + request.query_string if request.query_string else ""))


def _sms(sms_id: int) -> InboundSms:
    sms = InboundSms.get_or_none(InboundSms.id == sms_id)
    if sms is None:
        bottle.abort(404, f"Message reçu n° {sms_id} introuvable.")
    return sms


def _message_page(sms_id: int, *, error: str = "", text: str = "", status: int = 200):
    bottle.response.status = status
    sms = _sms(sms_id)
    return page("inbox_message", title=f"Message reçu n° {sms_id}", s=inbox.as_dict(sms), error=error,
                reply_text=text, can_reply=inbox.can_reply(inbox.normalise_phone(sms.phone)),
                reply_max=inbox.REPLY_MAX_PARTS)


@auth.requires("inbox")
def message_page(sms_id: int):
    return _message_page(sms_id)


def _back(default: str) -> str:
    target = form("retour")
    return target if target.startswith("/messages") or target == "/" else default


@auth.requires("inbox")
def set_treated(sms_id: int):
    _sms(sms_id)
    treated = form("traite", "1") == "1"
    try:
        inbox.set_treated(sms_id, _actor(), treated)
    except NotFound as e:
        bottle.abort(404, e.message)
    flash(f"Message n° {sms_id} marqué « traité »." if treated else f"Message n° {sms_id} de nouveau « à traiter ».")
    see_other(_back(f"/messages/{sms_id}"))


@auth.requires("inbox")
def reply(sms_id: int):
    _sms(sms_id)
    text = form("text")
    try:
        message = inbox.reply(sms_id, text, _actor(), request.app.config.get("vigie.settings"))
    except InvalidInput as e:
        return _message_page(sms_id, error=e.message, text=text, status=400)
    if form("traite") == "1":
        inbox.set_treated(sms_id, _actor(), True)
    flash(f"Réponse mise dans la file d'envoi (message n° {message.id}).")
    see_other(f"/messages/{sms_id}")


def register(app: bottle.Bottle) -> None:
    app.route("/messages", "GET", inbox_page)
    app.route("/messages/<sms_id:int>", "GET", message_page)
    app.route("/messages/<sms_id:int>/traite", "POST", set_treated)
    app.route("/messages/<sms_id:int>/repondre", "POST", reply)
