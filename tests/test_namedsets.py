"""Zones, sector groups and presets share one implementation of what a named set is."""

import json

import pytest

from vigie.daemon.core import presets, sectors, zones
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import AuditLog
from vigie.daemon.core.targeting import Targeting

ENTITIES = {
    "zone": (zones, lambda name: zones.create(name, ["61001"], actor="test"), "de la zone", "Zone inconnue"),
    "sector": (sectors, lambda name: sectors.create(name, ["47.77Z"], actor="test"), "du groupe de secteurs",
               "Groupe de secteurs inconnu"),
    "preset": (presets, lambda name: presets.create(name, "Fermez vos accès.", Targeting(all=True),
                                                    actor="test"), "du modèle d'alerte", "Modèle d'alerte inconnu"),
}


@pytest.fixture(params=list(ENTITIES))
def entity(request, database):
    return request.param, *ENTITIES[request.param]


def test_no_module_shadows_list():
    for module in (zones, sectors, presets):
        assert not hasattr(module, "list")


def test_names_are_folded_unique_whatever_the_case_and_listed_in_order(entity):
    kind, module, create, _, _ = entity
    row = create("  Secteur   de  Flers ")
    assert row.name == "Secteur de Flers"
    create("Argentan")
    assert [r.name for r in module.list_all()] == ["Argentan", "Secteur de Flers"]
    assert module.get("secteur DE flers").id == row.id
    with pytest.raises(InvalidInput) as refused:
        create("SECTEUR DE FLERS")
    assert refused.value.field == "name" and "« SECTEUR DE FLERS » existe déjà." in refused.value.message
    assert AuditLog.select().where(AuditLog.action == f"{kind}.add").count() == 2


@pytest.mark.parametrize("name,words", [("", "est obligatoire"), ("   ", "est obligatoire"),
                                        ("x" * 81, "ne doit pas dépasser 80 caractères")])
def test_bad_names_are_refused_in_french(entity, name, words):
    _, module, create, of_the, _ = entity
    with pytest.raises(InvalidInput) as refused:
        create(name)
    assert refused.value.field == "name" and refused.value.message == f"Le nom {of_the} {words}."
    assert module.list_all() == []


def test_rename_delete_and_not_found(entity):
    kind, module, create, _, unknown = entity
    first, second = create("Alpha"), create("Beta")
    renamed = module.update("alpha", actor="test", new_name="ALPHA")        # its own name, another case
    assert renamed.name == "ALPHA"
    with pytest.raises(InvalidInput):
        module.update("ALPHA", actor="test", new_name=" beta ")
    assert module.get_by_id(first.id).name == "ALPHA"
    module.delete("beta", "test")
    assert [r.name for r in module.list_all()] == ["ALPHA"]
    assert AuditLog.get(AuditLog.action == f"{kind}.delete").target == "Beta"
    with pytest.raises(NotFound) as missing:
        module.get("Beta")
    assert str(missing.value) == f"{unknown} : « Beta »."
    with pytest.raises(NotFound) as missing:
        module.get_by_id(second.id)
    assert str(missing.value).endswith(f"n° {second.id} introuvable.")


def test_cli_list_show_delete_of_zones_and_sector_groups(vigie_cli):
    vigie_cli("zone", "add", "Bocage", "--commune", "61001", "--description", "autour de Flers")
    vigie_cli("sector", "add", "Bijouteries", "--code", "47.77Z")
    rc, out, _ = vigie_cli("zone", "list")
    assert rc == 0 and out.splitlines()[-1] == "1 zone." and "autour de Flers" in out
    rc, out, _ = vigie_cli("zone", "show", "bocage")
    assert rc == 0 and out.splitlines()[0] == "Bocage — 1 commune : autour de Flers"
    assert out.splitlines()[1].split() == ["61001", "Alençon"]
    rc, out, _ = vigie_cli("sector", "list", "--json")
    assert [g["name"] for g in json.loads(out)] == ["Bijouteries"]
    rc, out, _ = vigie_cli("sector", "show", "BIJOUTERIES")
    assert rc == 0 and out.splitlines()[0].startswith("Bijouteries — 1 sous-classe NAF")
    rc, out, _ = vigie_cli("zone", "delete", "BOCAGE")
    assert rc == 0 and out.strip() == "Zone « Bocage » supprimée."
    rc, out, _ = vigie_cli("sector", "delete", "bijouteries")
    assert rc == 0 and out.strip() == "Groupe « Bijouteries » supprimé."
    rc, _, err = vigie_cli("zone", "delete", "Bocage")
    assert rc == 1 and "Zone inconnue : « Bocage »." in err
