"""`vigie smsc`: the simulated SMSC as a process, driven through its control socket."""

import json
import signal
import subprocess
import sys

from tests.fixtures_daemon import vigie
from tests.fixtures_kannel import free_port
from tests.test_smsc_simulator import Esme
from vigie.daemon.simulator.smsc.protocol import ESME_ROK, ESME_RSUBMITFAIL


class Port:
    def __init__(self, port):
        self.port = port


def test_run_and_drive_a_simulated_smsc(tmp_path):
    port, control = free_port(), str(tmp_path / "smsc.ctl")
    config = tmp_path / "absent.toml"
    proc = subprocess.Popen([sys.executable, "-m", "vigie.daemon.cli", "smsc", "run", "--port", str(port),
                             "--system-id", "box", "--password", "pw", "--control", control,
                             "--air-log", str(tmp_path / "air.jsonl"), "--report", "none"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = proc.stdout.readline()
        assert f"en écoute SMPP sur 127.0.0.1:{port}" in banner
        esme = Esme(Port(port), system_type="")
        status = json.loads(vigie(config, "smsc", "status", "--control", control).stdout)
        assert [s["bound"] for s in status["sessions"]] == ["trx"]
        done = vigie(config, "smsc", "mo", "--control", control, "--from", "+33698765432", "--text", "STOP")
        assert done.returncode == 0 and done.stdout.strip() == "Fait."
        assert esme.read("deliver_sm").short_message == b"STOP"
        assert vigie(config, "smsc", "refuse", "--control", control, "--count", "1").returncode == 0
        esme.submit(b"un", registered_delivery=0)
        esme.submit(b"deux", registered_delivery=0)
        assert [esme.read("submit_sm_resp").status for _ in range(2)] == [ESME_RSUBMITFAIL, ESME_ROK]
        lines = (tmp_path / "air.jsonl").read_text().splitlines()
        assert [json.loads(line)["text"] for line in lines] == ["deux"]
        esme.close()
        missing = vigie(config, "smsc", "status", "--control", str(tmp_path / "rien.ctl"))
        assert missing.returncode == 2 and "aucun SMSC simulé n'écoute" in missing.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "SMSC simulé arrêté." in out
