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
    """Group names close to what was typed, for the « Secteur inconnu » message and the field's hints."""
    import difflib
    names = {_fold(g.name): g.name for g in list_all()}
    return [names[k] for k in difflib.get_close_matches(_fold(selector), list(names), n=limit, cutoff=0.6)]


def expand_one(selector: str) -> frozenset:
    group = resolve_name(selector)
    if group is not None:
        result = set()
        for code in codes_of(group):
            result |= naf.expand(code)
        return frozenset(result)
    try:
        return frozenset(naf.expand(selector))
    except InvalidInput:
        close = suggestions(selector)
        hint = f" Vouliez-vous dire : {', '.join('« ' + c + ' »' for c in close)} ?" if close else ""
        raise InvalidInput(f"Secteur inconnu : « {selector} » n'est ni un code NAF ni un groupe de secteurs.{hint}",
                           "sectors") from None


def label(selector: str) -> str:
    """How a selector reads in a summary: the group's name, or the NAF code and its label."""
    group = resolve_name(selector)
    if group is not None:
        return group.name
    try:
        code = naf.normalize(selector)
        text = naf.label(code)
    except Exception:
        return selector
    return f"{code} ({text.lower()})" if text else code



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
    for code, text_label in naf.search(text, limit=limit):
        if code not in seen:
            found.append({"value": code, "label": f"{code} — {text_label}"})
    return found[:limit]
