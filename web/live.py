"""What every console page shows live: the unread reports counter of the menu and the banner of a
panic-button alert (source ``button``) while it runs. Rendered with the page, then polled from
``/direct.json`` by static/app.js."""

import time

from vigie.daemon.core import alerts, inbox
from vigie.daemon.core.models import Alert
from vigie.daemon.core.outbox import AlertState
from vigie.daemon.core.reference.french import duration, plural

from . import auth

# A panic alert's banner stays this long after its last message, saying it is over.
PANIC_LINGER_SECONDS = 600
BUTTON_AUTHOR = "bouton d'alerte"


def author_label(author: str, source: str) -> str:
    """Who sent an alert, in words: « le bouton d'alerte », « chef (console) »."""
    if source == "button":
        return "le " + BUTTON_AUTHOR
    from .render import source_label
    return f"{author} ({source_label(source)})" if author else source_label(source)


def panic_alerts(now: float | None = None) -> list[dict]:
    """Panic-button alerts running, or ended less than PANIC_LINGER_SECONDS ago, newest first."""
    from .render import fmt_time
    from .routes.dashboard import progress
    now = now or time.time()
    rows = (Alert.select(Alert.id).where((Alert.source == "button") & (
        (Alert.state == AlertState.SENDING.value)
        | (Alert.completed_at > now - PANIC_LINGER_SECONDS)))
        .order_by(Alert.id.desc()).limit(3))
    result = []
    for row in rows:
        summary = alerts.summary(row.id)
        p = progress(summary)
        running = summary["state"] == AlertState.SENDING.value
        ended = summary["completed_at"]
        result.append(dict(
            id=p["id"], text=p["text"], state=p["state"], state_label=summary["state_label"], running=running,
            author=BUTTON_AUTHOR, started_at=summary["created_at"], completed_at=ended,
            started_label=fmt_time(summary["created_at"]), completed_label=fmt_time(ended) if ended else "",
            elapsed_label=duration(now - summary["created_at"]),
            total=p["total"], done=p["done"], delivered=p["delivered"], failed=p["failed"], waiting=p["waiting"],
            progress_label=(f"{plural(p['delivered'], 'destinataire atteint', 'destinataires atteints')} "
                            f"sur {p['total']} (SMS délivré) · {plural(p['waiting'], 'SMS', 'SMS')} en attente · "
                            f"{plural(p['failed'], 'échec')}"),
        ))
    return result


def state(user) -> dict:
    """The live part of every page for ``user``: unread reports, panic alerts."""
    if user is None:
        return dict(unread=None, panic=[], now=time.time())
    return dict(unread=inbox.unread_count() if auth.allowed(user.role, "inbox") else None,
                panic=panic_alerts() if auth.allowed(user.role, "alerts") else [], now=time.time())
