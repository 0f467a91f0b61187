"""Hostile bytes from the modem side (property-based): random bytes, random lines inside command
answers, forged reports and notifications with random PDUs, while the daemon sends a broadcast. The
daemon must not crash, the store must stay sound, and the broadcast must still finish."""

import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.chaos._audit import audit, drained, integrity_ok, record
from tests.fixtures_daemon import daemon_settings, running_daemon, wait_until
from tests.fixtures_web import add_member
from vigie.daemon.core import alerts
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.models import Message
from vigie.daemon.core.targeting import Targeting

pytestmark = pytest.mark.chaos

EXAMPLES = int(os.environ.get("CHAOS_EXAMPLES", "120"))

hex_pdu = st.binary(min_size=0, max_size=60).map(lambda b: b.hex().upper())
prefixes = st.sampled_from(["+CMTI: ", "+CDSI: ", "+CDS: ", "+CMT: ", "+CMGR: ", "+CMGL: ", "+CSQ: ", "+CREG: ",
                            "+COPS: ", "+CMGS: ", "+CME ERROR: ", "^HCMGSS: ", "RING", "NO CARRIER", ""])
# Lines a module could print: a known prefix then anything, forged reports/notifications with random PDUs.
random_line = st.one_of(
    st.builds(lambda p, rest: p + rest, prefixes,
              st.text(max_size=40).filter(lambda t: "\r" not in t and "\n" not in t)),
    st.builds(lambda n, h: f"+CDS: {n}\r\n{h}", st.integers(0, 200), hex_pdu),
    st.builds(lambda m, i: f'+CMTI: "{m}",{i}', st.sampled_from(["SM", "ME", "SR", "MT", "??"]), st.integers(-5, 500)),
    st.builds(lambda m, i: f'+CDSI: "{m}",{i}', st.sampled_from(["SM", "ME", "SR"]), st.integers(-5, 500)),
)
raw_bytes = st.one_of(st.binary(max_size=120),
                      st.builds(lambda b: b"\r\n" + b + b"\r\n", st.binary(max_size=80)),
                      random_line.map(lambda line: f"\r\n{line}\r\n".encode("utf-8", "surrogatepass")))
hostile = st.one_of(st.tuples(st.just("raw"), raw_bytes), st.tuples(st.just("mid"), random_line))


@pytest.mark.parametrize("model", ["sim800", "sim7600"])
def test_random_modem_output_never_crashes_the_daemon_nor_corrupts_the_store(tmp_path, sims, report, model):
    sim = sims("sim0", model=model, latency=0.01)
    conf = daemon_settings(tmp_path, [sim])
    db_mod.open_database(conf.database.path)
    for i in range(150):
        add_member(i)
    alert = alerts.create("Gendarmerie : rôdeurs signalés près des commerces, soyez vigilants.",
                          Targeting(all=True), settings=conf, author="chaos", source="cli")
    tried = []
    with running_daemon(conf) as daemon:
        assert sim.wait_air(5, 30)

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(hostile)
        def inject(item):
            how, value = item
            since = time.time()
            if how == "raw":
                sim.send_garbage(value)
            else:
                sim.unsolicited_during_next_command(value)
            tried.append(item)
            # let the daemon run a command or two with it before the next one
            sim.wait_event(lambda e: e["type"] == "answer" and e["time"] >= since, 2.0)
            assert all(w.is_alive() for w in daemon.workers)

        inject()
        report.add("hostile_modem_inputs", len(tried))
        assert drained(180), Message.select().where(Message.state != "delivered").count()
        assert all(w.is_alive() for w in daemon.workers), "un fil de modem est mort"
        # still sending after all this: one more message goes out
        from vigie.daemon.core import outbox
        last = outbox.enqueue("+33699999999", "Encore là ?")
        assert wait_until(lambda: Message.get_by_id(last.id).state in ("sent", "delivered"), 60)
    report.add("daemon_crashes_on_hostile_bytes", 0)
    assert integrity_ok()
    report.add("integrity_checks_ok")
    verdict = audit([sim], Message.select().where(Message.alert == alert.id))
    record(report, verdict)
    assert verdict.ok, verdict.problems()
