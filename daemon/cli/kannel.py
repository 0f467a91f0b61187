"""`vigie kannel config`: print the complete, commented kannel.conf of the configured operator route."""

import sys
import urllib.parse

from vigie.daemon.cli._common import settings
from vigie.daemon.core.errors import ConfigError, InvalidInput
from vigie.daemon.transport.kannel import conf as kconf


def register(sub):
    from vigie.daemon.cli import FrenchParser
    p = sub.add_parser("kannel", help="route opérateur par Kannel (kannel.conf)",
                       description="Route opérateur : Kannel relaie les SMS de la box vers le centre SMS de "
                                   "l'opérateur (SMPP).")
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=FrenchParser)
    c = actions.add_parser("config", help="écrire le kannel.conf complet et commenté de la route",
                           description="Écrit sur la sortie standard (ou dans --output) le kannel.conf de la "
                                       "route [[kannel]] configurée, avec le compte SMPP de l'opérateur.")
    c.add_argument("--route", metavar="NOM", help="route [[kannel]] (défaut : la première)")
    c.add_argument("--smpp-host", metavar="HÔTE", help="adresse du centre SMS (SMSC) de l'opérateur")
    c.add_argument("--smpp-port", type=int, metavar="PORT", help="port SMPP (défaut : 2775)")
    c.add_argument("--system-id", metavar="ID", help="identifiant SMPP (system_id) fourni par l'opérateur")
    c.add_argument("--smpp-password", metavar="MOT_DE_PASSE", help="mot de passe SMPP fourni par l'opérateur")
    c.add_argument("--system-type", metavar="TYPE", help="system_type, si l'opérateur en demande un")
    c.add_argument("--log-dir", metavar="DOSSIER", help="journaux de Kannel (défaut : /var/log/kannel)")
    c.add_argument("--spool-dir", metavar="DOSSIER",
                   help="file d'attente et accusés sur disque (défaut : /var/spool/kannel)")
    c.add_argument("--output", metavar="FICHIER", help="écrire dans ce fichier plutôt qu'à l'écran")
    c.set_defaults(func=run_config)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def _port(url: str, what: str) -> int:
    parsed = urllib.parse.urlsplit(url)
    try:
        port = parsed.port
    except ValueError:
        port = None
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(f"[[kannel]] {what} « {url} » : Kannel écoute sur la boucle locale de la box "
                          "(127.0.0.1) seulement.")
    if port is None:
        raise ConfigError(f"[[kannel]] {what} « {url} » : le port est obligatoire (ex. http://127.0.0.1:13013/...).")
    return port


def build(s, args) -> kconf.KannelConf:
    """The kannel.conf values: the route of vigie.toml, the SMPP account from the options."""
    if not s.kannels:
        raise ConfigError("Aucune route [[kannel]] dans la configuration : ajoutez-en une (nom, sendsms_url, "
                          "username, password, sender) avant d'écrire kannel.conf.")
    routes = {r.name: r for r in s.kannels}
    if args.route and args.route not in routes:
        raise InvalidInput(f"route « {args.route} » inconnue (routes : {', '.join(routes)}).", field="route")
    route = routes[args.route] if args.route else s.kannels[0]
    if not s.daemon.callback_secret:
        raise ConfigError("[daemon] callback_secret est vide : choisissez un secret de 16 caractères au moins "
                          "(lettres, chiffres) dans vigie.toml ; kannel.conf le reprend pour les accusés et "
                          "SMS reçus.")
    # SMPP 3.4 (§ 5.2.1, 5.2.2): system_id at most 15 characters, password at most 8; a longer one is
    # cut by Kannel and the SMSC answers « Invalid Password » (0x0E), which is hard to trace back.
    if args.smpp_password is not None and len(args.smpp_password) > 8:
        raise InvalidInput("Le mot de passe SMPP compte au plus 8 caractères (norme SMPP 3.4) : vérifiez "
                           "celui que l'opérateur a donné.", field="smpp-password")
    if args.system_id is not None and len(args.system_id) > 15:
        raise InvalidInput("L'identifiant SMPP (system_id) compte au plus 15 caractères (norme SMPP 3.4).",
                           field="system-id")
    if args.smpp_port is not None and not 1 <= args.smpp_port <= 65535:
        raise InvalidInput(f"{args.smpp_port} n'est pas un port valide.", field="smpp-port")
    base = kconf.KannelConf(
        smsc_id=route.smsc or "operateur", throughput=route.max_per_second,
        admin_port=_port(route.admin_url, "admin_url"), admin_password=route.admin_password or "changez-moi",
        sendsms_port=_port(route.sendsms_url, "sendsms_url"), username=route.username,
        password=route.password, sender=route.sender, callback_listen=s.daemon.callback_listen,
        callback_secret=s.daemon.callback_secret)
    return base.replace(smpp_host=args.smpp_host, smpp_port=args.smpp_port, system_id=args.system_id,
                        smpp_password=args.smpp_password, system_type=args.system_type,
                        log_dir=args.log_dir, spool_dir=args.spool_dir)


def run_config(args) -> int:
    s = settings(args)
    values = build(s, args)
    text = kconf.render(values)
    if values.admin_password == "changez-moi":
        print("Attention : [[kannel]] admin_password est vide ; choisissez-en un (le même dans vigie.toml et "
              "kannel.conf) pour que la box lise l'état de la route.", file=sys.stderr)
    if "IDENTIFIANT" in (values.system_id,) or values.smpp_host == kconf.KannelConf.smpp_host:
        print("Attention : compte SMPP incomplet ; donnez --smpp-host, --system-id et --smpp-password "
              "(fournis par l'opérateur).", file=sys.stderr)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            raise ConfigError(f"Écriture impossible de {args.output} : {e.strerror}.") from None
        print(f"kannel.conf écrit dans {args.output}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
