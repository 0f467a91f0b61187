"""Geography: the shipped communes, former communes mapped to current ones, distances."""

import csv
import importlib.resources
import io
import math

from .models import Commune, FormerCommune, database

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
    with database.atomic():
        for start in range(0, len(records), 200):
            Commune.replace_many(records[start:start + 200]).execute()
    return len(records)


def load_former_communes(rows) -> int:
    records = [dict(insee=r["insee"], name=r["name"], kind=r.get("type", "COMD"), parent=r["parent_insee"])
               for r in rows]
    with database.atomic():
        FormerCommune.replace_many(records).execute()
    return len(records)


def ensure_reference_data() -> None:
    """Load the Orne reference files into an empty database."""
    if Commune.select().where(Commune.departement == "61").exists():
        return
    load_communes(_rows("orne-communes.csv"), "61")
    load_former_communes(_rows("orne-communes-deleguees.csv"))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on a sphere of the Earth's mean radius."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
