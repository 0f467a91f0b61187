"""Statistics and the steering committee's report: the core's figures for a period, as a page
(printable: the print stylesheet drops the menu and the form) and as a CSV file."""

import csv
import io

import bottle

from vigie.daemon.core import report
from vigie.daemon.core.errors import InvalidInput

from .. import auth
from ..render import page, query


def _figures():
    start, end = report.period(query("du") or None, query("au") or None)
    return report.figures(start, end)


@auth.requires("stats")
def stats_page():
    try:
        data = _figures()
        error = ""
    except InvalidInput as e:
        bottle.response.status = 400
        data, error = report.figures(*report.period(None, None)), e.message
    return page("stats", title="Statistiques", data=data, error=error,
                filters={"du": query("du"), "au": query("au")})


@auth.requires("stats")
def stats_csv():
    try:
        data = _figures()
    except InvalidInput as e:
        bottle.abort(400, e.message)
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(report.csv_rows(data))
    bottle.response.content_type = "text/csv; charset=utf-8"
    bottle.response.set_header("Content-Disposition",
                               f'attachment; filename="bilan-vigientreprise-{data["from"]}-{data["to"]}.csv"')
    bottle.response.set_header("Cache-Control", "no-store")
    return "\ufeff" + out.getvalue()


def register(app: bottle.Bottle) -> None:
    app.route("/statistiques", "GET", stats_page)
    app.route("/statistiques.csv", "GET", stats_csv)
