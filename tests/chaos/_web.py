"""`vigie web` as a real process on 127.0.0.1, and a small cookie-keeping HTTP client for it."""

import http.client
import http.cookies
import re
import socket
import subprocess
import sys
import time
import urllib.parse


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_web_section(config_path: str, port: int) -> None:
    with open(config_path, "a", encoding="utf-8") as f:
        f.write(f'\n[web]\nhost = "127.0.0.1"\nport = {port}\n')


def start_web(config_path: str, log_path: str) -> subprocess.Popen:
    """Start `vigie web` and return once it accepts connections."""
    log = open(log_path, "a", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "vigie.daemon.cli", "--config", config_path, "web"],
                            stdout=subprocess.PIPE, stderr=log, text=True)
    log.close()
    for _ in range(20):
        line = proc.stdout.readline()
        if "Console web" in line:
            port = int(re.search(r":(\d+)/", line).group(1))
            proc.port = port
            return proc
        if not line:
            break
    proc.kill()
    raise AssertionError(f"vigie web n'a pas démarré (voir {log_path})")


class Browser:
    """One user agent: keeps its cookies, speaks HTTP/1.1 to the console, never follows redirects."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, form=None, body: bytes | None = None,
                headers: dict | None = None, content_type: str | None = None, timeout: float = 20):
        headers = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        if content_type:
            headers["Content-Type"] = content_type
        if self.cookies and "Cookie" not in headers:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        finally:
            conn.close()
        for raw in answer.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie()
            cookie.load(raw)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or "1970" in (morsel["expires"] or "") or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        answer.text = data.decode("utf-8", errors="replace")
        answer.body = data
        return answer

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form=None, **kw):
        return self.request("POST", path, form=form, **kw)

    def csrf(self, page: str = "/compte") -> str:
        text = self.get(page).text
        match = re.search(r'name="csrf" value="([^"]+)"', text)
        assert match, f"aucun jeton CSRF sur {page}"
        return match.group(1)

    def login(self, username: str, password: str):
        token = self.csrf("/connexion")
        return self.post("/connexion", {"csrf": token, "username": username, "password": password})


def wait_port_free(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
                return True
            except OSError:
                time.sleep(0.1)
    return False
