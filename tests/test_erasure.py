"""RGPD erasure (issue 14): after erasing a member, the number is nowhere in the database file, in no
form, except on the STOP list when the member had answered STOP."""

import os
import sqlite3

import pytest

from vigie.daemon.core import alerts, audit, inbox, members, outbox
from vigie.daemon.core.models import AuditLog, InboundPart, InboundSms, database
from vigie.daemon.core.targeting import Targeting
from vigie.daemon.transport import reports
from vigie.daemon.transport.base import DeliveryReport

from .fixtures_domain import make_siret

PHONE = "+33645781239"
FORMS = ["+33645781239", "33645781239", "0645781239", "06 45 78 12 39", "06.45.78.12.39", "645781239"]


def history(settings, *, stop: bool):
    """Everything a year of use leaves about one member's phone, through the real modules."""
    member = members.add(siret=make_siret(7), name="Bijouterie Dupont", naf="47.77Z", commune="61001",
                         phones=["06 45 78 12 39"], contact="M. Dupont", actor="test")
    neighbour = members.add(siret=make_siret(8), name="Tabac", naf="47.26Z", commune="61001",
                            phones=["06 11 22 33 44"], actor="test")
    members.update(member.id, actor="test", notes="rappeler au 06.45.78.12.39")
    alert = alerts.create("Vols à Alençon cette nuit.", Targeting(all=True), settings=settings, author="t",
                          source="cli")
    # Two SMS parts on air, their delivery reports (one as the network writes the number).
    for _ in range(2):
        message = outbox.claim("hat")
        outbox.record_part(message, 1, 1, "hat", str(40 + message.id))
        outbox.mark_sent(message)
        reports.match("hat", DeliveryReport(reference=str(40 + message.id), phone=message.phone.lstrip("+"),
                                            status="delivered", raw_status=0))
    reports.match("hat", DeliveryReport(reference="200", phone="0645781239", status="failed",
                                        raw_status=0x46))                  # an unmatched report
    outbox.enqueue(PHONE, "Message isolé pour le 06 45 78 12 39", max_attempts=5)
    # What the phone sent: a report in two fragments, a report quoting the number from a neighbour.
    InboundPart.create(modem="hat", phone=PHONE, ref=9, number=1, count=2, text="Véhicule suspect ")
    InboundSms.create(modem="hat", phone=PHONE, text="Véhicule suspect devant la vitrine")
    InboundSms.create(modem="hat", phone="+33611223344", text="Le 0645781239 ne répond pas")
    audit.record(f"sms:{PHONE}", "test.detail", PHONE, {"phones": ["06 45 78 12 39"]})
    # What Kannel called the box with (a table a later migration added).
    from vigie.daemon.core.models import Callback
    Callback.create(kind="mo", key="mo-erasure-1", params='{"from": "+33645781239", "text": "STOP"}')
    if stop:
        InboundSms.create(modem="hat", phone=PHONE, text="STOP")
    inbox.handle_pending(settings)
    assert alert.id and neighbour.id
    return member


def dump_rows() -> list[tuple[str, str, str]]:
    """(table, column, value) for every text value of the database, read through SQL."""
    found = []
    for (table,) in database.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        cursor = database.execute_sql(f'SELECT * FROM "{table}"')
        columns = [d[0] for d in cursor.description]
        for row in cursor.fetchall():
            for column, value in zip(columns, row):
                if isinstance(value, str):
                    found.append((table, column, value))
    return found


def file_bytes(path: str) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-journal"):
        if os.path.exists(path + suffix):
            with open(path + suffix, "rb") as f:
                data += f.read()
    return data


def test_after_erasure_the_number_is_nowhere_in_the_file(domain_settings, db_path):
    member = history(domain_settings, stop=False)
    before = file_bytes(db_path)
    assert any(f.encode() in before for f in FORMS)
    members.erase(member.id, "test")
    leftovers = [(t, c, v) for t, c, v in dump_rows() if any(f in v for f in FORMS)]
    assert leftovers == []
    # The file itself, free pages and journal included, once the journal is checkpointed.
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = file_bytes(db_path)
    for form in FORMS:
        for encoded in {form.encode("utf-8"), form.encode("utf-16-le"), form.encode("utf-16-be")}:
            assert encoded not in raw, form
    # The neighbour's own number is untouched.
    assert members.phones_of(members.get(make_siret(8))) == ["+33611223344"]
    with sqlite3.connect(db_path) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_after_erasure_a_stopped_number_stays_only_on_the_stop_list(domain_settings, db_path):
    member = history(domain_settings, stop=True)
    members.erase(member.id, "test")
    leftovers = [(t, c) for t, c, v in dump_rows() if any(f in v for f in FORMS)]
    assert leftovers == [("opt_out", "phone")]
    # Still unreachable: a new alert to everyone skips it.
    alert = alerts.create("Nouvelle alerte.", Targeting(all=True), settings=domain_settings, author="t",
                          source="cli")
    assert alerts.summary(alert.id)["recipient_count"] == 1


def test_the_same_digits_inside_a_longer_number_are_left_alone(domain_settings):
    member = members.add(siret=make_siret(7), name="Bijouterie Dupont", naf="47.77Z", commune="61001",
                         phones=["06 45 78 12 39"], actor="test")
    audit.record("test", "test.longer", "réf. 106457812391", {"siret": "16457812390017", "tel": "0645781239"})
    members.erase(member.id, "test")
    longer = AuditLog.get(AuditLog.action == "test.longer")
    assert longer.target == "réf. 106457812391"
    assert "16457812390017" in longer.detail and "0645781239" not in longer.detail


@pytest.mark.parametrize("phone, expected", [
    ("+33645781239", {"+33645781239", "0033645781239", "33645781239", "0645781239", "06 45 78 12 39",
                      "06.45.78.12.39", "06-45-78-12-39", "645781239"}),
    ("+590690001234", {"+590690001234", "00590690001234", "590690001234"}),
])
def test_phone_forms(phone, expected):
    assert set(members.phone_forms(phone)) == expected
