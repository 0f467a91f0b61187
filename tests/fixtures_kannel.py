"""Fixtures of the operator route: the simulated SMSC, and a real Kannel (bearerbox + smsbox) in front of it.

    def test_x(smsc, kannel, callbacks):
        k = kannel()                                # kannel.conf in tmp_path, bearerbox + smsbox started,
                                                    # bound to the simulated SMSC; callbacks go to `callbacks`
        status, body = k.sendsms(to="+33612345678", text="Bonjour", dlr_ids={"message": 1, "part": 1})
        assert smsc.wait_air(1)
        dlr = callbacks.wait(lambda c: c.path == "/kannel/dlr" and c.query["status"] == "1")

Kannel runs as the test's user: its logs, store file and DLR spool are in tmp_path, every port is a free
loopback port. The tests are skipped, saying why, when Debian's kannel package is not installed.
"""

import http.server
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import pytest

from vigie.daemon.core import outbox
from vigie.daemon.core.config import KannelSettings
from vigie.daemon.core.models import Message
from vigie.daemon.simulator.smsc import SimulatedSMSC
from vigie.daemon.transport.kannel import conf as kconf
from vigie.daemon.transport.kannel.callbacks import apply_pending
from vigie.daemon.transport.kannel.listener import CallbackListener
from vigie.daemon.transport.kannel.processes import (  # noqa: F401 (re-exported for the tests)
    BEARERBOX,
    KannelProcesses,
    free_port,
    http_get,
    installed,
    wait_until,
)
from vigie.daemon.transport.kannel.transport import KannelTransport

NEED_KANNEL = "Kannel absent (/usr/sbin/bearerbox) : « apt-get install kannel » pour les tests de la route opérateur"


@dataclass
class Callback:
    path: str
    query: dict          # first value of each parameter, decoded as UTF-8 (latin-1 where it is not)
    raw_query: str
    time: float


class CallbackRecorder:
    """A small HTTP server standing for the box's callback listener: records every request, answers 200
    (or ``status`` when set, to make smsbox retry)."""

    def __init__(self):
        self.port = free_port()
        self.status = 200
        self._cond = threading.Condition()
        self._calls = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path, _, raw = self.path.partition("?")
                query = {}
                for key, value in urllib.parse.parse_qsl(raw, keep_blank_values=True, encoding="latin-1"):
                    query.setdefault(key, value)
                call = Callback(path, query, raw, time.time())
                with recorder._cond:
                    recorder._calls.append(call)
                    recorder._cond.notify_all()
                    status = recorder.status
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="callbacks", daemon=True)
        self.thread.start()

    @property
    def listen(self) -> str:
        return f"127.0.0.1:{self.port}"

    def calls(self, path: str | None = None) -> list:
        with self._cond:
            return [c for c in self._calls if path is None or c.path == path]

    def wait(self, pred, timeout: float = 30.0):
        """First recorded callback matching ``pred``, waiting for it (None at the deadline)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for c in self._calls:
                    if pred(c):
                        return c
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def wait_count(self, pred, count: int, timeout: float = 30.0) -> list:
        with self._cond:
            self._cond.wait_for(lambda: len([c for c in self._calls if pred(c)]) >= count, timeout)
            return [c for c in self._calls if pred(c)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def latin1_to_text(value: str) -> str:
    """A query value read as Latin-1 (bytes kept one to one), decoded as UTF-8 when it is."""
    raw = value.encode("latin-1")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return value


@pytest.fixture
def smsc(tmp_path):
    sim = SimulatedSMSC(name="smsc0", accounts={"vigie-a2p": "s3cret"}, system_type="VMA",
                        air_log=str(tmp_path / "air-smsc0.jsonl")).start()
    yield sim
    sim.stop()


@pytest.fixture
def callbacks():
    recorder = CallbackRecorder()
    yield recorder
    recorder.close()


@pytest.fixture
def kannel(tmp_path, smsc, callbacks):
    """Factory: ``kannel(**conf_overrides)`` -> started KannelProcesses bound to the ``smsc`` fixture."""
    if not installed():
        pytest.skip(NEED_KANNEL)
    started = []

    def make(start: bool = True, **overrides):
        directory = tmp_path / f"kannel{len(started)}"
        directory.mkdir()
        values = dict(smpp_host="127.0.0.1", smpp_port=smsc.port, system_id="vigie-a2p", smpp_password="s3cret",
                      system_type="VMA", throughput=100.0, admin_port=free_port(), admin_password="adm1n",
                      smsbox_port=free_port(), sendsms_port=free_port(), username="box", password="b0x",
                      sender="GEND61", callback_listen=callbacks.listen, callback_secret="t0ken",
                      log_dir=str(directory / "log"), spool_dir=str(directory / "spool"), log_level=0,
                      callback_retries=100, callback_retry_seconds=1)
        values.update(overrides)
        k = KannelProcesses(str(directory), kconf.KannelConf(**values))
        started.append(k)
        return k.start() if start else k

    yield make
    for k in started:
        k.stop()


# --- the box's side: its transport on a started Kannel, its callback listener ---------------------------

SECRET = "s3cret-de-rappel-0123"


def route_of(k, **changes) -> KannelSettings:
    """The [[kannel]] route of vigie.toml that matches a started Kannel."""
    values = dict(name="operateur", sendsms_url=f"http://127.0.0.1:{k.conf.sendsms_port}/cgi-bin/sendsms",
                  username=k.conf.username, password=k.conf.password, sender=k.conf.sender,
                  smsc=k.conf.smsc_id, max_per_second=200.0, priority=10,
                  admin_url=f"http://127.0.0.1:{k.conf.admin_port}", admin_password=k.conf.admin_password)
    values.update(changes)
    return KannelSettings(**values)


def transport_of(k, **changes) -> KannelTransport:
    return KannelTransport(route_of(k, **changes), k.conf.callback_listen, k.conf.callback_secret, timeout=10)


@pytest.fixture
def listener(database):
    """Factory: ``listener(port=None)`` -> started CallbackListener (secret SECRET) on the test database."""
    made = []

    def make(port=None):
        lst = CallbackListener(f"127.0.0.1:{port or free_port()}", SECRET).start()
        made.append(lst)
        return lst

    yield make
    for lst in made:
        try:
            lst.stop()
        except OSError:
            pass


def listen_of(lst) -> str:
    return f"127.0.0.1:{lst.address[1]}"


def send_through(transport, phone, text, ref=1) -> Message:
    """What the worker does for one message, played by the test: claim, submit each part with the box's
    ids, record the parts with their references, mark sent (tests of the daemon use the real worker)."""
    outbox.enqueue(phone, text)
    message = outbox.claim(transport.name)
    segments = transport.segments(message.phone, message.text, ref, None)
    references = [transport.submit(s, {"message": message.id, "part": s.number, "attempt": message.attempts})
                  .result() for s in segments]
    Message.update(parts=len(segments)).where(Message.id == message.id).execute()
    message.parts = len(segments)
    for s, reference in zip(segments, references, strict=True):
        outbox.record_part(message, s.number, s.count, transport.name, reference)
    outbox.mark_sent(message)
    return message


def state_of(message_id: int) -> str:
    """The message's state once the stored callbacks are applied (what vigie run's loop does)."""
    apply_pending()
    return Message.get_by_id(message_id).state
