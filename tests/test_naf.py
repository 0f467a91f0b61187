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


# --- NAF 2025 and the correspondence -------------------------------------------------------

SHAPES_2025 = dict(SHAPES, section=r"[A-V]")


def test_official_counts_2025():
    counts = {lvl: 0 for lvl in naf.LEVELS}
    for code, lvl, _ in naf.all_codes("2025"):
        counts[lvl] += 1
    assert counts == {"section": 22, "division": 87, "group": 287, "class": 651, "subclass": 747}
    assert len(naf.all_subclasses("2025")) == 747


def test_tree_2025_is_consistent():
    for code, lvl, text in naf.all_codes("2025"):
        assert re.fullmatch(SHAPES_2025[lvl], code), code
        assert text and text == text.strip()
        up = naf.parent(code, "2025")
        if lvl == "section":
            assert up is None
        else:
            assert naf.LEVELS.index(naf.level(up, "2025")) == naf.LEVELS.index(lvl) - 1
            assert code.startswith(up) or lvl == "division"
        if lvl != "subclass":
            assert naf.children(code, "2025"), code
    assert sum(len(naf.expand(s, "2025")) for s in "ABCDEFGHIJKLMNOPQRSTUV") == 747
    # Sub-class codes never collide between the two nomenclatures.
    assert not {c for c, _ in naf.all_subclasses()} & {c for c, _ in naf.all_subclasses("2025")}


def test_correspondence_figures():
    links = naf.all_links()
    assert len(links) == 1223
    assert len({(link.rev2, link.naf2025) for link in links}) == 1223
    rev2 = {c for c, _ in naf.all_subclasses()}
    new = {c for c, _ in naf.all_subclasses("2025")}
    assert {link.rev2 for link in links} == rev2                       # every rév. 2 sub-class
    assert new - {link.naf2025 for link in links} == {"46.89Y"}         # 746 of 747
    fan_out = {code: len(naf.counterparts(code)) for code in rev2}
    assert sum(1 for n in fan_out.values() if n == 1) == 520
    assert sum(1 for n in fan_out.values() if n > 1) == 212
    assert max(fan_out.values()) == 38
    assert {c for c, n in fan_out.items() if n == 38} == {"47.99A", "47.99B"}
    # INSEE marks a link « Unique » exactly when its rév. 2 code has a single target.
    assert all((link.official == "Unique") == (fan_out[link.rev2] == 1) for link in links)
    assert naf.counterparts("47.77Z") == ["47.77Y", "47.92J"]
    assert not naf.is_single("47.77Z") and naf.is_single("01.11Z")
    assert naf.counterparts("46.89Y", "2025") == []


@pytest.mark.parametrize("selector, expected", [
    ("47.77Y", ("2025", "47.77Y")),          # a NAF 2025 sub-class
    ("4777y", ("2025", "47.77Y")),
    ("47.77Z", ("rev2", "47.77Z")),
    ("V", ("2025", "V")),                    # section V exists in NAF 2025 only
    ("02", ("rev2", "02")),                  # same code, same content: recognised
    ("2025:47", ("2025", "47")),             # the nomenclature said before the code
    ("NAF 2025 47.77", ("2025", "47.77")),
    ("rév. 2 : 47", ("rev2", "47")),
    ("rev2:F", ("rev2", "F")),
    ("47.77Y (NAF 2025)", ("2025", "47.77Y")),   # as the project displays it
    ("47 (NAF rév. 2)", ("rev2", "47")),
])
def test_resolve_recognises_a_code_said_or_not(selector, expected):
    assert naf.resolve(selector) == expected


@pytest.mark.parametrize("selector", ["47", "47.77", "F", "A", "01.1"])
def test_ambiguous_code_is_refused(selector):
    assert naf.is_ambiguous(selector)
    with pytest.raises(InvalidInput) as e:
        naf.resolve(selector)
    assert e.value.field == "naf"
    assert "ambigu" in e.value.message and f"« 2025:{naf.normalize(selector)} »" in e.value.message
    # Said, it is accepted in either nomenclature.
    assert naf.resolve(selector, "2025")[0] == "2025"
    assert naf.resolve(f"rev2:{selector}") == ("rev2", naf.normalize(selector))


def test_resolve_refusals():
    with pytest.raises(InvalidInput, match="ni dans la nomenclature NAF rév. 2 ni dans la NAF 2025"):
        naf.resolve("99.99Z")
    with pytest.raises(InvalidInput, match="n'existe pas dans la nomenclature NAF rév. 2 .c'est un code de"):
        naf.resolve("47.77Y", "rev2")
    with pytest.raises(InvalidInput, match="est donné en NAF 2025"):
        naf.resolve("2025:47", "rev2")
    with pytest.raises(InvalidInput, match="Nomenclature « 2030 » inconnue"):
        naf.clean_nomenclature("2030")


def test_qualified_spelling_round_trips():
    for n in naf.NOMENCLATURES:
        for code, _, _ in naf.all_codes(n):
            assert naf.resolve(naf.qualified(n, code)) == (n, code) or naf.same_content(code)
    assert naf.qualified("2025", "47.77Y") == "47.77Y"
    assert naf.qualified("2025", "47") == "2025:47"
    assert naf.qualified("rev2", "02") == "02"


def test_old_api_stays_rev2():
    assert naf.normalize("47.77") == "47.77"
    assert naf.label("47.77Z").startswith("Commerce de détail d'articles d'horlogerie")
    assert naf.label("47.77Y", "2025") == "Commerce de détail d’articles d’horlogerie et de bijouterie"
    assert not naf.exists("47.77Y") and naf.exists("47.77Y", "2025")
    assert naf.expand("47.77", "2025") == frozenset({"47.77Y"})
    assert "47.77Y" in [c for c, _ in naf.search("bijouterie detail", nomenclature="2025")]


def test_reach_single_and_multiple_links():
    # A rév. 2 criterion reaches NAF 2025 members through the correspondence: 47.77Y also comes from
    # market stalls and distance selling, so it is a multiple link, left to the operator.
    reach = naf.reach([{"rev2": naf.expand("47.77Z")}])
    assert reach.direct == {"rev2": {"47.77Z"}, "2025": frozenset()}
    assert reach.multiple["2025"] == {"47.77Y", "47.92J"} and not reach.single["2025"]
    # 01.11Z and 01.11Y have the same content: single.
    reach = naf.reach([{"rev2": naf.expand("01.11Z")}])
    assert reach.single["2025"] == {"01.11Y"} and not reach.multiple["2025"]
    # A NAF 2025 criterion: a rév. 2 member is single when every target lies inside it.
    reach = naf.reach([{"2025": naf.expand("47", "2025")}])
    assert "47.77Z" in reach.single["rev2"]              # 47.77Y and 47.92J, both in 47
    assert "47.99A" in reach.single["rev2"]              # 38 targets, all in 47
    assert "45.11Z" in reach.multiple["rev2"]            # car dealers: 47.81Y, 47.92G, and 46.18Y, 46.71G
    # A unit defined in both nomenclatures (a sector group chosen by hand) follows no link.
    reach = naf.reach([{"rev2": {"47.77Z"}, "2025": {"47.77Y"}}])
    assert not any(reach.single.values()) and not any(reach.multiple.values())
