"""The simulated SMSC: a TCP listener speaking SMPP 3.4, its accounts, and the API that tests drive.

    smsc = SimulatedSMSC(accounts={"vigie": "secret"}, air_log=path, report_delay=0.5).start()
    smsc.port                            # give it to Kannel (group = smsc, host 127.0.0.1)
    smsc.wait_bound()                    # an ESME is bound and can receive
    smsc.wait_air(3)                     # three parts accepted; smsc.air() lists them
    smsc.inject_mo("+33612345678", "STOP")
    smsc.throttle(5); smsc.refuse(0x45, count=2); smsc.set_report("undeliverable", delay=1)
    smsc.drop(refuse_seconds=3)          # cut every connection, refuse new ones for 3 s
"""

import itertools
import logging
import socket
import threading
import time

from vigie.daemon.simulator.smsc.delivery import Deliveries, mo_fields, receipt_fields
from vigie.daemon.simulator.smsc.faults import Faults
from vigie.daemon.simulator.smsc.session import Session
from vigie.daemon.simulator.smsc.storage import Store
from vigie.daemon.simulator.timers import Scheduler

log = logging.getLogger(__name__)

REGISTERED_ANY = 0x01           # registered_delivery: receipt on success or failure
REGISTERED_FAILURE = 0x02       # receipt on failure only


class SimulatedSMSC:
    def __init__(self, name: str = "smsc0", host: str = "127.0.0.1", port: int = 0, accounts: dict | None = None,
                 system_type: str | None = None, air_log: str | None = None, report: str = "delivered",
                 report_delay: float = 0.0, throttle_per_second: int | None = None, seed=None,
                 mo_destination: str = "36180"):
        self.name = name
        self.host = host
        self._port = port
        self.accounts = dict(accounts if accounts is not None else {"vigie": "secret"})
        self.system_type = system_type
        self.mo_destination = mo_destination
        self.store = Store(name, air_log)
        self.faults = Faults(seed=seed, throttle_per_second=throttle_per_second, report=report,
                             report_delay=report_delay)
        self.scheduler = None
        self.deliveries = None
        self._listener = None
        self._sessions = []
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._mo_refs = itertools.count(1)
        self._refuse_until = 0.0
        self._thread = None

    # ---------------------------------------------------------------- life
    def start(self):
        self.scheduler = Scheduler(f"smsc-{self.name}")
        self.deliveries = Deliveries(self.store, self.scheduler)
        self.deliveries.attach(self.receivers)
        self._listener = socket.create_server((self.host, self._port), reuse_port=False)
        self._port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name=f"smsc-{self.name}-accept", daemon=True)
        self._thread.start()
        self.store.event("listening", host=self.host, port=self._port)
        return self

    def stop(self) -> None:
        if self._listener is None:
            return
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self._thread.join(5)
        for session in self.sessions():
            session.close("simulator stopped")
        for session in self.sessions():
            session.thread.join(5)
        self.scheduler.stop()
        self._listener = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    def _accept(self) -> None:
        while True:
            try:
                sock, peer = self._listener.accept()
            except OSError:
                return
            if time.monotonic() < self._refuse_until:
                self.store.event("connection_refused", peer=f"{peer[0]}:{peer[1]}")
                sock.close()
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            session = Session(self, sock, peer, next(self._numbers))
            with self._lock:
                self._sessions.append(session)
            session.start()

    # ---------------------------------------------------------------- sessions (called by Session)
    def sessions(self) -> list:
        with self._lock:
            return list(self._sessions)

    def receivers(self) -> list:
        return [s for s in self.sessions() if s.can_receive]

    def session_bound(self, session) -> None:
        self.store.notify()
        if session.can_receive:
            self.deliveries.pump()

    def session_ended(self, session) -> None:
        with self._lock:
            if session in self._sessions:
                self._sessions.remove(session)
        self.deliveries.session_ended(session)
        self.store.notify()

    def submitted(self, message_id: str, registered_delivery: int) -> None:
        """A part was accepted: plan its receipt per the fault switches."""
        outcome, delay = self.faults.report_plan()
        wanted = registered_delivery & 0x03
        if outcome == "none" or not wanted:
            return
        if wanted == REGISTERED_FAILURE and outcome == "delivered":
            return
        self.scheduler.call_later(delay, self._receipt, message_id, outcome)

    def _receipt(self, message_id: str, outcome: str) -> None:
        message = self.store.message(message_id)
        if message is None:
            return
        fields = receipt_fields(message_id, message, outcome, time.time())
        state = {"delivered": "DELIVERED", "undeliverable": "UNDELIVERABLE", "expired": "EXPIRED"}[outcome]
        self.deliveries.push({"kind": "receipt", "system_id": message["system_id"], "fields": fields,
                              "message_id": message_id, "phone": message["phone"], "state": state})

    # ---------------------------------------------------------------- the world, for tests
    def air(self) -> list:
        return self.store.air()

    def wait_air(self, count: int, timeout: float = 10.0) -> bool:
        return self.store.wait_air(count, timeout)

    def events(self, kind: str | None = None) -> list:
        return self.store.events(kind)

    def wait_event(self, pred, timeout: float = 10.0, since: int = 0):
        return self.store.wait_event(pred, timeout, since)

    def wait_bound(self, count: int = 1, timeout: float = 10.0, receiving: bool = True) -> bool:
        """Wait until ``count`` sessions are bound (able to receive deliver_sm, by default)."""
        def enough():
            sessions = self.receivers() if receiving else [s for s in self.sessions() if s.bound]
            return len(sessions) >= count
        return self.store.wait_for(enough, timeout)

    def wait_delivered(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` deliver_sm (receipts and MO) have been acknowledged by an ESME."""
        return self.store.wait_for(lambda: len(self.store.events("deliver_sm_acked")) >= count, timeout)

    def pending_deliveries(self) -> int:
        return self.deliveries.pending()

    def inject_mo(self, phone: str, text: str, destination: str | None = None, system_id: str | None = None) -> int:
        """An SMS typed on ``phone`` to the box's number: queued as deliver_sm (in parts if long); -> parts."""
        parts = mo_fields(phone, destination or self.mo_destination, text, next(self._mo_refs))
        self.store.event("mo_injected", phone=phone, text=text, parts=len(parts))
        for fields in parts:
            self.deliveries.push({"kind": "mo", "system_id": system_id, "fields": fields, "phone": phone})
        return len(parts)

    def drop(self, refuse_seconds: float = 0.0) -> int:
        """Cut every connection (as a network failure would); refuse new ones for ``refuse_seconds``."""
        self._refuse_until = time.monotonic() + refuse_seconds
        sessions = self.sessions()
        self.store.event("drop", sessions=len(sessions), refuse_seconds=refuse_seconds)
        for session in sessions:
            session.close("dropped by the simulator")
        return len(sessions)

    def throttle(self, per_second: int | None) -> None:
        self.faults.throttle(per_second)

    def refuse(self, status: int, count: int | None = None, rate: float | None = None) -> None:
        self.faults.refuse(status, count, rate)

    def set_report(self, outcome: str, delay: float | None = None) -> None:
        self.faults.set_report(outcome, delay)

    def hold_answers(self, hold: bool = True) -> None:
        self.faults.hold_answers = hold
