"""The worker's hardening policies through the in-process fake transport (issue 14): the circuit breaker
(a transport refusing everything is paused, probed, and costs the messages no attempt), a clock that steps,
a store that cannot write. The pty truth of the same faults is in tests/test_harden_modem.py."""

import contextlib
import threading

import pytest

from tests.fixtures_daemon import daemon_settings, wait_until
from vigie.daemon.core import clock, outbox
from vigie.daemon.core.errors import OutcomeUnknown, RetryLater
from vigie.daemon.core.models import Attempt, Message, TransportStatus
from vigie.daemon.transport.fake import FakeTransport
from vigie.daemon.transport.worker import TransportWorker


@pytest.fixture
def settings(tmp_path):
    return daemon_settings(tmp_path, [], retry_base_seconds=0.1, retry_max_seconds=0.2)


@contextlib.contextmanager
def running(transport, settings, **kw):
    wake, stop = threading.Event(), threading.Event()
    worker = TransportWorker(transport, settings, wake, stop, **kw)
    worker.breaker.first_pause = 0.3
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


def test_the_breaker_pauses_a_refusing_transport_probes_it_with_growing_pauses_and_counts_nothing(
        database, settings):
    fake = FakeTransport()
    fake.fail(None, RetryLater("+CMS ERROR 38 (réseau hors service)", code=38), count=5)
    ids = [outbox.enqueue(f"+3361111111{i}", f"m{i}", max_attempts=2).id for i in range(2)]
    with running(fake, settings) as worker:
        # Three refusals trip it (two counted then refunded, one given back), two probes refused
        # (the pause doubles each time), then the sixth send goes out.
        assert wait_until(lambda: all(state(i) == "delivered" for i in ids), 20), \
            [(m.state, m.attempts, m.error) for m in Message.select()]
        assert worker.breaker.trips == 3 and worker.breaker.state == "closed"
        assert wait_until(lambda: TransportStatus.get_by_id("fake0").state == "ready", 10)
    assert [Message.get_by_id(i).attempts for i in ids] == [1, 1]
    outcomes = [a.outcome for a in Attempt.select().order_by(Attempt.id)]
    assert outcomes.count("temporary") == 5 and outcomes.count("sent") == 2


def test_refusals_of_one_message_alone_are_its_own_and_count(database, settings):
    fake = FakeTransport()
    fake.fail("+33611111111", RetryLater("+CMS ERROR 27 (destinataire hors service)", code=27), count=10)
    m = outbox.enqueue("+33611111111", "x", max_attempts=3).id
    with running(fake, settings) as worker:
        assert wait_until(lambda: state(m) == "failed", 20), state(m)
        assert worker.breaker.trips == 0
    assert Message.get_by_id(m).attempts == 3


@pytest.mark.parametrize("step", [-3600.0, 3600.0])
def test_a_retry_due_in_a_second_holds_when_the_wall_clock_steps(database, tmp_path, step):
    settings = daemon_settings(tmp_path, [], retry_base_seconds=1.0, retry_max_seconds=1.0)
    with clock.use(clock.FakeClock()) as fake_clock:
        fake = FakeTransport()
        fake.fail("+33611111111", RetryLater("+CMS ERROR 42 (encombrement du réseau)", code=42))
        m = outbox.enqueue("+33611111111", "x", expires_at=clock.wall() + 600).id
        with running(fake, settings):
            assert wait_until(lambda: state(m) == "retry_wait", 10), state(m)
            fake_clock.step(step)       # NTP, or a person, sets the clock back (or forward) one hour
            # Due in at most a second; an hour back it would wait an hour, an hour on it would expire.
            assert wait_until(lambda: state(m) == "delivered", 10), (state(m), Message.get_by_id(m).error)
        row = Message.get_by_id(m)
        assert row.attempts == 2 and row.expires_at == pytest.approx(clock.wall() + 600, abs=30)


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB tmpfs the test can fill (needs the right to mount, as root in the CI container)."""
    import subprocess
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"tmpfs impossible à monter ici : {done.stderr.decode().strip()}")
    yield mount
    from vigie.daemon.core import db as db_mod
    db_mod.close_database()
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder) -> None:
    import os
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)


def test_a_full_disk_mid_broadcast_keeps_the_writes_and_nothing_lies_or_goes_twice(small_disk, tmp_path):
    from vigie.daemon.core import db as db_mod
    from vigie.daemon.core import storage
    path = str(small_disk / "vigie.db")
    db_mod.open_database(path, seed=False)
    settings = daemon_settings(tmp_path, [], retry_base_seconds=0.1, retry_max_seconds=0.2)
    storage.TROUBLE.attach(path)
    ids = [outbox.enqueue(f"+336200000{i:02d}", f"Alerte {i} " + "x" * 100).id for i in range(40)]
    fake = FakeTransport()
    fake.hold()
    with running(fake, settings):
        assert wait_until(lambda: len(fake.air) == 1, 10)
        fill(small_disk)                # the first SMS is on its way: nothing can be written now
        fake.release()
        assert wait_until(lambda: storage.problem(path), 30), "le disque plein n'est pas signalé"
        assert "Disque plein depuis le" in storage.problem(path)
        on_air_while_full = len(fake.air)
        assert not wait_until(lambda: len(fake.air) > on_air_while_full + 1, 2)   # claims nothing new
        (small_disk / "filler").unlink()
        assert wait_until(lambda: all(state(i) == "delivered" for i in ids), 60), outbox.counts()
        assert wait_until(lambda: not storage.problem(path), 10)
    assert sorted(a.phone for a in fake.air) == sorted(Message.get_by_id(i).phone for i in ids)   # once each
    assert not any(Message.get_by_id(i).possible_duplicate for i in ids)
    first = Message.get_by_id(ids[0])
    assert first.attempts == 1 and [a.outcome for a in first.attempt_rows] == ["sent"]


def test_a_delivery_report_proves_an_unknown_outcome_went_out_and_it_is_not_sent_again(database, tmp_path):
    settings = daemon_settings(tmp_path, [], retry_base_seconds=30.0, retry_max_seconds=60.0)
    fake = FakeTransport(default_outcome=None)
    fake.fail("+33611111111", OutcomeUnknown("le modem n'a pas confirmé l'envoi à temps"), at="result")
    m = outbox.enqueue("+33611111111", "x").id
    with running(fake, settings):
        assert wait_until(lambda: state(m) == "retry_wait", 10), state(m)
        assert Message.get_by_id(m).possible_duplicate
        fake.report(fake.air[0].reference, "+33611111111", "delivered")     # the network's word
        assert wait_until(lambda: state(m) == "delivered", 10), state(m)
    row = Message.get_by_id(m)
    assert len(fake.air) == 1 and row.attempts == 1 and not row.possible_duplicate
    assert [a.outcome for a in row.attempt_rows] == ["sent"]
