"""Kannel's callbacks to the box: the listener stores each one before answering, once, and only with the
secret; the stored reports match their parts and the incoming SMS reach the inbox (STOP unsubscribes).
Everything through real bearerbox + smsbox and the simulated SMSC, on a real SQLite file."""

import urllib.request

import pytest

from tests.fixtures_kannel import (
    SECRET,
    free_port,
    http_get,
    listen_of,
    send_through,
    state_of,
    transport_of,
    wait_until,
)
from vigie.daemon.core import callbacks, inbox
from vigie.daemon.core.models import Callback, Contact, InboundSms, Member, Message, OptOut, Part
from vigie.daemon.simulator.smsc.protocol import ESME_RSUBMITFAIL
from vigie.daemon.transport.kannel import conf as kconf
from vigie.daemon.transport.kannel.callbacks import apply_pending

ROUTE = "operateur"


def test_reports_through_kannel_match_their_parts(smsc, kannel, listener):
    lst = listener()
    k = kannel(callback_listen=listen_of(lst), callback_secret=SECRET)
    t = transport_of(k)
    long_text = "Alerte cambriolages : " + "fermez vos locaux et signalez tout véhicule suspect au 17. " * 3
    messages = [send_through(t, f"+3361234567{n}", long_text if n == 0 else f"Alerte {n}", ref=n)
                for n in range(4)]
    assert messages[0].parts == 2
    for m in messages:
        assert wait_until(lambda m=m: state_of(m.id) == "delivered", 60), k.logs()
    assert {p.status for p in Part.select()} == {"delivered"}
    outcomes = [c.outcome for c in Callback.select()]
    assert outcomes.count("matched") == 5 and outcomes.count("accepted") == 5
    assert callbacks.pending_count() == 0


def test_undeliverable_and_refused_parts_fail_their_message(smsc, kannel, listener):
    lst = listener()
    k = kannel(callback_listen=listen_of(lst), callback_secret=SECRET)
    t = transport_of(k)
    smsc.set_report("undeliverable")
    lost = send_through(t, "+33612345001", "Jamais remis")
    assert wait_until(lambda: state_of(lost.id) == "failed", 60), k.logs()
    assert Message.get_by_id(lost.id).error == "Non remis par le réseau (non distribuable, erreur 001)."
    smsc.refuse(ESME_RSUBMITFAIL)
    refused = send_through(t, "+33612345002", "Refusé par l'opérateur")
    assert wait_until(lambda: state_of(refused.id) == "failed", 60), k.logs()
    row = Message.get_by_id(refused.id)
    assert row.error_code == ESME_RSUBMITFAIL
    assert row.error == "Non remis par le réseau (refusé par l'opérateur, erreur SMPP 0x45)."


def test_stop_sent_through_the_smsc_unsubscribes_the_member(smsc, kannel, listener):
    lst = listener()
    kannel(callback_listen=listen_of(lst), callback_secret=SECRET)
    member = Member.create(name="Boulangerie Lemoine", naf="10.71C")
    Contact.create(member=member, phone="+33698765432")
    smsc.inject_mo("+33698765432", "Stop")
    assert wait_until(lambda: apply_pending().get("inbox") or InboundSms.select().count(), 30)
    assert inbox.handle_pending(None) == 1
    sms = InboundSms.get()
    assert (sms.phone, sms.text, sms.kind, sms.member_id) == ("+33698765432", "Stop", "stop", member.id)
    assert OptOut.get_or_none(OptOut.phone == "+33698765432") is not None
    assert Message.get().text == inbox.STOP_REPLY       # the confirmation is queued, to go out like any SMS


def test_unicode_report_from_a_member_reaches_the_inbox(smsc, kannel, listener):
    lst = listener()
    kannel(callback_listen=listen_of(lst), callback_secret=SECRET)
    text = "Signalement : deux hommes rôdent près de l'entrepôt ☎ rue de Flers"
    smsc.inject_mo("+33698765433", text)
    assert wait_until(lambda: apply_pending().get("inbox") or InboundSms.select().count(), 30)
    assert InboundSms.get().text == text


def test_callbacks_survive_a_box_that_is_down(smsc, kannel, listener, database):
    """The box is not listening when the SMS comes: smsbox keeps it and retries; once the box listens
    again it is stored once, applied once."""
    port = free_port()
    kannel(callback_listen=f"127.0.0.1:{port}", callback_secret=SECRET)
    smsc.inject_mo("+33698765434", "START")
    assert smsc.wait_delivered(1, 30)          # bearerbox has it: the SMSC is done with it
    lst = listener(port)
    assert wait_until(lambda: lst.stored == 1, 60)
    apply_pending()
    assert InboundSms.select().count() == 1 and callbacks.pending_count() == 0


def test_forged_and_repeated_callbacks(listener, database):
    lst = listener()
    base = f"http://127.0.0.1:{lst.address[1]}"
    good = f"{base}{kconf.MO_PATH}?secret={SECRET}&from=%2B33698765435&to=36180&text=STOP&coding=0" \
           f"&charset=UTF-8&time=1796145729&id=4f0c-1"
    assert http_get(good.replace(SECRET, "mauvais-secret"))[0] == 403
    assert http_get(good.replace(f"secret={SECRET}&", ""))[0] == 403
    assert Callback.select().count() == 0 and lst.refused == 2
    assert http_get(good)[0] == 200
    assert http_get(good)[0] == 200                       # Kannel retrying: the same call is one row
    assert Callback.select().count() == 1 and lst.repeats == 1
    assert http_get(f"{base}/ailleurs?secret={SECRET}")[0] == 404
    assert http_get(f"{base}{kconf.DLR_PATH}?secret={SECRET}&status=1")[0] == 400
    # a forged report with the right shape but no such part changes nothing and stays unapplied
    dlr = f"{base}{kconf.DLR_PATH}?secret={SECRET}&route={ROUTE}&message=999&part=1&attempt=1&status=1"
    assert http_get(dlr)[0] == 200
    assert apply_pending() == {"inbox": 1}
    assert apply_pending() == {}                          # applied once
    assert InboundSms.select().count() == 1
    request = urllib.request.Request(good, method="POST", data=b"")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 405
