"""Every fault switch, seen from the client side as a real module would show it."""

import os

import pytest
import serial
from gsmmodem.exceptions import CmsError, TimeoutException
from gsmmodem.pdu import encodeSmsSubmitPdu

MODELS = ["sim800", "sim7600"]


def test_cms_errors_on_the_next_sends(sim800, connect):
    modem = connect(sim800).modem
    sim800.fail_sends(38, count=2)
    for _ in range(2):
        with pytest.raises(CmsError) as err:
            modem.sendSms("+33612345678", "réseau saturé")
        assert err.value.code == 38
    modem.sendSms("+33612345678", "passe")
    sim800.fail_sends(21, count=1)
    with pytest.raises(CmsError) as err:
        modem.sendSms("+33612345678", "refusé")
    assert err.value.code == 21
    assert [e["text"] for e in sim800.air()] == ["passe"]
    assert [e["code"] for e in sim800.events if e["type"] == "cms_error"] == [38, 38, 21]


def test_cms_error_rate_and_clearing(make_sim, connect):
    sim = make_sim("sim7600", seed=7)
    modem = connect(sim).modem
    sim.fail_sends(500, rate=0.5)
    outcomes = []
    for i in range(20):
        try:
            modem.sendSms("+33612345678", f"m{i}")
            outcomes.append("ok")
        except CmsError as e:
            outcomes.append(e.code)
    assert set(outcomes) == {"ok", 500}
    assert len(sim.air()) == outcomes.count("ok")
    sim.fail_sends(500, rate=0)
    modem.sendSms("+33612345678", "fini")
    assert sim.air()[-1]["text"] == "fini"


def test_hung_module_answers_nothing_then_recovers(sim800, connect):
    modem = connect(sim800).modem
    sim800.hang(60)
    with pytest.raises(TimeoutException):
        modem.write("AT+CSQ", timeout=0.5)
    assert sim800.wait_event(lambda e: e["type"] == "ignored", 60)
    sim800.hang(0)
    assert modem.write("AT") == ["OK"]


def test_late_cmgs_the_sms_is_on_air_and_the_answer_lands_in_the_next_command(sim800, connect):
    modem = connect(sim800).modem
    sim800.set_report("none")          # keep the line quiet: a +CDS here would be swallowed too
    sim800.late_cmgs(2)
    pdu = encodeSmsSubmitPdu("+33612345678", "en retard")[0]
    modem.write(f"AT+CMGS={pdu.tpduLength}", timeout=5, expectedResponseTermSeq="> ")
    with pytest.raises(TimeoutException):
        modem.write(str(pdu), timeout=0.5, writeTerm="\x1a")
    assert sim800.wait_air(1, 60)                      # the module had sent it
    assert sim800.air()[0]["text"] == "en retard"
    # the module is still busy: the next command gets the previous command's late answer
    assert modem.write("AT+CSQ", timeout=10) == ["+CMGS: 0", "OK"]


def test_late_answer_on_the_wire_comes_after_the_air_log(sim800, serial_port):
    p = serial_port(sim800, timeout=10)
    p.write(b"ATE0\r")
    p.read_until(b"OK\r\n")
    sim800.late_cmgs(1)
    pdu = encodeSmsSubmitPdu("+33612345678", "tard")[0]
    p.write(f"AT+CMGS={pdu.tpduLength}\r".encode())
    assert p.read_until(b"> ") == b"\r\n> "
    p.write(str(pdu).encode() + b"\x1a")
    assert p.read_until(b"OK\r\n") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    answer = sim800.wait_event(lambda e: e["type"] == "answer" and e["lines"] == ["+CMGS: 0"], 60)
    assert sim800.air()[0]["time"] < answer["time"]


@pytest.mark.parametrize("model", MODELS)
def test_unplug_then_a_new_port_behind_the_same_link(make_sim, connect, model):
    sim = make_sim(model)
    client = connect(sim)
    link = sim.port
    sim.unplug(None)
    error = client.fatal.get(timeout=60)             # the library's reader thread died on the I/O error
    assert isinstance(error, serial.SerialException)
    assert not client.modem.alive
    assert not os.path.lexists(link)
    with pytest.raises(serial.SerialException):
        client.modem.write("AT")
    sim.unplug(None)                                  # already gone: nothing happens
    sim.replug()
    assert os.path.islink(link)
    fresh = connect(sim)
    fresh.modem.sendSms("+33612345678", "de retour")
    assert sim.air()[-1]["text"] == "de retour"


def test_unplug_for_n_seconds_reappears_by_itself(sim7600, connect):
    sim7600.unplug(0.2)
    assert sim7600.wait_event("replugged", 60)
    connect(sim7600).modem.sendSms("+33612345678", "revenu")
    assert sim7600.wait_air(1)


@pytest.mark.parametrize("model", MODELS)
def test_reboot_loses_settings_keeps_the_reference_and_says_so(make_sim, serial_port, model):
    sim = make_sim(model)
    p = serial_port(sim, timeout=10)
    for cmd in (b"ATE0\r", b"AT+CMGF=1\r", b"AT+CMEE=1\r"):
        p.write(cmd)
        p.read_until(b"OK\r\n")
    p.write(b'AT+CMGS="+33612345678"\r')
    p.read_until(b"> ")
    p.write(b"avant\x1a")
    assert p.read_until(b"OK\r\n") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    sim.reboot()
    last = sim.profile.boot_lines[-1].encode()
    expected = b"".join(b"\r\n" + line.encode() + b"\r\n" for line in sim.profile.boot_lines)
    assert p.read_until(last + b"\r\n") == expected
    p.write(b"AT+CMGF?\r")
    assert p.read_until(b"OK\r\n") == b"AT+CMGF?\r\r\n+CMGF: 0\r\n\r\nOK\r\n"   # echo back on, PDU mode
    p.write(b"AT+FOO\r")
    assert p.read_until(b"ERROR\r\n") == b"AT+FOO\r\r\nERROR\r\n"           # CMEE back to 0
    pdu = encodeSmsSubmitPdu("+33612345678", "après")[0]
    p.write(f"AT+CMGS={pdu.tpduLength}\r".encode())
    p.read_until(b"> ")
    p.write(str(pdu).encode() + b"\x1a")
    assert p.read_until(b"OK\r\n").endswith(b"\r\n+CMGS: 1\r\n\r\nOK\r\n")  # TP-MR kept across the reboot


def test_reboot_with_a_pin_locks_the_sim_again(make_sim, serial_port):
    sim = make_sim("sim800", pin="1234")
    p = serial_port(sim, timeout=10)
    p.write(b'AT+CPIN="1234"\r')
    p.read_until(b"OK\r\n")
    sim.reboot()
    assert p.read_until(b"+CPIN: SIM PIN\r\n").endswith(b"\r\n+CPIN: SIM PIN\r\n")
    p.write(b"AT+CPMS?\r")
    assert p.read_until(b"ERROR\r\n").endswith(b"\r\nERROR\r\n")


def test_lost_registration(sim800, connect):
    modem = connect(sim800).modem
    sim800.lose_registration(60)
    assert modem.write("AT+CREG?") == ["+CREG: 0,2", "OK"]
    assert modem.signalStrength == -1
    assert modem.networkName is None
    with pytest.raises(CmsError) as err:
        modem.sendSms("+33612345678", "pas de réseau")
    assert err.value.code == 331
    sim800.lose_registration(0)
    assert modem.write("AT+CREG?") == ["+CREG: 0,1", "OK"]
    modem.sendSms("+33612345678", "réseau revenu")
    assert [e["text"] for e in sim800.air()] == ["réseau revenu"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_garbage_kills_the_library_reader_thread(sim7600, connect):
    client = connect(sim7600)
    modem = client.modem
    sim7600.send_garbage()
    modem.rxThread.join(10)
    assert not modem.rxThread.is_alive()
    assert modem.alive                                # the library does not notice
    with pytest.raises(TimeoutException):
        modem.write("AT", timeout=0.5)


def test_unsolicited_line_in_the_middle_of_a_command(sim800, connect):
    client = connect(sim800)
    modem = client.modem
    sim800.inject_sms("+33611111111", "avalé", announce=False)
    sim800.unsolicited_during_next_command('+CMTI: "ME",1')
    assert modem.write("AT+CSQ") == ["+CSQ: 20,0", '+CMTI: "ME",1', "OK"]
    assert [s.text for s in modem.listStoredSms()] == ["avalé"]   # still there for the storage sweep
    assert not any(c.startswith("AT+CMGR") for _, c in sim800.commands)


def test_control_dict_api_drives_the_same_switches(sim800, connect):
    modem = connect(sim800).modem
    assert sim800.handle_control({"cmd": "fault", "fault": "cms", "code": 42, "count": 1}) == {"ok": True}
    with pytest.raises(CmsError) as err:
        modem.sendSms("+33612345678", "x")
    assert err.value.code == 42
    assert sim800.handle_control({"cmd": "latency", "seconds": 0}) == {"ok": True}
    assert sim800.handle_control({"cmd": "fault", "fault": "nope"})["ok"] is False
    assert sim800.handle_control({"cmd": "nope"})["ok"] is False
    reply = sim800.handle_control({"cmd": "sms", "from": "+33600000000", "text": "par contrôle"})
    assert reply["ok"] and reply["indices"] == [1]
