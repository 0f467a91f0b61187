"""The JSON API (/api/v1) for other software, authenticated by per-user bearer tokens.

Errors are French JSON objects ``{"erreur": ..., "champ": ...}`` with a meaningful status code.
"""

import json

import bottle
from bottle import request

from vigie.daemon.core import alerts
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.targeting import Targeting

from .. import auth
from ..render import json_answer
from .dashboard import status


def _body() -> dict:
    raw = request.body.read()
    try:
        data = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError):
        bottle.abort(400, "Corps de requête illisible : un objet JSON (UTF-8) est attendu.")
    if not isinstance(data, dict):
        bottle.abort(400, "Un objet JSON est attendu.")
    return data


def _invalid(e: InvalidInput):
    return json_answer({"erreur": e.message, "champ": e.field}, 400)


@auth.api("alerts")
def create_alert():
    data = _body()
    user = auth.current_user()
    text = data.get("text")
    if not isinstance(text, str):
        return _invalid(InvalidInput("Le champ « text » (texte du SMS) est obligatoire.", "text"))
    targeting = data.get("targeting")
    if not isinstance(targeting, dict):
        return _invalid(InvalidInput("Le champ « targeting » (objet JSON) est obligatoire.", "targeting"))
    hours = data.get("expires_hours")
    try:
        expires_at = alerts.expiry_after(hours) if hours is not None else None
        t = Targeting.from_json(json.dumps(targeting))
        alert = alerts.create(text, t, settings=request.app.config["vigie.settings"], author=user.username,
                              source="api", expires_at=expires_at)
    except InvalidInput as e:
        return _invalid(e)
    except TypeError:
        return _invalid(InvalidInput("Ciblage invalide.", "targeting"))
    return json_answer({"id": alert.id, "recipients": alert.recipient_count, "parts": alert.parts,
                        "encoding": alert.encoding}, 201)


@auth.api("alerts")
def get_alert(alert_id: int):
    return json_answer(alerts.summary(alert_id))


@auth.api("dashboard")
def get_status():
    data = status()
    data["daemon_heartbeat_age"] = data["daemon"]["age"]
    return json_answer(data)


def register(app: bottle.Bottle) -> None:
    app.route("/api/v1/alerts", "POST", create_alert)
    app.route("/api/v1/alerts/<alert_id:int>", "GET", get_alert)
    app.route("/api/v1/status", "GET", get_status)
