"""The console as an operations screen in headless Chromium, on the real box (`vigie emulator`,
`vigie run`, `vigie web` as processes): a chamber's member file imported as it is (mapping step,
commune names, partial import, the refused lines downloaded), an incident report arriving on an open
dashboard through the simulated modem, a panic-button alert's banner, and the alert page's
incremental refresh. Screenshots go to artifacts/screenshots/operations-*.png."""

import csv
import io
import re
import subprocess
import sys

import pytest

from . import test_browser as tb

pytestmark = tb.pytestmark

browser = tb.browser

HEADER = "Raison sociale;SIRET;Code APE;Commune;Code postal;Téléphone;Contact tél"
MEMBERS = [   # name, n, APE, commune as the chamber writes it, postal code, landline, mobile
    ("BIJOUTERIE LEMOINE", 1, "4777Z", "ARGENTAN", "", "02 33 00 00 01", "06 12 34 70 01"),
    ("Joaillerie du Bocage", 2, "47.77Z", "Flers", "", "", "06 12 34 70 02"),
    ("Or et Montres", 3, "47.77Z", "St Germain du Corbeis", "", "", "06 12 34 70 03"),
    ("Tabac de l'Aigle", 4, "47.26Z", "L'AIGLE", "", "", "06 12 34 70 04"),
    ("Garage du Mêle", 5, "45.20A", "Mele sur Sarthe", "", "", "06 12 34 70 05"),
    ("Quincaillerie Dupont", 6, "47.52A", "Argentann", "", "", "06 12 34 70 06"),      # misspelt
    ("Fleurs Éléonore", 7, "47.76Z", "Sées", "", "", "02 33 12 34 07"),               # a landline
]
REPORTER = "+33612347002"          # Joaillerie du Bocage


def chamber_file() -> bytes:
    lines = [HEADER] + [";".join([name, tb.siret(300 + n), ape, commune, cp, fixe, mobile])
                        for name, n, ape, commune, cp, fixe, mobile in MEMBERS]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def vigie(box, *args, stdin: str | None = None):
    done = subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "--config", box["config"], *args],
                          capture_output=True, text=True, timeout=90, input=stdin)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def emulator(box, *args):
    done = subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "emulator", "inject", "--link", box["link"],
                           *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr


def sign_in(browser, base, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(base + "/connexion")
    page.fill("#username", tb.ADMIN)
    page.fill("#password", tb.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    return page


@pytest.fixture
def box(tmp_path):
    """The box of tests/test_browser.py, its panic button simulated (pressed with `vigie button press`)."""
    yield from tb.run_box(tmp_path, button=True)


def test_chamber_file_imported_as_it_is(box, browser, tmp_path):
    base = box["base"]
    page = sign_in(browser, base)
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    path = tmp_path / "export-cci.csv"
    path.write_bytes(chamber_file())
    page.goto(base + "/adherents/import")
    page.set_input_files("#file", str(path))
    page.click("text=Vérifier le fichier")

    # The mapping step: « Téléphone » (landlines) was taken as the phone, « Contact tél » as the contact.
    page.wait_for_selector("#import-mapping")
    assert page.input_value("#colonne_0") == "name" and page.input_value("#colonne_3") == "commune"
    assert page.input_value("#colonne_5") == "phone1" and page.input_value("#colonne_6") == "contact"
    assert "0 ligne(s) valide(s)" in page.inner_text("#import-valid")
    tb.shot(page, "operations-import-colonnes")
    page.select_option("#colonne_5", "")
    page.select_option("#colonne_6", "phone1")
    page.click("#import-remap")

    page.wait_for_selector("#import-partial")
    assert "5 ligne(s) valide(s)" in page.inner_text("#import-valid")
    assert "2 ligne(s) en erreur" in page.inner_text("#import-invalid")
    assert page.input_value("#colonne_6") == "phone1"           # the correction is kept
    errors = page.inner_text("table.import-errors tbody")
    assert re.search(r"^7\s+Quincaillerie Dupont\s+.*Argentann.*Argentan", errors, re.M)
    assert re.search(r"^8\s+Fleurs Éléonore\s+.*fixe", errors, re.M)
    rows = page.inner_text("table.import-rows tbody")
    assert "Argentan (61006)" in rows and "L'Aigle (61214)" in rows and "06 12 34 70 01" in rows
    tb.shot(page, "operations-import-apercu")

    page.click("#import-partial")
    page.wait_for_selector("#import-rejects-link")
    assert "Import terminé : 5 adhérent(s) créé(s)" in page.inner_text("main")
    assert "2 lignes refusées" in page.inner_text("main")
    with page.expect_download() as info:
        page.click("#import-rejects-link")
    data = open(info.value.path(), "rb").read()
    rows = list(csv.reader(io.StringIO(data.decode("cp1252")), delimiter=";"))
    assert rows[0] == HEADER.split(";") + ["Ligne du fichier", "Motif du refus"]
    assert [(r[0], r[-2]) for r in rows[1:]] == [("Quincaillerie Dupont", "7"), ("Fleurs Éléonore", "8")]
    tb.shot(page, "operations-import-refus")
    shown = vigie(box, "member", "list", "--json").stdout
    assert "BIJOUTERIE LEMOINE" in shown and "Quincaillerie" not in shown
    assert not problems, problems


def test_live_incident_panic_banner_and_incremental_alert_page(box, browser, tmp_path):
    base = box["base"]
    path = tmp_path / "export-cci.csv"
    path.write_bytes(chamber_file())
    vigie(box, "member", "import", str(path), "--partial", "--column", "Téléphone=ignorer",
          "--column", "Contact tél=telephone")
    vigie(box, "preset", "add", "panique", "--text", "Gendarmerie : alerte du bouton, restez à l'abri.",
          "--priority", "100", "--all")
    page = sign_in(browser, base)
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    assert page.locator("#inbox-unread.hidden").count() == 1
    assert page.inner_text("#reports-empty") == "Aucun signalement reçu."

    # A member and an unknown number send reports through the simulated modem; the open dashboard
    # shows them within seconds, with the unread counter in the menu.
    emulator(box, "sms", "--from", REPORTER, "--text", "Deux hommes observent la vitrine depuis une heure")
    emulator(box, "sms", "--from", "+33699887766", "--text", "Voiture sans plaque rue de la Gare")
    page.wait_for_function("() => document.querySelectorAll('#report-list li').length == 2", timeout=60000)
    assert page.inner_text("#menu-inbox") == "Messages reçus (2)"
    items = page.inner_text("#report-list")
    assert "Joaillerie du Bocage" in items and "numéro inconnu" in items and "Voiture sans plaque" in items
    assert page.locator("#report-list li.new").count() == 2
    tb.shot(page, "operations-signalement-direct")

    # Open it, answer, mark it « traité »: the counter follows.
    page.click("#report-list li:has-text('Joaillerie') >> text=Ouvrir")
    page.fill("#reply-text", "Patrouille en route. Restez à l'intérieur.")
    page.click("#reply-send")
    page.wait_for_selector("text=Réponse mise dans la file d'envoi")
    assert page.inner_text("#treated-badge") == "traité"
    assert page.inner_text("#menu-inbox") == "Messages reçus (1)"
    tb.shot(page, "operations-reponse")

    # The panic button: a banner on every page, with its author and progress, while it runs.
    emulator(box, "latency", "--seconds", "1.5")          # a broadcast long enough to watch
    page.goto(base + "/adherents")
    polls = []
    page.on("response", lambda r: polls.append(r) if "/etat.json" in r.url else None)
    vigie(box, "button", "press")
    page.wait_for_selector(".panic-banner.running", timeout=30000)
    banner = page.inner_text(".panic-banner")
    assert "ALERTE DU BOUTON EN COURS" in banner and "bouton d'alerte" in banner and "sur 5" in banner
    first = page.inner_text(".panic-banner .panic-elapsed")
    page.wait_for_function("t => document.querySelector('.panic-banner .panic-elapsed').textContent !== t",
                           arg=first, timeout=10000)             # the banner's clock runs
    tb.shot(page, "operations-bouton-bandeau")

    # The alert page asks only for what changed since its last poll.
    page.click(".panic-banner a")
    page.wait_for_url(re.compile(r".*/alertes/\d+$"))
    assert page.locator("#button-badge").count() == 1 and page.locator(".panic-banner.running").count() == 1
    page.wait_for_function("() => document.querySelectorAll('#recipient-rows tr[data-state=delivered]').length == 5",
                           timeout=120000)
    with page.expect_response(lambda r: "/etat.json" in r.url):
        pass
    assert page.inner_text("#menu-inbox") == "Messages reçus (1)"      # the unknown sender's, not yet dealt with
    incremental = [p for p in polls if "depuis=" in p.url]
    assert incremental, [p.url for p in polls]
    bodies = [p.json() for p in incremental if p.ok]
    assert all("recipients" not in b and "changes" in b for b in bodies)
    assert sum(len(b["changes"]) for b in bodies) >= 5
    tb.shot(page, "operations-alerte-bouton")
    page.goto(base + "/alertes")
    assert "bouton d'alerte" in page.inner_text("table")
    # once over, the banner says so
    page.wait_for_selector(".panic-banner.ended", timeout=60000)
    assert "terminée le" in page.inner_text(".panic-banner.ended")
    assert not problems, problems
