"""Targeting over a generated population of 3000 members on the real Orne communes."""

import math

import pytest

from vigie.daemon.core import defaults, sectors, targeting, zones
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Contact, Member, OptOut
from vigie.daemon.core.targeting import Targeting


def km(a, b):
    """Independent great-circle distance, to check the radius edges."""
    (lat1, lon1), (lat2, lon2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def expected_phones(pop, *, naf=None, communes=None, sirets=(), all_=False, opted_out=()):
    result = []
    for m in sorted(pop.members, key=lambda m: (m["name"], m["id"])):
        if m["status"] != "active":
            continue
        hit = all_ or m["siret"] in sirets
        if not hit and (naf is not None or communes is not None):
            hit = (naf is None or m["naf"] in naf) and (communes is None or m["commune"] in communes)
        if hit:
            result.extend(p for p in m["phones"] if p not in result and p not in opted_out)
    return result


def phones(t):
    return [r.phone for r in targeting.resolve(t)]


def test_all_active_members_once_per_phone(population):
    got = phones(Targeting(all=True))
    assert got == expected_phones(population, all_=True)
    assert len(got) == len(set(got))
    assert got.count(population.shared_phone) == 1


def test_sector_levels(population):
    assert phones(Targeting(sectors=["47.77Z"])) == expected_phones(population, naf={"47.77Z"})
    assert phones(Targeting(sectors=["4777Z"])) == expected_phones(population, naf={"47.77Z"})
    retail = {"47.77Z", "47.26Z", "47.73Z", "47.30Z", "47.11B", "47.71Z"}
    assert phones(Targeting(sectors=["rev2:47"])) == expected_phones(population, naf=retail)
    assert phones(Targeting(sectors=["rev2:G"])) == expected_phones(population, naf=retail | {"45.20A", "45.20B"})
    assert phones(Targeting(sectors=["rev2:47.7"])) == expected_phones(population, naf={"47.77Z", "47.73Z", "47.71Z"})
    assert phones(Targeting(sectors=["rev2:01"])) == expected_phones(population, naf={"01.11Z", "01.41Z", "01.50Z"})


def test_sector_groups(population):
    defaults.ensure_defaults()
    assert phones(Targeting(sectors=["garages"])) == expected_phones(population, naf={"45.20A", "45.20B"})
    assert phones(Targeting(sectors=["BTP"])) == expected_phones(population, naf={"43.21A", "41.20A"})
    assert phones(Targeting(sectors=["bijouteries", "47.26Z"])) == expected_phones(population, naf={"47.77Z", "47.26Z"})
    sectors.create("boulangeries", ["10.71C"], actor="test")
    assert phones(Targeting(sectors=["Boulangeries"])) == expected_phones(population, naf={"10.71C"})


def test_communes_and_zones_or_together_and_sector_and(population):
    zones.create("test nord", ["61169", "61214"], actor="test")
    t = Targeting(sectors=["47.77Z", "47.26Z"], communes=["61001"], zones=["test nord"])
    want = expected_phones(population, naf={"47.77Z", "47.26Z"}, communes={"61001", "61169", "61214"})
    assert phones(t) == want
    assert want


def test_former_commune_code_targets_current_commune(population):
    assert phones(Targeting(communes=["61003"])) == expected_phones(population, communes={"61167"})


@pytest.mark.parametrize("centre,radius", [("61464", 15.0), ("61169", 10.0), ("61001", 0.0), ("61006", 35.5)])
def test_radius_matches_independent_distance(population, centre, radius):
    inside = {c for c, pos in population.communes.items()
              if km(population.communes[centre], pos) <= radius} | {centre}
    assert phones(Targeting(around=centre, radius_km=radius)) == expected_phones(population, communes=inside)


def test_radius_edge_is_inclusive_and_just_outside_excluded(population):
    centre = "61464"                 # Sées
    others = sorted((km(population.communes[centre], pos), c) for c, pos in population.communes.items() if c != centre)
    distance, nearest = others[0]
    with_it = Targeting(around=centre, radius_km=distance + 1e-6).area_communes()
    without = Targeting(around=centre, radius_km=distance - 1e-3).area_communes()
    assert nearest in with_it
    assert nearest not in without and centre in without


def test_explicit_members_are_added_to_criteria(population):
    pick = [m for m in population.members if m["naf"] == "62.01Z" and m["status"] == "active"][:2]
    t = Targeting(sectors=["47.77Z"], members=[m["siret"] for m in pick])
    assert phones(t) == expected_phones(population, naf={"47.77Z"}, sirets={m["siret"] for m in pick})
    only = Targeting(members=[pick[0]["siret"]])
    assert phones(only) == pick[0]["phones"]


def test_suspended_and_left_never_reached_even_when_chosen(population):
    suspended = next(m for m in population.members if m["status"] == "suspended")
    left = next(m for m in population.members if m["status"] == "left")
    assert phones(Targeting(members=[suspended["siret"], left["siret"]])) == []
    everyone = set(phones(Targeting(all=True)))
    assert not everyone & set(suspended["phones"] + left["phones"])


def test_opted_out_phones_excluded(population):
    victims = [population.members[0]["phones"][0], population.shared_phone]
    for p in victims:
        OptOut.create(phone=p)
    got = phones(Targeting(all=True))
    assert not set(victims) & set(got)
    assert got == expected_phones(population, all_=True, opted_out=set(victims))


def test_recipient_fields_and_deterministic_order(population):
    first = targeting.resolve(Targeting(communes=["61001"]))
    assert first == targeting.resolve(Targeting(communes=["61001"]))
    r = first[0]
    member = Member.get_by_id(r.member_id)
    assert (r.member_name, r.siret, r.commune) == (member.name, member.siret, "Alençon")
    assert Contact.select().where((Contact.member == r.member_id) & (Contact.phone == r.phone)).exists()


@pytest.mark.parametrize("t,field", [
    (Targeting(), "targeting"),
    (Targeting(sectors=["99.99Z"]), "sectors"),
    (Targeting(sectors=["pas un groupe"]), "sectors"),
    (Targeting(zones=["zone inconnue"]), "zones"),
    (Targeting(communes=["75056"]), "communes"),
    (Targeting(radius_km=10), "around"),
    (Targeting(around="61001"), "radius_km"),
    (Targeting(around="61001", radius_km=-1), "radius_km"),
    (Targeting(around="99999", radius_km=5), "around"),
    (Targeting(members=["73282932000075"]), "members"),
    (Targeting(members=["73282932000074"]), "members"),     # valid but not a member
])
def test_validate_refuses_with_field(database, t, field):
    with pytest.raises(InvalidInput) as e:
        t.validate()
    assert e.value.field == field


def test_json_round_trip_and_describe(database):
    defaults.ensure_defaults()
    t = Targeting(sectors=["bijouteries"], around="61464", radius_km=15.0)
    assert Targeting.from_json(t.to_json()) == t
    assert t.describe() == "bijouteries, 15 km autour de Sées"
    assert Targeting(all=True).describe() == "tous les adhérents actifs"
    assert Targeting(communes=["61001", "61003"], zones=["secteur de Flers"]).describe() == \
        "Alençon, La Ferté-en-Ouche ou secteur de Flers"
    assert Targeting(sectors=["47.77Z"], members=[]).describe().startswith("47.77Z (")


def test_preview_counts_and_estimate(population, domain_settings, two_modem_settings):
    t = Targeting(sectors=["47.77Z"])
    n = len(expected_phones(population, naf={"47.77Z"}))
    p = targeting.preview(t, "Cambriolage en cours, soyez vigilants.", domain_settings)
    assert (p.count, p.parts, p.encoding, p.sms_total) == (n, 1, "gsm7", n)
    assert p.estimated_seconds == n * domain_settings.alerts.seconds_per_sms
    long_text = "Œ" + "x" * 100          # UCS-2, two parts
    p2 = targeting.preview(t, long_text, two_modem_settings)
    assert (p2.encoding, p2.parts, p2.sms_total) == ("ucs2", 2, 2 * n)
    assert p2.estimated_seconds == math.ceil(2 * n / 2) * domain_settings.alerts.seconds_per_sms


def test_defaults_are_idempotent(database):
    from vigie.daemon.core import presets
    first = defaults.ensure_defaults()
    assert first["sector_groups"] == 8 and first["presets"] == 1 and first["zones"] >= 6
    assert defaults.ensure_defaults() == {"sector_groups": 0, "zones": 0, "presets": 0}
    arrondissements = [z.name for z in zones.list_all() if z.name.startswith("arrondissement")]
    assert sorted(arrondissements) == ["arrondissement d'Alençon", "arrondissement d'Argentan",
                                       "arrondissement de Mortagne-au-Perche"]
    assert sum(len(zones.communes_of(n)) for n in arrondissements) == len(population_communes())
    flers = zones.communes_of("secteur de Flers")
    assert "61169" in flers and "61001" not in flers
    panic = presets.get("panique")
    assert panic.priority == 100 and presets.targeting_of(panic) == Targeting(all=True)
    assert len(sectors.expand(["exploitations agricoles"])) > 10


def population_communes():
    from vigie.daemon.core.models import Commune
    return list(Commune.select())
