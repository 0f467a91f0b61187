"""The Kannel transport: each SMS part through smsbox's sendsms HTTP interface, health from bearerbox.

The box splits long texts itself and sends each part with its own concatenation UDH, ``dlr-mask`` and a
``dlr-url`` that carries the box's ids (message, part, attempt): every report names its part, whatever
Kannel's or the SMSC's own ids are. The reference of a part is those ids ("message.part.attempt").
Reports and incoming SMS come back through the callback listener (listener.py), not through this object.

smsbox answers a sendsms once bearerbox has the message (in its store file): 202 « 0: Accepted for
delivery », or « 3: Queued for later delivery » when the SMSC link is down. Its other answers, and what
the network does, are translated here once into the four meanings of the seam.
"""

import concurrent.futures
import http.client
import logging
import queue
import re
import threading
import time
import urllib.parse

from vigie.daemon.core.errors import OutcomeUnknown, PermanentFailure, RetryLater, TransportGone
from vigie.daemon.core.reference.smstext import GSM7_EXTENSION, PART_GSM7, PART_UCS2, analyze
from vigie.daemon.transport.base import Health, Segment
from vigie.daemon.transport.kannel import conf as kconf

log = logging.getLogger(__name__)

CODING_GSM7, CODING_UCS2 = 0, 2
RESTART_SLACK = 1.0            # seconds: bearerbox gives its uptime to the second


def split(text: str) -> tuple[str, list[str]]:
    """(encoding, parts) as the box counts them (core/reference/smstext.py): 160/153 septets in GSM-7,
    70/67 UTF-16 units in UCS-2; an escape pair or a surrogate pair is never cut."""
    info = analyze(text)
    if info.parts <= 1:
        return info.encoding, [text]
    per_part = PART_GSM7 if info.encoding == "gsm7" else PART_UCS2
    parts, current, used = [], [], 0
    for char in text:
        cost = 2 if (char in GSM7_EXTENSION if info.encoding == "gsm7" else ord(char) > 0xFFFF) else 1
        if used + cost > per_part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += cost
    parts.append("".join(current))
    return info.encoding, parts


def concat_udh(ref: int, count: int, number: int) -> bytes:
    """8-bit reference concatenation header (IEI 0x00), with its length octet."""
    return bytes([5, 0x00, 3, ref & 0xFF, count, number])


class Pacer:
    """At most ``per_second`` submissions a second, spread evenly (Kannel's throughput is the
    account's; this keeps the box's own queue in the outbox, where priorities apply)."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._wake = threading.Event()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            due = max(now, self._next)
            self._next = due + self.interval
        if due > now:
            self._wake.wait(due - now)


class KannelTransport:
    kind = "kannel"

    def __init__(self, route, callback_listen: str, callback_secret: str, timeout: float = 30.0):
        self.route = route
        self.name = route.name
        self.priority = route.priority
        self.events = queue.Queue()
        self.timeout = timeout
        self._conf = kconf.KannelConf(callback_listen=callback_listen, callback_secret=callback_secret)
        url = urllib.parse.urlsplit(route.sendsms_url)
        self._scheme, self._netloc, self._path = url.scheme, url.netloc, url.path or "/cgi-bin/sendsms"
        self._pacer = Pacer(route.max_per_second)
        self._conn = None
        self._alive = False
        self._lock = threading.Lock()
        self._started = None                     # when the bearerbox we last saw started (epoch)
        self._lost_at = None                     # when Kannel stopped answering (epoch), until it answers
        self._reader = None                      # thread reading smsbox's answers (one request at a time)
        self._inflight = None

    # ---------------------------------------------------------------- life
    def open(self) -> dict:
        health = self.health()
        if not health.detail.startswith("SMSC") and not health.up:
            raise TransportGone(f"route {self.name} : {health.detail}")
        self._alive = True
        return {"model": "Kannel", "operator": health.operator, "detail": health.detail}

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        self._alive = False

    def is_alive(self) -> bool:
        return self._alive

    def service(self, idle: bool = False) -> None:
        """Nothing to sweep: reports and incoming SMS reach the box through its callback listener, stored
        there and applied by the daemon's loop (callbacks.apply_pending), not through ``events``."""

    def recover(self, failures: int) -> None:
        """No hard reset from here: Kannel is a system service (``systemctl restart kannel``)."""

    # ---------------------------------------------------------------- health
    def status_text(self) -> str | None:
        """bearerbox's status page (status.txt), or None when bearerbox does not answer."""
        url = (f"{self.route.admin_url.rstrip('/')}/status.txt?"
               + urllib.parse.urlencode({"password": self.route.admin_password}))
        parsed = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parsed.netloc, timeout=5)
        try:
            conn.request("GET", f"{parsed.path}?{parsed.query}")
            response = conn.getresponse()
            body = response.read().decode("utf-8", "replace")
            return body if response.status == 200 else None
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def health(self) -> Health:
        """Up when bearerbox says the SMSC link (the route's smsc-id, or any) is online."""
        text = self.status_text()
        if text is None:
            self._lost()
            return Health(up=False, detail="Kannel (bearerbox) ne répond pas")
        self._watch_restart(text)
        in_smsc = False
        for line in text.splitlines():
            if line.startswith("SMSC connections"):
                in_smsc = True
                continue
            if not in_smsc or not line.strip():
                continue
            smsc_id = line.split()[0].split("[")[0]
            if self.route.smsc and smsc_id != self.route.smsc:
                continue
            state = re.search(r"\((\w[\w-]*)", line)
            state = state.group(1) if state else "inconnu"
            if state == "online":
                return Health(up=True, detail=f"SMSC {smsc_id} en ligne", operator=smsc_id)
            return Health(up=False, detail=f"SMSC {smsc_id} hors ligne ({state})", operator=smsc_id)
        return Health(up=False, detail="aucune liaison SMSC dans Kannel")

    def _lost(self) -> None:
        if self._lost_at is None:
            self._lost_at = time.time()

    def _watch_restart(self, text: str) -> None:
        """Kannel lost (not answering) or restarted (its uptime went back) since we last looked: what it
        resends from its store file may be a duplicate, and the box says so (callbacks.flag_resent)."""
        uptime = re.search(r"uptime (\d+)d (\d+)h (\d+)m (\d+)s", text)
        started = None
        if uptime:
            d, h, m, sec = (int(x) for x in uptime.groups())
            started = time.time() - (((d * 24 + h) * 60 + m) * 60 + sec)
        previous, lost_at = self._started, self._lost_at
        self._lost_at = None
        if started is not None and (previous is None or started > previous):
            self._started = started
        restarted = previous is not None and started is not None and started - previous > RESTART_SLACK
        if lost_at is None and not restarted:
            return
        before = lost_at if lost_at is not None else started
        since = previous if previous is not None else before - 24 * 3600
        log.warning("route %s : Kannel %s", self.name, "a redémarré" if restarted else "ne répondait plus")
        from vigie.daemon.transport.kannel.callbacks import flag_resent
        try:
            flag_resent(self.name, since=since, before=before)
        except Exception:
            log.exception("route %s : doublons possibles après l'arrêt de Kannel non marqués", self.name)

    # ---------------------------------------------------------------- sending
    def segments(self, phone: str, text: str, ref: int, validity_hours: float | None) -> list[Segment]:
        encoding, parts = split(text)
        coding = CODING_GSM7 if encoding == "gsm7" else CODING_UCS2
        validity = None
        if validity_hours:
            validity = int(max(60, min(validity_hours * 60, 7 * 24 * 60)))
        out = []
        for number, part in enumerate(parts, 1):
            udh = concat_udh(ref, len(parts), number) if len(parts) > 1 else None
            out.append(Segment(phone=phone, text=part, number=number, count=len(parts),
                               payload={"coding": coding, "udh": udh, "validity": validity}))
        return out

    def submit(self, segment: Segment, ids: dict) -> "Answer":
        """Write the sendsms request and return at once: smsbox's answer (it comes once bearerbox has the
        part, 10 to 40 ms later) is read while the worker records the previous message and claims the
        next one. Nothing written (smsbox not listening): TransportGone here."""
        reference = ".".join(str(ids[k]) for k in ("message", "part", "attempt"))
        target = f"{self._path}?{self._query(segment, ids)}"
        if self._inflight is not None:
            concurrent.futures.wait([self._inflight])     # one request at a time on the connection
        self._pacer.wait()
        with self._lock:
            conn = self._send(target)
            if self._reader is None:
                self._reader = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"sendsms-{self.name}")
            self._inflight = self._reader.submit(self._receive, conn, target)
        return Answer(self, self._inflight, reference)

    def interpret(self, status: int, body: str, reference: str) -> str:
        """smsbox's answer to one sendsms, as the seam's outcome."""
        answer = body.strip()
        if status == 202:
            if answer.startswith("3:"):
                log.info("route %s : %s mis en attente par Kannel (SMSC hors ligne)", self.name, reference)
            return reference
        if status == 503:
            raise RetryLater(f"Kannel refuse pour l'instant : {answer}", code=status)
        if status == 400:
            raise PermanentFailure(f"Kannel refuse ce SMS : {answer}", code=status)
        if status == 403:
            raise TransportGone(f"route {self.name} refusée par Kannel : {answer} (identifiants ou smsc ?)")
        if status == 500:
            raise TransportGone(f"route {self.name} : smsbox n'a pas pu remettre le SMS à bearerbox ({answer})")
        raise OutcomeUnknown(f"réponse inattendue de Kannel : {status} {answer}")

    def _query(self, segment: Segment, ids: dict) -> str:
        payload = segment.payload or {}
        params = [("username", self.route.username), ("password", self.route.password)]
        if self.route.sender:
            params.append(("from", self.route.sender))
        params += [("to", segment.phone), ("charset", "UTF-8"),
                  ("coding", str(payload.get("coding", CODING_GSM7))), ("text", segment.text),
                  ("dlr-mask", str(kconf.DLR_MASK)),
                  ("dlr-url", kconf.dlr_url(self._conf, {"route": self.name, **ids}))]
        if self.route.smsc:
            params.append(("smsc", self.route.smsc))
        if payload.get("udh"):
            params.append(("udh", payload["udh"]))
        if payload.get("validity"):
            params.append(("validity", str(payload["validity"])))
        return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)

    def _connection(self):
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self._netloc, timeout=self.timeout)
        return self._conn

    def _send(self, target: str):
        """Write one GET on the kept-alive connection (caller holds the lock); TransportGone if it could
        not be written, so nothing went out."""
        conn = self._connection()
        try:
            conn.request("GET", target)
            return conn
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            self._conn = None
            self._alive = False
            self._lost()
            raise TransportGone(f"route {self.name} : smsbox ne répond pas ({e})") from None

    def _receive(self, conn, target: str) -> tuple[int, str]:
        """Reader thread: smsbox's answer to the request written on ``conn``."""
        for retry in (True, False):
            try:
                response = conn.getresponse()
                body = response.read().decode("utf-8", "replace")
                if response.will_close:
                    self._drop(conn)
                return response.status, body
            except http.client.RemoteDisconnected:
                # smsbox had closed this kept-alive connection before reading the request: once more on
                # a new one (a request it did not read was not sent)
                self._drop(conn)
                if not retry:
                    break
                with self._lock:
                    conn = self._send(target)
            except (TimeoutError, OSError, http.client.HTTPException) as e:
                self._drop(conn)
                raise OutcomeUnknown(f"route {self.name} : pas de réponse de smsbox ({e})") from None
        raise OutcomeUnknown(f"route {self.name} : smsbox a coupé sans répondre")

    def _drop(self, conn) -> None:
        conn.close()
        with self._lock:
            if self._conn is conn:
                self._conn = None

    def _get(self, target: str) -> tuple[int, str]:
        """One GET, waiting for its answer (the status page, tests)."""
        with self._lock:
            conn = self._send(target)
        return self._receive(conn, target)


class Answer:
    """The pending handle of one sendsms (see KannelTransport.submit)."""

    def __init__(self, transport: KannelTransport, future, reference: str):
        self._transport = transport
        self._future = future
        self.reference = reference

    def result(self, timeout: float | None = None) -> str:
        try:
            status, body = self._future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise OutcomeUnknown(f"route {self._transport.name} : pas de réponse de smsbox") from None
        return self._transport.interpret(status, body, self.reference)
