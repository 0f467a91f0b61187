"""One ESME connection to the simulated SMSC: bind, submit_sm, enquire_link, unbind, deliver_sm answers."""

import logging
import socket
import threading

from vigie.daemon.simulator.pdu import PduError
from vigie.daemon.simulator.smsc.protocol import (
    BIND_COMMANDS,
    ESME_RALYBND,
    ESME_RINVBNDSTS,
    ESME_RINVCMDID,
    ESME_RINVMSGLEN,
    ESME_RINVPASWD,
    ESME_RINVSYSID,
    ESME_RINVSYSTYP,
    ESME_ROK,
    Encoder,
    ProtocolError,
    decode_short_message,
    header,
    parse,
    read_pdu,
    text_of,
)

log = logging.getLogger(__name__)

REQUESTS_NEEDING_BIND = {"submit_sm": "submit_sm_resp", "data_sm": "data_sm_resp", "query_sm": "query_sm_resp"}


class Session:
    def __init__(self, smsc, sock: socket.socket, peer, number: int):
        self.smsc = smsc
        self.sock = sock
        self.peer = peer
        self.id = f"{smsc.name}#{number}"
        self.encoder = Encoder()
        self.bound = None              # "tx", "rx" or "trx" once bound
        self.system_id = None
        self.system_type = None
        self._write = threading.Lock()
        self._closed = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"smsc-{self.id}", daemon=True)

    # ---------------------------------------------------------------- life
    def start(self):
        self.thread.start()
        return self

    @property
    def can_receive(self) -> bool:
        return self.bound in ("rx", "trx") and not self._closed.is_set()

    def close(self, why: str = "closed") -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.smsc.store.event("session_closed", session=self.id, system_id=self.system_id, why=why)

    def _run(self):
        store = self.smsc.store
        store.event("connected", session=self.id, peer=f"{self.peer[0]}:{self.peer[1]}")
        why = "peer closed"
        try:
            while not self._closed.is_set():
                raw = read_pdu(self.sock)
                if raw is None:
                    break
                self._handle(raw)
        except ProtocolError as e:
            why = f"protocol error: {e}"
            log.warning("%s: %s", self.id, why)
        except OSError as e:
            why = f"socket: {e}"
        finally:
            self.close(why)
            self.smsc.session_ended(self)

    # ---------------------------------------------------------------- writing
    def _send(self, raw: bytes) -> bool:
        with self._write:
            if self._closed.is_set():
                return False
            try:
                self.sock.sendall(raw)
                return True
            except OSError:
                return False

    def send_request(self, command: str, before_send=None, **fields) -> int | None:
        """Send a request PDU (deliver_sm, enquire_link): its sequence number, or None if the session died.
        ``before_send(sequence)`` runs before the PDU is written (the answer may come back at once)."""
        with self._write:
            if self._closed.is_set():
                return None
            sequence, raw = self.encoder.request(command, **fields)
            if before_send is not None:
                before_send(sequence)
            try:
                self.sock.sendall(raw)
            except OSError:
                return None
            return sequence

    def _answer(self, command: str, sequence: int, status: int = ESME_ROK, **fields) -> None:
        self._send(self.encoder.response(command, sequence, status, **fields))

    # ---------------------------------------------------------------- reading
    def _handle(self, raw: bytes) -> None:
        command_id, status, sequence = header(raw)
        pdu = parse(raw)
        if pdu is None:
            self.smsc.store.event("unknown_command", session=self.id, command_id=command_id)
            if not command_id & 0x80000000:
                self._send(Encoder.generic_nack(sequence, ESME_RINVCMDID))
            return
        name = pdu.command
        if name in BIND_COMMANDS:
            self._bind(pdu, sequence)
        elif name == "enquire_link":
            self._answer("enquire_link_resp", sequence)
        elif name == "unbind":
            self._answer("unbind_resp", sequence)
            self.smsc.store.event("unbound", session=self.id, system_id=self.system_id)
            self.close("unbind")
        elif name == "deliver_sm_resp":
            self.smsc.deliveries.answered(self, sequence, status)
        elif name in ("enquire_link_resp", "unbind_resp", "generic_nack"):
            pass
        elif self.bound is None and name in REQUESTS_NEEDING_BIND:
            self._answer(REQUESTS_NEEDING_BIND[name], sequence, ESME_RINVBNDSTS)
        elif name == "submit_sm":
            self._submit(pdu, sequence)
        elif not command_id & 0x80000000:
            self._send(Encoder.generic_nack(sequence, ESME_RINVCMDID))

    def _bind(self, pdu, sequence: int) -> None:
        resp = pdu.command + "_resp"
        system_id, password = text_of(pdu.system_id), text_of(pdu.password)
        system_type = text_of(getattr(pdu, "system_type", ""))
        accounts = self.smsc.accounts
        if self.bound is not None:
            status = ESME_RALYBND
        elif system_id not in accounts:
            status = ESME_RINVSYSID
        elif accounts[system_id] != password:
            status = ESME_RINVPASWD
        elif self.smsc.system_type is not None and system_type != self.smsc.system_type:
            status = ESME_RINVSYSTYP
        else:
            status = ESME_ROK
        self.smsc.store.event("bind", session=self.id, mode=BIND_COMMANDS[pdu.command], system_id=system_id,
                              system_type=system_type, status=status)
        self._answer(resp, sequence, status, system_id=self.smsc.name)
        if status != ESME_ROK:
            return
        self.bound, self.system_id, self.system_type = BIND_COMMANDS[pdu.command], system_id, system_type
        self.smsc.session_bound(self)

    def _submit(self, pdu, sequence: int) -> None:
        smsc, store = self.smsc, self.smsc.store
        if self.bound == "rx":
            self._answer("submit_sm_resp", sequence, ESME_RINVBNDSTS)
            return
        phone = text_of(pdu.destination_addr)
        if getattr(pdu, "dest_addr_ton", 0) == 1 and not phone.startswith("+"):
            phone = "+" + phone
        if smsc.faults.hold_answers:
            store.event("submit_held", session=self.id, phone=phone, sequence=sequence)
            return
        status = smsc.faults.submission_status()
        if status != ESME_ROK:
            store.event("submit_refused", session=self.id, phone=phone, status=status)
            self._answer("submit_sm_resp", sequence, status)
            return
        data_coding = pdu.data_coding or 0
        try:
            info = decode_short_message(pdu.short_message or b"", data_coding, pdu.esm_class or 0)
        except PduError as e:
            store.event("submit_undecodable", session=self.id, phone=phone, error=str(e))
            self._answer("submit_sm_resp", sequence, ESME_RINVMSGLEN)
            return
        if getattr(pdu, "sar_total_segments", None):
            info.update(ref=pdu.sar_msg_ref_num, parts=pdu.sar_total_segments, part=pdu.sar_segment_seqnum)
        message_id = store.next_message_id()
        registered = pdu.registered_delivery or 0
        store.on_air(message_id, self.system_id, text_of(pdu.source_addr), phone, info, registered, data_coding)
        self._answer("submit_sm_resp", sequence, message_id=message_id)
        smsc.submitted(message_id, registered)
