"""A simulated SIMCom SIM800 / SIM7600 on a pseudo-terminal: the ground truth of every test.

The module is composed of small parts, each in its own file:
  line.py      the pty, its reader thread, framed writes, and the pacing of unsolicited lines (URCs)
  at.py        the AT interpreter (V.250 command lines, the ``> `` prompt, answer framing) and the session
  commands.py  the command tables, per model (AT+CLAC lists exactly them)
  storage.py   message memories and slots, +CMGR/+CMGL rendering
  sending.py   AT+CMGS, the TP-MR, status reports, incoming SMS
  card.py      the SIM card (PIN, wrong tries, PUK)
  clock.py     the real-time clock (power-up value, network time)
  faults.py    the fault switches
  journal.py   events, commands received, the air log
  control.py   the control channel (`vigie emulator inject`)

Threads per modem: a reader (poll on the pty master), a worker that interprets the bytes in order, a URC
sender and a timer thread. Nothing polls with sleeps while a client is attached; waits are on
Conditions/Events. Lock order: ``lock`` (modem state) -> ``line.cond`` (the line) -> the journal (a leaf).
"""

import random
import threading

from vigie.daemon.simulator import control as control_channel
from vigie.daemon.simulator.at import CME_TEXT, Interpreter, Session
from vigie.daemon.simulator.card import DEFAULT_PUK, PIN_TRIES, SimCard
from vigie.daemon.simulator.clock import Clock
from vigie.daemon.simulator.commands import table
from vigie.daemon.simulator.faults import DEFAULT_GARBAGE, Faults
from vigie.daemon.simulator.journal import Journal
from vigie.daemon.simulator.line import Line, UrcPacer
from vigie.daemon.simulator.profiles import PROFILES
from vigie.daemon.simulator.sending import OUTCOMES, SMSC, Sender
from vigie.daemon.simulator.storage import Storage
from vigie.daemon.simulator.timers import Scheduler

__all__ = ["SimulatedModem", "OUTCOMES", "DEFAULT_GARBAGE", "SMSC"]


class SimulatedModem:
    """A GSM module on a pty. See daemon/simulator/README.md for the contract."""

    def __init__(self, name="sim0", model="sim800", link=None, latency=0.0, report_delay=0.0, air_log=None,
                 pin=None, seed=None, control=False, urc_guard=0.02, pin_delay=0.0, puk=DEFAULT_PUK,
                 pin_tries=PIN_TRIES):
        if model not in PROFILES:
            raise ValueError(f"unknown model {model!r} (sim800 or sim7600)")
        self.name = name
        self.model = model
        self.profile = PROFILES[model]
        self.commands_table = table(model)
        self.link = link
        self.latency = float(latency)
        self.report_delay = float(report_delay)
        self.rng = random.Random(seed)
        self.want_control = control
        self.smsc = SMSC
        digest = sum(ord(c) * (i + 1) for i, c in enumerate(name))
        self.imei = f"86{digest % 10**13:013d}"
        self.imsi = f"20801{digest % 10**10:010d}"

        self.lock = threading.RLock()
        self.abort = threading.Event()        # interrupts latency waits (stop/unplug/reboot)
        self.journal = Journal(name, air_log)
        self.session = Session()
        self.clock = Clock(network_time=model == "sim7600")
        self.settings = {"cnmp": 2, "cgps": 0, "contexts": {1: ("IP", "")},
                         "ipr": 0 if model == "sim800" else 115200}     # kept across power cycles (NVRAM)
        self.card = SimCard(pin, puk=puk, pin_tries=pin_tries, busy_delay=pin_delay)
        self.faults = Faults(self)
        self.storage = Storage(self)
        self.sender = Sender(self)
        self.at = Interpreter(self)
        self.line = Line(name, link, self.journal, self._input)
        self.urcs = UrcPacer(self.line, self.journal, self.faults.hung, guard=urc_guard)
        self.timers = None
        self._threads = []
        self._control = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self):
        """The path to open (the link when one was given, else the pty slave itself)."""
        return self.link or self.line.slave_path

    @property
    def _slave_path(self):       # read by `vigie emulator` to print where the pty is
        return self.line.slave_path

    @property
    def running(self):
        return self.line.running

    @property
    def air_log(self):
        return self.journal.air_log

    @property
    def commands(self):
        """[(epoch, "AT+CMGS=23"), ...]: every command line received."""
        return self.journal.commands

    @property
    def urc_guard(self):
        return self.urcs.guard

    @urc_guard.setter
    def urc_guard(self, value):
        self.urcs.guard = float(value)

    @property
    def urc_reaction(self):
        return self.urcs.reaction

    @urc_reaction.setter
    def urc_reaction(self, value):
        self.urcs.reaction = float(value)

    def start(self):
        if self.running:
            return self
        self.line.running = True
        self.abort.clear()
        self.at.fresh()
        self.urcs.fresh()
        self.timers = Scheduler(self.name)
        self.line.open()
        for target, suffix in ((self.at.run, "worker"), (self.urcs.run, "urc")):
            t = threading.Thread(target=target, name=f"{self.name}-{suffix}", daemon=True)
            t.start()
            self._threads.append(t)
        if self.want_control:
            if not self.link:
                raise ValueError("the control channel needs a link path")
            self._control = control_channel.serve(self)
        self.journal.event("started", port=self.port, model=self.model)
        return self

    def stop(self):
        if not self.running:
            return
        self.line.running = False
        self.abort.set()
        if self._control:
            self._control.close()
            self._control = None
        self.timers.stop()
        self.line.close(stopping=True)
        self.at.queue.put(None)
        self.urcs.close()
        with self.line.cond:
            self.line.cond.notify_all()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(5)
        self._threads = []
        self.journal.event("stopped")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _input(self, item):
        self.at.queue.put(item)

    # ------------------------------------------------------------------ shared by the parts

    def error(self, code=None, kind="CME"):
        """The final result of an error, as AT+CMEE asks (0: ERROR, 1: the code, 2: the text for CME)."""
        mode = self.session.cmee
        if code is None or mode == 0:
            return "ERROR"
        if mode == 2 and kind == "CME":
            return f"+CME ERROR: {CME_TEXT.get(code, code)}"
        return f"+{kind} ERROR: {code}"

    def urc(self, text, awaits=None):
        """Queue an unsolicited result (one burst, possibly several lines joined by CRLF). ``awaits`` names the
        (memory, index) slot a +CMTI/+CDSI announces: the next URC waits until the client has deleted it."""
        self.urcs.put(text, awaits)

    def registered(self):
        return self.faults.registered()

    def reset_session(self):
        self.session = Session()

    def power_cycle(self):
        """Power lost (reboot, unplug): session settings, the SIM's unlocking, pending input and URCs go."""
        self.session = Session()
        self.card.power_up()
        self.faults.mid_command = []
        self.clock.power_up()
        self.at.reset()                 # the worker drops its partial input and any pending prompt
        self.urcs.reset()

    # ------------------------------------------------------------------ events and logs

    @property
    def events(self):
        return self.journal.events

    def wait_event(self, predicate, timeout=10.0):
        """Wait until an event satisfies ``predicate(event_dict)``; returns it, or None on timeout.
        A string predicate matches the event type."""
        return self.journal.wait_event(predicate, timeout)

    def air(self):
        return self.journal.air()

    def wait_air(self, count, timeout=10.0) -> bool:
        return self.journal.wait_air(count, timeout)

    # ------------------------------------------------------------------ the world and the fault switches

    def set_latency(self, seconds):
        self.latency = float(seconds)
        self.journal.event("latency", seconds=self.latency)

    def set_report(self, outcome, number=None, rate=1.0, status=None):
        """Outcome of the status reports for ``number`` (or all numbers), applied with probability ``rate``
        (otherwise "delivered"). ``status`` overrides the TP-ST of "failed" (0x41 by default; 0x43, 0x46...)."""
        self.sender.set_report(outcome, number, rate, status)
        self.journal.event("report_rule", outcome=outcome, number=number, rate=rate, status=status)

    def inject_sms(self, sender, text, announce=True):
        """A message arrives from ``sender``: stored in the receive memory (CPMS <mem3>), one slot per part, and
        announced with +CMTI unless ``announce`` is False (a missed notification). Returns the slot indices."""
        return self.sender.inject(sender, text, announce)

    def stored(self, memory=None):
        """Slots of a memory (all memories when None): {memory: {index: (kind, stat, number)}}."""
        with self.lock:
            return self.storage.snapshot(memory)

    def fail_sends(self, code, count=None, rate=None):
        """The next ``count`` sends (or each with probability ``rate``) end with ``+CMS ERROR: code``.
        count=0 or rate=0 clears; neither given means the next send only."""
        self.faults.fail_sends(code, count, rate)

    def hang(self, seconds):
        """Read everything, answer nothing, for ``seconds``."""
        self.faults.hang(seconds)

    def late_cmgs(self, delay, count=1):
        """The next ``count`` sends go on air but their ``+CMGS`` answer comes ``delay`` seconds late."""
        self.faults.late_cmgs(delay, count)

    def unplug(self, seconds=None):
        """The USB device disappears (pty master closed, link removed); a new pty appears behind the same link
        after ``seconds`` (never when None: call replug()). The module lost power: settings are reset."""
        self.faults.unplug(seconds)

    def replug(self):
        self.faults.replug()

    def reboot(self, down=0.0):
        """Module reset: session settings lost (echo on, CMGF/CNMI/CMEE reset; the TP-MR counter is kept, as the
        SIM stores it), then the boot lines RDY, +CFUN: 1, +CPIN: ..., Call Ready/SMS Ready."""
        self.faults.reboot(down)

    def lose_registration(self, seconds):
        self.faults.lose_registration(seconds)

    def send_garbage(self, data: bytes = DEFAULT_GARBAGE):
        """Write raw bytes on the line now (line noise, a module crashing mid-sentence)."""
        self.faults.send_garbage(data)

    def unsolicited_during_next_command(self, line):
        """Write ``line`` inside the next command's answer (between its information lines and its final result)."""
        self.faults.unsolicited_during_next_command(line)

    def set_network_time(self, offset):
        """The network's clock is ``offset`` seconds ahead of the host's (negative: behind): what AT+CCLK?
        answers once the module takes the network time (AT+CLTS=1 on a SIM800, always on a SIM7600)."""
        self.clock.network_offset = float(offset)
        self.journal.event("fault", kind="clock", offset=self.clock.network_offset)

    def pause_urcs(self):
        """Hold every unsolicited line (the network keeps its reports) until resume_urcs(): lets a test send a
        batch without a report landing inside a command, which the library would swallow."""
        self.urcs.pause(True)

    def resume_urcs(self):
        self.urcs.pause(False)

    # ------------------------------------------------------------------ the SIM card

    @property
    def pin(self):
        return self.card.pin

    @property
    def sim_state(self):
        """What AT+CPIN? answers now: "READY", "SIM PIN" or "SIM PUK"."""
        with self.lock:
            return self.card.state

    @property
    def pin_tries(self):
        """PIN tries left before the SIM asks for its PUK."""
        with self.lock:
            return self.card.pin_tries

    def set_sim(self, pin=..., puk=None, tries=None):
        """Change the SIM card: ``pin`` (None: no PIN) is asked from the next power-up (reboot, unplug), ``puk``
        unblocks it, ``tries`` sets the PIN tries left (0: SIM PUK now). Omitted arguments are kept."""
        self.faults.sim(pin=pin, puk=puk, tries=tries)

    # ------------------------------------------------------------------ control channel

    def handle_control(self, cmd: dict) -> dict:
        """Apply one control-channel command (the dicts of `vigie emulator inject`); returns a reply dict."""
        return control_channel.apply(self, cmd)

    @staticmethod
    def control_path(link):
        return control_channel.control_path(link)

    @staticmethod
    def control(link, command, timeout=10.0) -> dict:
        """Send ``command`` (a dict) to the emulator serving ``link`` and return its reply."""
        return control_channel.exchange(link, command, timeout)
