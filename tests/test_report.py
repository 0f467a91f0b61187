"""The convention's figures: computed once in the core, shown by `vigie report`, the statistics page
and its CSV; exercises kept apart; acknowledgements counted."""

import datetime as dt
import json
import time

import pytest

from vigie.daemon.core import alerts, members, report, schedule, sectors
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Alert, Message, OptOut
from vigie.daemon.core.targeting import Targeting

from .fixtures_domain import make_siret


def _population():
    members.add(siret=make_siret(1), name="Bijouterie A", naf="47.77Z", commune="61006", chamber="cci",
                phones=["06 11 11 11 11"], actor="test")
    members.add(siret=make_siret(2), name="Bijouterie B", naf="47.77Z", commune="61001", chamber="cma",
                phones=["06 22 22 22 22"], actor="test")
    members.add(siret=make_siret(3), name="Ferme C", naf="01.11Z", commune="61001", chamber="ca",
                phones=["06 33 33 33 33"], actor="test")


def _deliver(alert_id, delays, failed=()):
    """Mark an alert's messages sent at its creation and delivered ``delays`` seconds later."""
    alert = Alert.get_by_id(alert_id)
    for message, delay in zip(Message.select().where(Message.alert == alert_id).order_by(Message.id), delays):
        if message.phone in failed:
            Message.update(state="failed", sent_at=alert.created_at, error="Non remis par le réseau").where(
                Message.id == message.id).execute()
        else:
            Message.update(state="delivered", sent_at=alert.created_at, delivered_at=alert.created_at + delay,
                           created_at=alert.created_at).where(Message.id == message.id).execute()


def test_figures_for_a_period_keep_exercises_apart(domain_settings):
    _population()
    if not sectors.find("bijouteries"):
        sectors.create("bijouteries", "47.77Z", actor="test")
    real = alerts.create("Vols à Argentan.", Targeting(all=True), settings=domain_settings, author="chef",
                         source="console", ack=True)
    _deliver(real.id, [30, 60, 0], failed={"+33633333333"})
    Message.update(acknowledged_at=time.time() + 90).where(Message.phone == "+33611111111").execute()
    drill = alerts.create("Exercice.", Targeting(members=[make_siret(1)]), settings=domain_settings,
                          author="chef", source="button", exercise=True)
    _deliver(drill.id, [10])
    OptOut.create(phone="+33699999999")
    today = dt.datetime.now(schedule.PARIS).date()
    data = report.figures(today, today)
    assert data["real"]["alerts"] == 1 and data["exercises"]["alerts"] == 1
    assert data["exercises"]["from_button"] == 1 and data["real"]["from_button"] == 0
    assert data["real"]["messages"] == 3 and data["real"]["delivered"] == 2
    assert data["real"]["delivery_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert data["real"]["time_to_delivered_median_s"] == pytest.approx(45)
    assert data["real"]["failures_by_reason"] == [{"reason": "Non remis par le réseau", "count": 1}]
    assert data["real"]["acknowledged"] == 1 and data["real"]["acknowledgements_asked"] == 2
    assert data["members"]["active"] == 3
    assert {c["chamber"]: c["members"] for c in data["members"]["by_chamber"]} == {"ca": 1, "cci": 1, "cma": 1}
    assert {s["sector"]: s["members"] for s in data["members"]["by_sector_group"]}["bijouteries"] == 2
    assert data["opt_outs"]["in_period"] == 1
    # a period before today holds none of it
    yesterday = today - dt.timedelta(days=1)
    assert report.figures(yesterday, yesterday)["real"]["alerts"] == 0


def test_bad_periods_are_refused_in_french():
    with pytest.raises(InvalidInput) as e:
        report.parse_day("hier", "from")
    assert "AAAA-MM-JJ" in e.value.message
    with pytest.raises(InvalidInput):
        report.day_bounds(dt.date(2026, 12, 2), dt.date(2026, 12, 1))


def test_vigie_report_in_text_and_json(vigie_cli, domain_settings):
    _population()
    alerts.create("Vols.", Targeting(all=True), settings=domain_settings, author="chef", source="cli")
    rc, out, _ = vigie_cli("report", "--json")
    assert rc == 0
    data = json.loads(out)
    assert data["real"]["alerts"] == 1 and data["members"]["active"] == 3
    rc, out, _ = vigie_cli("report")
    assert rc == 0 and "Bilan Vigientreprise du" in out and "Alertes : 1" in out and "Adhérents actifs : 3" in out
    rc, _, err = vigie_cli("report", "--from", "2026-13-01")
    assert rc == 2 and "Date illisible" in err


def test_statistics_page_csv_and_roles(database, admin, manager, operator):
    from .fixtures_web import add_member
    add_member(1)
    for client in (admin, manager, operator):
        page = client.get("/statistiques")
        assert page.status == 200 and "Adhérents" in page.text and 'id="stats-real"' in page.text
    assert "Exercices (comptés à part)" in admin.get("/statistiques").text
    bad = admin.get("/statistiques?du=hier")
    assert bad.status == 400 and "Date illisible" in bad.text
    sheet = admin.get("/statistiques.csv?du=2026-01-01&au=2026-12-31")
    assert sheet.status == 200 and "text/csv" in sheet.header("Content-Type")
    rows = sheet.body.decode("utf-8-sig").splitlines()
    assert rows[0] == "section;indicateur;valeur" and "adhérents;actifs;1" in rows
