"""The modem adapter: the only module that imports python-gsmmodem-new.

It gives the GSM transport a small interface (open, close, put one PDU part on its way and later
get its TP-MR, health, read stored SMS) and translates the library's failures, once, into the
project's four meanings: RetryLater, PermanentFailure, OutcomeUnknown, ModemGone.

The library is used through a subclass that fixes what the reference notes say it gets wrong:
hardware flow control hard-coded on, a reader thread killed by one non-UTF-8 byte, unsolicited lines
handled on fresh threads that write to the port in the middle of our commands, and unsolicited
lines swallowed into command responses. Here every unsolicited line becomes an event on a queue,
and the one worker thread that owns the modem acts on it between two sends.
"""

import contextlib
import dataclasses
import datetime
import hashlib
import logging
import queue
import re
import threading
import time

import serial
from gsmmodem import pdu as gsmpdu
from gsmmodem.exceptions import CmeError, CmsError, CommandError, GsmModemException, PukRequiredError, TimeoutException
from gsmmodem.modem import GsmModem
from gsmmodem.serial_comms import SerialComms

from vigie.daemon.core.errors import ModemGone, OutcomeUnknown, PermanentFailure, RetryLater, TransportBlocked
from vigie.daemon.core.reference import smstext

log = logging.getLogger(__name__)
at_log = logging.getLogger("vigie.at")

CTRL_Z = "\x1a"
ESC = "\x1b"

# --- +CMS ERROR classification (3GPP TS 24.011 RP causes, TS 23.040 TP-FCS, TS 27.005 §3.2.5) ---
PERMANENT_CMS = {
    1: "numéro non attribué", 8: "interdit par l'opérateur", 10: "appel interdit",
    21: "message refusé par le réseau", 28: "abonné non identifié", 29: "service refusé",
    30: "abonné inconnu", 50: "service non souscrit", 69: "service non implémenté",
    95: "message invalide", 96: "information obligatoire invalide", 97: "type de message inexistant",
    98: "message incompatible", 99: "élément d'information inexistant",
    128: "télé-service non pris en charge", 129: "type de message court non pris en charge",
    144: "codage non pris en charge", 145: "classe de message non prise en charge",
    159: "erreur de données", 176: "erreur d'identifiant de commande", 192: "centre SMS occupé",
    208: "carte SIM pleine", 303: "opération non prise en charge", 304: "paramètre PDU invalide",
    305: "paramètre texte invalide",
}
TEMPORARY_CMS = {
    27: "destinataire hors service", 38: "réseau hors service", 41: "défaillance temporaire",
    42: "encombrement du réseau", 47: "ressources indisponibles", 81: "référence de transfert invalide",
    111: "erreur de protocole", 127: "erreur d'interconnexion", 300: "défaillance du modem",
    301: "service SMS du modem réservé", 302: "opération non autorisée pour l'instant",
    310: "carte SIM absente", 311: "code PIN requis", 313: "défaillance de la carte SIM",
    314: "carte SIM occupée", 320: "défaillance mémoire", 322: "mémoire pleine",
    330: "centre SMS inconnu", 331: "pas de réseau", 332: "délai réseau dépassé",
    500: "erreur inconnue du modem",
}


def late_patience(send_timeout: float) -> float:
    """How long a late +CMGS is waited for after the send timeout (and the most the worker raises
    its timeout to for a slow module): within the daemon's watchdog limit, max(120, 3 × timeout)."""
    return max(2 * send_timeout, 60.0)


def classify_cms(code: int) -> tuple[bool, str]:
    """(permanent?, French reason). Unknown codes are temporary: the attempts cap bounds them."""
    if code in PERMANENT_CMS:
        return True, f"+CMS ERROR {code} ({PERMANENT_CMS[code]})"
    return False, f"+CMS ERROR {code} ({TEMPORARY_CMS.get(code, 'erreur temporaire')})"


# --- encoding ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SubmitPart:
    number: int
    count: int
    hex: str
    tpdu_length: int


def encode_parts(phone: str, text: str, concat_ref: int, validity_hours: float | None = None) -> list[SubmitPart]:
    """SMS-SUBMIT PDUs, one per part, each requesting a status report.

    ``text`` goes through smstext.for_air first: the library would put "`" on air as "§" and "ÿ"
    as a page break (messages are queued that way already; this covers older rows)."""
    text = smstext.for_air(text)
    validity = None
    if validity_hours:
        validity = datetime.timedelta(hours=max(1.0, min(validity_hours, 24 * 7)))
    pdus = gsmpdu.encodeSmsSubmitPdu(phone, text, reference=concat_ref % 256, validity=validity,
                                     requestStatusReport=True)
    return [SubmitPart(i + 1, len(pdus), str(p), p.tpduLength) for i, p in enumerate(pdus)]


# --- events the worker acts on ---------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Report:
    mr: int
    number: str
    status: int
    time_sent: float | None = None
    time_finalized: float | None = None


@dataclasses.dataclass(frozen=True)
class Incoming:
    number: str
    text: str
    time: float | None
    concat: tuple[int, int, int] | None = None      # (reference, part count, part number)


@dataclasses.dataclass(frozen=True)
class Stored:
    """The module stored an SMS or a report at (memory, index): read it out."""
    memory: str
    index: int


@dataclasses.dataclass(frozen=True)
class LateAnswer:
    """The ``+CMGS: <mr>`` of a part the module answered after the send timeout: it is on air.
    ``seq``: that part's ``Sending.seq``; ``at``: when the answer came (monotonic)."""
    mr: int
    seq: int
    at: float


@dataclasses.dataclass(frozen=True)
class Rebooted:
    line: str


@dataclasses.dataclass(frozen=True)
class Lost:
    reason: str


@dataclasses.dataclass(frozen=True)
class Health:
    signal: int | None
    registered: bool
    operator: str


_CMTI = re.compile(r'^\+(?:CMTI|CDSI):\s*"([^"]*)",\s*(\d+)')
_CDS = re.compile(r"^\+CDS:\s*(\d+)")
_CMGS = re.compile(r"^\+CMGS:\s*(\d+)")
_FINAL = re.compile(r"^(OK|ERROR|\+CM[ES] ERROR:.*)$")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_REBOOT = ("RDY", "SMS Ready", "Call Ready", "+CFUN: 1", "+CPIN: READY", "PB DONE")


def _epoch(value) -> float | None:
    return value.timestamp() if isinstance(value, datetime.datetime) else None


def _report_from(decoded: dict) -> Report:
    return Report(mr=int(decoded["reference"]), number=decoded.get("number") or "",
                  status=int(decoded["status"]), time_sent=_epoch(decoded.get("time")),
                  time_finalized=_epoch(decoded.get("discharge")))


def _incoming_from(number, text, sms_time, udh) -> Incoming:
    concat = None
    for ie in udh or []:
        if isinstance(ie, gsmpdu.Concatenation):
            concat = (ie.reference, ie.parts, ie.number)
    return Incoming(number=number or "", text=text or "", time=_epoch(sms_time), concat=concat)


def decode_pdu_event(hex_pdu: str):
    """A stored or in-line PDU → Report or Incoming; None when it is not ours to handle."""
    try:
        decoded = gsmpdu.decodeSmsPdu(hex_pdu)
    except Exception:       # the library raises EncodingError, ValueError, IndexError, TypeError...
        log.warning("PDU indéchiffrable ignoré : %r", hex_pdu[:80])
        return None
    if decoded.get("type") == "SMS-STATUS-REPORT":
        return _report_from(decoded)
    if decoded.get("type") == "SMS-DELIVER":
        return _incoming_from(decoded.get("number"), decoded.get("text"), decoded.get("time"),
                              decoded.get("udh"))
    return None


_CCLK = re.compile(r'\+CCLK:\s*"?(\d\d)/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)([+-]\d\d)?"?')
PLAUSIBLE_SINCE = 2024       # a module clock before this year has not taken the network's time


def parse_cclk(line: str) -> float | None:
    """``+CCLK: "yy/MM/dd,hh:mm:ss±zz"`` (local time, zone in quarter hours) as an epoch; None when the
    line is not one or the clock is still at its power-up date."""
    m = _CCLK.search(line or "")
    if not m:
        return None
    yy, mo, dd, hh, mi, ss, zz = m.groups()
    if 2000 + int(yy) < PLAUSIBLE_SINCE:
        return None
    try:
        local = datetime.datetime(2000 + int(yy), int(mo), int(dd), int(hh), int(mi), int(ss),
                                  tzinfo=datetime.UTC)
    except ValueError:
        return None
    return local.timestamp() - int(zz or 0) * 900


def _field(lines, pattern: str) -> str | None:
    """The first group of the last line matching ``pattern``, or None."""
    value = None
    for line in lines or []:
        m = re.match(pattern, line)
        if m:
            value = m.group(1)
    return value


def _stored_pdus(lines, header: str):
    """(header's first group or None, decoded event or None) for each header line followed by a PDU,
    as in +CMGR and +CMGL answers."""
    for i, line in enumerate(lines or []):
        m = re.match(header, line)
        if m and i + 1 < len(lines):
            yield (m.group(1) if m.groups() else None), decode_pdu_event(lines[i + 1])


class SimRefusedPin(Exception):
    """The SIM answered +CME ERROR: 16 to the configured PIN; ``tries`` left, when the module says."""

    def __init__(self, tries: int | None):
        super().__init__(f"incorrect PIN ({tries} tries left)")
        self.tries = tries


def pin_refused_text(tries: int | None) -> str:
    """What the operator reads (dashboard, `vigie status`) when the SIM refused the configured PIN."""
    text = "code PIN refusé par la carte SIM : corrigez [[modem]] pin ; la box ne le réessaiera pas"
    if tries is None:
        return text
    if tries == 0:
        return text + " (il ne reste aucun essai : la carte demandera son code PUK)"
    return text + f" (il reste {tries} essai{'s' if tries > 1 else ''})"


PUK_TEXT = ("la carte SIM est bloquée et demande son code PUK : débloquez-la dans un téléphone "
            "(la box ne saisit jamais de code PUK), puis redémarrez le démon")


def pin_key(name: str, pin: str) -> str:
    """What a refusal is kept under: the modem's name and a hash of its PIN (never the PIN itself)."""
    return "pin:" + hashlib.sha256(f"{name}\0{pin}".encode()).hexdigest()[:24]


class _Comms(SerialComms):
    """The library's serial layer with flow control chosen by us and a reader that cannot die
    on a bad byte."""

    flow_control = False

    def connect(self):
        self.serial = serial.Serial(port=self.port, baudrate=self.baudrate, timeout=self.timeout,
                                    rtscts=self.flow_control, dsrdtr=False, exclusive=True)
        self.alive = True
        self.rxThread = threading.Thread(target=self._readLoop, name=f"rx-{self.port}", daemon=True)
        self.rxThread.start()

    def _readLoop(self):
        eol = bytearray(self.RX_EOL_SEQ)
        buffer = bytearray()
        try:
            while self.alive:
                data = self.serial.read(1)
                if not data:
                    continue
                waiting = self.serial.in_waiting     # the rest of the burst in one read, not byte by byte
                if waiting:
                    data += self.serial.read(waiting)
                for byte in data:
                    buffer.append(byte)
                    if buffer[-2:] == eol:
                        line = buffer[:-2].decode("utf-8", errors="replace")
                        buffer = bytearray()
                        if line:
                            self._safe_handle(line, True)
                    elif self._expectResponseTermSeq and buffer.endswith(self._expectResponseTermSeq):
                        line = buffer.decode("utf-8", errors="replace")
                        buffer = bytearray()
                        self._safe_handle(line, False)
                    elif len(buffer) > 4096:           # garbage without end of line
                        buffer = bytearray()
        except (serial.SerialException, OSError, TypeError, AttributeError) as e:
            self.alive = False
            with contextlib.suppress(Exception):
                self.serial.close()
            self.fatalErrorCallback(e)

    def _safe_handle(self, line, check):
        at_log.debug("<- %r", line)
        try:
            self._handleLineRead(line, checkForResponseTerm=check)
        except Exception:
            log.exception("ligne du modem non traitée : %r", line)


class _Library(GsmModem, _Comms):
    """GsmModem above our serial layer; its unsolicited handling is replaced by a queue."""

    def __init__(self, port, baudrate, events: queue.Queue, **kw):
        self._events = events
        self._pending_cds = False
        self._command = ""
        self.late_expected = False      # a send timed out: its +CMGS may still come (see _handleLineRead)
        self.late_seq = 0               # the Sending.seq of that send
        self._skip_final = False
        super().__init__(port, baudrate, fatalErrorCallbackFunc=self._on_fatal, **kw)

    def _command_is_pdu(self) -> bool:
        return bool(self._command) and not self._command.upper().startswith("AT")

    def _on_fatal(self, exc=None, *args, **kwargs):
        self._events.put(Lost(f"port perdu : {exc}"))
        waiting = self._responseEvent
        if waiting is not None:
            waiting.set()       # no answer will come on a dead port: the command stops waiting now

    def _handleLineRead(self, line, checkForResponseTerm=True):
        """A line nobody waits for is handled at once: the library holds it back until the port is
        idle, and a command written meanwhile can swallow or strand it.

        After a send timed out (``late_expected``), the module's late ``+CMGS: <mr>`` and the ``OK``
        after it belong to that send, not to the command waiting now: they become a LateAnswer
        event and never end another command's answer (the answers would drift one behind)."""
        waiting = self._responseEvent is not None and not self._responseEvent.is_set()
        if self.late_expected and not (waiting and self._command_is_pdu()):
            m = _CMGS.match(line)
            if m:
                self.late_expected, self._skip_final = False, True
                self._events.put(LateAnswer(int(m.group(1)), self.late_seq, time.monotonic()))
                return
        if self._skip_final and _FINAL.match(line.strip()):
            self._skip_final = False
            if line.strip() == "OK":
                return
        if self._responseEvent and not self._responseEvent.is_set():
            super()._handleLineRead(line, checkForResponseTerm)
            if line.strip() in _REBOOT and not self._command.upper().startswith(("AT+CFUN", "AT+CPIN")):
                # The module restarted under this command (a send's "> " or +CMGS included): no
                # answer will come, so stop waiting now rather than after the whole timeout.
                self._responseEvent.set()
        else:
            self._handleModemNotification([line])

    def _unlockSim(self, pin):
        """The library's unlock, made safe for the SIM: a PIN is sent only when the SIM asks for its
        PIN (never to a SIM asking for its PUK), at most once, and a refusal says how many tries
        are left (AT+SPIC). Raises SimRefusedPin or PukRequiredError."""
        state = _field(self.write("AT+CPIN?", timeout=15), r"^\+CPIN:\s*(.+)$")
        state = (state or "").strip()
        if state == "READY":
            return
        if "PUK" in state.upper():
            raise PukRequiredError("AT+CPIN?")
        if pin is None:
            super()._unlockSim(pin)             # raises PinRequiredError
        try:
            self.write(f'AT+CPIN="{pin}"')
        except CmeError as e:
            if int(e.code or 0) != 16:
                raise
            tries = None
            with contextlib.suppress(Exception):
                found = _field(self.write("AT+SPIC", timeout=5), r"^\+SPIC:\s*(\d+)")
                tries = int(found) if found is not None else None
            raise SimRefusedPin(tries) from e

    def _handleModemNotification(self, lines):
        for event in self.parse_unsolicited(lines):
            self._events.put(event)

    def parse_unsolicited(self, lines) -> list:
        """Events found in lines nobody asked for; the +CDS PDU may come in a later burst."""
        events = []
        for line in lines:
            if self._pending_cds and _HEX.match(line):
                self._pending_cds = False
                event = decode_pdu_event(line)
                if event is not None:
                    events.append(event)
                continue
            self._pending_cds = False
            m = _CMTI.match(line)
            if m:
                events.append(Stored(m.group(1), int(m.group(2))))
            elif _CDS.match(line):
                self._pending_cds = True
            elif line.strip() in _REBOOT:
                events.append(Rebooted(line.strip()))
            else:
                log.debug("ligne spontanée ignorée : %r", line)
        return events

    def write(self, data, waitForResponse=True, timeout=10, parseError=True, writeTerm="\r",
              expectedResponseTermSeq=None):
        """Every command's response is cleaned of the unsolicited lines it swallowed."""
        at_log.debug("-> %r", data)
        self._command = data
        try:
            lines = super().write(data, waitForResponse, timeout, parseError, writeTerm,
                                  expectedResponseTermSeq)
        except TimeoutException as e:
            if isinstance(e.data, list):
                e.data = self._strip_unsolicited(data, e.data)
            raise
        except CommandError:
            # An error answer may have swallowed unsolicited lines too (a +CDS report is gone for
            # good if dropped here): the library raised before we saw them, they are still in
            # the serial layer's last response.
            self._strip_unsolicited(data, list(self._response or []))
            raise
        if lines:
            lines[:] = self._strip_unsolicited(data, lines)
        return lines

    def _strip_unsolicited(self, command: str, lines: list) -> list:
        kept, stray = [], []
        skip_pdu = self._pending_cds          # a +CDS header came alone just before this command
        if skip_pdu:
            stray.append("+CDS: 0")
        for line in lines:
            if skip_pdu and _HEX.match(line):
                stray.append(line)
                skip_pdu = False
                continue
            skip_pdu = False
            is_cds = bool(_CDS.match(line))     # never part of an answer, +CMGR's included
            if _CMTI.match(line) or is_cds or (line.strip() in _REBOOT and not command.startswith(
                    ("AT+CFUN", "AT+CPIN"))):
                stray.append(line)
                skip_pdu = is_cds
            else:
                kept.append(line)
        if stray:
            for event in self.parse_unsolicited(stray):
                self._events.put(event)
        return kept

    def write_pdu(self, hex_pdu: str) -> None:
        """Write a PDU (ended by Ctrl-Z) and return at once: the module sends it while the caller
        works; ``wait_answer`` then waits for its answer. The caller holds ``_txLock`` throughout."""
        at_log.debug("-> %r", hex_pdu)
        self._command = hex_pdu
        self._response = []
        self._responseEvent = threading.Event()
        self.serial.write((hex_pdu + CTRL_Z).encode())

    def wait_answer(self, timeout: float) -> list:
        """The answer to ``write_pdu``, as ``write`` gives one: its lines cleaned of unsolicited ones,
        or GsmModem.write's exceptions (TimeoutException, CmsError, CmeError, CommandError)."""
        event = self._responseEvent
        answered = event is not None and event.wait(timeout)
        lines = list(self._response or [])
        self._responseEvent = None
        self._expectResponseTermSeq = False
        if not answered:
            self.late_expected = True       # its +CMGS may still come: see _handleLineRead
            raise TimeoutException(self._strip_unsolicited(self._command, lines)) if lines else TimeoutException()
        if lines and "ERROR" in lines[-1]:
            self._strip_unsolicited(self._command, lines)
            m = self.CM_ERROR_REGEX.match(lines[-1])
            if m:
                raise (CmeError if m.group(1) == "CME" else CmsError)(self._command, int(m.group(2)))
            raise CommandError(self._command)
        return self._strip_unsolicited(self._command, lines)


class Modem:
    """One GSM modem through python-gsmmodem-new; every method is called from one worker thread."""

    def __init__(self, settings, send_timeout: float = 40.0):
        self.settings = settings
        self.name = settings.name
        self.send_timeout = send_timeout
        self.late_deadline: float | None = None     # monotonic: how long a late +CMGS is waited for
        self._seq = 0                               # numbers each part put on its way (Sending.seq)
        self.events: queue.Queue = queue.Queue()
        self._lib: _Library | None = None
        self.info: dict = {}
        # A SIM800 takes reports as +CDS lines (CNMI ds=1) and has no report store; others store
        # them in "SR" (ds=2) and announce them with +CDSI.
        self.stores_reports = settings.model != "sim800"

    # -- life cycle --
    def open(self) -> dict:
        """Connect and initialise the module; raises ModemGone when it cannot."""
        self.close()
        cnmi = "" if self.stores_reports else "2,1,0,1,0"
        lib = _Library(self.settings.port, self.settings.baudrate, self.events, AT_CNMI=cnmi)
        lib.flow_control = self.settings.flow_control
        self._lib = lib
        try:
            lib.connect(pin=self.settings.pin or None)
        except SimRefusedPin as e:
            self.close()
            raise TransportBlocked(pin_refused_text(e.tries),
                                   key=pin_key(self.name, self.settings.pin)) from e
        except PukRequiredError as e:
            self.close()
            raise ModemGone(PUK_TEXT) from e
        except Exception as e:
            self.close()
            raise ModemGone(self._describe(e)) from e
        try:
            if self.settings.model == "sim7600" or self.settings.model == "sim800":
                self._try("AT+CMMS=2")          # keep the SMS link open between messages of a burst
            self.info = {"model": self._first(lib, "AT+CGMM"), "imei": self._first(lib, "AT+CGSN")}
            if self.settings.model != "sim7600":
                self._try("AT+CLTS=1")          # take the network's time (NITZ); a SIM7600 does by default
            network = self.network_time()
            self.info["network_time_offset"] = None if network is None else network - time.time()
        except Exception as e:
            self.close()
            raise ModemGone(self._describe(e)) from e
        return self.info

    def close(self) -> None:
        lib, self._lib = self._lib, None
        if lib is None:
            return
        try:
            lib.alive = False
            if getattr(lib, "serial", None) is not None:
                lib.serial.close()
            rx = getattr(lib, "rxThread", None)
            if rx is not None and rx is not threading.current_thread():
                rx.join(timeout=2)
        except Exception:
            log.debug("fermeture du port %s", self.settings.port, exc_info=True)

    def is_alive(self) -> bool:
        lib = self._lib
        return bool(lib and lib.alive and lib.rxThread.is_alive() and lib.serial.is_open)

    # -- sending --
    def begin_part(self, part: SubmitPart) -> "Sending":
        """Put one part on its way: AT+CMGS, its prompt, then the PDU written. Returns while the module
        sends it; ``Sending.result()`` waits for its TP-MR. The port stays reserved until then."""
        lib = self._require()
        lib._txLock.acquire()
        pdu_written = False
        try:
            prompt = lib.write(f"AT+CMGS={part.tpdu_length}", timeout=5, expectedResponseTermSeq="> ")
            if not prompt or not prompt[-1].startswith(">"):
                if not lib.alive:
                    raise ModemGone("port perdu avant l'envoi")
                raise RetryLater(f"réponse inattendue du modem à AT+CMGS : {prompt!r}")
            pdu_written = True
            lib.write_pdu(part.hex)
        except Exception as e:
            try:
                self._raise_translated(e, pdu_written)
            finally:
                lib._txLock.release()
        self._seq += 1
        return Sending(self, lib, self._seq)

    def _raise_translated(self, e: Exception, pdu_written: bool, settle: bool = True):
        """A library failure during a send, raised as one of the four meanings (``settle`` False: the
        module is still busy, nothing is written to it now)."""
        try:
            raise e
        except CmsError as e:
            self._after_error()
            permanent, reason = classify_cms(int(e.code or 0))
            raise (PermanentFailure if permanent else RetryLater)(reason, code=e.code) from e
        except TimeoutException as e:
            if settle:
                self._after_error()
            if pdu_written:
                unknown = OutcomeUnknown("le modem n'a pas confirmé l'envoi à temps : SMS peut-être parti")
                unknown.answer_may_come = not settle        # its late +CMGS is watched for (LateAnswer)
                raise unknown from e
            raise ModemGone("le modem ne répond pas (pas d'invite « > »)") from e
        except (RetryLater, OutcomeUnknown):
            self._after_error()
            raise
        except ModemGone:
            raise
        except CmeError as e:
            self._after_error()
            raise RetryLater(f"+CME ERROR {e.code}", code=e.code) from e
        except CommandError as e:
            self._after_error()
            if pdu_written:
                raise RetryLater("le modem a refusé l'envoi (ERROR)") from e
            raise RetryLater("le modem a refusé la commande AT+CMGS (ERROR)") from e
        except (ValueError, IndexError) as e:
            self._after_error()
            raise OutcomeUnknown(f"réponse illisible du modem : {e}") from e
        except Exception as e:
            err = ModemGone(self._describe(e))
            err.maybe_sent = pdu_written
            raise err from e

    def _after_error(self):
        """Leave the module at its command prompt: an aborted '> ' would eat the next command."""
        lib = self._lib
        if lib is None or not lib.alive:
            return
        with contextlib.suppress(Exception):
            lib.serial.write(ESC.encode())
            lib.write("AT", timeout=2)

    # -- health and storage --
    def health(self) -> Health:
        lib = self._require()
        with self._link_errors():
            try:
                signal = _field(lib.write("AT+CSQ", timeout=5), r"^\+CSQ:\s*(\d+)")
                registration = _field(lib.write("AT+CREG?", timeout=5), r"^\+CREG:\s*\d+,\s*(\d+)")
                operator = _field(lib.write("AT+COPS?", timeout=5), r'^\+COPS:\s*\d+,\d+,"([^"]*)"')
            except TimeoutException:
                raise
            except GsmModemException as e:
                raise ModemGone(f"réponse invalide à la vérification : {e}") from e
        return Health(signal=int(signal) if signal is not None else None,
                      registered=registration in ("1", "5"), operator=operator or "")

    def read_stored(self, memory: str, index: int):
        """Read (then delete) one stored SMS or status report; returns an event or None."""
        lib = self._require()
        with self._link_errors():
            try:
                lib._setSmsMemory(readDelete=memory)
                lines = lib.write(f"AT+CMGR={index}", timeout=5)
                lib.write(f"AT+CMGD={index},0", timeout=5)
            except CommandError:
                return None
        events = [event for _, event in _stored_pdus(lines, r"^\+CMGR:")]
        return events[-1] if events else None

    def sweep(self, memories=None) -> list:
        """Everything stored on the module (notifications missed or not yet sent), then deleted."""
        lib = self._require()
        found = []
        if memories is None:
            memories = ("SM", "ME", "SR") if self.stores_reports else ("SM", "ME")
        for memory in memories:
            with self._link_errors():
                try:
                    lib._setSmsMemory(readDelete=memory)
                    lines = lib.write("AT+CMGL=4", timeout=10)
                except CommandError:
                    continue
                for index, event in _stored_pdus(lines, r"^\+CMGL:\s*(\d+),"):
                    if event is not None:
                        found.append(event)
                    try:
                        lib.write(f"AT+CMGD={index},0", timeout=5)
                    except CommandError:
                        pass
        return found

    @contextlib.contextmanager
    def _link_errors(self):
        """No answer or no port: the modem is gone, whatever command was under way."""
        try:
            yield
        except (TimeoutException, serial.SerialException, OSError) as e:
            raise ModemGone(self._describe(e)) from e

    # -- helpers --
    def _require(self) -> _Library:
        if self._lib is None or not self._lib.alive:
            raise ModemGone("modem non connecté")
        self._settle(self._lib)
        return self._lib

    def settle(self) -> None:
        lib = self._lib
        if lib is not None and lib.alive:
            self._settle(lib)

    def _settle(self, lib: _Library) -> None:
        """After a send the module did not answer in time, wait (up to ``late_deadline``) until it
        answers again before any other command: it is still busy with that SMS, and its late +CMGS
        is the proof the SMS is on air (a LateAnswer event)."""
        deadline, self.late_deadline = self.late_deadline, None
        if deadline is None:
            return
        try:
            lib.write("AT", timeout=max(1.0, deadline - time.monotonic()))
        except TimeoutException as e:
            raise ModemGone("le modem ne répond plus depuis un envoi resté sans réponse") from e
        except CommandError:
            pass
        finally:
            lib.late_expected = False       # answered again: a +CMGS not seen by now will not come

    def network_time(self) -> float | None:
        """The module clock (``AT+CCLK?``) as an epoch, None when it does not hold the network's time
        (a SIM800 counts from 2004 until it takes it) or cannot be read."""
        try:
            lines = self._lib.write("AT+CCLK?", timeout=3)
        except (CommandError, TimeoutException):
            return None
        for line in lines or ():
            epoch = parse_cclk(line)
            if epoch is not None:
                return epoch
        return None

    def _try(self, command: str):
        try:
            return self._lib.write(command, timeout=3)
        except CommandError:
            return None

    @staticmethod
    def _first(lib, command: str) -> str:
        try:
            lines = lib.write(command, timeout=3)
            return lines[0] if lines and lines[0] != "OK" else ""
        except CommandError:
            return ""

    @staticmethod
    def _describe(e: Exception) -> str:
        if isinstance(e, TimeoutException):
            return "le modem ne répond pas"
        if isinstance(e, CmeError) and e.code == 16:
            return "code PIN refusé par la carte SIM"
        if isinstance(e, CmeError) and e.code in (11, 12):
            return "la carte SIM demande un code PIN ou PUK"
        if isinstance(e, (serial.SerialException, OSError)):
            return f"port série indisponible : {e}"
        return f"{type(e).__name__} : {e}"


class Sending:
    """One part on its way: ``result()`` waits for the module's answer and gives the TP-MR as text."""

    def __init__(self, modem: Modem, lib: _Library, seq: int = 0):
        self._modem, self._lib, self.seq = modem, lib, seq
        self._outcome: str | Exception | None = None

    def result(self, timeout: float | None = None) -> str:
        if self._outcome is None:
            try:
                self._outcome = self._wait(timeout)
            except Exception as e:
                self._outcome = e
            finally:
                self._lib._txLock.release()
        if isinstance(self._outcome, Exception):
            raise self._outcome
        return self._outcome

    def _wait(self, timeout: float | None) -> str:
        lib, modem = self._lib, self._modem
        try:
            try:
                lines = lib.wait_answer(timeout or modem.send_timeout)
            except CommandError:
                # An error line after the module gave its +CMGS reference (line noise, a stray
                # URC): the SMS is on air, and sending it again would be an unflagged duplicate.
                lines = [line for line in (getattr(lib, "_response", None) or []) if line.startswith("+CMGS:")]
                if not lines:
                    raise
                log.warning("modem %s : erreur après « %s » : SMS compté comme parti", modem.name, lines[0])
            for line in lines:
                if line.startswith("+CMGS:"):
                    return str(int(line[6:].strip().split(",")[0]) % 256)
            raise OutcomeUnknown(f"pas de référence +CMGS dans la réponse {lines!r}")
        except TimeoutException as e:
            # Still busy with this SMS: its +CMGS may come late (LateAnswer); nothing else is written
            # to the module before it answers again or late_patience() runs out.
            lib.late_seq = self.seq
            modem.late_deadline = time.monotonic() + late_patience(modem.send_timeout)
            modem._raise_translated(e, pdu_written=True, settle=False)
        except Exception as e:
            modem._raise_translated(e, pdu_written=True)
