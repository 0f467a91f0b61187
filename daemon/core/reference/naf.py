"""The two NAF nomenclatures (INSEE), NAF rév. 2 and NAF 2025, and the official correspondence between them.

Members carry a sub-class (their APE code: "47.77Z" in NAF rév. 2, "47.77Y" in NAF 2025, in force
from 1 January 2027); alerts target any level ("G", "47", "47.7", "47.77", "47.77Z"), so a selector
is expanded to the sub-classes below it. The trees are read once from data/naf-rev2.csv and
data/naf-2025.csv (columns code, level, label, parent), the correspondence from
data/naf-rev2-to-2025.csv (one row per link, INSEE's « Unique » / « Multiple »).

Every function of the rév. 2 era keeps its meaning (rév. 2 unless ``nomenclature`` says otherwise).
A code given without saying its nomenclature is *recognised* (``resolve``) when it exists in one
nomenclature only, or in both with the same content (same sub-classes through the correspondence);
it is refused when it is ambiguous: the same code in both with different contents ("47", "47.77").
Sub-class codes never collide (rév. 2 ends in Z, A–F; NAF 2025 in Y, G–L).
"""

import csv
import functools
import importlib.resources
import io
import re
import unicodedata
from dataclasses import dataclass

from vigie.daemon.core.errors import InvalidInput

REV2 = "rev2"
NAF2025 = "2025"
NOMENCLATURES = (REV2, NAF2025)
NOMENCLATURE_NAMES = {REV2: "NAF rév. 2", NAF2025: "NAF 2025"}
OTHER = {REV2: NAF2025, NAF2025: REV2}

LEVELS = ("section", "division", "group", "class", "subclass")
LEVEL_NAMES = {"section": "section", "division": "division", "group": "groupe",
               "class": "classe", "subclass": "sous-classe"}
# French name with its indefinite article, for messages ("un groupe", "une classe").
LEVEL_WITH_ARTICLE = {"section": "une section", "division": "une division", "group": "un groupe",
                      "class": "une classe", "subclass": "une sous-classe"}

DATA_FILE = "naf-rev2.csv"
DATA_FILES = {REV2: DATA_FILE, NAF2025: "naf-2025.csv"}
CORRESPONDENCE_FILE = "naf-rev2-to-2025.csv"
# naf-2025.csv names its levels in French; one loader reads both files.
_LEVEL_WORDS = {"section": "section", "division": "division", "group": "group", "groupe": "group",
                "class": "class", "classe": "class", "subclass": "subclass", "sous-classe": "subclass"}


class _Tree:
    def __init__(self, rows):
        self.level: dict[str, str] = {}
        self.label: dict[str, str] = {}
        self.parent: dict[str, str | None] = {}
        self.children: dict[str, list[str]] = {}
        self.order: list[str] = []
        for row in rows:
            code = row["code"]
            self.level[code] = _LEVEL_WORDS[row["level"]]
            self.label[code] = row["label"]
            self.parent[code] = row["parent"] or None
            self.children.setdefault(code, [])
            if row["parent"]:
                self.children.setdefault(row["parent"], []).append(code)
            self.order.append(code)
        self.folded = {code: _fold(self.label[code]) for code in self.order}
        self.subclasses: dict[str, frozenset[str]] = {}
        for code in reversed(self.order):
            if self.level[code] == "subclass":
                self.subclasses[code] = frozenset((code,))
            else:
                self.subclasses[code] = frozenset().union(
                    *(self.subclasses[c] for c in self.children[code]))


def _read(name: str):
    text = (importlib.resources.files("vigie.daemon") / "data" / name).read_text(encoding="utf-8")
    return csv.DictReader(io.StringIO(text))


@functools.cache
def _trees() -> dict[str, _Tree]:
    return {n: _Tree(_read(DATA_FILES[n])) for n in NOMENCLATURES}


def _tree(nomenclature: str = REV2) -> _Tree:
    return _trees()[nomenclature]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


# --- naming a nomenclature -------------------------------------------------------------

_NOMENCLATURE_WORDS = {
    "rev2": REV2, "rev.2": REV2, "rev 2": REV2, "rev. 2": REV2, "naf rev2": REV2, "naf rev. 2": REV2,
    "naf rev 2": REV2, "nafrev2": REV2, "naf2": REV2, "2008": REV2, "naf 2008": REV2, "naf2008": REV2,
    "2025": NAF2025, "naf 2025": NAF2025, "naf2025": NAF2025, "naf25": NAF2025, "naf 25": NAF2025,
    "nafrev2.1": NAF2025, "rev2.1": NAF2025,
}


def clean_nomenclature(value) -> str:
    """'rev2', 'rév. 2', 'NAF 2025', '2025' -> REV2 / NAF2025; refused in French otherwise."""
    key = " ".join(_fold(str(value or "")).replace("_", " ").replace("-", " ").split())
    if key in NOMENCLATURES:
        return key
    if key in _NOMENCLATURE_WORDS:
        return _NOMENCLATURE_WORDS[key]
    raise InvalidInput(f"Nomenclature « {value} » inconnue : « rev2 » (NAF rév. 2) ou « 2025 » (NAF 2025).",
                       "nomenclature")


def nomenclature_name(nomenclature: str) -> str:
    """'NAF rév. 2' or 'NAF 2025', what people read."""
    return NOMENCLATURE_NAMES[nomenclature]


# A nomenclature said before the code ("2025:47", "NAF 2025 47.77Y", "rév. 2 : 47") or after it, the
# way this project displays codes ("47.77Y (NAF 2025)").
_SAID_BEFORE = re.compile(
    r"^\s*(?:(?P<y>(?:naf\s*-?\s*)?2025\s*:|naf\s*-?\s*2025\b|naf\s*-?\s*25\s*:)"
    r"|(?P<r>(?:naf\s*-?\s*)?r[ée]v(?:ision)?\.?\s*-?\s*2\b\s*:?|naf\s*-?\s*2008\b\s*:?|2008\s*:))\s*",
    re.IGNORECASE)
_SAID_AFTER = re.compile(
    r"\s*\(\s*(?:(?P<y>(?:naf\s*)?2025)|(?P<r>(?:naf\s*)?r[ée]v(?:ision)?\.?\s*2|naf\s*2008))\s*\)\s*$",
    re.IGNORECASE)


def split(selector) -> tuple[str | None, str]:
    """(nomenclature said with the code or None, the code itself): '2025:47' -> ('2025', '47')."""
    text = str(selector or "").strip()
    for pattern in (_SAID_BEFORE, _SAID_AFTER):
        match = pattern.search(text)
        if match:
            said = NAF2025 if match.group("y") else REV2
            return said, (text[:match.start()] + text[match.end():]).strip()
    return None, text


# --- one nomenclature ------------------------------------------------------------------

_PREFIX = re.compile(r"^(section|division|groupe?|group|classe?|sous[- ]classe|subclass|naf|ape)\s*:?\s*",
                     re.IGNORECASE)


def _shape(selector: str) -> str | None:
    """The canonical spelling of a selector, or None if it cannot be a NAF code at all."""
    text = _PREFIX.sub("", str(selector or "").strip()).strip()
    compact = re.sub(r"\s+", "", text).upper()
    if re.fullmatch(r"[A-V]", compact):
        return compact
    match = re.fullmatch(r"(\d{2})(?:\.?(\d)(\d)?)?([A-Z])?", compact)
    if not match:
        return None
    division, group, klass, letter = match.groups()
    if letter and not klass:
        return None
    if not group:
        return division
    if not klass:
        return f"{division}.{group}"
    return f"{division}.{group}{klass}{letter or ''}"


def normalize(selector: str, nomenclature: str = REV2) -> str:
    """'4777Z', '47.77 z', '477', 'section a' -> '47.77Z', '47.7', 'A'; unknown codes are refused."""
    code = _shape(selector)
    if code is None:
        raise InvalidInput(
            f"« {selector} » n'est pas un code NAF (attendu par ex. G, 47, 47.7, 47.77 ou 47.77Z).", "naf")
    if code not in _tree(nomenclature).level:
        other = OTHER[nomenclature]
        hint = (f" (c'est un code de la nomenclature {NOMENCLATURE_NAMES[other]})"
                if code in _tree(other).level else "")
        raise InvalidInput(f"Le code NAF « {selector} » n'existe pas dans la nomenclature "
                           f"{NOMENCLATURE_NAMES[nomenclature]}{hint}.", "naf")
    return code


def exists(code: str, nomenclature: str = REV2) -> bool:
    shaped = _shape(code)
    return shaped is not None and shaped in _tree(nomenclature).level


def level(code: str, nomenclature: str = REV2) -> str:
    """One of LEVELS."""
    return _tree(nomenclature).level[normalize(code, nomenclature)]


def label(code: str, nomenclature: str = REV2) -> str:
    """The French INSEE label."""
    return _tree(nomenclature).label[normalize(code, nomenclature)]


def parent(code: str, nomenclature: str = REV2) -> str | None:
    return _tree(nomenclature).parent[normalize(code, nomenclature)]


def children(code: str, nomenclature: str = REV2) -> list[str]:
    return list(_tree(nomenclature).children[normalize(code, nomenclature)])


def expand(selector: str, nomenclature: str = REV2) -> frozenset[str]:
    """Every sub-class under ``selector`` ('47.7' -> 47.71Z ... 47.79Z)."""
    return _tree(nomenclature).subclasses[normalize(selector, nomenclature)]


def all_subclasses(nomenclature: str = REV2) -> list[tuple[str, str]]:
    tree = _tree(nomenclature)
    return [(code, tree.label[code]) for code in tree.order if tree.level[code] == "subclass"]


def all_codes(nomenclature: str = REV2) -> list[tuple[str, str, str]]:
    """(code, level, label) for every entry, in nomenclature order."""
    tree = _tree(nomenclature)
    return [(code, tree.level[code], tree.label[code]) for code in tree.order]


def search(text: str, limit: int = 20, nomenclature: str = REV2) -> list[tuple[str, str]]:
    """Codes and labels matching ``text``: a code (prefix) or words of the label, accents ignored."""
    tree = _tree(nomenclature)
    query = str(text or "").strip()
    if not query:
        return []
    found: list[str] = []
    shaped = _shape(query)
    if shaped is not None:
        compact = shaped.replace(".", "")
        found += [c for c in tree.order if c.replace(".", "").startswith(compact)]
    words = _fold(query).split()
    if words:
        found += [c for c in tree.order if c not in found and all(w in tree.folded[c] for w in words)]
    return [(code, tree.label[code]) for code in found[:limit]]


# --- the correspondence ----------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    """One row of INSEE's table: part of ``rev2`` goes to ``naf2025``."""

    rev2: str
    naf2025: str
    official: str          # "Unique" | "Multiple", as INSEE marks it
    content: str           # INSEE's text: what of the rév. 2 sub-class passes to the NAF 2025 one


class _Correspondence:
    def __init__(self, rows):
        self.links: list[Link] = []
        self.targets: dict[str, list[Link]] = {}       # rév. 2 sub-class -> links
        self.antecedents: dict[str, list[Link]] = {}   # NAF 2025 sub-class -> links
        for row in rows:
            link = Link(row["naf_rev2"], row["naf_2025"], row["type_officiel"], row["contenu_commun"])
            self.links.append(link)
            self.targets.setdefault(link.rev2, []).append(link)
            self.antecedents.setdefault(link.naf2025, []).append(link)


@functools.cache
def _correspondence() -> _Correspondence:
    return _Correspondence(_read(CORRESPONDENCE_FILE))


def all_links() -> list[Link]:
    return list(_correspondence().links)


def links(code: str, nomenclature: str = REV2) -> list[Link]:
    """The links of a sub-class: to its NAF 2025 targets (rév. 2 code) or from its antecedents."""
    code = normalize(code, nomenclature)
    table = _correspondence().targets if nomenclature == REV2 else _correspondence().antecedents
    return list(table.get(code, ()))


def counterparts(code: str, nomenclature: str = REV2) -> list[str]:
    """The sub-classes of the other nomenclature a sub-class corresponds to, in table order."""
    found = []
    for link in links(code, nomenclature):
        other = link.naf2025 if nomenclature == REV2 else link.rev2
        if other not in found:
            found.append(other)
    return found


def is_single(code: str, nomenclature: str = REV2) -> bool:
    """True when the sub-class has exactly one counterpart in the other nomenclature (« Unique »
    seen from this side: for a rév. 2 code it is INSEE's own mark)."""
    return len(counterparts(code, nomenclature)) == 1


def translate(subclasses, nomenclature: str) -> frozenset[str]:
    """Every sub-class of the other nomenclature reached by a link from one of ``subclasses``."""
    table = _correspondence().targets if nomenclature == REV2 else _correspondence().antecedents
    side = (lambda link: link.naf2025) if nomenclature == REV2 else (lambda link: link.rev2)
    return frozenset(side(link) for code in subclasses for link in table.get(code, ()))


# --- a code given with or without its nomenclature ---------------------------------------

@functools.cache
def same_content(code: str) -> bool:
    """True when ``code`` (canonical) exists in both nomenclatures and covers the same activities:
    its rév. 2 sub-classes lead only to its NAF 2025 ones and back."""
    if not (exists(code, REV2) and exists(code, NAF2025)):
        return False
    old, new = _tree(REV2).subclasses[code], _tree(NAF2025).subclasses[code]
    return translate(old, REV2) == new and translate(new, NAF2025) == old


def is_ambiguous(code: str) -> bool:
    """The same code in both nomenclatures with different contents ("47", "47.77")."""
    shaped = _shape(code)
    return (shaped is not None and exists(shaped, REV2) and exists(shaped, NAF2025)
            and not same_content(shaped))


def resolve(selector, nomenclature: str | None = None) -> tuple[str, str]:
    """(nomenclature, canonical code) of a selector, said ('2025:47', ``nomenclature``) or not.

    Unsaid, a code is recognised when it exists in one nomenclature only (rév. 2 when it exists in both
    with the same content); an ambiguous one is refused (InvalidInput, field "naf").
    """
    said, text = split(selector)
    if nomenclature is not None:
        nomenclature = clean_nomenclature(nomenclature)
        if said is not None and said != nomenclature:
            raise InvalidInput(f"« {selector} » est donné en {NOMENCLATURE_NAMES[said]} là où la "
                               f"nomenclature {NOMENCLATURE_NAMES[nomenclature]} est attendue.", "naf")
        said = nomenclature
    if said is not None:
        return said, normalize(text, said)
    code = _shape(text)
    if code is None:
        raise InvalidInput(
            f"« {selector} » n'est pas un code NAF (attendu par ex. G, 47, 47.7, 47.77 ou 47.77Z).", "naf")
    present = [n for n in NOMENCLATURES if code in _tree(n).level]
    if not present:
        raise InvalidInput(f"Le code NAF « {selector} » n'existe ni dans la nomenclature NAF rév. 2 ni dans "
                           f"la NAF 2025.", "naf")
    if len(present) == 1 or same_content(code):
        return present[0], code
    old, new = _tree(REV2).label[code], _tree(NAF2025).label[code]
    labels = (f"sous le même intitulé « {old} »" if old == new
              else f"(NAF rév. 2 : « {old} » ; NAF 2025 : « {new} »)")
    raise InvalidInput(
        f"Le code NAF « {text} » est ambigu : il existe dans les deux nomenclatures {labels} sans y couvrir "
        f"les mêmes activités. Précisez la nomenclature : « rev2:{code} » ou « 2025:{code} ».", "naf")


def qualified(nomenclature: str, code: str) -> str:
    """How a code is stored and typed back: bare when that is not ambiguous, else '2025:47'."""
    if not exists(code, OTHER[nomenclature]) or (same_content(code) and nomenclature == REV2):
        return code
    return f"{nomenclature}:{code}"


def display(code: str, nomenclature: str) -> str:
    """'47.77Y (NAF 2025)', what people read wherever a code is shown."""
    return f"{code} ({NOMENCLATURE_NAMES[nomenclature]})"


def describe(selector) -> str:
    """'47.77Y (NAF 2025, commerce de détail d’articles d’horlogerie et de bijouterie)'; the text as
    given when it is not a code."""
    try:
        nomenclature, code = resolve(selector)
    except InvalidInput:
        return str(selector)
    return f"{code} ({NOMENCLATURE_NAMES[nomenclature]}, {label(code, nomenclature).lower()})"


# --- reaching members whatever nomenclature their code is in ------------------------------

@dataclass(frozen=True)
class Reach:
    """Which member codes a sector criterion reaches, by nomenclature and how.

    ``direct[n]``: sub-classes of nomenclature ``n`` named by the criterion; a member coded ``n`` is
    judged on them. ``single[n]`` / ``multiple[n]``: sub-classes of ``n`` reached through the
    correspondence, for members who carry no code in the criterion's nomenclature; ``single`` when the
    code's whole content lies inside the criterion, ``multiple`` when only part of it does (a
    « Multiple » link: the operator decides).
    """

    direct: dict
    single: dict
    multiple: dict

    def is_empty(self) -> bool:
        return not any(self.direct[n] or self.single[n] or self.multiple[n] for n in NOMENCLATURES)


def reach(units) -> Reach:
    """The Reach of a criterion made of ``units``: each a dict nomenclature -> sub-classes (a code,
    or a sector group defined in one or both nomenclatures). A unit defined in both judges every
    member directly; a unit in one nomenclature reaches members coded in the other only through the
    correspondence."""
    direct = {n: set() for n in NOMENCLATURES}
    single = {n: set() for n in NOMENCLATURES}
    touched = {n: set() for n in NOMENCLATURES}
    for unit in units:
        for n in NOMENCLATURES:
            direct[n] |= set(unit.get(n, ()))
        for n in NOMENCLATURES:
            own = frozenset(unit.get(n, ()))
            other = OTHER[n]
            if not own or unit.get(other):
                continue
            for code in translate(own, n):
                touched[other].add(code)
                if set(counterparts(code, other)) <= own:
                    single[other].add(code)
    return Reach(
        direct={n: frozenset(direct[n]) for n in NOMENCLATURES},
        single={n: frozenset(single[n] - direct[n]) for n in NOMENCLATURES},
        multiple={n: frozenset(touched[n] - single[n] - direct[n]) for n in NOMENCLATURES})
