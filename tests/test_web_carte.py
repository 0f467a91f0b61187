"""GET /carte.svg over WSGI: the highlighted communes are the targeting's own commune set, for
communes, zones and radii (one reaching past the département's edge), with counts per commune;
and the maps embedded in the composer, confirmation, zone, alert and dashboard pages."""

import html
import re
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from vigie.daemon.core import inbox, outbox, sectors, zones
from vigie.daemon.core.models import InboundSms, Message
from vigie.daemon.core.reference import geo
from vigie.daemon.core.targeting import Targeting

from .fixtures_web import ALENCON, ARGENTAN, FLERS, add_member
from .test_web_alerts import box_can_send  # noqa: F401  (a live daemon: the confirmation is one step)

SVG = "{http://www.w3.org/2000/svg}"
SEES, MORTAGNE, DOMFRONT = "61464", "61293", "61145"


def population():
    sectors.create("bijouteries", "47.77Z", actor="test")
    zones.create("bocage", [FLERS, DOMFRONT], actor="test")
    add_member(1, commune=ARGENTAN)
    add_member(2, commune=ARGENTAN)
    add_member(3, commune=FLERS)
    add_member(4, commune=ALENCON)
    add_member(5, commune=FLERS, naf="56.10A", name="Restaurant")


def get_map(client, **params):
    query = urllib.parse.urlencode(params, doseq=True)
    answer = client.get(f"/carte.svg?{query}")
    assert answer.header("Content-Type").startswith("image/svg+xml")
    return answer, ET.fromstring(answer.body)


def paths(root) -> dict:
    return {p.get("data-insee"): p for p in root.iter(f"{SVG}path") if p.get("data-insee")}


def cible(root) -> set[str]:
    return {code for code, p in paths(root).items() if "cible" in (p.get("class") or "").split()}


def titles(root) -> dict:
    return {code: p.find(f"{SVG}title").text for code, p in paths(root).items()}


@pytest.mark.parametrize("params, targeting", [
    ({"commune": [ARGENTAN, FLERS]}, Targeting(communes=[ARGENTAN, FLERS])),
    ({"zone": "bocage"}, Targeting(zones=["bocage"])),
    ({"zone": "bocage", "commune": SEES, "sector_group": "bijouteries"},
     Targeting(zones=["bocage"], communes=[SEES], sectors=["bijouteries"])),
    ({"around": ARGENTAN, "radius_km": "20"}, Targeting(around=ARGENTAN, radius_km=20)),
    ({"around": ARGENTAN, "radius_km": "12,5", "sector_group": "bijouteries"},
     Targeting(around=ARGENTAN, radius_km=12.5, sectors=["bijouteries"])),
    # Alençon lies on the border with the Sarthe: 25 km reaches well past the département.
    ({"around": ALENCON, "radius_km": "25"}, Targeting(around=ALENCON, radius_km=25)),
    # 0 km: the centre commune alone.
    ({"around": MORTAGNE, "radius_km": "0"}, Targeting(around=MORTAGNE, radius_km=0)),
    ({"around": SEES, "radius_km": "8", "commune": DOMFRONT}, Targeting(around=SEES, radius_km=8,
                                                                    communes=[DOMFRONT])),
])
def test_cible_is_the_targetings_commune_set(database, operator, params, targeting):
    population()
    answer, root = get_map(operator, **params)
    assert answer.status == 200
    assert len(paths(root)) == 381
    expected = targeting.area_communes()
    assert expected and cible(root) == expected
    circles = root.findall(f".//{SVG}circle[@class='rayon']")
    assert len(circles) == (1 if targeting.around else 0)


def test_radius_matches_the_distance_rule_and_reaches_the_edge(database, operator):
    _, root = get_map(operator, around=ALENCON, radius_km="25")
    within = {code for code, km in geo.distances_from(ALENCON) if km <= 25}
    assert cible(root) == within
    assert 30 < len(within) < 381
    # The circle is 25 km across the border into the Sarthe: drawn whole, it leaves the map.
    circle = root.find(f".//{SVG}circle[@class='rayon']")
    assert float(circle.get("r")) == pytest.approx(250, rel=1e-3)
    _, root = get_map(operator, around=ALENCON, radius_km="200")
    assert len(cible(root)) == 381
    centre = [code for code, p in paths(root).items() if "centre" in (p.get("class") or "")]
    assert centre == [ALENCON]


def test_titles_count_recipients_per_commune(database, operator):
    population()
    _, root = get_map(operator, sector_group="bijouteries", around=ARGENTAN, radius_km="60")
    names = titles(root)
    assert names[ARGENTAN] == "Argentan — 2 destinataires"
    assert names[FLERS] == "Flers — 1 destinataire"          # the restaurant is not a jeweller
    assert names[ALENCON] == "Alençon — 1 destinataire"
    assert names[SEES] == "Sées — aucun destinataire"
    outside = set(names) - cible(root)
    assert len(outside) > 20 and all(" — " not in names[c] for c in outside)     # beyond 60 km
    assert "bijouteries" in root.get("aria-label")


def test_no_area_means_the_whole_departement_or_no_commune(database, operator):
    population()
    _, root = get_map(operator, sector_group="bijouteries")
    assert len(cible(root)) == 381
    _, root = get_map(operator, all="1")
    assert len(cible(root)) == 381
    _, root = get_map(operator)
    assert cible(root) == set() and "aucun destinataire" in root.get("aria-label")


def test_invalid_targeting_gives_the_bare_map_and_the_french_reason(database, operator):
    answer, root = get_map(operator, around=ARGENTAN)
    assert answer.status == 200
    assert cible(root) == set() and len(paths(root)) == 381
    assert root.get("data-erreur") == "Indiquez le rayon en kilomètres autour de la commune centre."
    assert "Indiquez le rayon" in root.get("aria-label")
    answer, root = get_map(operator, around=ARGENTAN, radius_km="dix")
    assert "Rayon invalide" in root.get("data-erreur")
    answer, root = get_map(operator, zone="inconnue")
    assert root.get("data-erreur") == "Zone inconnue : « inconnue »."
    _, root = get_map(operator, commune=ARGENTAN)
    assert root.get("data-erreur") is None


def test_map_needs_the_alerts_permission(database, client, manager):
    assert client.get("/carte.svg").status in (303, 401)
    assert manager.get("/carte.svg?commune=61006").status == 403


# --- pages -------------------------------------------------------------------------------------

def _inline(page_text: str, element_id: str) -> ET.Element:
    match = re.search(rf'<svg [^>]*id="{element_id}".*?</svg>', page_text, re.S)
    assert match, f"pas de carte {element_id}"
    return ET.fromstring(match.group(0))


def test_composer_and_confirmation_show_the_map(database, operator):
    population()
    page = operator.get("/alertes/nouvelle")
    assert page.status == 200
    root = _inline(page.text, "carte-ciblage")
    assert cible(root) == set()
    assert 'data-carte="/carte.svg"' in page.text
    confirm = operator.submit("/alertes/nouvelle", {"text": "Vol à Argentan.", "action": "preview",
                                                    "sector_group": "bijouteries", "around": ARGENTAN,
                                                    "radius_km": "20"}, page="/alertes/nouvelle")
    assert confirm.status == 200, confirm.text
    root = _inline(confirm.text, "carte-ciblage")
    assert cible(root) == Targeting(around=ARGENTAN, radius_km=20).area_communes()
    assert root.find(f".//{SVG}circle[@class='rayon']") is not None
    assert "<td>Argentan</td><td>2</td>" in confirm.text.replace("\n", "")


def test_composer_redisplay_keeps_the_map(database, operator):
    population()
    page = operator.submit("/alertes/nouvelle", {"text": "", "action": "preview", "zone": "bocage"},
                           page="/alertes/nouvelle")
    root = _inline(page.text, "carte-ciblage")
    assert cible(root) == {FLERS, DOMFRONT}


def test_zone_editor_map_shows_the_zone(database, admin):
    population()
    zone = zones.get("bocage")
    page = admin.get(f"/zones/{zone.id}")
    root = _inline(page.text, "carte-zone")
    chosen = {c for c, p in paths(root).items() if "selection" in (p.get("class") or "")}
    assert chosen == {FLERS, DOMFRONT}
    # Without JavaScript the list does the work: the invitation to click only shows with it.
    assert '<p class="muted hidden" data-js-note>Cliquez une commune' in page.text
    new = admin.get("/zones")
    root = _inline(new.text, "carte-zone")
    assert not any("selection" in (p.get("class") or "") for p in paths(root).values())


def test_alert_page_colours_communes_by_delivery(database, operator):
    population()
    confirm = operator.submit("/alertes/nouvelle", {"text": "Test.", "action": "preview",
                                                    "sector_group": "bijouteries"}, page="/alertes/nouvelle")
    count = re.search(r'name="confirmed_count" value="(\d+)"', confirm.text).group(1)
    targeting = re.search(r'name="targeting" value="([^"]+)"', confirm.text).group(1)
    sent = operator.submit("/alertes/envoyer", {"text": "Test.", "targeting": html.unescape(targeting),
                                                "confirmed_count": count}, page="/alertes/nouvelle")
    assert sent.status == 303
    alert_id = int(sent.location.rsplit("/", 1)[1])
    by_commune = {}
    for m in Message.select().where(Message.alert == alert_id):
        by_commune.setdefault(m.member.commune_id, []).append(m)
    # Argentan: one delivered and one still sent; Flers: failed; Alençon: delivered.
    now = time.time()
    for m, state in zip(by_commune[ARGENTAN], ("delivered", "sent")):
        Message.update(state=state, sent_at=now).where(Message.id == m.id).execute()
    Message.update(state="failed").where(Message.id == by_commune[FLERS][0].id).execute()
    Message.update(state="delivered").where(Message.id == by_commune[ALENCON][0].id).execute()
    assert outbox.counts(alert_id)["delivered"] == 2

    root = _inline(operator.get(f"/alertes/{alert_id}").text, "carte-alerte")
    classes = {c: set((p.get("class") or "").split()) for c, p in paths(root).items()}
    assert "en-cours" in classes[ARGENTAN] and "echec" in classes[FLERS] and "livre" in classes[ALENCON]
    assert classes[SEES] == set()
    assert titles(root)[ARGENTAN] == "Argentan — 1 délivré, 1 en cours"
    assert titles(root)[FLERS] == "Flers — 0 délivré, 1 échec"
    live = operator.get(f"/alertes/{alert_id}/etat.json").json()
    assert live["carte"][ALENCON] == {"state": "livre", "title": "Alençon — 1 délivré"}
    assert live["carte"][ARGENTAN]["state"] == "en-cours"


def test_dashboard_places_the_latest_reports(database, admin):
    population()
    phone = "+33612000003"          # member 3, in Flers
    now = time.time()
    for text in ("Individu suspect rue de la Gare", "Voiture rôdant devant la vitrine"):
        InboundSms.create(phone=phone, text=text, received_at=now, sms_time=now, modem="m0",
                          kind="incident", member=inbox.member_for(phone))
    InboundSms.create(phone="+33699999999", text="Qui êtes-vous ?", received_at=now, sms_time=now,
                      modem="m0", kind="incident")
    page = admin.get("/")
    root = _inline(page.text, "carte-signalements")
    dots = {d.get("data-insee"): d.find(f"{SVG}title").text
            for d in root.iter(f"{SVG}circle") if d.get("class") == "signalement"}
    assert dots == {FLERS: "Flers — 2 signalements"}
