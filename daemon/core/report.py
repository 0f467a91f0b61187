"""The figures the convention's steering committee renews the scheme on: alerts sent, recipients,
delivery rate and time to reach everyone, failures by reason, acknowledgements, members by chamber,
sector and area, opt-outs — for a date range (Europe/Paris days), exercises kept apart.

One function computes them (``figures``); the console's statistics page, its CSV and
``vigie report`` only present them.
"""

import datetime as dt
import statistics
from collections import Counter

import peewee as pw

from vigie.daemon.core import members as members_mod
from vigie.daemon.core import sectors
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Alert, Commune, Member, Message, OptOut
from vigie.daemon.core.reference import naf
from vigie.daemon.core.schedule import PARIS

CHAMBER_LABELS = {"cci": "CCI (commerce et industrie)", "cma": "CMA (métiers et artisanat)",
                  "ca": "chambre d'agriculture", "": "non renseignée"}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def parse_day(text: str, field: str) -> dt.date:
    """« 2026-12-01 » or « 01/12/2026 »."""
    value = (text or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise InvalidInput(f"Date illisible : « {text} » (attendu : AAAA-MM-JJ, par exemple 2026-12-01).", field)


def period(start_text: str | None, end_text: str | None) -> tuple[dt.date, dt.date]:
    """The period asked (texts from a form or the command line), the last 30 days by default."""
    today = dt.datetime.now(PARIS).date()
    end = parse_day(end_text, "to") if end_text else today
    start = parse_day(start_text, "from") if start_text else end - dt.timedelta(days=29)
    return start, end


def day_bounds(start: dt.date, end: dt.date) -> tuple[float, float]:
    """Epoch seconds from the start of ``start`` to the end of ``end``, Paris days."""
    if end < start:
        raise InvalidInput("La fin de la période précède son début.", "to")
    low = dt.datetime.combine(start, dt.time(0), PARIS).timestamp()
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), PARIS).timestamp()
    return low, high


def _quantile(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _month_label(ts: float) -> tuple[str, str]:
    local = dt.datetime.fromtimestamp(ts, PARIS)
    return f"{local:%Y-%m}", f"{MONTHS[local.month - 1]} {local.year}"


def _alert_block(alerts: list[Alert]) -> dict:
    """Sending figures for a set of alerts (the real ones, or the exercises)."""
    ids = [a.id for a in alerts]
    rows = []
    if ids:
        rows = list(Message.select(Message.alert, Message.state, Message.error, Message.created_at,
                                   Message.sent_at, Message.delivered_at, Message.acknowledged_at)
                    .where(Message.alert.in_(ids)).tuples())
    states = Counter(r[1] for r in rows)
    on_air = states["sent"] + states["delivered"] + states["failed"]
    to_delivery = sorted(r[5] - r[3] for r in rows if r[5] is not None and r[3] is not None)
    last_delivery = {}
    for alert_id, _state, _error, _created, _sent, delivered, _ack in rows:
        if delivered is not None:
            last_delivery[alert_id] = max(last_delivery.get(alert_id, 0.0), delivered)
    starts = {a.id: (a.start_at or a.created_at) for a in alerts}
    everyone = sorted(last_delivery[i] - starts[i] for i in last_delivery
                      if not any(r[0] == i and r[1] in ("queued", "retry_wait", "sending") for r in rows))
    failures = Counter((r[2] or "motif inconnu") for r in rows if r[1] == "failed")
    asked = [r for r in rows if r[0] in {a.id for a in alerts if a.ack} and r[1] in ("sent", "delivered")]
    ack_delays = sorted(r[6] - r[4] for r in asked if r[6] is not None and r[4] is not None)
    per_month: dict[str, dict] = {}
    for a in alerts:
        key, label = _month_label(a.created_at)
        month = per_month.setdefault(key, {"month": key, "label": label, "alerts": 0, "recipients": 0})
        month["alerts"] += 1
        month["recipients"] += a.recipient_count or 0
    return {
        "alerts": len(alerts),
        "from_button": sum(1 for a in alerts if a.source == "button"),
        "messages": len(rows),
        "messages_by_state": dict(states),
        "delivered": states["delivered"],
        "delivery_rate": round(states["delivered"] / on_air, 4) if on_air else None,
        "time_to_delivered_median_s": _quantile(to_delivery, 50),
        "time_to_delivered_p95_s": _quantile(to_delivery, 95),
        "time_to_reach_everyone_median_s": _quantile(everyone, 50),
        "failures_by_reason": [{"reason": k, "count": v} for k, v in failures.most_common()],
        "acknowledgements_asked": len(asked),
        "acknowledged": sum(1 for r in asked if r[6] is not None),
        "ack_median_s": _quantile(ack_delays, 50),
        "ack_p95_s": _quantile(ack_delays, 95),
        "per_month": [per_month[k] for k in sorted(per_month)],
    }


def _section(code: str, nomenclature: str = naf.REV2) -> str:
    """The NAF section (letter) of a member's code, « ? » when the code is not in the nomenclature."""
    try:
        while code and naf.level(code, nomenclature) != "section":
            code = naf.parent(code, nomenclature)
        return code or "?"
    except Exception:               # a damaged code
        return "?"


def _member_section(rev2: str, new: str) -> tuple[str, str]:
    """(nomenclature, section) of a member: its NAF 2025 code when it has one, else its rév. 2 code."""
    if new:
        return naf.NAF2025, _section(new, naf.NAF2025)
    return naf.REV2, _section(rev2)


def _members_block() -> dict:
    """Members today: by chamber, by sector group, by arrondissement (the active ones)."""
    active = Member.select().where(Member.status == "active")
    by_chamber = Counter(c for (c,) in active.select(Member.chamber).tuples())
    by_area = Counter(a or "commune inconnue" for (a,) in (
        Member.select(Commune.arrondissement_name).join(Commune, pw.JOIN.LEFT_OUTER,
                                                        on=(Member.commune == Commune.insee))
        .where(Member.status == "active").tuples()))
    codes = list(active.select(Member.naf, Member.naf_2025).tuples())
    # Whatever nomenclature a member's code is in (members reached only through a multiple link apart).
    by_sector = [{"sector": c["sector"], "members": c["members"], "naf_rev2": c["rev2"],
                  "naf_2025": c["naf_2025"], "multiple": c["multiple"]}
                 for c in members_mod.count_by_sector([g.name for g in sectors.list_all()])]
    by_section = Counter(_member_section(rev2, new) for rev2, new in codes)
    return {
        "active": len(codes),
        "by_status": dict(Counter(s for (s,) in Member.select(Member.status).where(Member.status != "erased")
                                  .tuples())),
        "by_chamber": [{"chamber": k, "label": CHAMBER_LABELS.get(k, k), "members": v}
                       for k, v in sorted(by_chamber.items())],
        "by_sector_group": by_sector,
        "by_naf_section": [{"section": k, "nomenclature": n,
                            "label": (f"{naf.label(k, n)} ({naf.nomenclature_name(n)})" if k != "?"
                                      else "inconnue"), "members": v}
                           for (n, k), v in sorted(by_section.items(), key=lambda kv: (kv[0][0] != naf.NAF2025,
                                                                                       kv[0][1]))],
        "by_area": [{"area": k, "members": v} for k, v in sorted(by_area.items())],
    }


def figures(start: dt.date, end: dt.date) -> dict:
    """Every figure of the report for the Paris days ``start`` to ``end`` included."""
    low, high = day_bounds(start, end)
    alerts = list(Alert.select().where((Alert.created_at >= low) & (Alert.created_at < high)
                                       & (Alert.state != "scheduled")).order_by(Alert.created_at))
    return {
        "from": start.isoformat(), "to": end.isoformat(),
        "real": _alert_block([a for a in alerts if not a.exercise]),
        "exercises": _alert_block([a for a in alerts if a.exercise]),
        "members": _members_block(),
        "opt_outs": {"total": OptOut.select().count(),
                     "in_period": OptOut.select().where((OptOut.created_at >= low)
                                                        & (OptOut.created_at < high)).count()},
    }


def csv_rows(data: dict) -> list[list]:
    """The report as « section ; indicateur ; valeur » rows, for a spreadsheet."""
    rows = [["section", "indicateur", "valeur"], ["période", "du", data["from"]], ["période", "au", data["to"]]]
    for key, name in (("real", "alertes"), ("exercises", "exercices")):
        block = data[key]
        for label, field in (("nombre", "alerts"), ("dont bouton d'alerte", "from_button"),
                             ("messages", "messages"), ("délivrés", "delivered"),
                             ("taux de remise", "delivery_rate"),
                             ("délai médian jusqu'à la remise (s)", "time_to_delivered_median_s"),
                             ("délai de remise 95 % (s)", "time_to_delivered_p95_s"),
                             ("délai médian pour atteindre tout le monde (s)", "time_to_reach_everyone_median_s"),
                             ("accusés demandés", "acknowledgements_asked"), ("accusés reçus", "acknowledged"),
                             ("délai médian d'accusé (s)", "ack_median_s"), ("délai d'accusé 95 % (s)", "ack_p95_s")):
            rows.append([name, label, "" if block[field] is None else block[field]])
        for month in block["per_month"]:
            rows.append([name, f"alertes en {month['label']}", month["alerts"]])
        for failure in block["failures_by_reason"]:
            rows.append([name, f"échecs : {failure['reason']}", failure["count"]])
    members = data["members"]
    rows.append(["adhérents", "actifs", members["active"]])
    rows += [["adhérents", f"chambre : {c['label']}", c["members"]] for c in members["by_chamber"]]
    rows += [["adhérents", f"secteur : {s['sector']}", s["members"]] for s in members["by_sector_group"]]
    rows += [["adhérents", f"arrondissement : {a['area']}", a["members"]] for a in members["by_area"]]
    rows.append(["désinscriptions", "au total", data["opt_outs"]["total"]])
    rows.append(["désinscriptions", "dans la période", data["opt_outs"]["in_period"]])
    return rows
