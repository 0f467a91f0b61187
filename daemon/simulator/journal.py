"""What a simulated module did: its events, the commands it received and the air log (what went on air)."""

import json
import logging
import threading
import time

log = logging.getLogger(__name__)


class Journal:
    """Events, commands and the air log, with waiters on one Condition (a leaf of the lock order)."""

    MAX_EVENTS = 100_000      # a long-running emulator forgets its oldest events (the air log is kept whole)

    def __init__(self, name, air_log=None):
        self.name = name
        self.air_log = air_log
        self.cond = threading.Condition()
        self._air = []
        self._events = []
        self._dropped = 0
        self.commands = []                  # [(epoch, "AT+CMGS=23"), ...]

    def event(self, etype, **data):
        with self.cond:
            data["time"] = time.time()
            data["type"] = etype
            self._events.append(data)
            if len(self._events) > self.MAX_EVENTS:
                drop = self.MAX_EVENTS // 2
                del self._events[:drop]
                self._dropped += drop
            self.cond.notify_all()
        log.debug("%s: %s %s", self.name, etype, data)

    def command(self, now, line):
        with self.cond:
            self.commands.append((now, line))
        self.event("command", line=line)

    @property
    def events(self):
        with self.cond:
            return list(self._events)

    def wait_event(self, predicate, timeout=10.0):
        if isinstance(predicate, str):
            kind = predicate
            predicate = lambda e: e["type"] == kind
        deadline = time.monotonic() + timeout
        seen = 0                                   # absolute position, survives trimming
        with self.cond:
            while True:
                for e in self._events[max(0, seen - self._dropped):]:
                    if predicate(e):
                        return e
                seen = self._dropped + len(self._events)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def air(self):
        with self.cond:
            return [dict(a) for a in self._air]

    def wait_air(self, count, timeout=10.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self._air) >= count, timeout)

    def on_air(self, sub, cmgs_at, mr):
        """Log one part put on air (``sub``: a decoded SMS-SUBMIT) with the TP-MR the module gave it."""
        entry = {"time": time.time(), "modem": self.name, "to": sub.to, "mr": mr, "part": sub.part,
                 "parts": sub.parts, "ref": sub.ref, "encoding": sub.encoding, "text": sub.text,
                 "cmgs_at": cmgs_at}
        with self.cond:
            self._air.append(entry)
            if self.air_log:
                with open(self.air_log, "a", encoding="utf-8") as f:
                    f.write(json.dumps(entry, ensure_ascii=False) + "\n")
                    f.flush()
            self.cond.notify_all()
        self.event("on_air", mr=mr, to=sub.to, part=sub.part, parts=sub.parts)
        return entry
