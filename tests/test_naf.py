"""The shipped NAF rév. 2 nomenclature and the selectors alerts target with."""

import re

import pytest

from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.reference import naf

SHAPES = {
    "section": r"[A-U]",
    "division": r"\d\d",
    "group": r"\d\d\.\d",
    "class": r"\d\d\.\d\d",
    "subclass": r"\d\d\.\d\d[A-Z]",
}


def test_official_counts():
    counts = {lvl: 0 for lvl in naf.LEVELS}
    for code, lvl, _ in naf.all_codes():
        counts[lvl] += 1
    assert counts == {"section": 21, "division": 88, "group": 272, "class": 615, "subclass": 732}
    assert len(naf.all_subclasses()) == 732


def test_tree_is_consistent():
    for code, lvl, text in naf.all_codes():
        assert re.fullmatch(SHAPES[lvl], code), code
        assert text and text == text.strip() and "  " not in text
        up = naf.parent(code)
        if lvl == "section":
            assert up is None
        else:
            assert naf.LEVELS.index(naf.level(up)) == naf.LEVELS.index(lvl) - 1
            assert code.startswith(up) or lvl == "division"
            assert code in naf.children(up)
        if lvl != "subclass":
            assert naf.children(code), code
    assert sum(len(naf.expand(s)) for s in "ABCDEFGHIJKLMNOPQRSTU") == 732


@pytest.mark.parametrize("code, text", [
    ("01.11Z", "Culture de céréales (à l'exception du riz), de légumineuses et de graines oléagineuses"),
    ("47.77Z", "Commerce de détail d'articles d'horlogerie et de bijouterie en magasin spécialisé"),
    ("47.26Z", "Commerce de détail de produits à base de tabac en magasin spécialisé"),
    ("47.73Z", "Commerce de détail de produits pharmaceutiques en magasin spécialisé"),
    ("43.99E", "Location avec opérateur de matériel de construction"),
    ("96.09Z", "Autres services personnels n.c.a."),
    ("47.7", "Autres commerces de détail en magasin spécialisé"),
    ("A", "AGRICULTURE, SYLVICULTURE ET PÊCHE"),
])
def test_known_labels(code, text):
    assert naf.exists(code)
    assert naf.label(code) == text


@pytest.mark.parametrize("selector, canonical, lvl", [
    ("A", "A", "section"),
    ("a", "A", "section"),
    ("section G", "G", "section"),
    ("47", "47", "division"),
    ("01", "01", "division"),
    ("47.7", "47.7", "group"),
    ("477", "47.7", "group"),
    ("47.77", "47.77", "class"),
    ("4777", "47.77", "class"),
    ("47.77Z", "47.77Z", "subclass"),
    ("4777Z", "47.77Z", "subclass"),
    ("47.77z", "47.77Z", "subclass"),
    ("47.77 Z", "47.77Z", "subclass"),
    (" 43.99 e ", "43.99E", "subclass"),
])
def test_normalize_and_level(selector, canonical, lvl):
    assert naf.normalize(selector) == canonical
    assert naf.level(selector) == lvl


@pytest.mark.parametrize("selector", ["V", "00", "47.0", "47.70", "47.77Y", "99.99Z", "bijou", "4", "", "47.7.7"])
def test_unknown_selectors_are_refused(selector):
    assert not naf.exists(selector)
    with pytest.raises(InvalidInput) as e:
        naf.expand(selector)
    assert e.value.field == "naf"


def test_expand_counts():
    section_a = naf.expand("A")
    assert len(section_a) == 39
    assert min(section_a) == "01.11Z" and max(section_a) == "03.22Z"
    assert all(code[:2] in ("01", "02", "03") for code in section_a)
    assert len(naf.expand("47")) == 50
    assert naf.expand("47.7") == frozenset({
        "47.71Z", "47.72A", "47.72B", "47.73Z", "47.74Z", "47.75Z",
        "47.76Z", "47.77Z", "47.78A", "47.78B", "47.78C", "47.79Z"})
    assert naf.expand("43.99") == frozenset({"43.99A", "43.99B", "43.99C", "43.99D", "43.99E"})
    assert naf.expand("47.77Z") == frozenset({"47.77Z"})
    assert naf.expand("4777z") == frozenset({"47.77Z"})
    assert isinstance(naf.expand("G"), frozenset)
    assert naf.expand("47") < naf.expand("G")


def test_parent_and_children():
    assert naf.parent("47.77Z") == "47.77"
    assert naf.parent("47.77") == "47.7"
    assert naf.parent("47.7") == "47"
    assert naf.parent("47") == "G"
    assert naf.parent("G") is None
    assert naf.children("47.77") == ["47.77Z"]
    assert naf.children("01")[:2] == ["01.1", "01.2"]
    assert naf.children("47.77Z") == []
    assert naf.children("A") == ["01", "02", "03"]


def test_search_by_code_and_words():
    assert naf.search("4777")[0] == ("47.77", naf.label("47.77"))
    assert ("47.77Z", naf.label("47.77Z")) in naf.search("47.77Z")
    codes = [code for code, _ in naf.search("bijouterie", limit=50)]
    assert "47.77Z" in codes and "32.12Z" in codes and "95.25Z" in codes
    # Accents, case and word order do not matter; every word must match.
    assert [c for c, _ in naf.search("BIJOUTERIE detail", limit=50)] == ["47.77", "47.77Z"]
    # Typographic apostrophes in the labels match a typed one.
    assert "32.12Z" in [c for c, _ in naf.search("d'articles de joaillerie")]
    assert len(naf.search("commerce", limit=5)) == 5
    assert naf.search("") == [] and naf.search("zzzzqq") == []
