"""End to end in headless Chromium: `vigie emulator`, `vigie run` and `vigie web` as processes.

Sign in, create a sector group and a zone, import a member file, compose a targeted alert (live
counter and recipient count), confirm, and watch every recipient reach « délivré » on the alert
page, refreshed by its script. Screenshots of the main pages go to artifacts/screenshots/.
"""

import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

try:
    from playwright.sync_api import expect
except ImportError:          # pragma: no cover - playwright is a test dependency
    expect = None

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = pathlib.Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
PASSWORD = "mot-de-passe-navigateur"
ADMIN = "adjudant.durand"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium absent (/usr/bin/chromium) : apt-get install chromium"),
]

ALERT_TEXT = ("Gendarmerie de l'Orne : vols par effraction dans des bijouteries cette nuit. "
              "Verrouillez vitrines et coffres, signalez tout fait suspect au 17.")
# Five jewellers (47.77Z) in Argentan, Flers and Alençon, two other trades; one invalid line is
# fixed before the import.
MEMBERS = [
    ("Bijouterie Lemoine", "47.77Z", "61006", "06 12 34 50 01"),
    ("Or et Montres", "47.77Z", "61006", "06 12 34 50 02"),
    ("Joaillerie du Bocage", "47.77Z", "61169", "06 12 34 50 03"),
    ("Bijoux Flériens", "47.77Z", "61169", "07 81 34 50 04"),
    ("Bijouterie d'Alençon", "47.77Z", "61001", "06 12 34 50 05"),
    ("Tabac de la Gare", "47.26Z", "61006", "06 12 34 50 06"),
    ("Garage Normand", "45.20A", "61169", "06 12 34 50 07"),
]


def siret(n: int) -> str:
    from stdnum import luhn
    siren = f"{81234500 + n:08d}"
    siren += luhn.calc_check_digit(siren)
    value = siren + "0001"
    return value + luhn.calc_check_digit(value)


def member_file(bad_line: bool) -> bytes:
    rows = ["siret;nom;naf;commune;telephone;chambre;date_consentement"]
    for i, (name, naf, commune, phone) in enumerate(MEMBERS):
        rows.append(f"{siret(i)};{name};{naf};{commune};{phone};cci;02/01/2025")
    if bad_line:
        rows.append(f"{siret(99)};Fleuriste;47.76Z;61006;02 33 12 34 56;cci;02/01/2025")
    return ("\r\n".join(rows) + "\r\n").encode("utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"délai dépassé : {what}")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture
def box(tmp_path):
    """Emulator, daemon and console running as `vigie` processes on one configuration."""
    yield from run_box(tmp_path)


def run_box(tmp_path, button: bool = False):
    """The box's processes; ``button``: the daemon's panic button simulated (`vigie button press`)."""
    link = tmp_path / "gsm0"
    port = free_port()
    config = tmp_path / "vigie.toml"
    config.write_text(f"""
[database]
path = "{tmp_path / 'vigie.db'}"

[[modem]]
name = "hat"
port = "{link}"
model = "sim800"

[daemon]
control_socket = "{tmp_path / 'control.sock'}"
retry_base_seconds = 0.5
retry_max_seconds = 2.0
poll_interval_seconds = 0.1
health_interval_seconds = 1.0
reconnect_max_seconds = 1.0

[web]
host = "127.0.0.1"
port = {port}

[button]
{"enabled = true" + chr(10) + "simulate = true" + chr(10) + "hold_seconds = 0.3" if button else "enabled = false"}
""", encoding="utf-8")
    vigie = [sys.executable, "-m", "vigie.daemon.cli"]
    procs = []

    def start(*args, log):
        out = open(tmp_path / log, "w")
        procs.append(subprocess.Popen([*vigie, *args], stdout=out, stderr=subprocess.STDOUT))
        return procs[-1]

    created = subprocess.run([*vigie, "--config", str(config), "user", "add", ADMIN, "--role", "admin"],
                             input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    start("emulator", "--link", str(link), "--report-delay", "0.3", log="emulator.log")
    wait_for(link.exists, 20, "port du modem simulé")
    start("--config", str(config), "run", log="daemon.log")
    start("--config", str(config), "web", log="web.log")
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: http_ok(base + "/connexion"), 30, "console web")
    yield dict(base=base, config=str(config), link=str(link), tmp=tmp_path)
    for proc in reversed(procs):
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--lang=fr-FR"])
        yield b
        b.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_alert_from_sign_in_to_delivery(box, browser):
    base = box["base"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15000)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    # Sign in (a wrong password first).
    page.goto(base + "/")
    assert page.url.startswith(base + "/connexion")
    page.fill("#username", ADMIN)
    page.fill("#password", "pas-le-bon-mot-de-passe")
    page.click("button[type=submit]")
    assert "incorrect" in page.inner_text(".flash.error")
    shot(page, "01-connexion")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    page.wait_for_selector("text=Tableau de bord")
    problems.clear()          # the refused sign-in above answered 401, as it should

    # Sector group and zone.
    page.click("nav >> text=Secteurs")
    page.fill("#group-name", "bijouteries")
    page.fill("#group-codes", "47.77Z")
    page.click("text=Créer le groupe")
    page.wait_for_selector("text=Groupe « bijouteries » créé.")
    page.click("nav >> text=Zones")
    page.fill("#zone-name", "Argentan et Flers")
    page.select_option("#zone-communes", ["61006", "61169"])
    page.click("text=Créer la zone")
    page.wait_for_selector("text=Zone « Argentan et Flers » créée.")
    shot(page, "02-zones")

    # Import: a file with a bad line is refused with its line number, the fixed one goes in.
    csv_bad = box["tmp"] / "adherents-erreur.csv"
    csv_bad.write_bytes(member_file(bad_line=True))
    csv_good = box["tmp"] / "adherents.csv"
    csv_good.write_bytes(member_file(bad_line=False))
    page.click("nav >> text=Adhérents")
    page.click("text=Importer un fichier CSV")
    page.set_input_files("#file", str(csv_bad))
    page.click("text=Vérifier le fichier")
    assert "1 ligne(s) en erreur" in page.inner_text("#import-invalid")
    assert re.search(r"^9\s", page.inner_text("table.import-errors tbody tr"))
    assert page.locator("#import-confirm").count() == 0
    shot(page, "03-import-erreurs")
    page.click("text=Envoyer un fichier corrigé")
    page.set_input_files("#file", str(csv_good))
    page.click("text=Vérifier le fichier")
    assert "7 ligne(s) valide(s)" in page.inner_text("#import-valid")
    shot(page, "04-import-apercu")
    page.click("#import-confirm")
    page.wait_for_selector("text=Import terminé : 7 adhérent(s) créé(s)")
    shot(page, "05-adherents")

    # Compose: the live counter and recipient count follow the typing and the ticks.
    page.click("nav >> text=Nouvelle alerte")
    page.fill("#text", ALERT_TEXT)
    expect(page.locator("#counter")).to_have_text(re.compile(r"^%d caractères" % len(ALERT_TEXT)))
    assert "1 SMS (GSM 7 bits)" in page.inner_text("#counter")
    page.check("input[name=sector_group][value=bijouteries]")
    page.check("input[name=zone][value='Argentan et Flers']")
    expect(page.locator("#estimate")).to_have_text(re.compile(r"^4 téléphones"))
    assert "durée d'envoi estimée" in page.inner_text("#estimate")
    page.fill("#text", ALERT_TEXT + " \u2192 Merci")
    page.wait_for_selector("#translit:not(.hidden)")
    assert "Unicode" in page.inner_text("#counter")
    page.click("#translit-button")
    expect(page.locator("#translit")).to_be_hidden()
    expect(page.locator("#counter")).to_contain_text("GSM 7 bits")
    assert "\u2192" not in page.input_value("#text")
    shot(page, "06-nouvelle-alerte")
    page.click("text=Vérifier et confirmer")
    assert page.inner_text("#confirm-count") == "4 téléphones recevront ce message de 1 SMS"
    shot(page, "07-confirmation")
    page.click("#send-button")
    page.wait_for_url(re.compile(r".*/alertes/\d+$"))

    # The daemon sends, the simulated network reports, the page refreshes itself.
    expect(page.locator("[data-count=delivered]")).to_have_text("4", timeout=60000)
    labels = page.locator("#recipient-rows .badge").all_inner_texts()
    assert labels == ["délivré"] * 4
    expect(page.locator("#alert-state")).to_have_text("terminée", timeout=30000)   # the poll's state_label
    shot(page, "08-alerte-delivree")

    # Dashboard: modem ready, no warning, a report from a member arrives.
    subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "emulator", "inject", "--link", box["link"], "sms",
                    "--from", "+33612345003", "--text", "Deux individus rôdent autour de la bijouterie"],
                   check=True, capture_output=True, timeout=30)
    page.click("nav >> text=Tableau de bord")
    page.wait_for_selector("text=prêt")
    assert page.locator("#daemon-warning.hidden").count() == 1
    deadline = time.monotonic() + 30
    while "Deux individus" not in page.content() and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        page.reload()
    assert "Deux individus rôdent autour de la bijouterie" in page.content()
    shot(page, "09-tableau-de-bord")

    # An alert sent through the API shows up on the open dashboard without reloading it.
    expect(page.locator("#queue-delivered")).to_have_text("4")
    token = subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "--config", box["config"], "user", "token",
                            ADMIN, "--label", "essai"], capture_output=True, text=True, check=True,
                           timeout=60).stdout.strip()
    request = urllib.request.Request(
        base + "/api/v1/alerts", method="POST",
        data=json.dumps({"text": "Essai de la chaîne d'alerte, merci de ne pas répondre.",
                         "targeting": {"all": True}}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 201 and json.loads(answer.read())["recipients"] == 7
    expect(page.locator("#queue-delivered")).to_have_text("11", timeout=60000)
    page.click("nav >> text=Messages reçus")
    assert "Joaillerie du Bocage" in page.content()
    shot(page, "10-messages-recus")
    page.click("nav >> text=Alertes")
    shot(page, "11-alertes")
    page.click("nav >> text=Journal")
    assert "alert.send" in page.content()
    shot(page, "12-journal")
    page.click("nav >> text=Utilisateurs")
    shot(page, "13-utilisateurs")
    page.click("nav >> text=Adhérents")
    page.click("text=Joaillerie du Bocage")
    assert page.input_value("#f-phones") == "06 12 34 50 03"
    shot(page, "16-adherent")
    page.click("nav >> text=Modèles")
    page.click("text=Nouveau modèle")
    page.fill("#preset-name", "panique")
    page.fill("#text", "Gendarmerie : alerte en cours dans votre secteur, fermez et signalez tout fait suspect au 17.")
    page.check("input[name=all]")
    page.click("main button[type=submit].primary")
    page.wait_for_selector("text=Modèle « panique » enregistré.")
    assert "(bouton d’alerte)" in page.content()
    shot(page, "17-modeles")
    page.click("text=adjudant.durand")
    page.fill("#label", "logiciel du CORG")
    page.click("text=Créer un jeton")
    assert page.inner_text("#new-token").startswith("vg_")
    shot(page, "18-mon-compte")

    # On a tablet the menu folds away and the pages stay readable.
    tablet = browser.new_context(viewport={"width": 768, "height": 1024}, storage_state=context.storage_state())
    tpage = tablet.new_page()
    tpage.goto(base + "/")
    assert not tpage.is_visible("nav.menu")
    tpage.click("label.menu-button")
    assert tpage.is_visible("nav.menu")
    shot(tpage, "14-tablette-menu")
    tpage.goto(base + "/adherents")
    shot(tpage, "15-tablette-adherents")
    tpage.goto(base + "/alertes/nouvelle")
    shot(tpage, "19-tablette-nouvelle-alerte")
    tablet.close()

    # Sign out: the session is over.
    page.click("text=Se déconnecter")
    page.wait_for_url(re.compile(r".*/connexion$"))
    page.goto(base + "/alertes")
    assert "/connexion" in page.url
    assert problems == [], problems
    context.close()


def test_console_works_without_javascript(box, browser):
    """The essentials are plain forms: sign in, compose, confirm with JavaScript off."""
    base = box["base"]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/connexion")
    page.fill("#username", ADMIN)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    csv_good = box["tmp"] / "adherents.csv"
    csv_good.write_bytes(member_file(bad_line=False))
    page.goto(base + "/adherents/import")
    page.set_input_files("#file", str(csv_good))
    page.click("text=Vérifier le fichier")
    page.click("#import-confirm")
    page.wait_for_selector("text=Import terminé : 7 adhérent(s) créé(s)")
    page.goto(base + "/alertes/nouvelle")
    assert "Le nombre de destinataires s'affiche à l'étape de confirmation." in page.inner_text("#estimate")
    page.fill("#text", "Essai sans script : tout va bien.")
    page.check("input[name=all]")
    page.click("text=Vérifier et confirmer")
    assert page.inner_text("#confirm-count") == "7 téléphones recevront ce message de 1 SMS"
    page.click("#send-button")
    page.wait_for_url(re.compile(r".*/alertes/\d+$"))
    deadline = time.monotonic() + 60
    while page.inner_text("[data-count=delivered]") != "7" and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        page.reload()
    assert page.inner_text("[data-count=delivered]") == "7"
    context.close()
