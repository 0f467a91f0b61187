"""`vigie run`: the sending daemon."""

from vigie.daemon.cli._common import settings as load_settings


def register(sub):
    p = sub.add_parser("run", help="lancer le démon d'envoi (file d'attente, modems, bouton)")
    p.set_defaults(func=run)


def run(args) -> int:
    from vigie.daemon.box.service import Daemon
    Daemon(load_settings(args)).run_forever()
    return 0
