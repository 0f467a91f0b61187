"""Named sector groups ("bijouteries" = 47.77Z): what operators type instead of NAF codes."""

from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import SectorGroup, database
from vigie.daemon.core.namedsets import NamedSet, Noun, clean_items
from vigie.daemon.core.reference import naf

GROUPS = NamedSet(SectorGroup, kind="sector",
                  noun=Noun("Groupe de secteurs", "le groupe de secteurs", "du groupe de secteurs",
                            "Groupe de secteurs inconnu"))
find, get, get_by_id, list_all, delete = (GROUPS.find, GROUPS.get, GROUPS.get_by_id, GROUPS.list_all,
                                         GROUPS.delete)


def _clean_codes(codes) -> list[str]:
    result = clean_items(codes, naf.normalize, "codes", "Code NAF « {item} » : {message}")
    if not result:
        raise InvalidInput("Indiquez au moins un code NAF (section, division, groupe, classe ou sous-classe).",
                           "codes")
    return result


def codes_of(group: SectorGroup) -> list[str]:
    return group.codes.split()


def create(name: str, codes, description: str = "", *, actor: str) -> SectorGroup:
    name = GROUPS.clean_name(name)
    codes = _clean_codes(codes)
    return GROUPS.create(name, actor=actor, detail={"codes": codes}, codes=" ".join(codes),
                         description=description or "")


def update(name: str, *, actor: str, codes=None, description: str | None = None,
           new_name: str | None = None) -> SectorGroup:
    group = get(name)
    with database.atomic("IMMEDIATE"):
        GROUPS.rename(group, new_name)
        if codes is not None:
            group.codes = " ".join(_clean_codes(codes))
        if description is not None:
            group.description = description
        group.save()
        GROUPS.record_update(actor, group, {"codes": codes_of(group)})
    return group


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

