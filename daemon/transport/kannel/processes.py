"""Kannel's two boxes (bearerbox, smsbox) run as processes on a generated kannel.conf, without root: for
the tests, the benchmark and the demonstration, never for the box (there Debian's kannel service runs them).

    k = KannelProcesses(directory, KannelConf(smpp_host="127.0.0.1", smpp_port=smsc.port, ...)).start()
    k.online()           # bearerbox says the SMSC link is up
    k.kill(); k.start()  # as a crash, then a restart on the same store file and DLR spool
"""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from vigie.daemon.transport.kannel import conf as kconf

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"


def installed() -> bool:
    return os.access(BEARERBOX, os.X_OK) and os.access(SMSBOX, os.X_OK)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    """(status, body) of a GET; status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return 0, ""


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.05):
    """Poll another process's state (Kannel gives no event) until true, within a generous deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class KannelProcesses:
    """bearerbox and smsbox on one generated kannel.conf."""

    def __init__(self, directory, conf: kconf.KannelConf):
        self.dir = directory
        self.conf = conf
        self.path = os.path.join(directory, "kannel.conf")
        self.bearerbox = None
        self.smsbox = None
        os.makedirs(conf.log_dir, exist_ok=True)
        os.makedirs(conf.spool_dir, exist_ok=True)
        os.makedirs(os.path.join(conf.spool_dir, "dlr"), exist_ok=True)
        with open(self.path, "w", encoding="utf-8") as f:
            f.write(kconf.render(conf))

    # ---------------------------------------------------------------- processes
    def _spawn(self, program, name):
        out = open(os.path.join(self.dir, f"{name}.out"), "ab")
        try:
            return subprocess.Popen([program, self.path], stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, cwd=self.dir, start_new_session=True)
        finally:
            out.close()

    def start(self, wait_online: bool = True):
        self.start_bearerbox(wait_online=wait_online)
        self.start_smsbox()
        return self

    def start_bearerbox(self, wait_online: bool = True):
        self.bearerbox = self._spawn(BEARERBOX, "bearerbox")
        if not wait_until(lambda: self.status() or self.bearerbox.poll() is not None, 30):
            raise RuntimeError(f"bearerbox ne répond pas sur son port d'administration\n{self.logs()}")
        if self.bearerbox.poll() is not None:
            raise RuntimeError(f"bearerbox s'est arrêté (code {self.bearerbox.returncode})\n{self.logs()}")
        if wait_online and not self.wait_online():
            raise RuntimeError(f"bearerbox n'est pas relié au SMSC simulé\n{self.status()}\n{self.logs()}")

    def start_smsbox(self):
        self.smsbox = self._spawn(SMSBOX, "smsbox")
        if not wait_until(lambda: self._sendsms_answers() or self.smsbox.poll() is not None, 30) \
                or self.smsbox.poll() is not None:
            raise RuntimeError(f"smsbox ne répond pas sur son port sendsms\n{self.logs()}")
        if not wait_until(lambda: "smsbox:" in self.status(), 30):
            raise RuntimeError(f"smsbox n'est pas relié à bearerbox\n{self.status()}\n{self.logs()}")

    def _sendsms_answers(self) -> bool:
        status, _ = http_get(f"http://127.0.0.1:{self.conf.sendsms_port}/cgi-bin/sendsms", timeout=2)
        return status != 0

    def stop(self, sig=signal.SIGTERM, timeout: float = 20.0):
        """Stop both boxes (SIGTERM: clean shutdown; SIGKILL: as a crash); waits for their end."""
        for proc in (self.smsbox, self.bearerbox):
            if proc is not None and proc.poll() is None:
                proc.send_signal(sig)
        for proc in (self.smsbox, self.bearerbox):
            if proc is None:
                continue
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

    def kill(self):
        self.stop(signal.SIGKILL)

    def restart(self, wait_online: bool = True):
        self.stop()
        return self.start(wait_online)

    # ---------------------------------------------------------------- state
    def status(self) -> str:
        """bearerbox's status page as text ("" when it does not answer)."""
        status, body = http_get(f"http://127.0.0.1:{self.conf.admin_port}/status.txt"
                                f"?password={urllib.parse.quote(self.conf.admin_password)}", timeout=2)
        return body if status == 200 else ""

    def online(self) -> bool:
        return any(self.conf.smsc_id in line and "(online" in line for line in self.status().splitlines())

    def wait_online(self, timeout: float = 30.0) -> bool:
        return bool(wait_until(self.online, timeout))

    def logs(self, tail: int = 40) -> str:
        out = []
        for name in ("bearerbox.out", "smsbox.out"):
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    out.append(f"--- {name}\n" + "".join(f.readlines()[-tail:]))
        return "\n".join(out)

    # ---------------------------------------------------------------- the sendsms interface
    def sendsms(self, dlr_ids: dict | None = None, **params) -> tuple[int, str]:
        """GET /cgi-bin/sendsms with the box's credentials; ``dlr_ids`` adds dlr-mask and our dlr-url."""
        query = {"username": self.conf.username, "password": self.conf.password, "from": self.conf.sender}
        if dlr_ids is not None:
            query["dlr-mask"] = str(kconf.DLR_MASK)
            query["dlr-url"] = kconf.dlr_url(self.conf, dlr_ids)
        query.update({k.replace("_", "-"): v for k, v in params.items()})
        url = f"http://127.0.0.1:{self.conf.sendsms_port}/cgi-bin/sendsms?" + urllib.parse.urlencode(
            query, quote_via=urllib.parse.quote)
        return http_get(url, timeout=30)
