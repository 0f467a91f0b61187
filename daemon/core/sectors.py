"""Named sector groups ("bijouteries" = 47.77Z and 47.77Y): what operators type instead of NAF codes.

A group holds NAF codes of either nomenclature, stored as ``naf.qualified`` spells them ("47.77Z",
"47.77Y", "2025:47"). A group defined in both nomenclatures judges every member on its own code; a
code or a group in one nomenclature reaches members coded in the other through the correspondence
(``naf.reach``)."""

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
    result = clean_items(codes, lambda code: naf.qualified(*naf.resolve(code)), "codes",
                         "Code NAF « {item} » : {message}")
    if not result:
        raise InvalidInput("Indiquez au moins un code NAF (section, division, groupe, classe ou sous-classe).",
                           "codes")
    return result


def _stored(code: str) -> tuple[str, str]:
    """(nomenclature, code) of a code stored in a group; a bare ambiguous one predates NAF 2025: rév. 2."""
    try:
        return naf.resolve(code)
    except InvalidInput:
        if naf.is_ambiguous(code):
            return naf.REV2, naf.normalize(code)
        raise


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


def unit(selector: str) -> dict:
    """What one selector names: nomenclature -> sub-classes ({"rev2": {...}, "2025": {...}}).

    Raises InvalidInput(field="sectors") when it is neither a group nor a NAF code, or is ambiguous.
    """
    group = find(selector)
    result = {n: set() for n in naf.NOMENCLATURES}
    if group is not None:
        for code in codes_of(group):
            nomenclature, canonical = _stored(code)
            result[nomenclature] |= naf.expand(canonical, nomenclature)
        return {n: frozenset(codes) for n, codes in result.items() if codes}
    try:
        nomenclature, canonical = naf.resolve(selector)
    except InvalidInput as e:
        if naf.is_ambiguous(selector):
            raise InvalidInput(e.message, "sectors") from None
        raise InvalidInput(f"Secteur inconnu : « {selector} » n'est ni un code NAF ni un groupe de secteurs.",
                           "sectors") from None
    return {nomenclature: naf.expand(canonical, nomenclature)}


def reach(selectors) -> naf.Reach:
    """Which member codes a list of selectors reaches, directly or through the correspondence."""
    return naf.reach([unit(s) for s in selectors or []])


def expand(selectors) -> frozenset:
    """Every NAF sub-class (of either nomenclature) named by a list of selectors (codes at any level or
    group names); sub-class codes of the two nomenclatures never collide.

    Raises InvalidInput(field="sectors") naming the first selector that is neither.
    """
    result = set()
    for selector in selectors or []:
        result |= expand_one(selector)
    return frozenset(result)


def expand_one(selector: str) -> frozenset:
    return frozenset().union(*unit(selector).values())


def label(selector: str) -> str:
    """How a selector reads in a summary: the group's name, or the NAF code, its nomenclature and label."""
    group = find(selector)
    if group is not None:
        return group.name
    return naf.describe(selector)


def code_label(code: str) -> str:
    """A stored code as people read it: '47.77Y (NAF 2025)'."""
    try:
        nomenclature, canonical = _stored(code)
    except InvalidInput:
        return code
    return naf.display(canonical, nomenclature)

