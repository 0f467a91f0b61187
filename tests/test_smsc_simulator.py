"""The simulated SMSC on its own, driven by an independent SMPP client (smpplib's Client): binds, submit_sm
and the air log, receipts and MO kept until acknowledged, throttling, refusals, drops."""

import socket

import pytest
import smpplib.client
import smpplib.consts
import smpplib.exceptions
from smpplib import smpp

from vigie.daemon.simulator.smsc import SimulatedSMSC
from vigie.daemon.simulator.smsc.protocol import (
    ESME_RINVBNDSTS,
    ESME_RINVPASWD,
    ESME_RINVSYSID,
    ESME_RINVSYSTYP,
    ESME_ROK,
    ESME_RSUBMITFAIL,
    ESME_RTHROTTLED,
)


@pytest.fixture
def sim(tmp_path):
    s = SimulatedSMSC(name="smsc-t", accounts={"box": "pw"}, system_type="VMA",
                      air_log=str(tmp_path / "air.jsonl"), seed=1).start()
    yield s
    s.stop()


class Esme:
    """An smpplib client that reads PDUs itself (answering deliver_sm) with a deadline."""

    def __init__(self, sim, bind="transceiver", system_id="box", password="pw", system_type="VMA"):
        self.client = smpplib.client.Client("127.0.0.1", sim.port, timeout=10, allow_unknown_opt_params=True)
        self.client.connect()
        self.received = []
        if bind:
            getattr(self.client, f"bind_{bind}")(system_id=system_id, password=password, system_type=system_type)

    def submit(self, text: bytes, to="33612345678", esm_class=0, registered_delivery=1, data_coding=0):
        return self.client.send_message(source_addr="GEND61", destination_addr=to, dest_addr_ton=1,
                                        short_message=text, esm_class=esm_class, data_coding=data_coding,
                                        registered_delivery=registered_delivery)

    def read(self, command: str, timeout: float = 10.0):
        """The next PDU of that command (deliver_sm are answered and kept in ``received``)."""
        self.client._socket.settimeout(timeout)
        while True:
            pdu = self.client.read_pdu()
            if pdu.command == "deliver_sm":
                self.received.append(pdu)
                resp = smpp.make_pdu("deliver_sm_resp", client=self.client)
                resp.sequence = pdu.sequence
                self.client.send_pdu(resp)
            if pdu.command == command:
                return pdu

    def close(self):
        self.client.disconnect()


def test_binds_check_the_account(sim):
    for kwargs, status in ((dict(password="faux"), ESME_RINVPASWD), (dict(system_id="autre"), ESME_RINVSYSID),
                           (dict(system_type="XX"), ESME_RINVSYSTYP)):
        with pytest.raises(smpplib.exceptions.PDUError) as refused:
            Esme(sim, **kwargs)
        assert refused.value.args[1] == status
    esme = Esme(sim)
    assert sim.wait_bound(1)
    assert [e["status"] for e in sim.events("bind")] == [ESME_RINVPASWD, ESME_RINVSYSID, ESME_RINVSYSTYP, ESME_ROK]
    esme.close()


def test_submit_goes_on_air_and_gets_its_receipt(sim):
    esme = Esme(sim)
    esme.submit(bytes([5, 0, 3, 9, 2, 2]) + "fin du message à Sées".encode("latin-1").translate(
        bytes.maketrans(b"\xe0\xe9", b"\x7f\x05")), esm_class=0x40)
    resp = esme.read("submit_sm_resp")
    assert resp.status == ESME_ROK
    message_id = resp.message_id.decode()
    [entry] = sim.air()
    assert (entry["phone"], entry["text"], entry["part"], entry["parts"], entry["ref"], entry["message_id"]) == (
        "+33612345678", "fin du message à Sées", 2, 2, 9, message_id)
    receipt = esme.read("deliver_sm")
    assert receipt.esm_class == 0x04 and receipt.receipted_message_id.decode() == message_id
    assert f"id:{message_id} sub:001 dlvrd:001".encode() in receipt.short_message
    assert b"stat:DELIVRD err:000" in receipt.short_message
    assert sim.wait_delivered(1)
    esme.close()


def test_throttling_and_refusals(sim):
    esme = Esme(sim)
    sim.throttle(2)
    for n in range(5):
        esme.submit(f"m{n}".encode(), registered_delivery=0)
    statuses = [esme.read("submit_sm_resp").status for _ in range(5)]
    assert statuses.count(ESME_ROK) == 2 and statuses.count(ESME_RTHROTTLED) == 3
    sim.throttle(None)
    sim.refuse(ESME_RSUBMITFAIL, count=1)
    esme.submit(b"refused", registered_delivery=0)
    esme.submit(b"accepted", registered_delivery=0)
    assert [esme.read("submit_sm_resp").status for _ in range(2)] == [ESME_RSUBMITFAIL, ESME_ROK]
    assert [a["text"] for a in sim.air()] == ["m0", "m1", "accepted"]
    esme.close()


def test_submit_before_bind_is_refused(sim):
    esme = Esme(sim, bind=None)
    esme.client.state = smpplib.consts.SMPP_CLIENT_STATE_BOUND_TRX     # lie to the client, not to the SMSC
    esme.submit(b"sans bind")
    assert esme.read("submit_sm_resp").status == ESME_RINVBNDSTS
    assert sim.air() == []
    esme.close()


def test_mo_and_receipts_wait_for_a_receiver(sim):
    sim.set_report("undeliverable", delay=0.0)
    tx = Esme(sim, bind="transmitter")
    tx.submit(b"perdu")
    message_id = tx.read("submit_sm_resp").message_id.decode()
    sim.inject_mo("+33698765432", "STOP ☎")
    assert sim.store.wait_for(lambda: len(sim.events("deliver_sm_queued")) == 2)
    assert sim.pending_deliveries() == 2           # nobody to hand them to: kept
    rx = Esme(sim, bind="receiver")
    first, second = sorted((rx.read("deliver_sm"), rx.read("deliver_sm")), key=lambda p: -p.esm_class)
    assert first.receipted_message_id.decode() == message_id and b"stat:UNDELIV" in first.short_message
    assert (second.source_addr.decode(), second.data_coding) == ("33698765432", 8)
    assert second.short_message.decode("utf-16-be") == "STOP ☎"
    assert sim.wait_delivered(2) and sim.pending_deliveries() == 0
    tx.close()
    rx.close()


def test_unanswered_deliver_sm_is_sent_again_after_a_drop(sim):
    lazy = Esme(sim)
    sim.inject_mo("+33698765432", "START")
    lazy.client._socket.settimeout(10)
    assert lazy.client.read_pdu().command == "deliver_sm"     # read, never answered
    assert sim.drop() == 1
    with pytest.raises((smpplib.exceptions.ConnectionError, socket.timeout)):
        lazy.read("deliver_sm", timeout=5)
    again = Esme(sim)
    assert again.read("deliver_sm").short_message == b"START"
    assert sim.wait_delivered(1)
    assert sim.events("deliver_sm_requeued")
    again.close()


def test_enquire_link_is_answered(sim):
    esme = Esme(sim)
    esme.client.send_pdu(smpp.make_pdu("enquire_link", client=esme.client))
    assert esme.read("enquire_link_resp").status == ESME_ROK
    esme.close()
