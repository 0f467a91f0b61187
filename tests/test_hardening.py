"""Storage and processes under ordinary faults (issue 14): one daemon per database, long imports
that never block the sender or the panic button, a CLI that answers a locked or full database in
one French line."""

import os
import signal
import time

from tests.fixtures_daemon import vigie, vigie_process, wait_until, write_config
from vigie.daemon.core import db as db_mod
from vigie.daemon.core import outbox
from vigie.daemon.core.models import Heartbeat, Message


def test_a_second_daemon_on_the_same_database_is_refused_in_french(tmp_path, sims):
    sim = sims("sim0")
    config = write_config(tmp_path, [sim])
    db_mod.open_database(str(tmp_path / "vigie.db"))
    first = vigie_process(config, "run")
    try:
        assert wait_until(lambda: Heartbeat.get_or_none(Heartbeat.component == "daemon") is not None, 30)
        # A message the first daemon is sending: a second one would reset it to « en file ».
        message = outbox.enqueue("+33612000001", "en vol", max_attempts=5)
        Message.update(state="sending", modem="autre", claimed_at=time.time()).where(
            Message.id == message.id).execute()
        second = vigie(config, "run")
        assert second.returncode == 1, (second.stdout, second.stderr)
        lines = second.stderr.strip().splitlines()
        assert lines[-1].startswith("Erreur : un démon (vigie run, PID ")
        assert f"PID {first.pid})" in lines[-1] and "un seul démon par base" in lines[-1]
        assert "Traceback" not in second.stderr
        again = Message.get_by_id(message.id)
        assert again.state == "sending" and not again.possible_duplicate
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
    # The lock dies with its daemon, even killed: the next one starts.
    Message.update(state="queued").execute()
    proc = vigie_process(config, "run")
    try:
        assert wait_until(lambda: Message.get_by_id(message.id).state in ("sent", "delivered"), 30)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc = vigie_process(config, "run")
        beat = Heartbeat.get(Heartbeat.component == "daemon").updated_at
        assert wait_until(lambda: Heartbeat.get(Heartbeat.component == "daemon").updated_at > beat, 30)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert os.path.exists(str(tmp_path / "vigie.db") + ".run-lock")
