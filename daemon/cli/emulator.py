"""`vigie emulator`: run a simulated GSM modem on a pseudo-terminal, or drive a running one."""

import argparse
import json
import os
import signal
import sys
import threading

from vigie.daemon.core.errors import InvalidInput

ACTIONS = ("inject",)


def register(sub):
    p = sub.add_parser(
        "emulator", help="modem GSM simulé (SIM800/SIM7600) sur un pseudo-terminal",
        description="Lance un modem GSM simulé dont le port apparaît à --link, ou pilote un émulateur lancé "
                    "(« vigie emulator inject --link CHEMIN ... »).")
    p.add_argument("action", nargs="?", choices=ACTIONS, help="« inject » : agir sur un émulateur en marche")
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.add_argument("--link", metavar="CHEMIN", help="chemin du lien vers le port série simulé (ex. /tmp/gsm0)")
    p.add_argument("--model", choices=("sim800", "sim7600"), default="sim800", help="module simulé (défaut : sim800)")
    p.add_argument("--latency", type=float, default=0.0, metavar="SECONDES",
                   help="délai entre le PDU et la réponse +CMGS (défaut : 0)")
    p.add_argument("--report-delay", type=float, default=0.0, metavar="SECONDES",
                   help="délai avant chaque accusé de réception (défaut : 0)")
    p.add_argument("--air-log", metavar="FICHIER", help="journal JSON des SMS « émis » (une ligne par partie)")
    p.add_argument("--pin", metavar="CODE", help="code PIN exigé par la carte SIM simulée")
    p.add_argument("--name", default=None, metavar="NOM", help="nom du modem dans le journal (défaut : nom du lien)")
    p.add_argument("--seed", type=int, default=None, help="graine du hasard (résultats reproductibles)")
    p.set_defaults(func=run)


def _inject_parser():
    from vigie.daemon.cli import FrenchParser
    p = FrenchParser(prog="vigie emulator inject", description="Agit sur un émulateur en marche.")
    sub = p.add_subparsers(dest="what", metavar="ACTION", parser_class=FrenchParser)
    sms = sub.add_parser("sms", help="simuler un SMS reçu")
    sms.add_argument("--from", dest="sender", required=True, metavar="NUMÉRO", help="expéditeur (ex. +33612345678)")
    sms.add_argument("--text", required=True, help="texte du message")
    sms.add_argument("--silent", action="store_true", help="stocker sans notification +CMTI (notification perdue)")
    fault = sub.add_parser("fault", help="déclencher une panne")
    kinds = fault.add_subparsers(dest="fault", metavar="PANNE", parser_class=FrenchParser)
    cms = kinds.add_parser("cms", help="répondre +CMS ERROR aux prochains envois")
    cms.add_argument("--code", type=int, required=True, help="code d'erreur (38, 41, 42, 500 temporaires ; 21, 28, 304 définitifs)")
    cms.add_argument("--count", type=int, default=None, help="nombre d'envois touchés (0 : annuler)")
    cms.add_argument("--rate", type=float, default=None, help="proportion d'envois touchés, de 0 à 1 (0 : annuler)")
    for name, text in (("hang", "ne plus rien répondre pendant N secondes"),
                       ("late", "répondre +CMGS avec N secondes de retard (le SMS part quand même)"),
                       ("unplug", "débrancher le port, le rebrancher après N secondes"),
                       ("noreg", "perdre le réseau pendant N secondes")):
        k = kinds.add_parser(name, help=text)
        k.add_argument("--seconds", type=float, required=True, metavar="N", help="durée en secondes")
    kinds.add_parser("reboot", help="redémarrage du module (réglages perdus, lignes RDY ... SMS Ready)")
    g = kinds.add_parser("garbage", help="envoyer des octets parasites (non UTF-8) sur la ligne")
    g.add_argument("--hex", default=None, help="octets à envoyer, en hexadécimal (défaut : FFFE00 « garbage »)")
    rep = sub.add_parser("report", help="choisir l'issue des accusés de réception")
    rep.add_argument("--outcome", required=True, choices=("delivered", "temporary_then_delivered", "failed", "none"),
                     help="issue : delivered, temporary_then_delivered, failed ou none")
    rep.add_argument("--number", default=None, help="seulement pour ce numéro")
    rep.add_argument("--rate", type=float, default=1.0, help="proportion des messages concernés (défaut : 1)")
    rep.add_argument("--status", type=lambda v: int(v, 0), default=None,
                     help="code TP-ST d'un échec (défaut : 0x41 ; ex. 0x43)")
    lat = sub.add_parser("latency", help="changer le délai de réponse à chaque envoi")
    lat.add_argument("--seconds", type=float, required=True, help="délai en secondes")
    sub.add_parser("status", help="état de l'émulateur")
    return p


def _command(ns) -> dict:
    if ns.what == "sms":
        return {"cmd": "sms", "from": ns.sender, "text": ns.text, "announce": not ns.silent}
    if ns.what == "fault":
        if not ns.fault:
            raise InvalidInput("précisez la panne : cms, hang, late, unplug, reboot, noreg ou garbage", "fault")
        cmd = {"cmd": "fault", "fault": ns.fault}
        for key in ("code", "count", "rate", "seconds", "hex"):
            if getattr(ns, key, None) is not None:
                cmd[key] = getattr(ns, key)
        return cmd
    if ns.what == "report":
        return {"cmd": "report", "outcome": ns.outcome, "number": ns.number, "rate": ns.rate, "status": ns.status}
    if ns.what == "latency":
        return {"cmd": "latency", "seconds": ns.seconds}
    if ns.what == "status":
        return {"cmd": "status"}
    raise InvalidInput("précisez l'action : sms, fault, report, latency ou status", "action")


def inject(args) -> int:
    from vigie.daemon.simulator import SimulatedModem
    rest = list(args.rest)
    # --link may come after the action words: take it out of the remainder
    if "--link" in rest:
        i = rest.index("--link")
        if i + 1 >= len(rest):
            raise InvalidInput("--link attend un chemin", "link")
        args.link = rest[i + 1]
        del rest[i:i + 2]
    if not args.link:
        raise InvalidInput("indiquez --link CHEMIN de l'émulateur à piloter", "link")
    ns = _inject_parser().parse_args(rest)
    cmd = _command(ns)
    try:
        reply = SimulatedModem.control(args.link, cmd)
    except (FileNotFoundError, ConnectionRefusedError):
        raise InvalidInput(f"aucun émulateur n'écoute sur {SimulatedModem.control_path(args.link)}", "link") from None
    if not reply.get("ok"):
        print(f"Refusé : {reply.get('error', 'erreur inconnue')}", file=sys.stderr)
        return 1
    if ns.what == "status":
        print(json.dumps(reply, ensure_ascii=False, indent=2))
    else:
        print("Fait.")
    return 0


def run(args) -> int:
    if args.action == "inject":
        return inject(args)
    if args.rest:
        raise InvalidInput(f"arguments non reconnus : {' '.join(args.rest)}", "emulator")
    if not args.link:
        raise InvalidInput("indiquez --link CHEMIN (là où le port série simulé doit apparaître)", "link")
    from vigie.daemon.simulator import SimulatedModem
    name = args.name or os.path.basename(args.link)
    sim = SimulatedModem(name=name, model=args.model, link=args.link, latency=args.latency,
                         report_delay=args.report_delay, air_log=args.air_log, pin=args.pin, seed=args.seed,
                         control=True)
    done = threading.Event()

    def _stop(signum, frame):
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    sim.start()
    try:
        print(f"Modem simulé {args.model.upper()} « {name} » en écoute sur {args.link} (-> {sim._slave_path})",
              flush=True)
        print(f"Canal de contrôle : {SimulatedModem.control_path(args.link)}", flush=True)
        if args.air_log:
            print(f"Journal des envois : {args.air_log}", flush=True)
        print("Ctrl-C pour arrêter.", flush=True)
        while not done.wait(3600):
            pass
    finally:
        sim.stop()
        print("Modem simulé arrêté, lien supprimé.", flush=True)
    return 0
