"""The fault switches: each one is a method here, switchable at run time (Python, control socket, CLI) and
visible on the wire. See README.md, "Fault switches"."""

import time

from vigie.daemon.simulator.commands import registration_urcs

DEFAULT_GARBAGE = b"\xff\xfe\x00garbage\r\n"


class Faults:
    def __init__(self, modem):
        self.m = modem
        self.cms = None                   # (code, remaining count or None, rate or None)
        self.late = []                    # delays of the next late +CMGS answers
        self.hang_until = 0.0
        self.noreg_until = 0.0
        self.down_until = 0.0             # booting: reads nothing
        self.mid_command = []             # lines to write inside the next command's answer

    # ---- predicates the interpreter and the line ask

    def hung(self):
        return time.monotonic() < self.hang_until

    def down(self):
        return time.monotonic() < self.down_until

    def registered(self):
        return time.monotonic() >= self.noreg_until

    def take_mid_command(self):
        with self.m.lock:
            mid, self.mid_command = self.mid_command, []
        return mid

    def take_late(self):
        return self.late.pop(0) if self.late else 0.0

    def send_error(self):
        """The +CMS error the next send ends with, or None."""
        m = self.m
        with m.lock:
            if not self.registered():
                return 331
            if self.cms is None:
                return None
            code, left, rate = self.cms
            if rate is not None:
                return code if m.rng.random() < rate else None
            left -= 1
            self.cms = (code, left, None) if left > 0 else None
            return code

    # ---- the switches

    def fail_sends(self, code, count=None, rate=None):
        with self.m.lock:
            if count == 0 or rate == 0:
                self.cms = None
            elif rate is not None:
                self.cms = (int(code), None, float(rate))
            else:
                self.cms = (int(code), int(count or 1), None)
        self.m.journal.event("fault", kind="cms", code=code, count=count, rate=rate)

    def hang(self, seconds):
        m = self.m
        with m.lock:
            self.hang_until = time.monotonic() + float(seconds)
        m.journal.event("fault", kind="hang", seconds=seconds)
        m.timers.call_later(float(seconds), self._hang_over)

    def _hang_over(self):
        self.m.journal.event("hang_over")
        with self.m.line.cond:
            self.m.line.cond.notify_all()

    def late_cmgs(self, delay, count=1):
        with self.m.lock:
            self.late.extend([float(delay)] * int(count))
        self.m.journal.event("fault", kind="late", delay=delay, count=count)

    def unplug(self, seconds=None):
        m = self.m
        with m.lock:
            if not m.line.is_open or not m.running:
                return
            m.abort.set()
            m.power_cycle()
        m.line.close()
        m.journal.event("unplugged", seconds=seconds)
        if seconds is not None:
            m.timers.call_later(float(seconds), self.replug)

    def replug(self):
        m = self.m
        with m.lock:
            if m.line.is_open or not m.running:
                return
            m.abort.clear()
            m.line.open()
        m.journal.event("replugged", port=m.port, slave=m.line.slave_path)

    def reboot(self, down=0.0):
        m = self.m
        with m.lock:
            m.abort.set()
            m.power_cycle()
            self.down_until = time.monotonic() + float(down)
        m.journal.event("reboot", down=down)
        m.timers.call_later(float(down), self._boot_done)

    def _boot_done(self):
        m = self.m
        with m.lock:
            m.abort.clear()
            self.down_until = 0.0
            lines = list(m.profile.boot_lines)
            state = m.card.state
            if state != "READY":
                lines = lines[:lines.index("+CPIN: READY")] + [f"+CPIN: {state}"]
        for line in lines:
            m.line.write(f"\r\n{line}\r\n".encode())
        m.journal.event("boot_lines", lines=lines)

    def lose_registration(self, seconds):
        m = self.m
        with m.lock:
            self.noreg_until = time.monotonic() + float(seconds)
            urcs = registration_urcs(m, False)
        m.journal.event("fault", kind="noreg", seconds=seconds)
        for urc in urcs:
            m.urc(urc)
        m.timers.call_later(float(seconds), self._registration_back)

    def _registration_back(self):
        m = self.m
        m.journal.event("registered")
        for urc in registration_urcs(m, True):
            m.urc(urc)

    def send_garbage(self, data: bytes = DEFAULT_GARBAGE):
        self.m.line.write(bytes(data))
        self.m.journal.event("garbage", data=bytes(data).hex())

    def unsolicited_during_next_command(self, line):
        with self.m.lock:
            self.mid_command.append(line)

    def sim(self, pin=..., puk=None, tries=None):
        """The SIM card: a new PIN (asked at the next power-up), its PUK, the PIN tries left (0: PUK now)."""
        m = self.m
        with m.lock:
            m.card.configure(pin=pin, puk=puk, tries=tries)
            state, left = m.card.state, m.card.pin_tries
        m.journal.event("fault", kind="sim", tries=tries, state=state, left=left, pin_changed=pin is not ...)
