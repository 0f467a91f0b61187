"""Tableau de bord: modems, the daemon's heartbeat, the queue, each transport's quotas, alerts in
progress, recent reports."""

import time

import bottle
import peewee as pw

from vigie.daemon.core import alerts, inbox, outbox
from vigie.daemon.core import status as status_mod
from vigie.daemon.core.models import Alert, Message, TransportStatus
from vigie.daemon.core.outbox import State

from .. import auth, live
from ..render import fmt_duration, fmt_short, fmt_time, json_answer, page, phone_label, plural
from .carte import incidents_map

SENDING_STUCK_SECONDS = 300     # a message "en cours d'envoi" longer than this is shown as stuck
STUCK_EXAMPLES = 5


def signal_label(csq) -> str:
    """CSQ rssi (0–31, 99 unknown) in words."""
    if csq is None or csq == 99:
        return "inconnu"
    if csq < 10:
        return f"faible ({csq}/31)"
    if csq < 15:
        return f"moyen ({csq}/31)"
    if csq < 20:
        return f"bon ({csq}/31)"
    return f"excellent ({csq}/31)"


def daemon_status(now: float | None = None) -> dict:
    live = status_mod.daemon_liveness(now)
    if live.age is None:
        return dict(ok=False, age=None, updated_at=None,
                    message="Le service d'envoi ne répond plus : il n'a jamais donné signe de vie.")
    return dict(ok=live.alive, age=round(live.age, 1), updated_at=live.updated_at,
                message="" if live.alive else f"Le service d'envoi ne répond plus depuis {fmt_duration(live.age)} "
                                              f"(dernier signe de vie le {fmt_time(live.updated_at)}).")


def cannot_send_reason(now: float | None = None) -> str:
    """Why nothing can go out right now, in French; "" when something can send.

    Read from the rows the daemon writes: its heartbeat and the state of each transport."""
    daemon = daemon_status(now)
    if not daemon["ok"]:
        return (daemon["message"] + " Aucun SMS ne partira tant que le service d'envoi n'est pas relancé : "
                "l'alerte attendra dans la file.")
    rows = list(TransportStatus.select(TransportStatus.name, TransportStatus.kind, TransportStatus.state)
                .order_by(TransportStatus.name))
    if not rows:
        return ("Aucun modem ni route opérateur n'a encore été vu par le service d'envoi : aucun SMS ne peut partir, "
                "l'alerte attendra dans la file.")
    if not any(m.state == status_mod.READY for m in rows):
        if all(m.kind == "gsm" for m in rows):
            states = ", ".join(f"{m.name} : {status_mod.state_label(m.state)}" for m in rows)
            return (f"Aucun modem n'est prêt à envoyer ({states}) : l'alerte attendra dans la file "
                    "jusqu'au retour du réseau.")
        states = ", ".join(f"{status_mod.KIND_LABELS.get(m.kind, m.kind)} {m.name} : "
                           f"{status_mod.state_label(m.state)}" for m in rows)
        return (f"Aucun moyen d'envoi n'est prêt ({states}) : l'alerte attendra dans la file "
                "jusqu'au retour du réseau ou de la route opérateur.")
    return ""


def _examples(query, now: float) -> list[dict]:
    return [dict(id=m.id, alert_id=m.alert_id, phone_label=phone_label(m.phone), error=m.error or "",
                 since_label=fmt_duration(now - (m.claimed_at or m.created_at)),
                 next_label=fmt_time(m.next_attempt_at) if m.next_attempt_at else "—")
            for m in query.order_by(Message.priority.desc(), Message.id).limit(STUCK_EXAMPLES)]


def stuck(now: float | None = None) -> list[dict]:
    """Messages that are not moving, grouped by the reason, in French, each with a few examples."""
    now = now or time.time()
    groups = []
    blocker = cannot_send_reason(now)
    waiting = Message.select().where(Message.state.in_([State.QUEUED.value, State.RETRY_WAIT.value])
                                     & (Message.next_attempt_at <= now))
    if blocker and waiting.count():
        groups.append(dict(kind="blocked", count=waiting.count(), reason=blocker,
                           examples=_examples(waiting, now)))
    retrying = (Message.select(Message.error, pw.fn.COUNT(Message.id))
                .where((Message.state == State.RETRY_WAIT.value) & (Message.next_attempt_at > now))
                .group_by(Message.error).order_by(pw.fn.COUNT(Message.id).desc()).tuples())
    for error, n in retrying:
        query = Message.select().where((Message.state == State.RETRY_WAIT.value)
                                       & (Message.next_attempt_at > now) & (Message.error == error))
        groups.append(dict(kind="retry", count=n,
                           reason=f"Nouvel essai prévu après un échec temporaire : {error or 'motif inconnu'}",
                           examples=_examples(query, now)))
    slow = Message.select().where((Message.state == State.SENDING.value)
                                  & (Message.claimed_at < now - SENDING_STUCK_SECONDS))
    modems_slow = (Message.select(Message.modem).distinct()
                   .where((Message.state == State.SENDING.value)
                          & (Message.claimed_at < now - SENDING_STUCK_SECONDS)).tuples())
    for (modem,) in modems_slow:
        query = slow.where(Message.modem == modem)
        n = query.count()
        groups.append(dict(kind="sending", count=n,
                           reason=f"En cours d'envoi depuis plus de {SENDING_STUCK_SECONDS // 60} min sur le "
                                  f"modem {modem or '?'} : sans réponse du module, le message sera renvoyé "
                                  "et marqué « doublon possible » à la reprise.",
                           examples=_examples(query, now)))
    for g in groups:
        g["count_label"] = plural(g["count"], "message")
    return groups


def modems() -> list[dict]:
    """The core's modem rows, with what the page shows in words."""
    return [dict(row, signal_label=signal_label(row["signal"]),
                 last_contact_label=fmt_time(row["last_contact"])) for row in status_mod.modem_rows()]


def progress(summary: dict) -> dict:
    """An alert's counts reduced to what a progress bar shows."""
    counts = summary.get("counts", {})
    total = sum(counts.values()) or summary.get("recipient_count", 0)
    # what went out or ended by itself; a cancelled message is not « done » (a cancelled alert's bar
    # must not look complete)
    done = sum(counts.get(s, 0) for s in ("sent", "delivered", "failed", "expired"))
    return dict(id=summary["id"], text=summary["text"], state=summary["state"], counts=counts,
                total=total, done=done, delivered=counts.get("delivered", 0),
                failed=counts.get("failed", 0), sent=counts.get("sent", 0),
                cancelled=counts.get("cancelled", 0),
                waiting=sum(counts.get(s, 0) for s in ("queued", "retry_wait", "sending")))


def active_alerts(limit: int = 10) -> list[dict]:
    rows = (Alert.select(Alert.id).where(Alert.state == outbox.AlertState.SENDING.value)
            .order_by(Alert.id.desc()).limit(limit))
    return [progress(alerts.summary(a.id)) for a in rows]


QUOTA_COLUMNS = [("minute", "Par minute"), ("hour", "Par heure"), ("day", "Aujourd'hui"), ("month", "Ce mois-ci"),
                 ("recipients_month", "Destinataires ce mois-ci")]


def quota_cells(transport: dict) -> list[dict]:
    """A transport's quota windows as the dashboard shows them: « 12 / 200 », « 3 (sans limite) »."""
    cells = []
    for window, _title in QUOTA_COLUMNS:
        q = transport.get("quota", {}).get(window, {"used": 0, "limit": None})
        full = q["limit"] is not None and q["used"] >= q["limit"]
        label = f"{q['used']} / {q['limit']}" if q["limit"] is not None else f"{q['used']} (sans limite)"
        cells.append(dict(window=window, used=q["used"], limit=q["limit"], full=full, label=label))
    return cells


def _settings():
    try:
        return bottle.request.app.config.get("vigie.settings")
    except (AttributeError, RuntimeError, KeyError):
        return None


def status() -> dict:
    """Everything the dashboard and /api/v1/status show, as JSON-ready data."""
    now = time.time()
    blocker = cannot_send_reason(now)
    transports = [dict(t, quota_cells=quota_cells(t)) for t in status_mod.transport_rows(_settings())]
    return dict(daemon=daemon_status(now), modems=modems(), transports=transports, queue=outbox.counts(),
                queue_depth=outbox.queue_depth(), alerts=active_alerts(), now=now,
                can_send=not blocker, cannot_send=blocker, stuck=stuck(now),
                storage=status_mod.storage_problem(), clock_warning=status_mod.clock_warning(now))


def home():
    user = auth.current_user()
    if user is not None and not auth.allowed(user.role, "dashboard"):
        bottle.redirect(auth.home_for(user.role), 303)
    return dashboard()


REPORTS_SHOWN = 8


def reports() -> list[dict]:
    """The latest reports (members' and unknown senders'), as the dashboard lists them."""
    rows = []
    for sms in inbox.reports(REPORTS_SHOWN):
        row = inbox.as_dict(sms)
        row.update(phone_label=phone_label(sms.phone), received_label=fmt_short(sms.received_at))
        rows.append(row)
    return rows


@auth.requires("dashboard")
def dashboard():
    incidents = [inbox.as_dict(s) for s in inbox.incidents(8)]
    return page("dashboard", title="Tableau de bord", status=status(), incidents=incidents, reports=reports(),
                carte_svg=incidents_map(incidents))


@auth.requires("dashboard", json=True)
def dashboard_json():
    """The dashboard's poll: /api/v1/status's figures, and the latest reports with the unread count."""
    return json_answer(dict(status(), reports=reports(), unread=inbox.unread_count()))


@auth.requires("account", json=True)
def live_json():
    """Every page's poll: the menu's unread reports counter, the panic-button banner."""
    return json_answer(live.state(auth.current_user()))


def register(app: bottle.Bottle) -> None:
    app.route("/", "GET", home)
    app.route("/etat.json", "GET", dashboard_json)
    app.route("/direct.json", "GET", live_json)
