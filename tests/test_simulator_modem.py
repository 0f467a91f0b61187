"""The simulated modems through the real stack: python-gsmmodem-new's GsmModem and pyserial on the pty."""

import json
import threading
from collections import defaultdict

import pytest
from gsmmodem.exceptions import IncorrectPinError, PinRequiredError

from tests.fixtures_simulator import gsm_modem_for

FRENCH_1 = "Vol à l'étalage signalé à Sées, soyez vigilants"
FRENCH_2 = "Fête à la forêt d'Écouves : ça reprend, l'œuvre « Noël » est volée"
LONG_GSM7 = ("Alerte gendarmerie de l'Orne : cambriolages en série signalés cette nuit à Sées, Argentan et Flers. "
             "Fermez vos accès, vérifiez vos alarmes et signalez tout véhicule suspect au 17. Merci de relayer "
             "l'information à vos collaborateurs. Ne répondez pas à ce message : pour ne plus recevoir ces alertes, "
             "contactez la brigade de votre secteur ou écrivez STOP.")
LONG_UCS2 = "« Urgent » " + LONG_GSM7
MODELS = ["sim800", "sim7600"]


def messages(air):
    """Texts of the air log, parts joined by (to, ref) in part order."""
    groups = defaultdict(dict)
    order = []
    for e in air:
        key = (e["to"], e["ref"], e["mr"]) if e["ref"] is None else (e["to"], e["ref"])
        if key not in groups:
            order.append(key)
        groups[key][e["part"]] = e
    out = []
    for key in order:
        parts = groups[key]
        count = next(iter(parts.values()))["parts"]
        assert sorted(parts) == list(range(1, count + 1)), f"missing parts in {key}"
        out.append("".join(parts[i]["text"] for i in sorted(parts)))
    return out


@pytest.mark.parametrize("model", MODELS)
def test_connect_and_identify(make_sim, connect, model):
    sim = make_sim(model)
    modem = connect(sim).modem
    assert modem.manufacturer == sim.profile.manufacturer
    assert modem.model == sim.profile.model_name
    assert modem.imei == sim.imei
    assert modem.imsi == sim.imsi
    assert modem.networkName == "Orange F"
    assert modem.signalStrength == 20
    assert modem.smsc == "+33689004000"
    cmds = [c for _, c in sim.commands]
    assert cmds[:2] == ["ATZ", "ATE0"]
    assert ("AT+CNMI=2,1,0,1,0" if model == "sim800" else "AT+CNMI=2,1,0,2") in cmds
    assert 'AT+CPMS="ME","ME","ME"' in cmds


@pytest.mark.parametrize("model", MODELS)
def test_pin(make_sim, connect, model):
    sim = make_sim(model, pin="1234")
    with pytest.raises(PinRequiredError):
        connect(sim)
    sim2 = make_sim(model, pin="1234")
    with pytest.raises(IncorrectPinError):
        connect(sim2, pin="0000")
    sim3 = make_sim(model, pin="1234")
    modem = connect(sim3, pin="1234").modem
    assert modem.signalStrength == 20
    assert any(e["type"] == "sim_unlocked" for e in sim3.events)


def test_sim_busy_after_the_pin_is_retried_by_the_library(make_sim, connect):
    sim = make_sim("sim800", pin="1234", pin_delay=0.5)
    modem = connect(sim, pin="1234").modem
    busy = [e for e in sim.events if e["type"] == "answer" and e["final"] == "+CME ERROR: 14"]
    assert busy                                   # the library slept and retried until the SIM was ready
    assert modem.sendSms("+33612345678", "prêt").reference == 0


@pytest.mark.parametrize("model", MODELS)
def test_sent_messages_are_on_air_as_written(make_sim, connect, model):
    sim = make_sim(model)
    modem = connect(sim).modem
    texts = ["Bonjour", FRENCH_1, FRENCH_2, LONG_GSM7, LONG_UCS2]
    refs = [modem.sendSms("+33612345678", t).reference for t in texts]
    air = sim.air()
    assert messages(air) == texts
    assert [e["mr"] for e in air] == list(range(len(air)))
    # the library tracks the TP-MR of the last part of each message
    last_parts = [e["mr"] for e in air if e["part"] == e["parts"]]
    assert refs == last_parts
    enc = {e["text"][:10]: e["encoding"] for e in air if e["part"] == 1}
    assert enc["Bonjour"] == "gsm7" and enc[FRENCH_1[:10]] == "gsm7"
    assert enc[FRENCH_2[:10]] == "ucs2" and enc[LONG_UCS2[:10]] == "ucs2"
    assert {e["parts"] for e in air} >= {1, 3}   # 400+ characters: 3 GSM-7 parts, more in UCS-2
    for e in air:
        assert e["modem"] == sim.name and e["to"] == "+33612345678"
        assert e["cmgs_at"] <= e["time"]
    with open(sim.air_log, encoding="utf-8") as f:
        assert [json.loads(line) for line in f] == air


def test_several_modems_at_once_keep_their_own_counters(make_sim, connect):
    sims = [make_sim("sim800"), make_sim("sim7600"), make_sim("sim800")]
    clients = [connect(s) for s in sims]
    for sim in sims:
        # no reports: a +CDSI handler's AT+CMGR may land inside a PDU being sent (the library's race, CMS 304)
        sim.set_report("none")
    errors = []

    def send(client, n):
        try:
            for i in range(20):
                client.modem.sendSms(f"+336000000{n:02d}", f"message {i} du modem {n}")
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=send, args=(c, n)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    for n, sim in enumerate(sims):
        air = sim.air()
        assert [e["text"] for e in air] == [f"message {i} du modem {n}" for i in range(20)]
        assert [e["mr"] for e in air] == list(range(20))


def test_latency_of_one_modem_does_not_block_another(make_sim, connect):
    slow = make_sim("sim800", latency=30)
    fast = make_sim("sim7600")
    slow_client, fast_client = connect(slow), connect(fast)
    done = threading.Event()

    def slow_send():
        try:
            slow_client.modem.sendSms("+33612345678", "lent")
        except Exception:
            pass
        done.set()

    threading.Thread(target=slow_send, daemon=True).start()
    assert slow.wait_event(lambda e: e["type"] == "pdu", 60)
    for i in range(10):
        fast_client.modem.sendSms("+33612345679", f"rapide {i}")
    assert len(fast.air()) == 10
    assert not done.is_set() and slow.air() == []   # the slow one is still "transmitting"
    slow.unplug(None)          # ends the module's wait: the client sees its port die, the SMS never went out
    assert slow_client.fatal.get(timeout=60)
    assert slow.wait_event("unplugged", 60) and slow.air() == []


def raw(port, data, until=b"OK\r\n"):
    port.write(data)
    return port.read_until(until)


def test_echo_errors_and_model_differences_on_the_wire(make_sim, serial_port):
    sim800, sim7600 = make_sim("sim800"), make_sim("sim7600")
    p = serial_port(sim800)
    assert raw(p, b"AT\r") == b"AT\r\r\nOK\r\n"          # echo on after power-up
    assert raw(p, b"ATE0\r") == b"ATE0\r\r\nOK\r\n"
    assert raw(p, b"AT\r") == b"\r\nOK\r\n"
    assert raw(p, b"AT+WIND?\r", b"ERROR\r\n") == b"\r\nERROR\r\n"
    assert raw(p, b"AT+CNMI=2,1,0,2\r", b"ERROR\r\n") == b"\r\nERROR\r\n"
    assert raw(p, b"AT+CNMI=2,1,0,1,0\r") == b"\r\nOK\r\n"
    assert raw(p, b"AT+CMMS=2\r") == b"\r\nOK\r\n"
    assert raw(p, b"AT+CMMS?\r") == b"\r\n+CMMS: 2\r\n\r\nOK\r\n"
    assert raw(p, b"AT+CGMI\r") == b"\r\nSIMCOM_Ltd\r\n\r\nOK\r\n"
    assert raw(p, b"AT+COPS?\r") == b'\r\n+COPS: 0,0,"Orange F"\r\n\r\nOK\r\n'
    assert raw(p, b"AT+CREG?\r") == b"\r\n+CREG: 0,1\r\n\r\nOK\r\n"
    assert raw(p, b"AT+CSQ\r") == b"\r\n+CSQ: 20,0\r\n\r\nOK\r\n"
    assert b"AT+CMGS\r\n" in raw(p, b"AT+CLAC\r")
    assert raw(p, b"AT+CMEE=1\r") == b"\r\nOK\r\n"
    assert raw(p, b'AT+CPIN="1234"\r', b"\r\n+CME ERROR: 3\r\n") == b"\r\n+CME ERROR: 3\r\n"
    assert raw(p, b"AT+CSCS=?\r").startswith(b'\r\n+CSCS: ("IRA","GSM","UCS2"')
    # the SMS prompt is exactly "> "; ESC abandons the message, nothing goes on air
    assert raw(p, b"AT+CMGS=18\r", b"> ") == b"\r\n> "
    assert raw(p, b"0011\x1b") == b"\r\nOK\r\n"
    assert sim800.air() == []
    q = serial_port(sim7600)
    assert raw(q, b"ATE0\r").endswith(b"\r\nOK\r\n")
    assert raw(q, b"AT+CNMI=2,1,0,2\r") == b"\r\nOK\r\n"
    assert raw(q, b"AT+CGMM\r") == b"\r\nSIMCOM_SIM7600E-H\r\n\r\nOK\r\n"
    assert b'"SR"' in raw(q, b"AT+CPMS=?\r")


def test_bad_pdu_length_is_cms_304(sim800, serial_port):
    from vigie.daemon.simulator import pdu as codec
    p = serial_port(sim800)
    raw(p, b"ATE0\r")
    raw(p, b"AT+CMEE=1\r")
    hexpdu = codec.encode_submit("+33612345678", "Bonjour")[0]
    raw(p, b"AT+CMGS=99\r", b"> ")
    assert raw(p, hexpdu.encode() + b"\x1a", b"304\r\n") == b"\r\n+CMS ERROR: 304\r\n"
    raw(p, f"AT+CMGS={len(hexpdu) // 2 - 1}\r".encode(), b"> ")
    assert raw(p, hexpdu.encode() + b"\x1a") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    assert [e["text"] for e in sim800.air()] == ["Bonjour"]


def test_text_mode_send(sim800, serial_port):
    p = serial_port(sim800)
    raw(p, b"ATE0\r")
    raw(p, b"AT+CMGF=1\r")
    raw(p, b'AT+CMGS="+33612345678"\r', b"> ")
    assert raw(p, b"Texte simple\x1a") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    (entry,) = sim800.air()
    assert (entry["to"], entry["text"], entry["encoding"], entry["parts"]) == ("+33612345678", "Texte simple", "gsm7", 1)


def test_a_fresh_client_reconnects_after_the_previous_one_closed(sim800, connect):
    first = connect(sim800)
    first.modem.sendSms("+33612345678", "un")
    first.close()
    second = connect(sim800)
    second.modem.sendSms("+33612345678", "deux")
    assert [e["text"] for e in sim800.air()] == ["un", "deux"]


def test_gsm_modem_for_builds_an_unconnected_client(sim800):
    client = gsm_modem_for(sim800)
    assert client.modem.AT_CNMI == "2,1,0,1,0"
    assert client.modem.port == sim800.port
