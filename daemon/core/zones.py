"""Named zones: sets of communes ("arrondissement d'Argentan", "secteur de Flers")."""

from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Commune, Zone, ZoneCommune, database
from vigie.daemon.core.namedsets import NamedSet, Noun, clean_items
from vigie.daemon.core.reference import validate
from vigie.daemon.core.reference.french import collation_key

ZONES = NamedSet(Zone, kind="zone", noun=Noun("Zone", "la zone", "de la zone", "Zone inconnue"))
find, get, get_by_id, list_all, delete = (ZONES.find, ZONES.get, ZONES.get_by_id, ZONES.list_all,
                                         ZONES.delete)


def clean_communes(codes) -> list[str]:
    """Current INSEE codes (former communes mapped), duplicates dropped, order kept."""
    return clean_items(codes, validate.insee_code, "communes")


def communes_of(zone: Zone | str) -> list[str]:
    """INSEE codes of a zone (or of the zone of that name)."""
    if isinstance(zone, str):
        zone = get(zone)
    return [row[0] for row in ZoneCommune.select(ZoneCommune.commune)
            .where(ZoneCommune.zone == zone.id).order_by(ZoneCommune.commune).tuples()]


def commune_names(zone: Zone | str) -> list[str]:
    codes = communes_of(zone)
    return sorted((c.name for c in Commune.select(Commune.name).where(Commune.insee.in_(codes))), key=collation_key)


def _set_communes(zone: Zone, codes: list[str]) -> None:
    ZoneCommune.delete().where(ZoneCommune.zone == zone.id).execute()
    if codes:
        ZoneCommune.insert_many([{"zone": zone.id, "commune": c} for c in codes]).execute()


def _non_empty(codes: list[str]) -> list[str]:
    if not codes:
        raise InvalidInput("Une zone doit contenir au moins une commune.", "communes")
    return codes


def create(name: str, communes, description: str = "", *, actor: str) -> Zone:
    name = ZONES.clean_name(name)
    codes = _non_empty(clean_communes(communes))
    return ZONES.create(name, actor=actor, detail={"communes": codes}, count=len(codes),
                        then=lambda zone: _set_communes(zone, codes), description=description or "")


def update(name: str, *, actor: str, communes=None, add=None, remove=None,
           description: str | None = None, new_name: str | None = None) -> Zone:
    """Replace (``communes``) or edit (``add``, ``remove``) the communes, rename, describe."""
    zone = get(name)
    codes = communes_of(zone)
    if communes is not None:
        codes = clean_communes(communes)
    for code in clean_communes(add or []):
        if code not in codes:
            codes.append(code)
    removed = clean_communes(remove or [])
    missing = [c for c in removed if c not in codes]
    if missing:
        raise InvalidInput(f"La commune {missing[0]} ne fait pas partie de la zone « {zone.name} ».", "communes")
    codes = _non_empty([c for c in codes if c not in removed])
    with database.atomic("IMMEDIATE"):
        ZONES.rename(zone, new_name)
        if description is not None:
            zone.description = description
        zone.save()
        _set_communes(zone, codes)
        ZONES.record_update(actor, zone, {"communes": codes}, count=len(codes))
    return zone
