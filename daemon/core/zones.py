"""Named zones: sets of communes ("arrondissement d'Argentan", "secteur de Flers")."""

import builtins

from vigie.daemon.core import audit
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import Commune, Zone, ZoneCommune, database
from vigie.daemon.core.reference import validate


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("Le nom de la zone est obligatoire.", "name")
    if len(name) > 80:
        raise InvalidInput("Le nom de la zone ne doit pas dépasser 80 caractères.", "name")
    return name


def clean_communes(codes) -> list[str]:
    """Current INSEE codes (former communes mapped), duplicates dropped, order kept."""
    if isinstance(codes, str):
        codes = codes.replace(",", " ").split()
    result = []
    for code in codes or []:
        try:
            insee = validate.insee_code(str(code).strip())
        except InvalidInput as e:
            raise InvalidInput(e.message, "communes") from None
        if insee not in result:
            result.append(insee)
    return result


def find(name: str) -> Zone | None:
    key = " ".join((name or "").split()).lower()
    for zone in Zone.select():
        if zone.name.lower() == key:
            return zone
    return None


def get(name: str) -> Zone:
    zone = find(name)
    if zone is None:
        raise NotFound(f"Zone inconnue : « {name} ».")
    return zone


def communes_of(zone: Zone | str) -> list[str]:
    """INSEE codes of a zone (or of the zone of that name)."""
    if isinstance(zone, str):
        zone = get(zone)
    return [row[0] for row in ZoneCommune.select(ZoneCommune.commune)
            .where(ZoneCommune.zone == zone.id).order_by(ZoneCommune.commune).tuples()]


def commune_names(zone: Zone | str) -> list[str]:
    codes = communes_of(zone)
    return [c.name for c in Commune.select().where(Commune.insee.in_(codes)).order_by(Commune.name)]


def list_all() -> list[Zone]:
    return builtins.list(Zone.select().order_by(Zone.name))




def _set_communes(zone: Zone, codes: list[str]) -> None:
    ZoneCommune.delete().where(ZoneCommune.zone == zone.id).execute()
    if codes:
        ZoneCommune.insert_many([{"zone": zone.id, "commune": c} for c in codes]).execute()


def create(name: str, communes, description: str = "", *, actor: str) -> Zone:
    name = _clean_name(name)
    codes = clean_communes(communes)
    if not codes:
        raise InvalidInput("Une zone doit contenir au moins une commune.", "communes")
    if find(name) is not None:
        raise InvalidInput(f"La zone « {name} » existe déjà.", "name")
    with database.atomic("IMMEDIATE"):
        zone = Zone.create(name=name, description=description or "")
        _set_communes(zone, codes)
        audit.record(actor, "zone.add", name, {"communes": codes}, count=len(codes))
    return zone


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
    codes = [c for c in codes if c not in removed]
    if not codes:
        raise InvalidInput("Une zone doit contenir au moins une commune.", "communes")
    with database.atomic("IMMEDIATE"):
        if new_name is not None:
            new_name = _clean_name(new_name)
            other = find(new_name)
            if other is not None and other.id != zone.id:
                raise InvalidInput(f"La zone « {new_name} » existe déjà.", "name")
            zone.name = new_name
        if description is not None:
            zone.description = description
        zone.save()
        _set_communes(zone, codes)
        audit.record(actor, "zone.update", zone.name, {"communes": codes}, count=len(codes))
    return zone


def delete(name: str, actor: str) -> None:
    zone = get(name)
    with database.atomic("IMMEDIATE"):
        zone.delete_instance()
        audit.record(actor, "zone.delete", zone.name)


list = list_all     # the contract's name: zones.list()
