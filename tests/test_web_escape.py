"""HTML and script payloads in every stored field come back escaped on every page that shows them."""

import re

import pytest

from vigie.daemon.core import alerts, presets, sectors, users, zones
from vigie.daemon.core.models import InboundSms
from vigie.daemon.core.targeting import Targeting

from .fixtures_web import FLERS, PASSWORD, Client, add_member

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
USER_PAYLOAD = "<script>alert(1)</script>"       # user names take no spaces
ESCAPED = "&lt;script&gt;alert("


@pytest.fixture
def hostile(database, app):
    """Every stored field holding a payload, and an admin whose very name is one."""
    settings = app.config["vigie.settings"]
    users.create(USER_PAYLOAD, PASSWORD, "admin", actor="test")
    client = Client(app)
    assert client.login(USER_PAYLOAD).status == 303
    sectors.create("groupe " + PAYLOAD, "47.77Z", actor="test")
    zones.create("zone " + PAYLOAD, [FLERS], description=PAYLOAD, actor="test")
    member = add_member(1, name="nom " + PAYLOAD, sign="enseigne " + PAYLOAD, notes=PAYLOAD,
                        contact="contact " + PAYLOAD, address=PAYLOAD, commune=FLERS)
    presets.create("modèle " + PAYLOAD, "texte du modèle " + PAYLOAD, Targeting(zones=["zone " + PAYLOAD]),
                   actor="test")
    alert = alerts.create("alerte " + PAYLOAD, Targeting(zones=["zone " + PAYLOAD]), settings=settings,
                          author=USER_PAYLOAD, source="console")
    InboundSms.create(modem="hat", phone="+33612000001", text="sms " + PAYLOAD, kind="incident",
                      member=member.id)
    preset = presets.get("modèle " + PAYLOAD)
    return client, member, alert, preset


def assert_escaped(answer, path, *, expect: int = 1):
    assert answer.status == 200, (path, answer.status)
    assert "<script>alert" not in answer.text, path
    assert "<img src=x" not in answer.text, path
    assert answer.text.count("&lt;script&gt;alert") >= expect, path


def test_every_page_escapes_stored_fields(hostile):
    client, member, alert, preset = hostile
    zone = zones.get("zone " + PAYLOAD)
    group = sectors.get("groupe " + PAYLOAD)
    pages = {
        "/": 3,                                   # user name, alert text, incoming SMS, member
        "/adherents": 3,                          # name, sign, zone and group filters
        f"/adherents/{member.id}": 4,             # name, sign, notes, contact, address
        f"/adherents/{member.id}/effacer": 1,
        "/alertes": 3,                            # text, targeting (zone), author
        f"/alertes/{alert.id}": 3,                # text, author, targeting, member
        "/alertes/nouvelle": 3,                   # zone and group check-boxes, preset names
        f"/alertes/nouvelle?modele={preset.name}": 3,
        "/messages": 2,                           # SMS text, member
        "/zones": 2,
        f"/zones/{zone.id}": 2,
        "/secteurs": 1,
        f"/secteurs/{group.id}": 1,
        "/modeles": 3,
        f"/modeles/{preset.id}": 2,
        "/utilisateurs": 2,
        "/journal": 2,
        "/compte": 1,
    }
    for path, expect in pages.items():
        assert_escaped(client.get(path), path, expect=expect)


def test_confirmation_and_errors_escape_what_was_typed(hostile):
    client, member, alert, preset = hostile
    confirm = client.submit("/alertes/nouvelle", {"text": "alerte " + PAYLOAD, "zone": "zone " + PAYLOAD,
                                                  "action": "preview"}, page="/alertes/nouvelle")
    assert_escaped(confirm, "confirmation", expect=2)
    refused = client.submit("/adherents/nouveau", {"name": PAYLOAD, "siret": "x" + PAYLOAD, "phones": PAYLOAD},
                            page="/adherents/nouveau")
    assert refused.status == 400
    assert "<script>alert" not in refused.text and "&lt;script&gt;" in refused.text
    refused = client.submit("/zones", {"name": PAYLOAD, "commune": ["<b>"]}, page="/zones")
    assert refused.status == 400 and "<script>alert" not in refused.text and "<b>" not in refused.text


def test_json_answers_carry_payloads_as_data(hostile):
    client, member, alert, preset = hostile
    data = client.get(f"/alertes/{alert.id}/etat.json")
    assert data.header("Content-Type").startswith("application/json")
    assert data.json()["summary"]["text"] == "alerte " + PAYLOAD
    assert data.json()["recipients"][0]["member"] == "nom " + PAYLOAD
    export = client.get(f"/adherents/{member.id}/donnees.json")
    assert export.json()["member"]["notes"] == PAYLOAD
    assert export.header("Content-Type").startswith("application/json")


def test_templates_never_print_unescaped_values():
    """Only the layout's own ``{{!base}}`` may bypass escaping, and the map's SVG, which
    web/carte.py writes escaping every text itself (tests/test_carte.py proves it)."""
    import pathlib
    views = pathlib.Path(__file__).resolve().parent.parent / "web" / "views"
    raw = [(p.name, m) for p in views.glob("*.tpl") for m in re.findall(r"\{\{!\s*(\w+)", p.read_text())]
    assert sorted(raw) == [("base.tpl", "base"), ("carte.tpl", "svg")]


def test_the_web_package_imports_no_modem_or_gpio_code():
    import subprocess
    import sys
    code = ("import sys, vigie.web.app; "
            "bad = [m for m in sys.modules if m.startswith(('gsmmodem', 'gpiozero', 'serial')) "
            "or m in ('vigie.daemon.transport.gsm.modem', 'vigie.daemon.box.gpio', 'vigie.daemon.transport.worker')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
