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
        proc.wait(10)


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
        assert client.reports.get(timeout=10).reference == entry["mr"]

        done = inject(link, "sms", "--from", "+33612345678", "--text", "STOP")
        assert done.returncode == 0, done.stderr
        assert "Fait" in done.stdout
        sms = client.received.get(timeout=10)
        assert (sms.number, sms.text) == ("+33612345678", "STOP")

        assert inject(link, "fault", "cms", "--code", "38", "--count", "1").returncode == 0
        with pytest.raises(CmsError) as err:
            client.modem.sendSms("+33612345678", "refusé")
        assert err.value.code == 38

        status = inject(link, "status")
        assert json.loads(status.stdout)["air"] == 1
        assert SimulatedModem.control(link, {"cmd": "report", "outcome": "failed"}) == {"ok": True}
        client.modem.sendSms("+33612345678", "échec")
        assert client.reports.get(timeout=10).deliveryStatus == 0x41
    finally:
        client.close()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert not os.path.lexists(link)
    assert not os.path.exists(link + ".ctl")


def test_inject_errors_are_french(tmp_path, emulator):
    _, link, _ = emulator
    bad = inject(link, "report", "--outcome", "bof")
    assert bad.returncode == 2 and "choix invalide" in bad.stderr
    nobody = inject(str(tmp_path / "absent"), "fault", "reboot")
    assert nobody.returncode == 2 and "aucun émulateur" in nobody.stderr
    missing = subprocess.run(vigie("emulator"), capture_output=True, text=True, timeout=30)
    assert missing.returncode == 2 and "--link" in missing.stderr
    for args in (("fault", "hang", "--seconds", "0"), ("fault", "noreg", "--seconds", "0"), ("latency", "--seconds", "0"),
                 ("fault", "late", "--seconds", "0"), ("fault", "garbage"), ("fault", "reboot"),
                 ("report", "--outcome", "delivered", "--number", "+33600000000", "--rate", "0.5")):
        done = inject(link, *args)
        assert done.returncode == 0, (args, done.stderr)
