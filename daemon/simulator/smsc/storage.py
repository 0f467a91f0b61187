"""What the simulated SMSC remembers: the air log (every accepted submission), its events, its messages.

The air log is the ground truth of the tests, like the modem simulator's: one entry per submitted SMS part
that the SMSC accepted, with the text decoded by the simulator itself and the part info read from the UDH,
appended to a JSON-lines file when one is given.
"""

import itertools
import json
import threading
import time

MAX_EVENTS = 100_000      # a long-running simulator forgets its oldest events (the air log is kept whole)


class Store:
    def __init__(self, name: str, air_log: str | None = None, first_id: int = 4_200_000_001):
        self.name = name
        self.air_log = air_log
        self._ids = itertools.count(first_id)
        self._cond = threading.Condition()
        self._air = []
        self._events = []
        self._messages = {}       # message_id -> dict (phone, text, registered_delivery, system_id, state)

    # ---------------------------------------------------------------- messages and air log
    def next_message_id(self) -> str:
        with self._cond:
            return str(next(self._ids))

    def on_air(self, message_id: str, system_id: str, source: str, phone: str, info: dict,
               registered_delivery: int, data_coding: int) -> dict:
        entry = {"time": time.time(), "smsc": self.name, "system_id": system_id, "message_id": message_id,
                 "from": source, "phone": phone, "text": info["text"], "encoding": info["encoding"],
                 "data_coding": data_coding, "ref": info["ref"], "part": info["part"],
                 "parts": info["parts"], "registered_delivery": registered_delivery}
        with self._cond:
            self._air.append(entry)
            self._messages[message_id] = {"phone": phone, "from": source, "text": info["text"],
                                          "system_id": system_id, "submitted": entry["time"], "state": "ENROUTE"}
            if self.air_log:
                with open(self.air_log, "a", encoding="utf-8") as f:
                    f.write(json.dumps(entry, ensure_ascii=False) + "\n")
                    f.flush()
            self._cond.notify_all()
        return entry

    def message(self, message_id: str) -> dict | None:
        with self._cond:
            found = self._messages.get(message_id)
            return dict(found) if found else None

    def set_state(self, message_id: str, state: str) -> None:
        with self._cond:
            if message_id in self._messages:
                self._messages[message_id]["state"] = state
                self._cond.notify_all()

    def air(self) -> list:
        with self._cond:
            return [dict(a) for a in self._air]

    def wait_air(self, count: int, timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self._air) >= count, timeout)

    # ---------------------------------------------------------------- events
    def event(self, event_type: str, /, **fields) -> dict:
        entry = {"type": event_type, "time": time.time(), **fields}
        with self._cond:
            self._events.append(entry)
            if len(self._events) > MAX_EVENTS:
                del self._events[: len(self._events) - MAX_EVENTS]
            self._cond.notify_all()
        return entry

    def events(self, kind: str | None = None) -> list:
        with self._cond:
            return [dict(e) for e in self._events if kind is None or e["type"] == kind]

    def wait_event(self, pred, timeout: float = 10.0, since: int = 0):
        """First event (from index ``since``) matching ``pred`` (a callable, or an event type), or None."""
        test = pred if callable(pred) else (lambda e: e["type"] == pred)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self._events[since:]:
                    if test(e):
                        return dict(e)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def wait_for(self, pred, timeout: float = 10.0) -> bool:
        """Wait until ``pred()`` (evaluated under the store's lock) is true."""
        with self._cond:
            return self._cond.wait_for(pred, timeout)

    def notify(self) -> None:
        with self._cond:
            self._cond.notify_all()
