"""The JSON API: bearer tokens, owner's role, alerts creation and reading, status, French errors."""

import time

import pytest

from vigie.daemon.core import sectors, users
from vigie.daemon.core.models import Alert, ApiToken, Heartbeat, Message, ModemStatus

from .fixtures_web import ARGENTAN, PASSWORD, Client, add_member

TEXT = "Cambriolages en série à Argentan cette nuit : fermez vos accès, signalez tout fait suspect au 17."


def token_for(name: str, role: str) -> str:
    user = users.create(name, PASSWORD, role, actor="test")
    return users.create_token(user, "essai", actor="test")[1]


@pytest.fixture
def api(app):
    class Api(Client):
        def call(self, method, path, token, **kw):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            headers.update(kw.pop("headers", {}))
            return self.request(method, path, headers=headers, **kw)
    return Api(app)


def test_create_and_read_an_alert(database, api):
    sectors.create("bijouteries", "47.77Z", actor="test")
    add_member(1)
    add_member(2, commune="61001")
    token = token_for("corg", "operator")
    answer = api.call("POST", "/api/v1/alerts", token, json={
        "text": TEXT, "targeting": {"sectors": ["bijouteries"], "communes": [ARGENTAN]}, "expires_hours": 3})
    assert answer.status == 201, answer.text
    body = answer.json()
    assert body["recipients"] == 1 and body["parts"] == 1 and body["encoding"] == "gsm7"
    alert = Alert.get_by_id(body["id"])
    assert alert.source == "api" and alert.author == "corg"
    assert 2.9 * 3600 < alert.expires_at - alert.created_at < 3.1 * 3600
    assert Message.select().count() == 1

    summary = api.call("GET", f"/api/v1/alerts/{alert.id}", token).json()
    assert summary["id"] == alert.id and summary["counts"]["queued"] == 1 and summary["text"] == TEXT
    missing = api.call("GET", "/api/v1/alerts/999", token)
    assert missing.status == 404 and "introuvable" in missing.json()["erreur"]
    assert ApiToken.get().last_used is not None


@pytest.mark.parametrize("body, field", [
    ({"targeting": {"all": True}}, "text"),
    ({"text": TEXT}, "targeting"),
    ({"text": TEXT, "targeting": {}}, "targeting"),
    ({"text": TEXT, "targeting": {"zones": ["inconnue"]}}, "zones"),
    ({"text": TEXT, "targeting": {"sectors": 5}}, "sectors"),
    ({"text": TEXT, "targeting": {"all": True}, "expires_hours": "demain"}, "expires_hours"),
    ({"text": TEXT, "targeting": {"all": True}, "expires_hours": 500}, "expires_hours"),
    ({"text": TEXT, "targeting": {"all": True}, "expires_hours": True}, "expires_hours"),
    ({"text": "", "targeting": {"all": True}}, "text"),
])
def test_bad_requests_get_french_400_and_create_nothing(database, api, body, field):
    add_member(1)
    token = token_for("corg", "operator")
    answer = api.call("POST", "/api/v1/alerts", token, json=body)
    assert answer.status == 400, answer.text
    assert answer.json()["champ"] == field and answer.json()["erreur"]
    assert Alert.select().count() == 0 and Message.select().count() == 0


def test_unreadable_json_and_oversized_bodies(database, api):
    token = token_for("corg", "operator")
    answer = api.call("POST", "/api/v1/alerts", token, body=b"{pas du json",
                      headers={"Content-Type": "application/json"})
    assert answer.status == 400 and "illisible" in answer.json()["erreur"]
    answer = api.call("POST", "/api/v1/alerts", token, body=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert answer.status == 400 and "objet JSON" in answer.json()["erreur"]
    answer = api.call("POST", "/api/v1/alerts", token, json={"text": "x" * 70_000, "targeting": {"all": True}})
    assert answer.status == 413 and "trop volumineux" in answer.json()["erreur"]
    assert Alert.select().count() == 0


def test_tokens_and_roles(database, api):
    add_member(1)
    manager = token_for("cci", "manager")
    for method, path in (("POST", "/api/v1/alerts"), ("GET", "/api/v1/alerts/1"), ("GET", "/api/v1/status")):
        answer = api.call(method, path, manager, json={"text": TEXT, "targeting": {"all": True}})
        assert answer.status == 403 and "rôle" in answer.json()["erreur"], path
        for bad in (None, "vg_inventé", manager + "x"):
            answer = api.call(method, path, bad, json={})
            assert answer.status == 401 and answer.json()["erreur"], (path, bad)
        answer = api.call(method, path, None, json={}, headers={"Authorization": f"Basic {manager}"})
        assert answer.status == 401
    assert Alert.select().count() == 0
    users.set_disabled(users.get("cci"), True, actor="test")
    assert api.call("GET", "/api/v1/status", manager).status == 401


def test_status(database, api):
    token = token_for("corg", "operator")
    data = api.call("GET", "/api/v1/status", token).json()
    assert data["daemon"]["ok"] is False and data["daemon_heartbeat_age"] is None
    Heartbeat.create(component="daemon", pid=42, updated_at=time.time() - 3)
    ModemStatus.create(name="hat", state="ready", signal=20, operator="SFR", registered=True)
    data = api.call("GET", "/api/v1/status", token).json()
    assert data["daemon"]["ok"] is True and 2 <= data["daemon_heartbeat_age"] < 60
    assert data["modems"][0]["name"] == "hat" and data["modems"][0]["state_label"] == "prêt"
    assert data["queue"]["queued"] == 0 and data["queue_depth"] == 0


# --- strict validation (issue 14): a typo or a wrong type never widens an alert ---------------------

def population():
    """35 members around Argentan, 5 of them jewellers; 127 in sectors G and F elsewhere."""
    sectors.create("bijouteries", "47.77Z", actor="test")
    for i in range(1, 6):
        add_member(i)                                   # 47.77Z in Argentan
    for i in range(6, 36):
        add_member(i, naf="56.10A", name=f"Restaurant {i}")
    return 5


@pytest.mark.parametrize("body, field", [
    ({"text": TEXT, "targeting": {"sector": ["bijouteries"], "around": ARGENTAN, "radius_km": 20}}, "sector"),
    ({"text": TEXT, "targeting": {"sectors": "GF"}}, "sectors"),
    ({"text": TEXT, "targeting": {"all": "false"}}, "all"),
    ({"text": TEXT, "targeting": {"all": "true"}}, "all"),
    ({"text": TEXT, "targeting": {"all": 1}}, "all"),
    ({"text": TEXT, "targeting": {"all": False}}, "targeting"),
    ({"text": TEXT, "targeting": {"sectors": []}}, "targeting"),
    ({"text": TEXT, "targeting": {"sectors": ["bijouteries"], "all": True}}, "all"),
    ({"text": TEXT, "targeting": {"communes": ARGENTAN}}, "communes"),
    ({"text": TEXT, "targeting": {"members": [12345]}}, "members"),
    ({"text": TEXT, "targeting": {"around": ARGENTAN, "radius_km": "20"}}, "radius_km"),
    ({"text": TEXT, "targeting": {"around": 61006, "radius_km": 20}}, "around"),
    ({"text": TEXT, "targeting": {"sectors": [""]}}, "sectors"),
    ({"text": TEXT, "targeting": ["bijouteries"]}, "targeting"),
    ({"text": TEXT, "targeting": {"all": True}, "dry_run": "true"}, "dry_run"),
    ({"text": TEXT, "targeting": {"all": True}, "dryrun": True}, "dryrun"),
    ({"text": TEXT, "targeting": {"all": True}, "priority": 100}, "priority"),
    ({"text": TEXT, "targeting": {"all": True}, "expires_hours": True}, "expires_hours"),
])
def test_unknown_fields_and_wrong_types_are_refused_and_queue_nothing(database, api, body, field):
    population()
    token = token_for("corg", "operator")
    answer = api.call("POST", "/api/v1/alerts", token, json=body)
    assert answer.status == 400, answer.text
    error = answer.json()
    assert error["champ"] == field, error
    assert f"« {field} »" in error["erreur"] or field == "targeting", error
    assert Alert.select().count() == 0 and Message.select().count() == 0


def test_dry_run_answers_like_the_preview_and_sends_nothing(database, api):
    reached = population()
    token = token_for("corg", "operator")
    body = {"text": TEXT, "targeting": {"sectors": ["bijouteries"], "around": ARGENTAN, "radius_km": 20},
            "dry_run": True}
    answer = api.call("POST", "/api/v1/alerts", token, json=body)
    assert answer.status == 200, answer.text
    data = answer.json()
    assert data["dry_run"] is True and data["recipients"] == reached and data["parts"] == 1
    assert data["sms_total"] == reached and data["estimated_seconds"] > 0 and data["estimate"]
    assert "bijouteries" in data["description"] and "20 km autour" in data["description"]
    assert len(data["first_recipients"]) == reached and data["first_recipients"][0]["phone"].startswith("06")
    assert "id" not in data
    assert Alert.select().count() == 0 and Message.select().count() == 0
    del body["dry_run"]
    answer = api.call("POST", "/api/v1/alerts", token, json=body)
    assert answer.status == 201 and answer.json()["recipients"] == reached
    assert Message.select().count() == reached


def test_idempotency_key_creates_one_alert_and_a_replay_returns_it(database, api):
    population()
    token = token_for("corg", "operator")
    body = {"text": TEXT, "targeting": {"sectors": ["bijouteries"]}}
    first = api.call("POST", "/api/v1/alerts", token, json=body, headers={"Idempotency-Key": "essai-1"})
    assert first.status == 201, first.text
    again = api.call("POST", "/api/v1/alerts", token, json=body, headers={"Idempotency-Key": "essai-1"})
    assert again.status == 200 and again.json()["id"] == first.json()["id"] and again.json()["replayed"]
    assert Alert.select().count() == 1 and Message.select().count() == 5
    other = dict(body, text=TEXT + " Deuxième.")
    conflict = api.call("POST", "/api/v1/alerts", token, json=other, headers={"Idempotency-Key": "essai-1"})
    assert conflict.status == 409 and conflict.json()["champ"] == "Idempotency-Key"
    assert "autre alerte" in conflict.json()["erreur"]
    fresh = api.call("POST", "/api/v1/alerts", token, json=body, headers={"Idempotency-Key": "essai-2"})
    assert fresh.status == 201 and fresh.json()["id"] != first.json()["id"]
    # Another account's key with the same text is its own.
    other_token = token_for("autre", "operator")
    mine = api.call("POST", "/api/v1/alerts", other_token, json=body, headers={"Idempotency-Key": "essai-1"})
    assert mine.status == 201
    assert Alert.select().count() == 3
    bad = api.call("POST", "/api/v1/alerts", token, json=body, headers={"Idempotency-Key": "x" * 300})
    assert bad.status == 400 and bad.json()["champ"] == "Idempotency-Key"
    assert Alert.select().count() == 3
