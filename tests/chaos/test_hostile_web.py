"""Hostile input on the console and the API, over HTTP against a real `vigie web` process.

Every route is taken from the application itself (so a route added later is covered too) and tried
without a session, with a session of a role that may not use it, without and with a stale CSRF
token. Stored fields carry HTML/script payloads and are rendered by every page; SQL metacharacters,
oversized bodies and uploads, malformed CSV files (hypothesis), brute-force sign-in, session
fixation and path traversal follow. Each attempt must be refused with the right status and a French
message, change nothing and leak nothing; the counts go into the report.
"""

import json
import re
import time

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.chaos._audit import integrity_ok
from tests.chaos._web import Browser, add_web_section, free_port, start_web
from tests.fixtures_web import add_member, siret_for
from vigie.daemon.core import alerts, presets, sectors, users, zones
from vigie.daemon.core import config as config_mod
from vigie.daemon.core import db as db_mod
from vigie.daemon.core.models import (
    Alert,
    AuditLog,
    Contact,
    InboundSms,
    Member,
    Message,
    ModemStatus,
    Preset,
    SectorGroup,
    Session,
    User,
    Zone,
)
from vigie.daemon.core.targeting import Targeting

pytestmark = pytest.mark.chaos

PASSWORD = "mot-de-passe-hostile-1"
XSS = "<script>alert('x')</script>\"'><img src=x onerror=alert(1)>"
XSS_MARKERS = ("<script>alert", "<img src=x")
SQL = "'; DROP TABLE member; -- \" OR 1=1 /*"
FRENCH = re.compile(r"(connect|refus|rôle|jeton|sécurité|introuvable|volumineux|longueur|invalide|accès|"
                    r"expir|incorrect|verrouill|échecs|n'existe|requête)", re.I)


class Tally:
    """Hostile attempts and how each was answered."""

    def __init__(self, report):
        self.report = report
        self.wrong = []

    def expect(self, what: str, answer, statuses, french: bool = True):
        self.report.add("hostile_inputs_tried")
        ok = (answer.status in statuses and (not french or FRENCH.search(answer.text) is not None)
              and "Traceback" not in answer.text and "peewee" not in answer.text)
        if ok:
            self.report.add("hostile_inputs_rejected")
        else:
            self.report.add("hostile_inputs_accepted")
            self.wrong.append((what, answer.status, answer.text[:200]))
        return ok

    def check(self):
        assert not self.wrong, self.wrong[:10]


def _snapshot() -> dict:
    """What hostile requests must not change."""
    return {m.__name__: m.select().count() for m in (Member, Contact, Alert, Message, User, Zone, SectorGroup,
                                                     Preset)} | {
        "members": sorted((m.name, m.notes, m.status) for m in Member.select()),
        "users": sorted((u.username, u.role, u.disabled) for u in User.select()),
        "alerts": sorted((a.id, a.state) for a in Alert.select())}


@pytest.fixture
def console(tmp_path):
    """A seeded store (one of everything, with payloads in every stored text) and `vigie web` on it."""
    path = tmp_path / "vigie.toml"
    path.write_text(f'[database]\npath = "{tmp_path / "vigie.db"}"\n', encoding="utf-8")
    add_web_section(str(path), free_port())
    settings = config_mod.load(str(path))
    db_mod.open_database(settings.database.path)
    for name, role in (("chef", "admin"), ("gendarme", "operator"), ("cci", "manager")):
        users.create(name, PASSWORD, role, actor="chaos")
    member = add_member(1, name=f"Bijouterie {XSS}", sign=XSS, address=XSS, notes=XSS, contact=XSS)
    add_member(2, name=f"Épicerie {SQL}")
    zone = zones.create(f"Zone {XSS}", ["61006"], description=XSS, actor="chaos")
    group = sectors.create(f"Groupe {XSS}", ["47.77Z"], description=XSS, actor="chaos")
    preset = presets.create(f"Modèle {XSS}", f"Texte {XSS}", Targeting(all=True), actor="chaos")
    alert = alerts.create(f"Alerte {XSS}", Targeting(all=True), settings=settings, author=XSS, source="cli")
    InboundSms.create(modem="sim0", phone="+33612000001", text=XSS, kind="incident", member=member.id,
                      handled_at=time.time())
    ModemStatus.create(name=f"sim{XSS}"[:60], state="degraded", operator=XSS, last_error=XSS, model=XSS, imei=XSS)
    web = start_web(str(path), str(tmp_path / "web.log"))
    ids = {"member_id": member.id, "alert_id": alert.id, "zone_id": zone.id, "group_id": group.id,
           "preset_id": preset.id, "user_id": User.get(User.username == "cci").id, "token_id": 1}
    yield web, settings, ids
    web.terminate()
    web.wait(timeout=30)
    db_mod.close_database()


def _routes(settings, ids):
    """(method, concrete path, permission, json?, api?) of every route of the console."""
    from vigie.web.app import make_app
    out = []
    for route in make_app(settings).routes:
        callback = route.callback
        permission = getattr(callback, "permission", None)
        if permission is None:
            continue                        # sign-in, sign-out and static files: public by design
        path = re.sub(r"<(\w+):int>", lambda m: str(ids.get(m.group(1), 1)), route.rule)
        out.append((route.method, path, permission, getattr(callback, "json", False), getattr(callback, "api", False)))
    assert len(out) >= 40, out
    return out


def test_every_route_refuses_without_session_other_role_or_csrf(console, report):
    web, settings, ids = console
    tally = Tally(report)
    before = _snapshot()
    routes = _routes(settings, ids)
    anonymous = Browser(web.port)
    for method, path, permission, is_json, is_api in routes:
        answer = anonymous.request(method, path, form={} if method == "POST" else None)
        if is_api:
            tally.expect(f"anonyme {method} {path}", answer, (401,))
        elif method == "GET" and not is_json:
            ok = answer.status == 303 and "/connexion" in answer.getheader("Location", "")
            report.add("hostile_inputs_tried")
            report.add("hostile_inputs_rejected" if ok else "hostile_inputs_accepted")
            if not ok:
                tally.wrong.append((f"anonyme {method} {path}", answer.status, answer.text[:200]))
        else:
            tally.expect(f"anonyme {method} {path}", answer, (401,))
        assert XSS_MARKERS[0] not in answer.text and "siret" not in answer.text.lower()

    signed = {}
    for name in ("chef", "gendarme", "cci"):
        b = Browser(web.port)
        assert b.login(name, PASSWORD).status == 303
        signed[name] = b
    roles = {"chef": "admin", "gendarme": "operator", "cci": "manager"}
    from vigie.web.auth import allowed
    for name, b in signed.items():
        token = b.csrf("/compte")
        for method, path, permission, is_json, is_api in routes:
            if is_api or allowed(roles[name], permission):
                continue
            answer = b.request(method, path, form={"csrf": token} if method == "POST" else None)
            tally.expect(f"{name} {method} {path}", answer, (403,))
            assert XSS_MARKERS[0] not in answer.text

    # the API with a session cookie but no bearer token, and with a manager's token
    admin = signed["chef"]
    for method, path, permission, is_json, is_api in routes:
        if is_api:
            tally.expect(f"cookie {method} {path}", admin.request(method, path, body=b"{}",
                                                                  content_type="application/json"), (401,))
    manager_token = users.create_token(User.get(User.username == "cci"), "essai", actor="chaos")[1]
    answer = Browser(web.port).request("POST", "/api/v1/alerts", headers={"Authorization": f"Bearer {manager_token}"},
                                       body=json.dumps({"text": "Alerte", "targeting": {"all": True}}).encode(),
                                       content_type="application/json")
    tally.expect("API jeton de gestionnaire", answer, (403,))
    for bad in ("Bearer ", "Bearer vg_" + "0" * 40, "Basic Y2hlZjpwYXNz", "Bearer ' OR 1=1 --", "Bearer \xe9\xe9"):
        answer = Browser(web.port).request("GET", "/api/v1/status", headers={"Authorization": bad.encode("latin-1")})
        tally.expect(f"API {bad!r}", answer, (401,))

    # CSRF: every POST an admin may make, without a token and with a stale one (previous session)
    stale = admin.csrf("/compte")
    token = admin.csrf("/compte")
    assert admin.post("/deconnexion", {"csrf": token}).status == 303
    assert admin.login("chef", PASSWORD).status == 303
    for method, path, permission, is_json, is_api in routes:
        if method != "POST" or is_api:
            continue
        tally.expect(f"sans CSRF {path}", admin.post(path, {}), (403,))
        tally.expect(f"CSRF périmé {path}", admin.post(path, {"csrf": stale}), (403,))
        tally.expect(f"CSRF étranger {path}", admin.post(path, {"csrf": signed["gendarme"].csrf("/compte")}), (403,))
    assert _snapshot() == before
    assert integrity_ok()
    tally.check()


def test_payloads_in_every_stored_field_are_escaped_in_every_page(console, report):
    web, settings, ids = console
    tally = Tally(report)
    admin = Browser(web.port)
    assert admin.login("chef", PASSWORD).status == 303
    pages = [path for method, path, permission, is_json, is_api in _routes(settings, ids)
             if method == "GET" and not is_api]
    pages += ["/adherents?q=" + "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/connexion?suite=%3Cscript%3E",
              "/alertes/nouvelle?modele=" + "%3Cimg%20src%3Dx%3E"]
    shown = 0
    for path in pages:
        answer = admin.get(path)
        report.add("hostile_inputs_tried")
        kind = answer.getheader("Content-Type") or ""
        if "text/html" in kind or "image/svg+xml" in kind:     # the map is markup a browser renders too
            leaked = [m for m in XSS_MARKERS if m in answer.text]
        else:           # data (JSON, CSV) keeps the text as it is, but a browser must never run it
            leaked = [] if (kind.startswith(("application/json", "text/csv"))
                            and answer.getheader("X-Content-Type-Options") == "nosniff") else [kind]
        if answer.status >= 500 or leaked:
            report.add("hostile_inputs_accepted")
            tally.wrong.append((path, answer.status, leaked))
        else:
            report.add("hostile_inputs_rejected")
        if "&lt;script&gt;" in answer.text or "\\u003cscript" in answer.text.lower() or "<script>alert" in answer.text:
            shown += 1
        assert "default-src 'self'" in (answer.getheader("Content-Security-Policy") or "")
    assert shown >= 8, "les valeurs piégées doivent être affichées (échappées) dans les pages"
    tally.check()


def test_sql_metacharacters_and_oversized_bodies(console, report):
    web, settings, ids = console
    tally = Tally(report)
    before = _snapshot()
    admin = Browser(web.port)
    assert admin.login("chef", PASSWORD).status == 303
    for q in (SQL, "%", "_", "' OR '1'='1", "\\", "\x00", "1; SELECT * FROM user"):
        answer = admin.request("GET", "/adherents?" + _qs({"q": q}))
        report.add("hostile_inputs_tried")
        ok = answer.status == 200 and "password_hash" not in answer.text and "argon2" not in answer.text
        report.add("hostile_inputs_rejected" if ok else "hostile_inputs_accepted")
        if not ok:
            tally.wrong.append(("recherche SQL", answer.status, q))
    assert Member.get(Member.siret == siret_for(2)).name == f"Épicerie {SQL}"
    anonymous = Browser(web.port)
    token = anonymous.csrf("/connexion")
    tally.expect("connexion SQL", anonymous.post("/connexion", {"csrf": token, "username": "chef' --",
                                                                "password": "' OR '1'='1"}), (401,))
    tally.expect("connexion SQL 2", anonymous.post("/connexion", {"csrf": token, "username": "' OR 1=1 --",
                                                                  "password": "x"}), (401,))
    big = b"a=" + b"x" * (200 * 1024)
    tally.expect("corps trop gros (connexion)", anonymous.request("POST", "/connexion", body=big,
                                                                  content_type="application/x-www-form-urlencoded"),
                 (413,))
    tally.expect("corps trop gros (adhérent)", admin.request("POST", f"/adherents/{ids['member_id']}", body=big,
                                                             content_type="application/x-www-form-urlencoded"),
                 (413,))
    upload = b"siret;nom\r\n" + b"1;" + b"y" * (3 * 1024 * 1024)
    tally.expect("fichier trop gros", admin.request("POST", "/adherents/import", body=upload,
                                                    content_type="multipart/form-data; boundary=zz"), (413,))
    tally.expect("envoi fragmenté", admin.request("POST", "/adherents/import", body=b"3\r\na=1\r\n0\r\n\r\n",
                                                  headers={"Transfer-Encoding": "chunked"},
                                                  content_type="application/x-www-form-urlencoded"), (411, 413))
    tally.expect("JSON trop gros", admin.request("POST", "/api/v1/alerts", body=b"[" * 100000,
                                                 content_type="application/json"), (401, 413), french=True)
    assert _snapshot() == before
    assert integrity_ok()
    tally.check()


def _qs(values: dict) -> str:
    import urllib.parse
    return urllib.parse.urlencode(values)


def _multipart(data: bytes, csrf: str) -> tuple[bytes, str]:
    boundary = "----chaos7"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"adherents.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


csv_cells = st.one_of(st.text(max_size=20), st.sampled_from(["=cmd|' /C calc'!A0", "+33612", "61006", "47.77Z",
                                                             siret_for(9), "\"", ";;", "\x00", "é" * 30]))
csv_files = st.one_of(
    st.binary(max_size=400),
    st.lists(st.lists(csv_cells, max_size=7), max_size=8).map(
        lambda rows: "\r\n".join(";".join(r) for r in [["siret", "nom", "naf", "commune", "telephone"]] + rows)
        .encode("utf-8", "surrogatepass")),
    st.lists(st.lists(csv_cells, max_size=5), max_size=6).map(
        lambda rows: "\n".join(",".join(r) for r in rows).encode("cp1252", "replace")),
)


def test_malformed_member_files_are_refused_in_french(console, report):
    web, settings, ids = console
    admin = Browser(web.port)
    assert admin.login("chef", PASSWORD).status == 303
    csrf = admin.csrf("/adherents/import")
    before = _snapshot()
    outcomes = []

    @hsettings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(csv_files)
    def upload(data):
        body, content_type = _multipart(data, csrf)
        answer = admin.request("POST", "/adherents/import", body=body, content_type=content_type)
        report.add("hostile_inputs_tried")
        outcomes.append(answer.status)
        assert answer.status in (200, 400), (answer.status, data[:80], answer.text[:300])
        if answer.status == 400:
            assert FRENCH.search(answer.text) or "ligne" in answer.text.lower(), answer.text[:300]
        assert not any(m in answer.text for m in XSS_MARKERS)
        report.add("hostile_inputs_rejected")     # refused, or shown for review without being imported

    upload()
    assert _snapshot() == before          # the upload is a preview: nothing is imported before "confirmer"
    assert integrity_ok()


def test_brute_force_sign_in_and_session_fixation(console, report):
    web, settings, ids = console
    tally = Tally(report)
    # session fixation: a token chosen by an attacker is never adopted
    victim = Browser(web.port)
    victim.cookies["vigie_session"] = "jeton-choisi-par-l-attaquant"
    assert victim.login("gendarme", PASSWORD).status == 303
    report.add("hostile_inputs_tried")
    fixed = victim.cookies.get("vigie_session") != "jeton-choisi-par-l-attaquant"
    report.add("hostile_inputs_rejected" if fixed else "hostile_inputs_accepted")
    assert fixed
    attacker = Browser(web.port)
    attacker.cookies["vigie_session"] = "jeton-choisi-par-l-attaquant"
    tally.expect("session fixée", attacker.get("/etat.json"), (401,))
    # path traversal on static files
    for path in ("/static/../app.py", "/static/..%2f..%2fdaemon%2fmodels.py", "/static/%2e%2e/%2e%2e/pyproject.toml",
                 "/static/....//....//etc/passwd", "/static/%252e%252e/app.py", "/static//etc/passwd",
                 "/static/..\\app.py", "/static/%00style.css"):
        answer = Browser(web.port).get(path)
        ok = answer.status in (400, 403, 404) and "import " not in answer.text and "root:" not in answer.text
        report.add("hostile_inputs_tried")
        report.add("hostile_inputs_rejected" if ok else "hostile_inputs_accepted")
        if not ok:
            tally.wrong.append((path, answer.status, answer.text[:100]))
    # brute force: growing delays after a few failures, then even the right password waits its turn
    robber = Browser(web.port)
    for i in range(8):
        token = robber.csrf("/connexion")
        tally.expect(f"force brute {i}", robber.post("/connexion", {"csrf": token, "username": "chef",
                                                                    "password": f"essai-{i}"}), (401,))
    token = robber.csrf("/connexion")
    answer = robber.post("/connexion", {"csrf": token, "username": "chef", "password": PASSWORD})
    tally.expect("bon mot de passe pendant le délai imposé", answer, (401,))
    assert "patientez" in answer.text.lower()
    assert "vigie_session" not in robber.cookies
    for i in range(20):          # then the address itself is refused, whatever account it tries
        token = robber.csrf("/connexion")
        robber.post("/connexion", {"csrf": token, "username": f"inconnu{i}", "password": "x" * 12})
    token = robber.csrf("/connexion")
    answer = robber.post("/connexion", {"csrf": token, "username": "cci", "password": PASSWORD})
    tally.expect("adresse bloquée", answer, (401,))
    assert "poste" in answer.text
    report.add("hostile_inputs_tried", 20)
    report.add("hostile_inputs_rejected", 20)
    assert AuditLog.select().where(AuditLog.action == "login.lock").count() == 0      # never locked out
    assert AuditLog.select().where(AuditLog.action == "login.throttled").count() >= 1
    assert Session.select().join(User).where(User.username == "chef").count() == 0
    assert integrity_ok()
    tally.check()
