"""Quotas counted from the outbox (core/quotas.py): rolling minute and hour, Paris day and month,
distinct recipients of the Paris month, claimed messages counted at once; the configuration keys;
the composer's warning and the `quota` of `vigie status --json`."""

import datetime
import json
import time

import pytest

from tests.fixtures_daemon import daemon_settings, vigie
from tests.fixtures_web import siret_for
from vigie.daemon.core import config, outbox, quotas
from vigie.daemon.core.errors import ConfigError
from vigie.daemon.core.models import Message, Part, TransportStatus
from vigie.daemon.core.schedule import PARIS

# [daemon] callback_secret comes with the Kannel transport (required with a [[kannel]] route once it is there).
SECRET = {"callback_secret": "s" * 20} if any(k.name == "callback_secret" for k in config.TABLES["daemon"].keys) \
    else {}


def paris(*args) -> float:
    return datetime.datetime(*args, tzinfo=PARIS).timestamp()


def sent(transport: str, phone: str, at: float, parts: int = 1) -> None:
    m = Message.create(phone=phone, text="x", state="sent", parts=parts, modem=transport)
    for n in range(1, parts + 1):
        Part.create(message=m.id, attempt=1, number=n, count=parts, modem=transport, reference=str(n),
                    phone=phone, sent_at=at)


def test_windows_follow_the_paris_calendar_and_roll_for_minute_and_hour(database):
    now = paris(2026, 3, 1, 0, 30)                         # 23:30 UTC on 28 February
    sent("sim", "+33600000001", paris(2026, 2, 27, 12, 0))    # February: none of this month's windows
    sent("sim", "+33600000002", paris(2026, 2, 28, 23, 50))   # 40 min ago: this hour, but yesterday in Paris
    sent("sim", "+33600000003", paris(2026, 3, 1, 0, 10))     # today, this month
    sent("sim", "+33600000003", paris(2026, 3, 1, 0, 29, 30), parts=2)   # within the minute
    sent("other", "+33600000009", paris(2026, 3, 1, 0, 29, 50))
    used = quotas.usage("sim", now)
    assert used.counts == {"minute": 2, "hour": 4, "day": 3, "month": 3, "recipients_month": 1}
    assert used.recipients == {"+33600000003"}             # distinct, this Paris month only
    assert quotas.usage("sim", now, phones=False).counts == used.counts
    starts = quotas.window_starts(now)
    assert starts["day"] == starts["month"] == paris(2026, 3, 1)


def test_a_claimed_message_counts_before_it_is_on_air(database):
    outbox.enqueue("+33600000001", "a", parts=2)
    claimed = outbox.claim("sim")
    used = quotas.usage("sim")
    assert used.counts["day"] == 2 and used.recipients == {"+33600000001"} and used.pending == {claimed.id}
    assert used.counts["recipients_month"] == 1
    outbox.unclaim(claimed)
    assert quotas.usage("sim").counts["day"] == 0
    sent("sim", "+33600000001", time.time() - 10)           # already served this month: one recipient
    outbox.claim("sim")
    for phones in (True, False):
        used = quotas.usage("sim", phones=phones)
        assert used.counts["day"] == 3 and used.counts["recipients_month"] == 1


def test_allows_and_reached():
    limits = quotas.Limits(day=3, recipients_month=2)
    used = quotas.Usage(counts={"minute": 0, "hour": 0, "day": 1, "month": 1, "recipients_month": 1},
                        recipients={"+33600000001"})
    assert quotas.allows(limits, used, "+33600000002", parts=2)
    assert not quotas.allows(limits, used, "+33600000002", parts=3)          # 1 + 3 > 3
    used.recipients.add("+33600000002")
    used.counts["recipients_month"] = 2
    assert not quotas.allows(limits, used, "+33600000003")                    # a third recipient
    assert quotas.allows(limits, used, "+33600000001")                        # one already counted
    assert quotas.reached(limits, used) == ["recipients_month"]


def test_quota_keys_per_modem_and_route_with_french_refusals(tmp_path):
    s = config.parse({"modem": [{"name": "hat", "port": "/dev/x", "priority": 5, "quota_per_day": 300,
                                 "quota_recipients_per_month": 200}]})
    assert s.modems[0].priority == 5
    assert quotas.Limits.of(s.modems[0]) == quotas.Limits(day=300, recipients_month=200)
    assert quotas.Limits.of(config.parse({"modem": [{"name": "hat", "port": "/dev/x"}]}).modems[0]) == quotas.Limits()
    with pytest.raises(ConfigError, match=r"quota_per_day = -1 \(« hat »\) : doit être au moins 0"):
        config.parse({"modem": [{"name": "hat", "port": "/dev/x", "quota_per_day": -1}]})
    assert "quota_per_month" in {k.name for k in config.TABLES["kannel"].keys}
    text = config.default_file()
    assert "# quota_recipients_per_month = 200" in text and "\npriority = 0" in text


def test_the_composer_warning_says_how_many_recipients_are_left(database, tmp_path):
    settings = config.parse({"database": {"path": str(tmp_path / "v.db")},
                             "modem": [{"name": "hat", "port": "/dev/x", "quota_recipients_per_month": 200}]})
    for i in range(20):
        sent("hat", f"+336000{i:05d}", paris(2026, 12, 1, 8, 0))
    now = paris(2026, 12, 1, 9, 0)
    phones = [f"+336100{i:05d}" for i in range(546)]
    warning = quotas.alert_warning(settings, phones, parts=1, now=now)
    assert warning == ("Cette alerte dépasse le quota de la SIM : 180 destinataires restants ce mois-ci. "
                       "Les 366 autres attendront que le quota le permette, ou que l'alerte expire.")
    assert quotas.alert_warning(settings, phones[:180], parts=1, now=now) == ""
    # Recipients already counted this month do not take a new place.
    known = [f"+336000{i:05d}" for i in range(20)] + phones[:180]
    assert quotas.alert_warning(settings, known, parts=1, now=now) == ""
    # A route without a cap takes what the SIM cannot: no warning.
    both = config.parse({"database": {"path": str(tmp_path / "v.db")},
                         "modem": [{"name": "hat", "port": "/dev/x", "quota_recipients_per_month": 200}],
                         "kannel": [{"name": "op", "sendsms_url": "http://127.0.0.1:13013/cgi-bin/sendsms",
                                     "username": "u", "password": "p"}],
                         "daemon": SECRET})
    assert quotas.alert_warning(both, phones, parts=1, now=now) == ""


def test_the_daily_window_of_two_sims_in_the_warning(database, tmp_path):
    settings = config.parse({"database": {"path": str(tmp_path / "v.db")},
                             "modem": [{"name": "a", "port": "/dev/x", "quota_per_day": 10},
                                       {"name": "b", "port": "/dev/y", "quota_per_day": 11}]})
    TransportStatus.create(name="a", state="ready")
    TransportStatus.create(name="b", state="disconnected")
    # Only « a » is ready: 10 SMS a day, 5 recipients of a 2-part message.
    warning = quotas.alert_warning(settings, [f"+3361000000{i}" for i in range(8)], parts=2)
    assert warning.startswith("Cette alerte dépasse le quota de la SIM : 5 destinataires restants aujourd'hui. "
                              "Les 3 autres attendront")
    TransportStatus.update(state="ready").where(TransportStatus.name == "b").execute()
    warning = quotas.alert_warning(settings, [f"+336100000{i:02d}" for i in range(30)], parts=1)
    assert warning.startswith("Cette alerte dépasse le quota des SIM : 21 destinataires restants aujourd'hui")
    assert quotas.alert_warning(settings, ["+33610000000"], parts=1) == ""


def test_status_json_transports_carry_their_quota(tmp_path):
    settings = daemon_settings(tmp_path, [])
    path = tmp_path / "vigie.toml"
    path.write_text(f'[database]\npath = "{settings.database.path}"\n\n[[modem]]\nname = "sim0"\n'
                    f'port = "/dev/gsm-modem"\npriority = 3\nquota_per_day = 300\nquota_recipients_per_month = 200\n'
                    f'\n[button]\nenabled = false\n', encoding="utf-8")
    from vigie.daemon.core import db as db_mod
    db_mod.open_database(settings.database.path)
    TransportStatus.create(name="sim0", kind="gsm", priority=3, state="ready")
    outbox.enqueue("+33600000001", "a")
    outbox.claim("sim0")
    db_mod.close_database()
    out = vigie(path, "status", "--json", check=True)
    transport = json.loads(out.stdout)["transports"][0]
    assert (transport["name"], transport["kind"], transport["state"], transport["priority"]) == \
        ("sim0", "gsm", "ready", 3)
    assert transport["quota"]["day"] == {"used": 1, "limit": 300}
    assert transport["quota"]["recipients_month"] == {"used": 1, "limit": 200}
    assert transport["quota"]["minute"] == {"used": 1, "limit": None}
    text = vigie(path, "status", check=True).stdout
    assert "  quotas : SMS aujourd'hui 1/300, destinataires ce mois-ci 1/200\n" in text


def test_vigie_alert_send_says_the_quota_warning(tmp_path):
    from vigie.daemon.core import db as db_mod
    from vigie.daemon.core import members
    path = tmp_path / "vigie.toml"
    db = tmp_path / "vigie.db"
    path.write_text(f'[database]\npath = "{db}"\n\n[[modem]]\nname = "hat"\nport = "/dev/gsm-modem"\n'
                    f'quota_recipients_per_month = 2\n\n[button]\nenabled = false\n', encoding="utf-8")
    db_mod.open_database(str(db))
    for n in range(3):
        members.add(siret=siret_for(n + 1), name=f"Commerce {n}", naf="47.77Z", commune="61006",
                    phones=[f"+3361000000{n}"], actor="test")
    db_mod.close_database()
    out = vigie(path, "alert", "send", "--text", "Vol signalé", "--all", "--dry-run", check=True).stdout
    assert ("Attention : Cette alerte dépasse le quota de la SIM : 2 destinataires restants ce mois-ci. "
            "1 autre destinataire attendra que le quota le permette, ou que l'alerte expire.") in out
    data = json.loads(vigie(path, "alert", "send", "--text", "Vol signalé", "--all", "--dry-run", "--json",
                            check=True).stdout)
    assert data["quota_warning"].startswith("Cette alerte dépasse le quota de la SIM : 2 destinataires")
