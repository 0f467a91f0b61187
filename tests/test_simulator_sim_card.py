"""The simulated SIM card counts wrong PIN tries: 3, then it asks for its PUK (the SIM800/SIM7600 manuals,
3GPP TS 27.007 +CPIN), driven from the wire, the Python API and the control channel."""

import pytest
from gsmmodem.exceptions import IncorrectPinError, PukRequiredError

from tests.fixtures_simulator import at, gsm_modem_for

MODELS = ["sim800", "sim7600"]
READY = {"sim800": b"SMS Ready\r\n", "sim7600": b"SMS DONE\r\n"}


@pytest.fixture
def locked(make_sim, serial_port):
    def open_(model="sim800", **kw):
        kw.setdefault("pin", "1234")
        sim = make_sim(model, **kw)
        p = serial_port(sim, timeout=60)
        at(p, "ATE0")
        at(p, "AT+CMEE=1")
        return sim, p
    return open_


@pytest.mark.parametrize("model", MODELS)
def test_three_wrong_pins_then_the_puk(locked, model):
    sim, p = locked(model)
    assert at(p, "AT+CPIN?") == b"\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
    assert at(p, "AT+CIMI") == b"\r\n+CME ERROR: 11\r\n"
    assert at(p, "AT+CMGL=4") == b"\r\n+CMS ERROR: 311\r\n"
    for left in (2, 1, 0):
        assert at(p, 'AT+CPIN="0000"') == b"\r\n+CME ERROR: 16\r\n"
        assert sim.pin_tries == left
        assert at(p, "AT+SPIC") == f"\r\n+SPIC: {left},3,10,10\r\n\r\nOK\r\n".encode()
    assert at(p, "AT+CPIN?") == b"\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n"
    assert sim.sim_state == "SIM PUK"
    assert at(p, 'AT+CPIN="1234"') == b"\r\n+CME ERROR: 12\r\n"          # the right PIN is too late
    assert at(p, "AT+CIMI") == b"\r\n+CME ERROR: 12\r\n"
    assert at(p, "AT+CMGL=4") == b"\r\n+CMS ERROR: 312\r\n"
    assert at(p, 'AT+CPIN="00000000","4321"') == b"\r\n+CME ERROR: 16\r\n"
    assert at(p, "AT+SPIC") == b"\r\n+SPIC: 0,3,9,10\r\n\r\nOK\r\n"
    assert at(p, 'AT+CPIN="12345678","4321"') == b"\r\nOK\r\n"
    assert p.read_until(READY[model]) == b"\r\n" + READY[model]              # the URC after unlocking
    assert at(p, "AT+CPIN?") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"
    assert at(p, "AT+SPIC") == b"\r\n+SPIC: 3,3,10,10\r\n\r\nOK\r\n"
    assert at(p, "AT+CIMI") == f"\r\n{sim.imsi}\r\n\r\nOK\r\n".encode()
    assert [e["left"] for e in sim.events if e["type"] == "wrong_pin"] == [2, 1, 0]
    sim.reboot()                                                          # the new PIN is the one asked now
    assert p.read_until(b"+CPIN: SIM PIN\r\n").endswith(b"\r\n+CPIN: SIM PIN\r\n")
    at(p, "ATE0")
    assert at(p, 'AT+CPIN="1234"') == b"\r\nERROR\r\n"                     # CMEE back to 0 after the reboot
    assert at(p, 'AT+CPIN="4321"') == b"\r\nOK\r\n"


def test_a_right_pin_resets_the_count_and_texts_say_why(locked):
    sim, p = locked("sim800")
    at(p, "AT+CMEE=2")
    assert at(p, 'AT+CPIN="0000"') == b"\r\n+CME ERROR: incorrect password\r\n"
    assert at(p, 'AT+CPIN="1234"') == b"\r\nOK\r\n"
    assert p.read_until(READY["sim800"]) == b"\r\n" + READY["sim800"]
    assert sim.pin_tries == 3 and sim.sim_state == "READY"
    assert at(p, 'AT+CPIN="1234"') == b"\r\n+CME ERROR: operation not allowed\r\n"   # nothing to unlock


def test_the_library_sees_incorrect_pin_then_puk_required(make_sim):
    sim = make_sim("sim800", pin="1234", pin_tries=2)

    def connect_once(pin):
        client = gsm_modem_for(sim)
        try:
            client.modem.connect(pin=pin)
        finally:
            client.close()            # one client at a time on the port, as a daemon restarting

    for _ in range(2):
        with pytest.raises(IncorrectPinError):
            connect_once("0000")
    assert sim.sim_state == "SIM PUK"
    with pytest.raises(PukRequiredError):
        connect_once("1234")


def test_python_api_sets_tries_pin_and_puk(locked):
    sim, p = locked("sim7600", puk="87654321")
    sim.set_sim(tries=1)
    assert at(p, "AT+SPIC") == b"\r\n+SPIC: 1,3,10,10\r\n\r\nOK\r\n"
    assert at(p, 'AT+CPIN="9999"') == b"\r\n+CME ERROR: 16\r\n"
    assert at(p, "AT+CPIN?") == b"\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n"
    assert at(p, 'AT+CPIN="12345678","1111"') == b"\r\n+CME ERROR: 16\r\n"     # not this card's PUK
    assert at(p, 'AT+CPIN="87654321","1111"') == b"\r\nOK\r\n"
    assert p.read_until(READY["sim7600"]) == b"\r\n" + READY["sim7600"]
    sim.set_sim(pin=None)                                                   # PIN disabled
    sim.reboot()
    assert p.read_until(b"PB DONE\r\n").count(b"+CPIN: READY") == 1
    sim.set_sim(pin="2468")                                                 # asked from the next power-up
    at(p, "ATE0")
    assert at(p, "AT+CPIN?") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"
    sim.reboot()
    assert p.read_until(b"+CPIN: SIM PIN\r\n").endswith(b"+CPIN: SIM PIN\r\n")
    sim.set_sim(tries=0)
    at(p, "ATE0")
    assert at(p, "AT+CPIN?") == b"\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n"
    sim.reboot()
    assert p.read_until(b"+CPIN: SIM PUK\r\n").endswith(b"+CPIN: SIM PUK\r\n")   # the boot lines say so


def test_control_channel_fault_switch(locked):
    sim, p = locked("sim800")
    assert sim.handle_control({"cmd": "fault", "fault": "sim", "tries": 0}) == {"ok": True}
    assert at(p, "AT+CPIN?") == b"\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n"
    status = sim.handle_control({"cmd": "status"})
    assert (status["sim"], status["pin_tries"]) == ("SIM PUK", 0)
    assert sim.handle_control({"cmd": "fault", "fault": "sim", "tries": 3}) == {"ok": True}
    assert at(p, "AT+CPIN?") == b"\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
    assert sim.handle_control({"cmd": "fault", "fault": "sim", "pin": "1357", "puk": "11112222"}) == {"ok": True}
    assert at(p, 'AT+CPIN="1234"') == b"\r\n+CME ERROR: 16\r\n"           # the card now has the new PIN
    assert at(p, 'AT+CPIN="1357"') == b"\r\nOK\r\n"
    fault = [e for e in sim.events if e["type"] == "fault" and e["kind"] == "sim"]
    assert [f["state"] for f in fault] == ["SIM PUK", "SIM PIN", "SIM PIN"]
