"""A simulated SIMCom SIM800 / SIM7600 on a pseudo-terminal: the ground truth of every test.

Threads per modem: a reader (poll on the pty master), a worker that interprets the bytes in order
(AT commands, then the PDU after the ``> `` prompt), a URC sender that paces unsolicited lines the
way the library needs them, and a timer thread. Nothing polls with sleeps while a client is
attached; waits are on Conditions/Events.
"""

import json
import logging
import os
import queue
import random
import re
import select
import threading
import time
import tty

from vigie.daemon.simulator import pdu as codec
from vigie.daemon.simulator.profiles import COMMON_COMMANDS, PROFILES
from vigie.daemon.simulator.timers import Scheduler

log = logging.getLogger(__name__)

OUTCOMES = ("delivered", "temporary_then_delivered", "failed", "none")
TEMPORARY_STATUS = 0x30      # "congestion, SC still trying"
FAILED_STATUS = 0x41         # "incompatible destination" (permanent)
SMSC = "+33689004000"
DEFAULT_GARBAGE = b"\xff\xfe\x00garbage\r\n"
CME_TEXT = {3: "operation not allowed", 4: "operation not supported", 10: "SIM not inserted",
            11: "SIM PIN required", 12: "SIM PUK required", 16: "incorrect password", 100: "unknown"}
_CNMI_RE = re.compile(r"^\d(,\d){0,4}$")


class _Session:
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
        self.cops_format = 0


class _Stored:
    """One message slot: an SMS-DELIVER or an SMS-STATUS-REPORT, with its read status."""

    def __init__(self, kind, hex_pdu, tpdu_length, number, text, scts, stat=0):
        self.kind, self.hex, self.tpdu_length = kind, hex_pdu, tpdu_length
        self.number, self.text, self.scts, self.stat = number, text, scts, stat


class SimulatedModem:
    """A GSM module on a pty. See daemon/simulator/README.md for the contract."""

    def __init__(self, name="sim0", model="sim800", link=None, latency=0.0, report_delay=0.0, air_log=None,
                 pin=None, seed=None, control=False, urc_guard=0.02, pin_delay=0.0):
        if model not in PROFILES:
            raise ValueError(f"unknown model {model!r} (sim800 or sim7600)")
        self.name = name
        self.model = model
        self.profile = PROFILES[model]
        self.link = link
        self.latency = float(latency)
        self.report_delay = float(report_delay)
        self.air_log = air_log
        self.pin = pin
        self.rng = random.Random(seed)
        self.want_control = control
        self.pin_delay = float(pin_delay)   # after the PIN, SIM busy (+CME ERROR: 14) this long, like a SIM800
        self._sim_busy_until = 0.0
        self.urc_guard = float(urc_guard)   # URCs wait for this much silence from the client (0: raw race)
        self.urc_reaction = 1.0             # longest wait for the client to delete an announced slot
        self._last_rx = 0.0
        self._last_urc = 0.0
        self._awaiting = None               # (memory, index) of the last +CMTI/+CDSI, until deleted
        self._urcs_paused = False
        digest = sum(ord(c) * (i + 1) for i, c in enumerate(name))
        self.imei = f"86{digest % 10**13:013d}"
        self.imsi = f"20801{digest % 10**10:010d}"

        # lock order: _lock (modem state) -> _out_lock (the line) -> _cond (logs, a leaf)
        self._lock = threading.RLock()
        self._cond = threading.Condition()             # air log, events, commands and their waiters
        self._air = []
        self._events = []
        self._events_dropped = 0
        self.commands = []
        self._session = _Session()
        self._sim_locked = bool(pin)
        self._pin_attempts = 3
        self._mr = 0
        self._concat_ref = 0
        self._stores = {}
        self._report_rules = {}                        # number -> (outcome, rate); None -> default
        self._cms = None                               # (code, remaining count or None, rate or None)
        self._late = []                                # delays of the next late answers
        self._hang_until = 0.0
        self._noreg_until = 0.0
        self._mid_command = []                         # lines to write inside the next command's answer
        self._down_until = 0.0                         # booting: reads nothing

        self._out_lock = threading.Condition()         # writes and the "link reserved" flag
        self._reserved = False
        self._fd = None
        self._slave_path = None
        self._gen = 0                                  # pty generation (bumped by unplug)
        self._connected = False
        self._wake_r = self._wake_w = None
        self._reader = None
        self._inq = queue.Queue()
        self._urcq = queue.Queue()
        self._abort = threading.Event()                # interrupts latency waits (stop/unplug/reboot)
        self._stopping = threading.Event()
        self._running = False
        self._inbuf = bytearray()
        self._prompt = None                            # dict while waiting for a PDU/text after "> "
        self._timers = None
        self._threads = []
        self._control = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self):
        """The path to open (the link when one was given, else the pty slave itself)."""
        return self.link or self._slave_path

    def start(self):
        if self._running:
            return self
        self._running = True
        self._stopping.clear()
        self._abort.clear()
        self._inq = queue.Queue()
        self._urcq = queue.Queue()
        self._timers = Scheduler(self.name)
        self._open_pty()
        for target, suffix in ((self._work_loop, "worker"), (self._urc_loop, "urc")):
            t = threading.Thread(target=target, name=f"{self.name}-{suffix}", daemon=True)
            t.start()
            self._threads.append(t)
        if self.want_control:
            if not self.link:
                raise ValueError("the control channel needs a link path")
            from vigie.daemon.core.control import ControlServer
            self._control = ControlServer(self.control_path(self.link), self.handle_control,
                                          name=f"{self.name}-control")
            self._control.start()
        self._event("started", port=self.port, model=self.model)
        return self

    def stop(self):
        if not self._running:
            return
        self._running = False
        self._stopping.set()
        self._abort.set()
        if self._control:
            self._control.close()
            self._control = None
        self._timers.stop()
        self._close_pty()
        self._inq.put(None)
        self._urcq.put(None)
        with self._out_lock:
            self._out_lock.notify_all()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(5)
        self._threads = []
        self._event("stopped")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @staticmethod
    def control_path(link):
        return f"{link}.ctl"

    def _open_pty(self):
        master, slave = os.openpty()
        tty.setraw(slave)
        slave_path = os.ttyname(slave)
        os.close(slave)          # not held open: the kernel then discards output nobody reads, as a UART does
        os.set_blocking(master, False)
        self._wake_r, self._wake_w = os.pipe()
        with self._out_lock:
            self._fd = master
            self._gen += 1
            self._connected = False
        self._slave_path = slave_path
        if self.link:
            os.makedirs(os.path.dirname(os.path.abspath(self.link)), exist_ok=True)
            tmp = f"{self.link}.{os.getpid()}.tmp"
            if os.path.lexists(tmp):
                os.unlink(tmp)
            os.symlink(slave_path, tmp)
            os.replace(tmp, self.link)
        self._reader = threading.Thread(target=self._read_loop, args=(master, self._wake_r, self._gen),
                                        name=f"{self.name}-reader", daemon=True)
        self._reader.start()

    def _close_pty(self):
        with self._out_lock:
            fd, self._fd = self._fd, None
            self._connected = False
            self._out_lock.notify_all()
        if self.link and os.path.islink(self.link) and os.readlink(self.link) == self._slave_path:
            os.unlink(self.link)
        if self._wake_w is not None:
            os.write(self._wake_w, b"x")
        if self._reader and self._reader is not threading.current_thread():
            self._reader.join(5)
        for f in (fd, self._wake_r, self._wake_w):
            if f is not None:
                try:
                    os.close(f)
                except OSError:
                    pass
        self._wake_r = self._wake_w = None

    # ------------------------------------------------------------------ byte I/O

    def _read_loop(self, fd, wake, gen):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.register(wake, select.POLLIN)
        while True:
            hup = False
            for rfd, mask in poller.poll():
                if rfd == wake:
                    return
                if mask & select.POLLIN:
                    try:
                        data = os.read(fd, 4096)
                    except OSError:
                        data = b""
                    if data:
                        self._last_rx = time.monotonic()
                        self._set_connected(True)
                        self._inq.put((gen, data))
                        continue
                if mask & (select.POLLHUP | select.POLLERR):
                    hup = True
                if mask & select.POLLNVAL:
                    return
            if hup:
                # No process has the slave open: the kernel offers no event for "opened", so look again
                # every 20 ms until a client appears (the only timed wait, and only while nobody listens).
                self._set_connected(False)
                if self._stopping.wait(0.02):
                    return
                r, _, _ = select.select([wake], [], [], 0)
                if r:
                    return

    def _set_connected(self, value):
        with self._out_lock:
            if self._connected == value:
                return
            self._connected = value
            self._out_lock.notify_all()
        if not value:
            self._inq.put(("hangup", self._gen))
        self._event("client_connected" if value else "client_closed")

    def _write(self, data: bytes):
        """Write to the line; dropped when no client listens (a UART talking to nobody)."""
        with self._out_lock:
            self._write_locked(data)

    def _write_locked(self, data: bytes):
        fd = self._fd
        if fd is None:
            return
        view = memoryview(data)
        deadline = time.monotonic() + 2.0
        while view:
            try:
                n = os.write(fd, view)
                view = view[n:]
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._event("output_dropped", bytes=len(view))
                    return
                select.select([], [fd], [], left)
            except OSError:
                return

    def _client_pending(self) -> int:
        """Bytes written to the client and not yet read by it (0 when unknown)."""
        import fcntl
        import struct
        import termios
        path = self._slave_path
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:
            return 0
        try:
            return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
        except OSError:
            return 0
        finally:
            os.close(fd)

    # ------------------------------------------------------------------ events and logs

    MAX_EVENTS = 100_000      # a long-running emulator forgets its oldest events (the air log is kept whole)

    def _event(self, etype, **data):
        with self._cond:
            data["time"] = time.time()
            data["type"] = etype
            self._events.append(data)
            if len(self._events) > self.MAX_EVENTS:
                drop = self.MAX_EVENTS // 2
                del self._events[:drop]
                self._events_dropped += drop
            self._cond.notify_all()
        log.debug("%s: %s %s", self.name, etype, data)

    @property
    def events(self):
        with self._cond:
            return list(self._events)

    def wait_event(self, predicate, timeout=10.0):
        """Wait until an event satisfies ``predicate(event_dict)``; returns it, or None on timeout.
        A string predicate matches the event type."""
        if isinstance(predicate, str):
            kind = predicate
            predicate = lambda e: e["type"] == kind
        deadline = time.monotonic() + timeout
        seen = 0                                   # absolute position, survives trimming
        with self._cond:
            while True:
                for e in self._events[max(0, seen - self._events_dropped):]:
                    if predicate(e):
                        return e
                seen = self._events_dropped + len(self._events)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def air(self):
        with self._cond:
            return [dict(a) for a in self._air]

    def wait_air(self, count, timeout=10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self._air) >= count, timeout)

    def _on_air(self, sub, cmgs_at, mr):
        entry = {"time": time.time(), "modem": self.name, "to": sub.to, "mr": mr, "part": sub.part,
                 "parts": sub.parts, "ref": sub.ref, "encoding": sub.encoding, "text": sub.text,
                 "cmgs_at": cmgs_at}
        with self._cond:
            self._air.append(entry)
            if self.air_log:
                with open(self.air_log, "a", encoding="utf-8") as f:
                    f.write(json.dumps(entry, ensure_ascii=False) + "\n")
                    f.flush()
            self._cond.notify_all()
        self._event("on_air", mr=mr, to=sub.to, part=sub.part, parts=sub.parts)
        return entry

    # ------------------------------------------------------------------ fault switches and world

    def set_latency(self, seconds):
        self.latency = float(seconds)
        self._event("latency", seconds=self.latency)

    def set_report(self, outcome, number=None, rate=1.0, status=None):
        """Outcome of the status reports for ``number`` (or all numbers), applied with probability ``rate``
        (otherwise "delivered"). ``status`` overrides the TP-ST of "failed" (0x41 by default; 0x43, 0x46...)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        with self._lock:
            self._report_rules[number] = (outcome, float(rate), status)
        self._event("report_rule", outcome=outcome, number=number, rate=rate, status=status)

    def fail_sends(self, code, count=None, rate=None):
        """The next ``count`` sends (or each with probability ``rate``) end with ``+CMS ERROR: code``.
        count=0 or rate=0 clears; neither given means the next send only."""
        with self._lock:
            if count == 0 or rate == 0:
                self._cms = None
            elif rate is not None:
                self._cms = (int(code), None, float(rate))
            else:
                self._cms = (int(code), int(count or 1), None)
        self._event("fault", kind="cms", code=code, count=count, rate=rate)

    def hang(self, seconds):
        """Read everything, answer nothing, for ``seconds``."""
        with self._lock:
            self._hang_until = time.monotonic() + float(seconds)
        self._event("fault", kind="hang", seconds=seconds)
        self._timers.call_later(float(seconds), self._hang_over)

    def _hang_over(self):
        self._event("hang_over")
        with self._out_lock:
            self._out_lock.notify_all()

    def _hung(self):
        return time.monotonic() < self._hang_until

    def late_cmgs(self, delay, count=1):
        """The next ``count`` sends go on air but their ``+CMGS`` answer comes ``delay`` seconds late."""
        with self._lock:
            self._late.extend([float(delay)] * int(count))
        self._event("fault", kind="late", delay=delay, count=count)

    def unplug(self, seconds=None):
        """The USB device disappears (pty master closed, link removed); a new pty appears behind the same link
        after ``seconds`` (never when None: call replug()). The module lost power: settings are reset."""
        with self._lock:
            if self._fd is None or not self._running:
                return
            self._abort.set()
            self._power_cycle_state()
        self._close_pty()
        self._event("unplugged", seconds=seconds)
        if seconds is not None:
            self._timers.call_later(float(seconds), self.replug)

    def replug(self):
        with self._lock:
            if self._fd is not None or not self._running:
                return
            self._abort.clear()
            self._open_pty()
        self._event("replugged", port=self.port, slave=self._slave_path)

    def reboot(self, down=0.0):
        """Module reset: session settings lost (echo on, CMGF/CNMI/CMEE reset; the TP-MR counter is kept, as the
        SIM stores it), then the boot lines RDY, +CFUN: 1, +CPIN: ..., Call Ready/SMS Ready."""
        with self._lock:
            self._abort.set()
            self._power_cycle_state()
            self._down_until = time.monotonic() + float(down)
        self._event("reboot", down=down)
        self._timers.call_later(float(down), self._boot_done)

    def _power_cycle_state(self):
        self._session = _Session()
        self._sim_locked = bool(self.pin)
        self._mid_command = []
        self._inq.put(("reset", None))      # the worker drops its partial input and any pending prompt
        while True:
            try:
                self._urcq.get_nowait()
            except queue.Empty:
                break

    def _boot_done(self):
        with self._lock:
            self._abort.clear()
            self._down_until = 0.0
            lines = list(self.profile.boot_lines)
            if self._sim_locked:
                lines = lines[:lines.index("+CPIN: READY")] + ["+CPIN: SIM PIN"]
        for line in lines:
            self._write(f"\r\n{line}\r\n".encode())
        self._event("boot_lines", lines=lines)

    def lose_registration(self, seconds):
        with self._lock:
            self._noreg_until = time.monotonic() + float(seconds)
            creg = self._session.creg
        self._event("fault", kind="noreg", seconds=seconds)
        if creg:
            self._urc("+CREG: 2")
        self._timers.call_later(float(seconds), self._registration_back)

    def _registration_back(self):
        self._event("registered")
        if self._session.creg:
            self._urc("+CREG: 1")

    def _registered(self):
        return time.monotonic() >= self._noreg_until

    def send_garbage(self, data: bytes = DEFAULT_GARBAGE):
        """Write raw bytes on the line now (line noise, a module crashing mid-sentence)."""
        self._write(bytes(data))
        self._event("garbage", data=bytes(data).hex())

    def unsolicited_during_next_command(self, line):
        """Write ``line`` inside the next command's answer (between its information lines and its final result)."""
        with self._lock:
            self._mid_command.append(line)

    def inject_sms(self, sender, text, announce=True):
        """A message arrives from ``sender``: stored in the receive memory (CPMS <mem3>), one slot per part, and
        announced with +CMTI unless ``announce`` is False (a missed notification). Returns the slot indices."""
        now = time.time()
        with self._lock:
            self._concat_ref = (self._concat_ref + 1) % 256
            parts = codec.encode_deliver(sender, text, now, smsc=SMSC, ref=self._concat_ref)
            mem = self._mem(2)
            indices = []
            for p in parts:
                idx = self._store(mem, _Stored("deliver", p.hex, p.tpdu_length, sender, text, now))
                if idx is None:
                    self._event("storage_full", memory=mem)
                    continue
                indices.append(idx)
            mt = self._session.cnmi[1]
        self._event("incoming", sender=sender, text=text, memory=mem, indices=indices, announced=announce)
        if announce and mt in (1, 2, 3):
            for idx in indices:
                self._urc(f'+CMTI: "{mem}",{idx}', awaits=(self._canon(mem), idx))
        return indices

    def stored(self, memory=None):
        """Slots of a memory (all memories when None): {memory: {index: (kind, stat, number)}}."""
        with self._lock:
            return {m: {i: (s.kind, s.stat, s.number) for i, s in slots.items()}
                    for m, slots in self._stores.items() if memory in (None, m)}

    # ------------------------------------------------------------------ storage

    def _canon(self, mem):
        return {"MT": "ME", "ME_P": "ME", "SM_P": "SM"}.get(mem, mem)

    def _mem(self, i):
        return self._memories[i]

    @property
    def _memories(self):
        chosen = getattr(self._session, "cpms", None)
        if chosen:
            return chosen
        return ["SM", "SM", "SM"] if self.model == "sim800" else ["ME", "ME", "ME"]

    def _slots(self, mem):
        return self._stores.setdefault(self._canon(mem), {})

    def _store(self, mem, item):
        slots = self._slots(mem)
        cap = self.profile.capacity.get(mem, 50)
        for idx in range(self.profile.first_index, self.profile.first_index + cap):
            if idx not in slots:
                slots[idx] = item
                return idx
        return None

    # ------------------------------------------------------------------ unsolicited lines

    def _urc(self, text, awaits=None):
        """Queue an unsolicited result (one burst, possibly several lines joined by CRLF). ``awaits`` names the
        (memory, index) slot a +CMTI/+CDSI announces: the next URC waits until the client has deleted it (at
        most urc_reaction seconds), as reports and messages from the network seldom arrive within milliseconds
        and the library's handler (CPMS, CMGR, callback, CMGD) must not be interrupted."""
        self._urcq.put((text, awaits))

    def pause_urcs(self):
        """Hold every unsolicited line (the network keeps its reports) until resume_urcs(): lets a test send a
        batch without a report landing inside a command, which the library would swallow."""
        with self._out_lock:
            self._urcs_paused = True

    def resume_urcs(self):
        with self._out_lock:
            self._urcs_paused = False
            self._out_lock.notify_all()

    def _urc_loop(self):
        """Send URCs one at a time, only when the link is not reserved by a command and the previous URC has been
        read: the library hands every burst of lines to one handler, which serves only its first URC."""
        while True:
            item = self._urcq.get()
            if item is None:
                return
            text, awaits = item
            data = f"\r\n{text}\r\n".encode()
            while True:
                with self._out_lock:
                    while self._running and (self._reserved or self._hung() or self._client_busy()
                                             or self._urcs_paused):
                        self._out_lock.wait(self._client_quiet_in() or 1.0)
                    if not self._running:
                        return
                    connected = self._connected
                if connected:
                    # let the client drain what it already has, so that this URC is read as its own burst
                    waited = False
                    for _ in range(500):
                        if self._client_pending() == 0:
                            break
                        waited = True
                        time.sleep(0.002)
                    # the library checks for more bytes right after each line: keep URCs apart by at least as
                    # long as the client took to read the last one (a loaded machine reads slowly)
                    drained = time.monotonic()
                    took = min(0.2, max(0.0, drained - self._last_urc)) if waited and self._last_urc else 0.0
                    gap = max(self._last_urc + 0.003, drained + took) - drained
                    if gap > 0:
                        time.sleep(gap)
                with self._out_lock:
                    if self._running and (self._reserved or self._hung() or self._client_busy()
                                          or self._urcs_paused):
                        continue          # the client spoke meanwhile: wait for the line to be quiet again
                    # with nobody listening the kernel discards the line, as a UART talking to nobody
                    self._write_locked(data)
                    self._last_urc = time.monotonic()
                    if awaits and connected:
                        self._awaiting = awaits
                    break
            self._event("urc", line=text)
            if awaits and connected:
                with self._out_lock:
                    deadline = self._last_urc + self.urc_reaction
                    while self._running and self._awaiting == awaits and time.monotonic() < deadline:
                        self._out_lock.wait(deadline - time.monotonic())
                    self._awaiting = None

    def _client_quiet_in(self):
        """Seconds until the line has been quiet for urc_guard (0 when it has): no byte from the client and no
        URC from us, which leaves a client time to react to the previous URC (read the +CDSI slot...)."""
        return max(0.0, max(self._last_rx, self._last_urc) + self.urc_guard - time.monotonic())

    def _client_busy(self):
        return self._connected and self._client_quiet_in() > 0

    def _reserve(self, value):
        with self._out_lock:
            self._reserved = value
            self._out_lock.notify_all()

    # ------------------------------------------------------------------ command interpreter

    def _work_loop(self):
        while True:
            item = self._inq.get()
            if item is None:
                return
            if item[0] == "reset":
                self._inbuf = bytearray()
                self._prompt = None
                self._reserve(False)
                continue
            if item[0] == "hangup":
                with self._lock:
                    if item[1] == self._gen and self._prompt is not None:
                        # DTR dropped by the closing client: a pending "> " prompt is cancelled
                        self._prompt = None
                        self._reserve(False)
                    self._inbuf = bytearray()
                continue
            gen, data = item
            if gen != self._gen:
                continue
            if self._hung() or time.monotonic() < self._down_until:
                self._event("ignored", bytes=len(data))
                continue
            self._inbuf.extend(data)
            try:
                self._consume()
            except Exception:
                log.exception("%s: simulator error", self.name)
                self._inbuf = bytearray()
                self._prompt = None
                self._finish(["ERROR"])

    def _consume(self):
        while self._inbuf:
            if self._prompt is not None:
                cut = next((i for i, b in enumerate(self._inbuf) if b in (0x1A, 0x1B)), None)
                if cut is None:
                    if len(self._inbuf) > 4096:
                        self._inbuf = bytearray()
                    return
                payload = bytes(self._inbuf[:cut])
                terminator = self._inbuf[cut]
                del self._inbuf[:cut + 1]
                if self._session.echo:
                    self._write(payload)
                self._on_payload(payload, terminator == 0x1A)
                continue
            cut = self._inbuf.find(b"\r")
            if cut < 0:
                if len(self._inbuf) > 4096:
                    self._inbuf = bytearray()
                return
            raw = bytes(self._inbuf[:cut])
            del self._inbuf[:cut + 1]
            line = raw.decode("latin-1").strip("\n\x00 ")
            prefix = line.upper().find("AT")
            if prefix > 0:
                line = line[prefix:]        # V.250: what comes before the "AT" prefix is ignored (an ESC...)
            if not line:
                continue
            if self._session.echo:
                self._write(raw + b"\r")
            if not line[:2].upper() == "AT":
                self._event("noise", line=line)
                continue
            now = time.time()
            with self._cond:
                self.commands.append((now, line))
            self._event("command", line=line)
            self._reserve(True)
            with self._lock:
                answer = self._dispatch(line, now)
            if answer is not None:
                self._finish(answer)

    def _finish(self, lines):
        """Write a command's answer: information lines, any injected mid-command URC, then the final result."""
        *info, final = lines
        with self._lock:
            mid, self._mid_command = self._mid_command, []
        out = "".join(f"\r\n{line}\r\n" for line in info + mid + [final])
        with self._out_lock:
            if self._hung():
                self._event("answer_swallowed", final=final)
            else:
                self._event("answer", final=final, lines=info + mid)    # logged as it goes on the line
                self._write_locked(out.encode())
            self._reserved = False
            self._out_lock.notify_all()

    def _error(self, code=None, kind="CME"):
        mode = self._session.cmee
        if code is None or mode == 0:
            return "ERROR"
        if mode == 2 and kind == "CME":
            return f"+CME ERROR: {CME_TEXT.get(code, code)}"
        return f"+{kind} ERROR: {code}"

    def _dispatch(self, line, now):
        """Answer one command line: a list of lines ending with the final result, or None when answered later."""
        upper = line.upper()
        body = line[2:]
        key = upper[2:]
        if key == "":
            return ["OK"]
        for prefix, handler in self._BASIC:
            if key.startswith(prefix):
                return handler(self, key[len(prefix):])
        m = re.match(r"^(\+[A-Z]+|\^[A-Z]+|&[A-Z])(.*)$", body, re.IGNORECASE)
        if not m:
            return ["ERROR"]
        name, rest = m.group(1).upper(), m.group(2)
        handler = self._EXTENDED.get(name)
        if handler is None:
            return ["ERROR"]
        if name not in self._NO_SIM_NEEDED and time.monotonic() < self._sim_busy_until:
            return [self._error(14)]       # "SIM busy": the library sleeps and retries
        if self._sim_locked and name not in self._NO_SIM_NEEDED:
            return [self._error(311, "CMS") if name in self._SMS_COMMANDS else self._error(11)]
        if rest.startswith("=?"):
            mode, arg = "test", rest[2:]
        elif rest.startswith("?"):
            mode, arg = "read", rest[1:]
        elif rest.startswith("="):
            mode, arg = "set", rest[1:]
        else:
            mode, arg = "exec", rest
        return handler(self, mode, arg.strip(), now)

    # basic commands
    def _at_z(self, rest):
        self._session = _Session()
        return ["OK"]

    def _at_e(self, rest):
        if rest in ("", "0", "1"):
            self._session.echo = rest == "1"
            return ["OK"]
        return ["ERROR"]

    def _at_i(self, rest):
        return [f"{self.profile.model_name.replace('SIMCOM_', '')} R14.18", "OK"]

    def _at_v(self, rest):
        return ["OK"] if rest in ("", "1") else ["ERROR"]

    _BASIC = ()  # filled below (needs the functions)

    # extended commands: handler(self, mode, arg, now)
    def _cmee(self, mode, arg, now):
        if mode == "read":
            return [f"+CMEE: {self._session.cmee}", "OK"]
        if mode == "test":
            return ["+CMEE: (0-2)", "OK"]
        if mode == "set" and arg in ("0", "1", "2"):
            self._session.cmee = int(arg)
            return ["OK"]
        return [self._error(3)]

    def _cpin(self, mode, arg, now):
        if mode == "read":
            if self._pin_attempts <= 0:
                return ["+CPIN: SIM PUK", "OK"]
            return ["+CPIN: SIM PIN" if self._sim_locked else "+CPIN: READY", "OK"]
        if mode == "test":
            return ["OK"]
        if mode == "set":
            code = arg.split(",")[0].strip('"')
            if not self._sim_locked:
                return [self._error(3)]
            if self._pin_attempts <= 0:
                return [self._error(12)]
            if code == self.pin:
                self._sim_locked = False
                self._sim_busy_until = time.monotonic() + self.pin_delay
                self._pin_attempts = 3
                self._event("sim_unlocked")
                self._timers.call_later(0.0, self._urc, "SMS Ready" if self.model == "sim800" else "SMS DONE")
                return ["OK"]
            self._pin_attempts -= 1
            self._event("wrong_pin", left=self._pin_attempts)
            return [self._error(16)]
        return [self._error(3)]

    def _ident(self, value):
        def handler(self_, mode, arg, now):
            if mode == "test":
                return ["OK"]
            if mode != "exec":
                return [self_._error(3)]
            return [value(self_), "OK"]
        return handler

    def _cfun(self, mode, arg, now):
        if mode == "read":
            return ["+CFUN: 1", "OK"]
        if mode == "test":
            return ["+CFUN: (0,1,4),(0,1)", "OK"]
        if mode == "set":
            parts = arg.split(",")
            if parts[0] not in ("0", "1", "4"):
                return [self._error(3)]
            if len(parts) > 1 and parts[1] == "1":
                self._timers.call_later(0.0, self.reboot, 0.0)
            return ["OK"]
        return [self._error(3)]

    def _csq(self, mode, arg, now):
        if mode == "test":
            return ["+CSQ: (0-31,99),(0-7,99)", "OK"]
        return ["+CSQ: 20,0" if self._registered() else "+CSQ: 99,99", "OK"]

    def _creg(self, mode, arg, now):
        if mode == "read":
            stat = 1 if self._registered() else 2
            return [f"+CREG: {self._session.creg},{stat}", "OK"]
        if mode == "test":
            return ["+CREG: (0-2)", "OK"]
        if mode == "set" and arg in ("0", "1", "2"):
            self._session.creg = int(arg)
            return ["OK"]
        return [self._error(3)]

    def _cops(self, mode, arg, now):
        if mode == "read":
            if not self._registered():
                return ["+COPS: 0", "OK"]
            name = {0: '"Orange F"', 1: '"Orange"', 2: '"20801"'}[self._session.cops_format]
            return [f"+COPS: 0,{self._session.cops_format},{name}" + (",7" if self.model == "sim7600" else ""), "OK"]
        if mode == "test":
            return ['+COPS: (2,"Orange F","Orange","20801"),(3,"SFR","SFR","20810"),,(0-4),(0-2)', "OK"]
        if mode == "set":
            parts = arg.split(",")
            if parts[0] == "3" and len(parts) > 1 and parts[1] in ("0", "1", "2"):
                self._session.cops_format = int(parts[1])
                return ["OK"]
            if parts[0] in ("0", "1", "2", "4"):
                return ["OK"]
        return [self._error(3)]

    def _cmgf(self, mode, arg, now):
        if mode == "read":
            return [f"+CMGF: {self._session.cmgf}", "OK"]
        if mode == "test":
            return ["+CMGF: (0,1)", "OK"]
        if mode == "set" and arg in ("0", "1"):
            self._session.cmgf = int(arg)
            return ["OK"]
        return [self._error(3)]

    def _csca(self, mode, arg, now):
        if mode == "read":
            return [f'+CSCA: "{getattr(self._session, "csca", SMSC)}",145', "OK"]
        if mode == "set":
            self._session.csca = arg.split(",")[0].strip('"')
            return ["OK"]
        return ["OK"] if mode == "test" else [self._error(3)]

    def _csmp(self, mode, arg, now):
        if mode == "read":
            return ["+CSMP: " + ",".join(str(v) for v in self._session.csmp), "OK"]
        if mode == "set":
            try:
                values = tuple(int(v) for v in arg.split(","))
            except ValueError:
                return [self._error(303, "CMS")]
            self._session.csmp = values + self._session.csmp[len(values):]
            return ["OK"]
        return ["OK"] if mode == "test" else [self._error(3)]

    def _cpms(self, mode, arg, now):
        offered = "(" + ",".join(f'"{m}"' for m in self.profile.storages) + ")"
        if mode == "test":
            return [f"+CPMS: {offered},{offered},{offered}", "OK"]
        if mode == "read":
            parts = []
            for mem in self._memories:
                parts.append(f'"{mem}",{len(self._slots(mem))},{self.profile.capacity.get(mem, 50)}')
            return ["+CPMS: " + ",".join(parts), "OK"]
        if mode == "set":
            mems = [m.strip().strip('"').upper() for m in arg.split(",") if m.strip()]
            if not 1 <= len(mems) <= 3 or any(m not in self.profile.storages for m in mems):
                return [self._error(302, "CMS")]
            cpms = list(self._memories)
            cpms[:len(mems)] = mems
            self._session.cpms = cpms
            counts = ",".join(f"{len(self._slots(m))},{self.profile.capacity.get(m, 50)}" for m in cpms)
            return [f"+CPMS: {counts}", "OK"]
        return [self._error(3)]

    def _cnmi(self, mode, arg, now):
        if mode == "read":
            return ["+CNMI: " + ",".join(str(v) for v in self._session.cnmi), "OK"]
        if mode == "test":
            ds = "(0-2)" if self.profile.accepts_ds2 else "(0,1)"
            return [f"+CNMI: (0-3),(0-3),(0,2),{ds},(0,1)", "OK"]
        if mode == "set" and _CNMI_RE.match(arg):
            values = [int(v) for v in arg.split(",")]
            cnmi = list(self._session.cnmi)
            cnmi[:len(values)] = values
            mode_, mt, bm, ds, bfr = cnmi
            if mode_ > 3 or mt > 3 or bm not in (0, 2) or bfr > 1 or ds > (2 if self.profile.accepts_ds2 else 1):
                return ["ERROR"]
            self._session.cnmi = tuple(cnmi)
            return ["OK"]
        return ["ERROR"]

    def _cscs(self, mode, arg, now):
        charsets = ("IRA", "GSM", "UCS2", "HEX", "PCCP", "PCDN", "8859-1")
        if mode == "test":
            return ["+CSCS: (" + ",".join(f'"{c}"' for c in charsets) + ")", "OK"]
        if mode == "read":
            return [f'+CSCS: "{self._session.cscs}"', "OK"]
        if mode == "set" and arg.strip('"').upper() in charsets:
            self._session.cscs = arg.strip('"').upper()
            return ["OK"]
        return [self._error(4)]

    def _cmms(self, mode, arg, now):
        if mode == "read":
            return [f"+CMMS: {self._session.cmms}", "OK"]
        if mode == "test":
            return ["+CMMS: (0-2)", "OK"]
        if mode == "set" and arg in ("0", "1", "2"):
            self._session.cmms = int(arg)
            return ["OK"]
        return [self._error(3)]

    def _clac(self, mode, arg, now):
        if mode != "exec":
            return ["OK"] if mode == "test" else ["ERROR"]
        return list(COMMON_COMMANDS + self.profile.extra_commands) + ["OK"]

    def _simple_ok(self, mode, arg, now):
        return ["OK"]

    def _cnum(self, mode, arg, now):
        if mode == "exec":
            return ['+CNUM: "","+33700000000",145', "OK"]
        return ["OK"]

    # --- SMS sending

    def _cmgs(self, mode, arg, now):
        if mode == "test":
            return ["OK"]
        if mode != "set":
            return [self._error(302, "CMS")]
        if self._session.cmgf == 0:
            try:
                length = int(arg)
            except ValueError:
                return [self._error(304, "CMS")]
            if not 7 <= length <= 164:
                return [self._error(304, "CMS")]
            self._prompt = {"mode": "pdu", "length": length, "cmgs_at": now}
        else:
            number = arg.split(",")[0].strip('"')
            if not number:
                return [self._error(304, "CMS")]
            self._prompt = {"mode": "text", "to": number, "cmgs_at": now}
        # the link stays reserved until the final result after the payload
        self._write(b"\r\n> ")
        self._event("prompt")
        return None

    def _on_payload(self, payload: bytes, send: bool):
        prompt, self._prompt = self._prompt, None
        if not send:
            self._event("send_aborted")
            self._finish(["OK"])
            return
        if prompt["mode"] == "pdu":
            try:
                text = payload.decode("ascii").strip()
                sub = codec.decode_submit(text)
                if sub.tpdu_length != prompt["length"]:
                    raise codec.PduError(f"length {sub.tpdu_length} announced {prompt['length']}")
            except (UnicodeDecodeError, codec.PduError) as e:
                self._event("bad_pdu", error=str(e), pdu=payload[:400].decode("latin-1"))
                self._finish([self._error(304, "CMS")])
                return
        else:
            text = payload.decode("utf-8", errors="replace")
            if self._session.cscs == "UCS2":
                try:
                    text = bytes.fromhex(text).decode("utf-16-be")
                except ValueError:
                    pass
            sub = codec.Submit(smsc=None, mr=0, to=prompt["to"], pid=0, dcs=0, encoding="gsm7", text=text,
                               status_report=False)
        self._event("pdu", to=sub.to, text=sub.text, part=sub.part, parts=sub.parts)
        code = self._send_error()
        if code is not None:
            self._event("cms_error", code=code)
            self._finish([self._error(code, "CMS")])
            return
        if self.latency > 0 and self._abort.wait(self.latency):
            self._reserve(False)
            return
        with self._lock:
            mr = self._mr
            self._mr = (self._mr + 1) % 256
            late = self._late.pop(0) if self._late else 0.0
        self._on_air(sub, prompt["cmgs_at"], mr)
        if late > 0 and self._abort.wait(late):
            self._reserve(False)
            return
        self._finish([f"+CMGS: {mr}", "OK"])
        if sub.status_report and prompt["mode"] == "pdu":
            for delay, status in self._report_plan(sub.to):
                self._timers.call_later(self.report_delay + delay, self._deliver_report, mr, sub.to, now_scts(), status)

    def _send_error(self):
        with self._lock:
            if not self._registered():
                return 331
            if self._cms is None:
                return None
            code, left, rate = self._cms
            if rate is not None:
                return code if self.rng.random() < rate else None
            left -= 1
            self._cms = (code, left, None) if left > 0 else None
            return code

    def _report_plan(self, number):
        """[(extra delay, TP-ST)] for one part sent to ``number``."""
        with self._lock:
            outcome, rate, status = (self._report_rules.get(number) or self._report_rules.get(None)
                                     or ("delivered", 1.0, None))
            if rate < 1.0 and self.rng.random() >= rate:
                outcome = "delivered"
        return {"delivered": [(0.0, 0x00)], "temporary_then_delivered": [(0.0, TEMPORARY_STATUS), (0.0, 0x00)],
                "failed": [(0.0, FAILED_STATUS if status is None else status)], "none": []}[outcome]

    def _deliver_report(self, mr, number, scts, status):
        if not self._running:
            return
        rep = codec.encode_status_report(mr, number, scts, time.time(), status, smsc=SMSC)
        with self._lock:
            ds = self._session.cnmi[3]
            self._event("report", mr=mr, number=number, status=status, path={1: "CDS", 2: "CDSI"}.get(ds, "none"))
            if ds == 1:
                self._urc(f"+CDS: {rep.tpdu_length}\r\n{rep.hex}")
            elif ds == 2:
                idx = self._store("SR", _Stored("report", rep.hex, rep.tpdu_length, number, None, scts))
                if idx is None:
                    self._event("storage_full", memory="SR")
                else:
                    self._urc(f'+CDSI: "SR",{idx}', awaits=("SR", idx))

    # --- stored messages

    def _alpha(self):
        return self.profile.cmgr_alpha

    def _text_time(self, ts):
        lt = time.localtime(ts)
        q = lt.tm_gmtoff // 900
        return time.strftime("%y/%m/%d,%H:%M:%S", lt) + f"{q:+03d}"

    _STAT_TEXT = {0: "REC UNREAD", 1: "REC READ", 2: "STO UNSENT", 3: "STO SENT", 4: "ALL"}

    def _render(self, idx, slot, cmd):
        """Lines of one stored message for +CMGR (idx None) or +CMGL."""
        head = f"+{cmd}: " + ("" if idx is None else f"{idx},")
        if self._session.cmgf == 0:
            return [f"{head}{slot.stat},{self._alpha()},{slot.tpdu_length}", slot.hex]
        status = f'"{self._STAT_TEXT[slot.stat]}"'
        if slot.kind == "report":
            d = codec.decode_deliver(slot.hex)
            fmt = "%y/%m/%d,%H:%M:%S"
            return [f'{head}{status},6,{d["mr"]},"{d["number"]}",145,"{d["scts"].strftime(fmt)}+00",'
                    f'"{d["discharge"].strftime(fmt)}+00",{d["status"]}']
        d = codec.decode_deliver(slot.hex)
        return [f'{head}{status},"{slot.number}","","{self._text_time(slot.scts)}"', d["text"]]

    def _cmgr(self, mode, arg, now):
        if mode == "test":
            return ["OK"]
        if mode != "set":
            return [self._error(302, "CMS")]
        try:
            idx = int(arg.split(",")[0])
        except ValueError:
            return [self._error(321, "CMS")]
        slot = self._slots(self._mem(0)).get(idx)
        if slot is None:
            return ["OK"] if self.model == "sim800" else [self._error(321, "CMS")]
        lines = self._render(None, slot, "CMGR")
        if slot.stat == 0:
            slot.stat = 1

        return lines + ["OK"]

    def _cmgl(self, mode, arg, now):
        if mode == "test":
            if self._session.cmgf == 0:
                return ["+CMGL: (0-4)", "OK"]
            return ['+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")', "OK"]
        value = arg or ("0" if self._session.cmgf == 0 else '"REC UNREAD"')
        if self._session.cmgf == 0:
            if not value.isdigit() or int(value) > 4:
                return [self._error(302, "CMS")]
            wanted = int(value)
        else:
            names = {v: k for k, v in self._STAT_TEXT.items()}
            wanted = names.get(value.strip('"').upper())
            if wanted is None:
                return [self._error(302, "CMS")]
        lines = []
        for idx, slot in sorted(self._slots(self._mem(0)).items()):
            if wanted == 4 or slot.stat == wanted:
                lines += self._render(idx, slot, "CMGL")
                if slot.stat == 0:
                    slot.stat = 1
        return lines + ["OK"]

    def _cmgd(self, mode, arg, now):
        if mode == "test":
            slots = self._slots(self._mem(0))
            return [f"+CMGD: ({','.join(str(i) for i in sorted(slots))}),(0-4)", "OK"]
        if mode != "set":
            return [self._error(302, "CMS")]
        parts = arg.split(",")
        try:
            idx = int(parts[0])
            flag = int(parts[1]) if len(parts) > 1 else 0
        except ValueError:
            return [self._error(321, "CMS")]
        slots = self._slots(self._mem(0))
        if flag == 0:
            slots.pop(idx, None)
        else:
            doomed = {1: (1,), 2: (1, 3), 3: (1, 2, 3), 4: (0, 1, 2, 3)}.get(flag)
            if doomed is None:
                return [self._error(302, "CMS")]
            for i in [i for i, s in slots.items() if s.stat in doomed]:
                del slots[i]
        with self._out_lock:
            if self._awaiting and self._awaiting[0] == self._canon(self._mem(0)) and self._awaiting[1] not in slots:
                self._awaiting = None         # the client is done with the announced slot
                self._out_lock.notify_all()
        self._event("deleted", memory=self._mem(0), index=idx, flag=flag)
        return ["OK"]

    def _ddet(self, mode, arg, now):
        return ["OK"] if self.model == "sim800" else ["ERROR"]

    _EXTENDED = {}
    _NO_SIM_NEEDED = {"+CMEE", "+CPIN", "+CFUN", "+CGMI", "+CGMM", "+CGMR", "+CGSN", "+CLAC", "+CSQ", "+CSCS",
                      "+GMI", "+GMM", "+GMR", "+GSN", "&F", "&W", "&V", "+IPR", "+CMGF", "+CREG", "+CNMI", "+CLIP",
                      "+CRC", "+CVHU", "+DDET", "+CSMP", "+COPS"}
    _SMS_COMMANDS = {"+CMGS", "+CMGR", "+CMGL", "+CMGD", "+CPMS", "+CSCA", "+CMMS"}

    # ------------------------------------------------------------------ control channel

    def handle_control(self, cmd: dict) -> dict:
        """Apply one control-channel command (the dicts of `vigie emulator inject`); returns a reply dict."""
        return _apply_control(self, cmd)

    @staticmethod
    def control(link, command, timeout=10.0) -> dict:
        """Send ``command`` (a dict) to the emulator serving ``link`` and return its reply."""
        from vigie.daemon.core.control import exchange
        return exchange(SimulatedModem.control_path(link), command, timeout)


def now_scts():
    return time.time()


def _apply_control(sim, cmd):
    kind = cmd.get("cmd")
    if kind == "sms":
        indices = sim.inject_sms(cmd["from"], cmd["text"], announce=cmd.get("announce", True))
        return {"ok": True, "indices": indices}
    if kind == "fault":
        fault = cmd.get("fault")
        if fault == "cms":
            sim.fail_sends(int(cmd["code"]), count=cmd.get("count"), rate=cmd.get("rate"))
        elif fault == "hang":
            sim.hang(float(cmd["seconds"]))
        elif fault == "late":
            sim.late_cmgs(float(cmd["seconds"]), count=int(cmd.get("count") or 1))
        elif fault == "unplug":
            sim.unplug(float(cmd["seconds"]) if cmd.get("seconds") is not None else None)
        elif fault == "reboot":
            sim.reboot(float(cmd.get("down") or 0.0))
        elif fault == "noreg":
            sim.lose_registration(float(cmd["seconds"]))
        elif fault == "garbage":
            data = bytes.fromhex(cmd["hex"]) if cmd.get("hex") else DEFAULT_GARBAGE
            sim.send_garbage(data)
        elif fault == "mid":
            sim.unsolicited_during_next_command(cmd["line"])
        else:
            return {"ok": False, "error": f"panne inconnue : {fault}"}
        return {"ok": True}
    if kind == "report":
        sim.set_report(cmd["outcome"], number=cmd.get("number"), rate=float(cmd.get("rate", 1.0)),
                       status=cmd.get("status"))
        return {"ok": True}
    if kind == "latency":
        sim.set_latency(float(cmd["seconds"]))
        return {"ok": True}
    if kind == "status":
        return {"ok": True, "name": sim.name, "model": sim.model, "port": sim.port, "air": len(sim.air()),
                "slave": sim._slave_path}
    if kind == "air":
        return {"ok": True, "air": sim.air()}
    if kind == "events":
        return {"ok": True, "events": sim.events}
    return {"ok": False, "error": f"commande inconnue : {kind}"}


SimulatedModem._BASIC = (
    ("Z", SimulatedModem._at_z),
    ("&F", SimulatedModem._at_z),
    ("&W", lambda self, rest: ["OK"]),
    ("&D", lambda self, rest: ["OK"] if rest in ("", "0", "1", "2") else ["ERROR"]),
    ("&C", lambda self, rest: ["OK"] if rest in ("", "0", "1") else ["ERROR"]),
    ("H", lambda self, rest: ["OK"] if rest in ("", "0") else ["ERROR"]),
    ("E", SimulatedModem._at_e),
    ("I", SimulatedModem._at_i),
    ("V", SimulatedModem._at_v),
)
_I = SimulatedModem._ident
SimulatedModem._EXTENDED = {
    "+CMEE": SimulatedModem._cmee,
    "+CPIN": SimulatedModem._cpin,
    "+CGMI": _I(None, lambda s: s.profile.manufacturer),
    "+GMI": _I(None, lambda s: s.profile.manufacturer),
    "+CGMM": _I(None, lambda s: s.profile.model_name),
    "+GMM": _I(None, lambda s: s.profile.model_name),
    "+CGMR": _I(None, lambda s: s.profile.revision),
    "+CGSN": _I(None, lambda s: s.imei),
    "+GSN": _I(None, lambda s: s.imei),
    "+CIMI": _I(None, lambda s: s.imsi),
    "+CFUN": SimulatedModem._cfun,
    "+CSQ": SimulatedModem._csq,
    "+CREG": SimulatedModem._creg,
    "+COPS": SimulatedModem._cops,
    "+CMGF": SimulatedModem._cmgf,
    "+CSCA": SimulatedModem._csca,
    "+CSMP": SimulatedModem._csmp,
    "+CPMS": SimulatedModem._cpms,
    "+CNMI": SimulatedModem._cnmi,
    "+CSCS": SimulatedModem._cscs,
    "+CMMS": SimulatedModem._cmms,
    "+CLAC": SimulatedModem._clac,
    "+CLIP": SimulatedModem._simple_ok,
    "+CRC": SimulatedModem._simple_ok,
    "+CVHU": SimulatedModem._simple_ok,
    "+CNUM": SimulatedModem._cnum,
    "+CMGS": SimulatedModem._cmgs,
    "+CMGR": SimulatedModem._cmgr,
    "+CMGL": SimulatedModem._cmgl,
    "+CMGD": SimulatedModem._cmgd,
    "+DDET": SimulatedModem._ddet,
}
