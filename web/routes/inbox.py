"""Messages reçus: incident reports, other incoming SMS, STOP/START events."""

import bottle

from vigie.daemon.core import inbox
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import InboundSms

from .. import auth
from ..render import int_arg, page, query

PAGE_SIZE = 50


@auth.requires("inbox")
def inbox_page():
    kind = query("type")
    offset = int_arg(query("debut"), 0, minimum=0)
    error = ""
    try:
        rows = inbox.messages(kind or None, limit=PAGE_SIZE, offset=offset)
    except InvalidInput as e:
        rows, error = [], e.message
        bottle.response.status = 400
    total = InboundSms.select().where(InboundSms.kind == kind).count() if kind else InboundSms.select().count()
    return page("inbox", title="Messages reçus", rows=[inbox.as_dict(r) for r in rows], kind=kind,
                kinds=inbox.KIND_LABELS, total=total, offset=offset, page_size=PAGE_SIZE, error=error)


def register(app: bottle.Bottle) -> None:
    app.route("/messages", "GET", inbox_page)
