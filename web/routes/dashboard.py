"""Tableau de bord: modems, the daemon's heartbeat, the queue, each transport's quotas, alerts in
progress, recent reports."""

import time

import bottle

from vigie.daemon.core import alerts, inbox, outbox
from vigie.daemon.core import status as status_mod
from vigie.daemon.core.models import Alert

from .. import auth
from ..render import fmt_duration, fmt_time, json_answer, page


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
                    message="Le démon ne répond plus : il n'a jamais donné signe de vie.")
    return dict(ok=live.alive, age=round(live.age, 1), updated_at=live.updated_at,
                message="" if live.alive else f"Le démon ne répond plus depuis {fmt_duration(live.age)} "
                                              f"(dernier signe de vie le {fmt_time(live.updated_at)}).")


def modems() -> list[dict]:
    """The core's modem rows, with what the page shows in words."""
    return [dict(row, signal_label=signal_label(row["signal"]),
                 last_contact_label=fmt_time(row["last_contact"])) for row in status_mod.modem_rows()]


def progress(summary: dict) -> dict:
    """An alert's counts reduced to what a progress bar shows."""
    counts = summary.get("counts", {})
    total = sum(counts.values()) or summary.get("recipient_count", 0)
    done = sum(counts.get(s.value, 0) for s in outbox.FINAL) + counts.get("sent", 0)
    return dict(id=summary["id"], text=summary["text"], state=summary["state"], counts=counts,
                total=total, done=done, delivered=counts.get("delivered", 0),
                failed=counts.get("failed", 0), sent=counts.get("sent", 0),
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
    transports = [dict(t, quota_cells=quota_cells(t)) for t in status_mod.transport_rows(_settings())]
    return dict(daemon=daemon_status(), modems=modems(), transports=transports, queue=outbox.counts(),
                queue_depth=outbox.queue_depth(), alerts=active_alerts(), now=time.time())


def home():
    user = auth.current_user()
    if user is not None and not auth.allowed(user.role, "dashboard"):
        bottle.redirect(auth.home_for(user.role), 303)
    return dashboard()


@auth.requires("dashboard")
def dashboard():
    return page("dashboard", title="Tableau de bord", status=status(), incidents=[inbox.as_dict(s) for s in inbox.incidents(8)])


@auth.requires("dashboard", json=True)
def dashboard_json():
    return json_answer(status())


def register(app: bottle.Bottle) -> None:
    app.route("/", "GET", home)
    app.route("/etat.json", "GET", dashboard_json)
