"""The worker's policy through the in-process fake transport (daemon/transport/fake.py), on a real
SQLite file: pipelining claims ahead, an outranked claim is given back, errors map to outcomes,
reports are matched, incoming SMS are stored, a lost link gives back what was claimed ahead.
The end-to-end truth (python-gsmmodem-new on the pty simulator) is tests/test_daemon.py's."""

import contextlib
import threading

import pytest

from tests.fixtures_daemon import daemon_settings, wait_until
from vigie.daemon.core import outbox
from vigie.daemon.core.errors import OutcomeUnknown, PermanentFailure, RetryLater, TransportGone
from vigie.daemon.core.models import Attempt, InboundSms, Message, Part, StatusReport, TransportStatus
from vigie.daemon.transport.fake import FakeTransport
from vigie.daemon.transport.worker import TransportWorker


@pytest.fixture
def settings(tmp_path):
    return daemon_settings(tmp_path, [], retry_base_seconds=0.1, retry_max_seconds=0.2)


@contextlib.contextmanager
def running(transport, settings, **kw):
    wake, stop = threading.Event(), threading.Event()
    worker = TransportWorker(transport, settings, wake, stop, **kw)
    worker.start()
    try:
        yield worker
    finally:
        transport.release()
        stop.set()
        wake.set()
        worker.join(10)
        assert not worker.is_alive()


def state(message_id: int) -> str:
    return Message.get_by_id(message_id).state


def test_a_message_goes_out_and_its_report_delivers_it(database, settings):
    fake = FakeTransport()
    m = outbox.enqueue("+33611111111", "x" * 300, parts=1)
    with running(fake, settings):
        assert wait_until(lambda: state(m.id) == "delivered", 10), state(m.id)
    assert [(a.number, a.count) for a in fake.air] == [(1, 2), (2, 2)]
    parts = list(Part.select().where(Part.message == m.id).order_by(Part.number))
    assert [(p.reference, p.status, p.modem) for p in parts] == [("1", "delivered", "fake0"),
                                                                 ("2", "delivered", "fake0")]
    assert Message.get_by_id(m.id).parts == 2
    row = TransportStatus.get_by_id("fake0")
    assert (row.kind, row.sent_count, row.state) == ("fake", 1, "disconnected")     # stopped


def test_the_next_message_is_claimed_while_a_segment_is_on_its_way(database, settings):
    fake = FakeTransport()
    ids = [outbox.enqueue(f"+3361111111{i}", f"m{i}").id for i in range(3)]
    fake.hold()
    with running(fake, settings):
        assert wait_until(lambda: len(fake.air) == 1, 10)
        # m0 on its way, its reference not yet back: m1 is already claimed (durable), m0 not yet recorded.
        assert wait_until(lambda: state(ids[1]) == "sending", 10)
        assert state(ids[0]) == "sending" and state(ids[2]) == "queued"
        assert Part.select().count() == 0
        fake.submitted.clear()
        fake.release()
        assert wait_until(lambda: all(state(i) == "delivered" for i in ids), 10), [state(i) for i in ids]
    assert [a.phone for a in fake.air] == [f"+3361111111{i}" for i in range(3)]
    assert all(Attempt.select().where(Attempt.message == i).count() == 1 for i in ids)


def test_a_claim_ahead_outranked_by_a_panic_message_is_given_back_untouched(database, settings):
    fake = FakeTransport()
    first, ahead = outbox.enqueue("+33600000001", "a").id, outbox.enqueue("+33600000002", "b").id
    fake.hold()
    with running(fake, settings):
        assert wait_until(lambda: len(fake.air) == 1 and state(ahead) == "sending", 10)
        panic = outbox.enqueue("+33600000099", "PANIQUE", priority=outbox.PRIORITY_PANIC).id
        fake.release()
        assert wait_until(lambda: all(state(i) == "delivered" for i in (first, ahead, panic)), 10)
    assert [a.phone for a in fake.air] == ["+33600000001", "+33600000099", "+33600000002"]
    given_back = Message.get_by_id(ahead)
    assert given_back.attempts == 1 and not given_back.possible_duplicate
    assert [a.outcome for a in Attempt.select().where(Attempt.message == ahead)] == ["sent"]


@pytest.mark.parametrize("error, at, expected, flagged, attempts", [
    (RetryLater("réseau hors service", code=38), "submit", "delivered", False, 2),
    (PermanentFailure("numéro non attribué", code=1), "submit", "failed", False, 1),
    (OutcomeUnknown("pas de réponse"), "result", "delivered", True, 2),
])
def test_each_error_maps_to_its_outcome(database, settings, error, at, expected, flagged, attempts):
    fake = FakeTransport()
    fake.fail("+33612345678", error, at=at)
    m = outbox.enqueue("+33612345678", "x")
    with running(fake, settings):
        assert wait_until(lambda: state(m.id) == expected, 10), state(m.id)
    row = Message.get_by_id(m.id)
    assert (row.attempts, row.possible_duplicate) == (attempts, flagged)
    outcomes = [a.outcome for a in Attempt.select().where(Attempt.message == m.id).order_by(Attempt.number)]
    assert outcomes == {"delivered": outcomes[:1] + ["sent"], "failed": ["permanent"]}[expected]
    if expected == "failed":
        assert row.error.startswith("Refusé par le réseau") and row.error_code == 1


def test_transport_gone_before_the_send_releases_the_message_unflagged_and_reconnects(database, settings):
    fake = FakeTransport()
    fake.fail("+33612345678", TransportGone("port perdu avant l'envoi"), at="submit")
    m = outbox.enqueue("+33612345678", "x")
    with running(fake, settings):
        assert wait_until(lambda: state(m.id) == "delivered", 10), state(m.id)
    row = Message.get_by_id(m.id)
    assert fake.opens == 2 and len(fake.air) == 1
    assert row.attempts == 1 and not row.possible_duplicate
    assert [a.outcome for a in Attempt.select().where(Attempt.message == m.id)] == ["modem_gone", "sent"]


def test_transport_gone_after_the_send_is_a_flagged_duplicate(database, settings):
    fake = FakeTransport()
    gone = TransportGone("port perdu pendant l'envoi")
    fake.fail("+33612345678", gone, at="result")
    m = outbox.enqueue("+33612345678", "x")
    with running(fake, settings):
        assert wait_until(lambda: state(m.id) == "delivered", 10), state(m.id)
    row = Message.get_by_id(m.id)
    assert fake.opens == 2 and len(fake.air) == 2
    assert row.possible_duplicate and row.attempts == 2


def test_reports_are_matched_failed_and_unknown_ones_kept(database, settings):
    fake = FakeTransport()
    fake.outcome["+33622222222"] = "failed"
    ok, refused = outbox.enqueue("+33611111111", "a").id, outbox.enqueue("+33622222222", "b").id
    with running(fake, settings):
        assert wait_until(lambda: state(ok) == "delivered" and state(refused) == "failed", 10)
        fake.report("999", "+33633333333")                      # nobody's
        assert wait_until(lambda: StatusReport.select().count() == 3, 10)
    assert "refus simulé" in Message.get_by_id(refused).error
    assert StatusReport.get(StatusReport.reference == "999").part is None


def test_a_report_with_the_box_ids_is_matched_on_them(database, settings):
    fake = FakeTransport(default_outcome=None)
    m = outbox.enqueue("+33611111111", "a").id
    with running(fake, settings):
        assert wait_until(lambda: state(m) == "sent", 10)
        ids = fake.air[0].ids
        assert ids == {"message": m, "part": 1, "attempt": 1}
        fake.report("un-autre-identifiant", "", ids=ids)
        assert wait_until(lambda: state(m) == "delivered", 10)


def test_incoming_sms_are_stored_and_concatenated_ones_reassembled(database, settings):
    fake = FakeTransport()
    told = threading.Event()
    with running(fake, settings, on_incoming=told.set):
        fake.receive("+33611111111", "STOP")
        fake.receive("+33622222222", "seconde partie", concat=(9, 2, 2))
        fake.receive("+33622222222", "première partie, ", concat=(9, 2, 1))
        assert wait_until(lambda: InboundSms.select().count() == 2, 10)
    assert told.is_set()
    assert {(s.phone, s.text, s.modem) for s in InboundSms.select()} == {
        ("+33611111111", "STOP", "fake0"), ("+33622222222", "première partie, seconde partie", "fake0")}


def test_a_lost_link_gives_back_the_message_claimed_ahead(database, settings):
    fake = FakeTransport()
    first, ahead = outbox.enqueue("+33600000001", "a").id, outbox.enqueue("+33600000002", "b").id
    fake.hold()
    with running(fake, settings) as worker:
        assert wait_until(lambda: len(fake.air) == 1 and state(ahead) == "sending", 10)
        fake.lose_link("câble débranché")
        fake.release()
        assert wait_until(lambda: fake.opens == 2, 10)
        assert wait_until(lambda: all(state(i) == "delivered" for i in (first, ahead)), 10)
        assert worker.state == "ready"
    row = Message.get_by_id(ahead)
    assert row.attempts == 1 and not row.possible_duplicate
    assert [a.outcome for a in Attempt.select().where(Attempt.message == ahead)] == ["sent"]
    assert [a.phone for a in fake.air] == ["+33600000001", "+33600000002"]


def test_no_network_sends_nothing_and_gives_back(database, settings):
    fake = FakeTransport()
    fake.up = False
    m = outbox.enqueue("+33600000001", "a").id
    with running(fake, settings) as worker:
        assert wait_until(lambda: TransportStatus.get_or_none(TransportStatus.name == "fake0")
                          and TransportStatus.get_by_id("fake0").state == "degraded", 10)
        assert worker.state == "degraded" and state(m) == "queued" and fake.air == []
        assert TransportStatus.get_by_id("fake0").last_error == "réseau simulé absent"
        fake.up = True
        assert wait_until(lambda: state(m) == "delivered", 10)


def test_a_text_the_transport_cannot_split_fails_with_its_reason(database, settings):
    fake = FakeTransport()
    m = outbox.enqueue("0612345678", "a").id
    with running(fake, settings):
        assert wait_until(lambda: state(m) == "failed", 10)
    assert Message.get_by_id(m).error.startswith("Texte ou numéro impossible à encoder")
