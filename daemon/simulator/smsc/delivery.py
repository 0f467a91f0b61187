"""Traffic from the simulated SMSC to the ESMEs: delivery receipts and mobile-originated SMS (deliver_sm).

Like a real SMSC, it keeps what it could not hand over: a deliver_sm waits for a session bound as receiver
or transceiver (of the right system_id), stays "in flight" until its deliver_sm_resp, and goes back to the
queue when the session ends first or the ESME answers an error. So a Kannel that is killed and restarted
still gets every receipt and every MO.
"""

import collections
import datetime
import threading

from vigie.daemon.simulator.pdu import gsm7_septets, is_gsm7, split_text
from vigie.daemon.simulator.smsc.protocol import (
    ESM_DELIVERY_RECEIPT,
    ESM_UDHI,
    ESME_ROK,
    STATE_DELIVERED,
    STATE_EXPIRED,
    STATE_UNDELIVERABLE,
)

RETRY_SECONDS = 1.0     # after a deliver_sm_resp with an error

RECEIPTS = {   # outcome -> (stat, message_state, dlvrd, err)
    "delivered": ("DELIVRD", STATE_DELIVERED, "001", "000"),
    "undeliverable": ("UNDELIV", STATE_UNDELIVERABLE, "000", "001"),
    "expired": ("EXPIRED", STATE_EXPIRED, "000", "000"),
}


def _smpp_date(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch).strftime("%y%m%d%H%M")


def _address(phone: str) -> tuple[str, int, int]:
    """(digits, ton, npi) of a phone number: "+33..." is international/ISDN, a short text is alphanumeric."""
    if phone.startswith("+"):
        return phone[1:], 1, 1
    if phone.isdigit():
        return phone, (2 if len(phone) <= 8 else 1), 1
    return phone, 5, 0


def receipt_fields(message_id: str, message: dict, outcome: str, done: float) -> dict:
    stat, state, dlvrd, err = RECEIPTS[outcome]
    text = message["text"][:20].encode("ascii", errors="replace").decode("ascii")
    body = (f"id:{message_id} sub:001 dlvrd:{dlvrd} submit date:{_smpp_date(message['submitted'])} "
            f"done date:{_smpp_date(done)} stat:{stat} err:{err} text:{text}")
    source, ston, snpi = _address(message["phone"])
    dest, dton, dnpi = _address(message["from"])
    return {"source_addr": source, "source_addr_ton": ston, "source_addr_npi": snpi,
            "destination_addr": dest, "dest_addr_ton": dton, "dest_addr_npi": dnpi,
            "esm_class": ESM_DELIVERY_RECEIPT, "data_coding": 0, "short_message": body.encode("ascii"),
            "receipted_message_id": message_id, "message_state": state}


def mo_fields(phone: str, destination: str, text: str, ref: int) -> list[dict]:
    """deliver_sm fields for an SMS typed on a phone: GSM 7-bit (one septet per octet) when it can be,
    UCS-2 otherwise; a long one in concatenated parts with an 8-bit reference UDH."""
    encoding = "gsm7" if is_gsm7(text) else "ucs2"
    parts = split_text(text, encoding)
    source, ston, snpi = _address(phone)
    dest, dton, dnpi = _address(destination)
    out = []
    for number, part in enumerate(parts, 1):
        body = bytes(gsm7_septets(part)) if encoding == "gsm7" else part.encode("utf-16-be")
        esm_class = 0
        if len(parts) > 1:
            body = bytes([5, 0, 3, ref & 0xFF, len(parts), number]) + body
            esm_class = ESM_UDHI
        out.append({"source_addr": source, "source_addr_ton": ston, "source_addr_npi": snpi,
                    "destination_addr": dest, "dest_addr_ton": dton, "dest_addr_npi": dnpi,
                    "esm_class": esm_class, "data_coding": 0 if encoding == "gsm7" else 8,
                    "short_message": body})
    return out


class Deliveries:
    """The queue of deliver_sm waiting for a receiving session, and those waiting for their answer."""

    def __init__(self, store, scheduler):
        self._store = store
        self._scheduler = scheduler
        self._lock = threading.Lock()
        self._queue = collections.deque()      # items: {"kind", "system_id", "fields", "message_id"?}
        self._in_flight = {}                   # (session id, sequence) -> item
        self._receivers = list                 # callable returning the receiving sessions (attach())

    def attach(self, receivers) -> None:
        self._receivers = receivers

    def push(self, item: dict, front: bool = False) -> None:
        with self._lock:
            (self._queue.appendleft if front else self._queue.append)(item)
        if not front:
            self._store.event("deliver_sm_queued", kind=item["kind"], message_id=item.get("message_id"),
                              phone=item.get("phone"))
        self.pump()

    def pending(self) -> int:
        with self._lock:
            return len(self._queue) + len(self._in_flight)

    def pump(self) -> None:
        """Hand every queued item to a session that can take it (sessions bound as rx or trx)."""
        while True:
            with self._lock:
                if not self._queue:
                    return
                item = self._queue[0]
                session = self._pick(item)
                if session is None:
                    # items of other accounts may still go: look for one that can
                    for candidate in list(self._queue)[1:]:
                        session = self._pick(candidate)
                        if session is not None:
                            item = candidate
                            break
                    if session is None:
                        return
                self._queue.remove(item)
            def in_flight(sequence, session=session, item=item):
                with self._lock:
                    self._in_flight[(session.id, sequence)] = item

            sequence = session.send_request("deliver_sm", before_send=in_flight, **item["fields"])
            if sequence is None:               # the session died before or while we wrote: queued again
                with self._lock:
                    if not any(v is item for v in self._in_flight.values()):
                        self._queue.appendleft(item)
                return
            self._store.event("deliver_sm", kind=item["kind"], session=session.id, sequence=sequence,
                              message_id=item.get("message_id"), phone=item.get("phone"))

    def _pick(self, item):
        for session in self._receivers():
            if item.get("system_id") in (None, session.system_id):
                return session
        return None

    def answered(self, session, sequence: int, status: int) -> None:
        with self._lock:
            item = self._in_flight.pop((session.id, sequence), None)
        if item is None:
            return
        if status == ESME_ROK:
            self._store.event("deliver_sm_acked", kind=item["kind"], session=session.id,
                              message_id=item.get("message_id"), phone=item.get("phone"))
            if item["kind"] == "receipt":
                self._store.set_state(item["message_id"], item["state"])
            return
        self._store.event("deliver_sm_refused", kind=item["kind"], status=status, session=session.id)
        self._scheduler.call_later(RETRY_SECONDS, self.push, item, True)

    def session_ended(self, session) -> None:
        with self._lock:
            lost = [k for k in self._in_flight if k[0] == session.id]
            items = [self._in_flight.pop(k) for k in sorted(lost, reverse=True)]
            for item in items:
                self._queue.appendleft(item)
        if items:
            self._store.event("deliver_sm_requeued", count=len(items), session=session.id)
        self.pump()
