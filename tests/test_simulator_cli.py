"""`vigie emulator` in a subprocess: opened by pyserial and GsmModem, driven by `vigie emulator inject`."""

import json
import os
import signal
import subprocess
import sys

import pytest
import serial
from gsmmodem.exceptions import CmsError

from tests.fixtures_simulator import Client, gsm_modem_for
from vigie.daemon.simulator import SimulatedModem


def vigie(*args):
    return [sys.executable, "-m", "vigie.daemon.cli", *args]


@pytest.fixture
def emulator(tmp_path):
    link = str(tmp_path / "gsm0")
    air = str(tmp_path / "air.jsonl")
    proc = subprocess.Popen(vigie("emulator", "--link", link, "--air-log", air, "--name", "cli0"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()           # printed once the link exists
    assert "en écoute sur" in first, first + proc.stderr.read()
    yield proc, link, air
    if proc.poll() is None:
        proc.kill()
        proc.wait(60)


def inject(link, *args):
    return subprocess.run(vigie("emulator", "inject", "--link", link, *args), capture_output=True, text=True,
                          timeout=30)


class _Sim:
    """What gsm_modem_for needs to know about an emulator in another process."""
    model = "sim800"

    def __init__(self, port):
        self.port = port


def test_emulator_process_serves_pyserial_gsmmodem_and_inject(emulator):
    proc, link, air = emulator
    with serial.Serial(link, 115200, timeout=5) as p:
        p.write(b"AT\r")
        assert p.read_until(b"OK\r\n") == b"AT\r\r\nOK\r\n"
    client = gsm_modem_for(_Sim(link), Client(None))
    try:
        client.modem.connect()
        client.modem.sendSms("+33612345678", "Vol à l'étalage signalé à Sées, soyez vigilants")
        with open(air, encoding="utf-8") as f:
            (entry,) = [json.loads(line) for line in f]
        assert (entry["modem"], entry["text"]) == ("cli0", "Vol à l'étalage signalé à Sées, soyez vigilants")
        assert client.reports.get(timeout=60).reference == entry["mr"]

        done = inject(link, "sms", "--from", "+33612345678", "--text", "STOP")
        assert done.returncode == 0, done.stderr
        assert "Fait" in done.stdout
        sms = client.received.get(timeout=60)
        assert (sms.number, sms.text) == ("+33612345678", "STOP")

        assert inject(link, "fault", "cms", "--code", "38", "--count", "1").returncode == 0
        with pytest.raises(CmsError) as err:
            client.modem.sendSms("+33612345678", "refusé")
        assert err.value.code == 38

        status = inject(link, "status")
        assert json.loads(status.stdout)["air"] == 1
        assert SimulatedModem.control(link, {"cmd": "report", "outcome": "failed"}) == {"ok": True}
        client.modem.sendSms("+33612345678", "échec")
        assert client.reports.get(timeout=60).deliveryStatus == 0x41
    finally:
        client.close()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    assert not os.path.lexists(link)
    assert not os.path.exists(link + ".ctl")


def test_every_inject_spelling_reaches_the_emulator(tmp_path, emulator, capsys):
    """In-process `vigie` main() (the subprocess start-up is slow) against the emulator process."""
    from vigie.daemon.cli import main
    _, link, _ = emulator
    cases = [
        (("fault", "hang", "--seconds", "0"), {"type": "fault", "kind": "hang", "seconds": 0.0}),
        (("fault", "noreg", "--seconds", "0"), {"type": "fault", "kind": "noreg", "seconds": 0.0}),
        (("fault", "late", "--seconds", "0"), {"type": "fault", "kind": "late", "delay": 0.0, "count": 1}),
        (("fault", "cms", "--code", "500", "--rate", "0"), {"type": "fault", "kind": "cms", "code": 500, "rate": 0.0}),
        (("latency", "--seconds", "0"), {"type": "latency", "seconds": 0.0}),
        (("report", "--outcome", "none", "--number", "+33600000000", "--rate", "0.5"),
         {"type": "report_rule", "outcome": "none", "number": "+33600000000", "rate": 0.5}),
        (("fault", "garbage"), {"type": "garbage", "data": "fffe00676172626167650d0a"}),
        (("fault", "reboot"), {"type": "reboot"}),
        (("fault", "unplug", "--seconds", "0.1"), {"type": "unplugged", "seconds": 0.1}),
        (("sms", "--from", "+33600000001", "--text", "silence", "--silent"), {"type": "incoming", "announced": False}),
    ]
    for args, _ in cases:
        assert main(["emulator", "inject", *args, "--link", link]) == 0, args
    events = SimulatedModem.control(link, {"cmd": "events"})["events"]
    for args, expected in cases:
        assert any(all(e.get(k) == v for k, v in expected.items()) for e in events), (args, expected)
    capsys.readouterr()


def test_inject_errors_are_french(tmp_path, emulator, capsys):
    from vigie.daemon.cli import main
    _, link, _ = emulator
    with pytest.raises(SystemExit) as exit_:
        main(["emulator", "inject", "--link", link, "report", "--outcome", "bof"])
    assert exit_.value.code == 2 and "choix invalide" in capsys.readouterr().err
    assert main(["emulator", "inject", "--link", str(tmp_path / "absent"), "fault", "reboot"]) == 2
    assert "aucun émulateur" in capsys.readouterr().err
    assert main(["emulator"]) == 2
    assert "--link" in capsys.readouterr().err
    assert main(["emulator", "inject", "--link", link, "fault"]) == 2
    assert "précisez la panne" in capsys.readouterr().err
