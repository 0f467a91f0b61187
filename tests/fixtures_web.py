"""Web fixtures: a tiny in-process WSGI client with cookies, the console app on the test database,
and signed-in clients for each role."""

import dataclasses
import http.cookies
import io
import json as jsonlib
import re
import secrets
import urllib.parse
import wsgiref.util

import pytest

from vigie.daemon.core import config, users

PASSWORD = "mot-de-passe-de-test"


@dataclasses.dataclass
class Answer:
    status: int
    headers: list
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return jsonlib.loads(self.body)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def headers_named(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def location(self) -> str:
        loc = self.header("Location") or ""
        return urllib.parse.urlsplit(loc).path + (("?" + urllib.parse.urlsplit(loc).query)
                                                   if urllib.parse.urlsplit(loc).query else "")

    def csrf(self) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.text)
        assert match, "aucun jeton CSRF dans la page"
        return match.group(1)


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = "----vigie" + secrets.token_hex(8)
    out = io.BytesIO()
    for name, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
            out.write(str(v).encode("utf-8") + b"\r\n")
    for name, (filename, data) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                  f'Content-Type: text/csv\r\n\r\n'.encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class Client:
    """Calls a WSGI app in-process, keeping cookies like a browser (ignoring paths and expiry)."""

    def __init__(self, app, address: str = "192.0.2.10", scheme: str = "http"):
        self.app = app
        self.cookies: dict[str, str] = {}
        self.address = address
        self.scheme = scheme

    def request(self, method: str, path: str, *, data=None, json=None, files=None, headers=None,
                body: bytes | None = None) -> Answer:
        environ = {}
        wsgiref.util.setup_testing_defaults(environ)
        url = urllib.parse.urlsplit(path)
        environ.update({
            "REQUEST_METHOD": method, "PATH_INFO": urllib.parse.unquote(url.path, encoding="latin-1"),
            "QUERY_STRING": url.query, "REMOTE_ADDR": self.address, "wsgi.url_scheme": self.scheme,
            "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "HTTP_HOST": "localhost:8080",
        })
        content_type = None
        if files is not None:
            body, content_type = _multipart(data or {}, files)
        elif json is not None:
            body, content_type = jsonlib.dumps(json).encode(), "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        body = body or b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        if content_type:
            environ["CONTENT_TYPE"] = content_type
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for key, value in (headers or {}).items():
            name = key.upper().replace("-", "_")
            environ[name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + name] = value
        captured = {}

        def start_response(status, response_headers, exc_info=None):
            captured["status"] = int(status.split()[0])
            captured["headers"] = response_headers

        chunks = self.app(environ, start_response)
        try:
            payload = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        answer = Answer(captured["status"], captured["headers"], payload)
        for raw in answer.headers_named("Set-Cookie"):
            cookie = http.cookies.SimpleCookie()
            cookie.load(raw)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or "1970" in (morsel["expires"] or "") or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return answer

    def get(self, path: str, **kw) -> Answer:
        return self.request("GET", path, **kw)

    def post(self, path: str, data=None, **kw) -> Answer:
        return self.request("POST", path, data=data, **kw)

    def csrf(self, page: str = "/compte") -> str:
        return self.get(page).csrf()

    def submit(self, path: str, data: dict | None = None, *, page: str = "/compte", **kw) -> Answer:
        """POST a form with this session's CSRF token, as the page's form would."""
        data = dict(data or {})
        data["csrf"] = self.csrf(page)
        return self.post(path, data, **kw)

    def login(self, username: str, password: str = PASSWORD) -> Answer:
        token = self.get("/connexion").csrf()
        return self.post("/connexion", {"csrf": token, "username": username, "password": password})


@pytest.fixture
def web_settings(db_path):
    return config.Settings(database=config.DatabaseSettings(path=db_path))


@pytest.fixture
def app(database, web_settings):
    from vigie.web.app import make_app
    return make_app(web_settings)


@pytest.fixture
def client(app):
    return Client(app)


def _signed_in(app, username: str, role: str) -> Client:
    users.create(username, PASSWORD, role, actor="test")
    c = Client(app)
    answer = c.login(username)
    assert answer.status == 303, answer.text
    return c


@pytest.fixture
def admin(app):
    return _signed_in(app, "chef", "admin")


@pytest.fixture
def operator(app):
    return _signed_in(app, "gendarme", "operator")


@pytest.fixture
def manager(app):
    return _signed_in(app, "cci", "manager")


# --- domain data for the pages --------------------------------------------------------------

def siret_for(n: int) -> str:
    """A valid, fictitious SIRET for index ``n`` (Luhn-valid SIREN, then SIRET)."""
    from stdnum import luhn
    siren = f"{90000000 + n:08d}"
    siren += luhn.calc_check_digit(siren)
    siret = siren + f"{1:04d}"
    return siret + luhn.calc_check_digit(siret)


def phone_for(n: int) -> str:
    return f"+33612{n:06d}"


ARGENTAN, ALENCON, FLERS = "61006", "61001", "61169"


def add_member(n: int, *, name: str | None = None, naf: str = "47.77Z", commune: str = ARGENTAN, **fields):
    from vigie.daemon.core import members
    return members.add(siret=siret_for(n), name=name or f"Bijouterie n° {n}", naf=naf, commune=commune,
                       phones=[phone_for(n)], actor="test", **fields)


def members_csv(rows: list[tuple]) -> bytes:
    """A member file in the chambers' format: (siret, name, naf, commune, phone) per row."""
    lines = ["siret;nom;naf;commune;telephone"]
    lines += [";".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
