"""Time on a box without internet: the modem's network time (AT+CLTS=1, AT+CCLK?) reaches the transport
status row, and the dashboard warns when the clock is implausible (behind what was already recorded, or
far from the network's time)."""

import time

from tests.fixtures_daemon import daemon_settings, running_daemon, wait_until
from vigie.daemon.core import audit
from vigie.daemon.core import db as db_mod
from vigie.daemon.core import status as status_mod
from vigie.daemon.core.models import InboundSms, TransportStatus
from vigie.daemon.transport.gsm.modem import parse_cclk


def test_cclk_lines_are_read_with_their_zone_and_the_power_up_date_is_no_time():
    # 14:30:00 in Paris (+02 hours = +08 quarters) on 1 July 2026 is 12:30:00 UTC
    assert parse_cclk('+CCLK: "26/07/01,14:30:00+08"') == 1782909000.0
    assert parse_cclk('+CCLK: "26/12/01,19:30:00-04"') == parse_cclk('+CCLK: "26/12/01,20:30:00+00"')
    assert parse_cclk('+CCLK: "04/01/01,00:00:12+00"') is None          # a SIM800 before the network's time
    assert parse_cclk("OK") is None and parse_cclk('+CCLK: "26/13/45,99:00:00+00"') is None


def offset(name):
    row = TransportStatus.get_or_none(TransportStatus.name == name)
    return row.network_time_offset if row is not None else None


def test_the_daemon_publishes_the_network_time_and_the_dashboard_warns(tmp_path, sims):
    late, fine = sims("late"), sims("fine", model="sim7600")
    late.set_network_time(900.0)                    # the network is 15 minutes ahead of this clock
    settings = daemon_settings(tmp_path, [late, fine])
    db_mod.open_database(settings.database.path)
    with running_daemon(settings):
        assert wait_until(lambda: offset("late") is not None and offset("fine") is not None, 30)
    assert abs(offset("late") - 900.0) < 5 and abs(offset("fine")) < 5
    assert any(c == "AT+CLTS=1" for _, c in late.commands), "the SIM800 is asked for the network time"
    warning = status_mod.clock_warning()
    assert "L'horloge de la box retarde de 15 min sur l'heure du réseau donnée par le modem late" in warning
    assert "Garder l'heure sans internet" in warning
    TransportStatus.update(network_time_offset=-120.0).where(TransportStatus.name == "late").execute()
    assert status_mod.clock_warning() == ""                  # two minutes: within the tolerance


def test_a_clock_earlier_than_the_last_recorded_event_is_told(database):
    assert status_mod.clock_warning() == ""
    now = time.time()
    InboundSms.create(modem="hat", phone="+33612345678", text="signalement", received_at=now + 3 * 3600)
    warning = status_mod.clock_warning(now)
    assert "avant le dernier événement enregistré" in warning and "elle a reculé de 3 h 00 min au moins" in warning
    assert status_mod.clock_warning(now + 3 * 3600) == ""
    audit.record("chef", "member.add", "adhérent 1")
    assert status_mod.last_recorded_event() >= now + 3 * 3600


def test_the_dashboard_shows_the_clock_warning(database, admin):
    page = admin.get("/")
    assert 'id="clock-warning" class="flash warn hidden"' in page.text
    InboundSms.create(modem="hat", phone="+33612345678", text="signalement", received_at=time.time() + 86400)
    page = admin.get("/")
    assert 'id="clock-warning" class="flash warn"' in page.text and "a reculé de" in page.text
    assert "a reculé de" in admin.get("/etat.json").json()["clock_warning"]
