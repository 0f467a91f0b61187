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


# Words people type for the shipped groups (compared without accents, case or a final s).
SYNONYMS = {
    "bijouterie": "bijouteries", "bijoutier": "bijouteries", "bijoux": "bijouteries", "joaillerie": "bijouteries",
    "horlogerie": "bijouteries", "tabac": "tabac-presse", "tabacs": "tabac-presse", "buraliste": "tabac-presse",
    "presse": "tabac-presse", "pharmacie": "pharmacies", "pharmacien": "pharmacies",
    "ferme": "exploitations agricoles", "agriculteur": "exploitations agricoles",
    "agriculture": "exploitations agricoles", "exploitation agricole": "exploitations agricoles",
    "chantier": "BTP", "batiment": "BTP", "travaux": "BTP", "construction": "BTP",
}


def _fold(text: str) -> str:
    import unicodedata
    text = unicodedata.normalize("NFKD", " ".join((text or "").split())).lower()
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("-", " ")
    return text[:-1] if text.endswith("s") and len(text) > 3 else text


def resolve_name(selector: str):
    """The group a person means: its exact name, the same without accents/case/plural, or a synonym."""
    group = find(selector)
    if group is not None:
        return group
    key = _fold(selector)
    groups = {_fold(g.name): g for g in list_all()}
    if key in groups:
        return groups[key]
    target = {_fold(k): v for k, v in SYNONYMS.items()}.get(key)
    return find(target) if target else None


def suggestions(selector: str, limit: int = 3) -> list[str]:
    """Group names close to what was typed, for the « Secteur inconnu » message."""
    import difflib
    names = {_fold(g.name): g.name for g in list_all()}
    return [names[k] for k in difflib.get_close_matches(_fold(selector), list(names), n=limit, cutoff=0.6)]


def suggest(text: str, limit: int = 12) -> list[dict]:
    """What the composer's sector field proposes as one types: groups (by name or synonym), then NAF codes."""
    key = _fold(text)
    if not key:
        return []
    found, seen = [], set()
    for group in list_all():
        if key in _fold(group.name) or any(key in _fold(word) and target == group.name
                                           for word, target in SYNONYMS.items()):
            found.append({"value": group.name, "label": f"groupe : {group.name} ({group.codes})"})
            seen.add(group.name)
    for nomenclature in naf.NOMENCLATURES:
        for code, text_label in naf.search(text, limit=limit, nomenclature=nomenclature):
            value = naf.qualified(nomenclature, code)
            if value not in seen:
                seen.add(value)
                found.append({"value": value, "label": f"{naf.display(code, nomenclature)} — {text_label}"})
    return found[:limit]


def unit(selector: str) -> dict:
    """What one selector names: nomenclature -> sub-classes ({"rev2": {...}, "2025": {...}}).

    Raises InvalidInput(field="sectors") when it is neither a group nor a NAF code, or is ambiguous.
    """
    group = resolve_name(selector)
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
        close = suggestions(selector)
        hint = f" Vouliez-vous dire : {', '.join('« ' + c + ' »' for c in close)} ?" if close else ""
        raise InvalidInput(f"Secteur inconnu : « {selector} » n'est ni un code NAF ni un groupe de secteurs.{hint}",
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
    group = resolve_name(selector)
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

