"""The box's health read models are one definition each, and the CLI and the console show the same."""

import json
import pathlib
import time

import pytest

from vigie.daemon.core import status
from vigie.daemon.core.models import Heartbeat, ModemStatus

ROOT = pathlib.Path(__file__).resolve().parent.parent

# The `modems` rows of `vigie status --json`, as the README documents them.
MODEM_FIELDS = {"name", "state", "state_label", "signal", "operator", "registered", "model", "imei",
                "last_contact", "last_error", "sent_count", "updated_at"}


def test_transport_state_labels_are_written_once():
    sources = [p for folder in ("daemon", "web") for p in (ROOT / folder).rglob("*.py")]
    holders = [p.relative_to(ROOT).as_posix() for p in sources
               if "connexion en cours" in p.read_text(encoding="utf-8")]
    assert holders == ["daemon/core/status.py"]


def test_cli_and_console_show_the_same_modem_rows(vigie_cli, operator):
    for n, state in enumerate(status.STATE_LABELS):
        ModemStatus.create(name=f"m{n}", state=state, signal=12, operator="Orange F", registered=True,
                           model="SIMCOM_SIM800", imei="861234567890123", last_contact=time.time(),
                           sent_count=n)
    rc, out, _ = vigie_cli("status", "--json")
    cli_rows = json.loads(out)["modems"]
    assert rc == 0 and all(set(row) == MODEM_FIELDS for row in cli_rows)
    console_rows = operator.get("/etat.json").json()["modems"]
    for shown in (cli_rows, console_rows):
        assert [(r["name"], r["state"], r["state_label"]) for r in shown] == [
            (f"m{n}", state, label) for n, (state, label) in enumerate(status.STATE_LABELS.items())]
    rc, out, _ = vigie_cli("status")
    assert "Modem m1 : connexion en cours" in out
    assert "connexion en cours" in operator.get("/").text


@pytest.mark.parametrize("age,alive", [(0, True), (59.9, True), (60, True), (60.1, False), (3600, False)])
def test_liveness_threshold(database, age, alive):
    Heartbeat.create(component="daemon", pid=7, updated_at=1_000_000.0)
    live = status.daemon_liveness(now=1_000_000.0 + age)
    assert (live.alive, live.age, live.pid) == (alive, pytest.approx(age), 7)
    assert status.daemon_alive(age) is alive


def test_never_started_daemon_is_not_alive(database):
    assert status.daemon_liveness() == status.Liveness(alive=False, age=None, updated_at=None, pid=None)
    assert status.daemon_alive(None) is False


@pytest.mark.parametrize("age,alive", [(20, True), (120, False)])
def test_cli_and_console_agree_on_liveness(vigie_cli, operator, age, alive):
    Heartbeat.create(component="daemon", pid=42, updated_at=time.time() - age)
    rc, out, _ = vigie_cli("status", "--json")
    assert json.loads(out)["daemon"]["alive"] is alive
    assert operator.get("/etat.json").json()["daemon"]["ok"] is alive
    rc, out, _ = vigie_cli("status")
    assert ("en marche" in out) is alive and ("NE RÉPOND PLUS" in out) is not alive
    assert ("Le service d&#039;envoi ne répond plus" in operator.get("/").text) is not alive


def test_a_full_disk_and_a_refused_pin_are_shown_by_the_cli_and_the_console(vigie_cli, operator, db_path):
    """The daemon cannot write the store while the disk is full: its state file beside the database
    says so; a refused PIN is kept in the store, shown whether the daemon runs or not."""
    import peewee

    from vigie.daemon.core import blocks, storage
    ModemStatus.create(name="hat", state="disconnected", last_error="démon arrêté")
    blocks.block("hat", "pin:abc", "code PIN refusé par la carte SIM : corrigez [[modem]] pin ; la box ne le "
                                   "réessaiera pas (il reste 2 essais)")
    trouble = storage.Trouble()
    trouble.attach(db_path)
    trouble.failed(peewee.OperationalError("database or disk is full"), pending=3)
    rc, out, _ = vigie_cli("status")
    assert rc == 0 and "Disque plein depuis le" in out and "3 écritures en attente sont gardées" in out
    assert "Modem hat : déconnecté" in out and "il reste 2 essais" in out
    page = operator.get("/").text
    assert "Disque plein depuis le" in page and "il reste 2 essais" in page
    rc, out, _ = vigie_cli("status", "--json")
    assert json.loads(out)["storage"].startswith("Disque plein")
    trouble.recovered()
    rc, out, _ = vigie_cli("status")
    assert "Disque plein" not in out
