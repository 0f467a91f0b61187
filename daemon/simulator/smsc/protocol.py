"""SMPP 3.4 on the wire for the simulated SMSC: framing, status codes, and PDUs through smpplib's codec.

smpplib is an ESME (client) library, but its PDU classes encode and decode every PDU of both sides. Two of
its habits are handled here once: it takes sequence numbers from a "client" object (a response must carry
the request's number, so it is set after construction), and it hands back C-octet strings as bytes.
"""

import socket
import struct

from smpplib import exceptions as smpp_exceptions
from smpplib import smpp

from vigie.daemon.simulator.pdu import PduError, gsm7_text, parse_udh

# command_status values (SMPP 3.4 section 5.1.3) that the simulator answers
ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RALYBND = 0x05
ESME_RSYSERR = 0x08
ESME_RINVDSTADR = 0x0B
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
ESME_RMSGQFUL = 0x14
ESME_RSUBMITFAIL = 0x45
ESME_RINVSYSTYP = 0x53
ESME_RTHROTTLED = 0x58

BIND_COMMANDS = {"bind_transmitter": "tx", "bind_receiver": "rx", "bind_transceiver": "trx"}
MAX_PDU = 64 * 1024           # a command_length above this is garbage, not a PDU
ESM_UDHI = 0x40
ESM_DELIVERY_RECEIPT = 0x04

# message_state TLV values (SMPP 3.4 section 5.2.28)
STATE_DELIVERED = 2
STATE_EXPIRED = 3
STATE_UNDELIVERABLE = 5


class ProtocolError(Exception):
    """The peer sent something that is not an SMPP PDU: the session is closed."""


class _Numbers:
    """The "client" smpplib asks for sequence numbers; each session numbers its own requests."""

    def __init__(self):
        self.sequence = 0

    def next_sequence(self):
        self.sequence = self.sequence % 0x7FFFFFFF + 1
        return self.sequence


def read_pdu(sock: socket.socket) -> bytes | None:
    """One whole PDU from the socket, or None at end of stream."""
    head = _read_exactly(sock, 4)
    if head is None:
        return None
    (length,) = struct.unpack(">L", head)
    if not 16 <= length <= MAX_PDU:
        raise ProtocolError(f"command_length {length} out of bounds")
    rest = _read_exactly(sock, length - 4)
    if rest is None:
        raise ProtocolError("connection closed in the middle of a PDU")
    return head + rest


def _read_exactly(sock, count):
    chunks = []
    while count:
        chunk = sock.recv(count)
        if not chunk:
            if chunks:
                raise ProtocolError("connection closed in the middle of a PDU")
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def header(raw: bytes) -> tuple:
    """(command_id, command_status, sequence_number) of a raw PDU."""
    _, command_id, status, sequence = struct.unpack(">LLLL", raw[:16])
    return command_id, status, sequence


def parse(raw: bytes):
    """smpplib PDU object of a raw PDU; None for a command smpplib does not know (answer generic_nack)."""
    try:
        return smpp.parse_pdu(raw, client=_Numbers(), allow_unknown_opt_params=True)
    except smpp_exceptions.UnknownCommandError:
        return None
    except (struct.error, IndexError, ValueError) as e:
        raise ProtocolError(f"undecodable PDU: {e}") from e


class Encoder:
    """Builds PDUs for one session: requests take the next sequence number, responses the request's."""

    def __init__(self):
        self._numbers = _Numbers()

    def request(self, command: str, **fields) -> tuple[int, bytes]:
        pdu = smpp.make_pdu(command, client=self._numbers, **fields)
        return pdu.sequence, pdu.generate()

    def response(self, command: str, sequence: int, status: int = ESME_ROK, **fields) -> bytes:
        pdu = smpp.make_pdu(command, client=self._numbers, **fields)
        pdu.sequence = sequence        # smpplib ignores a sequence given to the constructor
        pdu.status = status
        return pdu.generate()

    @staticmethod
    def generic_nack(sequence: int, status: int) -> bytes:
        return struct.pack(">LLLL", 16, 0x80000000, status, sequence)


def text_of(value) -> str:
    """A C-octet string field (bytes from smpplib) as text."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def decode_short_message(short_message: bytes, data_coding: int, esm_class: int) -> dict:
    """Text and concatenation info of a submitted message, as the network would read it.

    data_coding 0 is the SMSC default alphabet, which Kannel (like most ESMEs) sends as GSM 03.38 one
    septet per octet; 8 is UCS-2; 3 Latin-1; 1 IA5; 2 and 4 binary. The UDH, when esm_class has UDHI,
    is the first octets of short_message.
    """
    body = short_message or b""
    udh = []
    if esm_class & ESM_UDHI:
        if not body:
            raise PduError("UDHI set but no user data")
        udhl = body[0]
        udh = parse_udh(body[1:1 + udhl])
        body = body[1 + udhl:]
    coding = data_coding & 0xFF
    if coding == 0x08 or (coding >> 4 in (0x0E,)):
        encoding, text = "ucs2", body.decode("utf-16-be", errors="replace")
    elif coding == 0x03:
        encoding, text = "latin1", body.decode("latin-1")
    elif coding == 0x01:
        encoding, text = "ascii", body.decode("ascii", errors="replace")
    elif coding in (0x02, 0x04) or (coding >> 4 == 0x0F and coding & 0x04):
        encoding, text = "binary", body.hex()
    else:
        encoding, text = "gsm7", gsm7_text(b & 0x7F for b in body)
    info = {"encoding": encoding, "text": text, "ref": None, "part": 1, "parts": 1}
    for iei, value in udh:
        if iei == 0x00 and len(value) == 3:
            info.update(ref=value[0], parts=value[1], part=value[2])
        elif iei == 0x08 and len(value) == 4:
            info.update(ref=(value[0] << 8) | value[1], parts=value[2], part=value[3])
    return info
