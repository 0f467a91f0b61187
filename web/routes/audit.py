"""Journal d'audit (administrators): who did what, filtered by actor, action and date."""

import csv
import datetime
import io

import bottle

from vigie.daemon.core import audit
from vigie.daemon.core.models import AuditLog

from .. import auth
from ..render import fmt_time, int_arg, page, query

PAGE_SIZE = 100

def _day_start(text: str) -> float | None:
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%d").timestamp()
    except ValueError:
        return None


def _filtered():
    """The journal rows the query string asks for, and the French error of a bad date."""
    actor, action = query("acteur").strip(), query("action").strip()
    start, end = query("du").strip(), query("au").strip()
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
    return rows.order_by(AuditLog.at.desc(), AuditLog.id.desc()), error, dict(acteur=actor, action=action,
                                                                               du=start, au=end)


@auth.requires("audit")
def journal():
    rows, error, filters = _filtered()
    offset = int_arg(query("debut"), 0, minimum=0)
    total = rows.count()
    rows = rows.offset(offset).limit(PAGE_SIZE)
    actors = [r.actor for r in AuditLog.select(AuditLog.actor).distinct().order_by(AuditLog.actor)]
    actions = [r.action for r in AuditLog.select(AuditLog.action).distinct().order_by(AuditLog.action)]
    return page("audit", title="Journal d'audit", rows=list(rows), total=total, offset=offset,
                page_size=PAGE_SIZE, actors=actors, actions=actions, error=error, action_label=audit.action_label,
                sentence=audit.sentence, actor_label=audit.actor_label, detail_text=audit.detail_text,
                filters=filters)


@auth.requires("audit")
def journal_csv():
    """The filtered journal as a spreadsheet file (;, UTF-8 with BOM for Excel), in words and in codes."""
    rows, error, _ = _filtered()
    if error:
        bottle.abort(400, error)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["date", "qui", "action", "phrase", "objet", "nombre", "détail", "code_action", "acteur"])
    for r in rows.iterator():
        writer.writerow([fmt_time(r.at), audit.actor_label(r.actor), audit.action_label(r.action), audit.sentence(r),
                         r.target, "" if r.count is None else r.count, audit.detail_text(r.detail), r.action,
                         r.actor])
    bottle.response.content_type = "text/csv; charset=utf-8"
    bottle.response.set_header("Content-Disposition", 'attachment; filename="journal-vigientreprise.csv"')
    bottle.response.set_header("Cache-Control", "no-store")
    return "\ufeff" + out.getvalue()


def register(app: bottle.Bottle) -> None:
    app.route("/journal", "GET", journal)
    app.route("/journal.csv", "GET", journal_csv)
