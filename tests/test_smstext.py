"""SMS counting and GSM-7 transliteration, checked against hand counts, real alert texts and the
PDUs the real python-gsmmodem-new encoder builds through the modem adapter."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.reference import smstext
from vigie.daemon.transport.gsm.modem import encode_parts

PHONE = "+33612345678"


def wire_parts(text: str) -> int:
    """How many PDUs the modem adapter really builds for ``text``."""
    return len(encode_parts(PHONE, text, concat_ref=7))


# --- the tables --------------------------------------------------------------------------

def test_basic_table_is_gsm_03_38():
    assert len(smstext.GSM7_BASIC) == 128
    assert smstext.GSM7_BASIC[0x00] == "@"
    assert smstext.GSM7_BASIC[0x09] == "Ç"          # capital C cedilla, not ç
    assert smstext.GSM7_BASIC[0x1B] == "\x1b"       # escape to the extension table
    assert smstext.GSM7_BASIC[0x1C:0x20] == "ÆæßÉ"
    assert smstext.GSM7_BASIC[0x24] == "¤"
    assert smstext.GSM7_BASIC[0x5B:0x60] == "ÄÖÑÜ§"
    assert smstext.GSM7_BASIC[0x7B:0x80] == "äöñüà"
    assert "ç" not in smstext.GSM7_BASIC
    assert "`" not in smstext.GSM7_BASIC


def test_extension_table():
    assert set(smstext.GSM7_EXTENSION) == set("\f^{}\\[~]|€")


# --- counting -------------------------------------------------------------------------------

@pytest.mark.parametrize("length, parts, per_part, remaining", [
    (1, 1, 160, 159),
    (160, 1, 160, 0),
    (161, 2, 153, 145),
    (306, 2, 153, 0),
    (307, 3, 153, 152),
    (459, 3, 153, 0),
])
def test_gsm7_boundaries(length, parts, per_part, remaining):
    info = smstext.analyze("a" * length)
    assert (info.encoding, info.chars, info.units) == ("gsm7", length, length)
    assert (info.parts, info.per_part, info.remaining) == (parts, per_part, remaining)
    assert wire_parts("a" * length) == parts


@pytest.mark.parametrize("length, parts, per_part, remaining", [
    (70, 1, 70, 0),
    (71, 2, 67, 63),
    (134, 2, 67, 0),
    (135, 3, 67, 66),
])
def test_ucs2_boundaries(length, parts, per_part, remaining):
    text = "ê" * length
    info = smstext.analyze(text)
    assert (info.encoding, info.units, info.non_gsm) == ("ucs2", length, ("ê",))
    assert (info.parts, info.per_part, info.remaining) == (parts, per_part, remaining)
    assert wire_parts(text) == parts


def test_one_non_gsm_character_switches_the_whole_text():
    text = "a" * 69 + "ç"
    assert smstext.analyze("a" * 70).encoding == "gsm7"
    info = smstext.analyze(text)
    assert (info.encoding, info.parts, info.non_gsm) == ("ucs2", 1, ("ç",))
    assert smstext.analyze(text + "b").parts == 2


def test_extension_characters_count_two_septets():
    assert smstext.analyze("€" * 80).units == 160
    assert smstext.analyze("€" * 80).parts == 1
    assert smstext.analyze("€" * 80 + "a").parts == 2
    info = smstext.analyze("{x}[y]~^|\\")
    assert (info.encoding, info.chars, info.units) == ("gsm7", 10, 18)


def test_an_escape_pair_is_never_split_across_parts():
    # 152 + 2 + 10 = 164 septets: the euro sign does not fit in the first part's last septet,
    # so the second part holds 12 septets, not 11.
    info = smstext.analyze("a" * 152 + "€" + "a" * 10)
    assert (info.units, info.parts, info.remaining) == (164, 2, 141)
    # 152 + 77 * 2 = 306 septets, exactly two parts' worth, yet three parts once pairs stay whole.
    text = "a" * 152 + "€" * 77
    assert smstext.analyze(text).units == 306
    assert smstext.analyze(text).parts == 3
    assert wire_parts(text) == 3


def test_emoji_counts_two_utf16_units():
    info = smstext.analyze("Alerte 🚨")
    assert (info.encoding, info.chars, info.units, info.non_gsm) == ("ucs2", 8, 9, ("🚨",))
    assert smstext.analyze("😀" * 35).parts == 1
    assert smstext.analyze("😀" * 36).parts == 2
    # 134 units, two parts' worth; but 33 emoji fill 66 units of the first 67-unit part and the
    # 34th cannot be cut in half, so a third part is needed.
    info = smstext.analyze("😀" * 34 + "a" * 66)
    assert (info.units, info.parts, info.remaining) == (134, 3, 66)


def test_non_gsm_lists_each_character_once_in_order():
    assert smstext.analyze("ça coûte œuvre ça").non_gsm == ("ç", "û", "œ")


@pytest.mark.parametrize("char", ["§", "\f"])
def test_characters_the_library_sends_in_ucs2_are_counted_so(char):
    # GSM 03.38 has "§" and the form feed, but python-gsmmodem-new 0.13.0 cannot encode them in
    # GSM-7 and sends the whole text in UCS-2.
    text = "Article " + char + " 3 " + "a" * 60
    info = smstext.analyze(text)
    assert (info.encoding, info.non_gsm) == ("ucs2", (char,))
    assert info.parts == wire_parts(text) == 2
    assert smstext.analyze(smstext.transliterate(text)).encoding == "gsm7"


def test_backquote_is_counted_as_the_library_sends_it_and_transliterated():
    # Not in GSM 03.38; the library sends it in GSM-7 at 0x5F (phones show "§").
    text = "Code `A` " + "a" * 160
    assert smstext.analyze(text).encoding == "gsm7"
    assert smstext.analyze(text).parts == wire_parts(text) == 2
    assert smstext.transliterate("`A`") == "'A'"


def test_empty_text():
    info = smstext.analyze("")
    assert (info.encoding, info.chars, info.units, info.parts, info.remaining) == ("gsm7", 0, 0, 1, 160)


# --- real alert texts -----------------------------------------------------------------------

ALERTS = {
    "bijouteries": ("Gendarmerie de l'Orne : vols par effraction dans des bijouteries du secteur d'Argentan "
                    "cette nuit. Soyez vigilants, signalez tout véhicule suspect au 17."),
    "demarcheurs": ("Gendarmerie de l'Orne : de faux agents EDF se présentent chez les commerçants du secteur "
                    "de Flers pour un prétendu contrôle. Ne les laissez pas entrer, appelez le 17."),
    "gasoil": ("Gendarmerie : vols de gasoil sur des exploitations agricoles autour de Sées et Mortrée ces "
               "3 dernières nuits. Fermez vos cuves, éclairez vos cours, notez les plaques suspectes et "
               "appelez le 17."),
    "virements": ("Alerte escroquerie : un faux fournisseur demande par courriel un changement de RIB pour "
                  "vos virements. Vérifiez toujours par téléphone auprès de votre contact habituel avant "
                  "tout paiement. Gendarmerie de l'Orne."),
    "cuivre": ("Vols de câbles de cuivre sur des chantiers du BTP entre L'Aigle et Mortagne-au-Perche. "
               "Sécurisez vos stocks et vos engins, signalez toute camionnette suspecte au 17."),
    "pharmacies": ("Gendarmerie de l'Orne : tentatives de cambriolage de pharmacies à Alençon et Sées. "
                   "Vérifiez vos alarmes et vos rideaux métalliques ce soir."),
    "impots": ("Des individus se faisant passer pour des agents des impôts visitent les artisans du Perche. "
               "Exigez une carte professionnelle et ne remettez jamais d'espèces. En cas de doute : 17."),
    "fin": ("Fin d'alerte : les auteurs des vols de gasoil ont été interpellés ce matin. Merci de votre "
            "vigilance. Gendarmerie de l'Orne."),
    "braquage": ("Vol à main armée [URGENT] : individu armé en fuite vers Domfront, véhicule gris "
                 "{plaque AB-123-CD}. Ne pas intervenir, appelez le 17 | 112."),
    "point": ("Gendarmerie de l'Orne, point de situation : depuis lundi, 7 cambriolages de commerces ont été "
              "commis entre Flers, La Ferté Macé et Bagnoles de l'Orne Normandie, toujours de nuit et par "
              "effraction de la porte arrière. Les auteurs repèrent les lieux en journée. Fermez vos accès "
              "arrière, retirez la caisse le soir, laissez un éclairage et signalez tout repérage au 17."),
}

# name: (encoding, chars, units, parts, remaining, parts once transliterated)
EXPECTED = {
    "bijouteries": ("gsm7", 153, 153, 1, 7, 1),
    "demarcheurs": ("ucs2", 166, 166, 3, 35, 2),
    "gasoil": ("gsm7", 193, 193, 2, 113, 2),
    "virements": ("gsm7", 211, 211, 2, 95, 2),
    "cuivre": ("ucs2", 165, 165, 3, 36, 2),
    "pharmacies": ("ucs2", 139, 139, 3, 62, 1),
    "impots": ("ucs2", 179, 179, 3, 22, 2),
    "fin": ("gsm7", 124, 124, 1, 36, 1),
    "braquage": ("gsm7", 139, 144, 1, 16, 1),
    "point": ("gsm7", 366, 366, 3, 93, 3),
}


@pytest.mark.parametrize("name", sorted(ALERTS))
def test_real_alert_texts(name):
    text = ALERTS[name]
    encoding, chars, units, parts, remaining, parts_after = EXPECTED[name]
    info = smstext.analyze(text)
    assert (info.encoding, info.chars, info.units, info.parts, info.remaining) == (
        encoding, chars, units, parts, remaining)
    assert wire_parts(text) == parts
    clean = smstext.transliterate(text)
    assert smstext.analyze(clean).encoding == "gsm7"
    assert smstext.analyze(clean).parts == parts_after == wire_parts(clean)


def test_transliterating_a_real_alert():
    assert smstext.transliterate(ALERTS["demarcheurs"]) == (
        "Gendarmerie de l'Orne : de faux agents EDF se présentent chez les commercants du secteur "
        "de Flers pour un prétendu controle. Ne les laissez pas entrer, appelez le 17.")


# --- transliteration -------------------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    ("ê ë î ï ô û â ç", "e e i i o u a c"),
    ("Ê Ë Î Ï Ô Û Â À È Ù", "E E I I O U A A E U"),
    ("œuvre, Œuvre, cæcum", "oeuvre, OEuvre, cæcum"),
    ("« Attention »", '" Attention "'),
    ("l’auteur ‘x’ “y”", "l'auteur 'x' \"y\""),
    ("Attendez…", "Attendez..."),
    ("Flers – Argentan — Sées", "Flers - Argentan - Sées"),
    ("17\u00a0h\u202f30\u2009!", "17 h 30 !"),
    ("Ça va", "Ça va"),
])
def test_transliterate(source, expected):
    assert smstext.transliterate(source) == expected


def test_transliterate_keeps_what_gsm7_has():
    kept = "éèàùìòÉÄÖÜäöüñÑøØåÅßÆæÇ€@£$¥¤¡¿ΔΦΓΛΩΠΨΣΘΞ{}[]~^|\\\n\r"
    assert smstext.transliterate(kept) == kept


def test_transliterate_falls_back_to_decomposition_then_question_mark():
    assert smstext.transliterate("ā ō ÿ ž") == "a o y z"
    assert smstext.transliterate("α 😀 中") == "?  ?"        # a pictogram is dropped, not a '?'
    assert smstext.transliterate("Fermez → 17 ✔") == "Fermez -> 17 v"
    assert smstext.transliterate("ﬁ") == "fi"             # compatibility ligature


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_transliterated_text_is_always_gsm7_and_stable(text):
    clean = smstext.transliterate(text)
    assert smstext.analyze(clean).encoding == "gsm7"
    assert smstext.transliterate(clean) == clean


_GSM = sorted(set(smstext.GSM7_BASIC) | set(smstext.GSM7_EXTENSION))
# Mostly plain letters so that escape pairs land on part boundaries now and then.
_GSM_TEXT = st.text(alphabet=st.one_of(st.sampled_from("abc "), st.sampled_from(_GSM)), max_size=500)
_UCS2_TEXT = st.builds(lambda a, b: a + b, _GSM_TEXT, st.text(alphabet=st.sampled_from("çêôœ«»’"),
                                                              min_size=1, max_size=3))


@settings(max_examples=200, deadline=None)
@given(st.one_of(_GSM_TEXT, _UCS2_TEXT, st.text(max_size=300)))
def test_parts_match_the_real_encoder(text):
    if not text or any(ord(c) > 0xFFFF for c in text) or "\x1b" in text:
        return      # refused by check(), or not text at all
    assert smstext.analyze(text).parts == wire_parts(text)


# --- check -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_check_refuses_an_empty_text(text):
    with pytest.raises(InvalidInput) as e:
        smstext.check(text, 3)
    assert e.value.message == "Le texte est vide."
    assert e.value.field == "text"


def test_check_refuses_too_many_parts_with_the_count():
    smstext.check(ALERTS["point"], 3)
    with pytest.raises(InvalidInput) as e:
        smstext.check(ALERTS["point"], 2)
    assert "3 SMS" in e.value.message and "2" in e.value.message
    assert e.value.field == "text"


def test_check_explains_ucs2():
    with pytest.raises(InvalidInput) as e:
        smstext.check(ALERTS["impots"], 2)
    assert "ô" in e.value.message and "70" in e.value.message


def test_check_refuses_characters_the_modem_cannot_send():
    with pytest.raises(InvalidInput) as e:
        smstext.check("Alerte 🚨 cambriolage", 3)
    assert "🚨" in e.value.message


def test_check_returns_the_analysis():
    assert smstext.check(ALERTS["fin"], 1) == smstext.analyze(ALERTS["fin"])


# --- what the phone shows: the PDUs the library builds, read with GSM 03.38 ---------------------

def _candidates() -> list[str]:
    from vigie.daemon.simulator import pdu as spec
    chars = set(spec.GSM7_BASIC) | set(spec.GSM7_EXTENSION.values()) | set(smstext.ON_AIR)
    chars |= {chr(c) for c in range(0x20, 0x250)} | set("ΔΦΓΛΩΠΨΣΘΞ€\f’«»…—")
    return sorted(chars - {"\x1b", "\r"})


@pytest.mark.parametrize("char", _candidates())
def test_every_character_reaches_the_phone_as_the_preview_counts_it(char):
    """Read back with GSM 03.38 (the simulator's decoder, as a phone): the text on air is the
    previewed one, in the previewed encoding; a character the library would show as another one is
    replaced on the way and listed in ``replaced`` (a backtick went on air as « § »)."""
    from vigie.daemon.simulator.pdu import decode_submit
    text = f"a{char}b"
    info = smstext.analyze(text)
    on_air = decode_submit(encode_parts(PHONE, text, concat_ref=7)[0].hex)
    assert on_air.text == smstext.for_air(text)
    assert on_air.encoding == info.encoding
    if char in smstext.ON_AIR:
        assert info.replaced == (char,) and on_air.text == "a" + smstext.ON_AIR[char] + "b"
    else:
        assert info.replaced == () and on_air.text == text


def test_the_library_differs_from_gsm_03_38_only_where_smstext_says():
    """python-gsmmodem-new's own tables, compared with GSM 03.38: each difference is either a
    character replaced before sending (ON_AIR) or one the library sends in UCS-2 (NOT_SENT_AS_GSM7)."""
    from gsmmodem import pdu as library

    from vigie.daemon.simulator import pdu as spec
    shown_as_other = set()
    for code, char in enumerate(library.GSM7_BASIC):
        if char != spec.GSM7_BASIC[code]:
            shown_as_other.add(char)
    for char, code in library.GSM7_EXTENDED.items():
        if spec.GSM7_EXTENSION.get(ord(code) if isinstance(code, str) else code) != char:
            shown_as_other.add(char)
    assert shown_as_other == set(smstext.ON_AIR) == {"`", "ÿ"}
    encodable = set(library.GSM7_BASIC) | set(library.GSM7_EXTENDED)
    in_spec = (set(spec.GSM7_BASIC) | set(spec.GSM7_EXTENSION.values())) - {"\x1b"}
    assert in_spec - encodable == smstext.NOT_SENT_AS_GSM7


def test_backtick_goes_on_air_as_an_apostrophe_and_the_preview_says_so():
    text = "Code `A12` saisi."
    info = smstext.analyze(text)
    assert (info.encoding, info.non_gsm, info.replaced) == ("gsm7", (), ("`",))
    assert smstext.for_air(text) == "Code 'A12' saisi."


def test_emoji_is_announced_as_refused_before_sending():
    info = smstext.analyze("Alerte 🚨 à Flers")
    assert info.unsendable == ("🚨",)
    with pytest.raises(InvalidInput) as e:
        smstext.check("Alerte 🚨 à Flers", 4)
    assert "🚨" in str(e.value) and "retirez-les" in str(e.value)
    assert smstext.analyze(smstext.transliterate("Alerte 🚨 à Flers")).unsendable == ()
    assert smstext.analyze("Alerte → Flers").unsendable == ()
