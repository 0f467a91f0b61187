"""Fixtures of the simulated modem: started simulators on a pty in tmp_path, and GsmModem clients on them.

    def test_x(sim800, connect):
        client = connect(sim800)            # python-gsmmodem-new GsmModem, connected
        client.modem.sendSms("+33612345678", "Bonjour")
        assert sim800.wait_air(1)
        report = client.reports.get(timeout=60)

``make_sim(model=..., **kwargs)`` starts more simulators (all stopped at teardown).
"""

import queue
import re
import threading

import pytest

from vigie.daemon.simulator import SimulatedModem

SIM800_CNMI = "2,1,0,1,0"


@pytest.fixture
def make_sim(tmp_path):
    sims = []

    def make(model="sim800", name=None, **kwargs):
        name = name or f"sim{len(sims)}"
        kwargs.setdefault("link", str(tmp_path / f"gsm-{name}"))
        kwargs.setdefault("air_log", str(tmp_path / f"air-{name}.jsonl"))
        sim = SimulatedModem(name=name, model=model, **kwargs)
        sims.append(sim)
        return sim.start()

    yield make
    for sim in sims:
        sim.stop()


@pytest.fixture
def sim800(make_sim):
    return make_sim("sim800", name="sim800")


@pytest.fixture
def sim7600(make_sim):
    return make_sim("sim7600", name="sim7600")


class Client:
    """A connected GsmModem plus the queues its callbacks fill."""

    def __init__(self, modem):
        self.modem = modem
        self.reports = queue.Queue()
        self.received = queue.Queue()
        self.fatal = queue.Queue()

    def close(self):
        """GsmModem.close() waits up to the 1 s read timeout; cancel the pending read instead."""
        modem = self.modem
        if getattr(modem, "rxThread", None) is None:
            return
        for t in threading.enumerate():   # the library's notification handlers may still be writing
            if "HandleModemNotification" in t.name and t is not threading.current_thread():
                try:
                    t.join(5)
                except RuntimeError:      # listed while still starting
                    pass
        modem.alive = False
        try:
            modem.serial.cancel_read()
        except Exception:
            pass
        modem.rxThread.join(3)
        try:
            modem.serial.close()
        except Exception:
            pass


def gsm_modem_for(sim, client=None, **kwargs):
    """A GsmModem (not connected) for ``sim``, with the AT_CNMI its model needs."""
    from gsmmodem.modem import GsmModem
    client = client or Client(None)
    if sim.model == "sim800":
        kwargs.setdefault("AT_CNMI", SIM800_CNMI)
    client.modem = GsmModem(sim.port, smsStatusReportCallback=client.reports.put,
                            smsReceivedCallbackFunc=client.received.put,
                            fatalErrorCallbackFunc=lambda e: client.fatal.put(e), **kwargs)
    return client


@pytest.fixture
def connect():
    clients = []

    def do(sim, pin=None, **kwargs):
        client = gsm_modem_for(sim, **kwargs)
        clients.append(client)
        client.modem.connect(pin=pin)
        return client

    yield do
    for c in clients:
        c.close()


@pytest.fixture
def serial_port():
    """Raw pyserial access to a simulator: ``serial_port(sim)`` returns an open Serial (closed at teardown)."""
    import serial
    ports = []

    def do(sim, timeout=5):
        s = serial.Serial(sim.port, 115200, timeout=timeout)
        ports.append(s)
        return s

    yield do
    for s in ports:
        try:
            s.close()
        except Exception:
            pass


_FINAL = re.compile(rb"\r\n(OK|ERROR|\+CM[ES] ERROR: [^\r]*)\r\n$")


def at(port, command, final=_FINAL):
    """Write one command line (str, CR added) on a raw pyserial port and return the answer up to and including
    its final result (OK, ERROR, +CME/+CMS ERROR), as bytes. Raises AssertionError on the port's timeout."""
    port.write(command.encode() + b"\r")
    answer = b""
    while not final.search(answer):
        chunk = port.read_until(b"\r\n")
        assert chunk, f"no final result to {command!r} after {answer!r}"
        answer += chunk
    return answer
