"""Geography: the shipped communes, former communes mapped to current ones, distances, and the
look-ups people need (postal code and town, a radius around a commune, a name picker).

Everything runs in Python over the few hundred communes of a département: fast enough on a
Raspberry Pi, and no spatial extension to install.
"""

import csv
import importlib.resources
import io
import math
import os
import re
import unicodedata
from dataclasses import dataclass

from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Commune, FormerCommune, database
from vigie.daemon.core.reference.french import collation_key

DATA = importlib.resources.files("vigie.daemon") / "data"


def _rows(name: str):
    return csv.DictReader(io.StringIO((DATA / name).read_text(encoding="utf-8")))


def load_communes(rows, departement: str) -> int:
    """Insert or replace communes from rows shaped like data/orne-communes.csv."""
    records = [dict(insee=r["insee"], name=r["name"], postal_code=r["postal_code"],
                    postal_codes=r.get("postal_codes") or r["postal_code"],
                    latitude=float(r["latitude"]), longitude=float(r["longitude"]),
                    arrondissement=r.get("arrondissement", ""),
                    arrondissement_name=r.get("arrondissement_name", ""),
                    canton=r.get("canton", ""), departement=departement) for r in rows]
    # An upsert, not REPLACE: replacing a row deletes it first, and the foreign keys to it
    # (members, zones, former communes) would be cascaded or nulled.
    fields = [f for f in Commune._meta.sorted_fields if f.name != "insee"]
    _DISTANCES.clear()
    _LISTS.clear()
    with database.atomic():
        for start in range(0, len(records), 200):
            (Commune.insert_many(records[start:start + 200])
             .on_conflict(conflict_target=[Commune.insee], preserve=fields).execute())
    return len(records)


def load_former_communes(rows) -> int:
    records = [dict(insee=r["insee"], name=r["name"], kind=r.get("type", "COMD"), parent=r["parent_insee"])
               for r in rows]
    fields = [f for f in FormerCommune._meta.sorted_fields if f.name != "insee"]
    with database.atomic():
        for start in range(0, len(records), 200):
            (FormerCommune.insert_many(records[start:start + 200])
             .on_conflict(conflict_target=[FormerCommune.insee], preserve=fields).execute())
    return len(records)


def ensure_reference_data() -> None:
    """Load the Orne reference files into an empty database, and bring an existing one up to date
    when the shipped files changed (a corrected main postal code reaches the boxes on upgrade)."""
    communes = list(_rows("orne-communes.csv"))
    stored = {c.insee: (c.name, c.postal_code, c.postal_codes)
              for c in Commune.select(Commune.insee, Commune.name, Commune.postal_code, Commune.postal_codes)
              .where(Commune.departement == "61")}
    shipped = {r["insee"]: (r["name"], r["postal_code"], r.get("postal_codes") or r["postal_code"]) for r in communes}
    if stored and all(stored.get(insee) == row for insee, row in shipped.items()):
        return
    load_communes(communes, "61")
    load_former_communes(_rows("orne-communes-deleguees.csv"))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on a sphere of the Earth's mean radius."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


# --- look-ups ---------------------------------------------------------------------------

def resolve_commune(value: str) -> Commune:
    """The current commune of an INSEE code (a former commune's code gives its current commune)."""
    from vigie.daemon.core.reference import validate
    return Commune.get_by_id(validate.insee_code(value))


_ARTICLES = {"le", "la", "les", "l"}
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "s": "saint"}


def name_key(name: str) -> str:
    """A commune name reduced for comparison: no accents, case, hyphens, leading article,
    and "St"/"Ste" read as "Saint"/"Sainte" ("ST-GERMAIN DU CORBEIS" = "Saint-Germain-du-Corbéis")."""
    decomposed = unicodedata.normalize("NFKD", str(name or ""))
    text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    text = re.sub(r"\bcedex\b.*$", "", text)
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    words = [_ABBREVIATIONS.get(w, w) for w in words]
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words)


def _with_postal(postal_code: str) -> list[Commune]:
    like = Commune.postal_codes.contains(postal_code)
    return [c for c in sorted(Commune.select().where(like | (Commune.postal_code == postal_code)),
                              key=lambda c: collation_key(c.name))
            if postal_code in (c.postal_codes or c.postal_code).split() or c.postal_code == postal_code]


def _names(communes) -> str:
    names = [c.name for c in communes]
    shown = ", ".join(names[:8])
    return shown + (f" et {len(names) - 8} autres" if len(names) > 8 else "")


def find_by_postal(postal_code: str, town: str = "") -> Commune:
    """The commune of a postal address; the town is needed when the postal code covers several.

    A former commune's name ("Anceins", 61550) finds the commune it now belongs to.
    """
    raw = str(postal_code or "").strip()
    code = re.sub(r"\s+", "", raw)
    if not re.fullmatch(r"\d{5}", code):
        raise InvalidInput(f"Code postal « {raw} » invalide (5 chiffres attendus).", "postal_code")
    candidates = _with_postal(code)
    if not candidates:
        raise InvalidInput(f"Aucune commune chargée n'a le code postal {code}.", "postal_code")
    key = name_key(town)
    if not key:
        if len(candidates) == 1:
            return candidates[0]
        raise InvalidInput(
            f"Le code postal {code} couvre {len(candidates)} communes ({_names(candidates)}) : "
            f"indiquez aussi la ville.", "town")
    matches = [c for c in candidates if name_key(c.name) == key]
    if not matches:
        by_insee = {c.insee: c for c in candidates}
        former = (FormerCommune.select()
                  .where(FormerCommune.parent.in_(list(by_insee))))
        matches = list({f.parent_id: by_insee[f.parent_id] for f in former
                        if name_key(f.name) == key}.values())
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InvalidInput(
            f"Aucune commune « {town.strip()} » avec le code postal {code} "
            f"(communes de ce code : {_names(candidates)}).", "town")
    raise InvalidInput(
        f"Plusieurs communes « {town.strip()} » avec le code postal {code} : indiquez le code INSEE.",
        "town")


class CommuneNames:
    """Commune names of the loaded départements, read once, for resolving many names quickly (a
    member file): « ST GERMAIN DU CORBEIS », « Mele sur Sarthe », « L'Aigle » or a former (delegated)
    commune's name find the current commune when the name is unique; a postal code only breaks a tie."""

    def __init__(self):
        self.by_key: dict[str, list[Commune]] = {}
        communes = {c.insee: c for c in Commune.select().order_by(Commune.name)}
        for c in communes.values():
            self.by_key.setdefault(name_key(c.name), []).append(c)
        self.former: dict[str, list[Commune]] = {}
        for f in FormerCommune.select(FormerCommune.name, FormerCommune.parent):
            parent = communes.get(f.parent_id)
            found = self.former.setdefault(name_key(f.name), [])
            if parent is not None and parent not in found:
                found.append(parent)

    def find(self, name: str, postal_code: str = "") -> Commune:
        """The commune called ``name``; raises InvalidInput (field ``commune``) when unknown or ambiguous."""
        shown = str(name or "").strip()
        key = name_key(shown)
        candidates = self.by_key.get(key) or self.former.get(key) or []
        if not candidates:
            import difflib
            close = difflib.get_close_matches(key, list(self.by_key), n=1, cutoff=0.85)
            hint = f" : vouliez-vous dire « {self.by_key[close[0]][0].name} » ?" if close else \
                " : vérifiez l'orthographe ou indiquez le code INSEE."
            raise InvalidInput(f"Commune « {shown} » inconnue{hint}", "commune")
        if len(candidates) == 1:
            return candidates[0]
        code = re.sub(r"\s+", "", str(postal_code or ""))
        if code:
            same = [c for c in candidates if code in (c.postal_codes or c.postal_code).split()
                    or c.postal_code == code]
            if len(same) == 1:
                return same[0]
        listed = ", ".join(f"{c.insee} ({c.postal_code})" for c in candidates[:8])
        raise InvalidInput(f"Plusieurs communes s'appellent « {shown} » ({listed}) : indiquez le code postal "
                           "ou le code INSEE.", "commune")


# Rounding slack so that a commune whose computed distance equals the radius stays inside.
_EDGE_KM = 1e-9


# (database file, centre) -> distances: the communes are reference data, reloaded only by load_communes()
_DISTANCES: dict[tuple, tuple] = {}
_LISTS: dict = {}                         # database file -> the communes in French order


@dataclass(frozen=True)
class CommuneEntry:
    insee: str
    name: str
    postal_code: str


def commune_list() -> list[CommuneEntry]:
    """Every commune (INSEE code, name, postal code) in French alphabetical order, read once per base:
    the console's pickers list all of them on every page that targets."""
    key = getattr(database.obj, "database", None)
    kept = _LISTS.get(key)
    if kept is None:
        rows = Commune.select(Commune.insee, Commune.name, Commune.postal_code).tuples()
        kept = tuple(sorted((CommuneEntry(*row) for row in rows), key=lambda c: collation_key(c.name)))
        if len(_LISTS) > 100:
            _LISTS.clear()
        _LISTS[key] = kept
    return list(kept)


def distances_from(insee: str) -> list[tuple[str, float]]:
    """Every loaded commune with its distance in km from the centre commune, nearest first (computed
    once per centre: the composer's live counter asks at every keystroke)."""
    centre = resolve_commune(insee)
    key = (getattr(database.obj, "database", None), centre.insee)
    kept = _DISTANCES.get(key)
    if kept is None:
        rows = Commune.select(Commune.insee, Commune.latitude, Commune.longitude).tuples()
        result = [(code, 0.0 if code == centre.insee else
                   haversine_km(centre.latitude, centre.longitude, lat, lon))
                  for code, lat, lon in rows]
        kept = tuple(sorted(result, key=lambda item: (item[1], item[0])))
        if len(_DISTANCES) > 1000:
            _DISTANCES.clear()
        _DISTANCES[key] = kept
    return list(kept)


def communes_within(insee: str, radius_km: float) -> list[str]:
    """INSEE codes of the communes whose point lies within ``radius_km`` of the centre commune's
    point (the centre included; a commune exactly at the radius is inside), nearest first."""
    try:
        radius = float(radius_km)
    except (TypeError, ValueError):
        raise InvalidInput(f"Rayon invalide : « {radius_km} ».", "radius_km") from None
    if math.isnan(radius) or radius < 0:
        raise InvalidInput("Le rayon doit être un nombre de kilomètres positif ou nul.", "radius_km")
    return [code for code, km in distances_from(insee) if km <= radius + _EDGE_KM]


_COMMUNE_COLUMNS = ("insee", "name", "postal_code", "latitude", "longitude")
_FORMER_COLUMNS = ("insee", "name", "parent_insee")


def _check_rows(rows: list[dict], departement: str, path: str) -> None:
    for line, row in enumerate(rows, start=2):
        insee = (row.get("insee") or "").strip().upper()
        where = f"{os.path.basename(path)}, ligne {line}"
        if not re.fullmatch(r"(\d{5}|2[AB]\d{3})", insee):
            raise InvalidInput(f"{where} : code INSEE « {insee} » invalide.", "file")
        if not insee.startswith(departement):
            raise InvalidInput(
                f"{where} : la commune {insee} n'est pas dans le département {departement}.", "file")
        if "latitude" in row:
            try:
                lat, lon = float(row["latitude"]), float(row["longitude"])
            except (TypeError, ValueError):
                raise InvalidInput(f"{where} : coordonnées illisibles.", "file") from None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise InvalidInput(f"{where} : coordonnées hors limites.", "file")
            if not re.fullmatch(r"\d{5}", (row.get("postal_code") or "").strip()):
                raise InvalidInput(f"{where} : code postal « {row.get('postal_code')} » invalide.", "file")


def load_departement_file(path: str, departement: str) -> int:
    """Load another département's communes from a CSV shaped like data/orne-communes.csv
    (or its former communes, from a CSV shaped like data/orne-communes-deleguees.csv).

    The whole file is checked before anything is written; returns the number of rows loaded.
    """
    dep = str(departement or "").strip().upper()
    if not re.fullmatch(r"\d{2}|2[AB]|97\d", dep):
        raise InvalidInput(f"Département « {departement} » invalide (par ex. 61, 14, 2A, 971).",
                           "departement")
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise InvalidInput(f"Impossible de lire le fichier « {path} » : {e.strerror}.", "file") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"Le fichier « {path} » n'est pas en UTF-8.", "file") from None
    header = set(rows[0]) if rows else set()
    former = "parent_insee" in header
    needed = _FORMER_COLUMNS if former else _COMMUNE_COLUMNS
    missing = [c for c in needed if c not in header]
    if not rows or missing:
        raise InvalidInput(
            f"Le fichier « {os.path.basename(path)} » est vide ou n'a pas les colonnes attendues "
            f"({', '.join(missing or needed)}).", "file")
    _check_rows(rows, dep, path)
    if former:
        parents = {r["parent_insee"].strip() for r in rows}
        known = {c for (c,) in Commune.select(Commune.insee).where(Commune.insee.in_(list(parents))).tuples()}
        unknown = sorted(parents - known)
        if unknown:
            raise InvalidInput(
                f"Communes de rattachement inconnues : {', '.join(unknown[:5])} "
                f"(chargez d'abord le fichier des communes).", "file")
        return load_former_communes(rows)
    return load_communes(rows, dep)


def search(text: str, limit: int = 20) -> list[Commune]:
    """Communes for the console's picker: an INSEE or postal code prefix, or a name prefix
    (accents, case and hyphens ignored); a former commune's name finds its current commune."""
    query = str(text or "").strip()
    if not query:
        return []
    communes = sorted(Commune.select(), key=lambda c: collation_key(c.name))
    if re.fullmatch(r"\d[\dAB]*", query.upper()):
        code = query.upper()
        found = [c for c in communes if c.insee.startswith(code)]
        found += [c for c in communes if c not in found and
                  any(p.startswith(code) for p in (c.postal_codes or c.postal_code).split())]
        return found[:limit]
    key = name_key(query)
    if not key:
        return []
    keyed = [(name_key(c.name), c) for c in communes]
    found = [c for k, c in keyed if k.startswith(key)]
    found += [c for k, c in keyed if c not in found and (" " + key) in (" " + k)]
    if len(found) < limit:
        by_insee = {c.insee: c for c in communes}
        for former in FormerCommune.select().order_by(FormerCommune.name):
            parent = by_insee.get(former.parent_id)
            if parent is not None and parent not in found and name_key(former.name).startswith(key):
                found.append(parent)
    return found[:limit]
