"""`vigie button press`: press the panic button of the running daemon, without touching the box.

The daemon owns the button; this command only asks it, over its control socket, to play a press
(the mock pin is driven low then high, or the same events are queued on real pins). A long
enough press sends the configured preset to its recipients, exactly as a finger would.
"""

from vigie.daemon.box.panic import MAX_SIMULATED_SECONDS
from vigie.daemon.cli._common import print_json
from vigie.daemon.cli._common import settings as load_settings
from vigie.daemon.core.control import request
from vigie.daemon.core.errors import InvalidInput


def register(sub):
    p = sub.add_parser("button", help="bouton d'alerte (appui simulé)")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    press = actions.add_parser(
        "press", help="appuyer sur le bouton d'alerte du démon (un appui long ENVOIE l'alerte)",
        description="Simule un appui sur le bouton d'alerte du démon en marche. Un appui plus long que "
                    "[button] hold_seconds envoie réellement le modèle d'alerte configuré.")
    press.add_argument("--seconds", type=float, metavar="S",
                       help="durée de l'appui en secondes (défaut : durée d'appui long + 0,5 s)")
    press.add_argument("--json", action="store_true", help="sortie JSON")
    press.set_defaults(func=run_press)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_press(args) -> int:
    if args.seconds is not None and not 0 < args.seconds <= MAX_SIMULATED_SECONDS:
        raise InvalidInput(f"La durée d'appui doit être comprise entre 0 et {MAX_SIMULATED_SECONDS:g} secondes.",
                           "seconds")
    s = load_settings(args)
    seconds = args.seconds if args.seconds is not None else s.button.hold_seconds + 0.5
    answer = request(s.daemon.control_socket, {"cmd": "button.press", "seconds": seconds},
                     timeout=seconds + 60)
    if args.json:
        print_json(answer)
    else:
        print(answer.get("message") or ("Appui traité." if answer.get("ok") else "Appui sans réponse."))
    return 0 if answer.get("ok") else 1
