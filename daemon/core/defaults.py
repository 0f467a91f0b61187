"""The reference sector groups, zones and panic preset of the Orne, created once and never overwritten."""

from vigie.daemon.core import outbox
from vigie.daemon.core.models import Commune, Preset, SectorGroup, Zone, ZoneCommune, database
from vigie.daemon.core.reference import geo
from vigie.daemon.core.targeting import Targeting

ACTOR = "système"

# Each group is defined in both nomenclatures, chosen by hand from the labels (NAF rév. 2 codes, then
# NAF 2025 ones): "bijouteries" is 47.77Z and 47.77Y, not the retail intermediation (47.92J) that
# 47.77Z also leads to. A group defined in both follows no correspondence link.
_AGRICULTURE = " ".join(f"{n}:01.{g}" for n in ("rev2", "2025") for g in "12345")
# NAF 2025 47.8 is the retail of motor vehicles (rév. 2 section G 45), 47.9 retail intermediation.
_RETAIL_2025 = " ".join(f"2025:47.{g}" for g in "1234567")
SECTOR_GROUPS = [
    ("bijouteries", "47.77Z 47.77Y", "Commerce de détail d'horlogerie et de bijouterie"),
    ("tabac-presse", "47.26Z 47.26Y", "Débits de tabac"),
    ("pharmacies", "47.73Z 47.73Y", "Pharmacies"),
    ("exploitations agricoles", _AGRICULTURE, "Cultures, élevage, culture et élevage associés"),
    ("BTP", "rev2:F 2025:F", "Construction (section F)"),
    ("commerces de détail", f"rev2:47 {_RETAIL_2025}", "Commerce de détail, sauf automobiles et motocycles"),
    ("garages", "45.20A 45.20B 95.31G 95.31H", "Entretien et réparation de véhicules automobiles"),
    ("stations-service", "47.30Z 47.30Y", "Commerce de détail de carburants"),
]
# The rév. 2-only definitions shipped before NAF 2025: a group still holding one of them is brought to
# the definition above by migration 5; a group an operator changed is left as it is.
FORMER_SECTOR_GROUPS = {
    "bijouteries": "47.77Z", "tabac-presse": "47.26Z", "pharmacies": "47.73Z",
    "exploitations agricoles": "01.1 01.2 01.3 01.4 01.5", "BTP": "F", "commerces de détail": "47",
    "garages": "45.20A 45.20B", "stations-service": "47.30Z",
}

# (zone name, centre INSEE code, radius in km, description)
NAMED_ZONES = [
    ("secteur de Flers", "61169", 10.0, "Flers et les communes à moins de 10 km"),
    ("secteur d'Alençon", "61001", 10.0, "Alençon et les communes à moins de 10 km"),
    ("secteur d'Argentan", "61006", 10.0, "Argentan et les communes à moins de 10 km"),
    ("secteur de L'Aigle", "61214", 10.0, "L'Aigle et les communes à moins de 10 km"),
    ("secteur de Mortagne-au-Perche", "61293", 10.0, "Mortagne-au-Perche et les communes à moins de 10 km"),
    ("secteur de La Ferté Macé", "61168", 8.0, "La Ferté Macé et les communes à moins de 8 km"),
]

PANIC_PRESET = "panique"
PANIC_TEXT = ("GENDARMERIE ORNE - ALERTE : vague de cambriolages en cours dans le département. "
              "Fermez vos accès, signalez tout fait suspect au 17.")


def arrondissement_zone_name(name: str) -> str:
    article = "d'" if name[:1].upper() in "AEIOUYÉÈÊÂ" else "de "
    return f"arrondissement {article}{name}"


def _zone(name: str, codes: list[str], description: str) -> bool:
    if not codes or Zone.select().where(Zone.name == name).exists():
        return False
    zone = Zone.create(name=name, description=description)
    ZoneCommune.insert_many([{"zone": zone.id, "commune": c} for c in sorted(set(codes))]).execute()
    return True


def ensure_defaults() -> dict:
    """Create the defaults missing (by name); what operators changed is left as it is. Idempotent."""
    created = {"sector_groups": 0, "zones": 0, "presets": 0}
    with database.atomic("IMMEDIATE"):
        for name, codes, description in SECTOR_GROUPS:
            if not SectorGroup.select().where(SectorGroup.name == name).exists():
                SectorGroup.create(name=name, codes=codes, description=description)
                created["sector_groups"] += 1
        arrondissements = {}
        for insee, name in (Commune.select(Commune.insee, Commune.arrondissement_name)
                            .where(Commune.arrondissement_name != "").tuples()):
            arrondissements.setdefault(name, []).append(insee)
        for name, codes in sorted(arrondissements.items()):
            created["zones"] += _zone(arrondissement_zone_name(name), codes,
                                      f"Communes de l'{arrondissement_zone_name(name)}")
        for name, centre, radius, description in NAMED_ZONES:
            if Commune.get_or_none(Commune.insee == centre) is None:
                continue
            codes = set(geo.communes_within(centre, radius)) | {centre}
            created["zones"] += _zone(name, list(codes), description)
        if not Preset.select().where(Preset.name == PANIC_PRESET).exists():
            Preset.create(name=PANIC_PRESET, text=PANIC_TEXT, targeting=Targeting(all=True).to_json(),
                          priority=outbox.PRIORITY_PANIC)
            created["presets"] += 1
    return created
