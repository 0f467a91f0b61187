"""`vigie smsc`: run a simulated operator SMSC (SMPP 3.4) for Kannel, or drive a running one."""

import json
import signal
import sys
import threading

from vigie.daemon.core.errors import InvalidInput

DEFAULT_CONTROL = "/tmp/vigie-smsc.ctl"


def register(sub):
    from vigie.daemon.cli import FrenchParser
    p = sub.add_parser("smsc", help="centre SMS (SMSC) simulé, en SMPP 3.4, pour essayer la route Kannel",
                       description="Lance un centre SMS simulé qui parle SMPP 3.4 (Kannel s'y relie comme à celui "
                                   "d'un opérateur), ou pilote un SMSC simulé en marche.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", parser_class=FrenchParser)
    run = actions.add_parser("run", help="lancer le SMSC simulé (jusqu'à Ctrl-C)")
    run.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (défaut : 127.0.0.1)")
    run.add_argument("--port", type=int, default=2775, help="port SMPP (défaut : 2775)")
    run.add_argument("--system-id", default="vigie", metavar="ID", help="compte SMPP accepté (défaut : vigie)")
    run.add_argument("--password", default="secret", metavar="MOT_DE_PASSE", help="son mot de passe")
    run.add_argument("--system-type", default=None, metavar="TYPE", help="system_type exigé (défaut : aucun)")
    run.add_argument("--name", default="smsc0", help="nom du SMSC dans le journal (défaut : smsc0)")
    run.add_argument("--air-log", metavar="FICHIER", help="journal JSON des SMS acceptés (une ligne par partie)")
    run.add_argument("--report", default="delivered", choices=("delivered", "undeliverable", "expired", "none"),
                     help="issue des accusés de réception (défaut : delivered)")
    run.add_argument("--report-delay", type=float, default=1.0, metavar="SECONDES",
                     help="délai avant chaque accusé (défaut : 1)")
    run.add_argument("--throttle", type=int, default=None, metavar="N",
                     help="au-delà de N envois par seconde, répondre ESME_RTHROTTLED")
    run.add_argument("--control", default=DEFAULT_CONTROL, metavar="CHEMIN",
                     help=f"socket de pilotage (défaut : {DEFAULT_CONTROL})")
    run.set_defaults(func=run_smsc)

    def with_control(parser):
        parser.add_argument("--control", default=DEFAULT_CONTROL, metavar="CHEMIN",
                            help=f"socket du SMSC simulé à piloter (défaut : {DEFAULT_CONTROL})")
        parser.set_defaults(func=drive)
        return parser

    mo = with_control(actions.add_parser("mo", help="simuler un SMS envoyé par un téléphone (ex. STOP)"))
    mo.add_argument("--from", dest="sender", required=True, metavar="NUMÉRO", help="expéditeur (ex. +33612345678)")
    mo.add_argument("--text", required=True, help="texte du message")
    mo.add_argument("--to", default=None, metavar="NUMÉRO", help="numéro de réponse de la box (défaut : 36180)")
    th = with_control(actions.add_parser("throttle", help="limiter le nombre d'envois acceptés par seconde"))
    th.add_argument("per_second", type=int, metavar="N", help="envois par seconde (0 : sans limite)")
    rf = with_control(actions.add_parser("refuse", help="refuser des envois (code SMPP)"))
    rf.add_argument("--status", type=lambda v: int(v, 0), default=0x45,
                    help="code command_status (défaut : 0x45 ESME_RSUBMITFAIL)")
    rf.add_argument("--count", type=int, default=None, help="nombre d'envois touchés (0 : annuler)")
    rf.add_argument("--rate", type=float, default=None, help="proportion des envois touchés, de 0 à 1")
    rp = with_control(actions.add_parser("report", help="choisir l'issue des accusés de réception"))
    rp.add_argument("outcome", choices=("delivered", "undeliverable", "expired", "none"), help="issue")
    rp.add_argument("--delay", type=float, default=None, metavar="SECONDES", help="délai avant chaque accusé")
    dr = with_control(actions.add_parser("drop", help="couper toutes les connexions SMPP"))
    dr.add_argument("--seconds", type=float, default=0.0, help="refuser les nouvelles connexions pendant N s")
    with_control(actions.add_parser("status", help="état du SMSC simulé"))
    p.set_defaults(func=lambda args: p.print_help() or 2)


def _command(args) -> dict:
    if args.action == "mo":
        return {"cmd": "mo", "from": args.sender, "text": args.text, "to": args.to}
    if args.action == "throttle":
        return {"cmd": "throttle", "per_second": args.per_second or None}
    if args.action == "refuse":
        return {"cmd": "refuse", "status": args.status, "count": args.count, "rate": args.rate}
    if args.action == "report":
        return {"cmd": "report", "outcome": args.outcome, "delay": args.delay}
    if args.action == "drop":
        return {"cmd": "drop", "seconds": args.seconds}
    return {"cmd": "status"}


def drive(args) -> int:
    from vigie.daemon.simulator.smsc import control
    try:
        reply = control.send(args.control, _command(args))
    except (FileNotFoundError, ConnectionRefusedError):
        raise InvalidInput(f"aucun SMSC simulé n'écoute sur {args.control}", "control") from None
    if not reply.get("ok"):
        print(f"Refusé : {reply.get('error', 'erreur inconnue')}", file=sys.stderr)
        return 1
    if args.action == "status":
        print(json.dumps(reply, ensure_ascii=False, indent=2))
    else:
        print("Fait.")
    return 0


def run_smsc(args) -> int:
    from vigie.daemon.simulator.smsc import SimulatedSMSC, control
    if not 0 <= args.port <= 65535:
        raise InvalidInput(f"{args.port} n'est pas un port valide.", "port")
    smsc = SimulatedSMSC(name=args.name, host=args.host, port=args.port,
                         accounts={args.system_id: args.password}, system_type=args.system_type,
                         air_log=args.air_log, report=args.report, report_delay=args.report_delay,
                         throttle_per_second=args.throttle)
    try:
        smsc.start()
    except OSError as e:
        raise InvalidInput(f"écoute impossible sur {args.host}:{args.port} ({e.strerror}).", "port") from None
    server = control.serve(smsc, args.control)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(f"SMSC simulé « {args.name} » en écoute SMPP sur {args.host}:{smsc.port} (compte {args.system_id}) ; "
          f"pilotage : vigie smsc mo --control {args.control} --from +33612345678 --text STOP", flush=True)
    try:
        done.wait()
    finally:
        server.close()
        smsc.stop()
        print("SMSC simulé arrêté.", flush=True)
    return 0
