"""The map in headless Chromium, on the real box (`vigie emulator`, `vigie run`, `vigie web`):
a zone drawn by clicking communes, the composer's map following a radius live, an alert page
coloured by commune in the middle of a broadcast, the dashboard's incident dots, and the composer
at 390 px. Screenshots go to artifacts/screenshots/carte-*.png.
"""

import re
import subprocess
import sys

from . import test_browser as tb

pytestmark = tb.pytestmark

box = tb.box
browser = tb.browser

ARGENTAN, FLERS, ALENCON, SEES, ECOUCHE, PUTANGES, BRIOUZE, TRUN = (
    "61006", "61169", "61001", "61464", "61153", "61339", "61063", "61494")
# Jewellers (47.77Z) around Argentan and farther; phones 06 12 34 60 nn.
MEMBERS = [
    (ARGENTAN, 3), (ECOUCHE, 1), (PUTANGES, 1), (TRUN, 1), (SEES, 2), (BRIOUZE, 1), (FLERS, 2), (ALENCON, 2),
]
FAILING_PHONE = "+33612346003"         # the third member, in Argentan: its report says « échec »
SILENT_PHONE = "+33612346006"          # the member in Trun: no report ever comes, Trun stays « en cours »


def member_file() -> bytes:
    rows = ["siret;nom;naf;commune;telephone;chambre;date_consentement"]
    n = 0
    for commune, count in MEMBERS:
        for _ in range(count):
            n += 1
            rows.append(f"{tb.siret(200 + n)};Bijouterie n° {n};47.77Z;{commune};06 12 34 60 {n:02d};cci;02/01/2025")
    return ("\r\n".join(rows) + "\r\n").encode("utf-8")


def vigie(box, *args):
    done = subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "--config", box["config"], *args],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def emulator(box, *args):
    done = subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "emulator", "inject", "--link", box["link"],
                           *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr


def codes(page, selector: str) -> set[str]:
    return set(page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('data-insee'))"))


def test_map_in_the_console(box, browser):
    base = box["base"]
    path = box["tmp"] / "adherents.csv"
    path.write_bytes(member_file())
    vigie(box, "member", "import", str(path))
    vigie(box, "sector", "add", "bijouteries", "--code", "47.77Z")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15000)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(base + "/connexion")
    page.fill("#username", tb.ADMIN)
    page.fill("#password", tb.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")

    # Zone editor: clicks on the map choose the communes, the list follows, and back.
    page.goto(base + "/zones")
    page.fill("#zone-name", "secteur d'Argentan")
    for code in (ARGENTAN, ECOUCHE, PUTANGES, TRUN):
        page.click(f"#carte-zone path[data-insee='{code}']")
    page.click(f"#carte-zone path[data-insee='{TRUN}']")            # clicked twice: out again
    chosen = set(page.eval_on_selector("#zone-communes", "s => [...s.selectedOptions].map(o => o.value)"))
    assert chosen == {ARGENTAN, ECOUCHE, PUTANGES}
    assert codes(page, "#carte-zone path.selection") == chosen
    assert "retirée de la zone : 3 communes." in page.inner_text("[data-announce]")
    assert page.is_visible("text=Cliquez une commune sur la carte")
    page.select_option("#zone-communes", [ARGENTAN, ECOUCHE, PUTANGES, SEES])   # the list, as a keyboard would
    assert codes(page, "#carte-zone path.selection") == chosen | {SEES}
    page.locator("#carte-zone").scroll_into_view_if_needed()
    tb.shot(page, "carte-zone-apres-clics")
    page.click("text=Créer la zone")
    page.wait_for_selector("text=Zone « secteur d'Argentan » créée.")

    # Composer: « bijouteries à moins de 20 km d'Argentan », the map follows the fields.
    map_requests = []
    page.on("request", lambda r: map_requests.append(r.url) if "/carte.svg" in r.url else None)
    page.goto(base + "/alertes/nouvelle")
    page.fill("#text", "Gendarmerie : vols dans des bijouteries autour d'Argentan cette nuit, signalez tout "
                       "fait suspect au 17.")
    page.check("input[name=sector_group][value=bijouteries]")
    page.select_option("#around", ARGENTAN)
    page.fill("#radius_km", "20")
    page.wait_for_selector("#carte-ciblage circle.rayon")
    page.wait_for_function("() => document.querySelectorAll('#carte-ciblage path.cible').length > 40")
    within_20 = codes(page, "#carte-ciblage path.cible")
    assert {ARGENTAN, ECOUCHE, PUTANGES, TRUN} <= within_20 and not {FLERS, ALENCON} & within_20
    assert codes(page, "#carte-ciblage path.centre") == {ARGENTAN}
    title = page.text_content(f"#carte-ciblage path[data-insee='{ARGENTAN}'] title")
    assert title == "Argentan — 3 destinataires"
    tb.expect(page.locator("#estimate")).to_have_text(re.compile(r"^\d+ téléphones"))
    page.locator("#carte-ciblage").scroll_into_view_if_needed()
    tb.shot(page, "carte-nouvelle-alerte-rayon")
    page.locator("figure.carte-figure").screenshot(path=str(tb.SCREENSHOTS / "carte-ciblage.png"))
    page.fill("#radius_km", "10")
    page.wait_for_function(f"() => document.querySelectorAll('#carte-ciblage path.cible').length < {len(within_20)}")
    assert codes(page, "#carte-ciblage path.cible") < within_20
    page.fill("#radius_km", "20")
    page.wait_for_function(f"() => document.querySelectorAll('#carte-ciblage path.cible').length == {len(within_20)}")
    asked = len(map_requests)
    page.fill("#text", "Gendarmerie : vols dans des bijouteries autour d'Argentan, soyez vigilants.")
    tb.expect(page.locator("#counter")).to_have_text(re.compile(r"^75 caractères"))
    assert len(map_requests) == asked            # the text alone does not redraw the map

    # 390 px wide: the map fits the screen.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=context.storage_state())
    ppage = phone.new_page()
    ppage.goto(base + "/alertes/nouvelle")
    ppage.select_option("#around", ARGENTAN)
    ppage.fill("#radius_km", "20")
    ppage.wait_for_selector("#carte-ciblage circle.rayon")
    box_width = ppage.eval_on_selector("#carte-ciblage", "e => e.getBoundingClientRect().width")
    assert 300 < box_width <= 390
    assert ppage.evaluate("document.documentElement.scrollWidth") <= 390
    ppage.locator("#carte-ciblage").scroll_into_view_if_needed()
    tb.shot(ppage, "carte-390px")
    phone.close()

    # Confirm and send, slowly: one SMS every 1.5 s; one report says failed, one never comes.
    page.click("text=Vérifier et confirmer")
    assert codes(page, "#carte-ciblage path.cible") == within_20
    assert "Destinataires par commune" in page.content()
    tb.shot(page, "carte-confirmation")
    emulator(box, "latency", "--seconds", "1.5")
    emulator(box, "report", "--outcome", "failed", "--number", FAILING_PHONE)
    emulator(box, "report", "--outcome", "none", "--number", SILENT_PHONE)
    page.click("#send-button")
    page.wait_for_url(re.compile(r".*/alertes/\d+$"))
    page.wait_for_function("() => document.querySelector('#carte-alerte path.livre')"
                           " && document.querySelector('#carte-alerte path.en-cours')", timeout=60000)
    page.locator("#carte-alerte").scroll_into_view_if_needed()
    tb.shot(page, "carte-alerte-en-cours")
    # The rest of the broadcast goes out; the page's script repaints the communes.
    page.wait_for_selector(f"#carte-alerte path.echec[data-insee='{ARGENTAN}']", timeout=120000)
    page.wait_for_function(f"() => document.querySelectorAll('#carte-alerte path.en-cours').length == 1"
                           f" && document.querySelector(\"#carte-alerte path.en-cours[data-insee='{TRUN}']\")",
                           timeout=120000)
    assert codes(page, "#carte-alerte path.livre") >= {ECOUCHE, PUTANGES}
    assert page.text_content(f"#carte-alerte path[data-insee='{TRUN}'] title") == "Trun — 0 délivré, 1 en cours"
    assert "1 échec" in page.text_content(f"#carte-alerte path[data-insee='{ARGENTAN}'] title")

    # Dashboard: where the reports came from.
    emulator(box, "sms", "--from", "+33612346011", "--text", "Un homme observe la vitrine depuis une heure")
    emulator(box, "sms", "--from", "+33612346012", "--text", "Voiture suspecte devant la boutique")
    deadline_rounds = 60
    while deadline_rounds and len(codes(page, "#carte-signalements circle.signalement")) < 2:
        page.goto(base + "/")
        if len(codes(page, "#carte-signalements circle.signalement")) >= 2:
            break
        page.wait_for_timeout(500)
        deadline_rounds -= 1
    assert codes(page, "#carte-signalements circle.signalement") == {FLERS, ALENCON}
    page.locator("#carte-signalements").scroll_into_view_if_needed()
    tb.shot(page, "carte-tableau-de-bord")

    # Printed, the map keeps its shapes.
    page.goto(base + "/alertes/nouvelle")
    page.emulate_media(media="print")
    assert page.eval_on_selector("#carte-ciblage", "e => e.getBoundingClientRect().height") > 200
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    assert problems == [], problems
    context.close()

