"""`make demo`: the whole box on a simulated modem, in ./var/demo, until Ctrl-C.

Starts the simulated SIM800 (realistic latency), creates the configuration and the database (once:
a second run keeps the data of the first), imports the sample member file, creates an administrator
with a random password, then runs the daemon and the console side by side. The banner with the URL
and the password is printed once the console answers over HTTP. Ctrl-C stops everything and exits 0.

Environment: VIGIE_DEMO_PORT (console port, 8080), VIGIE_DEMO_DIR (folder, var/demo),
VIGIE_DEMO_LATENCY (seconds per SMS of the simulated modem, 2.5).
"""

import errno
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from vigie.daemon.core import config as config_mod

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
PASSWORD_FILE = "mot-de-passe-admin.txt"


class DemoError(Exception):
    """Why the demonstration cannot start, in French, for the person at the terminal."""


def _vigie(*args, config=None):
    cmd = [sys.executable, "-m", "vigie.daemon.cli"]
    if config:
        cmd += ["--config", config]
    return cmd + list(args)


def _until(predicate, timeout: float, stop: threading.Event) -> bool:
    """Wait for ``predicate`` (polled) until ``timeout`` or ``stop``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        if predicate():
            return True
        stop.wait(0.1)
    return predicate()


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise DemoError(f"VIGIE_DEMO_PORT={port} n'est pas un port valide (1 à 65535).")
    if port_free(port):
        return
    other = next((p for p in range(port + 1, min(port + 200, 65536)) if port_free(p)), None)
    way_out = f" : VIGIE_DEMO_PORT={other} make demo" if other else " : choisissez-en un autre avec VIGIE_DEMO_PORT"
    raise DemoError(f"le port {port} est déjà pris{way_out}")


def console_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status < 500
    except urllib.error.HTTPError as e:
        return e.code < 500
    except (OSError, ValueError):
        return False


def _settings_from_env():
    try:
        port = int(os.environ.get("VIGIE_DEMO_PORT", "8080"))
    except ValueError:
        raise DemoError(f"VIGIE_DEMO_PORT={os.environ['VIGIE_DEMO_PORT']!r} : il faut un numéro de port.") from None
    latency = os.environ.get("VIGIE_DEMO_LATENCY", "2.5")
    try:
        if float(latency) < 0:
            raise ValueError
    except ValueError:
        raise DemoError(f"VIGIE_DEMO_LATENCY={latency!r} : il faut un nombre de secondes positif.") from None
    root = os.path.abspath(os.environ.get("VIGIE_DEMO_DIR", "var/demo"))
    return port, latency, root


def _claim(root: str) -> str:
    """One demonstration per folder: a pid file, taken over when its process is gone."""
    path = os.path.join(root, "demo.pid")
    try:
        with open(path, encoding="ascii") as f:
            pid = int(f.read().strip() or 0)
        if pid and pid != os.getpid():
            try:
                os.kill(pid, 0)
            except PermissionError:
                pass                            # alive, someone else's
            raise DemoError(f"une démonstration tourne déjà dans {root} (processus {pid}) : "
                            f"arrêtez-la (Ctrl-C) ou choisissez un autre dossier avec VIGIE_DEMO_DIR")
    except (FileNotFoundError, ValueError, ProcessLookupError):
        pass
    with open(path, "w", encoding="ascii") as f:
        f.write(f"{os.getpid()}\n")
    return path


def _prepare(root: str, cfg: str, link: str, port: int) -> tuple[str, bool]:
    """Configuration, base, members and the administrator; returns (password, kept)."""
    kept = os.path.exists(cfg)
    if not kept:
        with open(cfg, "w", encoding="utf-8") as f:
            f.write(config_mod.default_file(
                db_path="vigie.db", modem_name="sim0", modem_port=link, modem_model="sim800",
                control_socket=os.path.join(root, "control.sock"), web_host="127.0.0.1", web_port=port,
                simulate="true"))
    quiet = dict(check=True, stdout=subprocess.DEVNULL)
    subprocess.run(_vigie("init", config=cfg), **quiet)
    password_path = os.path.join(root, PASSWORD_FILE)
    if not kept:
        subprocess.run(_vigie("member", "import", os.path.join(DATA, "demo-members.csv"), config=cfg), **quiet)
    password = ""
    if kept and os.path.exists(password_path):
        with open(password_path, encoding="utf-8") as f:
            password = f.read().strip()
    password = password or secrets.token_urlsafe(12)
    # Set every time, so that the banner tells the truth even if the account was changed meanwhile.
    accounts = subprocess.run(_vigie("user", "list", "--json", config=cfg), capture_output=True, text=True,
                              check=True).stdout
    command = ("passwd", "admin") if '"admin"' in accounts else ("add", "admin", "--role", "admin")
    subprocess.run(_vigie("user", *command, config=cfg), input=f"{password}\n{password}\n", text=True, **quiet)
    fd = os.open(password_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(password + "\n")
    return password, kept


def _banner(root, cfg, link, port, latency, password, kept) -> str:
    again = (f"\n Données de la démonstration précédente conservées ({root}) ;\n"
             f" pour repartir de zéro : rm -rf {root}\n") if kept else ""
    return f"""
================================================================================
 Vigientreprise — démonstration sur modem simulé (SIM800, {latency} s par SMS)

 Console : http://127.0.0.1:{port}
   identifiant : admin
   mot de passe : {password}
{again}
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
"""


def _kannel_ports(root: str) -> dict:
    """The ports of the demonstration's operator route, chosen once and kept with its data."""
    import json

    from vigie.daemon.transport.kannel import processes
    path = os.path.join(root, "kannel", "ports.json")
    try:
        with open(path, encoding="utf-8") as f:
            ports = json.load(f)
        if all(port_free(p) for p in ports.values()):
            return ports
    except (OSError, ValueError):
        pass
    ports = {name: processes.free_port() for name in ("smpp", "admin", "smsbox", "sendsms", "callback")}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(ports, f)
    return ports


def _with_operator_route(cfg: str, ports: dict) -> tuple[str, str]:
    """Add the [[kannel]] route to the demonstration's configuration (once); returns (password, secret)."""
    settings = config_mod.load(cfg)
    secret = settings.daemon.callback_secret or secrets.token_urlsafe(24)
    routes = getattr(settings, "kannels", ()) or ()
    if routes:
        return routes[0].password, secret
    password = secrets.token_urlsafe(12)
    with open(cfg, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r'(?m)^#?\s*callback_secret\s*=.*$', f'callback_secret = "{secret}"', text, count=1)
    text = re.sub(r'(?m)^#?\s*callback_listen\s*=.*$', f'callback_listen = "127.0.0.1:{ports["callback"]}"', text,
                  count=1)
    text += (f'\n# Route opérateur de la démonstration : Kannel vers un SMSC simulé (VIGIE_DEMO_KANNEL=1).\n'
             f'[[kannel]]\nname = "operateur"\n'
             f'sendsms_url = "http://127.0.0.1:{ports["sendsms"]}/cgi-bin/sendsms"\n'
             f'username = "vigie"\npassword = "{password}"\nsender = "GEND61"\nmax_per_second = 50\n'
             f'priority = 20\nadmin_url = "http://127.0.0.1:{ports["admin"]}"\nadmin_password = "{password}"\n')
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(text)
    config_mod.load(cfg)                        # refuses now, in French, rather than in the daemon
    return password, secret


def _start_operator_route(root: str, cfg: str, start) -> tuple[object, str]:
    """The simulated SMSC (`vigie smsc run`) and Kannel's two boxes on a generated kannel.conf."""
    from vigie.daemon.transport.kannel import conf as kconf
    from vigie.daemon.transport.kannel import processes
    if not processes.installed():
        raise DemoError("VIGIE_DEMO_KANNEL=1 demande Kannel : sudo apt-get install kannel (bearerbox, smsbox).")
    ports = _kannel_ports(root)
    password, secret = _with_operator_route(cfg, ports)
    smpp_password = password[:8]                # SMPP 3.4: at most 8 characters
    settings = config_mod.load(cfg)
    air = os.path.join(root, "smsc-air.jsonl")
    start("smsc", "run", "--port", str(ports["smpp"]), "--system-id", "vigie", "--password", smpp_password,
          "--air-log", air, "--report-delay", "3", "--control", os.path.join(root, "smsc.sock"))
    directory = os.path.join(root, "kannel")
    kannel = processes.KannelProcesses(directory, kconf.KannelConf(
        smpp_host="127.0.0.1", smpp_port=ports["smpp"], system_id="vigie", smpp_password=smpp_password,
        throughput=50, admin_port=ports["admin"], admin_password=password, smsbox_port=ports["smsbox"],
        sendsms_port=ports["sendsms"], username="vigie", password=password, sender="GEND61",
        callback_listen=settings.daemon.callback_listen, callback_secret=secret,
        log_dir=os.path.join(directory, "log"), spool_dir=os.path.join(directory, "spool")))
    if not processes.wait_until(lambda: not port_free(ports["smpp"], "127.0.0.1"), 30):
        raise DemoError("le SMSC simulé n'a pas démarré.")
    try:
        kannel.start()
    except RuntimeError as e:
        raise DemoError(f"Kannel n'a pas démarré ({str(e).splitlines()[0]}) : voir {directory}/log/.") from None
    return kannel, air


def run() -> int:
    port, latency, root = _settings_from_env()
    check_port(port)
    os.makedirs(root, exist_ok=True)
    pid_file = _claim(root)
    cfg = os.path.join(root, "vigie.toml")
    link = os.path.join(root, "gsm0")
    stop = threading.Event()
    children: list[subprocess.Popen] = []
    kannel = None

    def on_signal(signum, frame):
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

    def start(*args, config=None):
        # Own session: the terminal's Ctrl-C reaches this process only, which stops the children in order.
        child = subprocess.Popen(_vigie(*args, config=config), start_new_session=True)
        children.append(child)
        return child

    try:
        if os.path.lexists(link):
            os.unlink(link)                     # a stale link from a run that was killed
        start("emulator", "--link", link, "--model", "sim800", "--latency", latency, "--report-delay", "3",
              "--air-log", os.path.join(root, "air.jsonl"), "--name", "sim0")
        if not _until(lambda: os.path.exists(link), 30, stop):
            if stop.is_set():
                return 0
            raise DemoError("le modem simulé n'a pas démarré.")
        password, kept = _prepare(root, cfg, link, port)
        if stop.is_set():
            return 0
        if os.environ.get("VIGIE_DEMO_KANNEL", "") in ("1", "oui", "yes"):
            kannel, smsc_air = _start_operator_route(root, cfg, lambda *a: start(*a, config=cfg))
        start("run", config=cfg)
        web = start("web", "--port", str(port), config=cfg)
        url = f"http://127.0.0.1:{port}/connexion"
        if not _until(lambda: console_answers(url) or web.poll() is not None, 60, stop):
            if stop.is_set():
                return 0
            raise DemoError(f"la console ne répond pas sur {url}.")
        if web.poll() is not None:
            raise DemoError(f"la console s'est arrêtée au démarrage (port {port} pris entre-temps ?).")
        print(_banner(root, cfg, link, port, latency, password, kept), flush=True)
        if kannel is not None:
            print(f" Route opérateur : Kannel (bearerbox + smsbox) vers un SMSC simulé ; SMS « partis » par la\n"
                  f" route : {smsc_air} ; STOP par la route :\n"
                  f"   .venv/bin/vigie smsc mo --control {root}/smsc.sock --from +33612345678 --text STOP\n",
                  flush=True)
        while not stop.is_set():
            if any(child.poll() is not None for child in children):
                if stop.wait(1.0):              # stopping anyway: not a failure
                    break
                print("Un des processus de la démonstration s'est arrêté : arrêt de la démonstration.",
                      file=sys.stderr)
                return 1
            stop.wait(0.5)
        print("Arrêt de la démonstration…", flush=True)
        return 0
    except subprocess.CalledProcessError as e:
        if stop.is_set():
            return 0
        raise DemoError(f"préparation impossible : « {' '.join(e.cmd[3:])} » a échoué.") from None
    finally:
        if kannel is not None:
            kannel.stop()
        for child in reversed(children):        # console, daemon, then the modem: each after the other
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        try:
            os.unlink(pid_file)
        except FileNotFoundError:
            pass
        for s, handler in previous.items():
            signal.signal(s, handler)


def main() -> int:
    try:
        return run()
    except DemoError as e:
        print(f"make demo : {e}", file=sys.stderr)
        return 1


def register(sub):
    p = sub.add_parser("demo", help="toute la box sur un modem simulé (make demo)")
    p.set_defaults(func=lambda args: main())


if __name__ == "__main__":
    sys.exit(main())
