"""The map of the Orne in the console: ``GET /carte.svg`` for any targeting (the composer's live
preview, same query parameters as ``/alertes/apercu.json``), and the maps the other pages embed
(targeting, zone being edited, an alert's delivery by commune, where incident reports came from).

The highlighted communes are the targeting's own area (``Targeting.area_communes``), never a
recomputation: the map shows what the alert will reach.
"""

import bottle

from vigie.daemon.core import alerts, targeting
from vigie.daemon.core.errors import InvalidInput
from vigie.daemon.core.models import Commune, Member
from vigie.daemon.core.reference import validate
from vigie.daemon.core.reference.french import collation_key
from vigie.daemon.core.targeting import Targeting

from .. import auth, carte, forms
from ..render import plural

TARGETING_ID = "carte-ciblage"
WAITING = ("queued", "retry_wait", "sending", "sent")
FAILED = ("failed", "expired")


def _centre(t: Targeting) -> tuple[str | None, tuple[float, float] | None]:
    """The centre commune's current code and its point (the one the radius is measured from)."""
    if not t.around:
        return None, None
    try:
        code = validate.insee_code(t.around)
    except InvalidInput:
        return None, None
    commune = Commune.get_or_none(Commune.insee == code)
    return code, ((commune.latitude, commune.longitude) if commune else None)


def _bare(error: str, element_id: str) -> str:
    return carte.render(label=f"Carte de l'Orne : {error}", element_id=element_id, error=error)


def targeting_map(t: Targeting | None, element_id: str = TARGETING_ID) -> dict:
    """The map of a targeting: ``svg``, the ``cible`` codes, recipients per commune (``rows``,
    most first) and an ``error`` when the targeting cannot be resolved (then a bare map)."""
    t = t or Targeting()
    if t.is_empty():
        return dict(svg=carte.render(label="Carte de l'Orne : aucun destinataire choisi",
                                     element_id=element_id), cible=set(), rows=[], error="")
    try:
        t.validate()
        area = t.area_communes()
        counts = targeting.count_by_commune(t, area)
    except InvalidInput as e:
        return dict(svg=_bare(e.message, element_id), cible=set(), rows=[], error=e.message)
    shapes = carte.carte().by_insee
    if area is None:            # no area restricts: the whole département, unless only members are chosen
        area = set(shapes) if (t.all or t.sectors) else set()
    around, point = _centre(t)
    reached = sum(1 for code in area if code in shapes)
    label = f"Carte du ciblage : {t.describe()} — {plural(reached, 'commune')} dans la zone visée"
    svg = carte.render(cible=area, counts=counts, around=around,
                       radius_km=t.radius_km if around else None, centre_point=point,
                       label=label, element_id=element_id)
    rows = sorted(((shapes[c].name if c in shapes else c, n) for c, n in counts.items() if n),
                  key=lambda row: (-row[1], collation_key(row[0])))
    return dict(svg=svg, cible=area, rows=rows, error="")


def zone_map(codes, element_id: str = "carte-zone") -> str:
    chosen = set(codes or ())
    return carte.render(selection=chosen, element_id=element_id,
                        label=f"Carte de la zone : {plural(len(chosen), 'commune')} ; "
                              "la liste des communes fait de même")


def delivery_state(counts: dict[str, int]) -> str | None:
    """A commune's colour on the alert page: still going, some failed, all delivered."""
    if any(counts.get(s, 0) for s in WAITING):
        return "en-cours"
    if any(counts.get(s, 0) for s in FAILED):
        return "echec"
    if counts.get("delivered", 0):
        return "livre"
    return None


def _delivery_note(counts: dict[str, int]) -> str:
    delivered = counts.get("delivered", 0)
    waiting = sum(counts.get(s, 0) for s in WAITING)
    failed = sum(counts.get(s, 0) for s in FAILED)
    parts = [plural(delivered, "délivré")]
    if waiting:
        parts.append(f"{waiting} en cours")
    if failed:
        parts.append(plural(failed, "échec"))
    return ", ".join(parts)


def _alert_communes(alert_id: int) -> dict[str, tuple[str | None, str]]:
    return {code: (delivery_state(counts), _delivery_note(counts))
            for code, counts in alerts.counts_by_commune(alert_id).items()}


def alert_states(alert_id: int) -> dict[str, dict]:
    """Per commune, for the alert page's script: ``state`` (class or null) and ``title``."""
    shapes = carte.carte().by_insee
    return {code: dict(state=state, title=f"{shapes[code].name if code in shapes else code} — {note}")
            for code, (state, note) in _alert_communes(alert_id).items()}


def alert_map(alert_id: int, element_id: str = "carte-alerte") -> str:
    communes = _alert_communes(alert_id)
    return carte.render(states={c: state for c, (state, _) in communes.items() if state},
                        notes={c: note for c, (_, note) in communes.items()}, element_id=element_id,
                        label=f"Carte de l'alerte n° {alert_id} : avancement de la diffusion par commune")


def incidents_map(incidents: list[dict], element_id: str = "carte-signalements") -> str:
    """Dots where the reports' senders are based (their member's commune)."""
    member_ids = {sms["member_id"] for sms in incidents if sms.get("member_id")}
    where = dict(Member.select(Member.id, Member.commune).where(Member.id.in_(list(member_ids))).tuples()
                 ) if member_ids else {}
    markers: dict[str, int] = {}
    for sms in incidents:
        code = where.get(sms.get("member_id"))
        if code:
            markers[code] = markers.get(code, 0) + 1
    return carte.render(markers=markers, marker_label=lambda n: plural(n, "signalement"),
                        element_id=element_id,
                        label=f"Carte des derniers signalements : {plural(sum(markers.values()), 'signalement')} "
                              "d'adhérents, placés à la commune de l'adhérent")


@auth.requires("alerts")
def carte_svg():
    """The targeting's map; one that cannot be resolved gives the bare map, its French reason in
    ``data-erreur`` and the title (answered 200, like /alertes/apercu.json's ``error``: the
    composer asks while the operator is still typing)."""
    try:
        answer = targeting_map(forms.query_targeting())
    except InvalidInput as e:
        answer = dict(svg=_bare(e.message, TARGETING_ID))
    bottle.response.content_type = "image/svg+xml; charset=utf-8"
    bottle.response.set_header("Cache-Control", "no-store")
    return answer["svg"]


def register(app: bottle.Bottle) -> None:
    app.route("/carte.svg", "GET", carte_svg)
