"""Every console page on a phone (390 px), a tablet (820 px) and a laptop (1366 px), in headless Chromium.

On the real stack (`vigie emulator`, `vigie run`, `vigie web` as processes, members imported and an alert
delivered): each page is loaded at each width, nothing sticks out sideways (the document is never wider
than the window: wide tables scroll inside their own box or become cards), and a screenshot is kept under
artifacts/screenshots/ (ecran-<page>-<width>.png).
"""

import re
import subprocess
import sys

from tests.test_browser import ADMIN, PASSWORD, box, browser, expect, member_file, shot, wait_for  # noqa: F401

WIDTHS = (390, 820, 1366)
LONG_SMS = ("Gendarmerie de l'Orne : un véhicule utilitaire blanc immatriculé AB-123-CD a été signalé "
            "près des zones artisanales d'Argentan, Flers et Alençon. Signalez tout fait suspect au 17.")


def vigie(running, *args, input=None):
    done = subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "--config", running["config"], *args],
                          input=input, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def overflow(page) -> dict:
    """How far the page sticks out sideways, and the widest elements doing it."""
    return page.evaluate("""() => {
        const width = window.innerWidth, doc = document.documentElement.scrollWidth;
        const culprits = [];
        if (doc > width) {
            for (const el of document.querySelectorAll('body *')) {
                const r = el.getBoundingClientRect();
                if (r.right > width + 1 && getComputedStyle(el).position !== 'fixed') {
                    let inside = false;
                    for (let p = el.parentElement; p; p = p.parentElement) {
                        const s = getComputedStyle(p);
                        if (s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden') {
                            inside = true; break;
                        }
                    }
                    if (!inside) culprits.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                                               (el.className && typeof el.className === 'string' ?
                                                '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                                               ' ' + Math.round(r.right));
                }
            }
        }
        return {width, doc, culprits: culprits.slice(0, 8)};
    }""")


def test_every_page_fits_a_phone_a_tablet_and_a_laptop(box, browser):  # noqa: F811 (fixtures)
    base = box["base"]
    # Data for every page: members, a zone, a sector group, a preset, a delivered alert, an incident.
    csv_path = box["tmp"] / "adherents.csv"
    csv_path.write_bytes(member_file(bad_line=False))
    vigie(box, "member", "import", str(csv_path))
    vigie(box, "zone", "add", "Argentan et Flers", "--commune", "61006", "--commune", "61169")
    vigie(box, "sector", "add", "bijouteries", "--code", "47.77Z")
    vigie(box, "preset", "add", "panique", "--text", LONG_SMS, "--all")
    vigie(box, "alert", "send", "--text", LONG_SMS, "--all")
    subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "emulator", "inject", "--link", box["link"], "sms",
                    "--from", "+33612345003", "--text", "Deux individus rôdent autour de la bijouterie du centre"],
                   check=True, capture_output=True, timeout=30)

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(base + "/connexion")
    for width in WIDTHS:                                 # the sign-in page, signed out
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(base + "/connexion")
        assert overflow(page)["doc"] <= width, overflow(page)
        shot(page, f"ecran-connexion-{width}")
    page.fill("#username", ADMIN)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    page.goto(base + "/alertes")
    page.click("table a[href^='/alertes/']")
    alert_path = re.sub(r"^https?://[^/]+", "", page.url)
    expect(page.locator("[data-count=delivered]")).to_have_text("7", timeout=60000)
    page.goto(base + "/adherents")
    page.click("text=Joaillerie du Bocage")
    member_path = re.sub(r"^https?://[^/]+", "", page.url)
    page.goto(base + "/zones")
    page.click("main a[href^='/zones/']")
    zone_path = re.sub(r"^https?://[^/]+", "", page.url)
    page.goto(base + "/secteurs")
    page.click("main a[href^='/secteurs/']")
    sector_path = re.sub(r"^https?://[^/]+", "", page.url)
    page.goto(base + "/modeles")
    page.click("main a[href^='/modeles/']")
    preset_path = re.sub(r"^https?://[^/]+", "", page.url)
    wait_for(lambda: (page.goto(base + "/messages") or True) and "Deux individus" in page.content(), 30,
             "signalement reçu")

    pages = {
        "tableau-de-bord": "/", "nouvelle-alerte": "/alertes/nouvelle", "alertes": "/alertes",
        "alerte": alert_path, "messages-recus": "/messages", "adherents": "/adherents",
        "adherent": member_path, "nouvel-adherent": "/adherents/nouveau", "import": "/adherents/import",
        "naf2025": "/adherents/naf2025", "zones": "/zones", "zone": zone_path, "secteurs": "/secteurs",
        "secteur": sector_path, "modeles": "/modeles", "modele": preset_path, "nouveau-modele": "/modeles/nouveau",
        "statistiques": "/statistiques", "utilisateurs": "/utilisateurs", "journal": "/journal",
        "compte": "/compte", "effacer-adherent": member_path + "/effacer",
    }
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            answer = page.goto(base + path)
            assert answer.status == 200, (path, answer.status)
            page.wait_for_load_state("networkidle")
            seen = overflow(page)
            if seen["doc"] > width:
                problems.append(f"{name} à {width} px : {seen['doc']} px de large ({', '.join(seen['culprits'])})")
            shot(page, f"ecran-{name}-{width}")
        # The confirmation step, reached as a user does.
        page.goto(base + "/alertes/nouvelle")
        page.fill("#text", LONG_SMS)
        page.check("input[name=all]")
        page.click("text=Vérifier et confirmer")
        page.wait_for_selector("#confirm-count")
        seen = overflow(page)
        if seen["doc"] > width:
            problems.append(f"confirmation à {width} px : {seen['doc']} px ({', '.join(seen['culprits'])})")
        shot(page, f"ecran-confirmation-{width}")
    assert problems == [], "\n".join(problems)

    # On a phone the menu folds away behind its button, and the wide tables scroll inside their box.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/journal")
    assert not page.is_visible("nav.menu")
    page.click("label.menu-button")
    assert page.is_visible("nav.menu")
    page.goto(base + "/messages")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
