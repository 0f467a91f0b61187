"""Validation of member data: every function returns the normalised value or a French error
naming the field, and never lets a bad value through."""

import pytest

from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.reference import validate


def refused(func, value, field, *fragments):
    with pytest.raises(InvalidInput) as e:
        func(value)
    assert e.value.field == field
    for fragment in fragments:
        assert fragment in e.value.message, e.value.message
    return e.value.message


# --- SIRET / SIREN -----------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("73282932000074", "73282932000074"),
    ("732 829 320 00074", "73282932000074"),
    (" 732.829.320.00074 ", "73282932000074"),
    ("732\u00a0829\u00a0320\u00a000074", "73282932000074"),
    ("55203253400646", "55203253400646"),
    ("35600000049837", "35600000049837"),    # La Poste: Luhn fails, the sum-of-digits rule holds
    ("35600000000048", "35600000000048"),
])
def test_valid_sirets(value, expected):
    assert validate.siret(value) == expected


def test_invalid_sirets():
    refused(validate.siret, "73282932000075", "siret", "clé de contrôle")
    refused(validate.siret, "35600000049838", "siret", "clé de contrôle")   # La Poste, wrong key
    refused(validate.siret, "7328293200007", "siret", "14 chiffres", "13")
    refused(validate.siret, "732829320000741", "siret", "14 chiffres", "15")
    refused(validate.siret, "7328293200007A", "siret", "que des chiffres")
    refused(validate.siret, "SIRET inconnu", "siret", "que des chiffres")
    refused(validate.siret, "7,32829E+13", "siret", "tableur")
    refused(validate.siret, "00000000000000", "siret", "n'existe pas", "zéros")   # Luhn-valid, never assigned
    refused(validate.siret, "000 000 000 00000", "siret", "n'existe pas")
    refused(validate.siren, "000000000", "siren", "n'existe pas")
    # 01234567400019 is valid; a spreadsheet that dropped its leading zero gets a hint.
    assert validate.siret("01234567400019") == "01234567400019"
    refused(validate.siret, "1234567400019", "siret", "14 chiffres", "zéro initial")
    refused(validate.siret, "", "siret", "obligatoire")
    refused(validate.siret, None, "siret", "obligatoire")


def test_siren():
    assert validate.siren("732 829 320") == "732829320"
    assert validate.siren("356000000") == "356000000"
    refused(validate.siren, "732829321", "siren", "clé de contrôle")
    refused(validate.siren, "73282932", "siren", "9 chiffres")


# --- phones ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("06 12 34 56 78", "+33612345678"),
    ("0612345678", "+33612345678"),
    ("06.12.34.56.78", "+33612345678"),
    ("06-12-34-56-78", "+33612345678"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("+33612345678", "+33612345678"),
    ("0033612345678", "+33612345678"),
    ("0033 6 12 34 56 78", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "+33612345678"),
    ("07 81 23 45 67", "+33781234567"),
    ("Tél. : 06 12 34 56 78", "+33612345678"),
    ("0692 12 34 56", "+262692123456"),          # La Réunion, dialled like the mainland
    ("0690 12 34 56", "+590690123456"),          # Guadeloupe
    ("+262 692 12 34 56", "+262692123456"),
    ("0696 12 34 56", "+596696123456"),          # Martinique
    ("0694 12 34 56", "+594694123456"),          # Guyane
    ("0639 01 23 45", "+262639012345"),          # Mayotte
])
def test_mobile_numbers(value, expected):
    assert validate.mobile_phone(value) == expected


FOREIGN = [("+32 470 12 34 56", "Belgique"), ("+44 7400 123456", "Royaume-Uni"),
           ("+41 79 123 45 67", "Suisse"), ("+377 6 12 34 56 78", "Monaco")]


@pytest.mark.parametrize("value, country", FOREIGN)
def test_foreign_mobiles_are_refused_with_the_way_to_allow_them(value, country):
    message = refused(validate.mobile_phone, value, "phone", "mobile étranger", f"({country})",
                      "[daemon] allow_foreign_mobiles = true")
    assert "SIM" in message
    expected = "+" + "".join(c for c in value if c.isdigit())
    assert validate.mobile_phone(value, allow_foreign=True) == expected


def test_the_setting_allows_foreign_mobiles_for_the_whole_process():
    try:
        validate.allow_foreign_mobiles(True)
        assert validate.phones("06 12 34 56 78 / +32 470 12 34 56") == ["+33612345678", "+32470123456"]
    finally:
        validate.allow_foreign_mobiles(False)
    refused(validate.phones, "06 12 34 56 78 / +32 470 12 34 56", "phone", "Belgique")


@pytest.mark.parametrize("value", ["6,12346E+08", "6.12346E+08", "6,12346e+8", "7,81234E+08", "33612345678E0"])
def test_a_phone_the_spreadsheet_turned_into_a_number_says_so(value):
    refused(validate.mobile_phone, value, "phone", "converti en nombre par le tableur", "format texte")
    refused(validate.phones, value, "phone", "converti en nombre par le tableur")   # a cell: not split at ","


def test_landlines_are_refused_with_the_number():
    message = refused(validate.mobile_phone, "02 33 12 34 56", "phone", "est un fixe", "SMS")
    assert message == "Le numéro 02 33 12 34 56 est un fixe : il ne peut pas recevoir de SMS."
    refused(validate.mobile_phone, "+33 2 33 12 34 56", "phone", "02 33 12 34 56", "fixe")
    refused(validate.mobile_phone, "01 42 68 53 00", "phone", "fixe")
    refused(validate.mobile_phone, "05 33 12 34 56", "phone", "fixe")
    refused(validate.mobile_phone, "09 12 34 56 78", "phone", "fixe")
    refused(validate.mobile_phone, "+49 30 1234567", "phone", "fixe")


def test_special_and_short_numbers_are_refused():
    refused(validate.mobile_phone, "0 800 12 34 56", "phone", "numéro spécial")
    refused(validate.mobile_phone, "17", "phone", "trop court")
    refused(validate.mobile_phone, "112", "phone", "trop court")
    refused(validate.mobile_phone, "3117", "phone", "trop court")
    refused(validate.mobile_phone, "06 12 34", "phone", "trop court")


@pytest.mark.parametrize("value", ["abc", "n/a", "---", "+33 6 12 34 56 78 9", "06 12 34 56 78 90 12"])
def test_garbage_is_refused(value):
    refused(validate.mobile_phone, value, "phone")


def test_empty_phone():
    refused(validate.mobile_phone, "", "phone", "vide")


def test_a_cell_with_several_numbers():
    assert validate.phones("06 12 34 56 78 / 07 81 23 45 67") == ["+33612345678", "+33781234567"]
    assert validate.phones("0612345678;0781234567, +33 6 11 22 33 44") == [
        "+33612345678", "+33781234567", "+33611223344"]
    assert validate.phones("06 12 34 56 78 et 07 81 23 45 67") == ["+33612345678", "+33781234567"]
    assert validate.phones("06 12 34 56 78 / +33 6 12 34 56 78") == ["+33612345678"]
    assert validate.phones("06 12 34 56 78  07 81 23 45 67") == ["+33612345678", "+33781234567"]
    assert validate.phones("0612345678 +33 7 81 23 45 67") == ["+33612345678", "+33781234567"]
    assert validate.phones("") == []
    refused(validate.phones, "06 12 34 56 78 / 02 33 12 34 56", "phone", "02 33 12 34 56", "fixe")


# --- NAF, chamber, e-mail ------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("4777Z", "47.77Z"),
    ("47.77z", "47.77Z"),
    ("47.77 Z", "47.77Z"),
    (" 47 77 Z ", "47.77Z"),
    ("43.99E", "43.99E"),
    ("0111Z", "01.11Z"),
    ("47.77", "47.77Z"),       # a class with a single sub-class can only mean that one
])
def test_naf_codes(value, expected):
    assert validate.naf_code(value) == expected


def test_bad_naf_codes():
    refused(validate.naf_code, "47.7", "naf", "un groupe", "47.77Z")
    refused(validate.naf_code, "43.99", "naf", "une classe")     # 43.99A ... 43.99E: ambiguous
    refused(validate.naf_code, "G", "naf", "une section")
    refused(validate.naf_code, "47.77Y", "naf", "n'existe pas")
    refused(validate.naf_code, "99.99Z", "naf", "n'existe pas")
    refused(validate.naf_code, "bijouterie", "naf", "n'est pas un code NAF")
    refused(validate.naf_code, "", "naf", "obligatoire")


@pytest.mark.parametrize("value, expected", [
    ("CCI", "cci"), ("cci", "cci"), ("Chambre de commerce", "cci"),
    ("Chambre de Commerce et d'Industrie", "cci"), ("CCI Portes de Normandie", "cci"),
    ("CMA", "cma"), ("Chambre de métiers", "cma"), ("CHAMBRE DES METIERS ET DE L'ARTISANAT", "cma"),
    ("CA", "ca"), ("ca", "ca"), ("chambre d'agriculture", "ca"), ("Chambre d’Agriculture de l’Orne", "ca"),
    ("", ""), ("  ", ""), (None, ""),
])
def test_chambers(value, expected):
    assert validate.chamber(value) == expected


@pytest.mark.parametrize("value", ["Mairie", "URSSAF", "x"])
def test_unknown_chamber(value):
    refused(validate.chamber, value, "chamber", "CCI", "CMA", "CA")


def test_emails():
    assert validate.email("contact@Bijouterie-Durand.FR") == "contact@bijouterie-durand.fr"
    assert validate.email("  jean.dupont+vigie@orange.fr ") == "jean.dupont+vigie@orange.fr"
    assert validate.email("") == ""
    for bad in ["jean.dupont", "jean@", "@orange.fr", "jean dupont@orange.fr", "a@b", "a@@b.fr", "a@b..fr"]:
        refused(validate.email, bad, "email", "invalide")


# --- INSEE codes (need the communes) -------------------------------------------------------------

def test_insee_codes(database):
    assert validate.insee_code("61006") == "61006"            # Argentan
    assert validate.insee_code(" 61001 ") == "61001"          # Alençon
    # Former communes give the current one.
    assert validate.insee_code("61003") == "61167"            # Anceins -> La Ferté-en-Ouche
    assert validate.insee_code("61004") == "61168"            # Antoigny -> La Ferté Macé
    assert validate.insee_code("61310") == "61275"            # Nonant-le-Pin -> Merlerault-le-Pin
    # A chef-lieu keeps its code: current, not mapped elsewhere.
    assert validate.insee_code("61167") == "61167"


def test_bad_insee_codes(database):
    refused(validate.insee_code, "61999", "commune", "inconnu")
    refused(validate.insee_code, "14118", "commune", "inconnu")     # Caen: Calvados is not loaded
    refused(validate.insee_code, "6100", "commune", "5 caractères")
    refused(validate.insee_code, "Argentan", "commune", "n'est pas un code INSEE")
    refused(validate.insee_code, "", "commune", "vide")
    refused(validate.insee_code, "2A004", "commune", "inconnu")     # Corsican shape is accepted
