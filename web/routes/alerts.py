"""Alerts: the composer (with a confirmation step), the list, one alert's live delivery tracking.

Sending goes through alerts.create(); the web only inserts alerts and reads states.
"""

import secrets
import time

import bottle
from bottle import request

from vigie.daemon.core import alerts, control, presets, quotas, schedule, sectors, targeting, zones
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Alert
from vigie.daemon.core.outbox import State
from vigie.daemon.core.reference import smstext
from vigie.daemon.core.targeting import Targeting

from .. import auth, forms
from ..render import (
    flash,
    fmt_duration,
    fmt_time,
    form,
    int_arg,
    json_answer,
    page,
    phone_label,
    plural,
    query,
    see_other,
)
from .carte import alert_map, alert_states, targeting_map
from .dashboard import cannot_send_reason, progress

PAGE_SIZE = 50
RECIPIENTS_PAGE = 200


def _settings():
    return request.app.config["vigie.settings"]


def _actor() -> str:
    return auth.current_user().username


def _quiet_label() -> str:
    window = schedule.quiet_hours(_settings())
    return window.describe() if window else ""


def _composer(text: str = "", t: Targeting | None = None, *, error: str = "", errors=None,
              preset_name: str = "", expires_hours: str = "", status: int = 200, options: dict | None = None):
    bottle.response.status = status
    groups = sectors.list_all()
    values = forms.values_of(t or Targeting(), {g.name for g in groups})
    info = smstext.analyze(text or "")
    return page("compose", title="Nouvelle alerte", text=text, values=values, groups=groups,
                zones_list=zones.list_all(), communes=forms.communes(), presets_list=presets.list_all(),
                panic_preset=_settings().button.preset, info=info, on_air=smstext.ON_AIR, error=error,
                errors=errors or {},
                preset_name=preset_name, expires_hours=expires_hours, carte=targeting_map(t),
                default_expiry=_settings().alerts.default_expiry_hours, max_parts=_settings().alerts.max_parts,
                options=options or forms.alert_options({}), quiet=_quiet_label())


def _valid_hours(hours_text: str) -> float | None:
    """The validity asked in the form, in hours from the alert's start (checked: 0 < h <= 72)."""
    hours_text = (hours_text or "").strip().replace(",", ".")
    if not hours_text:
        return None
    try:
        hours = float(hours_text)
    except ValueError:
        raise InvalidInput(f"Durée de validité invalide : « {hours_text} » (un nombre d'heures).",
                           "expires_hours") from None
    alerts.expiry_after(hours)
    return hours


@auth.requires("alerts")
def compose():
    name = query("modele")
    if name:
        preset = presets.get(name)
        options = dict(forms.alert_options({}), ack=bool(preset.ack), exercise=bool(preset.exercise))
        return _composer(preset.text, presets.targeting_of(preset), preset_name=preset.name, options=options)
    return _composer()


def _invalid(e: InvalidInput, text, t, **kw):
    return _composer(text, t, error=e.message, errors={e.field or "targeting": e.message}, status=400, **kw)


@auth.requires("alerts")
def compose_submit():
    """One form, several buttons: preview and confirm, transliterate, save as preset."""
    action = form("action", "preview")
    text = form("text")
    preset_name = form("preset_name").strip()
    expires_hours = form("expires_hours")
    options = forms.alert_options(request.forms.decode())
    t = Targeting()
    try:
        if action == "edit":
            try:
                t = Targeting.from_json(form("targeting"))
            except (ValueError, TypeError):
                bottle.abort(400, "Ciblage illisible : recomposez l'alerte.")
            return _composer(text, t, preset_name=preset_name, expires_hours=expires_hours, options=options)
        if action in ("include_multiple", "leave_multiple"):     # from the confirmation page
            try:
                t = Targeting.from_json(form("targeting"))
            except (ValueError, TypeError):
                bottle.abort(400, "Ciblage illisible : recomposez l'alerte.")
            t.include_multiple = action == "include_multiple"
        else:
            t = forms.form_targeting()
        if action == "transliterate":
            return _composer(smstext.transliterate(text), t, preset_name=preset_name,
                             expires_hours=expires_hours, options=options)
        if action == "save_preset":
            return _save_preset(text, t, preset_name, expires_hours, options)
        valid_hours = _valid_hours(expires_hours)
        draft = alerts.create(text, t, settings=_settings(), author=_actor(), source="console",
                              valid_hours=valid_hours, preset=preset_name, dry_run=True,
                              **forms.alert_arguments(options))
        preview = targeting.preview(t, text, _settings())
        if preview.count == 0:
            raise InvalidInput("Ce ciblage n'atteint aucun adhérent actif joignable.", "targeting")
    except InvalidInput as e:
        return _invalid(e, text, t, preset_name=preset_name, expires_hours=expires_hours, options=options)
    return _confirm(text, t, preview, draft, preset_name, expires_hours, options)


def _confirm(text, t, preview, draft, preset_name, expires_hours, options, *, key: str = "", error: str = ""):
    """The confirmation page: what will be sent, to how many, when. Its form carries a fresh idempotency
    key, so that the same confirmation submitted twice (double click, reload, network retry) creates one
    alert; and, when nothing can send, it says so and asks for a second, explicit confirmation."""
    preview.parts, preview.encoding = draft.parts, draft.encoding
    preview.sms_total = preview.count * draft.parts
    if draft.start_at:
        start_label = f"programmé le {schedule.fmt_paris(draft.start_at)}"
        if options["non_urgent"] and _quiet_label() and not options["send_at"]:
            start_label += f" (alerte non urgente : heures calmes {_quiet_label()})"
    else:
        start_label = "immédiat"
    # More than the transports available now can send under their quotas: said before sending.
    quota_warning = quotas.alert_warning(_settings(), {r.phone for r in preview.recipients}, draft.parts)
    return page("confirm", title="Confirmer l'alerte", text=text, targeting_json=t.to_json(),
                description=t.describe(), preview=preview, preset_name=preset_name,
                expires_hours=expires_hours, estimate=fmt_duration(preview.estimated_seconds),
                recipients=preview.recipients[:20], draft=draft, options=options, start_label=start_label,
                error=error, carte=targeting_map(t), idempotency_key=key or secrets.token_urlsafe(18),
                warning=cannot_send_reason(), quota_warning=quota_warning)


def _console_key() -> str | None:
    key = form("idempotency_key").strip()
    if not key or len(key) > 100:
        return None
    return f"console:{auth.current_user().id}:{key}"


def _save_preset(text: str, t: Targeting, name: str, expires_hours: str, options: dict):
    if not name:
        raise InvalidInput("Donnez un nom au modèle pour l'enregistrer.", "preset_name")
    max_parts = _settings().alerts.max_parts
    if presets.find(name) is not None:
        presets.update(name, actor=_actor(), text=text, targeting=t, max_parts=max_parts,
                       exercise=options["exercise"], ack=options["ack"])
        flash(f"Modèle « {name} » mis à jour.")
    else:
        presets.create(name, text, t, actor=_actor(), max_parts=max_parts, exercise=options["exercise"],
                       ack=options["ack"])
        flash(f"Modèle « {name} » enregistré.")
    see_other("/alertes/nouvelle?" + bottle.urlencode({"modele": name}))


@auth.requires("alerts")
def send():
    """The confirmed alert: the count shown must still be right, else confirm again."""
    text = form("text")
    preset_name = form("preset_name").strip()
    expires_hours = form("expires_hours")
    options = forms.alert_options(request.forms.decode())
    try:
        t = Targeting.from_json(form("targeting"))
    except (InvalidInput, ValueError, TypeError):
        bottle.abort(400, "Ciblage illisible : recomposez l'alerte.")
    key = _console_key()
    if key:
        done = alerts.by_idempotency_key(key)
        if done is not None:          # this very confirmation was already sent: show its alert
            flash(f"Cette confirmation a déjà créé l'alerte n° {done.id} : elle n'est pas envoyée deux fois.")
            see_other(f"/alertes/{done.id}")
    try:
        valid_hours = _valid_hours(expires_hours)
        arguments = forms.alert_arguments(options)
        preview = targeting.preview(t, text, _settings())
        confirmed = int_arg(form("confirmed_count"), -1)
        if preview.count != confirmed:
            draft = alerts.create(text, t, settings=_settings(), author=_actor(), source="console",
                                  valid_hours=valid_hours, preset=preset_name, dry_run=True, **arguments)
            bottle.response.status = 409
            return _confirm(text, t, preview, draft, preset_name, expires_hours, options,
                            error=f"Le nombre de destinataires a changé depuis l'aperçu ({confirmed} → "
                                  f"{preview.count}) : vérifiez et confirmez de nouveau.")
        if cannot_send_reason() and form("send_anyway") != "1":
            draft = alerts.create(text, t, settings=_settings(), author=_actor(), source="console",
                                  valid_hours=valid_hours, preset=preset_name, dry_run=True, **arguments)
            bottle.response.status = 409
            return _confirm(text, t, preview, draft, preset_name, expires_hours, options,
                            key=form("idempotency_key"),
                            error="Rien ne peut partir maintenant : cochez « Mettre en file malgré "
                                  "tout » pour confirmer une seconde fois, ou attendez le retour "
                                  "d'un modem.")
        alert = alerts.create(text, t, settings=_settings(), author=_actor(), source="console",
                              valid_hours=valid_hours, preset=preset_name, idempotency_key=key, **arguments)
    except InvalidInput as e:
        return _invalid(e, text, t, preset_name=preset_name, expires_hours=expires_hours, options=options)
    if not alert.replayed and not alert.start_at:
        control.wake(_settings().daemon.control_socket)      # the workers start now, not at their poll
    if alert.replayed:
        flash(f"Cette confirmation a déjà créé l'alerte n° {alert.id} : elle n'est pas envoyée deux fois.")
    elif alert.start_at:
        flash(f"Alerte n° {alert.id} programmée : départ le {schedule.fmt_paris(alert.start_at)}, "
              f"{plural(alert.recipient_count, 'téléphone')} aujourd'hui.")
    else:
        flash(f"Alerte n° {alert.id} mise en file d'envoi : {plural(alert.recipient_count, 'téléphone')}.")
    see_other(f"/alertes/{alert.id}")


@auth.requires("alerts", json=True)
def preview_json():
    """Live counter and recipient count for the composer (read-only, from the query string)."""
    options = forms.alert_options(request.query.decode())
    raw = query("text")
    text = alerts.compose_text(raw, exercise=options["exercise"], ack=options["ack"])
    info = smstext.analyze(text)
    answer = dict(encoding=info.encoding, chars=info.chars, units=info.units, parts=info.parts,
                  per_part=info.per_part, remaining=info.remaining, non_gsm=list(info.non_gsm),
                  replaced=[f"{c} → {smstext.ON_AIR[c]}" for c in info.replaced],
                  unsendable=list(info.unsendable),
                  refused=smstext.unsendable_message(info.unsendable) if info.unsendable else "",
                  max_parts=_settings().alerts.max_parts, transliterated=None, count=None,
                  sms_total=None, estimated_seconds=None, estimate="", description="", error="",
                  field="", hint="", start="", naf_correspondence=None)
    if info.non_gsm or info.replaced:
        answer["transliterated"] = smstext.transliterate(raw)
    try:
        arguments = forms.alert_arguments(options)
        now = time.time()
        start = schedule.start_time(_settings(), at=arguments["at"], urgent=arguments["urgent"], now=now)
        answer["start"] = (f"Départ le {schedule.fmt_paris(start)}" if start > now + 1
                           else "Départ dès la confirmation")
    except InvalidInput as e:
        answer.update(error=e.message, field=e.field or "")
        return json_answer(answer)
    try:
        t = forms.query_targeting()
        if t.is_empty():
            answer["hint"] = "Choisissez les destinataires : le nombre de téléphones s'affichera ici."
            return json_answer(answer)
        t.validate()
        preview = targeting.preview(t, text, _settings(), with_recipients=False)
        answer.update(count=preview.count, sms_total=preview.sms_total,
                      estimated_seconds=preview.estimated_seconds,
                      estimate=fmt_duration(preview.estimated_seconds), description=t.describe(),
                      naf_correspondence=preview.naf_correspondence)
    except InvalidInput as e:
        answer.update(error=e.message, field=e.field or "")
    return json_answer(answer)


@auth.requires("alerts")
def list_page():
    offset = int_arg(query("debut"), 0, minimum=0)
    rows = [dict(a, progress=progress(a)) for a in alerts.list_alerts(offset, PAGE_SIZE)]
    return page("alerts", title="Alertes", rows=rows, total=Alert.select().count(), offset=offset,
                page_size=PAGE_SIZE)


# The incremental refresh: a poll asks for the rows changed since the cursor of the previous answer;
# the cursor lags the clock by CURSOR_OVERLAP_SECONDS so that a change committed just after a poll
# read the table (stamped a moment before) is caught by the next one. At most CHANGES_LIMIT rows; past
# that the answer says it is incomplete and the page reloads its whole list once.
CURSOR_OVERLAP_SECONDS = 5.0
CHANGES_LIMIT = 2 * RECIPIENTS_PAGE


def _labelled(rows: list[dict]) -> list[dict]:
    for r in rows:
        r["phone_label"] = phone_label(r["phone"])
        r["sent_label"] = fmt_time(r["sent_at"])
        r["delivered_label"] = fmt_time(r["delivered_at"])
        r["ack_label"] = fmt_time(r["acknowledged_at"]) if r.get("acknowledged_at") else ""
    return rows


def _cursor() -> float:
    return round(time.time() - CURSOR_OVERLAP_SECONDS, 3)


def _alert_state(alert_id: int, state: str, offset: int) -> dict:
    cursor = _cursor()
    summary = alerts.summary(alert_id)
    rows = _labelled(alerts.recipients(alert_id, state or None, offset, RECIPIENTS_PAGE))
    return dict(summary=summary, progress=progress(summary), recipients=rows,
                labels={s.value: s.label for s in State}, depuis=cursor)


def _alert_changes(alert_id: int, state: str, offset: int, since: float) -> dict:
    """What changed since ``since``: the counts, and the rows of the page shown (all states) or, with a
    state filter, of the whole alert, whose state changed."""
    cursor = _cursor()
    summary = alerts.summary(alert_id)
    between = None
    if not state:
        between = alerts.page_bounds(alert_id, offset, RECIPIENTS_PAGE)
    rows = [] if not state and between is None else alerts.recipients(
        alert_id, None, 0, CHANGES_LIMIT + 1, since=since, between=between)
    complete = len(rows) <= CHANGES_LIMIT
    return dict(summary=summary, progress=progress(summary), changes=_labelled(rows[:CHANGES_LIMIT]),
                complete=complete, incremental=True, depuis=cursor, labels={s.value: s.label for s in State})


@auth.requires("alerts")
def alert_page(alert_id: int):
    state = query("etat")
    offset = int_arg(query("debut"), 0, minimum=0)
    try:
        data = _alert_state(alert_id, state, offset)
    except InvalidInput as e:
        bottle.abort(400, e.message)
    shown_total = data["summary"]["counts"].get(state, 0) if state else sum(data["summary"]["counts"].values())
    return page("alert", title=f"Alerte n° {alert_id}", state_filter=state, offset=offset,
                page_size=RECIPIENTS_PAGE, shown_total=shown_total, carte_svg=alert_map(alert_id), **data)


@auth.requires("alerts", json=True)
def alert_json(alert_id: int):
    """The alert page's poll. Without ``depuis``: the counts and the whole page of recipients. With
    ``depuis=<cursor of the previous answer>``: the counts and only the recipients whose state changed
    (``changes``), ``complete`` false when too many did (ask again without ``depuis``)."""
    state, offset = query("etat"), int_arg(query("debut"), 0, minimum=0)
    since = query("depuis").strip()
    try:
        if since:
            try:
                moment = float(since)
            except ValueError:
                raise InvalidInput(f"« depuis » doit être un horodatage (secondes), pas « {since} ».",
                                   "depuis") from None
            if state and state not in {s.value for s in State}:
                raise InvalidInput(f"État inconnu : « {state} ».", "state")
            data = _alert_changes(alert_id, state, offset, moment)
            if data["changes"]:
                data["carte"] = alert_states(alert_id)
        else:
            data = _alert_state(alert_id, state, offset)
            data["carte"] = alert_states(alert_id)
    except InvalidInput as e:
        return json_answer({"erreur": e.message}, 400)
    return json_answer(data)


@auth.requires("alerts")
def resend(alert_id: int):
    n = alerts.resend_failed(alert_id, _actor())
    if n:
        control.wake(_settings().daemon.control_socket)
    flash(f"{plural(n, 'message')} en échec remis dans la file." if n else "Aucun échec à renvoyer.")
    see_other(f"/alertes/{alert_id}")


@auth.requires("alerts")
def cancel(alert_id: int):
    """Two steps: the page says how many messages would be cancelled; only « confirme=1 » cancels."""
    summary = alerts.summary(alert_id)
    waiting = sum(summary["counts"].get(s, 0) for s in ("queued", "retry_wait", "sending"))
    if form("confirme") != "1":
        return page("cancel_confirm", title=f"Annuler l'alerte n° {alert_id}", summary=summary, waiting=waiting)
    n = alerts.cancel(alert_id, _actor())
    if summary["state"] == "scheduled":
        flash(f"Alerte programmée n° {alert_id} annulée : rien ne partira.")
    elif n:
        flash(f"{plural(n, 'message non encore envoyé', 'messages non encore envoyés')} : "
              f"{'annulé' if n == 1 else 'annulés'}.")
    else:
        flash("Plus rien à annuler.")
    see_other(f"/alertes/{alert_id}")


@auth.requires("alerts")
def reschedule(alert_id: int):
    """Edit a scheduled alert (text, start) until it starts."""
    try:
        send_at = form("send_at").strip()
        at = schedule.parse_when(send_at.replace("T", " "), "send_at") if send_at else None
        alerts.reschedule(alert_id, _actor(), settings=_settings(), text=form("text") or None, at=at)
    except InvalidInput as e:
        flash(e.message, "error")
    else:
        flash(f"Alerte n° {alert_id} modifiée.")
    see_other(f"/alertes/{alert_id}")


def register(app: bottle.Bottle) -> None:
    app.route("/alertes", "GET", list_page)
    app.route("/alertes/nouvelle", "GET", compose)
    app.route("/alertes/nouvelle", "POST", compose_submit)
    app.route("/alertes/envoyer", "POST", send)
    app.route("/alertes/apercu.json", "GET", preview_json)
    app.route("/alertes/<alert_id:int>", "GET", alert_page)
    app.route("/alertes/<alert_id:int>/etat.json", "GET", alert_json)
    app.route("/alertes/<alert_id:int>/renvoyer", "POST", resend)
    app.route("/alertes/<alert_id:int>/annuler", "POST", cancel)
    app.route("/alertes/<alert_id:int>/modifier", "POST", reschedule)
