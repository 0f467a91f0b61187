"""Geography on the real reference data: INSEE codes (current and former), postal addresses,
radius targeting, other départements and the commune picker."""

import shutil

import pytest

from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Commune, FormerCommune, Zone, ZoneCommune
from vigie.daemon.core.reference import geo, validate


def test_reference_data_is_loaded(database):
    assert Commune.select().where(Commune.departement == "61").count() == 381
    assert FormerCommune.select().count() == 144


def test_haversine_known_distances():
    # One degree of latitude on the mean sphere: 6371.0088 * pi / 180.
    assert geo.haversine_km(48.0, 0.0, 49.0, 0.0) == pytest.approx(111.195, abs=0.001)
    # Paris (Notre-Dame) to London (Charing Cross): about 343.5 km.
    assert geo.haversine_km(48.8530, 2.3498, 51.5073, -0.1276) == pytest.approx(343.5, abs=1.0)
    assert geo.haversine_km(48.73, -0.01, 48.73, -0.01) == 0.0


# --- INSEE codes -----------------------------------------------------------------------------

def test_resolve_commune(database):
    assert geo.resolve_commune("61006").name == "Argentan"
    assert geo.resolve_commune("61003").name == "La Ferté-en-Ouche"     # former commune Anceins
    assert geo.resolve_commune("61188").insee == "61275"               # La Genevraie
    with pytest.raises(InvalidInput) as e:
        geo.resolve_commune("61999")
    assert e.value.field == "commune"


# --- postal code and town ----------------------------------------------------------------------

@pytest.mark.parametrize("postal, town, insee", [
    ("61200", "Argentan", "61006"),
    ("61200", "ARGENTAN", "61006"),
    ("61 200", "argentan", "61006"),
    ("61000", "Alençon", "61001"),
    ("61000", "ALENCON CEDEX", "61001"),
    ("61000", "St Germain du Corbeis", "61397"),
    ("61000", "ST-GERMAIN-DU-CORBEIS", "61397"),
    ("61410", "La Ferté-Macé", "61168"),
    ("61600", "ferte mace", "61168"),
    ("61200", "Ecouche les Vallees", "61153"),
    ("61550", "Anceins", "61167"),              # a former commune's name finds the current one
    ("61490", "", "61376"),                     # only one commune has this postal code
])
def test_find_by_postal(database, postal, town, insee):
    assert geo.find_by_postal(postal, town).insee == insee


def test_find_by_postal_refusals(database):
    with pytest.raises(InvalidInput) as e:
        geo.find_by_postal("61000")
    assert "3 communes" in e.value.message and "Cerisé" in e.value.message
    with pytest.raises(InvalidInput) as e:
        geo.find_by_postal("61200", "Flers")
    assert "Flers" in e.value.message and "Argentan" in e.value.message
    with pytest.raises(InvalidInput) as e:
        geo.find_by_postal("75001", "Paris")
    assert "75001" in e.value.message
    with pytest.raises(InvalidInput) as e:
        geo.find_by_postal("612", "Argentan")
    assert e.value.field == "postal_code"


def test_name_key():
    assert geo.name_key("Saint-Germain-du-Corbéis") == geo.name_key("ST GERMAIN DU CORBEIS")
    assert geo.name_key("Sainte-Opportune") == geo.name_key("Ste Opportune")
    assert geo.name_key("La Ferté Macé") == geo.name_key("ferte-mace")
    assert geo.name_key("L'Aigle") == "aigle"
    assert geo.name_key("Les Authieux-du-Puits") == "authieux du puits"


# --- radius --------------------------------------------------------------------------------------

def point(insee):
    c = Commune.get_by_id(insee)
    return c.latitude, c.longitude


def test_zero_radius_is_the_centre_only(database):
    assert geo.communes_within("61006", 0) == ["61006"]
    assert geo.communes_within("61006", 0.0001) == ["61006"]


def test_a_commune_exactly_at_the_radius_is_inside(database):
    centre = point("61006")
    nearest = geo.distances_from("61006")[1]            # the closest commune but the centre
    code, km = nearest
    assert km == pytest.approx(geo.haversine_km(*centre, *point(code)))
    assert code in geo.communes_within("61006", km)
    assert code not in geo.communes_within("61006", km - 1e-6)
    assert geo.communes_within("61006", km)[:2] == ["61006", code]


def test_radius_matches_a_brute_force_count(database):
    centre = point("61006")
    for radius in (5, 10, 15.5, 30):
        expected = {c.insee for c in Commune.select()
                    if geo.haversine_km(*centre, c.latitude, c.longitude) <= radius}
        got = geo.communes_within("61006", radius)
        assert set(got) == expected
        assert len(got) == len(set(got))
    assert len(geo.communes_within("61006", 10)) < len(geo.communes_within("61006", 20))
    # The whole Orne is about 140 km wide.
    assert len(geo.communes_within("61006", 200)) == 381


def test_radius_around_a_former_commune_uses_the_current_one(database):
    assert geo.communes_within("61003", 0) == ["61167"]


def test_radius_refusals(database):
    for radius in (-1, "beaucoup", float("nan")):
        with pytest.raises(InvalidInput) as e:
            geo.communes_within("61006", radius)
        assert e.value.field == "radius_km"
    with pytest.raises(InvalidInput):
        geo.communes_within("99999", 10)


# --- other départements ----------------------------------------------------------------------------

CALVADOS = """insee,name,postal_code,latitude,longitude,arrondissement,arrondissement_name,canton,postal_codes
14118,Caen,14000,49.182863,-0.370679,141,Caen,1499,14000
14258,Falaise,14700,48.895751,-0.192952,142,Lisieux,1410,14700
"""


def test_load_another_departement(database, tmp_path):
    path = tmp_path / "calvados.csv"
    path.write_text(CALVADOS, encoding="utf-8")
    with pytest.raises(InvalidInput):
        validate.insee_code("14118")
    assert geo.load_departement_file(str(path), "14") == 2
    assert validate.insee_code("14118") == "14118"
    assert Commune.get_by_id("14258").departement == "14"
    assert geo.find_by_postal("14700", "Falaise").insee == "14258"
    # Falaise is about 25 km from Argentan: radius targeting crosses the border.
    assert "14258" in geo.communes_within("61006", 30)
    assert "61006" in geo.communes_within("14258", 30)
    assert [c.insee for c in geo.search("fala")] == ["14258"]


def test_reloading_keeps_what_points_to_the_communes(database, tmp_path):
    path = tmp_path / "calvados.csv"
    path.write_text(CALVADOS, encoding="utf-8")
    geo.load_departement_file(str(path), "14")
    zone = Zone.create(name="Pays d'Auge")
    ZoneCommune.create(zone=zone, commune="14118")
    path.write_text(CALVADOS.replace("Caen,14000", "Caen,14000").replace("49.182863", "49.18"),
                    encoding="utf-8")
    assert geo.load_departement_file(str(path), "14") == 2
    assert Commune.get_by_id("14118").latitude == 49.18
    assert ZoneCommune.select().where(ZoneCommune.commune == "14118").count() == 1
    # Reloading the Orne itself must not cascade-delete its former communes.
    orne = tmp_path / "orne.csv"
    shutil.copy(geo.DATA / "orne-communes.csv", orne)
    assert geo.load_departement_file(str(orne), "61") == 381
    assert FormerCommune.select().count() == 144


def test_load_former_communes_of_another_departement(database, tmp_path):
    communes = tmp_path / "calvados.csv"
    communes.write_text(CALVADOS, encoding="utf-8")
    geo.load_departement_file(str(communes), "14")
    former = tmp_path / "calvados-deleguees.csv"
    former.write_text("insee,name,type,parent_insee,parent_name\n"
                      "14999,Ancienne commune,COMD,14258,Falaise\n", encoding="utf-8")
    assert geo.load_departement_file(str(former), "14") == 1
    assert validate.insee_code("14999") == "14258"


@pytest.mark.parametrize("content, fragment", [
    (CALVADOS.replace("14258,Falaise", "61258,Falaise"), "pas dans le département 14"),
    (CALVADOS.replace("48.895751", "quarante-huit"), "coordonnées illisibles"),
    (CALVADOS.replace("14700,48.895751", "147,48.895751"), "code postal"),
    ("insee,name\n14118,Caen\n", "colonnes attendues"),
    ("", "vide"),
    ("insee,name,type,parent_insee\n14999,X,COMD,14000\n", "rattachement inconnues"),
])
def test_bad_departement_files_load_nothing(database, tmp_path, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    before = Commune.select().count()
    with pytest.raises(InvalidInput) as e:
        geo.load_departement_file(str(path), "14")
    assert fragment in e.value.message
    assert Commune.select().count() == before


def test_missing_file_and_bad_departement(database, tmp_path):
    with pytest.raises(InvalidInput) as e:
        geo.load_departement_file(str(tmp_path / "absent.csv"), "14")
    assert "Impossible de lire" in e.value.message
    with pytest.raises(InvalidInput) as e:
        geo.load_departement_file(str(tmp_path / "absent.csv"), "Calvados")
    assert e.value.field == "departement"


# --- picker ----------------------------------------------------------------------------------------

def test_search(database):
    assert geo.search("argentan")[0].insee == "61006"
    assert geo.search("alencon")[0].name == "Alençon"
    assert geo.search("61006")[0].name == "Argentan"
    assert [c.insee for c in geo.search("st germain du c")] == ["61397"]
    assert [c.name for c in geo.search("ferte")] == ["La Ferté-en-Ouche", "La Ferté Macé"]  # French order
    assert geo.search("Anceins")[0].insee == "61167"      # former commune's name
    assert {c.insee for c in geo.search("61200", limit=50)} >= {"61006", "61474"}
    assert len(geo.search("saint", limit=5)) == 5
    assert geo.search("") == [] and geo.search("zzzz") == []


# --- main postal codes of the communes nouvelles -----------------------------------------------

# Every commune with several postal codes, with the postal code of its chef-lieu: La Poste's row
# for the chef-lieu (no "ligne 5"), or the row of the former commune whose INSEE code the commune
# nouvelle kept (orne-communes-deleguees.csv: insee == parent_insee); see data/ATTRIBUTION.md.
CHEF_LIEU_POSTAL = {
    "61007": ("Athis-de-l'Orne", "61430"), "61050": ("Boissy-Maugis", "61110"),
    "61081": ("Chailloué", "61500"), "61096": ("La Chapelle-d'Andaine", "61140"),
    "61153": ("Écouché", "61150"), "61167": ("La Ferté-Frênel", "61550"),
    "61168": ("La Ferté-Macé", "61600"), "61196": ("Le Gué-de-la-Chaîne", "61130"),
    "61211": ("Juvigny-sous-Andaine", "61140"), "61228": ("Livaie", "61420"),
    "61294": ("Mortrée", "61570"), "61460": ("Le Sap", "61470"),
    "61474": ("Silly-en-Gouffern", "61310"), "61483": ("Bagnoles-de-l'Orne", "61140"),
    "61484": ("Le Theil", "61260"),
}


def test_every_commune_nouvelle_has_its_chef_lieu_s_main_postal_code(database):
    several = {c.insee: c for c in Commune.select() if len(c.postal_codes.split()) > 1}
    assert set(several) == set(CHEF_LIEU_POSTAL)
    wrong = {insee: (c.name, c.postal_code, CHEF_LIEU_POSTAL[insee])
             for insee, c in several.items() if c.postal_code != CHEF_LIEU_POSTAL[insee][1]}
    assert wrong == {}
    assert geo.resolve_commune("61168").postal_code == "61600"          # La Ferté Macé, not Antoigny's
    assert geo.resolve_commune("61474").postal_code == "61310"          # Gouffern en Auge: Silly's
    for insee, (chef_lieu, _) in CHEF_LIEU_POSTAL.items():
        former = FormerCommune.get_or_none(FormerCommune.insee == insee)
        assert former is None or former.name == chef_lieu


def test_a_corrected_postal_code_reaches_an_existing_database(database):
    Commune.update(postal_code="61410").where(Commune.insee == "61168").execute()   # as shipped before
    geo.ensure_reference_data()
    assert Commune.get_by_id("61168").postal_code == "61600"
    assert Commune.select().where(Commune.departement == "61").count() == 381
