"""`make demo` as a person runs it: the banner once the console answers, the password it shows opens
the console, Ctrl-C stops everything with exit 0, a second run keeps the data, a port already taken
gets a French message with the way out."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DEADLINE = 180                           # the demo imports 120 members: slow on a loaded machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Demo:
    """The demo (or `make demo`) in its own process group, its output read as it comes."""

    def __init__(self, command, tmp_path, port, **env):
        environment = dict(os.environ, VIGIE_DEMO_PORT=str(port), VIGIE_DEMO_DIR=str(tmp_path / "demo"),
                           VIGIE_DEMO_LATENCY="0.05", **env)
        environment.pop("VIGIE_CONFIG", None)
        self.port = port
        self.lines: list[str] = []
        self.banner = threading.Event()
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=environment, cwd=str(tmp_path), start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            if "Ctrl-C pour tout arrêter" in line:
                self.banner.set()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def password(self) -> str:
        return re.search(r"mot de passe : (\S+)", self.output).group(1)

    def interrupt(self, group=False) -> int:
        """Ctrl-C: the terminal sends SIGINT to the foreground process group."""
        if group:
            os.killpg(self.proc.pid, signal.SIGINT)
        else:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=DEADLINE)

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def demo_command():
    return [sys.executable, "-m", "vigie.daemon.cli.demo"]


def answers(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except OSError:
        return None


def log_in(port: int, password: str) -> str:
    """Sign in on the console as admin; returns the page reached."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(base + "/connexion", timeout=10).read().decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf": token, "username": "admin", "password": password}).encode()
    with opener.open(base + "/connexion", data=data, timeout=10) as r:
        return r.geturl()


@pytest.fixture
def demos():
    started = []

    def start(*args, **kw):
        demo = Demo(*args, **kw)
        started.append(demo)
        return demo

    yield start
    for demo in started:
        demo.close()


def test_demo_banner_once_listening_ctrl_c_is_exit_0_and_a_second_run_keeps_the_data(tmp_path, demos):
    port = free_port()
    first = demos(demo_command(), tmp_path, port)
    assert first.banner.wait(DEADLINE), first.output
    # The banner comes once the console listens: asked at once, with no retry, it answers.
    assert answers(f"http://127.0.0.1:{port}/connexion") == 200, first.output
    assert f"Console : http://127.0.0.1:{port}" in first.output
    password = first.password()
    assert not log_in(port, password).endswith("/connexion")      # the password shown opens the console
    assert first.interrupt() == 0, first.output
    assert "Un des processus" not in first.output and "Traceback" not in first.output, first.output
    assert answers(f"http://127.0.0.1:{port}/connexion") is None          # the console was stopped
    assert not os.path.lexists(tmp_path / "demo" / "gsm0")               # and the simulated modem
    assert "conservées" not in first.output

    subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "--config", str(tmp_path / "demo" / "vigie.toml"),
                    "user", "passwd", "admin"], input="autre-mot-de-passe-1\nautre-mot-de-passe-1\n", text=True,
                   capture_output=True, timeout=120, check=True)            # changed between the two runs
    second = demos(demo_command(), tmp_path, port)
    assert second.banner.wait(DEADLINE), second.output
    assert "Données de la démonstration précédente conservées" in second.output
    assert second.password() == password
    assert not log_in(port, password).endswith("/connexion")       # the banner still tells the truth
    members = subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "--config",
                              str(tmp_path / "demo" / "vigie.toml"), "member", "list", "--json"],
                             capture_output=True, text=True, timeout=120)
    assert members.returncode == 0 and members.stdout.count('"siret"') == 120, members.stderr
    assert second.interrupt() == 0, second.output


def test_a_port_already_taken_gets_the_way_out_in_french(tmp_path, demos):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        demo = demos(demo_command(), tmp_path, port)
        assert demo.proc.wait(timeout=DEADLINE) == 1
    message = demo.output.strip()
    assert re.fullmatch(rf"make demo : le port {port} est déjà pris : VIGIE_DEMO_PORT=\d+ make demo", message), message
    suggested = int(re.search(r"VIGIE_DEMO_PORT=(\d+)", message).group(1))
    assert suggested != port
    assert not (tmp_path / "demo" / "vigie.toml").exists()             # nothing started


@pytest.mark.skipif(os.path.realpath(sys.prefix) != os.path.realpath(os.path.join(ROOT, ".venv")),
                    reason="make demo utilise .venv/ du dépôt : lancez les tests depuis lui")
def test_ctrl_c_on_make_demo_prints_no_make_error(tmp_path, demos):
    demo = demos(["make", "-s", "-C", ROOT, "demo"], tmp_path, free_port())
    assert demo.banner.wait(DEADLINE), demo.output
    rc = demo.interrupt(group=True)                  # make and the demo both get the terminal's SIGINT
    assert "make: ***" not in demo.output and "Error" not in demo.output, demo.output
    assert rc in (0, -signal.SIGINT), (rc, demo.output)   # make re-raises SIGINT on itself, silently
    assert "Arrêt de la démonstration" in demo.output


@pytest.mark.skipif(not os.access("/usr/sbin/bearerbox", os.X_OK), reason="Kannel absent (apt-get install kannel)")
def test_demo_with_an_operator_route_sends_through_kannel_and_takes_a_stop(tmp_path):
    """VIGIE_DEMO_KANNEL=1: the simulated SMSC and Kannel's real boxes beside the simulated modem; an alert
    reaches the SMSC's air log and is delivered, a STOP through the SMSC unsubscribes, Ctrl-C stops all."""
    demo = Demo(demo_command(), tmp_path, free_port(), VIGIE_DEMO_KANNEL="1")
    try:
        assert demo.banner.wait(DEADLINE), demo.output
        assert "Route opérateur : Kannel" in demo.output
        root = tmp_path / "demo"
        config = str(root / "vigie.toml")
        vigie = [sys.executable, "-m", "vigie.daemon.cli", "--config", config]
        sent = subprocess.run(vigie + ["alert", "send", "--all", "--text", "Essai par la route opérateur."],
                              capture_output=True, text=True, timeout=DEADLINE)
        assert sent.returncode == 0, sent.stderr
        air = root / "smsc-air.jsonl"
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and not (air.exists() and air.read_text().strip()):
            time.sleep(0.5)
        assert air.exists() and "Essai par la route" in air.read_text()
        mo = subprocess.run(vigie + ["smsc", "mo", "--control", str(root / "smsc.sock"), "--from", "+33612345678",
                                     "--text", "STOP"], capture_output=True, text=True, timeout=60)
        assert mo.returncode == 0, mo.stderr
        import sqlite3
        found = False
        while time.monotonic() < deadline and not found:
            with sqlite3.connect(str(root / "vigie.db")) as db:
                found = bool(db.execute("SELECT 1 FROM opt_out WHERE phone = '+33612345678'").fetchone())
            time.sleep(0.5)
        assert found, "le STOP reçu par la route opérateur n'a pas désinscrit le numéro"
        assert demo.interrupt() == 0
    finally:
        demo.close()
