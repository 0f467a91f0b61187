"""The console and the quotas: the dashboard shows each transport's windows, the confirmation page
warns before an alert the transports available now cannot send."""

import html
import time

import pytest

from vigie.daemon.core import config
from vigie.daemon.core.models import Message, Part, TransportStatus

from .fixtures_web import ARGENTAN, add_member, phone_for


@pytest.fixture
def web_settings(db_path):
    return config.parse({"database": {"path": db_path},
                         "modem": [{"name": "hat", "port": "/dev/gsm-modem", "quota_per_day": 300,
                                    "quota_recipients_per_month": 3}]})


def sent(phone: str) -> None:
    m = Message.create(phone=phone, text="x", state="sent", modem="hat")
    Part.create(message=m.id, attempt=1, number=1, count=1, modem="hat", reference="1", phone=phone,
                sent_at=time.time() - 5)


def compose(client, **fields):
    data = {"text": "Vol à l'étalage signalé, soyez vigilants.", "action": "preview"}
    data.update(fields)
    return client.submit("/alertes/nouvelle", data, page="/alertes/nouvelle")


def test_the_confirmation_warns_when_the_sim_quota_is_exceeded(database, operator):
    TransportStatus.create(name="hat", kind="gsm", state="ready")
    for n in range(1, 6):
        add_member(n, commune=ARGENTAN)
    sent(phone_for(1))
    sent("+33699999999")                    # two recipients counted this month: one place left
    answer = compose(operator, sector_group="", naf_codes="47.77Z")
    assert answer.status == 200 and "5 téléphones recevront" in answer.text
    # phone_for(1) is counted already; one new place: 2 of the 5 can go now.
    assert ("Cette alerte dépasse le quota de la SIM : 2 destinataires restants ce mois-ci. "
            "Les 3 autres attendront que le quota le permette, ou que l'alerte expire.") in html.unescape(answer.text)
    assert 'id="quota-warning"' in answer.text
    small = compose(operator, sirets="")    # nothing chosen: refused before any warning
    assert 'id="quota-warning"' not in small.text


def test_no_warning_when_the_quota_allows_it(database, operator):
    TransportStatus.create(name="hat", kind="gsm", state="ready")
    add_member(1, commune=ARGENTAN)
    answer = compose(operator, naf_codes="47.77Z")
    assert "1 téléphone recevra" in answer.text and 'id="quota-warning"' not in answer.text


def test_the_dashboard_shows_each_transports_quotas(database, admin):
    TransportStatus.create(name="hat", kind="gsm", state="ready", priority=2)
    for phone in ("+33600000001", "+33600000002", "+33600000003"):
        sent(phone)
    page = admin.get("/")
    assert page.status == 200 and "Quotas des moyens d'envoi" in html.unescape(page.text)
    assert '<td data-window="day">3 / 300</td>' in page.text
    assert '<td data-window="recipients_month" class="quota-full">3 / 3 (plafond atteint)</td>' in page.text
    assert '<td data-window="minute">3 (sans limite)</td>' in page.text
    data = admin.get("/etat.json").json()
    assert data["transports"][0]["quota"]["recipients_month"] == {"used": 3, "limit": 3}
