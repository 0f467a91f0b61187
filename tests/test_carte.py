"""The shipped commune boundaries and the pure SVG renderer (web/carte.py), without a database."""

import collections
import csv
import importlib.resources
import io
import itertools
import json
import math
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from vigie.daemon.core.reference.geo import haversine_km  # the distance the targeting uses
from vigie.web import carte

SVG = "{http://www.w3.org/2000/svg}"
DATA = importlib.resources.files("vigie.daemon.data")


def _csv_codes() -> list[str]:
    return [r["insee"] for r in csv.DictReader(io.StringIO((DATA / "orne-communes.csv").read_text("utf-8")))]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _paths(root) -> list[ET.Element]:
    return root.findall(f".//{SVG}path[@data-insee]")


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def test_shipped_file_has_one_feature_per_commune():
    data = json.loads((DATA / carte.BOUNDARIES).read_text(encoding="utf-8"))
    codes = [f["properties"]["insee"] for f in data["features"]]
    assert len(codes) == 381
    assert codes == _csv_codes()
    assert all(f["properties"]["nom"] for f in data["features"])
    assert all(f["geometry"]["type"] == "Polygon" for f in data["features"])


def test_shared_borders_stay_shared():
    """No gap or overlap between neighbours: an edge belongs to two communes or is on the
    département's outline, and the edges that belong to one commune only make one closed line
    (a hole not filled by another Orne commune, as in 61069, aside)."""
    data = json.loads((DATA / carte.BOUNDARIES).read_text(encoding="utf-8"))
    edges = collections.Counter()
    hole_edges = set()
    for feature in data["features"]:
        for i, ring in enumerate(feature["geometry"]["coordinates"]):
            assert ring[0] == ring[-1] and len(ring) >= 4
            for a, b in itertools.pairwise(ring):
                edges[frozenset((tuple(a), tuple(b)))] += 1
                if i:
                    hole_edges.add(frozenset((tuple(a), tuple(b))))
    assert max(edges.values()) == 2
    outline = [tuple(e) for e, n in edges.items() if n == 1 and e not in hole_edges]
    assert len(outline) > 500
    neighbours = collections.defaultdict(list)
    for a, b in outline:
        neighbours[a].append(b)
        neighbours[b].append(a)
    assert all(len(v) == 2 for v in neighbours.values())
    start = outline[0][0]
    seen, previous, point = {start}, None, start
    while True:
        nxt = next(p for p in neighbours[point] if p != previous)
        if nxt == start:
            break
        seen.add(nxt)
        previous, point = point, nxt
    assert len(seen) == len(neighbours), "the outline of the département is one closed line"


def _shared_source():
    root = pathlib.Path(__file__).resolve().parent.parent
    for folder in (root.parent / "shared", root.parent.parent / "shared"):     # CI clone, worktree
        if (folder / "data" / "orne-communes.geojson").exists():
            return folder / "data" / "orne-communes.geojson"
    return None


@pytest.mark.skipif(_shared_source() is None, reason="shared/data/orne-communes.geojson absent")
def test_the_shipped_file_is_what_the_script_makes(tmp_path):
    """tools/simplify_map.py redoes the shipped boundaries byte for byte from the reference file."""
    out = tmp_path / "out.geojson"
    script = pathlib.Path(__file__).resolve().parent.parent / "tools" / "simplify_map.py"
    done = subprocess.run([sys.executable, str(script), str(_shared_source()), "--tolerance", "120",
                           "--decimals", "4", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "communes: 381 (381 distinct insee" in done.stdout
    assert out.read_bytes() == (DATA / carte.BOUNDARIES).read_bytes()


def test_every_commune_is_one_path_with_its_code_and_name():
    root = _parse(carte.render())
    paths = _paths(root)
    assert len(paths) == 381
    assert [p.get("data-insee") for p in paths] == _csv_codes()
    titles = {p.get("data-insee"): p.find(f"{SVG}title").text for p in paths}
    assert titles["61006"] == "Argentan"
    assert titles["61228"] == "L'Orée-d'Écouves"
    assert root.get("viewBox").startswith("0 0 ")
    assert not root.findall(f".//{SVG}circle[@class='rayon']")
    assert not root.findall(f".//{SVG}script") and "href" not in carte.render()


def test_cible_set_is_the_input_set():
    chosen = {"61006", "61001", "61169", "61228"}
    root = _parse(carte.render(cible=chosen))
    assert {p.get("data-insee") for p in _paths(root) if "cible" in _classes(p)} == chosen


def test_titles_give_recipient_counts_in_french():
    root = _parse(carte.render(cible={"61006", "61001"}, counts={"61006": 3, "61001": 1}))
    titles = {p.get("data-insee"): p.find(f"{SVG}title").text for p in _paths(root)}
    assert {p.get("data-insee") for p in _paths(root) if "destinataires" in _classes(p)} == {"61006", "61001"}
    assert titles["61006"] == "Argentan — 3 destinataires"
    assert titles["61001"] == "Alençon — 1 destinataire"
    assert titles["61169"] == "Flers"
    root = _parse(carte.render(cible={"61006", "61169"}, counts={"61006": 3}))
    titles = {p.get("data-insee"): p.find(f"{SVG}title").text for p in _paths(root)}
    assert (titles["61169"], titles["61001"]) == ("Flers — aucun destinataire", "Alençon")


def test_radius_circle_and_centre_mark():
    root = _parse(carte.render(cible={"61006"}, around="61006", radius_km=20))
    circles = root.findall(f".//{SVG}circle[@class='rayon']")
    assert len(circles) == 1
    centre = [p for p in _paths(root) if "centre" in _classes(p)]
    assert [p.get("data-insee") for p in centre] == ["61006"]
    mark = root.find(f".//{SVG}circle[@class='centre-point']")
    assert mark.find(f"{SVG}title").text == "Centre : Argentan"
    # 20 km is 200 units of 100 m, give or take Lambert-93's scale in the Orne (under 0.1 %).
    assert float(circles[0].get("r")) == pytest.approx(200, rel=1e-3)
    assert (mark.get("cx"), mark.get("cy")) == (circles[0].get("cx"), circles[0].get("cy"))
    assert circles[0].find(f"{SVG}title").text == "Rayon de 20 km"


def test_radius_is_true_to_distances_on_the_ground():
    """The circle's radius in map units matches the great-circle distance between two communes."""
    m = carte.carte()
    points = {r["insee"]: (float(r["latitude"]), float(r["longitude"]))
              for r in csv.DictReader(io.StringIO((DATA / "orne-communes.csv").read_text("utf-8")))}
    for a, b in (("61006", "61001"), ("61006", "61169"), ("61001", "61484")):
        km = haversine_km(*points[a], *points[b])
        (xa, ya), (xb, yb) = m.by_insee[a].point, m.by_insee[b].point
        on_map_km = math.hypot(xb - xa, yb - ya) * carte.UNIT_M / 1000 / carte.scale_factor(points[a][0])
        assert on_map_km == pytest.approx(km, rel=5e-3)


def test_delivery_states_and_incident_markers():
    root = _parse(carte.render(states={"61006": "livre", "61001": "en-cours", "61169": "echec",
                                       "61228": "inconnu"},
                               markers={"61006": 2, "61001": 1},
                               marker_label=lambda n: f"{n} signalement{'s' if n > 1 else ''}"))
    by_code = {p.get("data-insee"): p for p in _paths(root)}
    assert "livre" in _classes(by_code["61006"])
    assert "en-cours" in _classes(by_code["61001"])
    assert "echec" in _classes(by_code["61169"])
    assert _classes(by_code["61228"]) == set()
    assert by_code["61169"].find(f"{SVG}title").text == "Flers — échec"
    dots = root.findall(f".//{SVG}circle[@class='signalement']")
    assert {d.get("data-insee"): d.find(f"{SVG}title").text for d in dots} == {
        "61006": "Argentan — 2 signalements", "61001": "Alençon — 1 signalement"}


def test_unknown_codes_are_ignored_and_names_escaped():
    svg = carte.render(cible={"14118", "61006"}, around="14118", radius_km=5, label="Zone « A & B »")
    root = _parse(svg)
    assert {p.get("data-insee") for p in _paths(root) if "cible" in _classes(p)} == {"61006"}
    assert root.get("aria-label") == "Zone « A & B »"
    assert not root.findall(f".//{SVG}circle[@class='rayon']")    # no known centre: no circle


def test_every_text_written_is_escaped():
    """Labels carry stored names (zones, sector groups): the SVG is embedded raw in the pages."""
    hostile = '<script>alert(1)</script> & "zone" \'x\' </svg><img src=x>'
    svg = carte.render(label=hostile, element_id='a"b', notes={"61006": hostile}, counts={"61006": 2},
                       markers={"61006": 1}, marker_label=lambda n: hostile)
    root = _parse(svg)
    assert root.get("aria-label") == hostile and root.get("id") == 'a"b'
    assert "<script" not in svg and "<img" not in svg and "</svg><" not in svg
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert hostile in titles and f"Argentan — 2 destinataires — {hostile}" in titles
    assert f"Argentan — {hostile}" in titles


def test_small_enough_for_a_page():
    svg = carte.render(cible=set(_csv_codes()), counts={c: 12 for c in _csv_codes()})
    assert len(svg.encode()) < 110_000
