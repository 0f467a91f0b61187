"""Named sector groups ("bijouteries" = 47.77Z): what operators type instead of NAF codes."""

import builtins

from vigie.daemon.core import audit
from vigie.daemon.core.errors import InvalidInput, NotFound
from vigie.daemon.core.models import SectorGroup, database
from vigie.daemon.core.reference import naf


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("Le nom du groupe de secteurs est obligatoire.", "name")
    if len(name) > 80:
        raise InvalidInput("Le nom du groupe de secteurs ne doit pas dépasser 80 caractères.", "name")
    return name


def _clean_codes(codes) -> list[str]:
    if isinstance(codes, str):
        codes = codes.replace(",", " ").split()
    result = []
    for code in codes or []:
        code = str(code).strip()
        if not code:
            continue
        try:
            canonical = naf.normalize(code)
        except InvalidInput as e:
            raise InvalidInput(f"Code NAF « {code} » : {e.message}", "codes") from None
        if canonical not in result:
            result.append(canonical)
    if not result:
        raise InvalidInput("Indiquez au moins un code NAF (section, division, groupe, classe ou sous-classe).",
                           "codes")
    return result


def find(name: str) -> SectorGroup | None:
    """The group of that name, ignoring case and surrounding spaces; None when there is none."""
    key = " ".join((name or "").split()).lower()
    for group in SectorGroup.select():
        if group.name.lower() == key:
            return group
    return None


def get(name: str) -> SectorGroup:
    group = find(name)
    if group is None:
        raise NotFound(f"Groupe de secteurs inconnu : « {name} ».")
    return group


def codes_of(group: SectorGroup) -> list[str]:
    return group.codes.split()


def list_all() -> list[SectorGroup]:
    return builtins.list(SectorGroup.select().order_by(SectorGroup.name))




def create(name: str, codes, description: str = "", *, actor: str) -> SectorGroup:
    name = _clean_name(name)
    codes = _clean_codes(codes)
    if find(name) is not None:
        raise InvalidInput(f"Le groupe de secteurs « {name} » existe déjà.", "name")
    with database.atomic("IMMEDIATE"):
        group = SectorGroup.create(name=name, codes=" ".join(codes), description=description or "")
        audit.record(actor, "sector.add", name, {"codes": codes})
    return group


def update(name: str, *, actor: str, codes=None, description: str | None = None,
           new_name: str | None = None) -> SectorGroup:
    group = get(name)
    with database.atomic("IMMEDIATE"):
        if new_name is not None:
            new_name = _clean_name(new_name)
            other = find(new_name)
            if other is not None and other.id != group.id:
                raise InvalidInput(f"Le groupe de secteurs « {new_name} » existe déjà.", "name")
            group.name = new_name
        if codes is not None:
            group.codes = " ".join(_clean_codes(codes))
        if description is not None:
            group.description = description
        group.save()
        audit.record(actor, "sector.update", group.name, {"codes": codes_of(group)})
    return group


def delete(name: str, actor: str) -> None:
    group = get(name)
    with database.atomic("IMMEDIATE"):
        group.delete_instance()
        audit.record(actor, "sector.delete", group.name)


def expand(selectors) -> frozenset:
    """Every NAF sub-class meant by a list of selectors (codes at any level or group names).

    Raises InvalidInput(field="sectors") naming the first selector that is neither.
    """
    result = set()
    for selector in selectors or []:
        result |= expand_one(selector)
    return frozenset(result)


def expand_one(selector: str) -> frozenset:
    group = find(selector)
    if group is not None:
        result = set()
        for code in codes_of(group):
            result |= naf.expand(code)
        return frozenset(result)
    try:
        return frozenset(naf.expand(selector))
    except InvalidInput:
        raise InvalidInput(f"Secteur inconnu : « {selector} » n'est ni un code NAF ni un groupe de secteurs.",
                           "sectors") from None


def label(selector: str) -> str:
    """How a selector reads in a summary: the group's name, or the NAF code and its label."""
    group = find(selector)
    if group is not None:
        return group.name
    try:
        code = naf.normalize(selector)
        text = naf.label(code)
    except Exception:
        return selector
    return f"{code} ({text.lower()})" if text else code


list = list_all     # the contract's name: sectors.list()
