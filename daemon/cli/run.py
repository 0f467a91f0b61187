"""`vigie run`: the sending daemon."""

from vigie.daemon.cli._common import settings as load_settings


def register(sub):
    p = sub.add_parser("run", help="lancer le démon d'envoi (file d'attente, modems, bouton)")
    p.set_defaults(func=run)


def run(args) -> int:
    from vigie.daemon.box import lock
    from vigie.daemon.box.service import Daemon
    settings = load_settings(args)
    held = lock.acquire(settings.database.path)     # before anything touches the outbox
    try:
        Daemon(settings).run_forever()
    finally:
        lock.release(held)
    return 0
