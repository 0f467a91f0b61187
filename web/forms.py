"""Reading the composer's targeting fields into a Targeting, and back for redisplay.

Only the shape of the form lives here; what a targeting means and how it is checked is
targeting.py's business.
"""

from bottle import request

from vigie.daemon.core import schedule
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.reference import geo
from vigie.daemon.core.targeting import Targeting


def _split(text: str) -> list[str]:
    return [t for t in (text or "").replace(",", " ").replace(";", " ").split() if t]


def _unique(values) -> list[str]:
    seen = []
    for v in values:
        v = v.strip()
        if v and v not in seen:
            seen.append(v)
    return seen


def targeting_from(fields) -> Targeting:
    """Build a Targeting from a decoded FormsDict (POST body or query string)."""
    radius_text = (fields.get("radius_km") or "").strip().replace(",", ".")
    around = (fields.get("around") or "").strip() or None
    radius = None
    if radius_text:
        try:
            radius = float(radius_text)
        except ValueError:
            raise InvalidInput(f"Rayon invalide : « {radius_text} » (un nombre de kilomètres).",
                               "radius_km") from None
    return Targeting(
        sectors=_unique(fields.getall("sector_group") + _split(fields.get("naf_codes", ""))),
        communes=_unique(fields.getall("commune")),
        zones=_unique(fields.getall("zone")),
        around=around,
        radius_km=radius,
        members=_unique(_split(fields.get("sirets", ""))),
        all=fields.get("all") == "1",
        test_group=fields.get("test_group") == "1",
        include_multiple=fields.get("include_multiple") == "1",
    )


def form_targeting() -> Targeting:
    return targeting_from(request.forms.decode())


def query_targeting() -> Targeting:
    return targeting_from(request.query.decode())


def values_of(t: Targeting, group_names: set[str]) -> dict:
    """The form's values for a Targeting: group names go to the checkboxes, the rest to NAF codes."""
    groups = [s for s in t.sectors if s in group_names]
    return dict(
        sector_group=groups,
        naf_codes=" ".join(s for s in t.sectors if s not in group_names),
        commune=list(t.communes), zone=list(t.zones), around=t.around or "",
        radius_km="" if t.radius_km is None else f"{float(t.radius_km):g}",
        sirets=" ".join(t.members), all=t.all, test_group=t.test_group, include_multiple=t.include_multiple,
    )


def alert_options(fields) -> dict:
    """The composer's « départ et options » fields, as they travel from the form to the confirmation."""
    return {"send_at": (fields.get("send_at") or "").strip(), "non_urgent": fields.get("non_urgent") == "1",
            "ack": fields.get("ack") == "1", "exercise": fields.get("exercise") == "1"}


def alert_arguments(options: dict) -> dict:
    """alerts.create()'s keyword arguments for those options (the time read in Europe/Paris)."""
    at = schedule.parse_when(options["send_at"].replace("T", " "), "send_at") if options["send_at"] else None
    return {"at": at, "urgent": not options["non_urgent"], "ack": options["ack"], "exercise": options["exercise"]}


def communes() -> list[geo.CommuneEntry]:
    return geo.commune_list()          # French order: « Buré », « Bursard »
