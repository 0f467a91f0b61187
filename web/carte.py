"""The map of the Orne drawn by the box itself, as SVG: no tiles, no external request, no script.

The shipped boundaries (daemon/data/orne-communes-simplified.geojson, made by
tools/simplify_map.py) are read once, projected in Lambert-93 (the French conformal conic,
EPSG:2154: distances and the radius circle come out true at the département's scale), and each
commune's path kept ready; a render only assembles strings, a few milliseconds for 381 communes.

Every commune is one ``<path data-insee="…">`` with a ``<title>`` (its name, and how many
recipients when counts are given). Classes carry the meaning, presentation attributes the default
colours, so the SVG reads the same standalone, as an image and inline (where web/static/style.css
may restyle it; the console's Content-Security-Policy forbids inline styles, not attributes).
"""

import csv
import functools
import html
import importlib.resources
import io
import json
import math
from dataclasses import dataclass

from vigie.daemon.core.reference.french import decimal_g

DATA = importlib.resources.files("vigie.daemon.data")
BOUNDARIES = "orne-communes-simplified.geojson"
POINTS = "orne-communes.csv"

UNIT_M = 100.0          # one SVG unit is 100 m of Lambert-93
MARGIN = 30             # units around the département (3 km)

# Lambert-93 (EPSG:2154) on GRS80, IGN's constants.
_E = 0.0818191910428158
_N = 0.7256077650532670
_C = 11754255.426096
_XS, _YS = 700000.0, 12655612.049876
_LON0 = math.radians(3.0)

# Default colours (the console's stylesheet uses the same ones; see .carte in style.css).
FILL = "#f3f1ea"
STROKE = "#9a9483"
COLOURS = {"cible": "#f0a43a", "destinataires": "#c4611c", "livre": "#3f9b59", "en-cours": "#f2c94c", "echec": "#c8423b",
           "selection": "#f0a43a"}
STATES = ("livre", "en-cours", "echec")
STATE_LABELS = {"livre": "délivré", "en-cours": "envoi en cours", "echec": "échec"}


def lambert93(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 degrees → Lambert-93 metres (easting, northing)."""
    phi = math.radians(lat)
    s = math.sin(phi)
    iso = math.log(math.tan(math.pi / 4 + phi / 2) * ((1 - _E * s) / (1 + _E * s)) ** (_E / 2))
    r = _C * math.exp(-_N * iso)
    gamma = _N * (math.radians(lon) - _LON0)
    return _XS + r * math.sin(gamma), _YS - r * math.cos(gamma)


def scale_factor(lat: float) -> float:
    """Lambert-93's scale at a latitude: map metres per ground metre (0.9995–1.0 in the Orne)."""
    phi = math.radians(lat)
    s = math.sin(phi)
    iso = math.log(math.tan(math.pi / 4 + phi / 2) * ((1 - _E * s) / (1 + _E * s)) ** (_E / 2))
    r = _C * math.exp(-_N * iso)
    a = 6378137.0
    return _N * r * math.sqrt(1 - (_E * s) ** 2) / (a * math.cos(phi))


@dataclass(frozen=True)
class Shape:
    insee: str
    name: str
    d: str                      # path data in SVG units
    point: tuple[float, float]  # the commune's point (the one distances are measured from)
    lat: float                  # its latitude, for the projection's scale there


class Carte:
    """The département's shapes, in SVG units, with their frame."""

    def __init__(self, features: list[dict], points: dict[str, tuple[float, float, str]]):
        projected = []
        xs, ys = [], []
        feature_rings = {f["properties"]["insee"]: f["geometry"]["coordinates"][0] for f in features}
        for feature in features:
            rings = []
            for ring in feature["geometry"]["coordinates"]:
                pts = [lambert93(lon, lat) for lon, lat in ring]
                rings.append(pts)
                xs += [p[0] for p in pts]
                ys += [p[1] for p in pts]
            projected.append((feature["properties"], rings))
        self._x0 = min(xs) - MARGIN * UNIT_M
        self._y1 = max(ys) + MARGIN * UNIT_M
        self.width = round((max(xs) - min(xs)) / UNIT_M + 2 * MARGIN)
        self.height = round((max(ys) - min(ys)) / UNIT_M + 2 * MARGIN)
        self.shapes: list[Shape] = []
        for props, rings in projected:
            insee = props["insee"]
            lat_lon_name = points.get(insee)
            if lat_lon_name is not None:
                lat = lat_lon_name[0]
                point = self.to_svg(*lambert93(lat_lon_name[1], lat))
            else:                                   # no point shipped: the outer ring's mean
                ring = feature_rings[insee]
                lat = sum(p[1] for p in ring) / len(ring)
                point = self.to_svg(*lambert93(sum(p[0] for p in ring) / len(ring), lat))
            name = props.get("nom") or (lat_lon_name[2] if lat_lon_name else insee)
            self.shapes.append(Shape(insee, name, self._path(rings), point, lat))
        self.by_insee = {s.insee: s for s in self.shapes}

    def to_svg(self, x: float, y: float) -> tuple[float, float]:
        return (x - self._x0) / UNIT_M, (self._y1 - y) / UNIT_M

    def point_of(self, lat: float, lon: float) -> tuple[float, float]:
        return self.to_svg(*lambert93(lon, lat))

    def _path(self, rings) -> str:
        """Absolute first point, then relative moves, in whole units (100 m: under a pixel at the
        sizes the console shows, and the simplification's tolerance is larger anyway)."""
        parts = []
        for ring in rings:
            q = [tuple(round(c) for c in self.to_svg(x, y)) for x, y in ring]
            if q[-1] == q[0]:
                q = q[:-1]
            steps = []
            px, py = q[0]
            for x, y in q[1:]:
                if (x, y) != (px, py):
                    steps.append(f"{x - px}{y - py:+d}".replace("+", " "))
                    px, py = x, y
            parts.append(f"M{q[0][0]} {q[0][1]}l{_join(steps)}z")
        return "".join(parts)


def _join(steps: list[str]) -> str:
    """Pairs joined with the fewest separators ("1 2-3 4" needs none before a minus sign)."""
    out = []
    for step in steps:
        if out and not step.startswith("-"):
            out.append(" ")
        out.append(step)
    return "".join(out)


@functools.lru_cache(maxsize=1)
def carte() -> Carte:
    """The shipped map, loaded once per process."""
    features = json.loads((DATA / BOUNDARIES).read_text(encoding="utf-8"))["features"]
    points = {}
    for row in csv.DictReader(io.StringIO((DATA / POINTS).read_text(encoding="utf-8"))):
        points[row["insee"]] = (float(row["latitude"]), float(row["longitude"]), row["name"])
    return Carte(features, points)


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def recipients_label(n: int) -> str:
    return f"{n} destinataire{'s' if n > 1 else ''}"


def render(*, cible=(), counts: dict | None = None, around: str | None = None,
           radius_km: float | None = None, centre_point: tuple[float, float] | None = None,
           states: dict | None = None, notes: dict | None = None, markers: dict | None = None, selection=(),
           label: str = "Carte des communes de l'Orne", element_id: str | None = None,
           marker_label=None, error: str = "") -> str:
    """The map as an SVG document fragment (valid standalone: it carries its namespace).

    ``cible``: INSEE codes inside the targeted area (class ``cible``); ``counts``: recipients per
    INSEE code, in the titles (class ``destinataires`` where there are some); ``around`` and ``radius_km``: the centre commune (class
    ``centre`` and a mark) and the circle, centred on ``centre_point`` (lat, lon) or on the
    commune's shipped point; ``states``: per-commune delivery class (``livre``, ``en-cours``,
    ``echec``); ``notes``: INSEE code → text added to the title; ``markers``: INSEE code → count, a dot per commune (incident reports);
    ``selection``: INSEE codes of a zone being edited (class ``selection``); ``error``: why the
    targeting could not be drawn (attribute ``data-erreur``, and the label says it too).
    """
    m = carte()
    cible = set(cible or ())
    selection = set(selection or ())
    counted = counts is not None          # then a targeted commune without recipients says so
    counts = counts or {}
    states = states or {}
    markers = markers or {}
    notes = notes or {}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {m.width} {m.height}" class="carte" '
           f'role="img" aria-label="{html.escape(label)}" preserveAspectRatio="xMidYMid meet"'
           + (f' id="{html.escape(element_id)}"' if element_id else "")
           + (f' data-erreur="{html.escape(error)}"' if error else "") + ">",
           f"<title>{html.escape(label)}</title>",
           (f'<g class="communes" fill="{FILL}" stroke="{STROKE}" stroke-width="1" '
            f'stroke-linejoin="round" fill-rule="evenodd">')]
    for shape in m.shapes:
        classes = []
        fill = None
        if shape.insee in cible:
            classes.append("cible")
            fill = COLOURS["cible"]
        if counts.get(shape.insee):
            classes.append("destinataires")
            fill = COLOURS["destinataires"]
        if shape.insee in selection:
            classes.append("selection")
            fill = COLOURS["selection"]
        state = states.get(shape.insee)
        if state in STATES:
            classes.append(state)
            fill = COLOURS[state]
        if shape.insee == around:
            classes.append("centre")
        title = shape.name
        if shape.insee in counts:
            title += f" — {recipients_label(counts[shape.insee])}"
        elif counted and shape.insee in cible:
            title += " — aucun destinataire"
        if shape.insee in notes:
            title += f" — {notes[shape.insee]}"
        elif state in STATES:
            title += f" — {STATE_LABELS[state]}"
        attrs = f' class="{" ".join(classes)}"' if classes else ""
        if fill:
            attrs += f' fill="{fill}"'
        out.append(f'<path data-insee="{shape.insee}"{attrs} d="{shape.d}"><title>{html.escape(title)}</title></path>')
    out.append("</g>")
    centre, lat = _centre(m, around, centre_point)
    if centre is not None and radius_km is not None:
        r = float(radius_km) * 1000.0 * scale_factor(lat) / UNIT_M
        out.append(f'<circle class="rayon" cx="{_f(centre[0])}" cy="{_f(centre[1])}" r="{_f(r)}" '
                   f'fill="none" stroke="#b03a2e" stroke-width="2" stroke-dasharray="8 5" '
                   f'vector-effect="non-scaling-stroke"><title>{html.escape(_radius_text(radius_km))}'
                   f'</title></circle>')
    if markers:
        out.append('<g class="signalements" fill="#b03a2e" fill-opacity="0.8" stroke="#fff" stroke-width="1">')
        for insee, n in sorted(markers.items()):
            shape = m.by_insee.get(insee)
            if shape is None or not n:
                continue
            r = 11 + 6 * math.sqrt(n - 1)
            text = marker_label(n) if marker_label else str(n)
            out.append(f'<circle class="signalement" data-insee="{insee}" cx="{_f(shape.point[0])}" '
                       f'cy="{_f(shape.point[1])}" r="{_f(r)}" vector-effect="non-scaling-stroke">'
                       f'<title>{html.escape(shape.name)} — {html.escape(text)}</title></circle>')
        out.append("</g>")
    if centre is not None:
        name = m.by_insee[around].name if around in m.by_insee else around
        out.append(f'<circle class="centre-point" cx="{_f(centre[0])}" cy="{_f(centre[1])}" r="6" '
                   f'fill="#1f2d3d" stroke="#fff" stroke-width="2" vector-effect="non-scaling-stroke">'
                   f'<title>Centre : {html.escape(name)}</title></circle>')
    out.append(_scale_bar(m))
    out.append("</svg>")
    return "".join(out)


def _radius_text(radius_km) -> str:
    return f"Rayon de {decimal_g(float(radius_km))} km"


def _centre(m: Carte, around: str | None, centre_point) -> tuple[tuple[float, float] | None, float]:
    """Where the centre mark goes (SVG units) and its latitude."""
    if centre_point is not None:
        return m.point_of(*centre_point), centre_point[0]
    if around and around in m.by_insee:
        shape = m.by_insee[around]
        return shape.point, shape.lat
    return None, 0.0


def _scale_bar(m: Carte) -> str:
    x, y, length = 20, m.height - 20, 100          # 100 units = 10 km
    return (f'<g class="echelle" stroke="#333" stroke-width="2" fill="#333" font-size="22" '
            f'font-family="sans-serif"><path d="M{x} {y - 6}v6h{length}v-6" fill="none" '
            f'vector-effect="non-scaling-stroke"/><text x="{x + length + 6}" y="{y}" stroke="none">10 km</text></g>')
