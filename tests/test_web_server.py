"""`vigie web` as a process: cheroot over HTTP and HTTPS, refusals in French."""

import http.cookiejar
import re
import socket
import ssl
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from vigie.daemon.cli.init import make_self_signed

PASSWORD = "mot-de-passe-serveur"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp_path, port: int, https: bool) -> str:
    cert = key = ""
    if https:
        cert, key = make_self_signed(str(tmp_path))
    path = tmp_path / "vigie.toml"
    path.write_text(f'[database]\npath = "{tmp_path / "vigie.db"}"\n\n'
                    f'[web]\nhost = "127.0.0.1"\nport = {port}\ncertificate = "{cert}"\nkey = "{key}"\n',
                    encoding="utf-8")
    return str(path)


def vigie(config: str, *args, **kw):
    return [sys.executable, "-m", "vigie.daemon.cli", "--config", config, *args]


@pytest.fixture
def server(tmp_path):
    procs = []

    def start(https: bool):
        port = free_port()
        config = write_config(tmp_path, port, https)
        subprocess.run(vigie(config, "user", "add", "chef", "--role", "admin"), input=PASSWORD + "\n",
                       text=True, capture_output=True, check=True, timeout=60)
        proc = subprocess.Popen(vigie(config, "web"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(proc)
        lines = [proc.stdout.readline() for _ in range(1)]
        while "Console web" not in lines[-1] and lines[-1] and len(lines) < 20:
            lines.append(proc.stdout.readline())     # the banner comes once the socket listens
        assert "Console web" in lines[-1], lines
        return f"{'https' if https else 'http'}://127.0.0.1:{port}", config
    yield start
    for proc in procs:
        proc.terminate()
        assert proc.wait(timeout=60) == 0


def opener(https: bool):
    jar = http.cookiejar.CookieJar()
    handlers = [urllib.request.HTTPCookieProcessor(jar)]
    if https:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE          # the box's self-signed certificate
        handlers.append(urllib.request.HTTPSHandler(context=context))
    return urllib.request.build_opener(*handlers), jar


@pytest.mark.parametrize("https", [False, True])
def test_sign_in_through_the_real_server(server, https):
    base, _ = server(https)
    browser, jar = opener(https)
    page = browser.open(base + "/connexion", timeout=10).read().decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf": token, "username": "chef", "password": PASSWORD}).encode()
    answer = browser.open(base + "/connexion", data=body, timeout=10)
    assert answer.status == 200 and answer.url == base + "/"
    assert "Tableau de bord" in answer.read().decode()
    session = next(c for c in jar if c.name == "vigie_session")
    assert session.secure is https
    assert session.has_nonstandard_attr("HttpOnly")


def test_port_in_use_is_refused_in_french(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = write_config(tmp_path, taken.getsockname()[1], https=False)
        result = subprocess.run(vigie(config, "web"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Impossible d'écouter" in result.stderr


def test_unreadable_certificate_is_refused_in_french(tmp_path):
    port = free_port()
    path = tmp_path / "vigie.toml"
    path.write_text(f'[database]\npath = "{tmp_path / "vigie.db"}"\n[web]\nport = {port}\n'
                    f'certificate = "{tmp_path / "absent.crt"}"\nkey = "{tmp_path / "absent.key"}"\n', encoding="utf-8")
    result = subprocess.run(vigie(str(path), "web"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "certificat" in result.stderr


def test_slow_clients_dripping_headers_do_not_starve_the_others(server):
    """Twenty sockets that send a header line now and then (more than the server's threads), then a
    normal request: it is answered; the slow ones are cut once their headers are overdue."""
    import threading
    import time
    base, _ = server(https=False)
    port = int(base.rsplit(":", 1)[1])
    slow, stop = [], threading.Event()
    for i in range(20):            # from two other hosts (other loopback addresses): 10 each
        s = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(f"127.0.0.{2 + i % 2}", 0))
        s.sendall(b"GET /connexion HTTP/1.1\r\nHost: localhost\r\n")
        slow.append(s)

    def drip():
        while not stop.wait(1.0):
            for s in slow:
                try:
                    s.sendall(b"X-Lent: 1\r\n")
                except OSError:
                    pass

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    try:
        stop.wait(2.0)                              # the slow ones have taken what they could
        with urllib.request.urlopen(base + "/connexion", timeout=30) as answer:
            assert answer.status == 200 and "Connexion" in answer.read().decode("utf-8")
        # The slow ones are cut (no answer, or a closed socket) instead of holding a thread forever.
        closed = 0
        deadline = time.monotonic() + 60
        for s in slow:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                data = s.recv(65536)
                while data and b"\r\n\r\n" not in data:
                    data += s.recv(65536)
            except OSError:
                data = b""
            closed += 1 if not data or data.startswith(b"HTTP/1.1 4") else 0
        assert closed == len(slow)
    finally:
        stop.set()
        for s in slow:
            s.close()


def test_silent_tls_clients_do_not_hold_up_the_others(server):
    """Over HTTPS, cheroot negotiates TLS in the thread that accepts every connection: six clients that
    connect and say nothing must not keep a normal visitor waiting their socket timeout each."""
    base, _ = server(https=True)
    port = int(base.rsplit(":", 1)[1])
    silent = [socket.create_connection(("127.0.0.1", port), timeout=60) for _ in range(6)]
    try:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen(base + "/connexion", timeout=30, context=context) as answer:
            assert answer.status == 200
        for s in silent:                     # each was dropped once its handshake was overdue
            s.settimeout(30)
            try:
                assert s.recv(100) == b""
            except ConnectionResetError:
                pass
    finally:
        for s in silent:
            s.close()
