"""Tableau de bord: modems, the daemon's heartbeat, the queue, alerts in progress, recent reports."""

import time

import bottle

from vigie.daemon.core import alerts, inbox, outbox
from vigie.daemon.core import status as status_mod
from vigie.daemon.core.models import Alert

from .. import auth
from ..render import fmt_duration, fmt_time, json_answer, page
from .carte import incidents_map


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


def status() -> dict:
    """Everything the dashboard and /api/v1/status show, as JSON-ready data."""
    return dict(daemon=daemon_status(), modems=modems(), transports=status_mod.transport_rows(), queue=outbox.counts(),
                queue_depth=outbox.queue_depth(), alerts=active_alerts(), now=time.time(),
                storage=status_mod.storage_problem())


def home():
    user = auth.current_user()
    if user is not None and not auth.allowed(user.role, "dashboard"):
        bottle.redirect(auth.home_for(user.role), 303)
    return dashboard()


@auth.requires("dashboard")
def dashboard():
    incidents = [inbox.as_dict(s) for s in inbox.incidents(8)]
    return page("dashboard", title="Tableau de bord", status=status(), incidents=incidents,
                carte_svg=incidents_map(incidents))


@auth.requires("dashboard", json=True)
def dashboard_json():
    return json_answer(status())


def register(app: bottle.Bottle) -> None:
    app.route("/", "GET", home)
    app.route("/etat.json", "GET", dashboard_json)
