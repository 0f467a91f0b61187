"""The JSON API (/api/v1) for other software, authenticated by per-user bearer tokens.

Errors are French JSON objects ``{"erreur": ..., "champ": ...}`` with a meaningful status code.
Every request body is validated strictly: an unknown field, a value of the wrong type or an empty
targeting is refused (400, naming the field) and nothing is queued, so that a typo (``"sector"``) or a
string where a list is expected (``"sectors": "GF"``) never widens an alert to the wrong people.
"""

import datetime
import hashlib
import json
import math

import bottle
from bottle import request

from vigie.daemon.core import alerts, control, schedule, targeting
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.targeting import Targeting

from .. import auth
from ..render import fmt_duration, json_answer, phone_label
from .dashboard import cannot_send_reason, status

MAX_EXPIRY_HOURS = alerts.MAX_EXPIRY_HOURS
MAX_IDEMPOTENCY_KEY = 200
PREVIEW_RECIPIENTS = 20

LIST_OF_TEXTS = "une liste de textes"


def _is_list_of_texts(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v)


def _is_number(v) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and not (isinstance(v, float) and not math.isfinite(v)))


# The targeting object's fields: name → (what it must be, in French; check of the JSON value).
TARGETING_FIELDS = {
    "sectors": (LIST_OF_TEXTS + " (codes NAF ou groupes de secteurs)", _is_list_of_texts),
    "communes": (LIST_OF_TEXTS + " (codes INSEE)", _is_list_of_texts),
    "zones": (LIST_OF_TEXTS + " (noms de zones)", _is_list_of_texts),
    "around": ("un texte (code INSEE de la commune centre)", lambda v: isinstance(v, str) and v.strip()),
    "radius_km": ("un nombre de kilomètres", _is_number),
    "members": (LIST_OF_TEXTS + " (SIRET)", _is_list_of_texts),
    "all": ("true ou false (un booléen JSON, pas un texte)", lambda v: isinstance(v, bool)),
    "test_group": ("true ou false (un booléen JSON, pas un texte)", lambda v: isinstance(v, bool)),
    "include_multiple": ("true ou false (un booléen JSON, pas un texte)", lambda v: isinstance(v, bool)),
}
ALERT_FIELDS = ("text", "targeting", "expires_hours", "dry_run", "at", "non_urgent", "ack", "exercise")
BOOLEAN_ALERT_FIELDS = ("dry_run", "non_urgent", "ack", "exercise")


def _body() -> dict:
    raw = request.body.read()
    try:
        data = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError):
        bottle.abort(400, "Corps de requête illisible : un objet JSON (UTF-8) est attendu.")
    if not isinstance(data, dict):
        bottle.abort(400, "Un objet JSON est attendu.")
    return data


def _invalid(e: InvalidInput, status: int = 400):
    return json_answer({"erreur": e.message, "champ": e.field}, status)


def _unknown(name: str, known, where: str) -> InvalidInput:
    return InvalidInput(f"Champ inconnu {where}: « {name} » (champs reconnus : {', '.join(known)}). "
                        "Rien n'a été envoyé.", name)


def parse_targeting(data) -> Targeting:
    """A Targeting from the API's JSON object, refusing anything not exactly as documented."""
    if not isinstance(data, dict):
        raise InvalidInput("Le champ « targeting » (objet JSON) est obligatoire.", "targeting")
    for name, value in data.items():
        if name not in TARGETING_FIELDS:
            raise _unknown(name, TARGETING_FIELDS, "dans « targeting » ")
        expected, check = TARGETING_FIELDS[name]
        if value is not None and not check(value):
            raise InvalidInput(f"« {name} » doit être {expected} ; reçu : {json.dumps(value, ensure_ascii=False)[:80]}."
                               " Rien n'a été envoyé.", name)
    t = Targeting(sectors=list(data.get("sectors") or []), communes=list(data.get("communes") or []),
                  zones=list(data.get("zones") or []), around=(data.get("around") or "").strip() or None,
                  radius_km=data.get("radius_km"), members=list(data.get("members") or []),
                  all=data.get("all") is True, test_group=data.get("test_group") is True)
    if data.get("include_multiple") is True:
        t.include_multiple = True
    if t.all and (t.sectors or t.communes or t.zones or t.around or t.radius_km is not None or t.members
                  or t.test_group):
        raise InvalidInput("« all » (tous les adhérents) ne se combine avec aucun autre critère : "
                           "retirez « all » ou les autres critères. Rien n'a été envoyé.", "all")
    if t.is_empty():
        raise InvalidInput("Ciblage vide : indiquez « sectors », « communes », « zones », « around » et "
                           "« radius_km », « members » ou « all »: true. Rien n'a été envoyé.", "targeting")
    return t


def _valid_hours(data: dict) -> float | None:
    """« expires_hours »: how long the alert stays valid from its start."""
    hours = data.get("expires_hours")
    if hours is None:
        return None
    if not _is_number(hours) or not 0 < hours <= MAX_EXPIRY_HOURS:
        raise InvalidInput(f"« expires_hours » doit être un nombre d'heures entre 0 et {MAX_EXPIRY_HOURS}.",
                           "expires_hours")
    return float(hours)


def _start(data: dict) -> float | None:
    """« at »: « 2026-12-02 08:00 » in Paris time, or ISO 8601 with an offset (« 2026-12-02T07:00:00Z »)."""
    at = data.get("at")
    if at is None:
        return None
    if not isinstance(at, str) or not at.strip():
        raise InvalidInput("« at » doit être une date et une heure en texte (« 2026-12-02 08:00 », heure de Paris).",
                           "at")
    try:
        parsed = datetime.datetime.fromisoformat(at.strip().replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            return parsed.timestamp()
    except ValueError:
        pass
    return schedule.parse_when(at, "at")


def _idempotency_key(user) -> str | None:
    raw = request.environ.get("HTTP_IDEMPOTENCY_KEY")
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or any(ord(c) < 33 or ord(c) > 126 for c in key):
        raise InvalidInput(f"En-tête « Idempotency-Key » invalide : de 1 à {MAX_IDEMPOTENCY_KEY} caractères "
                           "ASCII visibles.", "Idempotency-Key")
    return f"api:{user.id}:{key}"


def _preview_answer(t: Targeting, text: str, settings) -> dict:
    """What the console's confirmation page shows, as JSON: nothing is written."""
    p = targeting.preview(t, text, settings)
    return {"dry_run": True, "recipients": p.count, "parts": p.parts, "encoding": p.encoding,
            "chars": p.chars, "sms_total": p.sms_total, "estimated_seconds": p.estimated_seconds,
            "estimate": fmt_duration(p.estimated_seconds), "description": t.describe(),
            "first_recipients": [{"member": r.member_name, "siret": r.siret, "commune": r.commune,
                                  "phone": phone_label(r.phone)} for r in p.recipients[:PREVIEW_RECIPIENTS]],
            "warning": cannot_send_reason()}


@auth.api("alerts")
def create_alert():
    data = _body()
    user = auth.current_user()
    settings = request.app.config["vigie.settings"]
    try:
        for name in data:
            if name not in ALERT_FIELDS:
                raise _unknown(name, ALERT_FIELDS, "")
        text = data.get("text")
        if not isinstance(text, str):
            raise InvalidInput("Le champ « text » (texte du SMS) est obligatoire.", "text")
        for name in BOOLEAN_ALERT_FIELDS:
            if not isinstance(data.get(name, False), bool):
                raise InvalidInput(f"« {name} » doit être true ou false (un booléen JSON, pas un texte).", name)
        dry_run = data.get("dry_run", False)
        t = parse_targeting(data.get("targeting"))
        valid_hours = _valid_hours(data)
        at = _start(data)
        key = _idempotency_key(user)
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        alert = alerts.create(text, t, settings=settings, author=user.username, source="api",
                              valid_hours=valid_hours, dry_run=dry_run, idempotency_key=key,
                              request_hash=digest, at=at, urgent=not data.get("non_urgent", False),
                              ack=data.get("ack", False), exercise=data.get("exercise", False))
        if dry_run:
            return json_answer(_preview_answer(t, text, settings))
    except alerts.IdempotencyConflict as e:
        return _invalid(e, 409)
    except InvalidInput as e:
        return _invalid(e)
    if not alert.replayed and not alert.start_at:
        control.wake(settings.daemon.control_socket)      # the workers start now, not at their poll
    answer = {"id": alert.id, "recipients": alert.recipient_count, "parts": alert.parts,
              "encoding": alert.encoding, "dry_run": False, "replayed": alert.replayed,
              "state": alert.state, "start_at": alert.start_at, "exercise": bool(alert.exercise),
              "ack": bool(alert.ack), "warning": cannot_send_reason()}
    return json_answer(answer, 200 if alert.replayed else 201)


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
