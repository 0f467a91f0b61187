"""The simulator's own SMS PDU codec (3GPP TS 23.040 / 23.038).

Written independently of ``gsmmodem.pdu`` on purpose: the simulated modem is the ground truth of
the tests, so a bug in the library's encoder must show up as a wrong decoded text here, not be
mirrored. It decodes SMS-SUBMIT (what the daemon sends) and encodes SMS-DELIVER (incoming SMS) and
SMS-STATUS-REPORT (delivery reports).
"""

import datetime
import time
from dataclasses import dataclass, field

# --- GSM 03.38 default alphabet -------------------------------------------------------------

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
assert len(GSM7_BASIC) == 128
GSM7_EXTENSION = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[",
                  0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€"}
ESCAPE = 0x1B
_BASIC_INDEX = {ch: i for i, ch in enumerate(GSM7_BASIC) if i != ESCAPE}
_EXT_INDEX = {ch: code for code, ch in GSM7_EXTENSION.items()}

# Concatenation information elements
IE_CONCAT_8 = 0x00
IE_CONCAT_16 = 0x08


class PduError(ValueError):
    """A PDU the simulated module cannot decode (the real one answers +CMS ERROR: 304)."""


def gsm7_septets(text: str) -> list:
    """Septet values of ``text`` in the default alphabet (extension chars take two); ValueError if impossible."""
    out = []
    for ch in text:
        if ch in _BASIC_INDEX:
            out.append(_BASIC_INDEX[ch])
        elif ch in _EXT_INDEX:
            out.extend((ESCAPE, _EXT_INDEX[ch]))
        else:
            raise ValueError(f"character {ch!r} is not in the GSM 7-bit alphabet")
    return out


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC_INDEX or ch in _EXT_INDEX for ch in text)


def gsm7_text(septets) -> str:
    """Text of a septet sequence, resolving escapes (an unknown escape gives the basic char, per 23.038)."""
    out = []
    escaped = False
    for s in septets:
        if escaped:
            out.append(GSM7_EXTENSION.get(s, GSM7_BASIC[s] if s != ESCAPE else " "))
            escaped = False
        elif s == ESCAPE:
            escaped = True
        else:
            out.append(GSM7_BASIC[s])
    return "".join(out)


def pack_septets(septets, fill_bits: int = 0) -> bytes:
    """Pack 7-bit values LSB first, after ``fill_bits`` zero bits (used to align after a UDH)."""
    acc = 0
    nbits = fill_bits
    out = bytearray()
    for s in septets:
        acc |= (s & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> list:
    """Inverse of pack_septets: ``count`` septets starting ``fill_bits`` bits into ``data``."""
    value = int.from_bytes(data, "little")
    needed = fill_bits + 7 * count
    if needed > 8 * len(data):
        raise PduError("user data shorter than its announced length")
    return [(value >> (fill_bits + 7 * i)) & 0x7F for i in range(count)]


# --- addresses and timestamps ----------------------------------------------------------------

def _semi_octets(digits: str) -> bytes:
    if len(digits) % 2:
        digits += "F"
    return bytes(int(digits[i + 1] + digits[i], 16) for i in range(0, len(digits), 2))


def _digits(data: bytes, count: int) -> str:
    out = []
    for b in data:
        out.append("0123456789*#abc"[b & 0x0F] if (b & 0x0F) != 0x0F else "")
        out.append("0123456789*#abc"[b >> 4] if (b >> 4) != 0x0F else "")
    return "".join(out)[:count]


def encode_address(number: str) -> bytes:
    """TP address field: digit count, type of address (0x91 international, 0x81 national/unknown), digits;
    an alphanumeric sender (e.g. "Orange") is packed in GSM-7 with TON 0x50."""
    if number.startswith("+") and number[1:].isdigit():
        return bytes([len(number) - 1, 0x91]) + _semi_octets(number[1:])
    if number.isdigit():
        return bytes([len(number), 0x81]) + _semi_octets(number)
    packed = pack_septets(gsm7_septets(number))
    return bytes([(len(gsm7_septets(number)) * 7 + 3) // 4, 0xD0]) + packed


def decode_address(data: bytes, pos: int):
    """(address, new position) of a TP address field starting at ``pos``."""
    try:
        ndigits = data[pos]
        toa = data[pos + 1]
    except IndexError:
        raise PduError("truncated address") from None
    nbytes = (ndigits + 1) // 2
    raw = data[pos + 2: pos + 2 + nbytes]
    if len(raw) != nbytes:
        raise PduError("truncated address")
    if toa & 0x70 == 0x50:
        text = gsm7_text(unpack_septets(raw, ndigits * 4 // 7))
        return text, pos + 2 + nbytes
    number = _digits(raw, ndigits)
    if toa & 0x70 == 0x10:
        number = "+" + number
    return number, pos + 2 + nbytes


def encode_smsc(number) -> bytes:
    """SMSC field: octet count (type + digits), then type and digits; ``00`` when the modem's default is used."""
    if not number:
        return b"\x00"
    toa = 0x91 if number.startswith("+") else 0x81
    digits = _semi_octets(number.lstrip("+"))
    return bytes([len(digits) + 1, toa]) + digits


def decode_smsc(data: bytes):
    n = data[0] if data else 0
    if n == 0:
        return None, 1
    toa = data[1]
    number = _digits(data[2:1 + n], 2 * (n - 1))
    return ("+" + number if toa & 0x70 == 0x10 else number), 1 + n


def encode_timestamp(epoch: float) -> bytes:
    """7-octet service-centre timestamp in local time with its offset in quarter hours."""
    lt = time.localtime(epoch)
    quarters = lt.tm_gmtoff // 900
    digits = time.strftime("%y%m%d%H%M%S", lt)
    body = _semi_octets(digits)
    q = abs(quarters)
    tz = ((q % 10) << 4) | (q // 10) | (0x08 if quarters < 0 else 0)
    return body + bytes([tz])


def decode_timestamp(data: bytes) -> datetime.datetime:
    digits = _digits(data[:6], 12)
    tzb = data[6]
    quarters = (tzb & 0x07) * 10 + (tzb >> 4)
    if tzb & 0x08:
        quarters = -quarters
    tz = datetime.timezone(datetime.timedelta(minutes=15 * quarters))
    return datetime.datetime.strptime(digits, "%y%m%d%H%M%S").replace(tzinfo=tz)


# --- SMS-SUBMIT decoding -------------------------------------------------------------------------

@dataclass
class Submit:
    """One decoded SMS-SUBMIT part."""
    smsc: object
    mr: int
    to: str
    pid: int
    dcs: int
    encoding: str          # "gsm7" | "ucs2" | "8bit"
    text: str
    reject_duplicates: bool = False
    status_report: bool = False
    reply_path: bool = False
    validity: object = None        # relative: int octet; absolute/enhanced: raw bytes
    ref: object = None             # concatenation reference, None when single part
    part: int = 1
    parts: int = 1
    udh: list = field(default_factory=list)   # [(iei, bytes)]
    tpdu_length: int = 0


def dcs_alphabet(dcs: int) -> str:
    """Alphabet of a data coding scheme (23.038 section 4)."""
    group = dcs >> 4
    if group <= 0x07:   # general data coding (0x0_-0x3_) and automatic deletion group (0x4_-0x7_)
        alphabet = (dcs >> 2) & 0x03
        return {0: "gsm7", 1: "8bit", 2: "ucs2", 3: "gsm7"}[alphabet]
    if group in (0x0C, 0x0D):
        return "gsm7"
    if group == 0x0E:
        return "ucs2"
    if group == 0x0F:
        return "8bit" if dcs & 0x04 else "gsm7"
    return "gsm7"


def parse_udh(udh: bytes) -> list:
    out = []
    i = 0
    while i < len(udh):
        if i + 2 > len(udh):
            raise PduError("truncated user data header")
        iei, ln = udh[i], udh[i + 1]
        value = udh[i + 2: i + 2 + ln]
        if len(value) != ln:
            raise PduError("truncated information element")
        out.append((iei, bytes(value)))
        i += 2 + ln
    return out


def _decode_user_data(ud: bytes, udl: int, udhi: bool, alphabet: str):
    """(text, udh list) of the TP-UD field."""
    udh = []
    header_octets = 0
    if udhi:
        if not ud:
            raise PduError("UDHI set but no user data")
        udhl = ud[0]
        header_octets = udhl + 1
        udh = parse_udh(ud[1:header_octets])
    if alphabet == "gsm7":
        header_septets = (header_octets * 8 + 6) // 7
        fill = header_septets * 7 - header_octets * 8
        count = udl - header_septets
        if count < 0:
            raise PduError("UDL smaller than the header")
        septets = unpack_septets(ud[header_octets:], count, fill)
        return gsm7_text(septets), udh
    body = ud[header_octets:udl]
    if len(body) != udl - header_octets:
        raise PduError("user data shorter than its announced length")
    if alphabet == "ucs2":
        if len(body) % 2:
            raise PduError("odd UCS-2 length")
        return body.decode("utf-16-be", errors="replace"), udh
    return body.decode("latin-1"), udh


def decode_submit(hex_pdu: str, with_smsc: bool = True) -> Submit:
    """Decode an SMS-SUBMIT given as hex (as the TE writes it after ``AT+CMGS=<n>`` in PDU mode)."""
    try:
        data = bytes.fromhex(hex_pdu.strip())
    except ValueError:
        raise PduError("not hexadecimal") from None
    smsc, pos = decode_smsc(data) if with_smsc else (None, 0)
    try:
        tpdu_start = pos
        fo = data[pos]
        if fo & 0x03 != 0x01:
            raise PduError(f"not an SMS-SUBMIT (first octet {fo:02X})")
        mr = data[pos + 1]
        to, pos = decode_address(data, pos + 2)
        pid, dcs = data[pos], data[pos + 1]
        pos += 2
        vpf = (fo >> 3) & 0x03
        validity = None
        if vpf == 2:
            validity = data[pos]
            pos += 1
        elif vpf in (1, 3):
            validity = data[pos:pos + 7]
            pos += 7
        udl = data[pos]
        ud = data[pos + 1:]
    except IndexError:
        raise PduError("truncated PDU") from None
    alphabet = dcs_alphabet(dcs)
    text, udh = _decode_user_data(ud, udl, bool(fo & 0x40), alphabet)
    sub = Submit(smsc=smsc, mr=mr, to=to, pid=pid, dcs=dcs, encoding=alphabet, text=text,
                 reject_duplicates=bool(fo & 0x04), status_report=bool(fo & 0x20), reply_path=bool(fo & 0x80),
                 validity=validity, udh=udh, tpdu_length=len(data) - tpdu_start)
    for iei, value in udh:
        if iei == IE_CONCAT_8 and len(value) == 3:
            sub.ref, sub.parts, sub.part = value[0], value[1], value[2]
        elif iei == IE_CONCAT_16 and len(value) == 4:
            sub.ref, sub.parts, sub.part = (value[0] << 8) | value[1], value[2], value[3]
    return sub


# --- SMS-SUBMIT encoding (for tests and tools; the daemon uses the library's) ------------------

def _concat_ie(ref: int, parts: int, part: int, ref16: bool) -> bytes:
    if ref16:
        return bytes([IE_CONCAT_16, 4, ref >> 8, ref & 0xFF, parts, part])
    return bytes([IE_CONCAT_8, 3, ref & 0xFF, parts, part])


def split_text(text: str, encoding: str, header_octets: int = 6) -> list:
    """Split ``text`` into parts that fit one SMS each (153/67 chars with an 8-bit reference header);
    an escape pair is never split."""
    if encoding == "gsm7":
        if len(gsm7_septets(text)) <= 160:
            return [text]
        budget = (140 - header_octets) * 8 // 7
        parts, cur, used = [], "", 0
        for ch in text:
            n = 2 if ch in _EXT_INDEX else 1
            if used + n > budget:
                parts.append(cur)
                cur, used = "", 0
            cur += ch
            used += n
        parts.append(cur)
        return parts
    units = text.encode("utf-16-be")
    if len(units) <= 140:
        return [text]
    budget = (140 - header_octets) // 2 * 2
    parts, cur = [], b""
    for ch in text:
        b = ch.encode("utf-16-be")
        if len(cur) + len(b) > budget:
            parts.append(cur.decode("utf-16-be"))
            cur = b""
        cur += b
    parts.append(cur.decode("utf-16-be"))
    return parts


def _user_data(text: str, encoding: str, header: bytes):
    """(UDL, UD bytes) for a text and an optional user data header (without its length octet)."""
    if encoding == "gsm7":
        septets = gsm7_septets(text)
        if header:
            hdr = bytes([len(header)]) + header
            header_septets = (len(hdr) * 8 + 6) // 7
            fill = header_septets * 7 - len(hdr) * 8
            return header_septets + len(septets), hdr + pack_septets(septets, fill)
        return len(septets), pack_septets(septets)
    body = text.encode("utf-16-be")
    if header:
        hdr = bytes([len(header)]) + header
        return len(hdr) + len(body), hdr + body
    return len(body), body


def encode_submit(to: str, text: str, mr: int = 0, encoding=None, status_report: bool = True,
                  ref=None, ref16: bool = False, validity=None, smsc=None) -> list:
    """Hex SMS-SUBMIT PDUs (with SMSC field) for ``text``: a list, one per part."""
    encoding = encoding or ("gsm7" if is_gsm7(text) else "ucs2")
    header_len = 7 if ref16 else 6
    chunks = split_text(text, encoding, header_len)
    out = []
    for i, chunk in enumerate(chunks, 1):
        header = _concat_ie(ref or 0, len(chunks), i, ref16) if len(chunks) > 1 else b""
        udl, ud = _user_data(chunk, encoding, header)
        fo = 0x01 | (0x20 if status_report else 0) | (0x40 if header else 0) | (0x10 if validity is not None else 0)
        tpdu = bytes([fo, mr & 0xFF]) + encode_address(to) + bytes([0x00, 0x08 if encoding == "ucs2" else 0x00])
        if validity is not None:
            tpdu += bytes([validity])
        tpdu += bytes([udl]) + ud
        out.append((encode_smsc(smsc) + tpdu).hex().upper())
    return out


# --- SMS-DELIVER and SMS-STATUS-REPORT encoding ----------------------------------------------

@dataclass
class Encoded:
    """A PDU ready for the line: hex with SMSC field, and the TPDU length in octets (for +CMGR/+CDS)."""
    hex: str
    tpdu_length: int


def encode_deliver(sender: str, text: str, scts: float, smsc: str = "+33689004000", ref: int = 0,
                   encoding=None) -> list:
    """SMS-DELIVER PDUs for an incoming message (concatenated with an 8-bit reference when long)."""
    encoding = encoding or ("gsm7" if is_gsm7(text) else "ucs2")
    chunks = split_text(text, encoding, 6)
    out = []
    for i, chunk in enumerate(chunks, 1):
        header = _concat_ie(ref, len(chunks), i, False) if len(chunks) > 1 else b""
        udl, ud = _user_data(chunk, encoding, header)
        fo = 0x04 | (0x40 if header else 0)   # SMS-DELIVER, TP-MMS "no more messages"
        tpdu = (bytes([fo]) + encode_address(sender) + bytes([0x00, 0x08 if encoding == "ucs2" else 0x00])
                + encode_timestamp(scts) + bytes([udl]) + ud)
        out.append(Encoded((encode_smsc(smsc) + tpdu).hex().upper(), len(tpdu)))
    return out


def encode_status_report(mr: int, recipient: str, scts: float, discharge: float, status: int,
                         smsc: str = "+33689004000") -> Encoded:
    """SMS-STATUS-REPORT: TP-MR of the submitted part, its recipient, when the SC got it, when it was
    delivered or failed, and TP-ST (0x00 delivered, 0x20-0x3F still trying, >= 0x40 failed)."""
    tpdu = (bytes([0x06, mr & 0xFF]) + encode_address(recipient) + encode_timestamp(scts)
            + encode_timestamp(discharge) + bytes([status & 0xFF]))
    return Encoded((encode_smsc(smsc) + tpdu).hex().upper(), len(tpdu))


def decode_deliver(hex_pdu: str) -> dict:
    """Decode an SMS-DELIVER or SMS-STATUS-REPORT (for the simulator's own tests)."""
    data = bytes.fromhex(hex_pdu)
    smsc, pos = decode_smsc(data)
    fo = data[pos]
    if fo & 0x03 == 0x02:
        mr = data[pos + 1]
        number, pos = decode_address(data, pos + 2)
        return {"type": "status", "smsc": smsc, "mr": mr, "number": number,
                "scts": decode_timestamp(data[pos:pos + 7]), "discharge": decode_timestamp(data[pos + 7:pos + 14]),
                "status": data[pos + 14]}
    sender, pos = decode_address(data, pos + 1)
    pid, dcs = data[pos], data[pos + 1]
    scts = decode_timestamp(data[pos + 2:pos + 9])
    udl = data[pos + 9]
    text, udh = _decode_user_data(data[pos + 10:], udl, bool(fo & 0x40), dcs_alphabet(dcs))
    return {"type": "deliver", "smsc": smsc, "number": sender, "pid": pid, "dcs": dcs, "scts": scts,
            "text": text, "udh": udh}
