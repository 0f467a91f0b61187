"""Status reports (+CDS on SIM800, +CDSI "SR" on SIM7600) and incoming SMS, through GsmModem's callbacks."""

import queue

import pytest

MODELS = ["sim800", "sim7600"]


def next_report(client, timeout=60):
    return client.reports.get(timeout=timeout)


@pytest.mark.parametrize("model", MODELS)
def test_each_part_gets_a_delivered_report_on_the_model_path(make_sim, connect, model):
    sim = make_sim(model)
    client = connect(sim)
    sim.pause_urcs()            # reports wait until the sends are over: none lands inside a command
    client.modem.sendSms("+33612345678", "Un")
    client.modem.sendSms("+33698765432", "x" * 200)          # two parts, two reports
    sim.resume_urcs()
    reports = [next_report(client) for _ in range(3)]
    assert sorted((r.reference, r.number) for r in reports) == [
        (0, "+33612345678"), (1, "+33698765432"), (2, "+33698765432")]
    assert all(r.deliveryStatus == 0 for r in reports)
    urcs = [e["line"] for e in sim.events if e["type"] == "urc"]
    if model == "sim800":
        assert all(u.startswith("+CDS: ") and "\r\n" in u for u in urcs)
    else:
        assert all(u.startswith('+CDSI: "SR",') for u in urcs)
        assert sim.stored("SR") == {"SR": {}}    # read and deleted by the library


@pytest.mark.parametrize("model", MODELS)
def test_report_outcomes(make_sim, connect, model):
    sim = make_sim(model, seed=1)
    client = connect(sim)
    sim.set_report("temporary_then_delivered", number="+33600000001")
    sim.set_report("failed", number="+33600000002")
    sim.set_report("none", number="+33600000003")
    sim.set_report("failed", number="+33600000005", status=0x43)
    got = []
    for n, expected in ((1, 2), (2, 1), (3, 0), (4, 1), (5, 1)):   # one message in flight at a time
        client.modem.sendSms(f"+3360000000{n}", f"message {n}")
        got += [next_report(client) for _ in range(expected)]
    by_number = {}
    for r in got:
        by_number.setdefault(r.number, []).append(r.deliveryStatus)
    assert by_number == {"+33600000001": [0x30, 0x00], "+33600000002": [0x41], "+33600000004": [0x00],
                         "+33600000005": [0x43]}
    # "none": the report of message 4, sent after message 3, has arrived and 3 has none
    assert [e["mr"] for e in sim.events if e["type"] == "report"] == [0, 0, 1, 3, 4]
    with pytest.raises(queue.Empty):
        client.reports.get_nowait()


def test_report_rate_is_deterministic_with_a_seed(make_sim, connect):
    outcomes = []
    for _ in range(2):
        sim = make_sim("sim800", seed=42)
        sim.set_report("failed", rate=0.5)
        client = connect(sim)
        statuses = []
        for i in range(12):
            client.modem.sendSms("+33612345678", f"m{i}")
            statuses.append(next_report(client).deliveryStatus)
        outcomes.append(statuses)
        client.close()
    assert outcomes[0] == outcomes[1]
    assert {0x00, 0x41} == set(outcomes[0])


def test_report_delay_defers_the_report(make_sim, connect):
    sim = make_sim("sim7600", report_delay=30)
    client = connect(sim)
    client.modem.sendSms("+33612345678", "plus tard")
    assert sim.wait_air(1)
    with pytest.raises(queue.Empty):
        client.reports.get(timeout=0.3)
    assert not any(e["type"] == "report" for e in sim.events)


@pytest.mark.parametrize("model", MODELS)
def test_300_messages_wrap_the_message_reference(make_sim, connect, model):
    sim = make_sim(model, urc_guard=0.001)     # a single report in flight at a time: no guard needed
    client = connect(sim)
    sent, reports = [], []
    for i in range(300):
        # one report at a time, each awaited while the client is idle: nothing to swallow or merge however
        # loaded the machine is (tests/test_simulator_faults.py shows what happens otherwise)
        sent.append(client.modem.sendSms(f"+336{i:08d}", f"n{i}"))
        reports.append(next_report(client, 30))
    air = sim.air()
    assert [e["mr"] for e in air] == [i % 256 for i in range(300)]
    assert [s.reference for s in sent] == [i % 256 for i in range(300)]
    assert not [e for e in sim.events if e["type"] == "storage_full"]
    number_of = {}
    for e in air:
        number_of.setdefault(e["mr"], []).append(e["to"])
    for r in reports:
        assert r.number in number_of[r.reference]
    pairs = sorted((r.reference, r.number) for r in reports)
    assert pairs == sorted((e["mr"], e["to"]) for e in air)


# --- incoming SMS --------------------------------------------------------------------------------

@pytest.mark.parametrize("model", MODELS)
def test_incoming_sms_reach_the_callback(make_sim, connect, model):
    sim = make_sim(model)
    client = connect(sim)
    sim.inject_sms("+33611111111", "STOP")
    sms = client.received.get(timeout=60)
    assert (sms.number, sms.text) == ("+33611111111", "STOP")
    sim.inject_sms("+33622222222", "Reçu : « merci » ça marche, l'œuvre")
    sms = client.received.get(timeout=60)
    assert sms.text == "Reçu : « merci » ça marche, l'œuvre"
    mem = "ME"
    assert f'+CMTI: "{mem}",{sim.profile.first_index}' in [e["line"] for e in sim.events if e["type"] == "urc"]
    assert sim.wait_event(lambda e: e["type"] == "deleted" and e["index"] == sim.profile.first_index, 60)


def test_incoming_multipart_arrives_in_parts_with_their_header(sim800, connect):
    client = connect(sim800)
    text = "Réponse longue : " + "abcdefghij" * 35
    sim800.inject_sms("+33633333333", text)
    parts = [client.received.get(timeout=60) for _ in range(3)]
    order = {}
    for p in parts:
        (ie,) = [ie for ie in p.udh if ie.id == 0x00]
        order[ie.number] = p.text
        assert ie.parts == 3
    assert "".join(order[i] for i in (1, 2, 3)) == text


@pytest.mark.parametrize("model", MODELS)
def test_missed_notification_is_found_by_listing_storage(make_sim, connect, model):
    sim = make_sim(model)
    client = connect(sim)
    sim.inject_sms("+33644444444", "Silencieux é", announce=False)
    assert not [e for e in sim.events if e["type"] == "urc" and "CMTI" in e["line"]]
    stored = client.modem.listStoredSms()
    assert [(s.number, s.text) for s in stored] == [("+33644444444", "Silencieux é")]
    assert client.received.empty()
    client.modem.deleteStoredSms(stored[0].index if stored[0].index is not None else sim.profile.first_index)
    assert client.modem.listStoredSms() == []


def test_stored_messages_in_text_mode(sim800, serial_port):
    p = serial_port(sim800)
    for cmd in (b"ATE0\r", b"AT+CMGF=1\r", b'AT+CPMS="SM","SM","SM"\r'):
        p.write(cmd)
        p.read_until(b"OK\r\n")
    sim800.inject_sms("+33655555555", "Bonjour", announce=False)
    p.write(b'AT+CMGL="ALL"\r')
    answer = p.read_until(b"OK\r\n").decode()
    assert '+CMGL: 1,"REC UNREAD","+33655555555",""' in answer and "\r\nBonjour\r\n" in answer
    p.write(b"AT+CMGR=1\r")
    answer = p.read_until(b"OK\r\n").decode()
    assert answer.startswith('\r\n+CMGR: "REC READ","+33655555555",""') and "Bonjour" in answer
    p.write(b"AT+CMGF=0\r")
    p.read_until(b"OK\r\n")
    p.write(b"AT+CMGL=4\r")
    answer = p.read_until(b"OK\r\n").decode()
    assert answer.startswith('\r\n+CMGL: 1,1,"",')
    p.write(b"AT+CMGD=1,4\r")
    p.read_until(b"OK\r\n")
    assert sim800.stored("SM") == {"SM": {}}
