"""The AT interpreter: bytes from the line become command lines (or the payload after the ``> `` prompt),
a command line is cut into commands as V.250 says, each is looked up in the model's command table
(commands.py) and the answers are framed as a SIMCom module frames them.

Framing: each command's information lines form one block ``\\r\\n<line>\\r\\n<line>...\\r\\n`` (no blank line
inside a +CMGL listing, an ``ATI`` or ``AT+CLAC``), then ``\\r\\n<final>\\r\\n``. In a chained line
(``AT+CSQ;+CREG?``, ``ATE0V1``) every command's block comes in order and only the last final result is
written; the first failing command ends the line with its error.
"""

import logging
import queue
import re
import time

log = logging.getLogger(__name__)

CME_TEXT = {3: "operation not allowed", 4: "operation not supported", 10: "SIM not inserted",
            11: "SIM PIN required", 12: "SIM PUK required", 14: "SIM busy", 16: "incorrect password",
            30: "no network service", 100: "unknown"}
_EXTENDED_PREFIXES = "+^*$%#"
_EXTENDED_NAME = re.compile(r"[+^*$%#][A-Z]+", re.IGNORECASE)
_S_REGISTER = re.compile(r"S(\d+)(\?|=\d*)?", re.IGNORECASE)
_BASIC = re.compile(r"(&?[A-Z])(\d*)", re.IGNORECASE)


class Session:
    """Settings a reset or a power cycle loses (ATZ restores them too)."""

    def __init__(self):
        self.echo = True
        self.cmee = 0
        self.cmgf = 0
        self.cnmi = (0, 0, 0, 0, 0)
        self.cscs = "GSM"
        self.csmp = (17, 167, 0, 0)
        self.cmms = 0
        self.creg = 0
        self.cgreg = 0
        self.cereg = 0
        self.cops_format = 0
        self.cpms = None                     # None: the model's default memories
        self.csca = None                     # None: the SIM's service centre
        self.csms = 0
        self.csdh = 0
        self.ceng = 0
        self.cusd = 0
        self.csclk = 0
        self.cpbs = "SM"
        self.ccwa = 0
        self.sreg = {0: 0, 3: 13, 4: 10, 5: 8, 6: 2, 7: 60, 8: 2, 10: 15}
        self.ack_pending = False             # a +CDS waits for +CNMA (AT+CSMS=1)


class ParseError(ValueError):
    pass


def split_commands(body):
    """What follows "AT", cut into commands: [(name, mode, arg)], mode "exec", "read", "set" or "test".
    Basic commands (E0, V1, &F, Z, I, S0?) chain without separator; an extended command (+CMEE=1) runs to
    the next ``;`` outside quotes. Raises ParseError on what no module would accept."""
    out = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c in "; ":
            i += 1
            continue
        if c in _EXTENDED_PREFIXES:
            m = _EXTENDED_NAME.match(body, i)
            if not m:
                raise ParseError(body[i:])
            j, quoted = m.end(), False
            while j < n and (quoted or body[j] != ";"):
                if body[j] == '"':
                    quoted = not quoted
                j += 1
            name, rest = m.group(0).upper(), body[m.end():j]
            if rest.startswith("=?"):
                out.append((name, "test", rest[2:].strip()))
            elif rest.startswith("?"):
                out.append((name, "read", rest[1:].strip()))
            elif rest.startswith("="):
                out.append((name, "set", rest[1:].strip()))
            else:
                out.append((name, "exec", rest.strip()))
            i = j
            continue
        if c.upper() == "D":                       # dial: the rest of the line is the number
            out.append(("D", "exec", body[i + 1:]))
            break
        m = _S_REGISTER.match(body, i)
        if m:
            op = m.group(2) or ""
            mode = "read" if op == "?" else "set" if op.startswith("=") else "exec"
            out.append((f"S{int(m.group(1))}", mode, op[1:]))
            i = m.end()
            continue
        m = _BASIC.match(body, i)
        if not m:
            raise ParseError(body[i:])
        out.append((m.group(1).upper(), "exec", m.group(2)))
        i = m.end()
    return out


class Interpreter:
    """Runs in the modem's worker thread: reads its input queue in order, answers on the line."""

    def __init__(self, modem):
        self.m = modem
        self.queue = queue.Queue()
        self.inbuf = bytearray()
        self.prompt = None                       # dict while waiting for a PDU/text after "> "

    # ---- input

    def run(self):
        m = self.m
        while True:
            item = self.queue.get()
            if item is None:
                return
            if item[0] == "reset":
                self.inbuf = bytearray()
                self.prompt = None
                m.line.reserve(False)
                continue
            if item[0] == "hangup":
                with m.lock:
                    if item[1] == m.line.generation and self.prompt is not None:
                        # DTR dropped by the closing client: a pending "> " prompt is cancelled
                        self.prompt = None
                        m.line.reserve(False)
                    self.inbuf = bytearray()
                continue
            gen, data = item
            if gen != m.line.generation:
                continue
            if m.faults.hung() or m.faults.down():
                m.journal.event("ignored", bytes=len(data))
                continue
            self.inbuf.extend(data)
            try:
                self.consume()
            except Exception:
                log.exception("%s: simulator error", m.name)
                self.inbuf = bytearray()
                self.prompt = None
                self.finish([], "ERROR")

    def consume(self):
        m = self.m
        while self.inbuf:
            if self.prompt is not None:
                cut = next((i for i, b in enumerate(self.inbuf) if b in (0x1A, 0x1B)), None)
                if cut is None:
                    if len(self.inbuf) > 4096:
                        self.inbuf = bytearray()
                    return
                payload = bytes(self.inbuf[:cut])
                terminator = self.inbuf[cut]
                del self.inbuf[:cut + 1]
                if m.session.echo:
                    m.line.write(payload)
                prompt, self.prompt = self.prompt, None
                m.sender.on_payload(prompt, payload, terminator == 0x1A)
                continue
            cut = self.inbuf.find(b"\r")
            if cut < 0:
                if len(self.inbuf) > 4096:
                    self.inbuf = bytearray()
                return
            raw = bytes(self.inbuf[:cut])
            del self.inbuf[:cut + 1]
            line = raw.decode("latin-1").strip("\n\x00 ")
            prefix = line.upper().find("AT")
            if prefix > 0:
                line = line[prefix:]        # V.250: what comes before the "AT" prefix is ignored (an ESC...)
            if not line:
                continue
            if m.session.echo:
                m.line.write(raw + b"\r")
            if not line[:2].upper() == "AT":
                m.journal.event("noise", line=line)
                continue
            now = time.time()
            m.journal.command(now, line)
            m.line.reserve(True)
            with m.lock:
                answer = self.execute(line[2:], now)
            if answer is not None:
                self.finish(*answer)

    # ---- commands

    def execute(self, body, now):
        """Run a command line: (blocks of information lines, final result), or None when a ``> `` prompt is
        pending (the blocks already answered are on the line)."""
        m = self.m
        try:
            commands = split_commands(body)
        except ParseError:
            return [], "ERROR"
        blocks = []
        for name, mode, arg in commands:
            lines = self.dispatch(name, mode, arg, now)
            if lines is None:                      # the "> " prompt: the rest of the line is the payload's
                if blocks:
                    m.line.write("".join(frame(b) for b in blocks).encode())
                return None
            *info, final = lines
            if info:
                blocks.append(info)
            if final != "OK":
                return blocks, final
        return blocks, "OK"

    def dispatch(self, name, mode, arg, now):
        """One command: its lines ending with the final result, or None when answered later."""
        m = self.m
        command = m.commands_table.get(name)
        if command is None:
            return ["ERROR"]
        if command.sim:
            if m.card.busy():
                return [m.error(14)]       # "SIM busy": the library sleeps and retries
            state = m.card.state
            if state != "READY":
                puk = state == "SIM PUK"
                return [m.error(312 if puk else 311, "CMS") if command.sms else m.error(12 if puk else 11)]
        return command.handler(m, mode, arg, now)

    def finish(self, blocks, final):
        """Write an answer: each command's information block, any injected mid-command URC, then the final
        result."""
        m = self.m
        mid = m.faults.take_mid_command()
        info = [line for block in blocks for line in block]
        out = "".join(frame(b) for b in blocks) + "".join(frame([u]) for u in mid) + frame([final])
        line = m.line
        with line.cond:
            if m.faults.hung():
                m.journal.event("answer_swallowed", final=final)
            else:
                m.journal.event("answer", final=final, lines=info + mid)    # logged as it goes on the line
                line.write_locked(out.encode())
            line.reserved = False
            line.cond.notify_all()

    def reset(self):
        self.queue.put(("reset", None))

    def fresh(self):
        self.queue = queue.Queue()


def frame(lines):
    return "\r\n" + "\r\n".join(lines) + "\r\n"
