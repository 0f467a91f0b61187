"""Build daemon/data/orne-communes-simplified.geojson from the full-detail commune boundaries.

Usage: python tools/simplify_map.py SOURCE.geojson [--tolerance METRES] [--out PATH]

The source is the shared reference file (381 communes, property ``insee``, WGS84, exterior rings
clockwise). Borders stay consistent because every border is simplified once: the rings are cut
into arcs at the points where the set of communes along the edge changes (a topology of shared
arcs, as TopoJSON builds it), each arc is simplified once with Douglas-Peucker in Lambert-93
metres keeping its two ends, and the rings are put back together from the simplified arcs. Two
neighbours therefore keep exactly the same points along their common border, and no gap or
overlap appears between them. A ring that would lose more than a quarter of its area, or fall
under three points, has its arcs redone with half the tolerance, until it holds.

Build-time only, standard library only; the product reads the output through importlib.resources.
"""

import argparse
import collections
import itertools
import json
import math
import os
import sys

# Lambert-93 (EPSG:2154) on GRS80, constants published by IGN (NTG_71).
_E = 0.0818191910428158
_N = 0.7256077650532670
_C = 11754255.426096
_XS, _YS = 700000.0, 12655612.049876
_LON0 = math.radians(3.0)


def lambert93(lon: float, lat: float) -> tuple[float, float]:
    phi = math.radians(lat)
    s = math.sin(phi)
    iso = math.log(math.tan(math.pi / 4 + phi / 2) * ((1 - _E * s) / (1 + _E * s)) ** (_E / 2))
    r = _C * math.exp(-_N * iso)
    gamma = _N * (math.radians(lon) - _LON0)
    return _XS + r * math.sin(gamma), _YS - r * math.cos(gamma)


def _segment_distance(p, a, b) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def douglas_peucker(points: list, tolerance: float) -> list[int]:
    """Indexes of the points kept (the ends always), iterative so long arcs cannot overflow."""
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = -1.0, None
        for i in range(first + 1, last):
            d = _segment_distance(points[i], points[first], points[last])
            if d > best:
                best, index = d, i
        if index is not None and best > tolerance:
            keep.add(index)
            stack += [(first, index), (index, last)]
    return sorted(keep)


def _area(points) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1])) / 2


class Topology:
    def __init__(self, features):
        self.features = features
        self.rings = []                     # (feature index, ring index, points without the closing one)
        for fi, feature in enumerate(features):
            geometry = feature["geometry"]
            if geometry["type"] != "Polygon":
                raise SystemExit(f"{feature['properties']['insee']}: {geometry['type']} not handled")
            for ri, ring in enumerate(geometry["coordinates"]):
                points = [tuple(p) for p in ring]
                if points[0] == points[-1]:
                    points = points[:-1]
                self.rings.append((fi, ri, points))
        owners = collections.defaultdict(set)
        for k, (_, _, pts) in enumerate(self.rings):
            for a, b in zip(pts, pts[1:] + pts[:1]):
                owners[frozenset((a, b))].add(k)
        self.junctions = set()
        for _, _, pts in self.rings:
            n = len(pts)
            for i, p in enumerate(pts):
                before = owners[frozenset((pts[i - 1], p))]
                after = owners[frozenset((p, pts[(i + 1) % n]))]
                if before != after:
                    self.junctions.add(p)
        self.projected = {}
        self.arcs = {}                      # canonical arc (tuple of points) -> kept indexes
        self.ring_arcs = []                 # per ring: list of (canonical arc, reversed?)
        for _, _, pts in self.rings:
            self.ring_arcs.append(self._cut(pts))

    def _cut(self, pts):
        starts = [i for i, p in enumerate(pts) if p in self.junctions]
        if not starts:                      # an island or enclave: one closed arc from its smallest point
            starts = [pts.index(min(pts))]
        pts = pts[starts[0]:] + pts[:starts[0]]
        cuts = [i - starts[0] for i in starts] + [len(pts)]
        closed = pts + [pts[0]]
        pieces = []
        for a, b in itertools.pairwise(cuts):
            arc = tuple(closed[a:b + 1])
            reverse = arc[::-1]
            if reverse < arc:
                pieces.append((reverse, True))
            else:
                pieces.append((arc, False))
        for arc, _ in pieces:
            self.arcs.setdefault(arc, None)
            for p in arc:
                if p not in self.projected:
                    self.projected[p] = lambert93(*p)
        return pieces

    def simplify(self, tolerance: float) -> None:
        tolerances = {arc: tolerance for arc in self.arcs}
        for arc in self.arcs:
            self.arcs[arc] = douglas_peucker([self.projected[p] for p in arc], tolerance)
        for _ in range(12):
            weak = [k for k in range(len(self.rings)) if not self._ring_holds(k)]
            if not weak:
                return
            for k in weak:
                for arc, _ in self.ring_arcs[k]:
                    tolerances[arc] /= 2
                    self.arcs[arc] = douglas_peucker([self.projected[p] for p in arc], tolerances[arc])
        raise SystemExit("some rings still collapse after 12 halvings")

    def ring(self, k) -> list:
        out = []
        for arc, reverse in self.ring_arcs[k]:
            kept = [arc[i] for i in self.arcs[arc]]
            if reverse:
                kept.reverse()
            out.extend(kept[:-1])
        return out + out[:1]

    def _ring_holds(self, k) -> bool:
        simple = self.ring(k)[:-1]
        if len(set(simple)) < 3:
            return False
        full = _area([self.projected[p] for p in self.rings[k][2]])
        now = _area([self.projected[p] for p in simple])
        return full != 0 and now / full > 0.75

    def features_out(self, decimals: int) -> list[dict]:
        rings = collections.defaultdict(list)
        for k, (fi, ri, _) in enumerate(self.rings):
            rings[fi].append((ri, [[round(x, decimals), round(y, decimals)] for x, y in self.ring(k)]))
        out = []
        for fi, feature in enumerate(self.features):
            props = {"insee": feature["properties"]["insee"], "nom": feature["properties"].get("nom", "")}
            coordinates = [pts for _, pts in sorted(rings[fi])]
            out.append({"type": "Feature", "properties": props,
                        "geometry": {"type": "Polygon", "coordinates": coordinates}})
        return out


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("--tolerance", type=float, default=120.0, help="metres (default 120)")
    parser.add_argument("--decimals", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(here, "..", "daemon", "data",
                                                      "orne-communes-simplified.geojson"))
    args = parser.parse_args(argv)
    with open(args.source, encoding="utf-8") as f:
        source = json.load(f)
    topology = Topology(source["features"])
    before = sum(len(pts) for _, _, pts in topology.rings)
    topology.simplify(args.tolerance)
    features = topology.features_out(args.decimals)
    after = sum(len(ring) - 1 for f in features for ring in f["geometry"]["coordinates"])
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                      separators=(",", ":"))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    codes = [f["properties"]["insee"] for f in features]
    print(f"communes: {len(features)} ({len(set(codes))} distinct insee, none empty: {all(codes)})")
    print(f"arcs: {len(topology.arcs)}, junctions: {len(topology.junctions)}")
    print(f"vertices: {before} -> {after} (tolerance {args.tolerance:g} m)")
    print(f"written: {os.path.normpath(args.out)}, {len(text.encode()) + 1} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
