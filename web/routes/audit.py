"""Journal d'audit (administrators): who did what, filtered by actor, action and date."""

import datetime

import bottle

from vigie.daemon.models import AuditLog

from .. import auth
from ..render import int_arg, page, query

PAGE_SIZE = 100


def _day_start(text: str) -> float | None:
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%d").timestamp()
    except ValueError:
        return None


@auth.requires("audit")
def journal():
    actor, action = query("acteur").strip(), query("action").strip()
    start, end = query("du").strip(), query("au").strip()
    offset = int_arg(query("debut"), 0, minimum=0)
    rows = AuditLog.select()
    error = ""
    if actor:
        rows = rows.where(AuditLog.actor == actor)
    if action:
        rows = rows.where(AuditLog.action.startswith(action))
    for text, op in ((start, "from"), (end, "to")):
        if not text:
            continue
        ts = _day_start(text)
        if ts is None:
            error = f"Date « {text} » invalide (attendu : AAAA-MM-JJ)."
            continue
        rows = rows.where(AuditLog.at >= ts) if op == "from" else rows.where(AuditLog.at < ts + 86400)
    total = rows.count()
    rows = rows.order_by(AuditLog.at.desc(), AuditLog.id.desc()).offset(offset).limit(PAGE_SIZE)
    actors = [r.actor for r in AuditLog.select(AuditLog.actor).distinct().order_by(AuditLog.actor)]
    actions = [r.action for r in AuditLog.select(AuditLog.action).distinct().order_by(AuditLog.action)]
    return page("audit", title="Journal d'audit", rows=list(rows), total=total, offset=offset,
                page_size=PAGE_SIZE, actors=actors, actions=actions, error=error,
                filters=dict(acteur=actor, action=action, du=start, au=end))


def register(app: bottle.Bottle) -> None:
    app.route("/journal", "GET", journal)
