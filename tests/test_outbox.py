"""The outbox state machine on a real SQLite file: claims, outcomes, retries, reports, expiry."""

import threading
import time

import pytest

from vigie.daemon.core import outbox
from vigie.daemon.core.models import Attempt, Message, Part, StatusReport
from vigie.daemon.core.outbox import State
from vigie.daemon.transport import reports
from vigie.daemon.transport.gsm.modem import Report
from vigie.daemon.transport.gsm.transport import delivery_report


def test_transition_table_refuses_illegal_moves(database):
    m = outbox.enqueue("+33612345678", "x")
    with pytest.raises(outbox.IllegalTransition):
        outbox.transition(m.id, State.DELIVERED, State.QUEUED)
    assert Message.get_by_id(m.id).state == "queued"


def test_transition_is_compare_and_set(database):
    m = outbox.enqueue("+33612345678", "x")
    assert outbox.transition(m.id, State.CANCELLED, State.QUEUED)
    assert not outbox.transition(m.id, State.SENDING, State.QUEUED)
    assert Message.get_by_id(m.id).state == "cancelled"


def test_claim_takes_highest_priority_first_then_oldest(database):
    a = outbox.enqueue("+33600000001", "normal 1")
    b = outbox.enqueue("+33600000002", "normal 2")
    panic = outbox.enqueue("+33600000003", "panique", priority=outbox.PRIORITY_PANIC)
    order = [outbox.claim("m0").id for _ in range(3)]
    assert order == [panic.id, a.id, b.id]
    assert outbox.claim("m0") is None
    claimed = Message.get_by_id(a.id)
    assert claimed.state == "sending" and claimed.attempts == 1 and claimed.modem == "m0"
    assert Attempt.select().where(Attempt.message == a.id).count() == 1


def test_concurrent_claims_never_take_the_same_row(database):
    ids = [outbox.enqueue(f"+336{i:08d}", "t").id for i in range(200)]
    taken: dict[str, list[int]] = {"a": [], "b": [], "c": []}

    def work(name):
        while True:
            m = outbox.claim(name)
            if m is None:
                return
            taken[name].append(m.id)

    threads = [threading.Thread(target=work, args=(n,)) for n in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = taken["a"] + taken["b"] + taken["c"]
    assert sorted(everything) == sorted(ids)
    assert len(set(everything)) == len(everything)


def test_retry_is_scheduled_then_fails_after_max_attempts(database):
    m = outbox.enqueue("+33612345678", "x", max_attempts=2)
    claimed = outbox.claim("m0")
    assert outbox.mark_retry(claimed, "+CMS ERROR 38", code=38, base=10, cap=60) == State.RETRY_WAIT
    row = Message.get_by_id(m.id)
    assert row.state == "retry_wait"
    assert row.next_attempt_at > time.time() + 4          # jittered within [5, 10] s
    assert outbox.claim("m0") is None                      # not due yet
    assert outbox.claim("m0", now=row.next_attempt_at + 1).id == m.id
    claimed = Message.get_by_id(m.id)
    assert outbox.mark_retry(claimed, "+CMS ERROR 38", code=38) == State.FAILED
    row = Message.get_by_id(m.id)
    assert row.state == "failed" and "2 tentative" in row.error and row.finished_at


def test_backoff_grows_and_is_capped():
    delays = [outbox.backoff(n, 10, 100) for n in range(1, 10)]
    assert all(5 <= d <= 100 for d in delays)
    assert outbox.backoff(8, 10, 100) >= 50                # capped at 100, jitter keeps ≥ half


def test_recover_in_flight_requeues_and_flags(database):
    m = outbox.enqueue("+33612345678", "x")
    outbox.claim("m0")
    assert outbox.recover_in_flight() == 1
    row = Message.get_by_id(m.id)
    assert row.state == "queued" and row.possible_duplicate
    assert Attempt.get(Attempt.message == m.id).outcome == "unknown"


def test_expiry_and_cancellation(database):
    stale = outbox.enqueue("+33600000001", "x", expires_at=time.time() - 1)
    fresh = outbox.enqueue("+33600000002", "y", expires_at=time.time() + 3600)
    assert outbox.expire_due() == 1
    assert Message.get_by_id(stale.id).state == "expired"
    assert outbox.claim("m0").id == fresh.id


def report(transport, mr, phone, tp_st):
    """A GSM status report (TP-MR, TP-ST) as the GSM transport hands it over, matched."""
    return reports.match(transport, delivery_report(Report(mr=mr, number=phone, status=tp_st)))


def _sent_message(phone="+33612345678", parts=1, mrs=(7,), modem="m0", sent_at=None):
    m = outbox.enqueue(phone, "x", parts=parts)
    claimed = outbox.claim(modem)
    for i, mr in enumerate(mrs, 1):
        outbox.record_part(claimed, i, parts, modem, str(mr), sent_at=sent_at)
    outbox.mark_sent(claimed)
    return m


def test_report_delivers_a_message_when_every_part_is_delivered(database):
    m = _sent_message(parts=2, mrs=(10, 11))
    report("m0", 10, "+33612345678", 0)
    assert Message.get_by_id(m.id).state == "sent"
    report("m0", 11, "33612345678", 0)            # number without '+', as some SMSC send it
    row = Message.get_by_id(m.id)
    assert row.state == "delivered" and row.delivered_at


def test_report_matching_across_the_wrap_picks_the_recent_part(database):
    old = _sent_message(mrs=(5,), sent_at=time.time() - 3600)
    new = _sent_message(mrs=(5,))
    report("m0", 5, "+33612345678", 0)
    assert Message.get_by_id(new.id).state == "delivered"
    assert Message.get_by_id(old.id).state == "sent"


def test_report_for_another_modem_or_unknown_reference_is_kept_unmatched(database):
    m = _sent_message(mrs=(9,))
    r1 = report("m1", 9, "+33612345678", 0)
    r2 = report("m0", 200, "+33612345678", 0)
    assert r1.part is None and r2.part is None
    assert StatusReport.select().count() == 2
    assert Message.get_by_id(m.id).state == "sent"


def test_temporary_then_permanent_report(database):
    m = _sent_message(mrs=(3,))
    report("m0", 3, "+33612345678", 0x30)
    assert Message.get_by_id(m.id).state == "sent"
    assert Part.get(Part.message == m.id).status == "pending"
    report("m0", 3, "+33612345678", 0x43)
    row = Message.get_by_id(m.id)
    assert row.state == "failed" and "Non remis" in row.error


def test_cancel_alert_leaves_sent_messages_alone(database):
    from vigie.daemon.core.models import Alert
    alert = Alert.create(text="t")
    a = outbox.enqueue("+33600000001", "t", alert=alert)
    b = outbox.enqueue("+33600000002", "t", alert=alert)
    first = outbox.claim("m0")
    outbox.mark_sent(first)
    assert outbox.cancel_alert(alert.id) == 1
    states = {m.id: m.state for m in Message.select()}
    assert states[first.id] == "sent"
    assert states[({a.id, b.id} - {first.id}).pop()] == "cancelled"
    assert outbox.counts(alert.id)["cancelled"] == 1
