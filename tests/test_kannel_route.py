"""The real pieces together: smsbox's sendsms interface -> bearerbox -> SMPP -> the simulated SMSC, and back:
delivery reports to the dlr-url of each part, incoming SMS to the sms-service get-url."""

import pytest

from tests.fixtures_kannel import latin1_to_text
from vigie.daemon.simulator.smsc.protocol import ESME_RSUBMITFAIL
from vigie.daemon.transport.kannel import conf as kconf

PHONE = "+33612345678"


def udh(ref, count, number) -> bytes:
    return bytes([5, 0, 3, ref, count, number])


def dlr(callbacks, message, part, status, timeout=30):
    return callbacks.wait(lambda c: c.path == kconf.DLR_PATH and c.query.get("message") == str(message)
                          and c.query.get("part") == str(part) and c.query.get("status") == str(status), timeout)


def test_multipart_message_with_reports_per_part(smsc, kannel, callbacks):
    k = kannel()
    parts = ["Cambriolages en série à Flers cette nuit : fermez vos locaux, ",
             "signalez tout véhicule suspect au 17. Gendarmerie de l'Orne"]
    for number, text in enumerate(parts, 1):
        status, body = k.sendsms(to=PHONE, text=text, coding="0", udh=udh(0x2A, 2, number),
                                 dlr_ids={"message": 41, "part": number, "attempt": 1})
        assert status == 202, body
    assert smsc.wait_air(2, 30), k.logs()
    air = sorted(smsc.air(), key=lambda a: a["part"])
    assert [(a["phone"], a["part"], a["parts"], a["ref"], a["text"]) for a in air] == [
        (PHONE, 1, 2, 0x2A, parts[0]), (PHONE, 2, 2, 0x2A, parts[1])]
    assert all(a["from"] == "GEND61" and a["encoding"] == "gsm7" for a in air)
    for number, entry in enumerate(air, 1):
        accepted = dlr(callbacks, 41, number, kconf.DLR_SMSC_ACK)
        delivered = dlr(callbacks, 41, number, kconf.DLR_DELIVERED)
        assert accepted is not None and delivered is not None, k.logs()
        assert accepted.query["secret"] == "t0ken" and accepted.query["attempt"] == "1"
        assert accepted.query["foreign"] == delivered.query["foreign"]
        assert "stat:DELIVRD" in delivered.query["answer"]
        assert delivered.query["phone"] == PHONE
    # the SMSC's own ids are not the box's: each part is known by the box's ids only
    foreigns = {c.query["foreign"] for c in callbacks.calls(kconf.DLR_PATH)}
    assert foreigns == {a["message_id"] for a in air}


def test_ucs2_part_and_undeliverable_report(smsc, kannel, callbacks):
    k = kannel()
    smsc.set_report("undeliverable", delay=0.2)
    text = "Alerte ☎ : vol de câbles à Alençon"
    status, body = k.sendsms(to=PHONE, text=text, coding="2", charset="UTF-8",
                             dlr_ids={"message": 9, "part": 1, "attempt": 2})
    assert status == 202, body
    assert smsc.wait_air(1, 30)
    entry = smsc.air()[0]
    assert entry["encoding"] == "ucs2" and entry["text"] == text
    failed = dlr(callbacks, 9, 1, kconf.DLR_FAILED)
    assert failed is not None, k.logs()
    assert "stat:UNDELIV" in failed.query["answer"] and failed.query["attempt"] == "2"
    assert dlr(callbacks, 9, 1, kconf.DLR_DELIVERED, timeout=1) is None


def test_refusal_by_the_smsc_reaches_the_dlr_url(smsc, kannel, callbacks):
    k = kannel()
    smsc.refuse(ESME_RSUBMITFAIL)
    status, body = k.sendsms(to=PHONE, text="Refusé", dlr_ids={"message": 5, "part": 1, "attempt": 1})
    assert status == 202, body
    nack = dlr(callbacks, 5, 1, kconf.DLR_SMSC_NACK)
    assert nack is not None, k.logs()
    assert nack.query["answer"].startswith("NACK/") and "0x00000045" in nack.query["answer"].lower()
    assert smsc.air() == []


def test_throttling_smsc_loses_nothing(smsc, kannel, callbacks):
    k = kannel()
    smsc.throttle(2)
    for n in range(1, 7):
        status, body = k.sendsms(to=f"+3361234560{n}", text=f"Message {n}",
                                 dlr_ids={"message": 100 + n, "part": 1, "attempt": 1})
        assert status == 202, body
    assert smsc.wait_air(6, 60), k.logs()
    assert sorted(a["text"] for a in smsc.air()) == [f"Message {n}" for n in range(1, 7)]
    assert smsc.events("submit_refused"), "the simulated SMSC never throttled"
    for n in range(1, 7):
        assert dlr(callbacks, 100 + n, 1, kconf.DLR_DELIVERED, timeout=60) is not None, k.logs()


@pytest.mark.parametrize("text", ["STOP", "Signalement : deux hommes rôdent près de l'entrepôt ☎"])
def test_incoming_sms_reaches_the_sms_service(smsc, kannel, callbacks, text):
    kannel()
    smsc.inject_mo("+33698765432", text)
    mo = callbacks.wait(lambda c: c.path == kconf.MO_PATH, 30)
    assert mo is not None
    assert mo.query["secret"] == "t0ken"
    assert mo.query["from"] == "+33698765432" and mo.query["to"] == smsc.mo_destination
    assert latin1_to_text(mo.query["text"]) == text
    assert smsc.wait_delivered(1, 10)


def test_callbacks_not_answered_200_are_retried(smsc, kannel, callbacks):
    kannel()
    callbacks.status = 503
    smsc.inject_mo("+33698765432", "START")
    first = callbacks.wait(lambda c: c.path == kconf.MO_PATH, 30)
    assert first is not None
    callbacks.status = 200
    calls = callbacks.wait_count(lambda c: c.path == kconf.MO_PATH, 2, 30)
    assert len(calls) >= 2 and calls[1].query["id"] == first.query["id"]
