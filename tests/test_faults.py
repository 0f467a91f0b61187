"""The fast subset of `make chaos` (issue 7), run by `make test`: hostile modem output through the
adapter's parsers (hypothesis), a short broadcast through a row of modem faults, a report storm in
the middle of commands, and one SIGKILL of `vigie run` at the worst moment. The full suite, with
its printed report, lives in tests/chaos/."""

import queue
import signal
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.chaos._audit import audit, drained, integrity_ok, next_air_after
from tests.fixtures_daemon import daemon_settings, running_daemon, vigie_process, wait_until, write_config
from vigie.daemon.core import db as db_mod
from vigie.daemon.core import outbox
from vigie.daemon.core.models import Message, StatusReport
from vigie.daemon.simulator import pdu as codec
from vigie.daemon.transport.gsm.modem import Incoming, Lost, Rebooted, Report, Stored, _Library, decode_pdu_event

lines = st.lists(st.one_of(
    st.text(max_size=60),
    st.binary(max_size=40).map(lambda b: b.hex().upper()),
    st.builds(lambda p, r: p + r, st.sampled_from(["+CDS: ", "+CMTI: ", "+CDSI: ", "+CMGR: ", "+CMGS: ", "RDY",
                                                    "+CME ERROR: ", "+CMS ERROR: "]), st.text(max_size=30)),
), max_size=12)


@settings(max_examples=300, deadline=None)
@given(lines)
def test_unsolicited_lines_never_raise_and_only_give_known_events(random_lines):
    events = queue.Queue()
    lib = _Library("/dev/null", 115200, events)
    found = lib.parse_unsolicited(random_lines)
    kept = lib._strip_unsolicited("AT+CMGR=1", list(random_lines))
    assert all(isinstance(e, (Report, Incoming, Stored, Rebooted, Lost)) for e in found + list(events.queue))
    assert all(line in random_lines for line in kept)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=180).map(lambda b: b.hex()))
def test_random_pdus_never_raise(hex_pdu):
    assert decode_pdu_event(hex_pdu) is None or isinstance(decode_pdu_event(hex_pdu), (Report, Incoming))


# Every wait is on a state or an event, with a deadline that only a broken daemon reaches: a machine
# shared by many jobs may be ten times slower than a quiet one. Send timeouts are long for the same
# reason (a slow machine must not turn a send into « issue inconnue », hence a duplicate), except where
# a test plays a late answer on purpose.
DEADLINE = 180


def _queue_broadcast(n: int, prefix: str) -> list[int]:
    outbox.enqueue_many([dict(phone=f"{prefix}{i:05d}", text=f"Alerte d'essai n° {i}", parts=1) for i in range(n)])
    return [m.id for m in Message.select(Message.id)]


def test_a_row_of_modem_faults_loses_nothing_and_sending_resumes(tmp_path, sims):
    sim = sims("sim0", model="sim800", latency=0.01)
    conf = daemon_settings(tmp_path, [sim], send_timeout_seconds=10.0)
    db_mod.open_database(conf.database.path)
    _queue_broadcast(60, "+336120")
    with running_daemon(conf):
        assert sim.wait_air(5, DEADLINE)
        sim.fail_sends(42, count=2)                         # temporary: retried
        assert sim.wait_event(lambda e: e["type"] == "cms_error" and e["code"] == 42, DEADLINE)
        sim.fail_sends(21, count=1)                         # permanent: failed with its reason
        assert sim.wait_event(lambda e: e["type"] == "cms_error" and e["code"] == 21, DEADLINE)
        sim.send_garbage(b"\xff\xfe\x00\x80garbage\r\n+CMGS: \xe9\r\n")
        sim.unsolicited_during_next_command('+CMTI: "SM",99')
        t = time.time()
        sim.late_cmgs(12, count=1)                          # past the send timeout: outcome unknown
        assert sim.wait_event(lambda e: e["type"] == "on_air" and e["time"] >= t, DEADLINE)
        t = time.time()
        sim.unplug(0.5)
        replugged = sim.wait_event(lambda e: e["type"] == "replugged" and e["time"] >= t, DEADLINE)
        assert replugged and next_air_after(sim, replugged["time"], DEADLINE) is not None
        assert drained(DEADLINE), outbox.counts()
    verdict = audit([sim])
    assert verdict.ok, verdict.problems()
    assert verdict.targeted == 60 and verdict.failed == 1
    refused = Message.get(Message.state == "failed")
    assert refused.error_code == 21 and refused.error.startswith("Refusé par le réseau")
    assert verdict.duplicates == verdict.flagged


def test_report_storm_inside_commands_is_kept(tmp_path, sims):
    """Reports for unknown references land in the middle of AT+CMGR answers (SIM7600 stores its own
    reports): every one is stored, none is taken for one of ours."""
    sim = sims("sim0", model="sim7600", latency=0.01)
    conf = daemon_settings(tmp_path, [sim], send_timeout_seconds=120.0)
    db_mod.open_database(conf.database.path)
    _queue_broadcast(40, "+336130")
    with running_daemon(conf):
        assert sim.wait_air(5, DEADLINE)
        now = time.time()
        burst = b""
        for i in range(60):
            rep = codec.encode_status_report(i, f"+33698{i:06d}", now, now, 0x00, smsc="+33689004000")
            burst += f"\r\n+CDS: {rep.tpdu_length}\r\n{rep.hex}\r\n".encode()
        for start in range(0, len(burst), len(burst) // 3 + 1):
            sim.send_garbage(burst[start:start + len(burst) // 3 + 1])
        assert drained(DEADLINE), outbox.counts()
        assert wait_until(lambda: StatusReport.select().where(StatusReport.phone.startswith("+33698")).count()
                          == 60, DEADLINE), StatusReport.select().where(StatusReport.phone.startswith("+33698")).count()
    assert StatusReport.select().where(StatusReport.phone.startswith("+33698")
                                       & StatusReport.part.is_null(False)).count() == 0
    verdict = audit([sim])
    assert verdict.ok and verdict.duplicates == 0, verdict.problems()


def test_sigkill_between_pdu_and_air_then_restart(tmp_path, sims):
    a, b = sims("sim0", latency=0.05), sims("sim1", model="sim7600", latency=0.05)
    config = write_config(tmp_path, [a, b], send_timeout_seconds=120.0)
    db_mod.open_database(str(tmp_path / "vigie.db"))
    _queue_broadcast(50, "+336140")
    proc = vigie_process(config, "run")
    assert wait_until(lambda: len(a.air()) + len(b.air()) >= 10, DEADLINE)
    assert a.wait_event(lambda e: e["type"] == "pdu" and e["time"] >= time.time() - 0.001, DEADLINE)
    proc.send_signal(signal.SIGKILL)            # the PDU is with the module, not yet on air
    proc.wait(timeout=60)
    in_flight = Message.select().where(Message.state == "sending").count()
    assert integrity_ok()
    proc = vigie_process(config, "run")
    try:
        assert wait_until(lambda: outbox.queue_depth() == 0, DEADLINE), outbox.counts()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=DEADLINE) == 0
    verdict = audit([a, b])
    assert verdict.ok, verdict.problems()
    assert verdict.duplicates <= in_flight and verdict.duplicates == verdict.flagged


def test_error_line_after_the_cmgs_reference_is_not_an_unflagged_duplicate(tmp_path, sims):
    """A stray "+CMS ERROR" lands between "+CMGS: <mr>" and "OK": the SMS is on air, so it must not
    be sent again as if it had been refused (an unflagged duplicate, found by make chaos)."""
    sim = sims("sim0", model="sim800", latency=0.2)
    conf = daemon_settings(tmp_path, [sim], send_timeout_seconds=120.0)
    db_mod.open_database(conf.database.path)
    _queue_broadcast(4, "+336150")
    with running_daemon(conf):
        assert sim.wait_event("prompt", DEADLINE)
        sim.unsolicited_during_next_command("+CMS ERROR: 500")     # inside the PDU's answer
        assert drained(DEADLINE), outbox.counts()
    assert any(e["type"] == "answer" for e in sim.events)
    verdict = audit([sim])
    assert verdict.ok and verdict.duplicates == 0, (verdict.problems(), [e["to"] for e in sim.air()])


def test_port_lost_while_waiting_for_cmgs_ends_the_wait(tmp_path, sims):
    """The module goes on air, then its USB port disappears before the +CMGS answer: the daemon stops
    waiting with the port (not after its whole send timeout), sends again flagged, and finishes."""
    sim = sims("sim0", model="sim7600", latency=0.01)
    conf = daemon_settings(tmp_path, [sim], send_timeout_seconds=600.0)
    db_mod.open_database(conf.database.path)
    _queue_broadcast(3, "+336160")
    sim.late_cmgs(900)                      # the first send's answer would come much later
    with running_daemon(conf):
        assert sim.wait_event("on_air", DEADLINE)
        sim.unplug(0.5)
        assert drained(DEADLINE), outbox.counts()      # long before the 600 s send timeout
    verdict = audit([sim])
    assert verdict.ok and verdict.duplicates == 1 == verdict.flagged, verdict.problems()
