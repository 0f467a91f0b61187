"""`vigie init`: write a commented configuration file and create the database."""

import os
import secrets
import subprocess

from vigie.daemon.core import config as config_mod
from vigie.daemon.core import db as db_mod
from vigie.daemon.core import defaults
from vigie.daemon.core.errors import VigieError


def register(sub):
    p = sub.add_parser("init", help="créer le fichier de configuration et la base de données")
    p.add_argument("--db", metavar="CHEMIN", help="chemin de la base SQLite")
    p.add_argument("--port", metavar="PÉRIPHÉRIQUE", help="port série du modem (défaut /dev/gsm-modem)")
    p.add_argument("--model", choices=config_mod.MODELS, help="modèle du modem")
    p.add_argument("--control-socket", metavar="CHEMIN", help="socket de commande du démon")
    p.add_argument("--web-port", type=int, metavar="PORT", help="port de la console web")
    p.add_argument("--simulate-button", action="store_true", help="bouton d'alerte simulé (hors Raspberry Pi)")
    p.add_argument("--self-signed", action="store_true",
                   help="créer un certificat auto-signé pour HTTPS à côté de la configuration")
    p.add_argument("--force", action="store_true", help="réécrire une configuration existante")
    p.set_defaults(func=run)


def make_self_signed(directory: str) -> tuple[str, str]:
    """A self-signed certificate for the console, made with the system's openssl."""
    cert, key = os.path.join(directory, "console.crt"), os.path.join(directory, "console.key")
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                        "-subj", "/CN=vigientreprise", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
    except FileNotFoundError:
        raise VigieError("openssl est introuvable : installez-le (apt install openssl).") from None
    except subprocess.CalledProcessError as e:
        raise VigieError(f"Création du certificat impossible : {e.stderr.decode(errors='replace')}") from None
    os.chmod(key, 0o600)
    return cert, key


def run(args) -> int:
    path = config_mod.resolve_path(args.config)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    if os.path.exists(path) and not args.force:
        print(f"Configuration existante conservée : {path}")
    else:
        # a fresh secret for Kannel's callbacks: an operator route then needs no hand-made one
        values = {"daemon.callback_secret": secrets.token_urlsafe(24)}
        if args.db:
            values["db_path"] = args.db
        if args.port:
            values["modem_port"] = args.port
        if args.model:
            values["modem_model"] = args.model
        if args.control_socket:
            values["control_socket"] = args.control_socket
        if args.web_port:
            values["web_port"] = args.web_port
        if args.simulate_button:
            values["simulate"] = "true"
        if args.self_signed:
            values["certificate"], values["key"] = make_self_signed(directory)
            print(f"Certificat auto-signé créé : {values['certificate']}")
        with open(path, "w", encoding="utf-8") as f:
            f.write(config_mod.default_file(**values))
        print(f"Configuration écrite : {path}")
    settings = config_mod.load(path)
    db_mod.open_database(settings.database.path)
    defaults.ensure_defaults()
    print(f"Base de données prête : {settings.database.path}")
    return 0
