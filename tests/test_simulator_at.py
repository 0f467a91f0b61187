"""The simulator against the SIM800 and SIM7600 AT manuals, in a raw AT session (what gammu, smstools3 and a
person at a terminal send): V.250 command lines, the commands the modules implement, answer formats."""

import datetime
import re
import time

import pytest

from tests.fixtures_simulator import at
from vigie.daemon.simulator import pdu as codec

MODELS = ["sim800", "sim7600"]


@pytest.fixture
def session(make_sim, serial_port):
    """session(model, **kw) -> (sim, port) with echo off."""
    def open_(model="sim800", **kw):
        sim = make_sim(model, **kw)
        port = serial_port(sim, timeout=60)
        assert at(port, "ATE0").endswith(b"\r\nOK\r\n")
        return sim, port
    return open_


@pytest.fixture
def paris():
    """The host in Paris (UTC+1 in winter, +2 in summer): time stamps carry a non-zero zone."""
    import os
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Paris"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def quarters_here():
    q = time.localtime().tm_gmtoff // 900
    return f"{'-' if q < 0 else '+'}{abs(q):02d}"


# ---------------------------------------------------------------- V.250 command lines

def test_chained_extended_commands_each_answer_then_one_ok(session):
    sim, p = session()
    assert at(p, "AT+CSQ;+CREG?") == b"\r\n+CSQ: 20,0\r\n\r\n+CREG: 0,1\r\n\r\nOK\r\n"
    assert [c for _, c in sim.commands][-1] == "AT+CSQ;+CREG?"


def test_smstools3_start_up_line(session):
    sim, p = session()
    assert at(p, "AT+CMEE=1;+CREG=2") == b"\r\nOK\r\n"
    assert at(p, "AT+CMEE?;+CREG?") == b'\r\n+CMEE: 1\r\n\r\n+CREG: 2,1,"2A1C","5B3F"\r\n\r\nOK\r\n'
    # the pre_init form: a basic command then extended ones, no separator after the basic one
    assert at(p, "ATE0+CMEE=2;+CREG=0") == b"\r\nOK\r\n"
    assert at(p, "AT+CMEE?") == b"\r\n+CMEE: 2\r\n\r\nOK\r\n"


def test_basic_commands_chain_without_separator(make_sim, serial_port):
    sim = make_sim("sim800")
    p = serial_port(sim, timeout=60)
    assert at(p, "ATE0V1") == b"ATE0V1\r\r\nOK\r\n"       # echoed (echo was on), then echo off
    assert at(p, "AT") == b"\r\nOK\r\n"
    assert at(p, "ATQ0V1E0&D2&C1S0=0") == b"\r\nOK\r\n"
    assert at(p, "ATS0?") == b"\r\n000\r\n\r\nOK\r\n"


def test_the_first_failing_command_ends_the_line(session):
    sim, p = session()
    assert at(p, "AT+CMEE=1") == b"\r\nOK\r\n"
    assert at(p, "AT+CSQ;+CMGF=7;+CMGF=1") == b"\r\n+CSQ: 20,0\r\n\r\n+CME ERROR: 3\r\n"
    assert at(p, "AT+CMGF?") == b"\r\n+CMGF: 0\r\n\r\nOK\r\n"       # the command after the error did not run
    assert at(p, "AT+CSQ;+WIND?") == b"\r\n+CSQ: 20,0\r\n\r\nERROR\r\n"
    assert at(p, 'AT+CSCA="+33;600";+CSCA?') == b'\r\n+CSCA: "+33;600",145\r\n\r\nOK\r\n'   # ";" inside quotes


# ---------------------------------------------------------------- commands the modules implement

SIM800_ANSWERS = {
    "AT+CSMS?": "+CSMS: 0,1,1,1",
    "AT+CSMS=?": "+CSMS: (0,1)",
    "AT+CSMS=0": "+CSMS: 1,1,1",
    "AT+CSDH?": "+CSDH: 0",
    "AT+CSDH=?": "+CSDH: (0,1)",
    "AT+CCID": re.compile(r"^89\d{18}$"),
    "AT+CSPN?": '+CSPN: "Orange F",0',
    "AT+GSV": "SIMCOM_Ltd\r\nSIMCOM_SIM800\r\nRevision:1418B04SIM800L24",
    "AT+CCLK?": re.compile(r'^\+CCLK: "\d\d/\d\d/\d\d,\d\d:\d\d:\d\d[+-]\d\d"$'),
    "AT+CLTS?": "+CLTS: 0",
    "AT+CLTS=?": "+CLTS: (0,1)",
    "AT+CBC": re.compile(r"^\+CBC: 0,\d{1,3},\d{4}$"),
    "AT+CGATT?": "+CGATT: 1",
    "AT+CGREG?": "+CGREG: 0,1",
    "AT+CPAS": "+CPAS: 0",
    "AT+CENG?": "+CENG: 0,0",
    "AT+CGDCONT?": '+CGDCONT: 1,"IP","","0.0.0.0",0,0',
    "AT+IPR?": "+IPR: 0",
    "AT+IPR=115200": None,
    "AT&V": re.compile(r"^ACTIVE PROFILE:\r\nE0 Q0 V1 X4 &C1 &D1\r\nS0: 0\r\n(.+\r\n)+\+CMEE: 1(\r\n.+)+$"),
    "AT+CPBS?": '+CPBS: "SM",0,250',
    "ATS0?": "000",
    "AT+CUSD=1": None,
    "AT+CUSD=1;+CUSD?": "+CUSD: 1",
    "AT+CSCLK=0": None,
    "AT+CSCLK?": "+CSCLK: 0",
    "AT+CHUP=?": None,
    "AT+CHUP": None,
    "AT+SPIC": "+SPIC: 3,3,10,10",
    "AT+CPBR=?": "+CPBR: (1-250),40,14",
    "AT+CPBR=1,10": None,
    "AT+CCWA=1;+CCWA?": "+CCWA: 1",
}
SIM7600_ANSWERS = {
    "AT+CPSI?": re.compile(r"^\+CPSI: LTE,Online,208-01,0x2A1C,\d+,\d+,EUTRAN-BAND3,"),
    "AT+CNMP?": "+CNMP: 2",
    "AT+CNMP=?": re.compile(r"^\+CNMP: \(2,13,14,38,"),
    "AT+CGPS?": "+CGPS: 0,1",
    "AT+CGPS=1": None,
    "AT+CCLK?": re.compile(r'^\+CCLK: "\d\d/\d\d/\d\d,\d\d:\d\d:\d\d[+-]\d\d"$'),
    "AT+CGREG?": "+CGREG: 0,1",
    "AT+CEREG?": "+CEREG: 0,1",
    "AT+CEREG=2": None,
    "AT+CICCID": re.compile(r"^\+ICCID: 89\d{18}$"),
    "AT+CBC": re.compile(r"^\+CBC: \d\.\d{3}V$"),
    "AT+CTZU?": "+CTZU: 1",
    "AT+CPAS": "+CPAS: 0",
    "AT+CSMS?": "+CSMS: 0,1,1,1",
    "AT+CPBR=?": "+CPBR: (1-250),40,14",
}


@pytest.mark.parametrize("model,command,expected",
                         [("sim800", c, e) for c, e in SIM800_ANSWERS.items()]
                         + [("sim7600", c, e) for c, e in SIM7600_ANSWERS.items()])
def test_commands_of_the_manual_are_answered(session, model, command, expected):
    sim, p = session(model)
    at(p, "AT+CMEE=1")
    answer = at(p, command).decode()
    assert answer.endswith("\r\nOK\r\n"), answer
    body = answer[:-len("\r\nOK\r\n")]
    if expected is None:
        assert body == ""
        return
    assert body.startswith("\r\n") and body.endswith("\r\n"), answer
    body = body[2:-2]
    if isinstance(expected, str):
        assert body == expected
    else:
        assert expected.search(body), body


def test_cnma_acknowledges_a_routed_report_only_when_one_is_expected(session):
    sim, p = session("sim800")
    at(p, "AT+CMEE=1")
    assert at(p, "AT+CNMA") == b"\r\n+CMS ERROR: 340\r\n"       # nothing to acknowledge
    at(p, "AT+CSMS=1")
    at(p, "AT+CNMI=2,1,0,1,0")
    hexpdu = codec.encode_submit("+33612345678", "Bonjour", status_report=True)[0]
    p.write(f"AT+CMGS={len(hexpdu) // 2 - 1}\r".encode())
    assert p.read_until(b"> ") == b"\r\n> "
    p.write(hexpdu.encode() + b"\x1a")
    assert p.read_until(b"OK\r\n") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    assert p.read_until(b"\r\n") == b"\r\n"
    assert p.read_until(b"\r\n").startswith(b"+CDS: ")
    assert re.fullmatch(b"[0-9A-F]+\r\n", p.read_until(b"\r\n"))
    assert at(p, "AT+CNMA") == b"\r\nOK\r\n"
    assert at(p, "AT+CNMA") == b"\r\n+CMS ERROR: 340\r\n"


@pytest.mark.parametrize("model", MODELS)
def test_clac_lists_exactly_what_answers(session, model):
    sim, p = session(model)
    answer = at(p, "AT+CLAC").decode()
    assert answer.startswith("\r\nAT") and answer.endswith("\r\n\r\nOK\r\n")
    listed = answer[2:-len("\r\n\r\nOK\r\n")].split("\r\n")
    assert all(listed) and len(listed) == len(set(listed))            # no blank line, no duplicate
    assert {"AT+CMGS", "AT+CMGL", "AT+CSMS", "AT+CCLK", "AT+CPIN"} <= set(listed)
    other = {"sim800": {"AT+CPSI", "AT+CNMP", "AT+CGPS", "AT+CEREG"}, "sim7600": {"AT+DDET", "AT+CSCLK", "AT+CENG"}}
    assert not other[model] & set(listed)
    for command in other[model]:
        assert at(p, command + "?") == b"\r\nERROR\r\n"
    for command in listed:
        if command in ("ATZ", "AT&F", "ATH", "ATE"):     # they reset the session or hang up: answered OK above
            continue
        probe = command + "=?" if command[2] in "+^" else command + ("?" if command[2] == "S" else "")
        final = at(p, probe).decode().rsplit("\r\n", 2)[-2]
        assert final == "OK", (probe, final)


def test_unknown_commands_still_error(session):
    sim, p = session("sim800")
    assert at(p, "AT+WIND?") == b"\r\nERROR\r\n"
    assert at(p, "AT+CPSI?") == b"\r\nERROR\r\n"
    assert at(p, "ATD+33612345678;") == b"\r\nERROR\r\n"


# ---------------------------------------------------------------- formats

@pytest.mark.parametrize("model,cell", [("sim800", "5B3F"), ("sim7600", "05B3F01")])
def test_creg_2_carries_location_and_cell_in_answers_and_urcs(session, model, cell):
    sim, p = session(model)
    at(p, "AT+CREG=2")
    assert at(p, "AT+CREG?") == f'\r\n+CREG: 2,1,"2A1C","{cell}"\r\n\r\nOK\r\n'.encode()
    sim.lose_registration(0.3)
    assert p.read_until(b"+CREG: 2\r\n") == b"\r\n+CREG: 2\r\n"
    assert p.read_until(b"\r\n", size=2) == b"\r\n"
    assert p.read_until(b"\r\n") == f'+CREG: 1,"2A1C","{cell}"\r\n'.encode()
    assert at(p, "AT+CREG=1") == b"\r\nOK\r\n"
    assert at(p, "AT+CREG?") == b"\r\n+CREG: 1,1\r\n\r\nOK\r\n"


def test_sim7600_ati_is_the_multi_line_identification(session):
    sim, p = session("sim7600")
    assert at(p, "ATI") == (f"\r\nManufacturer: SIMCOM INCORPORATED\r\nModel: SIMCOM_SIM7600E-H\r\n"
                            f"Revision: LE20B04SIM7600M22\r\nIMEI: {sim.imei}\r\n+GCAP: +CGSM\r\n\r\nOK\r\n").encode()


def test_sim800_ati_is_one_line(session):
    sim, p = session("sim800")
    assert at(p, "ATI") == b"\r\nSIM800 R14.18\r\n\r\nOK\r\n"


@pytest.mark.parametrize("model", MODELS)
def test_pdu_listings_have_no_blank_line_inside(session, model):
    sim, p = session(model)
    at(p, 'AT+CPMS="SM","SM","SM"')
    first = [*sim.inject_sms("+33611111111", "un", announce=False),
             *sim.inject_sms("+33622222222", "deux", announce=False)]
    answer = at(p, "AT+CMGL=4").decode()
    lines = answer.split("\r\n")
    assert answer.count("\r\n\r\n") == 1 and answer.endswith("\r\n\r\nOK\r\n")     # only before the final OK
    assert re.fullmatch(rf'\+CMGL: {first[0]},0,("")?,\d+', lines[1]) and re.fullmatch("[0-9A-F]+", lines[2])
    assert re.fullmatch(rf'\+CMGL: {first[1]},0,("")?,\d+', lines[3]) and re.fullmatch("[0-9A-F]+", lines[4])
    answer = at(p, f"AT+CMGR={first[0]}").decode()
    assert re.fullmatch(r'\r\n\+CMGR: 1,("")?,\d+\r\n[0-9A-F]+\r\n\r\nOK\r\n', answer)


def test_text_mode_report_listing_has_the_real_time_zone(paris, session):
    sim, p = session("sim7600")
    at(p, "AT+CNMI=2,1,0,2,0")
    sim.pause_urcs()
    hexpdu = codec.encode_submit("+33612345678", "Bonjour", status_report=True)[0]
    p.write(f"AT+CMGS={len(hexpdu) // 2 - 1}\r".encode())
    p.read_until(b"> ")
    p.write(hexpdu.encode() + b"\x1a")
    assert p.read_until(b"OK\r\n") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    assert sim.wait_event(lambda e: e["type"] == "report", 60)
    at(p, 'AT+CPMS="SR","SR","SR"')
    at(p, "AT+CMGF=1")
    zone = quarters_here()
    assert zone in ("+04", "+08")
    answer = at(p, 'AT+CMGL="ALL"').decode()
    stamp = r"\d\d/\d\d/\d\d,\d\d:\d\d:\d\d"
    assert re.fullmatch(rf'\r\n\+CMGL: 0,"REC UNREAD",6,0,"\+33612345678",145,"{stamp}\{zone}",'
                        rf'"{stamp}\{zone}",0\r\n\r\nOK\r\n', answer), answer


def test_text_mode_messages_with_the_time_zone_and_csdh(paris, session):
    sim, p = session("sim800")
    at(p, "AT+CMGF=1")
    (idx,) = sim.inject_sms("+33655555555", "Bonjour", announce=False)
    zone = quarters_here()
    answer = at(p, f"AT+CMGR={idx}").decode()
    assert re.fullmatch(rf'\r\n\+CMGR: "REC UNREAD","\+33655555555","","[^"]+\{zone}"\r\nBonjour\r\n\r\nOK\r\n',
                        answer), answer
    at(p, "AT+CSDH=1")
    answer = at(p, f"AT+CMGR={idx}").decode()
    assert re.match(rf'\r\n\+CMGR: "REC READ","\+33655555555","","[^"]+\{zone}",145,4,0,0,"\+33689004000",145,7\r\n',
                    answer), answer
    answer = at(p, 'AT+CMGL="ALL"').decode()
    assert re.match(rf'\r\n\+CMGL: {idx},"REC READ","\+33655555555","","[^"]+\{zone}",145,7\r\nBonjour\r\n', answer)


# ---------------------------------------------------------------- the clock

def _cclk(p):
    answer = at(p, "AT+CCLK?").decode()
    m = re.fullmatch(r'\r\n\+CCLK: "(\d\d/\d\d/\d\d,\d\d:\d\d:\d\d)([+-]\d\d)"\r\n\r\nOK\r\n', answer)
    assert m, answer
    quarters = int(m.group(2))
    tz = datetime.timezone(datetime.timedelta(minutes=15 * quarters))
    return datetime.datetime.strptime(m.group(1), "%y/%m/%d,%H:%M:%S").replace(tzinfo=tz), m.group(2)


def test_sim800_clock_is_the_network_time_once_clts_is_on(paris, session):
    sim, p = session("sim800")
    clock, zone = _cclk(p)
    assert clock.year == 2004 and zone == "+00"            # a SIM800's clock after power-up, no network time
    assert at(p, "AT+CLTS=1") == b"\r\nOK\r\n"
    assert at(p, "AT+CLTS?") == b"\r\n+CLTS: 1\r\n\r\nOK\r\n"
    clock, zone = _cclk(p)
    assert zone == quarters_here()
    assert abs((clock - datetime.datetime.now(datetime.UTC)).total_seconds()) < 120
    sim.reboot()
    assert sim.wait_event("boot_lines", 60)
    p.reset_input_buffer()
    at(p, "ATE0")
    assert at(p, "AT+CLTS?") == b"\r\n+CLTS: 1\r\n\r\nOK\r\n"     # saved, like AT+CLTS=1;&W
    assert _cclk(p)[1] == quarters_here()


def test_clock_can_be_set(session):
    sim, p = session("sim7600")
    assert abs((_cclk(p)[0] - datetime.datetime.now(datetime.UTC)).total_seconds()) < 120
    assert at(p, 'AT+CCLK="30/06/15,08:30:00-08"') == b"\r\nOK\r\n"
    clock, zone = _cclk(p)
    assert zone == "-08" and clock.strftime("%y/%m/%d,%H:%M") == "30/06/15,08:30"
    at(p, "AT+CMEE=1")
    assert at(p, 'AT+CCLK="pas une date"') == b"\r\n+CME ERROR: 3\r\n"


def test_network_time_can_be_off(session):
    sim, p = session("sim7600")
    assert sim.handle_control({"cmd": "fault", "fault": "clock", "offset": 3600}) == {"ok": True}
    ahead = (_cclk(p)[0] - datetime.datetime.now(datetime.UTC)).total_seconds()
    assert 3600 - 120 < ahead < 3600 + 120
    sim.set_network_time(-86400)
    behind = (_cclk(p)[0] - datetime.datetime.now(datetime.UTC)).total_seconds()
    assert -86400 - 120 < behind < -86400 + 120


def test_gprs_and_lte_registration_urcs(session):
    sim, p = session("sim7600")
    assert at(p, "AT+CGREG=1;+CEREG=2") == b"\r\nOK\r\n"
    sim.lose_registration(0.3)
    lines = [p.read_until(b"\r\n") for _ in range(8)]
    assert [line for line in lines if line != b"\r\n"] == [b"+CGREG: 2\r\n", b"+CEREG: 2\r\n", b"+CGREG: 1\r\n",
                                                          b'+CEREG: 1,"2A1C","05B3F01",7\r\n']
