"""No trap in a click: sector names as people type them, « tous » never silently overriding the
other choices, a cancellation confirmed, a cancelled alert never shown as complete."""

import pytest

from vigie.daemon.core import alerts, sectors, zones
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Alert
from vigie.daemon.core.targeting import Targeting

from .fixtures_web import ARGENTAN, FLERS, add_member


def _groups():
    sectors.create("bijouteries", "47.77Z", actor="test")
    sectors.create("tabac-presse", "47.26Z", actor="test")
    zones.create("bocage", [FLERS], actor="test")


def test_sector_names_as_people_type_them(database):
    _groups()
    assert sectors.expand(["tabac"]) == sectors.expand(["tabac-presse"])
    assert sectors.expand(["Bijouterie"]) == sectors.expand(["bijouteries"])
    assert sectors.expand(["bijoutier"]) == sectors.expand(["bijouteries"])
    with pytest.raises(InvalidInput) as e:
        sectors.expand(["bijoutteries"])
    assert "Vouliez-vous dire : « bijouteries »" in e.value.message
    values = [s["value"] for s in sectors.suggest("taba")]
    assert values[0] == "tabac-presse" and any(v[:2].isdigit() for v in values[1:])
    with pytest.raises(InvalidInput) as e:
        Targeting(zones=["bocag"]).validate()
    assert "« bocage »" in e.value.message


def test_all_members_does_not_silently_override_other_choices(database):
    _groups()
    with pytest.raises(InvalidInput) as e:
        Targeting(all=True, sectors=["bijouteries"]).validate()
    assert e.value.field == "all" and "exclut les autres choix" in e.value.message
    Targeting(all=True).validate()


def test_composer_marks_the_other_choices_and_suggests_sectors(database, operator):
    _groups()
    page = operator.get("/alertes/nouvelle")
    assert 'id="other-choices"' in page.text and 'list="sector-suggestions"' in page.text
    data = operator.get("/secteurs/suggestions.json?q=bijou").json()
    assert data["suggestions"][0]["value"] == "bijouteries"
    refused = operator.submit("/alertes/nouvelle", {"text": "Texte", "action": "preview", "all": "1",
                                                    "sector_group": "bijouteries"}, page="/alertes/nouvelle")
    assert refused.status == 400 and "exclut les autres choix" in refused.text


def test_a_cancelled_alert_is_shown_as_cancelled(database, operator, app):
    add_member(1, commune=ARGENTAN)
    add_member(2, commune=FLERS)
    alert = alerts.create("Texte.", Targeting(all=True), settings=app.config["vigie.settings"], author="chef",
                          source="console")
    operator.submit(f"/alertes/{alert.id}/annuler", {"confirme": "1"}, page=f"/alertes/{alert.id}")
    assert Alert.get_by_id(alert.id).state == "cancelled"
    page = operator.get(f"/alertes/{alert.id}")
    assert 'class="state-cancelled" max="2" value="0"' in page.text
    assert "2 messages ne sont pas partis" in page.text
