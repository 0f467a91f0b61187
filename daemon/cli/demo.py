"""`make demo`: the whole box on a simulated modem, in ./var/demo, until Ctrl-C.

Starts the simulated SIM800 (realistic latency), creates the configuration and the database,
imports the sample member file, creates an administrator with a fresh random password, then runs
the daemon and the console side by side.
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time

from vigie.daemon.core import config as config_mod

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def _vigie(*args, config=None, **kw):
    cmd = [sys.executable, "-m", "vigie.daemon.cli"]
    if config:
        cmd += ["--config", config]
    return cmd + list(args)


def _wait_for(path: str, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.1)
    return False


def register(sub):
    p = sub.add_parser("demo", help="toute la box sur un modem simulé (make demo)")
    p.set_defaults(func=lambda args: main())


def main() -> int:
    root = os.path.abspath(os.environ.get("VIGIE_DEMO_DIR", "var/demo"))
    port = int(os.environ.get("VIGIE_DEMO_PORT", "8080"))
    latency = os.environ.get("VIGIE_DEMO_LATENCY", "2.5")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    cfg = os.path.join(root, "vigie.toml")
    link = os.path.join(root, "gsm0")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(config_mod.default_file(
            db_path="vigie.db", modem_name="sim0", modem_port=link, modem_model="sim800",
            control_socket=os.path.join(root, "control.sock"), web_host="127.0.0.1", web_port=port,
            simulate="true"))
    children: list[subprocess.Popen] = []

    def stop(*_):
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()

    try:
        children.append(subprocess.Popen(_vigie(
            "emulator", "--link", link, "--model", "sim800", "--latency", latency,
            "--report-delay", "3", "--air-log", os.path.join(root, "air.jsonl"), "--name", "sim0")))
        if not _wait_for(link):
            print("Le modem simulé n'a pas démarré.", file=sys.stderr)
            return 1
        subprocess.run(_vigie("init", config=cfg), check=True)
        subprocess.run(_vigie("member", "import", os.path.join(DATA, "demo-members.csv"),
                              config=cfg), check=True)
        password = secrets.token_urlsafe(12)
        subprocess.run(_vigie("user", "add", "admin", "--role", "admin", config=cfg),
                       input=f"{password}\n{password}\n", text=True, check=True)
        children.append(subprocess.Popen(_vigie("run", config=cfg)))
        children.append(subprocess.Popen(_vigie("web", config=cfg)))
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        print(f"""
================================================================================
 Vigientreprise — démonstration sur modem simulé (SIM800, {latency} s par SMS)

 Console : http://127.0.0.1:{port}
   identifiant : admin
   mot de passe : {password}

 En ligne de commande (autre terminal) :
   export VIGIE_CONFIG={cfg}
   .venv/bin/vigie send --to "06 12 34 56 78" --text "Essai Vigientreprise"
   .venv/bin/vigie status
   .venv/bin/vigie alert send --sector bijouteries --text "Vols dans les bijouteries : soyez vigilants."
   .venv/bin/vigie button press                 # bouton d'alerte simulé (maintien 3 s)
   .venv/bin/vigie emulator inject --link {link} sms --from +33612345678 --text STOP

 SMS « partis » (journal radio du modem simulé) : {root}/air.jsonl
 Ctrl-C pour tout arrêter.
================================================================================
""", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("Un des processus de la démonstration s'est arrêté.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
