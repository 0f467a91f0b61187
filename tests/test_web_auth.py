"""Console security over WSGI: every route's guard, CSRF, sessions, sign-in throttling, headers."""

import dataclasses
import re
import time

import pytest

from vigie.daemon.core import users
from vigie.daemon.core.models import AuditLog, Session, User
from vigie.web import auth

from .fixtures_web import PASSWORD, Client

OPEN_ROUTES = {"/connexion", "/deconnexion", "/static/<path:path>", "/"}


def guarded_routes(app):
    """(method, concrete path, permission, kind) for every guarded route of the app."""
    result = []
    for route in app.routes:
        if route.rule in OPEN_ROUTES:
            continue
        callback = route.callback
        assert hasattr(callback, "permission"), f"route sans contrôle d'accès : {route.method} {route.rule}"
        path = re.sub(r"<[^>]+:int>", "1", route.rule)
        kind = "api" if getattr(callback, "api", False) else ("json" if callback.json else "page")
        result.append((route.method, path, callback.permission, kind))
    return result


def test_every_route_is_guarded_and_the_list_is_complete(app):
    routes = guarded_routes(app)
    paths = {p for _, p, _, _ in routes}
    for expected in ("/adherents", "/alertes/nouvelle", "/alertes/1", "/messages", "/zones", "/secteurs",
                     "/modeles", "/utilisateurs", "/journal", "/compte", "/api/v1/alerts", "/api/v1/status",
                     "/adherents/import", "/alertes/1/etat.json", "/etat.json"):
        assert expected in paths
    assert len(routes) > 40


def test_unauthenticated_pages_redirect_to_sign_in_and_json_gets_401(app, client):
    for method, path, _, kind in guarded_routes(app):
        answer = client.request(method, path)
        if kind == "page" and method == "GET":
            assert answer.status == 303, (method, path)
            assert answer.location.startswith("/connexion?suite="), (method, path)
        else:
            assert answer.status == 401, (method, path, answer.status)
        if kind != "page":
            assert "erreur" in answer.json(), path
    home = client.get("/")
    assert home.status == 303 and home.location.startswith("/connexion")


def test_sign_in_returns_to_the_page_asked_for(client, admin):
    users_page = client.get("/journal?acteur=chef")
    assert users_page.location == "/connexion?suite=/journal%3Facteur%3Dchef"
    form = client.get(users_page.location)
    assert 'name="suite" value="/journal?acteur=chef"' in form.text
    users.create("martin", PASSWORD, "admin", actor="test")
    answer = client.post("/connexion", {"csrf": form.csrf(), "username": "martin", "password": PASSWORD,
                                        "suite": "/journal?acteur=chef"})
    assert answer.status == 303 and answer.location == "/journal?acteur=chef"
    # An absolute or protocol-relative "suite" is not followed.
    for target in ("//exemple.org/piege", "/\\exemple.org/piege", "https://exemple.org/", "/\tx"):
        client.post("/deconnexion", {"csrf": client.csrf()})
        form = client.get("/connexion")
        answer = client.post("/connexion", {"csrf": form.csrf(), "username": "martin", "password": PASSWORD,
                                            "suite": target})
        assert answer.status == 303 and answer.header("Location") == "http://localhost:8080/", target


def test_api_routes_refuse_a_session_cookie_without_token(app, admin):
    for method, path, _, kind in guarded_routes(app):
        if kind == "api":
            answer = admin.request(method, path, json={})
            assert answer.status == 401 and answer.json()["erreur"].startswith("Jeton d'API")


@pytest.mark.parametrize("who", ["operator", "manager"])
def test_roles_are_enforced_on_every_route(app, request, who):
    client = request.getfixturevalue(who)
    role = {"operator": "operator", "manager": "manager"}[who]
    csrf = client.csrf()
    checked = 0
    for method, path, permission, kind in guarded_routes(app):
        if kind == "api":
            continue
        answer = client.request(method, path, data={"csrf": csrf} if method == "POST" else None)
        if role in auth.PERMISSIONS[permission]:
            assert answer.status != 403, (method, path)
        else:
            assert answer.status == 403, (method, path, answer.status)
            if kind == "page":
                assert "Accès refusé" in answer.text and "rôle ne permet pas" in answer.text
            checked += 1
    assert checked >= 4


def test_manager_home_is_the_member_list(manager):
    answer = manager.get("/")
    assert answer.status == 303 and answer.location == "/adherents"
    page = manager.get("/adherents").text
    assert "Nouvelle alerte" not in page and "Utilisateurs" not in page


def test_every_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(app, admin):
    before = AuditLog.select().count()
    for method, path, _, kind in guarded_routes(app):
        if method != "POST" or kind == "api":
            continue
        for data in ({}, {"csrf": "faux-jeton"}):
            answer = admin.post(path, data)
            assert answer.status == 403, (path, data, answer.status)
            assert "Jeton de sécurité" in answer.text
    assert AuditLog.select().count() == before
    # A header token works as well as the form field (used by scripts of the page).
    token = admin.csrf()
    answer = admin.post("/compte/jetons", {"label": "par en-tête"}, headers={"X-CSRF-Token": token})
    assert answer.status == 200 and "vg_" in answer.text


def test_sign_in_form_needs_its_csrf_token(client):
    users.create("martin", PASSWORD, "operator", actor="test")
    client.get("/connexion")
    answer = client.post("/connexion", {"username": "martin", "password": PASSWORD})
    assert answer.status == 403 and "expiré" in answer.text
    assert "vigie_session" not in client.cookies


def test_sign_out_ends_the_session_on_the_server(admin):
    token = admin.cookies["vigie_session"]
    answer = admin.post("/deconnexion", {"csrf": admin.csrf()})
    assert answer.status == 303 and answer.location == "/connexion"
    assert Session.select().count() == 0
    # Replaying the old cookie opens nothing.
    admin.cookies["vigie_session"] = token
    assert admin.get("/compte").status == 303


def test_session_cookie_flags_and_only_a_hash_stored(app):
    users.create("martin", PASSWORD, "operator", actor="test")
    for scheme, secure in (("http", False), ("https", True)):
        client = Client(app, scheme=scheme)
        answer = client.login("martin")
        cookie = next(c for c in answer.headers_named("Set-Cookie") if c.startswith("vigie_session="))
        assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
        assert ("Secure" in cookie) is secure
        token = client.cookies["vigie_session"]
        assert not Session.select().where(Session.token_hash == token).exists()
        assert Session.select().where(Session.token_hash == users.hash_token(token)).exists()


def test_session_fixation_a_preset_cookie_is_not_adopted(app):
    users.create("martin", PASSWORD, "operator", actor="test")
    client = Client(app)
    client.cookies["vigie_session"] = "jeton-choisi-par-un-attaquant"
    client.login("martin")
    assert client.cookies["vigie_session"] != "jeton-choisi-par-un-attaquant"
    attacker = Client(app)
    attacker.cookies["vigie_session"] = "jeton-choisi-par-un-attaquant"
    assert attacker.get("/compte").status == 303


def test_sign_in_issues_a_new_session_each_time(app):
    users.create("martin", PASSWORD, "operator", actor="test")
    client = Client(app)
    client.login("martin")
    first = client.cookies["vigie_session"]
    # Signing in again from the same browser (the form was open in another tab).
    client.post("/connexion", {"csrf": client.cookies["vigie_login"], "username": "martin", "password": PASSWORD})
    second = client.cookies["vigie_session"]
    assert first != second
    assert Session.select().count() == 1       # the first one was ended, not left behind
    stale = Client(app)
    stale.cookies["vigie_session"] = first
    assert stale.get("/compte").status == 303


def test_idle_session_expires(operator, web_settings):
    assert operator.get("/alertes").status == 200
    idle = web_settings.web.session_idle_minutes * 60
    Session.update(last_seen=time.time() - idle - 5).execute()
    answer = operator.get("/alertes")
    assert answer.status == 303 and answer.location.startswith("/connexion")
    assert Session.select().count() == 0


def test_activity_keeps_the_session_alive(operator, web_settings):
    idle = web_settings.web.session_idle_minutes * 60
    Session.update(last_seen=time.time() - idle + 30).execute()
    assert operator.get("/alertes").status == 200
    assert Session.get().last_seen > time.time() - 5


def test_automatic_polling_does_not_count_as_activity(operator, web_settings):
    idle = web_settings.web.session_idle_minutes * 60
    Session.update(last_seen=time.time() - idle + 30).execute()
    assert operator.get("/etat.json").status == 200
    assert Session.get().last_seen < time.time() - idle + 60
    Session.update(last_seen=time.time() - idle - 1).execute()
    assert operator.get("/etat.json").status == 401


def test_disabled_user_is_signed_out(app, admin, operator):
    users.set_disabled(users.get("gendarme"), True, actor="test")
    assert operator.get("/alertes").status == 303


def test_failed_sign_ins_are_slowed_down_with_a_french_message(app, client):
    users.create("martin", PASSWORD, "operator", actor="test")
    for _ in range(users.PAIR_FREE_FAILURES):
        answer = client.login("martin", "mauvais-mot-de-passe")
        assert answer.status == 401 and "incorrect" in answer.text
    answer = client.login("martin", "mauvais-mot-de-passe")
    assert answer.status == 401 and "Trop de tentatives de connexion depuis ce poste : patientez" in answer.text
    answer = client.login("martin", PASSWORD)
    assert answer.status == 401 and "patientez" in answer.text
    assert "vigie_session" not in client.cookies
    # The owner, from another computer, is not locked out.
    assert Client(app, address="192.0.2.77").login("martin").status == 303
    # An administrator lifts the delay.
    users.unlock(users.get("martin"), actor="test")
    assert client.login("martin").status == 303


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(app, web_settings):
    users.create("martin", PASSWORD, "operator", actor="test")
    forged = {"X-Forwarded-For": "203.0.113.99"}
    direct = Client(app, address="192.0.2.10")
    for i in range(users.PAIR_FREE_FAILURES + 1):      # a new claimed address at every try
        direct.request("POST", "/connexion", data={"csrf": direct.get("/connexion").csrf(), "username": "martin",
                                                   "password": "faux"}, headers={"X-Forwarded-For": f"198.51.100.{i}"})
    answer = direct.request("POST", "/connexion", data={"csrf": direct.get("/connexion").csrf(),
                                                        "username": "martin", "password": PASSWORD},
                            headers=forged)
    assert answer.status == 401 and "patientez" in answer.text      # throttled on its real address
    targets = {a.target for a in AuditLog.select().where(AuditLog.action.startswith("login"))}
    assert targets == {"192.0.2.10"}

    # [web] trusted_proxies: the proxy's header is believed, from the right.
    web = dataclasses.replace(web_settings.web, trusted_proxies=("192.0.2.1", "10.0.0.0/8"))
    app.config["vigie.settings"] = dataclasses.replace(web_settings, web=web)
    proxy = Client(app, address="192.0.2.1")
    answer = proxy.request("POST", "/connexion", data={"csrf": proxy.get("/connexion").csrf(),
                                                       "username": "martin", "password": PASSWORD},
                           headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7, 10.1.2.3"})
    assert answer.status == 303
    assert AuditLog.select().where(AuditLog.action == "login").order_by(AuditLog.id.desc()).get().target == \
        "203.0.113.7"


def test_sign_ins_are_audited(client):
    users.create("martin", PASSWORD, "operator", actor="test")
    client.login("martin", "mauvais-mot-de-passe")
    client.login("martin")
    client.post("/deconnexion", {"csrf": client.csrf()})
    actions = [a.action for a in AuditLog.select().where(AuditLog.actor == "martin").order_by(AuditLog.id)]
    assert actions == ["login.fail", "login", "logout"]
    assert AuditLog.get(AuditLog.action == "login").target == "192.0.2.10"


def test_password_change_from_my_account(operator):
    answer = operator.submit("/compte/mot-de-passe", {"current": PASSWORD, "password": "court",
                                                       "confirm": "court"})
    assert answer.status == 400 and "au moins 10 caractères" in answer.text
    answer = operator.submit("/compte/mot-de-passe", {"current": "faux-mot-de-passe", "password": "x" * 12,
                                                       "confirm": "x" * 12})
    assert answer.status == 400 and "actuel est incorrect" in answer.text
    old_cookie = operator.cookies["vigie_session"]
    answer = operator.submit("/compte/mot-de-passe", {"current": PASSWORD, "password": "nouveau-secret-12",
                                                       "confirm": "nouveau-secret-12"})
    assert answer.status == 303
    assert operator.cookies["vigie_session"] != old_cookie
    assert "Mot de passe changé" in operator.get("/compte").text
    assert users.authenticate("gendarme", "nouveau-secret-12")


def test_api_tokens_from_my_account(app, operator):
    answer = operator.submit("/compte/jetons", {"label": ""})
    assert answer.status == 400 and "libellé" in answer.text
    answer = operator.submit("/compte/jetons", {"label": "logiciel du CORG"})
    token = re.search(r"(vg_[A-Za-z0-9_\-]+)", answer.text).group(1)
    api = Client(app)
    assert api.get("/api/v1/alerts/1", headers={"Authorization": f"Bearer {token}"}).status == 404
    page = operator.get("/compte")
    assert "logiciel du CORG" in page.text and token not in page.text
    token_id = re.search(r"/compte/jetons/(\d+)/supprimer", page.text).group(1)
    answer = operator.submit(f"/compte/jetons/{token_id}/supprimer")
    assert answer.status == 303
    assert api.get("/api/v1/alerts/1", headers={"Authorization": f"Bearer {token}"}).status == 401


def test_static_files_are_served_and_traversal_refused(client):
    css = client.get("/static/style.css")
    assert css.status == 200 and "text/css" in css.header("Content-Type")
    assert client.get("/static/app.js").status == 200
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static/../../daemon/db.py",
                 "/static//etc/passwd", "/static/nope.css"):
        answer = client.get(path)
        assert answer.status == 404, path
        assert "import" not in answer.text


def test_security_headers_everywhere(client, admin):
    for c, path in ((client, "/connexion"), (admin, "/adherents"), (admin, "/n-existe-pas")):
        answer = c.get(path)
        assert answer.header("X-Frame-Options") == "DENY", path
        assert "default-src 'self'" in answer.header("Content-Security-Policy"), path
        assert answer.header("X-Content-Type-Options") == "nosniff"


def test_french_error_pages(admin):
    answer = admin.get("/n-existe-pas")
    assert answer.status == 404 and "Page introuvable" in answer.text and "Cette page n&#039;existe pas" in answer.text
    answer = admin.get("/adherents/999999")
    assert answer.status == 404 and "introuvable" in answer.text
    answer = admin.request("PUT", "/adherents")
    assert answer.status == 405 and "Méthode non autorisée" in answer.text


def test_large_bodies_are_refused_with_a_french_413(admin):
    answer = admin.post("/compte/jetons", {"csrf": admin.csrf(), "label": "x" * 70_000})
    assert answer.status == 413 and "trop volumineux" in answer.text
    answer = admin.post("/adherents/import", files={"file": ("gros.csv", b"x" * (3 * 1024 * 1024))},
                        data={"csrf": admin.csrf()})
    assert answer.status == 413
    assert User.select().count() == 1


def test_make_app_builds_its_own_bottle(app):
    import bottle
    assert app is not bottle.default_app()
    assert not [r for r in bottle.default_app().routes if r.rule.startswith(("/adherents", "/api"))]


def test_changing_or_resetting_a_password_revokes_the_api_tokens(app, admin, operator):
    api = Client(app)
    token = users.create_token(users.get("gendarme"), "CORG", actor="test")[1]
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/status", headers=bearer).status == 200
    answer = operator.submit("/compte/mot-de-passe", {"current": PASSWORD, "password": "nouveau-secret-12",
                                                       "confirm": "nouveau-secret-12"})
    assert answer.status == 303
    assert "1 jeton d&#039;API révoqué" in operator.get("/compte").text
    assert api.get("/api/v1/status", headers=bearer).status == 401
    # An administrator's reset too.
    token = users.create_token(users.get("gendarme"), "CORG 2", actor="test")[1]
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/status", headers=bearer).status == 200
    target = users.get("gendarme").id
    answer = admin.submit(f"/utilisateurs/{target}", {"action": "password", "password": "autre-secret-123",
                                                           "confirm": "autre-secret-123"},
                          page="/utilisateurs")
    assert answer.status == 303, answer.text
    assert "son jeton d&#039;API révoqué" in admin.get(answer.location).text
    assert api.get("/api/v1/status", headers=bearer).status == 401
    assert AuditLog.select().where(AuditLog.action == "user.password").order_by(AuditLog.id.desc()).get().count == 1
