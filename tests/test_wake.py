"""Queueing an alert wakes the daemon through its control socket (`wake`), from the CLI, the console and
the API, so its workers start at once instead of at their next poll; no daemon listening changes nothing."""

import json
import re
import subprocess
import sys
import time

import pytest

from tests.fixtures_daemon import wait_until
from tests.fixtures_web import add_member
from vigie.daemon.core import config, control, users
from vigie.daemon.core.models import Alert, Heartbeat, ModemStatus

TEXT = "Gendarmerie de l'Orne : essai de la chaîne d'alerte, merci de ne pas répondre."


@pytest.fixture
def listener(tmp_path):
    """A stand-in for the daemon's control socket that records every request."""
    path = str(tmp_path / "control.sock")
    seen = []

    def handle(request):
        seen.append(request)
        return {"ok": True}

    server = control.ControlServer(path, handle, name="wake-test")
    server.start()
    yield path, seen
    server.close()


@pytest.fixture
def web_settings(db_path, listener):
    return config.Settings(database=config.DatabaseSettings(path=db_path),
                           daemon=config.DaemonSettings(control_socket=listener[0]))


def wakes(seen) -> int:
    return sum(1 for r in seen if r.get("cmd") == "wake")


def test_wake_is_best_effort(tmp_path, listener):
    assert control.wake(listener[0]) is True and wakes(listener[1]) == 1
    assert control.wake(str(tmp_path / "nobody.sock")) is False


def test_vigie_alert_send_wakes_the_daemon(tmp_path, listener):
    path, seen = listener
    conf = tmp_path / "vigie.toml"
    conf.write_text(f'[database]\npath = "{tmp_path / "cli.db"}"\n[daemon]\ncontrol_socket = "{path}"\n'
                    "[button]\nenabled = false\n", encoding="utf-8")

    def vigie(*args):
        done = subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "--config", str(conf), *args],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    vigie("member", "add", "--siret", "73282932000074", "--name", "Bijouterie d'Argentan", "--naf", "47.77Z",
          "--commune", "61006", "--phone", "06 12 34 56 78")
    out = vigie("alert", "send", "--text", TEXT, "--all", "--dry-run")
    assert "Rien n'a été envoyé" in out and wakes(seen) == 0
    out = vigie("alert", "send", "--text", TEXT, "--all")
    assert "en file : 1 destinataire" in out
    assert wait_until(lambda: wakes(seen) == 1, 10)


def test_the_console_and_the_api_wake_the_daemon(database, operator, listener):
    _, seen = listener
    Heartbeat.create(component="daemon", pid=1, updated_at=time.time())
    ModemStatus.create(name="hat", state="ready", registered=True)
    add_member(1, commune="61006")
    confirm = operator.submit("/alertes/nouvelle", {"text": TEXT, "action": "preview", "all": "1"},
                              page="/alertes/nouvelle")
    assert "1 téléphone recevra ce message" in confirm.text and wakes(seen) == 0
    form = confirm.text.split('action="/alertes/envoyer"')[1].split("</form>")[0]
    fields = {k: v.replace("&quot;", '"').replace("&#039;", "'").replace("&amp;", "&")
              for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form)}
    answer = operator.post("/alertes/envoyer", fields)
    assert answer.status == 303 and Alert.select().count() == 1
    assert wait_until(lambda: wakes(seen) == 1, 10)

    _, secret = users.create_token(users.User.get(users.User.username == "gendarme"), "essai", actor="test")
    answer = operator.request("POST", "/api/v1/alerts", json={"text": TEXT, "targeting": {"all": True}},
                              headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 201, answer.text
    assert json.loads(answer.text)["recipients"] == 1
    assert wait_until(lambda: wakes(seen) == 2, 10)
