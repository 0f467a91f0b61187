"""From the operator's confirmation to the first AT+CMGS on the line, from the CLI and from the console.

An idle `vigie run` (shipped [daemon] defaults: it polls its queue every 0.2 s) on one simulated SIM800;
`vigie web` on the same base. CLI: the time from starting `vigie alert send` (interpreter start-up
included) to the AT+CMGS of its SMS; console: from sending the confirmation form (POST /alertes/envoyer)
to that AT+CMGS. Both wake the daemon through its control socket once the alert is queued; the
*_polled figures run the same CLI with a configuration whose control socket leads nowhere, so the
daemon only finds the alert at its next poll (what it did before the wake-up).
"""

import html
import os
import random
import re
import shutil
import subprocess
import time
import urllib.parse

from common import free_port, percentile, start_vigie, stop_process, vigie_cmd, wait_until, write_config
from daemon_bench import start_sims, stop_sims, wait_ready
from web_bench import PASSWORD, _client

from vigie.daemon.core import db as db_mod
from vigie.daemon.core import members, users

PHONE = "+33699999998"


def _first_cmgs(sim, text: str, timeout: float = 30.0) -> float:
    if not wait_until(lambda: any(e["text"] == text for e in sim.air()), timeout, 0.005):
        raise RuntimeError(f"not on air: {text}")
    return next(e["cmgs_at"] for e in sim.air() if e["text"] == text)


def _confirm_form(browser, base: str, text: str) -> dict:
    body = urllib.parse.urlencode({"csrf": _csrf(browser, base), "text": text, "all": "1",
                                   "action": "preview"}).encode()
    page = browser.open(base + "/alertes/nouvelle", data=body, timeout=60).read().decode()
    form = page[page.index('action="/alertes/envoyer"'):]
    form = form[:form.index("</form>")]
    return {html.unescape(k): html.unescape(v)
            for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)}


def _csrf(browser, base: str) -> str:
    page = browser.open(base + "/alertes/nouvelle", timeout=60).read().decode()
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def _compile_bytecode() -> None:
    """pip compiles the installed package on the box; a checkout with PYTHONDONTWRITEBYTECODE would
    compile ~30 modules at every start of `vigie` instead (0.1 s here): compile them once, as pip does."""
    import compileall
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for folder in ("daemon", "web"):
        compileall.compile_dir(os.path.join(root, folder), quiet=1)


def run(figures, workdir: str, rounds: int = 10) -> None:
    _compile_bytecode()
    path = os.path.join(workdir, "confirm")
    os.makedirs(path, exist_ok=True)
    db_path = os.path.join(path, "vigie.db")
    db_mod.close_database()
    db_mod.open_database(db_path)
    members.add(siret="73282932000074", name="Commandant de brigade", naf="84.24Z", commune="61001",
                phones=[PHONE], actor="bench")
    users.create("banc", PASSWORD, "admin", actor="bench")
    sims = start_sims(path, 1, 0.1)
    port = free_port()
    socket_path = os.path.join(path, "control.sock")
    config = write_config(os.path.join(path, "vigie.toml"), db_path, sims, control_socket=socket_path,
                          web_port=port)
    nowhere = os.path.join(path, "polled.toml")
    shutil.copy(config, nowhere)
    with open(nowhere, encoding="utf-8") as f:
        text = f.read().replace(socket_path, os.path.join(path, "nobody-listens.sock"))
    with open(nowhere, "w", encoding="utf-8") as f:
        f.write(text)
    daemon = start_vigie(config, "run", log_path=os.path.join(path, "daemon.log"))
    web = start_vigie(config, "web", log_path=os.path.join(path, "web.log"))
    cli, polled, console, cli_wall = [], [], [], []
    queued = {"cli": [], "polled": [], "console": []}       # from the alert's creation to its AT+CMGS
    try:
        if not wait_ready([s.name for s in sims]):
            raise RuntimeError("confirm: modem not ready")
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: os.path.exists(socket_path), 30)
        if not wait_until(lambda: _up(base), 60, 0.1):
            raise RuntimeError("confirm: vigie web did not start")
        browser = _client(base)
        rng = random.Random(15)
        n = 0
        for _ in range(rounds):
            for conf, into in ((config, cli), (nowhere, polled)):
                n += 1
                message = f"Essai de chaine d'alerte numero {n}, ne pas repondre."
                time.sleep(rng.uniform(0.3, 0.7))    # the daemon idle, at any point of its poll
                t0 = time.time()
                done = subprocess.run(vigie_cmd(conf, "alert", "send", "--text", message, "--all"),
                                      capture_output=True, text=True, timeout=120)
                if done.returncode:
                    raise RuntimeError(done.stdout + done.stderr)
                if into is cli:
                    cli_wall.append(time.time() - t0)
                cmgs = _first_cmgs(sims[0], message)
                into.append(cmgs - t0)
                queued["cli" if into is cli else "polled"].append(cmgs - _created(message))
            n += 1
            message = f"Essai de chaine d'alerte numero {n}, ne pas repondre."
            fields = _confirm_form(browser, base, message)
            time.sleep(rng.uniform(0.3, 0.7))
            t0 = time.time()
            browser.open(base + "/alertes/envoyer", data=urllib.parse.urlencode(fields).encode(), timeout=60).read()
            cmgs = _first_cmgs(sims[0], message)
            console.append(cmgs - t0)
            queued["console"].append(cmgs - _created(message))
    finally:
        stop_process(web)
        stop_process(daemon)
        stop_sims(sims)
    figures.note(f"confirmation to first AT+CMGS: idle `vigie run` (shipped defaults, 0.2 s poll), one simulated "
                 f"SIM800, one recipient, {rounds} rounds, bytecode compiled as on the box; cli = from starting `vigie alert send` (interpreter "
                 f"start-up included); console = from POST /alertes/envoyer; *_polled = the CLI without the wake-up")
    figures.figure("confirm_to_first_sms_cli_s_p50", percentile(cli, 50), 3)
    figures.figure("confirm_to_first_sms_cli_s_p95", percentile(cli, 95), 3)
    figures.figure("confirm_to_first_sms_cli_polled_s_p50", percentile(polled, 50), 3)
    figures.figure("cli_alert_send_wall_s_p50", percentile(cli_wall, 50), 3)
    figures.figure("confirm_to_first_sms_console_s_p50", percentile(console, 50), 3)
    figures.figure("confirm_to_first_sms_console_s_p95", percentile(console, 95), 3)
    for name, values in queued.items():
        figures.figure(f"queued_to_first_sms_{name}_s_p50", percentile(values, 50), 3)


def _created(text: str) -> float:
    from vigie.daemon.core.models import Alert
    return Alert.get(Alert.text == text).created_at


def _up(base: str) -> bool:
    import urllib.request
    try:
        with urllib.request.urlopen(base + "/connexion", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False
