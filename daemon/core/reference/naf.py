"""The NAF rév. 2 nomenclature (INSEE): sections, divisions, groups, classes and sub-classes.

Members carry a sub-class (their APE code, "47.77Z"); alerts target any level ("G", "47",
"47.7", "47.77", "47.77Z"), so a selector is expanded to the sub-classes below it. The tree is
read once from data/naf-rev2.csv (columns code, level, label, parent).
"""

import csv
import functools
import importlib.resources
import io
import re
import unicodedata

from vigie.daemon.core.errors import InvalidInput

LEVELS = ("section", "division", "group", "class", "subclass")
LEVEL_NAMES = {"section": "section", "division": "division", "group": "groupe",
               "class": "classe", "subclass": "sous-classe"}
# French name with its indefinite article, for messages ("un groupe", "une classe").
LEVEL_WITH_ARTICLE = {"section": "une section", "division": "une division", "group": "un groupe",
                      "class": "une classe", "subclass": "une sous-classe"}

DATA_FILE = "naf-rev2.csv"


class _Tree:
    def __init__(self, rows):
        self.level: dict[str, str] = {}
        self.label: dict[str, str] = {}
        self.parent: dict[str, str | None] = {}
        self.children: dict[str, list[str]] = {}
        self.order: list[str] = []
        for row in rows:
            code = row["code"]
            self.level[code] = row["level"]
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


@functools.cache
def _tree() -> _Tree:
    text = (importlib.resources.files("vigie.daemon") / "data" / DATA_FILE).read_text(encoding="utf-8")
    return _Tree(csv.DictReader(io.StringIO(text)))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


_PREFIX = re.compile(r"^(section|division|groupe?|group|classe?|sous[- ]classe|subclass|naf|ape)\s*:?\s*",
                     re.IGNORECASE)


def _shape(selector: str) -> str | None:
    """The canonical spelling of a selector, or None if it cannot be a NAF code at all."""
    text = _PREFIX.sub("", str(selector or "").strip()).strip()
    compact = re.sub(r"\s+", "", text).upper()
    if re.fullmatch(r"[A-U]", compact):
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


def normalize(selector: str) -> str:
    """'4777Z', '47.77 z', '477', 'section a' -> '47.77Z', '47.7', 'A'; unknown codes are refused."""
    code = _shape(selector)
    if code is None:
        raise InvalidInput(
            f"« {selector} » n'est pas un code NAF (attendu par ex. G, 47, 47.7, 47.77 ou 47.77Z).", "naf")
    if code not in _tree().level:
        raise InvalidInput(f"Le code NAF « {selector} » n'existe pas dans la nomenclature NAF rév. 2.", "naf")
    return code


def exists(code: str) -> bool:
    shaped = _shape(code)
    return shaped is not None and shaped in _tree().level


def level(code: str) -> str:
    """One of LEVELS."""
    return _tree().level[normalize(code)]


def label(code: str) -> str:
    """The French INSEE label."""
    return _tree().label[normalize(code)]


def parent(code: str) -> str | None:
    return _tree().parent[normalize(code)]


def children(code: str) -> list[str]:
    return list(_tree().children[normalize(code)])


def expand(selector: str) -> frozenset[str]:
    """Every sub-class under ``selector`` ('47.7' -> 47.71Z ... 47.79Z)."""
    return _tree().subclasses[normalize(selector)]


def all_subclasses() -> list[tuple[str, str]]:
    tree = _tree()
    return [(code, tree.label[code]) for code in tree.order if tree.level[code] == "subclass"]


def all_codes() -> list[tuple[str, str, str]]:
    """(code, level, label) for every entry, in nomenclature order."""
    tree = _tree()
    return [(code, tree.level[code], tree.label[code]) for code in tree.order]


def search(text: str, limit: int = 20) -> list[tuple[str, str]]:
    """Codes and labels matching ``text``: a code (prefix) or words of the label, accents ignored."""
    tree = _tree()
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
