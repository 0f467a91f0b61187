"""Routing between transports and their quotas, through several workers on in-process fake transports
sharing one router and one SQLite file: priority order, failover when the preferred transport goes
down or keeps refusing and back when it returns, quotas that skip a transport at its cap (the
monthly distinct recipients included), a panic message on the fastest transport.
The end-to-end truth, on two simulated modems, is tests/test_route_daemon.py's."""

import collections
import contextlib
import threading

import pytest

from tests.fixtures_daemon import daemon_settings, wait_until
from vigie.daemon.core import outbox
from vigie.daemon.core.errors import RetryLater, TransportGone
from vigie.daemon.core.models import Message
from vigie.daemon.core.quotas import Limits
from vigie.daemon.transport import routing
from vigie.daemon.transport.fake import FakeTransport
from vigie.daemon.transport.routing import Router
from vigie.daemon.transport.worker import TransportWorker


@pytest.fixture
def settings(tmp_path):
    return daemon_settings(tmp_path, [], retry_base_seconds=0.1, retry_max_seconds=0.2)


@contextlib.contextmanager
def running(transports, settings, router=None):
    """One worker per fake transport, sharing a router; yields once every one is ready."""
    wake, stop = threading.Event(), threading.Event()
    router = router or Router(settings)
    workers = [TransportWorker(t, settings, wake, stop, router=router) for t in transports]
    for w in workers:
        w.start()
    try:
        assert wait_until(lambda: all(w.state == "ready" for w in workers), 10)
        yield workers
    finally:
        for t in transports:
            t.release()
        stop.set()
        wake.set()
        for w in workers:
            w.join(10)
            assert not w.is_alive()


def states():
    return collections.Counter(m.state for m in Message.select(Message.state))


def broadcast(n: int, prefix: str = "+336100", text: str = "alerte") -> list[str]:
    phones = [f"{prefix}{i:05d}" for i in range(n)]
    outbox.enqueue_many([dict(phone=p, text=text, parts=1) for p in phones])
    return phones


def phones_on(fake) -> list[str]:
    return [a.phone for a in fake.air]


def assert_once_or_flagged(phones, *fakes):
    on_air = collections.Counter(p for f in fakes for p in phones_on(f))
    assert set(on_air) == set(phones)
    flagged = {m.phone for m in Message.select().where(Message.possible_duplicate == True)}  # noqa: E712
    assert {p for p, n in on_air.items() if n > 1} <= flagged


def test_the_transport_of_highest_priority_sends_everything(database, settings):
    best, fallback = FakeTransport("best", priority=10), FakeTransport("fallback", priority=0)
    with running([best, fallback], settings):
        phones = broadcast(30)
        assert wait_until(lambda: states().get("delivered") == 30, 20), states()
    assert phones_on(best) == phones and fallback.air == []


def test_equal_priorities_share_the_queue(database, settings):
    a, b = FakeTransport("a", latency=0.05), FakeTransport("b", latency=0.05)
    with running([a, b], settings):
        phones = broadcast(40)
        assert wait_until(lambda: states().get("delivered") == 40, 20), states()
    assert sorted(phones_on(a) + phones_on(b)) == phones and a.air and b.air


def test_the_preferred_transport_goes_down_the_other_takes_over_then_it_comes_back(database, settings):
    best = FakeTransport("best", priority=10, latency=0.03)
    fallback = FakeTransport("fallback", priority=0, latency=0.03)
    with running([best, fallback], settings) as (w_best, _):
        phones = broadcast(150)
        assert wait_until(lambda: len(best.air) >= 10, 20)
        best.up = False                                    # no network: its worker leaves « prêt »
        assert wait_until(lambda: w_best.state == "degraded", 10)
        assert wait_until(lambda: len(fallback.air) >= 10, 20)
        best.up = True
        assert wait_until(lambda: w_best.state == "ready", 10)
        back_at = len(best.air)
        assert wait_until(lambda: states().get("delivered") == 150, 30), states()
    assert len(best.air) > back_at                         # it took the queue back
    # Once back, the fallback finished at most what it held claimed: the end of the broadcast is the best's.
    assert phones_on(best)[-1] == phones[-1]
    assert_once_or_flagged(phones, best, fallback)
    assert not Message.select().where(Message.possible_duplicate == True).count()  # noqa: E712


def test_a_transport_that_keeps_refusing_is_relieved_then_tried_again(database, settings, monkeypatch):
    """The breaker (transport/breaker.py) pauses it; the others take the queue; then it is tried again."""
    from vigie.daemon.transport import breaker
    monkeypatch.setattr(routing, "REFUSE_SECONDS", 1.0)
    monkeypatch.setattr(breaker, "FIRST_PAUSE", 1.0)
    best = FakeTransport("best", priority=10, latency=0.02)
    fallback = FakeTransport("fallback", priority=0, latency=0.02)
    best.fail(None, RetryLater("file de l'opérateur pleine", code=88), count=routing.REFUSE_AFTER)
    with running([best, fallback], settings) as (w_best, _):
        phones = broadcast(120)
        assert wait_until(lambda: fallback.air, 10)        # relieved after REFUSE_AFTER refusals
        assert w_best.state in ("ready", "suspended")      # paused by its breaker, not disconnected
        first_relief = len(fallback.air)
        assert wait_until(lambda: states().get("delivered") == 120, 30), states()
    assert best.air and phones_on(best)[-1] == phones[-1]  # tried again once the pause was over
    assert first_relief < len(fallback.air) < 120
    assert_once_or_flagged(phones, best, fallback)


def test_a_segment_in_flight_on_a_dying_transport_is_flagged_and_sent_by_the_other(database, settings):
    best = FakeTransport("best", priority=10, latency=0.01)
    fallback = FakeTransport("fallback", priority=0, latency=0.01)
    with running([best, fallback], settings):
        best.fail("+33610000005", TransportGone("port perdu pendant l'envoi"), at="result")
        best.refuse_open(1000)                             # and it stays away
        phones = broadcast(20)
        assert wait_until(lambda: states().get("delivered") == 20, 20), states()
    assert phones_on(best)[:6] == phones[:6] and len(best.air) == 6
    assert set(phones[6:]) <= set(phones_on(fallback))
    lost = Message.get(Message.phone == "+33610000005")
    assert lost.possible_duplicate and lost.modem == "fallback"
    assert_once_or_flagged(phones, best, fallback)


def test_a_transport_at_its_daily_quota_is_skipped(database, settings):
    sim = FakeTransport("sim", priority=10)
    other = FakeTransport("other", priority=0)
    router = Router(settings, limits={"sim": Limits(day=5)})
    with running([sim, other], settings, router):
        phones = broadcast(12)
        assert wait_until(lambda: states().get("delivered") == 12, 20), states()
    assert phones_on(sim) == phones[:5]                    # exactly its cap, the claims ahead counted
    assert sorted(phones_on(other)) == phones[5:]


def test_the_monthly_distinct_recipients_cap_still_lets_known_recipients_through(database, settings):
    sim = FakeTransport("sim", priority=10)
    other = FakeTransport("other", priority=0)
    router = Router(settings, limits={"sim": Limits(recipients_month=3)})
    order = ["+33600000001", "+33600000002", "+33600000003", "+33600000004", "+33600000001",
             "+33600000005", "+33600000002"]
    with running([sim, other], settings, router):
        for phone in order:
            outbox.enqueue(phone, "x")
        assert wait_until(lambda: states().get("delivered") == len(order), 20), states()
    assert sorted(phones_on(sim)) == sorted(order[:3] + ["+33600000001", "+33600000002"])
    assert sorted(phones_on(other)) == ["+33600000004", "+33600000005"]


def test_nothing_sent_beyond_every_cap_and_nothing_lost(database, settings):
    sim = FakeTransport("sim")
    router = Router(settings, limits={"sim": Limits(minute=3)})
    with running([sim], settings, router):
        broadcast(5)
        assert wait_until(lambda: states().get("delivered") == 3, 10), states()
        assert wait_until(lambda: states().get("queued") == 2, 10), states()
        assert len(sim.air) == 3
    assert states() == {"delivered": 3, "queued": 2}


def test_a_panic_message_goes_out_on_the_fastest_transport(database, settings):
    modem = FakeTransport("modem", priority=10)
    route = FakeTransport("route", priority=0)
    router = Router(settings, speeds={"modem": 3.0, "route": 0.02})
    with running([modem, route], settings, router):
        normal = broadcast(5)
        panic = outbox.enqueue("+33699999999", "PANIQUE", priority=outbox.PRIORITY_PANIC).id
        assert wait_until(lambda: states().get("delivered") == 6, 20), states()
    assert phones_on(modem) == normal
    assert phones_on(route) == ["+33699999999"] and Message.get_by_id(panic).modem == "route"


def test_a_panic_message_prefers_a_transport_under_quota_but_is_never_held_by_one(database, settings):
    modem = FakeTransport("modem", priority=10)
    route = FakeTransport("route", priority=0)
    router = Router(settings, speeds={"modem": 3.0, "route": 0.02},
                    limits={"route": Limits(day=0)})
    with running([modem, route], settings, router):
        outbox.enqueue("+33699999991", "PANIQUE", priority=outbox.PRIORITY_PANIC)
        assert wait_until(lambda: states().get("delivered") == 1, 10), states()
        assert phones_on(modem) == ["+33699999991"] and route.air == []
    router = Router(settings, speeds={"modem": 3.0, "route": 0.02},
                    limits={"route": Limits(day=0), "modem": Limits(day=0)})
    modem2, route2 = FakeTransport("modem", priority=10), FakeTransport("route", priority=0)
    with running([modem2, route2], settings, router):
        outbox.enqueue("+33600000001", "normale")
        outbox.enqueue("+33699999992", "PANIQUE", priority=outbox.PRIORITY_PANIC)
        assert wait_until(lambda: phones_on(route2) == ["+33699999992"], 10)
        assert wait_until(lambda: states().get("delivered") == 2, 10), states()
    assert modem2.air == [] and states()["queued"] == 1    # the normal one waits for its quota


def test_a_transport_stuck_on_one_segment_is_not_waited_for(database, settings, monkeypatch):
    monkeypatch.setattr(routing, "STALL_SECONDS", 0.5)
    best, fallback = FakeTransport("best", priority=10), FakeTransport("fallback", priority=0)
    with running([best, fallback], settings):
        best.hold()                                        # its first segment gets no answer
        phones = broadcast(10)
        # The best one keeps what it holds (the segment on its way, the message claimed ahead).
        assert wait_until(lambda: len(fallback.air) == 8, 20), phones_on(fallback)
        assert len(best.air) == 1
        best.release()
        assert wait_until(lambda: states().get("delivered") == 10, 20), states()
    assert phones_on(best) == phones[:2] and sorted(phones_on(fallback)) == phones[2:]
